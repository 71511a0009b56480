//! Overlay packs: for one bike model, which printed marker anchors the
//! overlays and where each component's glTF model sits relative to it.
//!
//! A pack is JSON (written by `cargo xtask assets`, served by the server at
//! `GET /api/v1/ar/overlay?vehicle=KEY`, cached by the offline store):
//!
//! ```json
//! { "format": 1, "vehicle": "harley-street-750-2022", "name": "…", "version": 1,
//!   "marker": { "dictionary": "DICT_4X4_50", "id": 7, "size_m": 0.06, "placement": "…" },
//!   "components": [ { "id": "battery", "name": "Battery", "category": "electrical",
//!                     "model": "models/battery.glb", "node": "battery",
//!                     "translation": [0.35, 0.05, -0.1], "rotation": [0, 1, 0, 0],
//!                     "scale": [1, 1, 1] } ] }
//! ```
//!
//! Positions are in the marker's frame (OpenCV's: x right along the top
//! edge, y up, z out of the printed face), metres; rotations are unit
//! quaternions `[x, y, z, w]`. [`OverlayPack::parse`] checks the pack
//! itself; [`OverlayPack::check_models`] opens every model with the `gltf`
//! crate and checks the named node is there.

use std::collections::HashSet;
use std::path::Path;

use ridewire_engine::vehicle::{self, ModelKey};
use serde::{Deserialize, Serialize};

/// The pack format this build reads.
pub const FORMAT: u32 = 1;
/// Largest model file a pack may name.
pub const MAX_MODEL_BYTES: usize = 8 * 1024 * 1024;

/// Where the marker goes and how big it is printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackMarker {
    /// Always `DICT_4X4_50`.
    pub dictionary: String,
    /// Marker id in the dictionary.
    pub id: u16,
    /// Side of the black square, metres.
    pub size_m: f64,
    /// Where on the bike to stick it, for the rider.
    pub placement: String,
}

/// The marker for a bike no overlay pack exists for yet: printed on the
/// marker sheet as "any other bike". The scanner shows it and its axes.
pub const ANY_BIKE_MARKER_ID: u16 = 0;
/// Its printed side, metres.
pub const ANY_BIKE_MARKER_SIZE_M: f64 = 0.08;
/// Where to stick it.
pub const ANY_BIKE_MARKER_PLACEMENT: &str =
    "flat on the frame where the camera sees it, printed face outwards, top edge level";

/// One component's overlay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackComponent {
    /// Id from the shared component vocabulary.
    pub id: String,
    /// Name shown to the rider.
    pub name: String,
    /// Kind of part (as in the vocabulary).
    pub category: vehicle::ComponentCategory,
    /// glTF model, relative to the assets folder.
    pub model: String,
    /// The node of the model to show.
    pub node: String,
    /// Position in the marker frame, metres.
    pub translation: [f64; 3],
    /// Orientation in the marker frame, unit quaternion `[x, y, z, w]`.
    pub rotation: [f64; 4],
    /// Scale along the model's axes.
    pub scale: [f64; 3],
}

/// A bike model's overlay pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayPack {
    /// Pack format ([`FORMAT`]).
    pub format: u32,
    /// Vehicle model key, e.g. `harley-street-750-2022`.
    pub vehicle: String,
    /// The bike's name.
    pub name: String,
    /// Bumped whenever the pack changes.
    pub version: u64,
    /// The anchor.
    pub marker: PackMarker,
    /// The overlays.
    pub components: Vec<PackComponent>,
}

impl OverlayPack {
    /// A pack with no components for a bike no model set exists for yet:
    /// the "any other bike" marker, so the scanner still finds the bike.
    pub fn bare(vehicle: &str, name: &str) -> Self {
        Self {
            format: FORMAT,
            vehicle: vehicle.to_owned(),
            name: name.to_owned(),
            version: 0,
            marker: PackMarker {
                dictionary: "DICT_4X4_50".to_owned(),
                id: ANY_BIKE_MARKER_ID,
                size_m: ANY_BIKE_MARKER_SIZE_M,
                placement: ANY_BIKE_MARKER_PLACEMENT.to_owned(),
            },
            components: Vec::new(),
        }
    }
}

