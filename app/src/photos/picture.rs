//! Turning a picture into what a photo proof carries: decoded (JPEG or
//! PNG, or the camera's colour frame), turned the way its EXIF says is up,
//! scaled down to at most [`MAX_PHOTO_SIDE`] a side and encoded afresh as a
//! JPEG of at most [`MAX_PHOTO_BYTES`]. Encoding afresh is what strips the
//! metadata: the new file holds the pixels and a bare JFIF header, nothing
//! of the camera's EXIF, XMP, comments or thumbnails.

use ridewire_ar::image::{LumaImage, RgbaImage};
use ridewire_engine::proof::MAX_PHOTO_BYTES;

use crate::{Error, Result};

/// The largest file read as a picture: phones' photos are far below it.
pub const MAX_SOURCE_BYTES: usize = 40 * 1024 * 1024;
/// The most pixels a picture may have before decoding (a 48 MP phone
/// photo fits; a decompression bomb does not).
const MAX_SOURCE_PIXELS: u64 = 64_000_000;

/// JPEG qualities tried in turn until the photo fits.
const QUALITIES: [u8; 4] = [85, 75, 60, 45];

/// Decodes `bytes` (a JPEG or a PNG) to RGBA.
pub fn decode(bytes: &[u8]) -> Result<RgbaImage> {
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(Error::Input(format!(
            "the picture is {} MiB; at most {} MiB can be read",
            bytes.len() / (1024 * 1024),
            MAX_SOURCE_BYTES / (1024 * 1024)
        )));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        decode_jpeg(bytes)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(bytes)
    } else {
        Err(Error::Input(
            "the file is not a picture RideWire reads: take a JPEG or a PNG".into(),
        ))
    }
}

fn too_many_pixels(width: u64, height: u64) -> Error {
    Error::Input(format!(
        "the picture is {width}×{height} pixels; at most {} megapixels can be read",
        MAX_SOURCE_PIXELS / 1_000_000
    ))
}

fn decode_jpeg(bytes: &[u8]) -> Result<RgbaImage> {
    if let Some((w, h)) = jpeg_size(bytes)
        && u64::from(w) * u64::from(h) > MAX_SOURCE_PIXELS
    {
        return Err(too_many_pixels(w.into(), h.into()));
    }
    let mut luma = LumaImage::default();
    let mut colour = RgbaImage::default();
    let in_colour = ridewire_ar::frames::mjpeg_to_rgba(bytes, &mut luma, &mut colour)
        .map_err(|e| Error::Input(format!("the JPEG does not read: {e}")))?;
    if in_colour {
        return Ok(colour);
    }
    let pixels = luma.pixels().iter().flat_map(|&v| [v, v, v, 255]).collect();
    RgbaImage::from_pixels(luma.width(), luma.height(), pixels)
        .map_err(|e| Error::Input(format!("the JPEG does not read: {e}")))
}

/// The frame size in a JPEG's SOF header, read before decoding.
fn jpeg_size(bytes: &[u8]) -> Option<(u16, u16)> {
    let mut at = 2;
    loop {
        let marker = *bytes.get(at + 1)?;
        if *bytes.get(at)? != 0xFF || marker == 0xDA {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(at + 2)?,
            *bytes.get(at + 3)?,
        ]));
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u16::from_be_bytes([*bytes.get(at + 5)?, *bytes.get(at + 6)?]);
            let w = u16::from_be_bytes([*bytes.get(at + 7)?, *bytes.get(at + 8)?]);
            return Some((w, h));
        }
        at += 2 + len;
    }
}

fn decode_png(bytes: &[u8]) -> Result<RgbaImage> {
    let broken = |e: String| Error::Input(format!("the PNG does not read: {e}"));
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| broken(e.to_string()))?;
    let (w, h) = (reader.info().width, reader.info().height);
    if u64::from(w) * u64::from(h) > MAX_SOURCE_PIXELS {
        return Err(too_many_pixels(w.into(), h.into()));
    }
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| broken(e.to_string()))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let rgba: Vec<u8> = match info.color_type {
        png::ColorType::Rgba => buf[..w * h * 4].to_vec(),
        png::ColorType::Rgb => buf[..w * h * 3]
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf[..w * h * 2]
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], 255])
            .collect(),
        png::ColorType::Grayscale => buf[..w * h].iter().flat_map(|&v| [v, v, v, 255]).collect(),
        png::ColorType::Indexed => return Err(broken("its palette did not expand".into())),
    };
    RgbaImage::from_pixels(w, h, rgba).map_err(|e| broken(e.to_string()))
}

