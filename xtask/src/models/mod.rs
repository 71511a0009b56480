//! `cargo xtask assets`, AR half: low-poly glTF models of the components
//! (`assets/models/<component>.glb`) and an overlay pack per bike
//! (`assets/overlays/<vehicle>.json`) saying where each sits relative to
//! the marker on the frame.
//!
//! Sizes are real-world, in metres; the look is faceted on purpose (few
//! polygons to draw over a live camera image on a phone).

mod glb;
mod mesh;
pub mod packs;
#[cfg(test)]
mod validator;

use std::path::Path;

use mesh::{Axis, Material, Part};

pub use packs::{PACKS, pack_json};

const fn mat(name: &'static str, rgb: [f32; 3], metallic: f32, roughness: f32) -> Material {
    Material {
        name,
        color: [rgb[0], rgb[1], rgb[2], 1.0],
        metallic,
        roughness,
    }
}

const STEEL: Material = mat("steel", [0.62, 0.63, 0.66], 0.9, 0.35);
const DARK_STEEL: Material = mat("dark_steel", [0.28, 0.29, 0.31], 0.8, 0.5);
const CHROME: Material = mat("chrome", [0.85, 0.86, 0.88], 1.0, 0.15);
const CERAMIC: Material = mat("ceramic", [0.92, 0.91, 0.86], 0.0, 0.4);
const BLACK_PLASTIC: Material = mat("black_plastic", [0.05, 0.05, 0.06], 0.0, 0.6);
const GREY_PLASTIC: Material = mat("grey_plastic", [0.35, 0.36, 0.38], 0.0, 0.6);
const RED: Material = mat("red_anodised", [0.6, 0.05, 0.04], 0.6, 0.4);
const GOLD: Material = mat("gold_anodised", [0.75, 0.55, 0.15], 0.7, 0.35);
const COPPER: Material = mat("copper", [0.72, 0.38, 0.2], 1.0, 0.3);
const FILTER_PAPER: Material = mat("filter_paper", [0.85, 0.65, 0.25], 0.0, 0.9);
const ORANGE: Material = mat("orange_paint", [0.85, 0.3, 0.05], 0.2, 0.5);
const LENS: Material = mat("lens", [0.95, 0.95, 0.85], 0.0, 0.05);
const PAD: Material = mat("brake_pad", [0.18, 0.16, 0.14], 0.0, 0.9);

/// The component ids that have a model, each with its shapes.
pub const MODELS: [&str; 10] = [
    "spark_plugs",
    "ignition_coil",
    "battery",
    "air_filter",
    "brake_caliper_front",
    "brake_caliper_rear",
    "chain",
    "fuel_pump",
    "headlight",
    "oil_filter",
];

