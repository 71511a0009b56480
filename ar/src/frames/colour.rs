//! Camera pixel layouts to the two pictures a frame carries: the luma the
//! tracker reads and the RGBA picture the screen shows. Webcams send YUYV
//! (packed 4:2:2), NV12 (a luma plane, then interleaved chroma at half
//! resolution both ways) or MJPEG (see [`super::mjpeg_to_rgba`]); each is
//! converted in one pass over the camera's buffer, on the camera's thread.
//!
//! YUYV and NV12 are read as BT.601 limited range (luma 16–235, chroma
//! 16–240), what UVC webcams send, in 16-bit fixed point with 6 fractional
//! bits (within one level of the exact conversion). NV12 may also be read
//! as full range (JFIF: luma and chroma 0–255, [`nv12_full_range_to_rgba`]),
//! what phone cameras hand their apps. The rows are walked in
//! blocks of [`BLOCK`] pixel pairs through fixed-size arrays, one simple
//! loop per step, so the optimiser turns them into vector instructions
//! even for plain SSE2 (16-bit multiplies, saturating adds and clamps);
//! a row's last few pairs take the same arithmetic one pair at a time.

use crate::error::{Error, Result};
use crate::image::{LumaImage, RgbaImage};

// The coefficients, in 2¹⁴ths, are multiplied as the high half of a 16-bit
// product with the sample shifted up by 8 bits: (s × 2⁸ × k) / 2¹⁶ is s × k
// in 64ths of a level.

/// 255 / 219 (limited-range luma stretched to 0–255), in 2¹⁴ths.
const Y_GAIN: u16 = 19077;
/// 16 × 255 / 219 in 64ths: the black level taken off.
const Y_BLACK: i16 = 1192;
/// 1.402 × 255 / 224, in 2¹⁴ths: V's share of red.
const V_TO_R: i16 = 26149;
/// 0.344136 × 255 / 224, in 2¹⁴ths: U's share of green (subtracted).
const U_TO_G: i16 = 6419;
/// 0.714136 × 255 / 224, in 2¹⁴ths: V's share of green (subtracted).
const V_TO_G: i16 = 13320;
/// 1.772 × 255 / 224 = 2 + 282 / 2¹⁴: U's share of blue (2 as a shift,
/// the rest in 2¹⁴ths, so it fits 16 bits).
const U_TO_B_FRACTION: i16 = 282;
/// Full range (JFIF): 1.402, V's share of red, in 2¹⁴ths.
const FULL_V_TO_R: i16 = 22970;
/// Full range: 0.344136, U's share of green (subtracted), in 2¹⁴ths.
const FULL_U_TO_G: i16 = 5638;
/// Full range: 0.714136, V's share of green (subtracted), in 2¹⁴ths.
const FULL_V_TO_G: i16 = 11700;
/// Full range: 1.772, U's share of blue, in 2¹⁴ths.
const FULL_U_TO_B: i16 = 29032;
/// Half a level in 64ths, for rounding.
pub(super) const HALF: i16 = 32;
/// Pixel pairs per block (64 pixels: 1280, 1920, 640 and 960 wide rows are
/// whole blocks).
const BLOCK: usize = 32;

/// Bytes a `width × height` YUYV frame needs: each pair of pixels is four
/// bytes (Y₀ U Y₁ V), a row's odd last pixel taking a whole pair.
pub fn yuyv_len(width: usize, height: usize) -> usize {
    width.div_ceil(2).saturating_mul(4).saturating_mul(height)
}

/// Bytes a `width × height` NV12 frame needs: the luma plane, then one
/// U, V pair per 2×2 block of pixels.
pub fn nv12_len(width: usize, height: usize) -> usize {
    let chroma = width
        .div_ceil(2)
        .saturating_mul(2)
        .saturating_mul(height.div_ceil(2));
    width.saturating_mul(height).saturating_add(chroma)
}

