//! The app and a real `ridewire-server` on loopback: sign in, send, pull on
//! a second device, keep working while the server is down.
//!
//! The server binary comes from the server's own build (`cargo xtask test`
//! builds and tests it before the app). Without it the test says so and
//! passes, unless `RIDEWIRE_REQUIRE_SERVER=1` (set by `cargo xtask test`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use ridewire_client::player::{Clock, Player};

use crate::picture::ridewire;

pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ridewire-server` next to this test's build, if it was built.
fn server_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // …/debug/deps/integration-HASH → …/debug/ridewire-server
    let bin = exe.parent()?.parent()?.join("ridewire-server");
    bin.is_file().then_some(bin)
}

pub(crate) fn start_server(dir: &std::path::Path) -> Option<Server> {
    start_server_at(dir, "127.0.0.1:0")
}

/// [`start_server`] listening at `listen` (a server started again where
/// one was before: the same address and database).
pub(crate) fn start_server_at(dir: &std::path::Path, listen: &str) -> Option<Server> {
    let Some(bin) = server_binary() else {
        assert!(
            std::env::var("RIDEWIRE_REQUIRE_SERVER").as_deref() != Ok("1"),
            "RIDEWIRE_REQUIRE_SERVER=1 but ridewire-server is not built"
        );
        eprintln!("skipping: ridewire-server is not built (cargo build -p ridewire-server)");
        return None;
    };
    let mut child = Command::new(bin)
        .args(["--listen", listen, "--database"])
        .arg(format!("sqlite://{}", dir.join("server.db").display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ridewire-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Some(Server {
        child,
        url: format!("http://{addr}"),
    })
}

pub(crate) fn sync(db: &std::path::Path, args: &[&str], password: Option<&str>) -> (i32, String) {
    let mut all = vec!["sync", "--database", db.to_str().expect("utf-8")];
    all.extend_from_slice(args);
    let out = match password {
        Some(p) => {
            let exe = env!("CARGO_BIN_EXE_ridewire");
            Command::new(exe)
                .args(&all)
                .env("RIDEWIRE_PASSWORD", p)
                .output()
                .expect("run ridewire")
        }
        None => ridewire(&all),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn work_from_one_device_reaches_another_through_the_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let (phone, terminal) = (dir.path().join("phone.db"), dir.path().join("terminal.db"));
    let out = ridewire(&[
        "diagnose",
        "P0300",
        "--database",
        phone.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success());

    let password = "correct horse battery staple";
    let email = "rider@example.com";
    let (code, text) = sync(
        &phone,
        &["--server", &server.url, "--email", email, "--register"],
        Some(password),
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("1 event(s) sent and acknowledged"), "{text}");

    let (code, text) = sync(
        &terminal,
        &["--server", &server.url, "--email", email],
        Some(password),
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("1 pulled"), "{text}");
    let clock = Clock::System;
    let on_terminal = Player::open(&terminal, &clock).expect("terminal data");
    assert_eq!(
        on_terminal.progress().xp(),
        10,
        "the phone's diagnosis counts on the terminal"
    );
    assert!(on_terminal.progress().has_achievement("ACH-FIRST-DIAG"));

    // The kept session signs in by itself next time.
    let (code, text) = sync(&phone, &[], None);
    assert_eq!(code, 0, "{text}");

    // Signed in, a diagnosis is asked of the server's agents; the server
    // records it and the phone has it at once.
    let out = ridewire(&[
        "diagnose",
        "P0171",
        "--database",
        phone.to_str().expect("utf-8"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("on {}", server.url)), "{text}");
    let on_phone = Player::open(&phone, &clock).expect("phone data");
    assert_eq!(
        on_phone.progress().xp(),
        20,
        "the server's run is on the phone"
    );
    let runs = on_phone.recent_diagnoses(10).expect("history");
    assert_eq!(runs.len(), 2, "the server's run is in the phone's history");
    assert_eq!(runs[0].request.codes[0].to_string(), "P0171");

    // The rider notes how it went on the phone; the next rounds take the
    // note to the server and the whole run, with the note, to the terminal.
    let server_run = runs[0].id;
    let mut on_phone = Player::open(&phone, &clock).expect("phone data");
    assert!(
        on_phone
            .save_feedback(
                server_run,
                "vacuum leak at the intake boot",
                1_800_000_000_000
            )
            .expect("the note is kept")
    );
    drop(on_phone);
    let (code, text) = sync(&phone, &[], None);
    assert_eq!(code, 0, "{text}");
    let (code, text) = sync(&terminal, &[], None);
    assert_eq!(code, 0, "{text}");
    let on_terminal = Player::open(&terminal, &clock).expect("terminal data");
    assert_eq!(on_terminal.progress().xp(), 20, "each run counted once");
    let runs = on_terminal.recent_diagnoses(10).expect("history");
    let kept = runs
        .iter()
        .find(|r| r.id == server_run)
        .expect("the run the server answered for the phone is in the terminal's history");
    assert_eq!(kept.request.codes[0].to_string(), "P0171");
    let note = kept.feedback.as_ref().expect("the phone's note came along");
    assert_eq!(note.text, "vacuum leak at the intake boot");
    assert_eq!(note.sync, ridewire_offline_store::FeedbackSync::Sent);

    let (code, text) = sync(
        &dir.path().join("other.db"),
        &["--server", &server.url, "--email", email],
        Some("wrong"),
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("wrong e-mail or password"), "{text}");

    // Server down: the offline agent answers, the run is kept here and the
    // rider is told why; nothing is lost.
    drop(server);
    let out = ridewire(&[
        "diagnose",
        "P0300",
        "--database",
        phone.to_str().expect("utf-8"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("could not be asked"), "{text}");
    let (code, text) = sync(&phone, &[], None);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("no connection"), "{text}");
    let on_phone = Player::open(&phone, &clock).expect("phone data");
    assert_eq!(on_phone.progress().xp(), 30, "every run is kept");
}

/// Runs the headless app until `done` holds (the syncer works on its own
/// thread) or a minute has passed.
pub(crate) fn update_until(
    app: &mut bevy::app::App,
    what: &str,
    done: impl Fn(&bevy::ecs::world::World) -> bool,
) {
    let started = std::time::Instant::now();
    while !done(app.world()) {
        assert!(started.elapsed().as_secs() < 60, "gave up waiting: {what}");
        app.update();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn the_running_app_takes_in_what_a_round_brought_and_asks_the_agents_through_its_syncer() {
    use bevy::prelude::*;
    use ridewire_client::diagnostics::{DiagnosisForm, History, LatestDiagnosis, RunDiagnosis};
    use ridewire_client::player::DataSource;

    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let (phone, terminal) = (dir.path().join("phone.db"), dir.path().join("terminal.db"));
    let password = "correct horse battery staple";
    let email = "rider@example.com";
    for (db, extra) in [(&phone, Some("--register")), (&terminal, None)] {
        let mut args = vec!["--server", server.url.as_str(), "--email", email];
        args.extend(extra);
        let (code, text) = sync(db, &args, Some(password));
        assert_eq!(code, 0, "{text}");
    }
    // The terminal asks the server's agents before the phone's app starts.
    let out = ridewire(&[
        "diagnose",
        "P0300",
        "--database",
        terminal.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(DataSource::Database(phone.clone()))
        .insert_resource(Clock::System);
    ridewire_client::headless_features(&mut app);
    app.update();
    // The first round brings the terminal's run: its event merged into the
    // session, its record into the history, without a restart.
    update_until(&mut app, "the terminal's run reaches the phone", |world| {
        world.resource::<Player>().progress().xp() == 10
            && world
                .resource::<History>()
                .0
                .as_ref()
                .is_ok_and(|runs| runs.len() == 1)
    });
    assert_eq!(app.world().resource::<Player>().verify(), Ok(()));

    // A diagnosis on the phone goes to the agents through the same syncer;
    // the run and its XP arrive with the round it runs after asking.
    app.world_mut().resource_mut::<DiagnosisForm>().codes = "P0171".into();
    app.world_mut().write_message(RunDiagnosis);
    update_until(&mut app, "the agents answer", |world| {
        world.resource::<LatestDiagnosis>().0.is_some()
    });
    let latest = app.world().resource::<LatestDiagnosis>().0.clone();
    let done = latest.expect("answered").expect("a run");
    assert!(!done.offline_only, "the server's agents answered");
    let note = done.note.clone().unwrap_or_default();
    assert!(note.contains(&server.url), "{note}");
    update_until(&mut app, "the phone's run is merged", |world| {
        world.resource::<Player>().progress().xp() == 20
    });
    let player = app.world().resource::<Player>();
    assert!(player.events().iter().any(|e| matches!(
        &e.kind,
        ridewire_engine::event::EventKind::DiagnosticRun { diagnostic_id, .. } if *diagnostic_id == done.id
    )));
    // What the session holds is what the file holds.
    let reread = Player::open(&phone, &Clock::System).expect("phone data");
    assert_eq!(player.events(), reread.events());
    assert_eq!(player.progress(), reread.progress());
}

/// `ridewire data …` on `db`, with the password in RIDEWIRE_PASSWORD when
/// given (standard input stays empty).
fn data(db: &std::path::Path, args: &[&str], password: Option<&str>) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ridewire"));
    command
        .arg("data")
        .args(args)
        .args(["--database", db.to_str().expect("utf-8")])
        .env("RUST_LOG", "warn")
        .env_remove("RIDEWIRE_PASSWORD");
    if let Some(p) = password {
        command.env("RIDEWIRE_PASSWORD", p);
    }
    let out = command.output().expect("run ridewire");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("export written")).expect("export is JSON")
}

#[test]
fn a_riders_data_is_exported_deleted_and_wiped_through_the_binaries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let db = dir.path().join("rider.db");
    let out = ridewire(&[
        "diagnose",
        "P0300",
        "--database",
        db.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success());
    let (password, email) = ("correct horse battery staple", "rider@example.com");
    let (code, text) = sync(
        &db,
        &["--server", &server.url, "--email", email, "--register"],
        Some(password),
    );
    assert_eq!(code, 0, "{text}");

    // This device's copy: every table, the diagnosis in it, no session.
    let local = dir.path().join("local.json");
    let (code, text) = data(&db, &["export", local.to_str().expect("utf-8")], None);
    assert_eq!(code, 0, "{text}");
    let copy = read_json(&local);
    assert_eq!(copy["format"], "ridewire-export/1");
    assert!(copy["server"].is_null());
    let tables = &copy["this_device"]["tables"];
    assert_eq!(
        tables["events"].as_array().map(Vec::len),
        Some(1),
        "{tables}"
    );
    assert_eq!(tables["diagnoses"].as_array().map(Vec::len), Some(1));
    let settings = tables["settings"].as_array().expect("settings");
    assert!(
        settings
            .iter()
            .any(|s| s["key"] == "sync.email" && s["value"] == email)
    );
    assert!(
        settings.iter().all(|s| s["key"] != "sync.session"),
        "no session"
    );
    assert_eq!(copy["this_device"]["settings_left_out"][0], "sync.session");
    assert!(
        !copy.to_string().contains("refresh_token"),
        "no token anywhere"
    );

    // With the server's copy: only with the right password.
    let both = dir.path().join("both.json");
    let both_arg = both.to_str().expect("utf-8");
    let (code, text) = data(&db, &["export", both_arg, "--with-server"], None);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("password"), "{text}");
    let (code, text) = data(&db, &["export", both_arg, "--with-server"], Some("wrong"));
    assert_eq!(code, 1, "{text}");
    assert!(!both.exists(), "nothing written after a refusal");
    let (code, text) = data(&db, &["export", both_arg, "--with-server"], Some(password));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("with the server's copy"), "{text}");
    let copy = read_json(&both);
    assert_eq!(
        copy["server"]["events"].as_array().map(Vec::len),
        Some(1),
        "{copy}"
    );
    assert_eq!(copy["server"]["devices"].as_array().map(Vec::len), Some(1));

    // Deleting the account: the server forgets it, this device signs out
    // and keeps its work.
    let (code, text) = data(&db, &["delete-account"], Some(password));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Deleted the account"), "{text}");
    let (code, text) = sync(&db, &[], None);
    assert_ne!(code, 0, "signed out: {text}");
    let elsewhere = dir.path().join("elsewhere.db");
    let (code, text) = sync(
        &elsewhere,
        &["--server", &server.url, "--email", email],
        Some(password),
    );
    assert_ne!(code, 0, "the account is gone on the server: {text}");
    let (code, text) = data(&db, &["export", local.to_str().expect("utf-8")], None);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        read_json(&local)["this_device"]["tables"]["events"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the work stays here"
    );

    // Wiping this device: only when asked twice.
    let (code, text) = data(&db, &["wipe"], None);
    assert_eq!(code, 2, "{text}");
    assert!(db.exists());
    let (code, text) = data(&db, &["wipe", "--yes"], None);
    assert_eq!(code, 0, "{text}");
    assert!(!db.exists(), "the file is gone");
    let out = ridewire(&[
        "diagnose",
        "P0300",
        "--database",
        db.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "a fresh start after the wipe");
}

#[test]
fn the_settings_card_exports_deletes_the_account_and_wipes_the_device() {
    use bevy::prelude::*;
    use ridewire_client::data::{DataAsk, DataForm};
    use ridewire_client::player::DataSource;
    use ridewire_client::sync::SyncLink;

    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let db = dir.path().join("rider.db");
    let out = ridewire(&[
        "diagnose",
        "P0300",
        "--database",
        db.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success());
    let (password, email) = ("correct horse battery staple", "card@example.com");
    let (code, text) = sync(
        &db,
        &["--server", &server.url, "--email", email, "--register"],
        Some(password),
    );
    assert_eq!(code, 0, "{text}");

    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(DataSource::Database(db.clone()))
        .insert_resource(Clock::System);
    ridewire_client::headless_features(&mut app);
    app.update();
    assert!(app.world().resource::<SyncLink>().syncer().is_some());
    let message = |app: &App| app.world().resource::<DataForm>().message.clone();

    // The export, with the server's copy, on a worker thread: the card
    // shows its progress until it is written.
    let to = dir.path().join("exports").join("mine.json");
    std::fs::create_dir_all(to.parent().expect("folder")).expect("folder");
    {
        let mut form = app.world_mut().resource_mut::<DataForm>();
        form.export_to = to.display().to_string();
        form.with_server = true;
        form.password = password.into();
    }
    app.world_mut().write_message(DataAsk::Export);
    app.update();
    assert!(app.world().resource::<DataForm>().busy());
    update_until(&mut app, "the export is written", |world| {
        !world.resource::<DataForm>().busy()
    });
    let said = message(&app).expect("an answer");
    assert!(
        said.as_ref()
            .is_ok_and(|m| m.contains("with the server's copy")),
        "{said:?}"
    );
    assert!(
        app.world().resource::<DataForm>().password.is_empty(),
        "not kept"
    );
    let copy = read_json(&to);
    assert_eq!(copy["format"], "ridewire-export/1");
    assert_eq!(copy["server"]["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        copy["this_device"]["tables"]["events"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // A wrong password: refused, still signed in and syncing.
    app.world_mut().resource_mut::<DataForm>().password = "wrong".into();
    app.world_mut().write_message(DataAsk::DeleteAccount);
    app.update();
    update_until(&mut app, "the refusal", |world| {
        !world.resource::<DataForm>().busy()
    });
    let said = message(&app).expect("an answer");
    assert!(said.is_err(), "{said:?}");
    assert!(app.world().resource::<SyncLink>().syncer().is_some());

    // The right one: the account is gone, the device signed out, its work kept.
    app.world_mut().resource_mut::<DataForm>().password = password.into();
    app.world_mut().write_message(DataAsk::DeleteAccount);
    app.update();
    update_until(&mut app, "the deletion", |world| {
        !world.resource::<DataForm>().busy()
    });
    let said = message(&app).expect("an answer");
    assert!(
        said.as_ref()
            .is_ok_and(|m| m.contains("Deleted the account")),
        "{said:?}"
    );
    let link = app.world().resource::<SyncLink>();
    assert!(link.syncer().is_none() && link.server.is_none());
    assert_eq!(app.world().resource::<Player>().events().len(), 1);
    let elsewhere = dir.path().join("elsewhere.db");
    let (code, text) = sync(
        &elsewhere,
        &["--server", &server.url, "--email", email],
        Some(password),
    );
    assert_ne!(code, 0, "the account is gone on the server: {text}");

    // Wiping: the session closes, the file goes, a fresh one takes its place.
    app.world_mut().write_message(DataAsk::Wipe);
    app.update();
    app.update();
    let said = message(&app).expect("an answer");
    assert!(
        said.as_ref().is_ok_and(|m| m.contains("afresh")),
        "{said:?}"
    );
    let player = app.world().resource::<Player>();
    assert!(player.events().is_empty(), "a fresh start");
    assert_eq!(player.database().as_deref(), Some(db.as_path()));
    let reread = Player::open(&db, &Clock::System).expect("the fresh file");
    assert!(reread.events().is_empty());
    assert_eq!(reread.setting("sync.email"), None);
}
