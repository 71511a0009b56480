//! A rider's own plan, through the real binaries: opened with `ridewire
//! --plan FILE` (ticks recorded), synced through a real `ridewire-server`
//! to a second device, where the Map draws the same map.

use std::path::Path;

use ridewire_app::plans::{self, Source};
use ridewire_app::rider::Rider;

use crate::picture::{Picture, ridewire};
use crate::sync::{start_server, sync};

const PASSWORD: &str = "correct horse battery staple";

fn map_of(db: &Path, shot: &Path, extra: &[&str]) -> Picture {
    let mut args = vec![
        "--screenshot",
        shot.to_str().expect("utf-8"),
        "--screen",
        "overworld",
        "--size",
        "960x600",
        "--database",
        db.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let out = ridewire(&args);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Picture::load(shot)
}

#[test]
fn a_plan_opened_on_the_phone_is_drawn_the_same_on_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let file = dir.path().join("spring.md");
    let text = plans::TEMPLATES[0]
        .1
        .replace("    - [ ] Warm the engine", "    - [x] Warm the engine");
    std::fs::write(&file, &text).expect("plan file");
    let (phone, terminal) = (dir.path().join("phone.db"), dir.path().join("terminal.db"));

    // Opened with --plan: the Map shows it; the ticked step is recorded.
    let phone_map = map_of(
        &phone,
        &dir.path().join("phone.png"),
        &["--plan", file.to_str().expect("utf-8")],
    );
    let rider = Rider::open(&phone, 0).expect("phone");
    let current = plans::current(&rider).unwrap().expect("a current plan");
    assert_eq!(current.title, "Spring service");
    assert_eq!(rider.events().len(), 1, "the ticked step");
    drop(rider);

    let url = server.url.as_str();
    let email = "rider@example.com";
    let (code, text_out) = sync(
        &phone,
        &["--server", url, "--email", email, "--register"],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{text_out}");
    let (code, text_out) = sync(
        &terminal,
        &["--server", url, "--email", email],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{text_out}");

    let mut rider = Rider::open(&terminal, 0).expect("terminal");
    let listed = plans::plans(&rider).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].markdown, text, "the whole text came across");
    assert!(matches!(
        listed[0].source,
        Source::Own {
            file: None,
            waiting: false,
            trouble: None
        }
    ));
    plans::choose(&mut rider, Some(&listed[0].id)).unwrap();
    drop(rider);
    let terminal_map = map_of(&terminal, &dir.path().join("terminal.png"), &[]);
    assert_eq!(
        (phone_map.width, phone_map.height),
        (terminal_map.width, terminal_map.height)
    );
    let differing = phone_map
        .rgba
        .chunks(4)
        .zip(terminal_map.rgba.chunks(4))
        .filter(|(a, b)| a[..3].iter().zip(&b[..3]).any(|(x, y)| x.abs_diff(*y) > 24))
        .count();
    let share = differing as f64 / f64::from(phone_map.width * phone_map.height);
    assert!(share < 0.02, "{:.1} % of the maps differ", share * 100.0);
}
