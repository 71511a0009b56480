//! The command line explains bad input and missing displays.

use crate::picture::ridewire;

#[test]
fn a_bad_size_is_refused_with_a_reason() {
    let out = ridewire(&["--screenshot", "x.png", "--size", "12x12"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("outside 64x64"), "{err}");
}

#[test]
fn an_unknown_screen_lists_the_real_ones() {
    let out = ridewire(&["--screenshot", "x.png", "--screen", "garage"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("home") && err.contains("quests") && err.contains("settings"),
        "{err}"
    );
}

#[test]
fn without_a_display_the_window_mode_says_what_to_do() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ridewire"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("start ridewire");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--screenshot"), "{err}");
}

#[test]
fn detect_reports_the_demo_marker_in_opencv_terms() {
    let frame = ridewire_client::scan::assets_root().join("ar/demo/frame-000.png");
    let out = ridewire(&["detect", "--json", frame.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let frames = report["frames"].as_array().expect("frames");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["file"], "frame-000.png");
    assert!(frames[0]["ms"].as_f64().is_some_and(|ms| ms > 0.0));
    let marker = &frames[0]["markers"][0];
    assert_eq!(marker["id"], 7);
    // The demo recording's first frame: the 8 cm marker 1.10 m ahead and
    // 12 cm right of the optical axis, face-on (xtask/src/scan_demo.rs).
    let t: Vec<f64> = serde_json::from_value(marker["tvec"].clone()).expect("tvec");
    for (got, want) in t.iter().zip([0.12, 0.0, 1.10]) {
        assert!((got - want).abs() < 0.01, "tvec {t:?}");
    }
    // Corners in OpenCV's order: top-left, top-right, bottom-right, bottom-left.
    let c: Vec<[f64; 2]> = serde_json::from_value(marker["corners"].clone()).expect("corners");
    assert!(
        c[0][0] < c[1][0] && c[1][1] < c[2][1] && c[3][0] < c[2][0],
        "{c:?}"
    );
}

#[test]
fn detect_refuses_missing_files_and_bad_intrinsics_with_exit_2() {
    let out = ridewire(&["detect", "/no/such/frame.png"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/frame.png"));
    let out = ridewire(&["detect", "--intrinsics", "800,800,320", "x.png"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FX,FY,CX,CY"));
}
