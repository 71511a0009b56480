//! A slowly turning marker: the tracked pose must follow it without ever
//! jumping to IPPE's mirror solution.

use std::time::Duration;

use ridewire_ar::geometry::{mul, rodrigues_from_rotation, rotation_about, rotation_angle_between};
use ridewire_ar::synthetic::{Background, PlacedMarker, Scene, render};
use ridewire_ar::{Intrinsics, LumaImage, Pose, Tracker, TrackerSettings};

use crate::common::SIZE;

#[test]
fn slowly_turning_marker_never_flips() {
    let (w, h) = (640, 480);
    let k = Intrinsics::from_fov(w, h, 60.0).unwrap();
    let facing = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]];
    let mut tracker = Tracker::new(TrackerSettings::new(SIZE, k));
    let mut img = LumaImage::default();
    let frames = 160;
    let mut previous: Option<Pose> = None;
    let (mut worst_step, mut worst_error) = (0.0f64, 0.0f64);
    for i in 0..frames {
        // Swing from −40° to +40° about a slanted axis, small and far away
        // (55 px), where the two poses look most alike.
        let angle = (-40.0 + 80.0 * i as f64 / (frames - 1) as f64).to_radians();
        let axis = [0.8f64, 0.6, 0.0];
        let r = mul(&rotation_about(axis, angle.cos(), angle.sin()), &facing);
        let truth = Pose {
            rvec: rodrigues_from_rotation(&r),
            tvec: [-0.01, 0.01, k.fx * SIZE / 55.0],
        };
        let scene = Scene {
            width: w,
            height: h,
            intrinsics: k,
            background: Background::Gradient,
            markers: vec![PlacedMarker {
                id: 21,
                size: SIZE,
                pose: truth,
            }],
            blur_sigma: 0.7,
            noise_sigma: 3.0,
            effects: Default::default(),
            seed: i as u64,
        };
        render(&scene, &mut img);
        let seen = tracker.update(&img, Duration::from_secs_f64(i as f64 / 30.0));
        assert_eq!(seen.len(), 1, "frame {i}");
        let pose = seen[0].pose;
        let error = rotation_angle_between(&pose.rotation(), &truth.rotation()).to_degrees();
        worst_error = worst_error.max(error);
        if let Some(p) = previous {
            let step = rotation_angle_between(&pose.rotation(), &p.rotation()).to_degrees();
            worst_step = worst_step.max(step);
        }
        previous = Some(pose);
    }
    eprintln!(
        "turning marker: true step 0.5°/frame, worst tracked step {worst_step:.2}°, worst error {worst_error:.2}°"
    );
    // A flip to the mirror pose is off by about twice the tilt: up to 80°
    // here. Near face-on the two poses meet and the tracker may settle a
    // few degrees once the views tell them apart, never more.
    assert!(worst_step < 10.0, "pose jumped {worst_step}° in one frame");
    assert!(worst_error < 10.0, "pose off by {worst_error}°");
}
