//! Invariants over random inputs.

use proptest::prelude::*;
use ridewire_ar::geometry::{
    rodrigues_from_rotation, rotation_angle_between, rotation_from_rodrigues,
};
use ridewire_ar::pose::{project_corners, solve_square};
use ridewire_ar::synthetic::Rng;
use ridewire_ar::{Detector, Intrinsics, LumaImage, Pose};

proptest! {
    /// Exact corners of any marker in front of the camera give its pose back
    /// as one of IPPE's two solutions, the best-fitting one.
    #[test]
    fn ippe_recovers_any_visible_pose(
        axis in (-1.0f64..1.0, -1.0f64..1.0, -1.0f64..1.0),
        tilt in 0.0f64..1.2,
        roll in 0.0f64..std::f64::consts::TAU,
        x in -0.2f64..0.2, y in -0.1f64..0.1, z in 0.2f64..2.0,
    ) {
        let k = Intrinsics::from_fov(1280, 720, 60.0).unwrap();
        // Face the camera, turn in the marker's plane, then tilt away.
        let n = (axis.0 * axis.0 + axis.1 * axis.1).sqrt().max(1e-6);
        let tilt_axis = [axis.0 / n * tilt, axis.1 / n * tilt, 0.0];
        let facing = ridewire_ar::geometry::mul(
            &[[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]],
            &rotation_from_rodrigues([0.0, 0.0, roll]),
        );
        let r = ridewire_ar::geometry::mul(&rotation_from_rodrigues(tilt_axis), &facing);
        let truth = Pose { rvec: rodrigues_from_rotation(&r), tvec: [x * z, y * z, z] };
        let corners = project_corners(&truth, 0.05, &k).unwrap();
        let [best, _] = solve_square(&corners, 0.05, &k).unwrap();
        // Exact corners reproject to within floating-point noise: near a
        // frontal view the homography IPPE starts from leaves about 1e-6 px
        // (a saved case: 1.2e-6 px with the pose right to 1e-7 rad), so the
        // bound is 1e-5 px; the pose itself is held to 1e-5 rad below. (A
        // second saved case, a pose 1.3e-5 rad short of a half turn, found
        // the Rodrigues conversion losing 6e-7 rad there.)
        prop_assert!(best.reprojection_rms < 1e-5, "rms {}", best.reprojection_rms);
        prop_assert!(rotation_angle_between(&best.pose.rotation(), &truth.rotation()) < 1e-5);
        for i in 0..3 {
            prop_assert!((best.pose.tvec[i] - truth.tvec[i]).abs() < 1e-6 * z.max(1.0));
        }
    }

    /// Any grey image, of any size, is read without panicking, and random
    /// noise never holds a marker.
    #[test]
    fn random_images_never_panic_or_hold_markers(w in 0usize..80, h in 0usize..80, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let pixels: Vec<u8> = (0..w * h).map(|_| (rng.next_u64() & 0xff) as u8).collect();
        let img = LumaImage::from_pixels(w, h, pixels).unwrap();
        prop_assert!(Detector::default().detect(&img).is_empty());
    }
}