/// A buffer shorter than its frame needs (a longer one is fine: drivers pad
/// their buffers).
fn check_len(width: usize, height: usize, expected: usize, got: usize) -> Result<()> {
    if got < expected || expected == usize::MAX {
        return Err(Error::FrameSize {
            width,
            height,
            expected,
            got,
        });
    }
    Ok(())
}

/// The high half of a signed 16-bit product.
#[inline(always)]
pub(super) fn mul_high(a: i16, b: i16) -> i16 {
    ((i32::from(a) * i32::from(b)) >> 16) as i16
}

/// One chroma sample's shares of red, green and blue, in 64ths of a level,
/// rounding included.
#[derive(Clone, Copy)]
pub(super) struct Chroma {
    pub(super) r: i16,
    pub(super) g: i16,
    pub(super) b: i16,
}

/// `FULL`: the sample is full range (JFIF), else limited range.
#[inline(always)]
fn chroma<const FULL: bool>(u: u8, v: u8) -> Chroma {
    let (u, v) = ((i16::from(u) - 128) << 8, (i16::from(v) - 128) << 8);
    if FULL {
        Chroma {
            r: mul_high(v, FULL_V_TO_R) + HALF,
            g: HALF - mul_high(u, FULL_U_TO_G) - mul_high(v, FULL_V_TO_G),
            b: mul_high(u, FULL_U_TO_B) + HALF,
        }
    } else {
        Chroma {
            r: mul_high(v, V_TO_R) + HALF,
            g: HALF - mul_high(u, U_TO_G) - mul_high(v, V_TO_G),
            b: (u >> 1) + mul_high(u, U_TO_B_FRACTION) + HALF,
        }
    }
}

/// A luma sample in 64ths of a level, stretched to full range (`FULL`: it
/// is already).
#[inline(always)]
fn luma_term<const FULL: bool>(y: u8) -> i16 {
    if FULL {
        i16::from(y) << 6
    } else {
        (((u32::from(y) << 8) * u32::from(Y_GAIN)) >> 16) as i16 - Y_BLACK
    }
}

/// One output level from 64ths. The sum saturates instead of wrapping:
/// only a blue far above white reaches the 16-bit limit, and it clamps to
/// 255 either way.
#[inline(always)]
fn level(y: i16, c: i16) -> u32 {
    (y.saturating_add(c) >> 6).clamp(0, 255) as u32
}

/// An opaque RGBA pixel as its four bytes in a little-endian word.
#[inline(always)]
pub(super) fn pixel(y: i16, c: Chroma) -> u32 {
    level(y, c.r) | level(y, c.g) << 8 | level(y, c.b) << 16 | 0xff00_0000
}

#[inline(always)]
fn two_pixels<const FULL: bool>(y0: u8, y1: u8, c: Chroma) -> [u8; 8] {
    let [a, b] = [
        pixel(luma_term::<FULL>(y0), c),
        pixel(luma_term::<FULL>(y1), c),
    ]
    .map(u32::to_le_bytes);
    [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]]
}

/// The chroma of a block of pairs, one array per share.
struct ChromaBlock {
    r: [i16; BLOCK],
    g: [i16; BLOCK],
    b: [i16; BLOCK],
}

#[inline(always)]
fn chroma_block<const FULL: bool>(u: &[u8; BLOCK], v: &[u8; BLOCK]) -> ChromaBlock {
    let mut c = ChromaBlock {
        r: [0; BLOCK],
        g: [0; BLOCK],
        b: [0; BLOCK],
    };
    for i in 0..BLOCK {
        let Chroma { r, g, b } = chroma::<FULL>(u[i], v[i]);
        (c.r[i], c.g[i], c.b[i]) = (r, g, b);
    }
    c
}

/// A block of pixel pairs (first and second pixel of each pair apart)
/// sharing the chroma of `c`, written as RGBA.
#[inline(always)]
fn pairs_block<const FULL: bool>(
    y0: &[u8; BLOCK],
    y1: &[u8; BLOCK],
    c: &ChromaBlock,
    out: &mut [[u8; 8]; BLOCK],
) {
    let (mut first, mut second) = ([0u32; BLOCK], [0u32; BLOCK]);
    for i in 0..BLOCK {
        let chroma = Chroma {
            r: c.r[i],
            g: c.g[i],
            b: c.b[i],
        };
        first[i] = pixel(luma_term::<FULL>(y0[i]), chroma);
        second[i] = pixel(luma_term::<FULL>(y1[i]), chroma);
    }
    for i in 0..BLOCK {
        let [a, b] = [first[i], second[i]].map(u32::to_le_bytes);
        out[i] = [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]];
    }
}

