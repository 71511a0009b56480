//! Shared scene builders and measurements.

use ridewire_ar::synthetic::{self, Background, PlacedMarker, Rng, Scene};
use ridewire_ar::{Intrinsics, LumaImage, Marker, Point};

/// The backgrounds a marker is tested against, in turn.
pub const BACKGROUNDS: [Background; 5] = [
    Background::Flat(140),
    Background::Gradient,
    Background::Blotches,
    Background::Text,
    Background::Squares,
];

/// Side of the synthetic markers, metres.
pub const SIZE: f64 = 0.05;

/// A scene with one random marker (face-on width `min_px..max_px`, tilt up
/// to `max_tilt` degrees), mild blur and noise, over background `i % 5`.
pub fn one_marker_scene(
    seed: u64,
    width: usize,
    height: usize,
    min_px: f64,
    max_px: f64,
    max_tilt: f64,
) -> Scene {
    let k = Intrinsics::from_fov(width, height, 60.0).unwrap();
    let mut rng = Rng::new(seed);
    let id = (rng.next_u64() % 50) as u16;
    let pose = synthetic::random_pose(&mut rng, &k, width, height, SIZE, min_px, max_px, max_tilt);
    Scene {
        width,
        height,
        intrinsics: k,
        background: BACKGROUNDS[(seed % 5) as usize],
        markers: vec![PlacedMarker {
            id,
            size: SIZE,
            pose,
        }],
        blur_sigma: rng.range(0.0, 1.0),
        noise_sigma: rng.range(0.0, 4.0),
        effects: Default::default(),
        seed,
    }
}

/// Renders a scene, returning the image and the true corners.
pub fn draw(scene: &Scene) -> (LumaImage, Vec<[Point; 4]>) {
    let mut img = LumaImage::default();
    let truth = synthetic::render(scene, &mut img);
    (img, truth.into_iter().map(|t| t.unwrap()).collect())
}

/// Whether every corner lies at least `margin` pixels inside the frame.
pub fn inside(corners: &[Point; 4], w: usize, h: usize, margin: f64) -> bool {
    corners.iter().all(|p| {
        p.x >= margin
            && p.y >= margin
            && p.x <= w as f64 - 1.0 - margin
            && p.y <= h as f64 - 1.0 - margin
    })
}

/// Squared corner errors of a detection against the truth (same order).
pub fn corner_sq_errors(found: &Marker, truth: &[Point; 4]) -> [f64; 4] {
    [0, 1, 2, 3].map(|k| found.corners[k].distance(truth[k]).powi(2))
}
