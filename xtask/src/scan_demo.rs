//! `cargo xtask assets`, AR demo: a recorded camera sequence of the demo
//! bike's marker (`assets/ar/demo/frame-NNN.png`, 12 frames a second), so the
//! app's AR screen, its demo and its tests run without a camera.
//!
//! The frames are drawn with the tracker's own synthetic renderer: the
//! Street 750's marker (DICT_4X4_50 id 7, 8 cm) on a grey side cover, seen
//! by a hand-held phone that sways slowly left and right.

use std::path::Path;

use ridewire_ar::LumaImage;
use ridewire_ar::geometry::{mul, rodrigues_from_rotation, rotation_about};
use ridewire_ar::pose::{Intrinsics, Pose};
use ridewire_ar::synthetic::{Background, PlacedMarker, Scene, render};

/// Frame size of the demo sequence.
pub const WIDTH: usize = 960;
/// Frame height of the demo sequence.
pub const HEIGHT: usize = 540;
/// How many frames (four seconds at 12 fps).
pub const FRAMES: usize = 48;
/// The field of view the app assumes without a calibration file.
pub const FOV_DEG: f64 = 60.0;
/// The marker of the demo bike's overlay pack.
const MARKER_ID: u16 = 7;
const MARKER_SIZE_M: f64 = 0.08;

/// Where the marker is in frame `k`: 1.1 m away, a little right of centre,
/// the phone turning ±12° about the vertical and bobbing a few millimetres.
pub fn pose(k: usize) -> Pose {
    let phase = std::f64::consts::TAU * k as f64 / FRAMES as f64;
    let yaw = 12f64.to_radians() * phase.sin();
    // Facing the camera: marker x = camera x, y = −y, z = −z.
    let facing = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]];
    let turn = rotation_about([0.0, 1.0, 0.0], yaw.cos(), yaw.sin());
    Pose {
        rvec: rodrigues_from_rotation(&mul(&turn, &facing)),
        tvec: [0.12 + 0.05 * phase.sin(), 0.02 * (2.0 * phase).sin(), 1.1],
    }
}

/// The grey pixels of frame `k`.
pub fn frame(k: usize) -> Result<LumaImage, String> {
    let intrinsics =
        Intrinsics::from_fov(WIDTH, HEIGHT, FOV_DEG).map_err(|e| format!("intrinsics: {e}"))?;
    let scene = Scene {
        width: WIDTH,
        height: HEIGHT,
        intrinsics,
        background: Background::Gradient,
        markers: vec![PlacedMarker {
            id: MARKER_ID,
            size: MARKER_SIZE_M,
            pose: pose(k),
        }],
        blur_sigma: 0.6,
        noise_sigma: 0.0,
        effects: Default::default(),
        seed: k as u64,
    };
    let mut image = LumaImage::new(WIDTH, HEIGHT);
    render(&scene, &mut image);
    Ok(image)
}

/// Frame `k` as PNG bytes.
pub fn frame_png(k: usize) -> Result<Vec<u8>, String> {
    let image = frame(k)?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH as u32, HEIGHT as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("demo frame: {e}"))?;
    writer
        .write_image_data(image.pixels())
        .map_err(|e| format!("demo frame: {e}"))?;
    writer.finish().map_err(|e| format!("demo frame: {e}"))?;
    Ok(out)
}

/// Writes the sequence under `root/assets/ar/demo`.
pub fn write(root: &Path) -> Result<(), String> {
    let dir = root.join("assets").join("ar").join("demo");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for k in 0..FRAMES {
        let path = dir.join(format!("frame-{k:03}.png"));
        std::fs::write(&path, frame_png(k)?).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    eprintln!("wrote {FRAMES} demo frames in {}", dir.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_demo_frames_are_what_xtask_assets_draws() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/ar/demo");
        for k in [0, FRAMES / 3, FRAMES - 1] {
            let path = dir.join(format!("frame-{k:03}.png"));
            let on_disk = std::fs::read(&path).unwrap_or_default();
            assert!(
                Ok(on_disk) == frame_png(k),
                "{} is stale: run `cargo xtask assets`",
                path.display()
            );
        }
    }

    #[test]
    fn the_tracker_finds_the_demo_marker_in_every_frame() {
        let mut detector = ridewire_ar::Detector::new(Default::default());
        for k in 0..FRAMES {
            let found = detector.detect(&frame(k).expect("frame"));
            assert_eq!(found.len(), 1, "frame {k}");
            assert_eq!(found[0].id, MARKER_ID, "frame {k}");
            // ~60 px wide: comfortably above the tracker's 40 px target.
            assert!(
                found[0].side_px() > 50.0,
                "frame {k}: {}",
                found[0].side_px()
            );
        }
    }
}
