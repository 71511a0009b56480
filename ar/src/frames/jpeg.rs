//! JPEG to luma, and to luma and colour: webcams stream MJPEG at their
//! larger sizes and most real footage is JPEG files. [`decode_luma`]
//! decodes only the Y channel (no colour conversion), for the tracker
//! alone; [`mjpeg_to_rgba`] decodes once for both pictures. Both reuse the
//! frame's buffers.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use super::colour::{Chroma, HALF, mul_high, pixel};
use crate::image::{LumaImage, RgbaImage};

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

/// Decodes a JPEG (an MJPEG camera frame, a JPEG file) once into both
/// pictures: `luma` and, for a colour JPEG, `colour` (both resized to the
/// picture, their buffers reused). `true` when the JPEG had colour; a grey
/// JPEG fills only `luma`. The error says what is wrong with the data.
///
/// The luma is the JPEG's own Y channel, the same bytes [`decode_luma`]
/// gives: a YCbCr JPEG is decoded as YCbCr into the colour buffer and
/// converted there (JFIF full range) to RGBA. Luma taken back from RGB
/// would be a millisecond cheaper a 720p frame but off by up to 8 levels
/// where saturated colours clip. JPEGs in other colour spaces (CMYK, RGB)
/// are decoded to RGBA and their luma computed from it.
pub fn mjpeg_to_rgba(
    data: &[u8],
    luma: &mut LumaImage,
    colour: &mut RgbaImage,
) -> Result<bool, String> {
    let jpeg = |e: zune_jpeg::errors::DecodeErrors| format!("JPEG: {e:?}");
    let options = DecoderOptions::default();
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(data), options);
    decoder.decode_headers().map_err(jpeg)?;
    let info = decoder
        .info()
        .ok_or_else(|| "JPEG: no picture size".to_owned())?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    if w == 0 || h == 0 {
        return Err("JPEG: empty picture".to_owned());
    }
    let output = match decoder.input_colorspace() {
        Some(ColorSpace::Luma) => ColorSpace::Luma,
        Some(ColorSpace::YCbCr) => ColorSpace::YCbCr,
        _ => ColorSpace::RGBA,
    };
    decoder.set_options(options.jpeg_set_out_colorspace(output));
    match output {
        ColorSpace::Luma => {
            luma.resize(w, h);
            decoder.decode_into(luma.pixels_mut()).map_err(jpeg)?;
            return Ok(false);
        }
        ColorSpace::YCbCr => {
            colour.resize(w, h);
            decoder
                .decode_into(&mut colour.pixels_mut()[..w * h * 3])
                .map_err(jpeg)?;
            ycbcr_to_rgba_in_place(colour.pixels_mut(), luma, w, h);
        }
        _ => {
            colour.resize(w, h);
            decoder.decode_into(colour.pixels_mut()).map_err(jpeg)?;
            colour.luma_into(luma);
        }
    }
    Ok(true)
}

/// JFIF (full range) YCbCr to RGBA, in 2¹⁴ths (multiplied as in [`super::colour`]): Cr's share of red
/// and green, Cb's of green and blue.
const CR_TO_R: i16 = 22970;
const CR_TO_G: i16 = 11700;
const CB_TO_G: i16 = 5638;
const CB_TO_B: i16 = 29032;
/// Pixels per block of the in-place conversion.
const JPEG_BLOCK: usize = 32;

/// One full-range pixel as an opaque RGBA word.
#[inline(always)]
fn jfif_pixel(y: u8, cb: u8, cr: u8) -> u32 {
    let y = i16::from(y) << 6;
    let (cb, cr) = ((i16::from(cb) - 128) << 8, (i16::from(cr) - 128) << 8);
    let c = Chroma {
        r: mul_high(cr, CR_TO_R) + HALF,
        g: HALF - mul_high(cb, CB_TO_G) - mul_high(cr, CR_TO_G),
        b: mul_high(cb, CB_TO_B) + HALF,
    };
    pixel(y, c)
}

