//! What a real camera does to a frame beyond lens blur and sensor noise:
//! smear while the bike or the phone moves, a rolling shutter that reads
//! rows one after another while the picture moves, and JPEG compression
//! (webcams stream MJPEG; phones hand over compressed video). Used to test
//! the tracker on frames closer to real footage than a still, clean render.

use crate::geometry::Point;

/// Camera effects applied to a synthetic frame, in the order a camera
/// applies them: motion smear, rolling shutter, (sensor noise), JPEG.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CameraEffects {
    /// How far the picture moves during the exposure, pixels (x, y). The
    /// smear is centred on the scene's pose (the mid-exposure position).
    pub motion_px: [f64; 2],
    /// Rolling shutter: how far the picture moves sideways between reading
    /// the first and the last row, pixels.
    pub rolling_shutter_px: f64,
    /// JPEG quality (1–100, the IJG scale), `None` for uncompressed.
    pub jpeg_quality: Option<u8>,
}

impl CameraEffects {
    /// What a hand-held phone or a webcam adds, drawn from `rng`: up to
    /// 6 px of smear in any direction (1/60 s while moving), up to 8 px of
    /// rolling-shutter skew either way, and JPEG at quality 50–90 (webcam
    /// MJPEG, phone video). The tests and `cargo xtask bench ar` use it.
    pub fn hand_held(rng: &mut super::Rng) -> Self {
        let angle = rng.range(0.0, std::f64::consts::TAU);
        let smear = rng.range(0.0, 6.0);
        CameraEffects {
            motion_px: [smear * angle.cos(), smear * angle.sin()],
            rolling_shutter_px: rng.range(-8.0, 8.0),
            jpeg_quality: Some(rng.range(50.0, 90.0) as u8),
        }
    }

    /// Whether any effect is on.
    pub fn any(&self) -> bool {
        self.motion_px != [0.0, 0.0]
            || self.rolling_shutter_px != 0.0
            || self.jpeg_quality.is_some()
    }

    /// Where a point of the scene ends up in the frame (the rolling
    /// shutter moves each row; the smear is symmetric about the point).
    pub fn displace(&self, p: Point, height: usize) -> Point {
        Point::new(p.x + self.row_shift(p.y, height), p.y)
    }

    fn row_shift(&self, y: f64, height: usize) -> f64 {
        let last = (height.max(2) - 1) as f64;
        self.rolling_shutter_px * (y / last - 0.5)
    }
}

/// Bilinear sample with edge clamping.
fn sample(plane: &[f64], w: usize, h: usize, x: f64, y: f64) -> f64 {
    let x = x.clamp(0.0, (w - 1) as f64);
    let y = y.clamp(0.0, (h - 1) as f64);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let top = plane[y0 * w + x0] * (1.0 - fx) + plane[y0 * w + x1] * fx;
    let bottom = plane[y1 * w + x0] * (1.0 - fx) + plane[y1 * w + x1] * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Smears the plane along `motion` (a box over the exposure, centred).
pub(super) fn motion_blur(plane: &mut [f64], w: usize, h: usize, motion: [f64; 2]) {
    let length = motion[0].hypot(motion[1]);
    if length < 1e-9 {
        return;
    }
    // Two samples per pixel of travel keep the smear smooth.
    let samples = (length * 2.0).ceil() as usize + 1;
    let source = plane.to_vec();
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            for k in 0..samples {
                let t = k as f64 / (samples - 1) as f64 - 0.5;
                sum += sample(
                    &source,
                    w,
                    h,
                    x as f64 - motion[0] * t,
                    y as f64 - motion[1] * t,
                );
            }
            plane[y * w + x] = sum / samples as f64;
        }
    }
}

/// Moves each row sideways by the rolling shutter's shift for that row.
pub(super) fn rolling_shutter(plane: &mut [f64], w: usize, h: usize, effects: &CameraEffects) {
    if effects.rolling_shutter_px == 0.0 {
        return;
    }
    let mut row = vec![0.0; w];
    for y in 0..h {
        let shift = effects.row_shift(y as f64, h);
        let line = &mut plane[y * w..(y + 1) * w];
        row.copy_from_slice(line);
        for (x, out) in line.iter_mut().enumerate() {
            *out = sample(&row, w, 1, x as f64 - shift, 0.0);
        }
    }
}

/// The JPEG standard's luminance quantisation table (Annex K), row-major.
const LUMA_QUANT: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/// The table scaled to `quality` the way libjpeg does it.
fn quant_table(quality: u8) -> [f64; 64] {
    let q = i64::from(quality.clamp(1, 100));
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    LUMA_QUANT.map(|t| ((i64::from(t) * scale + 50) / 100).clamp(1, 255) as f64)
}

