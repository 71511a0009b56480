//! The workshop terminal's screens, rendered as `ridewire --workshop` draws
//! them at 1920×1080 in the touch layout (the demo garage's sample
//! morning, as at a fixed time), compared with checked-in pictures.

use std::path::Path;

use crate::picture::{Picture, assert_matches_golden, ridewire};

/// The terminal's picture of `screen`.
fn terminal_shot(dir: &Path, screen: &str) -> std::path::PathBuf {
    let shot = dir.join(format!("{screen}.png"));
    let out = ridewire(&[
        "--workshop",
        "--demo",
        "--screenshot",
        shot.to_str().expect("utf-8"),
        "--screen",
        screen,
        "--size",
        "1920x1080",
        "--at",
        "2026-03-05T09:30:00+01:00",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Ok(keep) = std::env::var("RIDEWIRE_KEEP_SCREENSHOTS") {
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(&shot, Path::new(&keep).join(format!("{screen}.png")));
    }
    shot
}

#[test]
fn the_board_shows_todays_bays_with_bookings_and_what_waits_for_review() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shot = terminal_shot(dir.path(), "board");
    let pic = Picture::load(&shot);
    assert_eq!((pic.width, pic.height), (1920, 1080));
    // Booked slots are green; those whose customer has a diagnosis waiting
    // for review are amber — two of them, each a card of hundreds of px.
    let amber = pic
        .find_in_rows([0x4a, 0x33, 0x1c], 8, 140, 1080)
        .expect("no amber card");
    assert!(
        amber.count > 2 * 40_000,
        "only {} amber pixels",
        amber.count
    );
    let green = pic
        .find_in_rows([0x1f, 0x3a, 0x2e], 8, 140, 1080)
        .expect("no green card");
    assert!(
        green.count > 2 * 40_000,
        "only {} green pixels",
        green.count
    );
    assert_matches_golden(
        &shot,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/workshop-board-1920x1080.png"
        ),
    );
}

#[test]
fn the_review_queue_shows_the_oldest_run_beside_the_queue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shot = terminal_shot(dir.path(), "reviews");
    let pic = Picture::load(&shot);
    // The run under review is marked in the accent colour in the queue.
    let accent = pic
        .find_in_rows([0xf2, 0x8c, 0x28], 20, 180, 280)
        .expect("no run marked");
    assert!(accent.count > 50_000, "only {} accent pixels", accent.count);
    assert_matches_golden(
        &shot,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/workshop-reviews-1920x1080.png"
        ),
    );
}

#[test]
fn the_plan_editor_draws_the_customers_map_beside_the_markdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shot = terminal_shot(dir.path(), "plans");
    let pic = Picture::load(&shot);
    // The preview's grass, in the right-hand third, below the header.
    let grass = pic
        .find_in_rows([0x4c, 0xa4, 0x3c], 8, 200, 760)
        .expect("no map drawn");
    assert!(
        grass.x0 > 1250,
        "the map is in the right-hand column: {grass:?}"
    );
    assert!(grass.count > 50_000, "only {} grass pixels", grass.count);
    assert_matches_golden(
        &shot,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/workshop-plans-1920x1080.png"
        ),
    );
}

#[test]
fn the_terminals_scanner_names_the_bike_booked_in_its_bay() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shot = terminal_shot(dir.path(), "scan");
    let pic = Picture::load(&shot);
    // The demo terminal's camera looks at Lift 1, where Ana Ortiz's Street
    // 750 comes in next: a line in gold over the picture, below the
    // source's line, says whose bike it is.
    let line = pic
        .find_in_rows([0xe8, 0xb9, 0x3a], 12, 120, 170)
        .expect("no gold line over the scanner");
    assert!(line.count > 400, "only {} gold pixels", line.count);
    assert!(line.x0 < 40, "at the left edge: {line:?}");
    assert!(line.x1 > 400, "a sentence long: {line:?}");

    // A rider's own scanner has no such line.
    let own = dir.path().join("own-scan.png");
    let out = ridewire(&[
        "--demo",
        "--screenshot",
        own.to_str().expect("utf-8"),
        "--screen",
        "scan",
        "--size",
        "1920x1080",
    ]);
    assert!(out.status.success());
    let pic = Picture::load(&own);
    assert_eq!(pic.find_in_rows([0xe8, 0xb9, 0x3a], 12, 120, 170), None);
}
