//! A rider's whole day from a fresh install, through the real `ridewire`
//! and `ridewire-server` binaries and a real `gpsd`: they add their bike,
//! scan it in colour (the demo recording), open their own plan file, tick
//! its chain job and complete it at the workshop with a location proof
//! from gpsd, see it all on a second device after sync, join the
//! leaderboard, then export their data and delete their account.

use std::path::Path;
use std::process::Command;

use ridewire_app::rider::Rider;
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::{QuestId, QuestState};

use crate::gpsd_support::{feed, gpsd_or_skip, stages, start_gpsd};
use crate::picture::Picture;
use crate::sync::{start_server, sync};

const PASSWORD: &str = "correct horse battery staple";

/// Runs `ridewire ARGS --database DB` (the password in RIDEWIRE_PASSWORD
/// when given): exit code and everything it printed.
fn run(db: &Path, args: &[&str], password: Option<&str>) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ridewire"));
    command
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

fn ok(db: &Path, args: &[&str], password: Option<&str>) -> String {
    let (code, text) = run(db, args, password);
    assert_eq!(code, 0, "ridewire {args:?}: {text}");
    text
}

#[test]
fn a_riders_day_from_a_fresh_install_to_deleting_their_account() {
    let Some(gpsd) = gpsd_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let phone = dir.path().join("phone.db");
    let laptop = dir.path().join("laptop.db");

    // Their bike.
    let text = ok(
        &phone,
        &[
            "garage",
            "add",
            "--make",
            "Harley-Davidson",
            "--model",
            "Street 750",
            "--year",
            "2022",
            "--vin",
            "1HD4LEK18KC523456",
        ],
        None,
    );
    assert!(text.contains("Harley-Davidson Street 750 (2022)"), "{text}");

    // Scanned in colour: the recording's blue tank behind the overlays.
    let shot = dir.path().join("scan.png");
    let shot_arg = shot.to_str().expect("utf-8");
    ok(
        &phone,
        &[
            "--screenshot",
            shot_arg,
            "--screen",
            "scan",
            "--size",
            "1280x720",
        ],
        None,
    );
    let picture = Picture::load(&shot);
    let blue = (0..picture.height)
        .flat_map(|y| (0..picture.width).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let [r, g, b] = picture.pixel(x, y);
            b > r.saturating_add(80) && b > g.saturating_add(40)
        })
        .count();
    assert!(blue > 20_000, "no colour camera image ({blue} blue pixels)");

    // Their own plan, one task already ticked in the file, and one to be
    // done at the workshop (a location proof).
    let plan = dir.path().join("my-bike.md");
    let markdown = "# My Street 750\n\n## Weekly\n\n- [x] Check tyre pressures #easy\n\
                    - [ ] Wash the bike #easy\n\n## At the workshop\n\n\
                    Where: 48.137154, 11.576124 within 30 m\n\n\
                    - [ ] Fit the new chain #onsite #hard\n    - [ ] Old chain off\n    \
                    - [ ] New chain on\n";
    std::fs::write(&plan, markdown).expect("plan");
    let map = dir.path().join("map.png");
    let text = ok(
        &phone,
        &[
            "--plan",
            plan.to_str().expect("utf-8"),
            "--screenshot",
            map.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(text.contains("My Street 750: 1 task(s) ticked"), "{text}");
    // The quests' ids are the plan's own (`ridewire quest list` shows them).
    let parsed = {
        let rider = ridewire_app::rider::Rider::open(&phone, 0).expect("phone");
        ridewire_app::plans::current(&rider)
            .expect("plans")
            .expect("the plan is current")
            .parsed()
            .expect("plan parses")
    };
    let chain = &parsed.sections[1].tasks[0];
    let steps: Vec<&str> = chain.steps.iter().map(|s| s.id.as_str()).collect();
    let chain_id = chain.id.as_str();
    let (code, listed) = run(&phone, &["quest", "list"], None);
    assert!(code == 0 && listed.contains(chain_id), "{listed}");

    // The plan's chain: every step ticked, then completed at the
    // workshop with a fix from gpsd.
    for step in &steps {
        ok(&phone, &["quest", "tick", chain_id, step], None);
    }
    let log = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/tests/data/arrival.nmea"),
    )
    .expect("NMEA log");
    let stages = stages(&log);
    let (_daemon, at, receiver) = start_gpsd(&gpsd, dir.path());
    // Feeds a stage of the log again and again while `ridewire quest
    // complete` listens (gpsd reports what arrives after it connects).
    let keep_feeding = |stage: Vec<String>| {
        let mut receiver = receiver.try_clone().expect("receiver");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        let feeder = std::thread::spawn(move || {
            let lines: Vec<&str> = stage.iter().map(String::as_str).collect();
            while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
                feed(&mut receiver, &lines);
            }
        });
        move || {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            feeder.join().expect("feeder");
        }
    };
    let owned = |i: usize| {
        stages[i]
            .iter()
            .map(|l| (*l).to_owned())
            .collect::<Vec<_>>()
    };
    // Far away first: refused with the distance, nothing recorded.
    let stop = keep_feeding(owned(1));
    let (code, text) = run(
        &phone,
        &["quest", "complete", chain_id, "--gps", &at, "--wait", "5"],
        None,
    );
    stop();
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("312 m from the zone"), "{text}");
    // At the workshop: completed.
    let stop = keep_feeding(owned(3));
    let (code, text) = run(
        &phone,
        &["quest", "complete", chain_id, "--gps", &at, "--wait", "10"],
        None,
    );
    stop();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("completed at the zone"), "{text}");

    // Signed up and synced; the laptop sees the day's work.
    let url = server.url.as_str();
    let email = "rider@example.com";
    let (code, text) = sync(
        &phone,
        &["--server", url, "--email", email, "--register"],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{text}");
    let (code, text) = sync(
        &laptop,
        &["--server", url, "--email", email],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{text}");
    {
        let rider = Rider::open(&laptop, 0).expect("laptop");
        let chain = QuestId::new(chain_id.to_owned()).expect("id");
        assert_eq!(
            rider.progress().quest_state(&rider.catalog, &chain),
            Some(QuestState::Completed)
        );
        assert!(
            rider
                .events()
                .iter()
                .any(|e| matches!(e.kind, EventKind::ProofSubmitted { .. }))
        );
        let bikes = ridewire_app::garage::bikes(&rider).expect("bikes");
        assert_eq!(bikes.len(), 1);
        assert_eq!(bikes[0].title(), "Harley-Davidson Street 750 (2022)");
        let plans = ridewire_app::plans::plans(&rider).expect("plans");
        assert_eq!(plans[0].title, "My Street 750");
        assert_eq!(rider.verify(), Ok(()));
    }

    // On the leaderboard once they choose a name.
    let text = ok(&phone, &["leaderboard", "quests", "--join", "Ana"], None);
    assert!(text.contains("Ana: 1st of 1"), "{text}");

    // Their data: exported whole, then the account deleted.
    let export = dir.path().join("export.json");
    let text = ok(
        &phone,
        &[
            "data",
            "export",
            export.to_str().expect("utf-8"),
            "--with-server",
        ],
        Some(PASSWORD),
    );
    assert!(text.contains("with the server's copy"), "{text}");
    let copy: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&export).expect("export")).expect("JSON");
    assert_eq!(copy["server"]["leaderboard"]["display_name"], "Ana");
    assert!(
        !copy.to_string().contains("1HD4LEK"),
        "only the VIN's tail anywhere"
    );
    let text = ok(&phone, &["data", "delete-account"], Some(PASSWORD));
    assert!(text.contains("Deleted the account"), "{text}");
    let (code, text) = sync(&laptop, &[], None);
    assert_ne!(code, 0, "the account is gone: {text}");
}