/// Compresses and decompresses the grey plane as baseline JPEG does: 8×8
/// blocks, level shift, DCT, quantisation, inverse. (The entropy coding
/// that follows in a real file is lossless, so the pixels are the same.)
// Index loops mirror the DCT's sums over block coordinates.
#[allow(clippy::needless_range_loop)]
pub(super) fn jpeg_roundtrip(pixels: &mut [u8], w: usize, h: usize, quality: u8) {
    let table = quant_table(quality);
    // cos((2x + 1) u π / 16) with the DCT's normalisation folded in.
    let mut basis = [[0.0f64; 8]; 8];
    for (u, row) in basis.iter_mut().enumerate() {
        let c = if u == 0 { (0.125f64).sqrt() } else { 0.5 };
        for (x, v) in row.iter_mut().enumerate() {
            *v = c * (((2 * x + 1) * u) as f64 * std::f64::consts::PI / 16.0).cos();
        }
    }
    let mut block = [0.0f64; 64];
    let mut tmp = [0.0f64; 64];
    for by in (0..h).step_by(8) {
        for bx in (0..w).step_by(8) {
            // Edge blocks repeat the last row and column, as encoders pad.
            for y in 0..8 {
                for x in 0..8 {
                    let (sx, sy) = ((bx + x).min(w - 1), (by + y).min(h - 1));
                    block[y * 8 + x] = f64::from(pixels[sy * w + sx]) - 128.0;
                }
            }
            // Forward DCT: rows, then columns.
            for y in 0..8 {
                for u in 0..8 {
                    tmp[y * 8 + u] = (0..8).map(|x| basis[u][x] * block[y * 8 + x]).sum();
                }
            }
            for v in 0..8 {
                for u in 0..8 {
                    let coeff: f64 = (0..8).map(|y| basis[v][y] * tmp[y * 8 + u]).sum();
                    let q = table[v * 8 + u];
                    block[v * 8 + u] = (coeff / q).round() * q;
                }
            }
            // Inverse: columns, then rows.
            for y in 0..8 {
                for u in 0..8 {
                    tmp[y * 8 + u] = (0..8).map(|v| basis[v][y] * block[v * 8 + u]).sum();
                }
            }
            for y in 0..8 {
                for x in 0..8 {
                    let value: f64 = (0..8).map(|u| basis[u][x] * tmp[y * 8 + u]).sum();
                    let (px, py) = (bx + x, by + y);
                    if px < w && py < h {
                        pixels[py * w + px] = (value + 128.0).round().clamp(0.0, 255.0) as u8;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_at_full_quality_keeps_a_smooth_picture_and_low_quality_makes_blocks() {
        let (w, h) = (32, 16);
        let smooth: Vec<u8> = (0..w * h)
            .map(|i| ((i % w) * 6 + (i / w) * 3) as u8)
            .collect();
        let mut best = smooth.clone();
        jpeg_roundtrip(&mut best, w, h, 100);
        let worst_best = best.iter().zip(&smooth).map(|(a, b)| a.abs_diff(*b)).max();
        assert!(worst_best <= Some(2), "{worst_best:?}");
        // A hard edge at quality 20: flat blocks stay flat (only their
        // level is rounded), the block holding the edge rings (8×8 blocks
        // are what make JPEG artefacts look the way they do).
        let edge: Vec<u8> = (0..w * h)
            .map(|i| if i % w < 13 { 30 } else { 220 })
            .collect();
        let mut low = edge.clone();
        jpeg_roundtrip(&mut low, w, h, 20);
        for (i, &got) in low.iter().enumerate() {
            let (x, y) = (i % w, i / w);
            if !(8..16).contains(&x) {
                let block_first = low[(y / 8 * 8) * w + x / 8 * 8];
                assert_eq!(got, block_first, "flat block pixel ({x}, {y}) is not flat");
                assert!(got.abs_diff(edge[i]) <= 4, "({x}, {y}): {got}");
            }
        }
        let worst = (0..w * h)
            .filter(|i| (8..16).contains(&(i % w)))
            .map(|i| low[i].abs_diff(edge[i]))
            .max()
            .unwrap_or(0);
        assert!(worst >= 8, "the edge block barely changed: {worst}");
    }

    #[test]
    fn the_rolling_shutter_moves_the_top_and_bottom_rows_apart() {
        let (w, h) = (40, 11);
        // A vertical line at x = 20.
        let mut plane: Vec<f64> = (0..w * h)
            .map(|i| if i % w == 20 { 255.0 } else { 0.0 })
            .collect();
        let effects = CameraEffects {
            rolling_shutter_px: 10.0,
            ..CameraEffects::default()
        };
        rolling_shutter(&mut plane, w, h, &effects);
        let brightest = |y: usize| {
            (0..w)
                .max_by(|&a, &b| plane[y * w + a].total_cmp(&plane[y * w + b]))
                .unwrap()
        };
        assert_eq!(brightest(0), 15);
        assert_eq!(brightest(5), 20);
        assert_eq!(brightest(10), 25);
        let top = effects.displace(Point::new(20.0, 0.0), h);
        assert!((top.x - 15.0).abs() < 1e-9);
    }

    #[test]
    fn motion_smears_a_dot_along_the_motion_and_keeps_its_centre() {
        let (w, h) = (41, 9);
        let mut plane = vec![0.0; w * h];
        plane[4 * w + 20] = 900.0;
        motion_blur(&mut plane, w, h, [8.0, 0.0]);
        let lit: Vec<usize> = (0..w).filter(|&x| plane[4 * w + x] > 1.0).collect();
        assert_eq!((lit.first(), lit.last()), (Some(&16), Some(&24)));
        let total: f64 = plane.iter().sum();
        let centre: f64 = (0..w).map(|x| x as f64 * plane[4 * w + x]).sum::<f64>() / total;
        assert!((centre - 20.0).abs() < 1e-9);
        assert!(plane[3 * w + 20].abs() < 1e-9, "nothing moves across");
    }
}