/// What is wrong with a pack or one of its models.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PackError {
    /// Not JSON of the pack's shape.
    #[error("overlay pack: not a valid pack at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// A value the pack may not hold.
    #[error("overlay pack {vehicle}: {problem}")]
    Invalid { vehicle: String, problem: String },
    /// A model file that cannot be read or is not glTF.
    #[error("overlay pack {vehicle}: model {model}: {problem}")]
    Model {
        vehicle: String,
        model: String,
        problem: String,
    },
}

fn finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

impl OverlayPack {
    /// Reads and checks a pack (not its models).
    pub fn parse(json: &str) -> Result<Self, PackError> {
        let pack: OverlayPack = serde_json::from_str(json).map_err(|e| PackError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        pack.validate()?;
        Ok(pack)
    }

    /// Reads and checks a pack file, then every model it names, resolved
    /// against `assets` (the folder the model paths are relative to).
    pub fn load(path: &Path, assets: &Path) -> Result<Self, PackError> {
        let text = std::fs::read_to_string(path).map_err(|e| PackError::Invalid {
            vehicle: path.display().to_string(),
            problem: format!("cannot read the pack: {e}"),
        })?;
        let pack = Self::parse(&text)?;
        pack.check_models(|model| {
            std::fs::read(assets.join(model)).map_err(|e| format!("cannot read it: {e}"))
        })?;
        Ok(pack)
    }

    fn invalid(&self, problem: impl Into<String>) -> PackError {
        PackError::Invalid {
            vehicle: self.vehicle.clone(),
            problem: problem.into(),
        }
    }

    /// Checks the values of the pack itself.
    pub fn validate(&self) -> Result<(), PackError> {
        if self.format != FORMAT {
            return Err(self.invalid(format!(
                "format {} is not one this app reads ({FORMAT})",
                self.format
            )));
        }
        ModelKey::new(&self.vehicle).map_err(|e| self.invalid(e.to_string()))?;
        let m = &self.marker;
        if m.dictionary != "DICT_4X4_50" || m.id >= 50 {
            return Err(self.invalid(format!(
                "marker {} {} is not a DICT_4X4_50 marker (ids 0-49)",
                m.dictionary, m.id
            )));
        }
        if !(m.size_m.is_finite() && (0.01..=1.0).contains(&m.size_m)) {
            return Err(self.invalid(format!("marker size {} m is not 0.01-1 m", m.size_m)));
        }
        if self.components.is_empty() {
            return Err(self.invalid("no components"));
        }
        let mut seen = HashSet::new();
        for c in &self.components {
            let known = vehicle::component(&c.id)
                .ok_or_else(|| self.invalid(format!("{} is not a known component", c.id)))?;
            if known.category != c.category {
                return Err(self.invalid(format!(
                    "{} is listed as {:?}, the vocabulary says {:?}",
                    c.id, c.category, known.category
                )));
            }
            if !seen.insert(c.id.as_str()) {
                return Err(self.invalid(format!("{} is listed twice", c.id)));
            }
            let safe_path = !c.model.is_empty()
                && !c.model.starts_with('/')
                && !c.model.split(['/', '\\']).any(|p| p == "..")
                && (c.model.ends_with(".glb") || c.model.ends_with(".gltf"));
            if !safe_path {
                return Err(self.invalid(format!(
                    "{}: model path {:?} must be a relative .glb or .gltf path inside the assets",
                    c.id, c.model
                )));
            }
            // Within ten metres of the marker: anything further is a typo.
            let near = c.translation.iter().all(|v| v.abs() <= 10.0);
            if !finite(&c.translation) || !near {
                return Err(self.invalid(format!("{}: translation {:?}", c.id, c.translation)));
            }
            let q = c.rotation;
            let norm = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).sqrt();
            if !finite(&q) || (norm - 1.0).abs() > 1e-3 {
                return Err(self.invalid(format!(
                    "{}: rotation {:?} is not a unit quaternion",
                    c.id, c.rotation
                )));
            }
            if !finite(&c.scale) || c.scale.iter().any(|s| *s <= 0.0 || *s > 100.0) {
                return Err(self.invalid(format!("{}: scale {:?}", c.id, c.scale)));
            }
        }
        Ok(())
    }

