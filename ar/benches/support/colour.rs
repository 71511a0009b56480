//! What a camera's thread spends turning a 1280×720 frame into luma and
//! colour (part of `cargo xtask bench ar`).

use super::*;

/// A 1280×720 colour picture with the texture of camera footage: three
/// differently seeded blotchy channels (paintwork, shadows) over a marker
/// frame's luma, with sensor noise.
fn colour_picture() -> Vec<[u8; 3]> {
    let k = camera();
    let (luma, _, _) = (0..)
        .find_map(|seed| marker_frame(seed, CameraEffects::default()))
        .unwrap();
    let channel = |seed| {
        let mut img = LumaImage::default();
        render(
            &Scene {
                width: W,
                height: H,
                intrinsics: k,
                background: Background::Blotches,
                markers: Vec::new(),
                blur_sigma: 0.0,
                noise_sigma: 3.0,
                effects: Default::default(),
                seed,
            },
            &mut img,
        );
        img
    };
    let (r, g, b) = (channel(11), channel(12), channel(13));
    (0..W * H)
        .map(|i| {
            let l = i32::from(luma.pixels()[i]);
            [r.pixels()[i], g.pixels()[i], b.pixels()[i]]
                .map(|c| ((l + i32::from(c) - 128).clamp(0, 255)) as u8)
        })
        .collect()
}

/// BT.601 limited range, as a webcam encodes it.
fn yuv601(&[r, g, b]: &[u8; 3]) -> [i32; 3] {
    let [r, g, b] = [r, g, b].map(i32::from);
    [
        16 + ((66 * r + 129 * g + 25 * b + 128) >> 8),
        128 + ((-38 * r - 74 * g + 112 * b + 128) >> 8),
        128 + ((112 * r - 94 * g - 18 * b + 128) >> 8),
    ]
}

/// Per 1280×720 frame, the cost of what a camera's thread does to a
/// frame: today's luma-only reads next to luma and RGBA colour from the
/// same buffer, for YUYV, NV12 and MJPEG (quality 85, 4:2:2 like UVC
/// cameras send). Median of many runs.
pub(super) fn colour_conversion() {
    use ridewire_ar::RgbaImage;
    use ridewire_ar::frames::{
        jpeg_luma, mjpeg_to_rgba, nv12_full_range_to_rgba, nv12_to_rgba, yuyv_to_rgba,
    };

    let picture = colour_picture();
    let yuv: Vec<[i32; 3]> = picture.iter().map(yuv601).collect();
    let yuyv: Vec<u8> = yuv
        .chunks_exact(2)
        .flat_map(|p| {
            [
                p[0][0],
                (p[0][1] + p[1][1]) / 2,
                p[1][0],
                (p[0][2] + p[1][2]) / 2,
            ]
            .map(|v| v as u8)
        })
        .collect();
    let mut nv12: Vec<u8> = yuv.iter().map(|p| p[0] as u8).collect();
    for y in (0..H).step_by(2) {
        for x in (0..W).step_by(2) {
            let at = |dx: usize, dy: usize| yuv[(y + dy) * W + x + dx];
            let block = [at(0, 0), at(1, 0), at(0, 1), at(1, 1)];
            for c in [1, 2] {
                nv12.push((block.iter().map(|p| p[c]).sum::<i32>() / 4) as u8);
            }
        }
    }
    let flat: Vec<u8> = picture.concat();
    let mut mjpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut mjpeg, 85);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_1);
    encoder
        .encode(&flat, W as u16, H as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();

    let mut luma = LumaImage::default();
    let mut colour = RgbaImage::default();
    let mut figures = serde_json::Map::new();
    let mut figure = |name: &str, ms: f64| {
        figures.insert(name.to_owned(), json!((ms * 1000.0).round() / 1000.0));
    };
    figure(
        "yuyv_luma_only",
        median_ms(200, || {
            // What the webcam did before: every other byte.
            luma.resize(W, H);
            for (dst, pair) in luma.pixels_mut().iter_mut().zip(yuyv.chunks_exact(2)) {
                *dst = pair[0];
            }
            std::hint::black_box(&luma);
        }),
    );
    figure(
        "yuyv_rgba_and_luma",
        median_ms(200, || {
            yuyv_to_rgba(W, H, &yuyv, &mut luma, &mut colour).unwrap();
            std::hint::black_box(&colour);
        }),
    );
    figure(
        "nv12_luma_only",
        median_ms(200, || {
            luma.copy_from_plane(W, H, W, &nv12).unwrap();
            std::hint::black_box(&luma);
        }),
    );
    figure(
        "nv12_rgba_and_luma",
        median_ms(200, || {
            nv12_to_rgba(W, H, &nv12, &mut luma, &mut colour).unwrap();
            std::hint::black_box(&colour);
        }),
    );
    // A phone's full-range NV12 (the same bytes, read the other way: the
    // arithmetic is what is timed).
    figure(
        "nv12_full_range_rgba_and_luma",
        median_ms(200, || {
            nv12_full_range_to_rgba(W, H, &nv12, &mut luma, &mut colour).unwrap();
            std::hint::black_box(&colour);
        }),
    );
    figure(
        "mjpeg_luma_only",
        median_ms(50, || {
            jpeg_luma(&mjpeg, &mut luma).unwrap();
            std::hint::black_box(&luma);
        }),
    );
    figure(
        "mjpeg_rgba_and_luma",
        median_ms(50, || {
            assert!(mjpeg_to_rgba(&mjpeg, &mut luma, &mut colour).unwrap());
            std::hint::black_box(&colour);
        }),
    );
    // The luma of the one colour decode is the luma-only decode's, exactly.
    let mut alone = LumaImage::default();
    jpeg_luma(&mjpeg, &mut alone).unwrap();
    mjpeg_to_rgba(&mjpeg, &mut luma, &mut colour).unwrap();
    let luma_differs = luma
        .pixels()
        .iter()
        .zip(alone.pixels())
        .filter(|(a, b)| a != b)
        .count();
    line(
        json!({"figure": "camera_frame_conversion_ms_1280x720", "statistic": "median",
        "mjpeg_bytes": mjpeg.len(), "mjpeg_luma_pixels_unlike_luma_decode": luma_differs,
        "ms": figures}),
    );
}
