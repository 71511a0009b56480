//! Grey (luma) images, the only pixel format the tracker works on, and
//! the colour pictures shown behind the overlay.

use crate::error::{Error, Result};

/// An 8-bit grey image, row-major with no padding between rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LumaImage {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl LumaImage {
    /// A black image of the given size.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            pixels: vec![0; width * height],
        }
    }

    /// Wraps a pixel buffer, checking that it holds exactly `width × height` bytes.
    pub fn from_pixels(width: usize, height: usize, pixels: Vec<u8>) -> Result<Self> {
        check_bytes(width, height, 1, pixels.len())?;
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row after row.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixels, writable.
    pub fn pixels_mut(&mut self) -> &mut [u8] {
        &mut self.pixels
    }

    /// Resizes the buffer for a new frame size, reusing its allocation when
    /// it is already big enough (steady-state capture allocates nothing).
    pub fn resize(&mut self, width: usize, height: usize) {
        self.width = width;
        self.height = height;
        self.pixels.resize(width * height, 0);
    }

    /// Copies a luma plane with a row stride (camera buffers often pad rows)
    /// into this image, reusing the allocation.
    pub fn copy_from_plane(
        &mut self,
        width: usize,
        height: usize,
        stride: usize,
        plane: &[u8],
    ) -> Result<()> {
        let needed = if height == 0 {
            0
        } else {
            stride * (height - 1) + width
        };
        if stride < width || plane.len() < needed {
            return Err(Error::FrameSize {
                width,
                height,
                expected: needed.max(width * height),
                got: plane.len(),
            });
        }
        self.resize(width, height);
        for (y, row) in self.pixels.chunks_exact_mut(width.max(1)).enumerate() {
            if width > 0 {
                row.copy_from_slice(&plane[y * stride..y * stride + width]);
            }
        }
        Ok(())
    }

    /// The pixel at integer coordinates (caller keeps them in range).
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }

    /// Bilinear sample at a sub-pixel position (pixel centres at integers),
    /// clamped at the edges.
    #[inline]
    pub fn sample(&self, x: f64, y: f64) -> f64 {
        if self.width == 0 || self.height == 0 {
            return 0.0;
        }
        let max_x = (self.width - 1) as f64;
        let max_y = (self.height - 1) as f64;
        let x = x.clamp(0.0, max_x);
        let y = y.clamp(0.0, max_y);
        let x0 = x.floor() as usize;
        let y0 = y.floor() as usize;
        let x1 = (x0 + 1).min(self.width - 1);
        let y1 = (y0 + 1).min(self.height - 1);
        let fx = x - x0 as f64;
        let fy = y - y0 as f64;
        let a = self.get(x0, y0) as f64;
        let b = self.get(x1, y0) as f64;
        let c = self.get(x0, y1) as f64;
        let d = self.get(x1, y1) as f64;
        let top = a + (b - a) * fx;
        let bottom = c + (d - c) * fx;
        top + (bottom - top) * fy
    }
}