/// The shapes of one component, centred on its own origin.
fn parts(id: &str) -> Vec<Part> {
    match id {
        "spark_plugs" => vec![
            Part::new(STEEL).prism([0.0, 0.031, 0.0], 0.0035, 0.006, 8, Axis::Y),
            Part::new(CERAMIC).prism([0.0, 0.013, 0.0], 0.0055, 0.03, 10, Axis::Y),
            Part::new(DARK_STEEL)
                .prism([0.0, -0.007, 0.0], 0.009, 0.01, 6, Axis::Y)
                .prism([0.0, -0.022, 0.0], 0.007, 0.02, 10, Axis::Y),
            Part::new(COPPER).cuboid([0.0, -0.0345, 0.0], [0.002, 0.005, 0.002], 0.0),
        ],
        "ignition_coil" => vec![
            Part::new(BLACK_PLASTIC)
                .cuboid([0.0, 0.0, 0.0], [0.06, 0.05, 0.04], 0.0)
                .prism([0.0, -0.04, 0.0], 0.009, 0.03, 10, Axis::Y),
            Part::new(COPPER)
                .cuboid([-0.018, 0.028, 0.0], [0.006, 0.006, 0.006], 0.0)
                .cuboid([0.018, 0.028, 0.0], [0.006, 0.006, 0.006], 0.0),
            Part::new(RED).prism([0.0, -0.058, 0.0], 0.011, 0.01, 10, Axis::Y),
        ],
        "battery" => vec![
            Part::new(BLACK_PLASTIC).cuboid([0.0, 0.0, 0.0], [0.15, 0.13, 0.087], 0.0),
            Part::new(GREY_PLASTIC).cuboid([0.0, 0.07, 0.0], [0.148, 0.01, 0.085], 0.0),
            Part::new(RED).prism([-0.055, 0.083, 0.0], 0.008, 0.016, 10, Axis::Y),
            Part::new(DARK_STEEL).prism([0.055, 0.083, 0.0], 0.008, 0.016, 10, Axis::Y),
        ],
        "air_filter" => {
            let mut pleats = Part::new(FILTER_PAPER);
            for k in 0..13 {
                let x = -0.078 + 0.013 * k as f32;
                pleats = pleats.cuboid([x, 0.0, 0.0], [0.004, 0.045, 0.13], 0.0);
            }
            vec![
                Part::new(GREY_PLASTIC)
                    .cuboid([0.0, -0.026, 0.0], [0.18, 0.008, 0.15], 0.0)
                    .cuboid([0.0, 0.026, 0.0], [0.18, 0.008, 0.15], 0.0),
                pleats,
            ]
        }
        "brake_caliper_front" => caliper(RED, 1.0),
        "brake_caliper_rear" => caliper(GOLD, 0.75),
        "chain" => chain(),
        "fuel_pump" => vec![
            Part::new(STEEL).prism([0.0, 0.0, 0.0], 0.025, 0.1, 12, Axis::Y),
            Part::new(BLACK_PLASTIC).prism([0.0, 0.054, 0.0], 0.04, 0.008, 16, Axis::Y),
            Part::new(DARK_STEEL).prism([0.0, 0.07, 0.018], 0.005, 0.025, 8, Axis::Y),
        ],
        "headlight" => vec![
            Part::new(BLACK_PLASTIC).prism([-0.04, 0.0, 0.0], 0.085, 0.08, 16, Axis::X),
            Part::new(CHROME).prism([0.003, 0.0, 0.0], 0.092, 0.012, 16, Axis::X),
            Part::new(LENS).prism([0.011, 0.0, 0.0], 0.084, 0.006, 16, Axis::X),
        ],
        "oil_filter" => vec![
            Part::new(ORANGE).prism([0.0, 0.0, 0.0], 0.034, 0.065, 16, Axis::Y),
            Part::new(DARK_STEEL).prism([0.0, -0.035, 0.0], 0.03, 0.006, 16, Axis::Y),
        ],
        _ => Vec::new(),
    }
}

/// A two-piston caliper: body with mounting ears, pistons and a pad.
fn caliper(finish: Material, scale: f32) -> Vec<Part> {
    let s = |v: [f32; 3]| v.map(|c| c * scale);
    vec![
        Part::new(finish)
            .cuboid([0.0, 0.0, 0.0], s([0.1, 0.045, 0.04]), 0.0)
            .cuboid(s([-0.055, 0.0, 0.0]), s([0.02, 0.03, 0.012]), 0.0)
            .cuboid(s([0.055, 0.0, 0.0]), s([0.02, 0.03, 0.012]), 0.0),
        Part::new(STEEL)
            .prism(
                s([-0.022, 0.0, 0.024]),
                0.013 * scale,
                0.008 * scale,
                12,
                Axis::Z,
            )
            .prism(
                s([0.022, 0.0, 0.024]),
                0.013 * scale,
                0.008 * scale,
                12,
                Axis::Z,
            ),
        Part::new(PAD).cuboid(s([0.0, -0.005, -0.024]), s([0.085, 0.03, 0.008]), 0.0),
    ]
}

