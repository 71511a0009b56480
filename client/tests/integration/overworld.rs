//! The Map screen: the starter plan's overworld, rendered through the app's
//! screenshot path and compared with a checked-in picture.
//!
//! To accept a deliberate change of the picture, run the test with
//! `RIDEWIRE_BLESS=1` (it then writes the golden file instead of comparing),
//! look at `client/tests/golden/overworld-640x360.png`, and commit it.

use crate::picture::{assert_matches_golden, render};

/// The checked-in picture.
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/overworld-640x360.png"
);

/// Colours from the tileset (`xtask/src/assets.rs`).
const ROAD_SURFACE: [u8; 3] = [204, 172, 116];
const ACTIVE: [u8; 3] = [232, 88, 40];

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

    assert_matches_golden(&dir.path().join("overworld.png"), GOLDEN);
}