/// `image` turned upright by EXIF orientation `orientation` (1 to 8).
pub fn upright(image: RgbaImage, orientation: u16) -> RgbaImage {
    if !(2..=8).contains(&orientation) {
        return image;
    }
    let (w, h) = (image.width(), image.height());
    let swap = orientation >= 5;
    let (ow, oh) = if swap { (h, w) } else { (w, h) };
    let src = image.pixels();
    let mut out = Vec::with_capacity(ow * oh * 4);
    for y in 0..oh {
        for x in 0..ow {
            let (sx, sy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, h - 1 - x),
                7 => (w - 1 - y, h - 1 - x),
                _ => (w - 1 - y, x),
            };
            let i = (sy * w + sx) * 4;
            out.extend_from_slice(&src[i..i + 4]);
        }
    }
    RgbaImage::from_pixels(ow, oh, out).unwrap_or(image)
}

/// `image` scaled so its longer side is at most `max` (each new pixel the
/// mean of the pixels it covers); smaller ones are kept as they are.
pub fn fit(image: RgbaImage, max: usize) -> RgbaImage {
    let (w, h) = (image.width(), image.height());
    let long = w.max(h);
    if long <= max || max == 0 {
        return image;
    }
    let (ow, oh) = (
        (w * max).div_ceil(long).max(1),
        (h * max).div_ceil(long).max(1),
    );
    let src = image.pixels();
    let span = |i: usize, n: usize, on: usize| (i * n / on, ((i + 1) * n / on).max(i * n / on + 1));
    let mut out = Vec::with_capacity(ow * oh * 4);
    for y in 0..oh {
        let (y0, y1) = span(y, h, oh);
        for x in 0..ow {
            let (x0, x1) = span(x, w, ow);
            let mut sum = [0u32; 3];
            for sy in y0..y1 {
                for sx in x0..x1 {
                    let i = (sy * w + sx) * 4;
                    for (c, s) in sum.iter_mut().enumerate() {
                        *s += u32::from(src[i + c]);
                    }
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as u32;
            let [r, g, b] = sum.map(|s| ((s + n / 2) / n) as u8);
            out.extend_from_slice(&[r, g, b, 255]);
        }
    }
    RgbaImage::from_pixels(ow, oh, out).unwrap_or(image)
}

/// `image` (upright, at most [`MAX_PHOTO_SIDE`] a side) as a JPEG of at
/// most [`MAX_PHOTO_BYTES`]: the best of [`QUALITIES`] that fits, halving
/// the size when none does.
pub fn encode(mut image: RgbaImage) -> Result<(Vec<u8>, u32, u32)> {
    let failed =
        |e: jpeg_encoder::EncodingError| Error::Input(format!("the photo cannot be encoded: {e}"));
    loop {
        let (w, h) = (image.width(), image.height());
        let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
            return Err(Error::Input(format!(
                "the photo is {w}×{h} pixels; too large to encode"
            )));
        };
        for quality in QUALITIES {
            let mut jpeg = Vec::new();
            jpeg_encoder::Encoder::new(&mut jpeg, quality)
                .encode(image.pixels(), w16, h16, jpeg_encoder::ColorType::Rgba)
                .map_err(failed)?;
            if jpeg.len() <= MAX_PHOTO_BYTES as usize {
                return Ok((jpeg, w as u32, h as u32));
            }
        }
        if w.max(h) <= 64 {
            return Err(Error::Input("the photo does not fit the size limit".into()));
        }
        image = fit(image, w.max(h) / 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 picture whose pixels are numbered in red.
    fn numbered() -> RgbaImage {
        let pixels = (0..6u8).flat_map(|i| [i, 0, 0, 255]).collect();
        RgbaImage::from_pixels(3, 2, pixels).expect("image")
    }

    fn reds(image: &RgbaImage) -> Vec<u8> {
        image.pixels().chunks_exact(4).map(|p| p[0]).collect()
    }

    #[test]
    fn every_orientation_comes_out_upright() {
        // 0 1 2
        // 3 4 5
        let cases: [(u16, &[u8]); 8] = [
            (1, &[0, 1, 2, 3, 4, 5]),
            (2, &[2, 1, 0, 5, 4, 3]),
            (3, &[5, 4, 3, 2, 1, 0]),
            (4, &[3, 4, 5, 0, 1, 2]),
            (5, &[0, 3, 1, 4, 2, 5]),
            (6, &[3, 0, 4, 1, 5, 2]),
            (7, &[5, 2, 4, 1, 3, 0]),
            (8, &[2, 5, 1, 4, 0, 3]),
        ];
        for (orientation, want) in cases {
            let turned = upright(numbered(), orientation);
            assert_eq!(reds(&turned), want, "orientation {orientation}");
            let tall = orientation >= 5;
            assert_eq!(
                (turned.width(), turned.height()),
                if tall { (2, 3) } else { (3, 2) }
            );
        }
    }

    #[test]
    fn fitting_averages_and_keeps_the_aspect() {
        let pixels = (0..4 * 2)
            .flat_map(|i| {
                let v = if i % 2 == 0 { 0 } else { 200 };
                [v, v, v, 255]
            })
            .collect();
        let image = RgbaImage::from_pixels(4, 2, pixels).expect("image");
        let small = fit(image, 2);
        assert_eq!((small.width(), small.height()), (2, 1));
        assert!(small.pixels().chunks_exact(4).all(|p| p[0] == 100));
    }
}
