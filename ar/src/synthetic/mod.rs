//! Synthetic camera frames with known ground truth: `DICT_4X4_50` markers
//! drawn at a known pose over varied backgrounds, with blur and sensor
//! noise. The tests and the benchmark measure the tracker against these,
//! and the same drawing gives printable markers. Over a colour backdrop
//! ([`render_colour`]) it draws the app's demo recording.

mod effects;

pub use effects::CameraEffects;

use crate::dictionary::{DICT_4X4_50, MARKER_BITS, bit};
use crate::geometry::{Mat3, Point, apply_homography, invert, mul, mul_vec};
use crate::image::{LumaImage, RgbaImage};
use crate::pose::{Intrinsics, Pose, project_corners};

/// A small deterministic random generator (SplitMix64): the same seed
/// gives the same frames on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.range(1e-12, 1.0);
        let u2 = self.range(0.0, 1.0);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Whether the cell at `row`, `col` of marker `id`'s 6×6 grid (border
/// included) is white, as OpenCV's `generateImageMarker` draws it.
pub fn marker_cell_is_white(id: u16, row: usize, col: usize) -> bool {
    let n = MARKER_BITS + 2;
    if row == 0 || col == 0 || row >= n - 1 || col >= n - 1 {
        return false;
    }
    DICT_4X4_50
        .get(id as usize)
        .is_some_and(|&code| bit(code, row - 1, col - 1))
}

/// Marker `id` as a printable grey image: `cell_px` pixels per cell and a
/// white margin of `margin_cells` cells all round (a printed marker needs
/// light around its black border to be found). `None` for ids outside
/// `DICT_4X4_50` or a zero cell size.
pub fn marker_image(id: u16, cell_px: usize, margin_cells: usize) -> Option<LumaImage> {
    if id as usize >= DICT_4X4_50.len() || cell_px == 0 {
        return None;
    }
    let cells = MARKER_BITS + 2 + 2 * margin_cells;
    let side = cells * cell_px;
    let mut img = LumaImage::new(side, side);
    for (i, px) in img.pixels_mut().iter_mut().enumerate() {
        let (row, col) = ((i / side) / cell_px, (i % side) / cell_px);
        let in_marker = |v: usize| v >= margin_cells && v < margin_cells + MARKER_BITS + 2;
        let white = !(in_marker(row) && in_marker(col))
            || marker_cell_is_white(id, row - margin_cells, col - margin_cells);
        *px = if white { 255 } else { 0 };
    }
    Some(img)
}

/// What lies behind the markers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Background {
    /// One grey level.
    Flat(u8),
    /// A linear ramp across the frame (uneven light).
    Gradient,
    /// Smooth random blotches at several scales (concrete, paintwork).
    Blotches,
    /// Dark strokes and letter-like blobs on light paper.
    Text,
    /// Random dark squares and quads, some with inner squares: the shapes
    /// most like a marker without being one.
    Squares,
}

/// A marker placed in the scene.
#[derive(Debug, Clone, Copy)]
pub struct PlacedMarker {
    /// `DICT_4X4_50` id.
    pub id: u16,
    /// Side of the black square, metres.
    pub size: f64,
    /// Where it is.
    pub pose: Pose,
}

/// A scene to draw.
#[derive(Debug, Clone)]
pub struct Scene {
    /// Frame width, pixels.
    pub width: usize,
    /// Frame height, pixels.
    pub height: usize,
    /// The camera.
    pub intrinsics: Intrinsics,
    /// Behind the markers.
    pub background: Background,
    /// The markers (each drawn on a white card one cell wider all round).
    pub markers: Vec<PlacedMarker>,
    /// Gaussian blur, pixels (0 for none).
    pub blur_sigma: f64,
    /// Sensor noise standard deviation, grey levels.
    pub noise_sigma: f64,
    /// Motion smear, rolling shutter and compression.
    pub effects: CameraEffects,
    /// Seed for the background and the noise.
    pub seed: u64,
}

/// Draws the scene into `out` and returns each marker's true corners
/// (OpenCV order, pixel centres at integers), `None` for markers behind
/// the camera.
pub fn render(scene: &Scene, out: &mut LumaImage) -> Vec<Option<[Point; 4]>> {
    let (w, h) = (scene.width, scene.height);
    out.resize(w, h);
    let mut rng = Rng::new(scene.seed);
    let mut plane = vec![0.0f64; w * h];
    draw_background(scene.background, w, h, &mut rng, &mut plane);
    let truth = draw_markers(scene, &mut plane);
    develop(scene, &mut plane, &mut rng, out.pixels_mut());
    truth
}