/// Splits `BLOCK` two-byte groups into their first and second bytes.
#[inline(always)]
fn split_pairs(pairs: &[[u8; 2]; BLOCK]) -> ([u8; BLOCK], [u8; BLOCK]) {
    let (mut a, mut b) = ([0; BLOCK], [0; BLOCK]);
    for i in 0..BLOCK {
        let word = u16::from_le_bytes(pairs[i]);
        (a[i], b[i]) = (word as u8, (word >> 8) as u8);
    }
    (a, b)
}

/// Converts one YUYV frame: its luma into `luma` and its colour into
/// `colour`, both resized to `width × height` (their buffers reused). The
/// buffer may be longer than [`yuyv_len`] (it is read from the start); a
/// shorter one is [`Error::FrameSize`].
pub fn yuyv_to_rgba(
    width: usize,
    height: usize,
    yuyv: &[u8],
    luma: &mut LumaImage,
    colour: &mut RgbaImage,
) -> Result<()> {
    check_len(width, height, yuyv_len(width, height), yuyv.len())?;
    luma.resize(width, height);
    colour.resize(width, height);
    if width == 0 || height == 0 {
        return Ok(());
    }
    let row_bytes = width.div_ceil(2) * 4;
    let rows = yuyv
        .chunks_exact(row_bytes)
        .zip(luma.pixels_mut().chunks_exact_mut(width))
        .zip(colour.pixels_mut().chunks_exact_mut(width * 4));
    for ((src, luma), out) in rows {
        yuyv_row(src, luma, out);
    }
    Ok(())
}

/// One row: `src` holds ⌈width / 2⌉ pairs, `luma` width bytes, `out`
/// 4 × width bytes.
fn yuyv_row(src: &[u8], luma: &mut [u8], out: &mut [u8]) {
    let whole_pairs = luma.len() / 2;
    let (blocks, _) = src.as_chunks::<{ 4 * BLOCK }>();
    let (luma_blocks, _) = luma.as_chunks_mut::<{ 2 * BLOCK }>();
    let (out_blocks, _) = out.as_chunks_mut::<{ 8 * BLOCK }>();
    let mut done = 0;
    for ((src, luma), out) in blocks.iter().zip(luma_blocks).zip(out_blocks) {
        let (quads, _) = src.as_chunks::<4>();
        let (mut y0, mut y1, mut u, mut v) = ([0; BLOCK], [0; BLOCK], [0; BLOCK], [0; BLOCK]);
        for i in 0..BLOCK {
            let word = u32::from_le_bytes(quads[i]);
            (y0[i], u[i], y1[i], v[i]) = (
                word as u8,
                (word >> 8) as u8,
                (word >> 16) as u8,
                (word >> 24) as u8,
            );
        }
        let (luma_pairs, _) = luma.as_chunks_mut::<2>();
        for i in 0..BLOCK {
            luma_pairs[i] = [y0[i], y1[i]];
        }
        let (out, _) = out.as_chunks_mut::<8>();
        if let Ok(out) = <&mut [[u8; 8]; BLOCK]>::try_from(out) {
            pairs_block::<false>(&y0, &y1, &chroma_block::<false>(&u, &v), out);
        }
        done += BLOCK;
    }
    // The pairs after the last whole block.
    let (pairs, _) = src.as_chunks::<4>();
    let (luma_pairs, luma_odd) = luma.as_chunks_mut::<2>();
    let (out_pairs, out_odd) = out.as_chunks_mut::<8>();
    let rest = pairs[done..]
        .iter()
        .zip(&mut luma_pairs[done..])
        .zip(&mut out_pairs[done..]);
    for ((&[y0, u, y1, v], l), o) in rest {
        *l = [y0, y1];
        *o = two_pixels::<false>(y0, y1, chroma::<false>(u, v));
    }
    // An odd width: the last pair carries one pixel.
    if let (Some(l), Some(&[y0, u, _, v])) = (luma_odd.first_mut(), pairs.get(whole_pairs)) {
        *l = y0;
        let c = chroma::<false>(u, v);
        out_odd.copy_from_slice(&pixel(luma_term::<false>(y0), c).to_le_bytes());
    }
}

