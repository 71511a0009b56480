//! Overlay packs: for one bike model, where the printed marker sits and
//! where each component's model goes relative to it.
//!
//! Coordinates are in the marker's frame (OpenCV's convention for a marker):
//! origin at the marker's centre, x to the right along its top edge, y up,
//! z out of the printed face towards the camera, in metres. Packs assume the
//! marker is stuck on the LEFT side of the frame, so the bike's front is at
//! −x and its centreline lies about 10 cm behind the marker (z ≈ −0.1).
//! Models are built facing forward along +x, so each is turned half a turn
//! about y.

use ridewire_engine::vehicle;
use serde_json::json;

/// One bike's pack, as the generator writes it.
#[derive(Debug, Clone, Copy)]
pub struct Pack {
    pub vehicle: &'static str,
    pub name: &'static str,
    pub marker_id: u32,
    pub marker_size_m: f32,
    pub marker_placement: &'static str,
    /// Component id and its position in the marker frame.
    pub components: &'static [(&'static str, [f32; 3])],
}

/// Half a turn about y, as a glTF quaternion `[x, y, z, w]`.
const FACING_FRONT: [f32; 4] = [0.0, 1.0, 0.0, 0.0];

/// The packs checked in under `assets/overlays/`.
pub const PACKS: [Pack; 2] = [
    Pack {
        vehicle: "harley-street-750-2022",
        name: "Harley-Davidson Street 750 (2022)",
        marker_id: 7,
        marker_size_m: 0.08,
        marker_placement: "left side of the front frame downtube, just below the tank, \
                           printed face outwards, top edge level",
        // Belt final drive: no chain on this bike.
        components: &[
            ("spark_plugs", [-0.12, 0.05, -0.06]),
            ("ignition_coil", [0.02, 0.12, -0.08]),
            ("fuel_pump", [0.05, 0.22, -0.1]),
            ("battery", [0.35, 0.05, -0.1]),
            ("air_filter", [0.2, -0.08, -0.2]),
            ("oil_filter", [-0.22, -0.22, -0.08]),
            ("headlight", [-0.55, 0.32, -0.1]),
            ("brake_caliper_front", [-0.78, -0.22, -0.04]),
            ("brake_caliper_rear", [0.85, -0.28, -0.03]),
        ],
    },
    Pack {
        vehicle: "yamaha-mt-07-2021",
        name: "Yamaha MT-07 (2021)",
        marker_id: 12,
        marker_size_m: 0.08,
        marker_placement: "left frame spar above the engine, printed face outwards, \
                           top edge level",
        components: &[
            ("spark_plugs", [-0.05, -0.02, -0.1]),
            ("ignition_coil", [0.05, 0.05, -0.1]),
            ("fuel_pump", [0.15, 0.12, -0.1]),
            ("battery", [0.35, 0.02, -0.1]),
            ("air_filter", [0.12, 0.05, -0.1]),
            ("oil_filter", [-0.15, -0.25, -0.05]),
            ("headlight", [-0.62, 0.2, -0.1]),
            ("brake_caliper_front", [-0.82, -0.3, -0.02]),
            ("brake_caliper_rear", [0.78, -0.32, -0.03]),
            ("chain", [0.45, -0.3, 0.0]),
        ],
    },
];

/// The pack as the JSON checked in (pretty, stable field order).
pub fn pack_json(pack: Pack) -> Result<String, String> {
    let mut components = Vec::new();
    for (id, at) in pack.components {
        let known = vehicle::component(id)
            .ok_or_else(|| format!("{}: {id} is not in the component vocabulary", pack.vehicle))?;
        components.push(json!({
            "id": id,
            "name": known.name,
            "category": known.category,
            "model": format!("models/{id}.glb"),
            "node": id,
            "translation": at.map(round),
            "rotation": FACING_FRONT,
            "scale": [1.0, 1.0, 1.0],
        }));
    }
    let body = json!({
        "format": 1,
        "vehicle": pack.vehicle,
        "name": pack.name,
        "version": 1,
        "marker": {
            "dictionary": "DICT_4X4_50",
            "id": pack.marker_id,
            "size_m": pack.marker_size_m,
            "placement": pack.marker_placement,
        },
        "components": components,
    });
    serde_json::to_string_pretty(&body)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

/// Rounds to a tenth of a millimetre so the JSON stays readable.
fn round(v: f32) -> f64 {
    (f64::from(v) * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_name_components_the_diagnoses_use() {
        for pack in PACKS {
            let body: serde_json::Value =
                serde_json::from_str(&pack_json(pack).expect("pack")).expect("JSON");
            assert!(vehicle::ModelKey::new(pack.vehicle).is_ok());
            assert!(pack.marker_id < 50, "DICT_4X4_50 has ids 0..49");
            for c in body["components"].as_array().expect("components") {
                let id = c["id"].as_str().expect("id");
                assert!(vehicle::component(id).is_some(), "{id}");
                assert!(super::super::MODELS.contains(&id), "{id} has no model");
            }
        }
    }
}