/// Draws the scene's markers over a colour `backdrop` (in place of
/// `scene.background`) into `out`, each channel seen through the same
/// camera as [`render`] (blur, motion, rolling shutter, noise, JPEG), and
/// returns the markers' true corners as [`render`] does. The cards are
/// neutral, as printed paper is; a backdrop of another size than the
/// scene's is black where it does not reach.
pub fn render_colour(
    scene: &Scene,
    backdrop: &RgbaImage,
    out: &mut RgbaImage,
) -> Vec<Option<[Point; 4]>> {
    let (w, h) = (scene.width, scene.height);
    out.resize(w, h);
    let mut rng = Rng::new(scene.seed);
    let mut truth = Vec::new();
    let mut channel = vec![0u8; w * h];
    for c in 0..3 {
        let mut plane: Vec<f64> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if x < backdrop.width() && y < backdrop.height() {
                    f64::from(backdrop.get(x, y)[c])
                } else {
                    0.0
                }
            })
            .collect();
        truth = draw_markers(scene, &mut plane);
        develop(scene, &mut plane, &mut rng, &mut channel);
        for (o, v) in out.pixels_mut().chunks_exact_mut(4).zip(&channel) {
            o[c] = *v;
            o[3] = 255;
        }
    }
    truth
}

/// Draws the markers on their cards into the plane; their true corners.
fn draw_markers(scene: &Scene, plane: &mut [f64]) -> Vec<Option<[Point; 4]>> {
    let mut truth = Vec::new();
    for m in &scene.markers {
        let corners = project_corners(&m.pose, m.size, &scene.intrinsics);
        truth.push(corners.map(|c| c.map(|p| scene.effects.displace(p, scene.height))));
        draw_marker(scene, m, plane);
    }
    truth
}

/// What the camera does to the light falling on it: blur, motion smear,
/// rolling shutter, sensor noise, 8-bit levels and compression.
fn develop(scene: &Scene, plane: &mut [f64], rng: &mut Rng, out: &mut [u8]) {
    let (w, h) = (scene.width, scene.height);
    if scene.blur_sigma > 0.0 {
        gaussian_blur(plane, w, h, scene.blur_sigma);
    }
    effects::motion_blur(plane, w, h, scene.effects.motion_px);
    effects::rolling_shutter(plane, w, h, &scene.effects);
    for (o, v) in out.iter_mut().zip(plane.iter()) {
        let noisy = v + scene.noise_sigma
            * if scene.noise_sigma > 0.0 {
                rng.normal()
            } else {
                0.0
            };
        *o = noisy.round().clamp(0.0, 255.0) as u8;
    }
    if let Some(quality) = scene.effects.jpeg_quality {
        effects::jpeg_roundtrip(out, w, h, quality);
    }
}

