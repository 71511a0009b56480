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
