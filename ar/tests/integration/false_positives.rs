//! Frames without a marker must give no detections.

use ridewire_ar::synthetic::{Scene, render};
use ridewire_ar::{Detector, DetectorSettings, Intrinsics, LumaImage};

use crate::common::BACKGROUNDS;

#[test]
fn no_markers_are_seen_in_500_frames_without_one() {
    let (w, h) = (640, 480);
    let k = Intrinsics::from_fov(w, h, 60.0).unwrap();
    let mut detector = Detector::new(DetectorSettings::default());
    let mut img = LumaImage::default();
    let mut false_positives = 0;
    for seed in 0..500u64 {
        let scene = Scene {
            width: w,
            height: h,
            intrinsics: k,
            // Mostly the marker-like squares and text, the hardest ones.
            background: BACKGROUNDS[[1, 2, 3, 4, 4][(seed % 5) as usize]],
            markers: Vec::new(),
            blur_sigma: (seed % 3) as f64 * 0.5,
            noise_sigma: (seed % 4) as f64 * 2.0,
            effects: Default::default(),
            seed: 10_000 + seed,
        };
        render(&scene, &mut img);
        let found = detector.detect(&img);
        if !found.is_empty() {
            eprintln!("seed {seed}: {:?} on {:?}", found, scene.background);
        }
        false_positives += found.len();
    }
    assert_eq!(false_positives, 0);
}
