//! The app on the rider's own database: created on first use, damaged
//! files moved aside, newer files refused untouched.

use crate::picture::ridewire;

fn screenshot_with(db: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    ridewire(&[
        "--database",
        db.to_str().unwrap(),
        "--screenshot",
        out.to_str().unwrap(),
        "--size",
        "640x400",
    ])
}

#[test]
fn a_damaged_database_is_moved_aside_and_the_app_still_starts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rider.db");
    std::fs::write(&db, b"not sqlite at all".repeat(300)).unwrap();
    let out = screenshot_with(&db, &dir.path().join("home.png"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("rider.db.damaged-")),
        "{names:?}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("damaged"),
        "no warning about the damaged file: {err}"
    );
}

#[test]
fn a_database_from_a_newer_app_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rider.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();
    let out = screenshot_with(&db, &dir.path().join("home.png"));
    // The app still shows a screen (with the reason), and the file is untouched.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer version of RideWire"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}
