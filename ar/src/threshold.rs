//! Adaptive threshold: a pixel is "ink" when it is darker than the mean of
//! its neighbourhood by more than a margin. Local means keep the marker's
//! border found under uneven light and shadows.
//!
//! The window sums are a box filter in two passes: running column sums
//! over the window's rows, moved down one row at a time, then a prefix sum
//! along each row. Both passes, and the comparison, are straight loops over
//! whole rows that the compiler turns into SIMD; this is most of the
//! detector's time on a plain frame.

use crate::image::LumaImage;

/// Value of an ink pixel in the binary image; background is 0.
pub(crate) const INK: u8 = 255;

/// Reusable buffers for [`AdaptiveThreshold::apply`].
#[derive(Debug, Default)]
pub(crate) struct AdaptiveThreshold {
    /// Per column, the sum of the pixels in the window's rows.
    columns: Vec<i32>,
    /// Prefix sums of `columns` along the row (one longer than the row).
    prefix: Vec<i32>,
}

impl AdaptiveThreshold {
    /// Writes the binary image of `image` into `binary` (same size, row-major):
    /// [`INK`] where the pixel is darker than its `window`×`window` mean minus
    /// `offset`, 0 elsewhere. Near the image's edges the window is cut to
    /// the pixels inside. The outermost pixel frame is always 0, so a
    /// border tracer needs no bounds checks and markers cut by the image edge
    /// are never reported.
    pub(crate) fn apply(
        &mut self,
        image: &LumaImage,
        window: usize,
        offset: u8,
        binary: &mut Vec<u8>,
    ) {
        let (w, h) = (image.width(), image.height());
        // Every pixel is written below; no need to clear the last frame's.
        binary.resize(w * h, 0);
        if w < 3 || h < 3 {
            binary.fill(0);
            return;
        }
        // Wider windows would let a window's sum leave i32; a mean over
        // more than a thousand pixels across is as flat as it gets anyway.
        let r = (window.max(3) / 2).min(MAX_RADIUS);
        let offset = i32::from(offset);
        let px = image.pixels();
        let row_of = |y: usize| &px[y * w..y * w + w];

        self.columns.clear();
        self.columns.resize(w, 0);
        self.prefix.clear();
        self.prefix.resize(w + 1, 0);
        binary[..w].fill(0);
        binary[(h - 1) * w..].fill(0);
        // The window's rows for row y are y0..y1, cut at the image's edges.
        let rows = |y: usize| (y.saturating_sub(r), (y + r + 1).min(h));
        for y in 0..rows(1).1 {
            slide(&mut self.columns, Some(row_of(y)), None);
        }
        for y in 1..h - 1 {
            let (y0, y1) = rows(y);
            if y > 1 {
                let (p0, p1) = rows(y - 1);
                let entering = (y1 > p1).then(|| row_of(y1 - 1));
                let leaving = (y0 > p0).then(|| row_of(p0));
                slide(&mut self.columns, entering, leaving);
            }
            // Prefix sums wrap past i32 on huge frames; their differences,
            // the window sums, stay exact.
            let mut acc = 0i32;
            for (p, &c) in self.prefix[1..].iter_mut().zip(&self.columns) {
                acc = acc.wrapping_add(c);
                *p = acc;
            }
            let out = &mut binary[y * w..y * w + w];
            threshold_row(out, row_of(y), &self.prefix, r, (y1 - y0) as i32, offset);
        }
    }
}

/// Largest window radius used (a 2,001-pixel window): (255 + 255) × 2001²
/// still fits in an i32.
const MAX_RADIUS: usize = 1000;

// The sums below are bounded by MAX_RADIUS and cannot overflow; wrapping
// operations keep overflow checks (on in the dev profile) out of the loops,
// which would stop them being vectorised.

/// Moves the column sums down a row: adds the row entering the window and
/// takes away the one leaving it, in one pass when both move.
fn slide(columns: &mut [i32], entering: Option<&[u8]>, leaving: Option<&[u8]>) {
    let px = |p: &u8| i32::from(*p);
    match (entering, leaving) {
        (Some(add), Some(sub)) => {
            for ((c, a), s) in columns.iter_mut().zip(add).zip(sub) {
                *c = c.wrapping_add(px(a).wrapping_sub(px(s)));
            }
        }
        (Some(add), None) => {
            for (c, a) in columns.iter_mut().zip(add) {
                *c = c.wrapping_add(px(a));
            }
        }
        (None, Some(sub)) => {
            for (c, s) in columns.iter_mut().zip(sub) {
                *c = c.wrapping_sub(px(s));
            }
        }
        (None, None) => {}
    }
}

