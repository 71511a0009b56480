//! Adaptive threshold: a pixel is "ink" when it is darker than the mean of
//! its neighbourhood by more than a margin. Local means (from an integral
//! image) keep the marker's border found under uneven light and shadows.

use crate::image::LumaImage;

/// Value of an ink pixel in the binary image; background is 0.
pub(crate) const INK: u8 = 255;

/// Reusable buffers for [`AdaptiveThreshold::apply`].
#[derive(Debug, Default)]
pub(crate) struct AdaptiveThreshold {
    integral: Vec<u32>,
}

impl AdaptiveThreshold {
    /// Writes the binary image of `image` into `binary` (same size, row-major):
    /// [`INK`] where the pixel is darker than its `window`×`window` mean minus
    /// `offset`, 0 elsewhere. The outermost pixel frame is always 0, so a
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
        binary.clear();
        binary.resize(w * h, 0);
        if w < 3 || h < 3 {
            return;
        }
        let iw = w + 1;
        self.integral.clear();
        self.integral.resize(iw * (h + 1), 0);
        let px = image.pixels();
        for y in 0..h {
            let mut row_sum = 0u32;
            let (above, current) = self.integral.split_at_mut((y + 1) * iw);
            let above = &above[y * iw..];
            for x in 0..w {
                row_sum += px[y * w + x] as u32;
                current[x + 1] = above[x + 1] + row_sum;
            }
        }
        let r = window.max(3) / 2;
        let offset = offset as u32;
        for y in 1..h - 1 {
            let y0 = y.saturating_sub(r);
            let y1 = (y + r + 1).min(h);
            let top = &self.integral[y0 * iw..y0 * iw + iw];
            let bottom = &self.integral[y1 * iw..y1 * iw + iw];
            let out = &mut binary[y * w..y * w + w];
            let row = &px[y * w..y * w + w];
            for x in 1..w - 1 {
                let x0 = x.saturating_sub(r);
                let x1 = (x + r + 1).min(w);
                let sum = bottom[x1] + top[x0] - bottom[x0] - top[x1];
                let count = ((x1 - x0) * (y1 - y0)) as u32;
                // pixel < mean - offset, in integers: (pixel + offset)·n < sum.
                if (row[x] as u32 + offset) * count < sum {
                    out[x] = INK;
                }
            }
        }
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

    #[test]
    fn flat_image_has_no_ink() {
        let mut img = LumaImage::new(20, 10);
        img.pixels_mut().fill(100);
        let mut bin = Vec::new();
        AdaptiveThreshold::default().apply(&img, 7, 7, &mut bin);
        assert!(bin.iter().all(|&b| b == 0));
    }
}