/// Turns `w × h` interleaved YCbCr pixels at the start of `buffer` into
/// RGBA filling all of it, and their Y into `luma`. It walks backwards:
/// pixel i's RGBA (bytes 4i…) lies at or after its YCbCr (bytes 3i…), so
/// every pixel is read (into a block on the stack) before anything
/// overwrites it.
fn ycbcr_to_rgba_in_place(buffer: &mut [u8], luma: &mut LumaImage, w: usize, h: usize) {
    luma.resize(w, h);
    let luma = luma.pixels_mut();
    let n = w * h;
    let blocks = n / JPEG_BLOCK;
    for i in (blocks * JPEG_BLOCK..n).rev() {
        let [y, cb, cr] = [buffer[3 * i], buffer[3 * i + 1], buffer[3 * i + 2]];
        luma[i] = y;
        buffer[4 * i..4 * i + 4].copy_from_slice(&jfif_pixel(y, cb, cr).to_le_bytes());
    }
    for k in (0..blocks).rev() {
        let start = k * JPEG_BLOCK;
        let mut ycbcr = [[0u8; 3]; JPEG_BLOCK];
        ycbcr
            .as_flattened_mut()
            .copy_from_slice(&buffer[3 * start..3 * (start + JPEG_BLOCK)]);
        let mut words = [0u32; JPEG_BLOCK];
        for i in 0..JPEG_BLOCK {
            let [y, cb, cr] = ycbcr[i];
            words[i] = jfif_pixel(y, cb, cr);
        }
        for (l, p) in luma[start..start + JPEG_BLOCK].iter_mut().zip(&ycbcr) {
            *l = p[0];
        }
        let (out, _) = buffer[4 * start..4 * (start + JPEG_BLOCK)].as_chunks_mut::<4>();
        for (o, word) in out.iter_mut().zip(words) {
            *o = word.to_le_bytes();
        }
    }
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

    fn opaque([r, g, b]: [u8; 3]) -> [u8; 4] {
        [r, g, b, 255]
    }

    const BLOCKS: [[u8; 3]; 6] = [
        [255, 0, 0],
        [0, 255, 0],
        [0, 0, 255],
        [255, 255, 255],
        [128, 128, 128],
        [0, 0, 0],
    ];

    fn block_colour(x: usize, y: usize) -> [u8; 3] {
        BLOCKS[(x / 4 + 3 * (y / 2)) % BLOCKS.len()]
    }

    fn assert_close(got: &RgbaImage, want: impl Fn(usize, usize) -> [u8; 4], tolerance: u8) {
        for y in 0..got.height() {
            for x in 0..got.width() {
                let (g, w) = (got.get(x, y), want(x, y));
                let worst = g.iter().zip(&w).map(|(a, b)| a.abs_diff(*b)).max();
                assert!(
                    worst <= Some(tolerance),
                    "pixel ({x}, {y}): {g:?}, expected {w:?}"
                );
            }
        }
    }

    fn jpeg_of(rgb: &[u8], w: u16, h: u16, colour: bool) -> Vec<u8> {
        let kind = if colour {
            jpeg_encoder::ColorType::Rgb
        } else {
            jpeg_encoder::ColorType::Luma
        };
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 95)
            .encode(rgb, w, h, kind)
            .unwrap();
        out
    }

    #[test]
    fn one_jpeg_decode_gives_colour_and_the_luma_decode_lumas_own() {
        // Blocks 16 pixels wide so the chroma subsampling and the 8×8
        // transform stay inside one colour.
        let (w, h) = (96usize, 32usize);
        let colour_at = |x: usize, y: usize| block_colour(x / 4, y / 8);
        let rgb: Vec<u8> = (0..w * h).flat_map(|i| colour_at(i % w, i / w)).collect();
        let data = jpeg_of(&rgb, w as u16, h as u16, true);
        let (mut luma, mut colour) = (LumaImage::default(), RgbaImage::default());
        assert!(mjpeg_to_rgba(&data, &mut luma, &mut colour).unwrap());
        assert_eq!((colour.width(), colour.height()), (w, h));
        // Away from the blocks' edges, where JPEG rings.
        for y in (2..h).step_by(8) {
            for x in (6..w).step_by(16) {
                let (got, want) = (colour.get(x, y), opaque(colour_at(x, y)));
                let worst = got.iter().zip(&want).map(|(a, b)| a.abs_diff(*b)).max();
                assert!(worst <= Some(8), "({x}, {y}): {got:?} vs {want:?}");
            }
        }
        // The tracker sees exactly what the luma-only decode gives.
        let mut alone = LumaImage::default();
        decode_luma(&data, &mut alone).unwrap();
        assert_eq!(luma, alone);

        // An odd size (185 pixels: five blocks and 25 single pixels) in one
        // colour.
        let teal = [0u8, 128, 128];
        let data = jpeg_of(&teal.repeat(37 * 5), 37, 5, true);
        assert!(mjpeg_to_rgba(&data, &mut luma, &mut colour).unwrap());
        assert_eq!((colour.width(), colour.height()), (37, 5));
        assert_close(&colour, |_, _| opaque(teal), 3);
        decode_luma(&data, &mut alone).unwrap();
        assert_eq!(luma, alone);

        // A grey JPEG fills only the luma, exactly as the luma decode does.
        let grey: Vec<u8> = (0..w * h).map(|i| (i % 251) as u8).collect();
        let data = jpeg_of(&grey, w as u16, h as u16, false);
        assert!(!mjpeg_to_rgba(&data, &mut luma, &mut colour).unwrap());
        decode_luma(&data, &mut alone).unwrap();
        assert_eq!(luma, alone);
    }

    #[test]
    fn broken_data_is_an_error_for_the_colour_decode_too() {
        let (mut luma, mut colour) = (LumaImage::default(), RgbaImage::default());
        assert!(mjpeg_to_rgba(b"not a jpeg", &mut luma, &mut colour).is_err());
        assert!(mjpeg_to_rgba(&[], &mut luma, &mut colour).is_err());
        let rgb = vec![200u8; 32 * 32 * 3];
        let good = jpeg_of(&rgb, 32, 32, true);
        let _ = mjpeg_to_rgba(&good[..good.len() / 2], &mut luma, &mut colour);
    }
}
