//! JPEG to luma: webcams stream MJPEG at their larger sizes and most real
//! footage is JPEG files. Only the Y channel is decoded (no colour
//! conversion); the output reuses the frame's buffer.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use crate::image::LumaImage;

/// Decodes a JPEG's luma into `image` (resized to the picture). The error
/// says what is wrong with the data.
pub fn decode_luma(data: &[u8], image: &mut LumaImage) -> Result<(), String> {
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(data), options);
    decoder
        .decode_headers()
        .map_err(|e| format!("JPEG: {e:?}"))?;
    let info = decoder
        .info()
        .ok_or_else(|| "JPEG: no picture size".to_owned())?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    if w == 0 || h == 0 {
        return Err("JPEG: empty picture".to_owned());
    }
    image.resize(w, h);
    decoder
        .decode_into(image.pixels_mut())
        .map_err(|e| format!("JPEG: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(pixels: &[u8], w: u16, h: u16, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, quality)
            .encode(pixels, w, h, jpeg_encoder::ColorType::Luma)
            .expect("encode");
        out
    }

    #[test]
    fn a_grey_jpeg_comes_back_close_to_what_was_encoded() {
        let (w, h) = (64usize, 48usize);
        let pixels: Vec<u8> = (0..w * h).map(|i| ((i % w) * 3 + (i / w)) as u8).collect();
        let data = encode(&pixels, w as u16, h as u16, 95);
        let mut image = LumaImage::default();
        decode_luma(&data, &mut image).expect("decode");
        assert_eq!((image.width(), image.height()), (w, h));
        let worst = image
            .pixels()
            .iter()
            .zip(&pixels)
            .map(|(a, b)| a.abs_diff(*b))
            .max();
        assert!(worst <= Some(4), "{worst:?}");
    }

    #[test]
    fn a_colour_jpeg_gives_its_luma() {
        let (w, h) = (16u16, 16u16);
        // Pure red: luma ≈ 0.299 × 255 ≈ 76.
        let rgb: Vec<u8> = [255u8, 0, 0].repeat(usize::from(w) * usize::from(h));
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 95)
            .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
            .expect("encode");
        let mut image = LumaImage::default();
        decode_luma(&out, &mut image).expect("decode");
        let mean = image.pixels().iter().map(|&v| f64::from(v)).sum::<f64>() / 256.0;
        assert!((mean - 76.0).abs() < 4.0, "{mean}");
    }

    #[test]
    fn broken_data_is_an_error_not_a_panic() {
        let mut image = LumaImage::default();
        assert!(decode_luma(b"not a jpeg at all", &mut image).is_err());
        let (w, h) = (32usize, 32usize);
        let good = encode(&vec![128; w * h], w as u16, h as u16, 80);
        // Cut short (a USB frame lost half-way): an error or a partial
        // picture, never a panic.
        let _ = decode_luma(&good[..good.len() / 2], &mut image);
        assert!(decode_luma(&[], &mut image).is_err());
    }
}
