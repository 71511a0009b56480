//! Reading a candidate quad's cells: perspective-correct sampling of the
//! 6×6 grid (one border cell each side around the 4×4 data), a threshold
//! chosen per marker, the black-border check and the dictionary lookup.

use crate::dictionary::{self, MARKER_BITS};
use crate::geometry::{Mat3, Point, apply_homography, homography_from_4};
use crate::image::LumaImage;

/// Cells per side including the border.
const GRID: usize = MARKER_BITS + 2;
/// Sample offsets inside a cell (in cells from its centre): a 3×3 pattern
/// over the middle half, clear of the blur at the cell's edges.
const OFFSETS: [f64; 3] = [-0.22, 0.0, 0.22];

/// How strict the reader is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecodeRules {
    /// Border cells that may read as white (printing flaws, glare).
    pub max_border_errors: usize,
    /// Data bits that may be corrected.
    pub max_correction_bits: u32,
    /// Smallest grey-level difference between black and white cells.
    pub min_contrast: f64,
}

/// A decoded marker: its id and its corners starting at the marker's own
/// top-left, screen-clockwise.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decoded {
    pub id: u16,
    pub corners: [Point; 4],
}

/// Reads the marker inside the screen-clockwise `corners`.
pub(crate) fn decode(
    image: &LumaImage,
    corners: &[Point; 4],
    rules: &DecodeRules,
) -> Option<Decoded> {
    let g = GRID as f64;
    let grid = [
        Point::new(0.0, 0.0),
        Point::new(g, 0.0),
        Point::new(g, g),
        Point::new(0.0, g),
    ];
    let h: Mat3 = homography_from_4(&grid, corners)?;
    let mut cells = [0.0f64; GRID * GRID];
    for r in 0..GRID {
        for c in 0..GRID {
            let mut sum = 0.0;
            for dy in OFFSETS {
                for dx in OFFSETS {
                    let p =
                        apply_homography(&h, Point::new(c as f64 + 0.5 + dx, r as f64 + 0.5 + dy))?;
                    sum += image.sample(p.x, p.y);
                }
            }
            cells[r * GRID + c] = sum / 9.0;
        }
    }
    let threshold = otsu(&cells, rules.min_contrast)?;
    let white = |r: usize, c: usize| cells[r * GRID + c] > threshold;
    let border_errors = (0..GRID * GRID)
        .map(|i| (i / GRID, i % GRID))
        .filter(|&(r, c)| r == 0 || c == 0 || r == GRID - 1 || c == GRID - 1)
        .filter(|&(r, c)| white(r, c))
        .count();
    if border_errors > rules.max_border_errors {
        return None;
    }
    let mut code = 0u16;
    for r in 0..MARKER_BITS {
        for c in 0..MARKER_BITS {
            code = (code << 1) | u16::from(white(r + 1, c + 1));
        }
    }
    let m = dictionary::identify(code, rules.max_correction_bits)?;
    // The read code needs `rotation` clockwise turns to look like the
    // dictionary's, so the marker's own top-left sits that many corners
    // back (counter-clockwise) from our first corner.
    let tl = (4 - m.rotation as usize) % 4;
    Some(Decoded {
        id: m.id,
        corners: [0, 1, 2, 3].map(|k| corners[(tl + k) % 4]),
    })
}

/// Otsu's threshold over the cell means, or `None` when black and white
/// are not clearly apart (a flat patch is not a marker).
fn otsu(cells: &[f64; GRID * GRID], min_contrast: f64) -> Option<f64> {
    let mut sorted = *cells;
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let total: f64 = sorted.iter().sum();
    let (mut best, mut best_var, mut best_gap) = (0.0, -1.0, 0.0);
    let mut low_sum = 0.0;
    for k in 1..n {
        low_sum += sorted[k - 1];
        let (w0, w1) = (k as f64, (n - k) as f64);
        let (m0, m1) = (low_sum / w0, (total - low_sum) / w1);
        let var = w0 * w1 * (m1 - m0) * (m1 - m0);
        if var > best_var {
            best_var = var;
            best = (sorted[k - 1] + sorted[k]) / 2.0;
            best_gap = m1 - m0;
        }
    }
    (best_gap >= min_contrast).then_some(best)
}
