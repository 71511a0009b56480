//! The Map screen: the starter plan's overworld, rendered through the app's
//! screenshot path and compared with a checked-in picture.
//!
//! To accept a deliberate change of the picture, run the test with
//! `RIDEWIRE_BLESS=1` (it then writes the golden file instead of comparing),
//! look at `client/tests/golden/overworld-640x360.png`, and commit it.

use std::path::Path;

use crate::picture::{Picture, render};

/// The checked-in picture.
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/overworld-640x360.png"
);

/// Colours from the tileset (`xtask/src/assets.rs`).
const ROAD_SURFACE: [u8; 3] = [204, 172, 116];
const ACTIVE: [u8; 3] = [232, 88, 40];

/// How far two pictures are apart: the mean absolute difference per
/// channel, and the share of pixels where some channel differs by more than 32.
fn difference(a: &Picture, b: &Picture) -> (f64, f64) {
    let mut sum = 0u64;
    let mut off = 0usize;
    for (p, q) in a.rgba.chunks(4).zip(b.rgba.chunks(4)) {
        let d: Vec<u8> = p[..3]
            .iter()
            .zip(&q[..3])
            .map(|(x, y)| x.abs_diff(*y))
            .collect();
        sum += d.iter().map(|&v| u64::from(v)).sum::<u64>();
        if d.iter().any(|&v| v > 32) {
            off += 1;
        }
    }
    let pixels = (a.width * a.height) as f64;
    (sum as f64 / (pixels * 3.0), off as f64 / pixels)
}

#[test]
fn the_map_screen_matches_the_golden_picture() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pic = render("overworld", "640x360", dir.path());
    assert_eq!((pic.width, pic.height), (640, 360));
    // What a rider would notice first: there is a road, and the nodes on
    // it are orange (the demo plan's first sections are under way).
    let road = pic.find(ROAD_SURFACE, 6).expect("no road on the map");
    assert!(road.count > 300, "only {} road pixels", road.count);
    let active = pic.find(ACTIVE, 6).expect("no active node marker");
    assert!(active.count > 30, "only {} marker pixels", active.count);

    let golden = Path::new(GOLDEN);
    if std::env::var_os("RIDEWIRE_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().expect("folder")).expect("golden folder");
        std::fs::copy(dir.path().join("overworld.png"), golden).expect("write golden");
        return;
    }
    let expected = Picture::load(golden);
    assert_eq!((expected.width, expected.height), (pic.width, pic.height));
    let (mean, off) = difference(&pic, &expected);
    if mean >= 2.0 || off >= 0.01 {
        let keep = std::env::temp_dir().join("overworld-actual.png");
        let _ = std::fs::copy(dir.path().join("overworld.png"), &keep);
        panic!(
            "the map differs from {GOLDEN}: mean difference {mean:.2} per channel, \
             {:.2} % of pixels off by more than 32; the picture is at {} \
             (RIDEWIRE_BLESS=1 accepts it)",
            off * 100.0,
            keep.display()
        );
    }
}