    /// Opens every model the pack names (`read` gives a model path's bytes)
    /// and checks it is glTF with the named node and a sane transform.
    pub fn check_models(
        &self,
        mut read: impl FnMut(&str) -> Result<Vec<u8>, String>,
    ) -> Result<(), PackError> {
        for c in &self.components {
            let model_error = |problem: String| PackError::Model {
                vehicle: self.vehicle.clone(),
                model: c.model.clone(),
                problem,
            };
            let bytes = read(&c.model).map_err(model_error)?;
            if bytes.len() > MAX_MODEL_BYTES {
                return Err(model_error(format!(
                    "{} bytes is more than {MAX_MODEL_BYTES}",
                    bytes.len()
                )));
            }
            let gltf = gltf::Gltf::from_slice(&bytes)
                .map_err(|e| model_error(format!("not a glTF file: {e}")))?;
            let node = gltf
                .nodes()
                .find(|n| n.name() == Some(c.node.as_str()))
                .ok_or_else(|| model_error(format!("has no node named {:?}", c.node)))?;
            let (t, r, s) = node.transform().decomposed();
            let values: Vec<f64> = t
                .iter()
                .chain(&r)
                .chain(&s)
                .map(|v| f64::from(*v))
                .collect();
            if !finite(&values) {
                return Err(model_error(format!(
                    "node {:?} has a broken transform",
                    c.node
                )));
            }
            if node.mesh().is_none() && node.children().next().is_none() {
                return Err(model_error(format!(
                    "node {:?} has nothing to draw",
                    c.node
                )));
            }
        }
        Ok(())
    }

    /// The component with this id.
    pub fn component(&self, id: &str) -> Option<&PackComponent> {
        self.components.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn assets() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")
    }

    fn street_750() -> String {
        std::fs::read_to_string(assets().join("overlays/harley-street-750-2022.json"))
            .expect("checked-in pack")
    }

    fn problem(json: &str) -> String {
        match OverlayPack::parse(json) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {json}"),
        }
    }

    #[test]
    fn the_checked_in_packs_load_with_every_model() {
        for key in ["harley-street-750-2022", "yamaha-mt-07-2021"] {
            let path = assets().join(format!("overlays/{key}.json"));
            let pack = OverlayPack::load(&path, &assets()).expect("pack loads");
            assert_eq!(pack.vehicle, key);
            assert!(pack.components.len() >= 9);
            assert!(pack.component("battery").is_some());
        }
    }

    #[test]
    fn broken_json_names_the_line() {
        let text = street_750().replacen("\"components\"", "\"components\" oops", 1);
        let e = problem(&text);
        assert!(e.contains("line"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let base = street_750();
        let cases = [
            (
                base.replacen("\"id\": \"battery\"", "\"id\": \"flux_capacitor\"", 1),
                "flux_capacitor",
            ),
            (
                base.replacen("\"models/battery.glb\"", "\"../../etc/passwd.glb\"", 1),
                "relative",
            ),
            (base.replacen("\"id\": 7", "\"id\": 77", 1), "DICT_4X4_50"),
            (
                base.replacen(
                    "\"rotation\": [\n        0.0,\n        1.0,",
                    "\"rotation\": [\n        0.0,\n        2.0,",
                    1,
                ),
                "unit quaternion",
            ),
            (
                base.replacen("\"format\": 1", "\"format\": 9", 1),
                "format 9",
            ),
        ];
        for (text, expected) in cases {
            assert_ne!(text, base, "the case for {expected} changed nothing");
            let e = problem(&text);
            assert!(e.contains(expected), "{e} (expected {expected})");
        }
    }

    #[test]
    fn missing_broken_and_wrong_models_are_named() {
        let pack = OverlayPack::parse(&street_750()).expect("pack");
        let missing = pack.check_models(|_| Err("cannot read it: no such file".into()));
        assert!(
            matches!(missing, Err(PackError::Model { ref problem, .. }) if problem.contains("no such file"))
        );
        let garbage = pack.check_models(|_| Ok(b"not glTF at all".to_vec()));
        assert!(
            matches!(garbage, Err(PackError::Model { ref problem, .. }) if problem.contains("not a glTF"))
        );
        // A real model, but of another part: the node is not there.
        let battery = std::fs::read(assets().join("models/battery.glb")).expect("model");
        let wrong = pack.check_models(|_| Ok(battery.clone()));
        assert!(
            matches!(wrong, Err(PackError::Model { ref problem, .. }) if problem.contains("no node named")),
            "{wrong:?}"
        );
    }
}
