//! `cargo xtask assets`, AR demo: a recorded camera sequence of the demo
//! bike's marker (`assets/ar/demo/frame-NNN.png`, 12 frames a second), so the
//! app's AR screen, its demo and its tests run without a camera.
//!
//! The frames are colour, drawn with the tracker's own synthetic renderer:
//! the Street 750's marker (DICT_4X4_50 id 7, 8 cm) on a white card on the
//! bike's silver side cover, under the seat, between the blue tank and
//! the engine and the rear shock absorber, in a workshop (a warm wall with a bench and a
//! tool chest, a concrete floor), seen by a hand-held phone that sways
//! slowly left and right. The bike moves in the picture with the marker;
//! the far wall moves less. The tracker reads their luma, as it reads a
//! camera's.

use std::path::Path;

use ridewire_ar::RgbaImage;
use ridewire_ar::geometry::{mul, rodrigues_from_rotation, rotation_about};
use ridewire_ar::pose::{Intrinsics, Pose};
use ridewire_ar::synthetic::{Background, PlacedMarker, Scene, render_colour};

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
    let (yaw, tvec) = sway(k);
    // Facing the camera: marker x = camera x, y = −y, z = −z.
    let facing = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]];
    let turn = rotation_about([0.0, 1.0, 0.0], yaw.cos(), yaw.sin());
    Pose {
        rvec: rodrigues_from_rotation(&mul(&turn, &facing)),
        tvec,
    }
}

/// The phone's turn (radians) and the marker's position in frame `k`.
fn sway(k: usize) -> (f64, [f64; 3]) {
    let phase = std::f64::consts::TAU * k as f64 / FRAMES as f64;
    let yaw = 12f64.to_radians() * phase.sin();
    (
        yaw,
        [0.12 + 0.05 * phase.sin(), 0.02 * (2.0 * phase).sin(), 1.1],
    )
}

/// An RGB colour.
type Rgb = [f64; 3];

/// Mixes `top` over `base` by `cover` (0 to 1).
fn over(base: Rgb, top: Rgb, cover: f64) -> Rgb {
    let c = cover.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| base[i] + (top[i] - base[i]) * c)
}

/// Between `a` and `b` by `t` (0 to 1).
fn blend(a: Rgb, b: Rgb, t: f64) -> Rgb {
    over(a, b, t)
}

/// How much of a pixel a shape covers, from the signed distance (pixels,
/// negative inside) of the pixel's centre to its outline: smooth edges.
fn cover(distance: f64) -> f64 {
    (0.5 - distance).clamp(0.0, 1.0)
}

/// Signed distance to a rectangle (centre, half sizes) with rounded
/// corners of radius `r`.
fn rounded_rect(p: [f64; 2], centre: [f64; 2], half: [f64; 2], r: f64) -> f64 {
    let qx = (p[0] - centre[0]).abs() - half[0] + r;
    let qy = (p[1] - centre[1]).abs() - half[1] + r;
    qx.max(0.0).hypot(qy.max(0.0)) + qx.max(qy).min(0.0) - r
}

/// The workshop behind the bike at pixel `p` (already shifted for
/// parallax): a warm wall lit from above, a bench, a green tool chest, the
/// skirting and a concrete floor.
fn workshop(p: [f64; 2]) -> Rgb {
    const FLOOR_Y: f64 = 400.0;
    let y = p[1];
    let mut c = if y < FLOOR_Y {
        blend([214.0, 178.0, 132.0], [168.0, 128.0, 92.0], y / FLOOR_Y)
    } else {
        blend(
            [128.0, 128.0, 124.0],
            [92.0, 94.0, 96.0],
            (y - FLOOR_Y) / (HEIGHT as f64 - FLOOR_Y),
        )
    };
    // The skirting board.
    c = over(c, [70.0, 52.0, 40.0], cover((y - FLOOR_Y).abs() - 5.0));
    // The bench: a wooden top on two dark legs.
    c = over(
        c,
        [150.0, 98.0, 52.0],
        cover(rounded_rect(p, [120.0, 300.0], [190.0, 9.0], 2.0)),
    );
    for leg in [-60.0, 290.0] {
        c = over(
            c,
            [60.0, 56.0, 54.0],
            cover(rounded_rect(p, [leg, 355.0], [7.0, 46.0], 1.0)),
        );
    }
    // The tool chest and its drawers.
    c = over(
        c,
        [38.0, 112.0, 84.0],
        cover(rounded_rect(p, [930.0, 300.0], [110.0, 100.0], 6.0)),
    );
    for drawer in 0..4 {
        let dy = 228.0 + 40.0 * f64::from(drawer);
        c = over(
            c,
            [205.0, 205.0, 200.0],
            cover(rounded_rect(p, [930.0, dy], [60.0, 3.0], 3.0)),
        );
    }
    c
}