fn draw_background(kind: Background, w: usize, h: usize, rng: &mut Rng, plane: &mut [f64]) {
    match kind {
        Background::Flat(v) => plane.fill(v as f64),
        Background::Gradient => {
            let (a, b) = (rng.range(40.0, 120.0), rng.range(150.0, 240.0));
            let angle = rng.range(0.0, std::f64::consts::TAU);
            let (c, s) = (angle.cos(), angle.sin());
            let span = (w as f64).hypot(h as f64);
            for y in 0..h {
                for x in 0..w {
                    let t = ((x as f64 - w as f64 / 2.0) * c + (y as f64 - h as f64 / 2.0) * s)
                        / span
                        + 0.5;
                    plane[y * w + x] = a + (b - a) * t;
                }
            }
        }
        Background::Blotches => {
            plane.fill(128.0);
            for (cell, amp) in [(64usize, 60.0), (16, 30.0), (4, 15.0)] {
                let gw = w / cell + 2;
                let gh = h / cell + 2;
                let grid: Vec<f64> = (0..gw * gh).map(|_| rng.range(-amp, amp)).collect();
                for y in 0..h {
                    let gy = y as f64 / cell as f64;
                    let (y0, fy) = (gy as usize, gy.fract());
                    for x in 0..w {
                        let gx = x as f64 / cell as f64;
                        let (x0, fx) = (gx as usize, gx.fract());
                        let v00 = grid[y0 * gw + x0];
                        let v10 = grid[y0 * gw + x0 + 1];
                        let v01 = grid[(y0 + 1) * gw + x0];
                        let v11 = grid[(y0 + 1) * gw + x0 + 1];
                        let top = v00 + (v10 - v00) * fx;
                        let bottom = v01 + (v11 - v01) * fx;
                        plane[y * w + x] += top + (bottom - top) * fy;
                    }
                }
            }
        }
        Background::Text => {
            plane.fill(rng.range(190.0, 235.0));
            let line_h = rng.range(10.0, 30.0);
            let mut y = line_h;
            while y + line_h < h as f64 {
                let mut x = rng.range(5.0, 30.0);
                while x < w as f64 - 20.0 {
                    let gw = rng.range(0.4, 0.8) * line_h;
                    let strokes = 1 + (rng.next_u64() % 3) as usize;
                    for _ in 0..strokes {
                        let x0 = x + rng.range(0.0, gw * 0.6);
                        let y0 = y - rng.range(0.0, line_h * 0.8);
                        let x1 = x0 + rng.range(line_h * 0.08, gw);
                        let y1 = y0 + rng.range(line_h * 0.08, line_h * 0.8);
                        fill_rect(plane, w, h, x0, y0, x1, y1, rng.range(10.0, 60.0));
                    }
                    x += gw + rng.range(2.0, 12.0);
                }
                y += line_h * rng.range(1.3, 1.8);
            }
        }
        Background::Squares => {
            plane.fill(rng.range(150.0, 230.0));
            let n = 20 + (rng.next_u64() % 40) as usize;
            for _ in 0..n {
                let s = rng.range(12.0, 120.0);
                let cx = rng.range(0.0, w as f64);
                let cy = rng.range(0.0, h as f64);
                let dark = rng.range(0.0, 80.0);
                let angle = rng.range(0.0, std::f64::consts::FRAC_PI_2);
                fill_rotated_square(plane, w, h, cx, cy, s, angle, dark);
                // Some get a light square inside, and a dark dot in that:
                // a black-bordered square with content, but not a code.
                if rng.next_u64().is_multiple_of(2) {
                    fill_rotated_square(plane, w, h, cx, cy, s * 0.6, angle, 230.0);
                    if rng.next_u64().is_multiple_of(2) {
                        let dx = rng.range(-0.15, 0.15) * s;
                        let dy = rng.range(-0.15, 0.15) * s;
                        fill_rotated_square(plane, w, h, cx + dx, cy + dy, s * 0.2, angle, dark);
                    }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn fill_rect(plane: &mut [f64], w: usize, h: usize, x0: f64, y0: f64, x1: f64, y1: f64, v: f64) {
    let (xa, xb) = (
        x0.max(0.0) as usize,
        (x1.min(w as f64 - 1.0)).max(0.0) as usize,
    );
    let (ya, yb) = (
        y0.max(0.0) as usize,
        (y1.min(h as f64 - 1.0)).max(0.0) as usize,
    );
    for y in ya..=yb.min(h - 1) {
        for x in xa..=xb.min(w - 1) {
            plane[y * w + x] = v;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn fill_rotated_square(
    plane: &mut [f64],
    w: usize,
    h: usize,
    cx: f64,
    cy: f64,
    s: f64,
    angle: f64,
    v: f64,
) {
    let (c, sn) = (angle.cos(), angle.sin());
    let r = s * 0.75;
    let (xa, xb) = (
        (cx - r).max(0.0) as usize,
        ((cx + r).max(0.0) as usize).min(w - 1),
    );
    let (ya, yb) = (
        (cy - r).max(0.0) as usize,
        ((cy + r).max(0.0) as usize).min(h - 1),
    );
    for y in ya..=yb {
        for x in xa..=xb {
            let (dx, dy) = (x as f64 - cx, y as f64 - cy);
            let (u, t) = (dx * c + dy * sn, -dx * sn + dy * c);
            if u.abs() <= s / 2.0 && t.abs() <= s / 2.0 {
                plane[y * w + x] = v;
            }
        }
    }
}

/// Grey levels of the printed marker (ink is never fully black, paper
/// never fully white under real light).
const INK: f64 = 25.0;
const PAPER: f64 = 225.0;
/// Sub-samples per pixel side: edges are area-averaged like a real sensor.
const SUPERSAMPLE: usize = 4;

fn draw_marker(scene: &Scene, m: &PlacedMarker, plane: &mut [f64]) {
    let (w, h) = (scene.width, scene.height);
    let k = &scene.intrinsics;
    let r = m.pose.rotation();
    let rt: Mat3 = [
        [r[0][0], r[0][1], m.pose.tvec[0]],
        [r[1][0], r[1][1], m.pose.tvec[1]],
        [r[2][0], r[2][1], m.pose.tvec[2]],
    ];
    // Pixels map back onto the marker's plane through the ideal (undistorted)
    // normalised coordinates, so lens distortion is drawn too.
    let Some(to_plane) = invert(&rt) else {
        return;
    };
    let cells = (MARKER_BITS + 2) as f64;
    let cell = m.size / cells;
    let card = m.size / 2.0 + cell;
    // Bounding box of the card in the image: its outline, sampled densely
    // because distortion bends the sides outwards or inwards.
    let mut lo = Point::new(f64::INFINITY, f64::INFINITY);
    let mut hi = Point::new(f64::NEG_INFINITY, f64::NEG_INFINITY);
    for i in 0..=64 {
        let t = -card + 2.0 * card * i as f64 / 64.0;
        for (x, y) in [(t, -card), (t, card), (-card, t), (card, t)] {
            let c = mul_vec(&rt, [x, y, 1.0]);
            let Some(p) = k.project(c) else {
                return;
            };
            lo = Point::new(lo.x.min(p.x), lo.y.min(p.y));
            hi = Point::new(hi.x.max(p.x), hi.y.max(p.y));
        }
    }
    let x0 = (lo.x.floor() - 1.0).max(0.0) as usize;
    let y0 = (lo.y.floor() - 1.0).max(0.0) as usize;
    let x1 = ((hi.x.ceil() + 1.0).max(0.0) as usize).min(w - 1);
    let y1 = ((hi.y.ceil() + 1.0).max(0.0) as usize).min(h - 1);
    let n = SUPERSAMPLE as f64;
    for py in y0..=y1 {
        for px in x0..=x1 {
            let (mut sum, mut hits) = (0.0, 0usize);
            for sy in 0..SUPERSAMPLE {
                for sx in 0..SUPERSAMPLE {
                    let ix = px as f64 + (sx as f64 + 0.5) / n - 0.5;
                    let iy = py as f64 + (sy as f64 + 0.5) / n - 0.5;
                    let n = k.normalise(Point::new(ix, iy));
                    let Some(q) = apply_homography(&to_plane, n) else {
                        continue;
                    };
                    if q.x.abs() > card || q.y.abs() > card {
                        continue;
                    }
                    hits += 1;
                    // Marker frame: x right, y up; cell rows count from the top.
                    let col = ((q.x + m.size / 2.0) / cell).floor();
                    let row = ((m.size / 2.0 - q.y) / cell).floor();
                    let inside = (0.0..cells).contains(&col) && (0.0..cells).contains(&row);
                    let white = !inside || marker_cell_is_white(m.id, row as usize, col as usize);
                    sum += if white { PAPER } else { INK };
                }
            }
            if hits > 0 {
                let i = py * w + px;
                let cover = hits as f64 / (n * n);
                plane[i] = plane[i] * (1.0 - cover) + sum / (n * n);
            }
        }
    }
}

/// Separable Gaussian blur in place.
fn gaussian_blur(plane: &mut [f64], w: usize, h: usize, sigma: f64) {
    let r = (sigma * 3.0).ceil() as isize;
    let kernel: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let kernel: Vec<f64> = kernel.iter().map(|k| k / total).collect();
    let mut tmp = vec![0.0; w * h];
    let clamp = |v: isize, n: usize| v.clamp(0, n as isize - 1) as usize;
    for y in 0..h {
        for x in 0..w {
            tmp[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, kv)| kv * plane[y * w + clamp(x as isize + k as isize - r, w)])
                .sum();
        }
    }
    for y in 0..h {
        for x in 0..w {
            plane[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, kv)| kv * tmp[clamp(y as isize + k as isize - r, h) * w + x])
                .sum();
        }
    }
}

/// A random marker pose whose marker, seen face-on, would be between
/// `min_px` and `max_px` pixels wide, tilted away from the camera by up to
/// `max_tilt_deg`, turned to any angle in its own plane, and placed so that
/// its white card lies inside the frame.
#[allow(clippy::too_many_arguments)]
pub fn random_pose(
    rng: &mut Rng,
    k: &Intrinsics,
    width: usize,
    height: usize,
    size: f64,
    min_px: f64,
    max_px: f64,
    max_tilt_deg: f64,
) -> Pose {
    use crate::geometry::{rodrigues_from_rotation, rotation_about};
    let px = rng.range(min_px, max_px);
    let z = k.fx * size / px;
    // Facing the camera: marker x = camera x, marker y = camera −y, marker z = camera −z.
    let facing: Mat3 = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]];
    let roll = rng.range(0.0, std::f64::consts::TAU);
    let spin = rotation_about([0.0, 0.0, 1.0], roll.cos(), roll.sin());
    let tilt = rng.range(0.0, max_tilt_deg).to_radians();
    let axis_angle = rng.range(0.0, std::f64::consts::TAU);
    let tilt_r = rotation_about(
        [axis_angle.cos(), axis_angle.sin(), 0.0],
        tilt.cos(),
        tilt.sin(),
    );
    let r = mul(&tilt_r, &mul(&facing, &spin));
    // Keep the card (1.33 × the marker) and a margin inside the frame.
    let reach = px * 0.5 * 1.34 * std::f64::consts::SQRT_2 + 6.0;
    let u = rng.range(reach, (width as f64 - reach).max(reach + 1.0));
    let v = rng.range(reach, (height as f64 - reach).max(reach + 1.0));
    Pose {
        rvec: rodrigues_from_rotation(&r),
        tvec: [(u - k.cx) / k.fx * z, (v - k.cy) / k.fy * z, z],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colour_scene_shows_the_marker_where_the_grey_one_does() {
        let k = Intrinsics::from_fov(320, 240, 60.0).unwrap();
        let mut scene = Scene {
            width: 320,
            height: 240,
            intrinsics: k,
            background: Background::Flat(0),
            markers: vec![PlacedMarker {
                id: 3,
                size: 0.05,
                pose: Pose {
                    rvec: [std::f64::consts::PI, 0.0, 0.0],
                    tvec: [0.0, 0.0, k.fx * 0.05 / 60.0],
                },
            }],
            blur_sigma: 0.5,
            noise_sigma: 1.0,
            effects: Default::default(),
            seed: 9,
        };
        let mut backdrop = RgbaImage::new(320, 240);
        for p in backdrop.pixels_mut().chunks_exact_mut(4) {
            p.copy_from_slice(&[40, 120, 200, 255]);
        }
        let mut colour = RgbaImage::default();
        let truth = render_colour(&scene, &backdrop, &mut colour);
        // The backdrop far from the card, the card's paper neutral.
        let [r, g, b, a] = colour.get(10, 10);
        assert!(r.abs_diff(40) <= 4 && g.abs_diff(120) <= 4 && b.abs_diff(200) <= 4);
        assert_eq!(a, 255);
        let [r, g, b, _] = colour.get(160 + 33, 120);
        assert!(r.abs_diff(b) <= 6 && r > 200, "card {r} {g} {b}");
        let mut luma = LumaImage::default();
        colour.luma_into(&mut luma);
        let found = crate::Detector::default().detect(&luma);
        assert_eq!(found.iter().map(|m| m.id).collect::<Vec<_>>(), vec![3]);
        scene.background = Background::Flat(128);
        assert_eq!(render(&scene, &mut LumaImage::default()), truth);
        for (c, t) in found[0].corners.iter().zip(truth[0].unwrap()) {
            assert!(c.distance(t) < 0.5, "{c:?} vs {t:?}");
        }
    }

    #[test]
    fn printable_markers_are_read_back_with_their_id() {
        let mut detector = crate::Detector::default();
        for id in [0u16, 17, 49] {
            let img = marker_image(id, 10, 2).unwrap();
            assert_eq!(img.width(), 100);
            let found = detector.detect(&img);
            assert_eq!(found.iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
            // The black square spans pixels 20..=79: its outer edges lie
            // half a pixel outside those centres.
            let tl = found[0].corners[0];
            assert!(
                (tl.x - 19.5).abs() < 0.1 && (tl.y - 19.5).abs() < 0.1,
                "{tl:?}"
            );
        }
        assert!(marker_image(50, 10, 1).is_none());
    }
}