/// A drive chain round its sprockets: links along a stadium-shaped loop in
/// the bike's side plane (x forward, y up), front sprocket at x = +0.28.
fn chain() -> Vec<Part> {
    let (half, front_r, rear_r) = (0.28_f32, 0.04_f32, 0.1_f32);
    let mut plates = Part::new(DARK_STEEL);
    let mut rollers = Part::new(STEEL);
    // Walk the loop's outline, one link every 15.875 mm (520 pitch, 5/8").
    let pitch = 0.015875_f32;
    let top_len = (2.0 * half).hypot(rear_r - front_r);
    let lean = ((rear_r - front_r) / (2.0 * half)).atan();
    let arc_front = std::f32::consts::PI * front_r;
    let arc_rear = std::f32::consts::PI * rear_r;
    let total = 2.0 * top_len + arc_front + arc_rear;
    let links = (total / pitch).round() as u32;
    for k in 0..links {
        let d = total * k as f32 / links as f32;
        let (x, y, angle) = if d < top_len {
            // Top run, rear to front, falling to the smaller sprocket.
            let t = d / top_len;
            (
                -half + 2.0 * half * t,
                rear_r + (front_r - rear_r) * t,
                -lean,
            )
        } else if d < top_len + arc_front {
            let a = std::f32::consts::FRAC_PI_2 - (d - top_len) / front_r;
            (
                half + front_r * a.cos(),
                front_r * a.sin(),
                a - std::f32::consts::FRAC_PI_2,
            )
        } else if d < 2.0 * top_len + arc_front {
            let t = (d - top_len - arc_front) / top_len;
            (
                half - 2.0 * half * t,
                -front_r + (front_r - rear_r) * t,
                std::f32::consts::PI + lean,
            )
        } else {
            let a = -std::f32::consts::FRAC_PI_2 - (d - 2.0 * top_len - arc_front) / rear_r;
            (
                -half + rear_r * a.cos(),
                rear_r * a.sin(),
                a - std::f32::consts::FRAC_PI_2,
            )
        };
        let side = if k % 2 == 0 { 0.0085 } else { 0.0065 };
        plates = plates
            .cuboid([x, y, side], [pitch * 0.95, 0.009, 0.0015], angle)
            .cuboid([x, y, -side], [pitch * 0.95, 0.009, 0.0015], angle);
        rollers = rollers.prism([x, y, 0.0], 0.0034, 0.012, 6, Axis::Z);
    }
    vec![plates, rollers]
}

/// The `.glb` of one component.
pub fn model(id: &str) -> Option<Vec<u8>> {
    let parts = parts(id);
    (!parts.is_empty()).then(|| glb::write(id, &parts))
}

/// Writes every model and every overlay pack under `root/assets`.
pub fn write(root: &Path) -> Result<(), String> {
    let models = root.join("assets").join("models");
    let overlays = root.join("assets").join("overlays");
    for dir in [&models, &overlays] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    for id in MODELS {
        let bytes = model(id).ok_or_else(|| format!("no shapes for {id}"))?;
        let path = models.join(format!("{id}.glb"));
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    eprintln!("wrote {} models in {}", MODELS.len(), models.display());
    for pack in PACKS {
        let path = overlays.join(format!("{}.json", pack.vehicle));
        std::fs::write(&path, pack_json(pack)?).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_models_and_packs_are_what_xtask_assets_makes() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for id in MODELS {
            let path = root.join(format!("assets/models/{id}.glb"));
            let on_disk = std::fs::read(&path).unwrap_or_default();
            assert!(
                Some(on_disk) == model(id),
                "{} is stale: run `cargo xtask assets`",
                path.display()
            );
        }
        for pack in PACKS {
            let path = root.join(format!("assets/overlays/{}.json", pack.vehicle));
            let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                Ok(on_disk) == pack_json(pack),
                "{} is stale: run `cargo xtask assets`",
                path.display()
            );
        }
    }

    #[test]
    fn every_model_is_a_real_size_part() {
        for id in MODELS {
            let parts = parts(id);
            assert!(!parts.is_empty(), "{id} has no shapes");
            let (mut lo, mut hi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
            for p in &parts {
                let (a, b) = p.bounds();
                for i in 0..3 {
                    lo[i] = lo[i].min(a[i]);
                    hi[i] = hi[i].max(b[i]);
                }
            }
            let longest = (0..3).map(|i| hi[i] - lo[i]).fold(0.0, f32::max);
            // From a spark plug (~7 cm) to a chain loop (~80 cm).
            assert!((0.03..1.0).contains(&longest), "{id}: {longest} m");
        }
    }
}