/// Converts one NV12 frame (the luma plane, rows of `width` bytes, then
/// ⌈height / 2⌉ rows of ⌈width / 2⌉ U, V pairs): its luma into `luma`, its
/// colour into `colour`, both resized to `width × height` (their buffers
/// reused). A buffer shorter than [`nv12_len`] is [`Error::FrameSize`].
/// The samples are limited range (UVC webcams, iOS's "video range").
pub fn nv12_to_rgba(
    width: usize,
    height: usize,
    nv12: &[u8],
    luma: &mut LumaImage,
    colour: &mut RgbaImage,
) -> Result<()> {
    nv12_as::<false>(width, height, nv12, luma, colour)
}

/// [`nv12_to_rgba`] for full-range samples (JFIF: luma and chroma 0–255),
/// what Android's camera gives as YUV_420_888 and iOS as "full range".
pub fn nv12_full_range_to_rgba(
    width: usize,
    height: usize,
    nv12: &[u8],
    luma: &mut LumaImage,
    colour: &mut RgbaImage,
) -> Result<()> {
    nv12_as::<true>(width, height, nv12, luma, colour)
}

fn nv12_as<const FULL: bool>(
    width: usize,
    height: usize,
    nv12: &[u8],
    luma: &mut LumaImage,
    colour: &mut RgbaImage,
) -> Result<()> {
    check_len(width, height, nv12_len(width, height), nv12.len())?;
    let (y_plane, uv_plane) = nv12.split_at(width * height);
    luma.copy_from_plane(width, height, width, y_plane)?;
    colour.resize(width, height);
    if width == 0 || height == 0 {
        return Ok(());
    }
    let uv_bytes = width.div_ceil(2) * 2;
    let out_bytes = width * 4;
    // Two rows of luma and of output share each chroma row; an odd height's
    // last row has one to itself.
    let rows = y_plane
        .chunks(2 * width)
        .zip(uv_plane.chunks_exact(uv_bytes))
        .zip(colour.pixels_mut().chunks_mut(2 * out_bytes));
    for ((y_rows, uv), out) in rows {
        for (y, out) in y_rows.chunks(width).zip(out.chunks_mut(out_bytes)) {
            nv12_row::<FULL>(y, uv, out);
        }
    }
    Ok(())
}

