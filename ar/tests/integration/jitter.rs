//! A still marker under sensor noise: the filtered corners must hold still.

use std::time::Duration;

use ridewire_ar::synthetic::{Background, PlacedMarker, Rng, Scene, render};
use ridewire_ar::{Intrinsics, LumaImage, Pose, Tracker, TrackerSettings};

use crate::common::SIZE;

fn std_dev(values: &[f64]) -> f64 {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

#[test]
fn still_marker_corners_shiver_less_than_half_a_pixel_after_filtering() {
    let (w, h) = (640, 480);
    let k = Intrinsics::from_fov(w, h, 60.0).unwrap();
    // 60 px wide, tilted 35° about a slanted axis: small and oblique, the
    // case where jitter is worst.
    let pose = Pose {
        rvec: [2.6, 0.5, 0.3],
        tvec: [0.02, -0.01, k.fx * SIZE / 60.0],
    };
    let scene = Scene {
        width: w,
        height: h,
        intrinsics: k,
        background: Background::Blotches,
        markers: vec![PlacedMarker {
            id: 7,
            size: SIZE,
            pose,
        }],
        blur_sigma: 0.8,
        noise_sigma: 0.0,
        effects: Default::default(),
        seed: 3,
    };
    let mut clean = LumaImage::default();
    render(&scene, &mut clean);
    let mut tracker = Tracker::new(TrackerSettings::new(SIZE, k));
    let mut rng = Rng::new(99);
    let mut noisy = clean.clone();
    let mut raw: [Vec<f64>; 8] = Default::default();
    let mut filtered: [Vec<f64>; 8] = Default::default();
    let frames = 300;
    for i in 0..frames {
        for (o, &c) in noisy.pixels_mut().iter_mut().zip(clean.pixels()) {
            *o = (c as f64 + 4.0 * rng.normal()).round().clamp(0.0, 255.0) as u8;
        }
        let t = Duration::from_secs_f64(i as f64 / 30.0);
        let seen = tracker.update(&noisy, t);
        assert_eq!(seen.len(), 1, "frame {i}");
        // Let the filter settle for a second before measuring.
        if i >= 30 {
            for c in 0..4 {
                raw[2 * c].push(seen[0].raw_corners[c].x);
                raw[2 * c + 1].push(seen[0].raw_corners[c].y);
                filtered[2 * c].push(seen[0].corners[c].x);
                filtered[2 * c + 1].push(seen[0].corners[c].y);
            }
        }
    }
    let worst = |v: &[Vec<f64>; 8]| v.iter().map(|s| std_dev(s)).fold(0.0, f64::max);
    eprintln!(
        "still marker over {frames} noisy frames: corner std dev raw {:.3} px, filtered {:.3} px (worst coordinate)",
        worst(&raw),
        worst(&filtered)
    );
    assert!(worst(&filtered) <= 0.5);
    assert!(worst(&filtered) <= worst(&raw));
}