/// The bike at pixel `p`, over `c`. `centre` is the marker's centre in the
/// picture, `scale` pixels a metre, `squash` the horizontal shortening of
/// the turned side; the bike's own coordinates are metres from the marker,
/// x towards the back, y up. Mostly upright rectangles: their edges repeat
/// row after row, which keeps the PNGs small.
fn bike(p: [f64; 2], c: Rgb, centre: [f64; 2], scale: f64, squash: f64) -> Rgb {
    let at = |x: f64, y: f64| [centre[0] + x * scale * squash, centre[1] - y * scale];
    let size = |w: f64, h: f64| [w * scale * squash, h * scale];
    let len = |m: f64| m * scale;
    let part = |c: Rgb, colour: Rgb, x: f64, y: f64, w: f64, h: f64, r: f64| {
        over(
            c,
            colour,
            cover(rounded_rect(p, at(x, y), size(w, h), len(r))),
        )
    };
    let mut c = c;
    // The rear shock absorber: a spring over its damper.
    c = part(c, [40.0, 40.0, 44.0], 0.42, -0.18, 0.02, 0.16, 0.0);
    for coil in 0..6 {
        let y = -0.06 - 0.045 * f64::from(coil);
        c = part(c, [214.0, 176.0, 48.0], 0.42, y, 0.04, 0.008, 0.0);
    }
    // The frame's down tube, the engine and its fins, the exhaust.
    c = part(c, [24.0, 24.0, 26.0], -0.66, -0.06, 0.025, 0.28, 0.0);
    c = part(c, [72.0, 72.0, 78.0], -0.36, -0.20, 0.22, 0.16, 0.03);
    for fin in 0..5 {
        let y = -0.10 - 0.045 * f64::from(fin);
        c = part(c, [118.0, 118.0, 124.0], -0.36, y, 0.18, 0.006, 0.0);
    }
    c = part(c, [196.0, 196.0, 200.0], -0.20, -0.29, 0.56, 0.025, 0.02);
    // The tank, with a highlight.
    c = part(c, [26.0, 64.0, 138.0], -0.42, 0.20, 0.30, 0.12, 0.04);
    c = part(c, [70.0, 118.0, 196.0], -0.47, 0.26, 0.16, 0.025, 0.02);
    // The seat, then the side cover the marker is stuck on.
    c = part(c, [44.0, 34.0, 30.0], 0.20, 0.15, 0.36, 0.045, 0.04);
    let top = at(0.0, 0.10)[1];
    let sheen = blend(
        [178.0, 180.0, 186.0],
        [128.0, 130.0, 136.0],
        (p[1] - top) / len(0.20),
    );
    part(c, sheen, 0.01, 0.0, 0.12, 0.10, 0.025)
}

/// The colour picture behind the marker in frame `k`.
fn backdrop(k: usize, intrinsics: &Intrinsics) -> RgbaImage {
    let (yaw, t) = sway(k);
    let (_, t0) = sway(0);
    let project = |t: [f64; 3]| {
        [
            intrinsics.cx + intrinsics.fx * t[0] / t[2],
            intrinsics.cy + intrinsics.fy * t[1] / t[2],
        ]
    };
    let centre = project(t);
    let first = project(t0);
    // The wall is further away than the bike: it moves less.
    let parallax = [0.3 * (centre[0] - first[0]), 0.3 * (centre[1] - first[1])];
    let scale = intrinsics.fx / t[2];
    let mut image = RgbaImage::new(WIDTH, HEIGHT);
    for (i, px) in image.pixels_mut().chunks_exact_mut(4).enumerate() {
        let p = [(i % WIDTH) as f64, (i / WIDTH) as f64];
        let wall = workshop([p[0] - parallax[0], p[1] - parallax[1]]);
        let c = bike(p, wall, centre, scale, yaw.cos());
        px.copy_from_slice(&[c[0], c[1], c[2], 255.0].map(|v| v.round().clamp(0.0, 255.0) as u8));
    }
    image
}

/// The colour pixels of frame `k`.
pub fn frame_colour(k: usize) -> Result<RgbaImage, String> {
    let intrinsics =
        Intrinsics::from_fov(WIDTH, HEIGHT, FOV_DEG).map_err(|e| format!("intrinsics: {e}"))?;
    let scene = Scene {
        width: WIDTH,
        height: HEIGHT,
        intrinsics,
        // Unused: the backdrop takes its place.
        background: Background::Flat(0),
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
    let mut image = RgbaImage::default();
    render_colour(&scene, &backdrop(k, &intrinsics), &mut image);
    Ok(image)
}

/// The grey pixels of frame `k`, as the app reads them from its PNG.
#[cfg(test)]
fn frame(k: usize) -> Result<ridewire_ar::LumaImage, String> {
    let mut luma = ridewire_ar::LumaImage::default();
    frame_colour(k)?.luma_into(&mut luma);
    Ok(luma)
}

/// Frame `k` as PNG bytes (RGB: the alpha is always opaque).
pub fn frame_png(k: usize) -> Result<Vec<u8>, String> {
    let image = frame_colour(k)?;
    let rgb: Vec<u8> = image
        .pixels()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH as u32, HEIGHT as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("demo frame: {e}"))?;
    writer
        .write_image_data(&rgb)
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

#[cfg(test)]
mod size_probe {
    use super::*;
    #[test]
    fn probe() {
        let mut total = 0;
        for k in 0..FRAMES {
            total += frame_png(k).unwrap().len();
        }
        eprintln!("all frames: {total}");
        let k = Intrinsics::from_fov(WIDTH, HEIGHT, FOV_DEG).unwrap();
        let b = backdrop(0, &k);
        let enc = |img: &RgbaImage| {
            let rgb: Vec<u8> = img
                .pixels()
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect();
            let mut out = Vec::new();
            let mut e = png::Encoder::new(&mut out, WIDTH as u32, HEIGHT as u32);
            e.set_color(png::ColorType::Rgb);
            e.set_compression(png::Compression::High);
            let mut w = e.write_header().unwrap();
            w.write_image_data(&rgb).unwrap();
            w.finish().unwrap();
            out.len()
        };
        eprintln!("backdrop {}", enc(&b));
        for blur in [0.0, 0.6] {
            let scene = Scene {
                width: WIDTH,
                height: HEIGHT,
                intrinsics: k,
                background: Background::Flat(0),
                markers: vec![],
                blur_sigma: blur,
                noise_sigma: 0.0,
                effects: Default::default(),
                seed: 0,
            };
            let mut out = RgbaImage::default();
            render_colour(&scene, &b, &mut out);
            eprintln!("blur {blur}: {}", enc(&out));
        }
    }
}