/// One row of `width` luma bytes with its chroma row (⌈width / 2⌉ pairs).
fn nv12_row<const FULL: bool>(y: &[u8], uv: &[u8], out: &mut [u8]) {
    let (y_blocks, _) = y.as_chunks::<{ 2 * BLOCK }>();
    let (uv_blocks, _) = uv.as_chunks::<{ 2 * BLOCK }>();
    let (out_blocks, _) = out.as_chunks_mut::<{ 8 * BLOCK }>();
    let mut done = 0;
    for ((y, uv), out) in y_blocks.iter().zip(uv_blocks).zip(out_blocks) {
        let (y_pairs, _) = y.as_chunks::<2>();
        let (uv_pairs, _) = uv.as_chunks::<2>();
        let (out, _) = out.as_chunks_mut::<8>();
        if let (Ok(y_pairs), Ok(uv_pairs), Ok(out)) = (
            <&[[u8; 2]; BLOCK]>::try_from(y_pairs),
            <&[[u8; 2]; BLOCK]>::try_from(uv_pairs),
            <&mut [[u8; 8]; BLOCK]>::try_from(out),
        ) {
            let ((y0, y1), (u, v)) = (split_pairs(y_pairs), split_pairs(uv_pairs));
            pairs_block::<FULL>(&y0, &y1, &chroma_block::<FULL>(&u, &v), out);
        }
        done += BLOCK;
    }
    let (pairs, odd) = y.as_chunks::<2>();
    let (uv_pairs, _) = uv.as_chunks::<2>();
    let (out_pairs, odd_out) = out.as_chunks_mut::<8>();
    let rest = pairs[done..]
        .iter()
        .zip(&uv_pairs[done..])
        .zip(&mut out_pairs[done..]);
    for ((&[y0, y1], &[u, v]), o) in rest {
        *o = two_pixels::<FULL>(y0, y1, chroma::<FULL>(u, v));
    }
    if let (Some(&y0), Some(&[u, v])) = (odd.first(), uv_pairs.get(pairs.len())) {
        let c = chroma::<FULL>(u, v);
        odd_out.copy_from_slice(&pixel(luma_term::<FULL>(y0), c).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BT.601 limited range, as a camera encodes it (floating point).
    fn encode(rgb: [u8; 3]) -> [f64; 3] {
        let [r, g, b] = rgb.map(f64::from);
        let y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0;
        let u = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0;
        let v = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0;
        [y, u, v]
    }

    /// The same, decoded in floating point: what the fixed point must match.
    fn decode(y: u8, u: u8, v: u8) -> [u8; 4] {
        let (y, u, v) = (
            f64::from(y) - 16.0,
            f64::from(u) - 128.0,
            f64::from(v) - 128.0,
        );
        let k = 255.0 / 219.0;
        let c = 255.0 / 224.0;
        let r = k * y + c * 1.402 * v;
        let g = k * y - c * (0.344136 * u + 0.714136 * v);
        let b = k * y + c * 1.772 * u;
        let q = |x: f64| x.round().clamp(0.0, 255.0) as u8;
        [q(r), q(g), q(b), 255]
    }

    fn byte(x: f64) -> u8 {
        x.round().clamp(0.0, 255.0) as u8
    }

    /// A picture of blocks of pure colours, each 4 pixels wide and 2 high
    /// (so no chroma sample straddles two colours).
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

    fn to_yuyv(w: usize, h: usize, rgb: impl Fn(usize, usize) -> [u8; 3]) -> Vec<u8> {
        let mut out = Vec::new();
        for y in 0..h {
            for x in (0..w).step_by(2) {
                let a = encode(rgb(x, y));
                let b = encode(rgb((x + 1).min(w - 1), y));
                out.extend([
                    byte(a[0]),
                    byte((a[1] + b[1]) / 2.0),
                    byte(b[0]),
                    byte((a[2] + b[2]) / 2.0),
                ]);
            }
        }
        out
    }

    fn to_nv12(w: usize, h: usize, rgb: impl Fn(usize, usize) -> [u8; 3]) -> Vec<u8> {
        let mut out: Vec<u8> = (0..w * h)
            .map(|i| byte(encode(rgb(i % w, i / w))[0]))
            .collect();
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let mut sum = [0.0; 3];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let yuv = encode(rgb((x + dx).min(w - 1), (y + dy).min(h - 1)));
                    sum = [sum[0] + yuv[0], sum[1] + yuv[1], sum[2] + yuv[2]];
                }
                out.extend([byte(sum[1] / 4.0), byte(sum[2] / 4.0)]);
            }
        }
        out
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

    fn opaque([r, g, b]: [u8; 3]) -> [u8; 4] {
        [r, g, b, 255]
    }

    #[test]
    fn yuyv_blocks_of_pure_colour_come_back_as_those_colours() {
        let (w, h) = (24, 4);
        let yuyv = to_yuyv(w, h, block_colour);
        let (mut luma, mut colour) = (LumaImage::default(), RgbaImage::default());
        yuyv_to_rgba(w, h, &yuyv, &mut luma, &mut colour).unwrap();
        assert_eq!((colour.width(), colour.height()), (w, h));
        assert_close(&colour, |x, y| opaque(block_colour(x, y)), 2);
        // The tracker reads the camera's own Y bytes.
        let ys: Vec<u8> = yuyv.iter().step_by(2).copied().collect();
        assert_eq!(luma.pixels(), ys.as_slice());
    }

    /// BT.601 full range (JFIF), as a phone's camera encodes it.
    fn encode_full(rgb: [u8; 3]) -> [f64; 3] {
        let [r, g, b] = rgb.map(f64::from);
        let y = 0.299 * r + 0.587 * g + 0.114 * b;
        let u = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b;
        let v = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b;
        [y, u, v]
    }

    /// JFIF decoded in floating point.
    fn decode_full(y: u8, u: u8, v: u8) -> [u8; 4] {
        let (y, u, v) = (f64::from(y), f64::from(u) - 128.0, f64::from(v) - 128.0);
        let r = y + 1.402 * v;
        let g = y - 0.344136 * u - 0.714136 * v;
        let b = y + 1.772 * u;
        let q = |x: f64| x.round().clamp(0.0, 255.0) as u8;
        [q(r), q(g), q(b), 255]
    }

    #[test]
    fn full_range_nv12_comes_back_as_its_colours_and_differs_from_limited() {
        let (w, h) = (24, 4);
        let mut nv12: Vec<u8> = (0..w * h)
            .map(|i| byte(encode_full(block_colour(i % w, i / w))[0]))
            .collect();
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let yuv = encode_full(block_colour(x, y));
                nv12.extend([byte(yuv[1]), byte(yuv[2])]);
            }
        }
        let (mut luma, mut colour) = (LumaImage::default(), RgbaImage::default());
        nv12_full_range_to_rgba(w, h, &nv12, &mut luma, &mut colour).unwrap();
        assert_close(&colour, |x, y| opaque(block_colour(x, y)), 2);
        assert_eq!(luma.pixels(), &nv12[..w * h]);
        // Read as limited range, black is lifted and white clips: the range
        // the host names matters.
        let mut limited = RgbaImage::default();
        nv12_to_rgba(w, h, &nv12, &mut luma, &mut limited).unwrap();
        assert_ne!(limited.pixels(), colour.pixels());
        // Every sample, odd sizes included, within a level of floating point.
        for (w, h) in [(64, 2), (67, 3), (5, 5), (1, 1)] {
            let nv12 = noise(nv12_len(w, h), 9);
            nv12_full_range_to_rgba(w, h, &nv12, &mut luma, &mut colour).unwrap();
            let uv = |x: usize, y: usize| w * h + (y / 2) * w.div_ceil(2) * 2 + (x / 2) * 2;
            assert_close(
                &colour,
                |x, y| decode_full(nv12[y * w + x], nv12[uv(x, y)], nv12[uv(x, y) + 1]),
                1,
            );
        }
    }

    #[test]
    fn nv12_blocks_of_pure_colour_come_back_as_those_colours() {
        let (w, h) = (24, 4);
        let nv12 = to_nv12(w, h, block_colour);
        let (mut luma, mut colour) = (LumaImage::default(), RgbaImage::default());
        nv12_to_rgba(w, h, &nv12, &mut luma, &mut colour).unwrap();
        assert_close(&colour, |x, y| opaque(block_colour(x, y)), 2);
        assert_eq!(luma.pixels(), &nv12[..w * h]);
    }

    /// Every byte different: each pixel must take its own Y and the chroma
    /// of its pair (YUYV) or 2×2 block (NV12), also at odd edges.
    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut rng = crate::synthetic::Rng::new(seed);
        (0..len).map(|_| rng.next_u64() as u8).collect()
    }

    #[test]
    fn odd_sizes_take_each_pixels_own_chroma_sample() {
        // Narrow rows take the pair-at-a-time path only; wide ones blocks
        // of 64 pixels and then the rest.
        for (w, h) in [
            (1, 1),
            (5, 3),
            (7, 2),
            (2, 5),
            (33, 9),
            (64, 2),
            (131, 5),
            (200, 3),
        ] {
            let yuyv = noise(yuyv_len(w, h), 1);
            let (mut luma, mut colour) = (LumaImage::default(), RgbaImage::default());
            yuyv_to_rgba(w, h, &yuyv, &mut luma, &mut colour).unwrap();
            let row = w.div_ceil(2) * 4;
            let at = |x: usize, y: usize| y * row + (x / 2) * 4;
            assert_close(
                &colour,
                |x, y| {
                    let i = at(x, y);
                    decode(yuyv[i + 2 * (x % 2)], yuyv[i + 1], yuyv[i + 3])
                },
                1,
            );
            for y in 0..h {
                for x in 0..w {
                    assert_eq!(luma.get(x, y), yuyv[at(x, y) + 2 * (x % 2)], "{w}×{h}");
                }
            }

            let nv12 = noise(nv12_len(w, h), 2);
            nv12_to_rgba(w, h, &nv12, &mut luma, &mut colour).unwrap();
            let uv = |x: usize, y: usize| w * h + (y / 2) * w.div_ceil(2) * 2 + (x / 2) * 2;
            assert_close(
                &colour,
                |x, y| decode(nv12[y * w + x], nv12[uv(x, y)], nv12[uv(x, y) + 1]),
                1,
            );
            assert_eq!(luma.pixels(), &nv12[..w * h], "{w}×{h}");
        }
    }

    #[test]
    fn short_buffers_are_refused_and_long_ones_read_from_the_start() {
        let (mut luma, mut colour) = (LumaImage::default(), RgbaImage::default());
        let (w, h) = (6, 4);
        assert_eq!(yuyv_len(w, h), 48);
        assert_eq!(nv12_len(w, h), 36);
        assert_eq!(nv12_len(5, 3), 15 + 12);
        let err = yuyv_to_rgba(w, h, &[0; 47], &mut luma, &mut colour).unwrap_err();
        assert!(
            matches!(
                err,
                Error::FrameSize {
                    expected: 48,
                    got: 47,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("needs 48 bytes"), "{err}");
        let err = nv12_to_rgba(w, h, &[0; 35], &mut luma, &mut colour).unwrap_err();
        assert!(
            matches!(err, Error::FrameSize { expected: 36, .. }),
            "{err}"
        );
        // A size no buffer can hold is an error too, not an overflow.
        assert!(yuyv_to_rgba(usize::MAX, 3, &[], &mut luma, &mut colour).is_err());
        assert!(nv12_to_rgba(usize::MAX, 3, &[], &mut luma, &mut colour).is_err());

        let mut padded = to_yuyv(w, h, |_, _| [0, 0, 255]);
        padded.extend([0; 100]);
        yuyv_to_rgba(w, h, &padded, &mut luma, &mut colour).unwrap();
        assert_close(&colour, |_, _| [0, 0, 255, 255], 2);
        let mut padded = to_nv12(w, h, |_, _| [0, 255, 0]);
        padded.extend([7; 10]);
        nv12_to_rgba(w, h, &padded, &mut luma, &mut colour).unwrap();
        assert_close(&colour, |_, _| [0, 255, 0, 255], 2);

        yuyv_to_rgba(0, 0, &[], &mut luma, &mut colour).unwrap();
        assert_eq!((colour.width(), colour.pixels().len()), (0, 0));
    }

    #[test]
    fn same_sized_frames_reuse_the_buffers() {
        let (w, h) = (64, 48);
        let yuyv = noise(yuyv_len(w, h), 3);
        let (mut luma, mut colour) = (LumaImage::default(), RgbaImage::default());
        yuyv_to_rgba(w, h, &yuyv, &mut luma, &mut colour).unwrap();
        let buffers = (luma.pixels().as_ptr(), colour.pixels().as_ptr());
        let nv12 = noise(nv12_len(w, h), 4);
        nv12_to_rgba(w, h, &nv12, &mut luma, &mut colour).unwrap();
        yuyv_to_rgba(w, h, &yuyv, &mut luma, &mut colour).unwrap();
        assert_eq!((luma.pixels().as_ptr(), colour.pixels().as_ptr()), buffers);
    }
}