/// An 8-bit RGBA colour image (sRGB, alpha 255 for camera pictures),
/// row-major with no padding between rows: four bytes a pixel, the layout
/// a GPU texture in `Rgba8UnormSrgb` takes as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RgbaImage {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl RgbaImage {
    /// An opaque black image of the given size.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            pixels: [0, 0, 0, 255].repeat(width * height),
        }
    }

    /// Wraps a pixel buffer, checking that it holds exactly
    /// `width × height × 4` bytes.
    pub fn from_pixels(width: usize, height: usize, pixels: Vec<u8>) -> Result<Self> {
        check_bytes(width, height, 4, pixels.len())?;
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row after row, four bytes (R, G, B, A) each.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixels, writable.
    pub fn pixels_mut(&mut self) -> &mut [u8] {
        &mut self.pixels
    }

    /// Resizes the buffer for a new frame size, reusing its allocation when
    /// it is already big enough. Pixels it adds are transparent black until
    /// the caller fills them (every frame source writes all of them).
    pub fn resize(&mut self, width: usize, height: usize) {
        self.width = width;
        self.height = height;
        self.pixels.resize(width * height * 4, 0);
    }

    /// The pixel at integer coordinates (caller keeps them in range).
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> [u8; 4] {
        let i = (y * self.width + x) * 4;
        [
            self.pixels[i],
            self.pixels[i + 1],
            self.pixels[i + 2],
            self.pixels[i + 3],
        ]
    }

    /// Writes this picture's luma into `luma` (resized to match), with the
    /// Rec. 601 weights camera Y planes use, as [`rec601_luma`] does.
    pub fn luma_into(&self, luma: &mut LumaImage) {
        luma.resize(self.width, self.height);
        let (pixels, _) = self.pixels.as_chunks::<4>();
        for (y, &p) in luma.pixels_mut().iter_mut().zip(pixels) {
            // Whole words, so the loop vectorises.
            let word = u32::from_le_bytes(p);
            *y = rec601_luma(word as u8, (word >> 8) as u8, (word >> 16) as u8);
        }
    }
}

/// The Rec. 601 luma of a colour: Y = 0.299 R + 0.587 G + 0.114 B, in
/// fixed point (weights in 256ths), rounded. The sum never passes 65,408,
/// so 16-bit arithmetic holds it (and vectorises on any x86-64).
#[inline]
pub fn rec601_luma(r: u8, g: u8, b: u8) -> u8 {
    ((77 * u16::from(r) + 150 * u16::from(g) + 29 * u16::from(b) + 128) >> 8) as u8
}

/// Checks that a buffer of `got` bytes holds a `width × height` picture of
/// `bytes_per_pixel` bytes a pixel, exactly.
pub(crate) fn check_bytes(
    width: usize,
    height: usize,
    bytes_per_pixel: usize,
    got: usize,
) -> Result<()> {
    let expected = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(bytes_per_pixel))
        .ok_or(Error::FrameSize {
            width,
            height,
            expected: usize::MAX,
            got,
        })?;
    if expected != got {
        return Err(Error::FrameSize {
            width,
            height,
            expected,
            got,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_sample_interpolates_between_pixel_centres() {
        let img = LumaImage::from_pixels(2, 1, vec![0, 100]).unwrap();
        assert_eq!(img.sample(0.0, 0.0), 0.0);
        assert_eq!(img.sample(0.25, 0.0), 25.0);
        assert_eq!(img.sample(5.0, 3.0), 100.0);
    }

    #[test]
    fn wrong_buffer_size_is_refused() {
        let err = LumaImage::from_pixels(4, 4, vec![0; 15]).unwrap_err();
        assert!(err.to_string().contains("needs 16 bytes"), "{err}");
    }

    #[test]
    fn colour_pictures_check_their_size_and_give_rec601_luma() {
        assert!(RgbaImage::from_pixels(2, 2, vec![0; 15]).is_err());
        assert!(RgbaImage::from_pixels(usize::MAX, 2, Vec::new()).is_err());
        let red_white = vec![255, 0, 0, 255, 255, 255, 255, 255];
        let img = RgbaImage::from_pixels(2, 1, red_white).unwrap();
        assert_eq!(img.get(1, 0), [255; 4]);
        let mut luma = LumaImage::default();
        img.luma_into(&mut luma);
        assert_eq!(luma.pixels(), &[77, 255]);
        assert_eq!(RgbaImage::new(1, 2).pixels(), &[0, 0, 0, 255, 0, 0, 0, 255]);
    }

    #[test]
    fn strided_plane_drops_row_padding() {
        let mut img = LumaImage::default();
        img.copy_from_plane(2, 2, 3, &[1, 2, 99, 3, 4]).unwrap();
        assert_eq!(img.pixels(), &[1, 2, 3, 4]);
        assert!(img.copy_from_plane(2, 2, 3, &[1, 2, 99, 3]).is_err());
    }
}
