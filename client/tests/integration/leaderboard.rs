//! Leaderboards as riders use them: `ridewire leaderboard` against a real
//! `ridewire-server` (joining under a name, a name taken, the rider's own
//! row, the last copy shown offline), the running app asking through its
//! syncer, and the screen compared with a checked-in picture.

use std::path::Path;
use std::process::Command;

use bevy::prelude::*;
use ridewire_app::leaderboard as boards;
use ridewire_app::rider::Rider;
use ridewire_client::leaderboard::{BoardAsk, Boards};
use ridewire_client::player::{Clock, DataSource, Player};
use ridewire_engine::sync::leaderboard::{
    Board, Entry, LeaderboardPage, Me, Period, week_of, week_start_ms,
};

use crate::picture::{Picture, assert_matches_golden, ridewire};
use crate::sync::{start_server, sync, update_until};

/// The checked-in picture of the screen.
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/leaderboard-1280x720.png"
);

const PASSWORD: &str = "correct horse battery staple";

/// `ridewire leaderboard …` on `db`: exit code, standard output, standard error.
fn leaderboard(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ridewire"))
        .arg("leaderboard")
        .args(args)
        .args(["--database", db.to_str().expect("utf-8")])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run ridewire");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn diagnose(db: &Path, code: &str) {
    let out = ridewire(&["diagnose", code, "--database", db.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A rider with `runs` diagnoses, signed up on the server as `email`.
fn rider(dir: &Path, url: &str, email: &str, runs: usize) -> std::path::PathBuf {
    let db = dir.join(format!("{email}.db"));
    for code in ["P0300", "P0171", "P0562"].into_iter().take(runs) {
        diagnose(&db, code);
    }
    let (code, text) = sync(
        &db,
        &["--server", url, "--email", email, "--register"],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{text}");
    db
}

#[test]
fn riders_join_under_a_name_see_their_rank_and_keep_the_board_offline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let ana = rider(dir.path(), &server.url, "ana@example.com", 1);
    let bo = rider(dir.path(), &server.url, "bo@example.com", 2);

    // Not listed until a name is chosen: the board says where they would be.
    let (code, out, err) = leaderboard(&ana, &["diagnostics"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 listed"), "{out}");
    assert!(
        out.contains("You have 1 diagnosis; choose a display name"),
        "{out}"
    );

    let (code, out, err) = leaderboard(&ana, &["diagnostics", "--join", "  Ana  "]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("You are on the boards as Ana."), "{out}");
    assert!(out.contains("Ana: 1st of 1 with 1 diagnosis"), "{out}");

    // Names are unique whatever their case; the refusal says why.
    let (code, out, err) = leaderboard(&bo, &["--join", "ANA"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("taken") || err.contains("another rider"),
        "{err}"
    );
    let (code, out, err) = leaderboard(&bo, &["diagnostics", "--join", "Bob"]);
    assert_eq!(code, 0, "{out}{err}");
    let rows: Vec<&str> = out.lines().filter(|l| l.contains(" diagnos")).collect();
    assert!(
        rows[0].starts_with('>') && rows[0].contains("1st") && rows[0].contains("Bob"),
        "{out}"
    );
    assert!(
        rows[1].starts_with(' ') && rows[1].contains("2nd") && rows[1].contains("Ana"),
        "{out}"
    );
    assert!(out.contains("Bob: 1st of 2 with 2 diagnoses"), "{out}");

    // This week counts the same runs (they are all this week's).
    let (code, out, err) = leaderboard(&ana, &["diagnostics", "--week"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("This week") && out.contains("Ana: 2nd of 2"),
        "{out}"
    );

    // Leaving takes the rider off every board.
    let (code, out, err) = leaderboard(&bo, &["diagnostics", "--leave"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("You are off the boards."), "{out}");
    assert!(out.contains("1 listed") && !out.contains("Bob"), "{out}");

    // Offline: the last copy, with its age and why it is not newer.
    drop(server);
    let (code, out, err) = leaderboard(&ana, &["diagnostics"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("could not update"), "{err}");
    assert!(
        out.contains("updated just now") && out.contains("Ana: 1st of 1"),
        "{out}"
    );
    let (code, out, err) = leaderboard(&ana, &["quests", "--offline"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("no copy of this board"), "{err}");
}

#[test]
fn the_running_app_joins_and_fetches_through_its_syncer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let db = rider(dir.path(), &server.url, "cy@example.com", 1);
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(DataSource::Database(db.clone()))
        .insert_resource(Clock::System);
    ridewire_client::headless_features(&mut app);
    app.update();

    // A name too short is refused before anything is sent.
    app.world_mut().resource_mut::<Boards>().name = "C".into();
    app.world_mut().write_message(BoardAsk::Join);
    app.update();
    let message = app.world().resource::<Boards>().message.clone();
    assert!(
        matches!(&message, Some(Err(e)) if e.contains('3')),
        "{message:?}"
    );

    app.world_mut().resource_mut::<Boards>().name = "Cy".into();
    app.world_mut().write_message(BoardAsk::Join);
    app.update();
    let message = app.world().resource::<Boards>().message.clone();
    assert!(matches!(&message, Some(Err(_))), "two letters: {message:?}");

    app.world_mut().resource_mut::<Boards>().name = "Cyril".into();
    app.world_mut().write_message(BoardAsk::Join);
    app.world_mut()
        .write_message(BoardAsk::Show(Board::Xp, Period::All));
    update_until(&mut app, "the board with Cyril on it", |world| {
        let player = world.resource::<Player>();
        boards::kept(player, Board::Xp, Period::All).is_some_and(|k| k.page.me.rank == Some(1))
    });
    let player = app.world().resource::<Player>();
    let kept = boards::kept(player, Board::Xp, Period::All).expect("kept");
    assert_eq!(kept.page.top.len(), 1);
    assert_eq!(kept.page.top[0].display_name, "Cyril");
    assert_eq!(kept.page.top[0].value, player.progress().xp());
    assert_eq!(boards::name(player).as_deref(), Some("Cyril"));
    let state = app.world().resource::<Boards>();
    assert_eq!(
        state.message,
        Some(Ok("You are on the boards as Cyril.".into()))
    );
    assert_eq!(state.problem, None);
}

/// A rider's database holding a kept board fetched five minutes ago.
fn with_kept_board(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("rider.db");
    let now = ridewire_app::clock::now().0;
    let names = ["Mika", "Jo", "Ana", "Sam", "Lee", "Kai", "Noor", "Ravi"];
    let top: Vec<Entry> = names
        .iter()
        .enumerate()
        .map(|(i, name)| Entry {
            rank: i as u64 + 1,
            display_name: (*name).to_owned(),
            value: 420 - 45 * i as u64,
        })
        .collect();
    let page = LeaderboardPage {
        board: Board::Xp,
        period: Period::Week,
        week_start_ms: Some(week_start_ms(week_of(now))),
        generated_ms: now,
        listed: 8,
        top,
        me: Me {
            display_name: Some("Ana".into()),
            value: 330,
            rank: Some(3),
        },
    };
    let mut rider = Rider::open(&db, now).expect("database");
    boards::keep(&mut rider, &page, now - 5 * 60_000).expect("kept");
    db
}

#[test]
fn the_screen_shows_the_kept_board_with_its_age_and_the_riders_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = with_kept_board(dir.path());
    let shot = dir.path().join("leaderboard.png");
    let out = ridewire(&[
        "--screenshot",
        shot.to_str().expect("utf-8"),
        "--screen",
        "leaderboard",
        "--size",
        "1280x720",
        "--database",
        db.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Ok(keep) = std::env::var("RIDEWIRE_KEEP_SCREENSHOTS") {
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(&shot, Path::new(&keep).join("leaderboard.png"));
    }
    let pic = Picture::load(&shot);
    // The rider's own row (and the standing line) in the accent colour,
    // below the tabs.
    let accent = pic
        .find_in_rows([0xf2, 0x8c, 0x28], 40, 200, 720)
        .expect("no accent-coloured row");
    assert!(accent.count > 150, "only {} accent pixels", accent.count);
    assert_matches_golden(&shot, GOLDEN);
}