/// One row of the binary image from the row's pixels and the prefix sums of
/// its window's column sums (`rows` rows tall, radius `r`).
fn threshold_row(out: &mut [u8], row: &[u8], prefix: &[i32], r: usize, rows: i32, offset: i32) {
    let w = row.len();
    // pixel < mean - offset, in integers: (pixel + offset)·n < sum.
    let ink = |x: usize, x0: usize, x1: usize| {
        let sum = prefix[x1].wrapping_sub(prefix[x0]);
        let n = (x1 - x0) as i32 * rows;
        if (i32::from(row[x]) + offset) * n < sum {
            INK
        } else {
            0
        }
    };
    // Where the whole window fits: x - r ≥ 0 and x + r + 1 ≤ w.
    let lo = r.max(1).min(w - 1);
    let hi = w.saturating_sub(r).clamp(lo, w - 1);
    out[0] = 0;
    out[w - 1] = 0;
    for x in (1..lo).chain(hi..w - 1) {
        out[x] = ink(x, x.saturating_sub(r), (x + r + 1).min(w));
    }
    if hi == lo {
        return;
    }
    let n = (2 * r + 1) as i32 * rows;
    let ahead = &prefix[lo + r + 1..hi + r + 1];
    let behind = &prefix[lo - r..hi - r];
    for (((o, &p), &a), &b) in out[lo..hi]
        .iter_mut()
        .zip(&row[lo..hi])
        .zip(ahead)
        .zip(behind)
    {
        let sum = a.wrapping_sub(b);
        *o = if (i32::from(p) + offset).wrapping_mul(n) < sum {
            INK
        } else {
            0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dark_square_on_white_is_ink_and_the_frame_is_clear() {
        let mut img = LumaImage::new(40, 40);
        img.pixels_mut().fill(220);
        for y in 10..20 {
            for x in 10..20 {
                img.pixels_mut()[y * 40 + x] = 30;
            }
        }
        let mut t = AdaptiveThreshold::default();
        let mut bin = Vec::new();
        t.apply(&img, 15, 7, &mut bin);
        assert_eq!(bin[12 * 40 + 10], INK);
        assert_eq!(bin[12 * 40 + 9], 0);
        assert_eq!(bin[30 * 40 + 30], 0);
        assert!((0..40).all(|i| bin[i] == 0 && bin[i * 40] == 0));
    }

    /// The binary image straight from the definition: each pixel against
    /// the mean of its window, cut at the edges; the outermost frame clear.
    fn by_definition(img: &LumaImage, window: usize, offset: u8) -> Vec<u8> {
        let (w, h) = (img.width(), img.height());
        let r = window / 2;
        let mut out = vec![0; w * h];
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let (ys, xs) = (
                    y.saturating_sub(r)..(y + r + 1).min(h),
                    x.saturating_sub(r)..(x + r + 1).min(w),
                );
                let n = (ys.len() * xs.len()) as f64;
                let sum: f64 = ys
                    .flat_map(|v| xs.clone().map(move |u| img.get(u, v) as f64))
                    .sum();
                if (img.get(x, y) as f64) < sum / n - offset as f64 {
                    out[y * w + x] = INK;
                }
            }
        }
        out
    }

    #[test]
    fn box_sums_give_the_window_mean_by_definition() {
        let mut rng = crate::synthetic::Rng::new(5);
        // One threshold for every size and window: its buffers are reused.
        let mut t = AdaptiveThreshold::default();
        let mut bin = vec![INK; 7];
        for (w, h) in [(37, 23), (5, 40), (64, 3), (120, 90)] {
            let mut img = LumaImage::new(w, h);
            for p in img.pixels_mut() {
                *p = (rng.next_u64() % 256) as u8;
            }
            for window in [3, 7, 15, 41, 201] {
                t.apply(&img, window, 7, &mut bin);
                assert!(
                    bin == by_definition(&img, window, 7),
                    "{w}×{h}, window {window}"
                );
            }
        }
    }

    #[test]
    fn flat_image_has_no_ink() {
        let mut img = LumaImage::new(20, 10);
        img.pixels_mut().fill(100);
        let mut bin = Vec::new();
        AdaptiveThreshold::default().apply(&img, 7, 7, &mut bin);
        assert!(bin.iter().all(|&b| b == 0));
    }
}
