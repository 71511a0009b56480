//! Location proofs from a GPS daemon: the gpsd client against a stand-in
//! that answers like gpsd (its errors), and a rider arriving at the demo
//! workshop as a real `gpsd` reads it from an NMEA log
//! (`tests/data/arrival.nmea`), fed to it over TCP like a network receiver.
//! The real gpsd is skipped when it is not installed, unless
//! `RIDEWIRE_REQUIRE_GPSD=1` (`cargo xtask test` sets it and installs it).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ridewire_app::location::{Attempt, Fix, Gpsd, LocationError, complete_at_zone};
use ridewire_app::rider::{Outcome, Rider};
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::{QuestId, QuestState};

/// 2026-03-02 08:00 UTC, an hour before the log's first epoch.
const NOW: i64 = 1_772_438_400_000;
/// The log's day, 2026-03-02 00:00 UTC.
const LOG_DAY: i64 = 1_772_409_600_000;
const INSTALL: &str = "sudo apt-get install gpsd";

/// Serves `lines` once to whoever connects, like a gpsd would, then keeps
/// the connection open until the test ends.
fn stand_in(lines: &'static [&'static str]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let at = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut watch = String::new();
        BufReader::new(stream.try_clone().unwrap())
            .read_line(&mut watch)
            .unwrap();
        assert!(watch.starts_with("?WATCH={"), "{watch}");
        for line in lines {
            stream.write_all(line.as_bytes()).unwrap();
            stream.write_all(b"\r\n").unwrap();
        }
        thread::sleep(Duration::from_secs(5));
    });
    at
}

const HELLO: [&str; 3] = [
    r#"{"class":"VERSION","release":"3.22","rev":"3.22","proto_major":3,"proto_minor":14}"#,
    r#"{"class":"DEVICES","devices":[{"class":"DEVICE","path":"/dev/ttyACM0","driver":"u-blox"}]}"#,
    r#"{"class":"WATCH","enable":true,"json":true}"#,
];
const ROUGH: &str = r#"{"class":"TPV","mode":3,"time":"2026-03-02T09:00:00.000Z","lat":48.1,"lon":11.5,"eph":40.0}"#;
const GOOD: &str = r#"{"class":"TPV","mode":3,"time":"2026-03-02T09:00:01.000Z","lat":48.2,"lon":11.6,"epx":4.0,"epy":6.0}"#;

const SHORT: Duration = Duration::from_millis(400);

#[test]
fn nothing_listening_names_the_address_and_how_to_start_gpsd() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Gpsd::connect(&format!("127.0.0.1:{port}"), SHORT).unwrap_err();
    assert!(matches!(err, LocationError::NoDaemon { .. }), "{err:?}");
    let words = err.to_string();
    assert!(
        words.starts_with(&format!("no gpsd at 127.0.0.1:{port}: ")),
        "{words}"
    );
    assert!(words.contains("sudo systemctl start gpsd"), "{words}");
}

#[test]
fn a_receiver_without_a_fix_says_so_after_the_wait() {
    static LINES: [&str; 4] = [
        HELLO[0],
        HELLO[1],
        HELLO[2],
        r#"{"class":"TPV","device":"/dev/ttyACM0","mode":1}"#,
    ];
    let mut gpsd = Gpsd::connect(&stand_in(&LINES), SHORT).unwrap();
    let err = gpsd.next_fix(SHORT).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no position fix yet (waited 400 ms): the receiver is still looking"),
        "{err}"
    );
}

#[test]
fn gpsd_without_a_receiver_says_to_plug_one_in() {
    static LINES: [&str; 3] = [HELLO[0], r#"{"class":"DEVICES","devices":[]}"#, HELLO[2]];
    let at = stand_in(&LINES);
    let mut gpsd = Gpsd::connect(&at, SHORT).unwrap();
    let err = gpsd.next_fix(SHORT).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "gpsd at {at} has no GPS receiver: plug one in, or start gpsd with the receiver's device"
        )
    );
}

#[test]
fn a_proof_waits_for_an_accurate_fix_but_takes_the_newest_when_none_comes() {
    static BOTH: [&str; 5] = [HELLO[0], HELLO[1], HELLO[2], ROUGH, GOOD];
    let mut gpsd = Gpsd::connect(&stand_in(&BOTH), SHORT).unwrap();
    let fix = gpsd.fix_for_proof(Duration::from_secs(5)).unwrap();
    assert_eq!((fix.at.lat, fix.accuracy_m), (48.2, 6.0));
    static ROUGH_ONLY: [&str; 4] = [HELLO[0], HELLO[1], HELLO[2], ROUGH];
    let mut gpsd = Gpsd::connect(&stand_in(&ROUGH_ONLY), SHORT).unwrap();
    let fix = gpsd.fix_for_proof(SHORT).unwrap();
    assert_eq!(fix.accuracy_m, 40.0);
}

#[test]
fn something_else_on_the_port_is_not_gpsd() {
    static LINES: [&str; 2] = ["HTTP/1.1 400 Bad Request", ""];
    let err = Gpsd::connect(&stand_in(&LINES), SHORT).unwrap_err();
    assert!(matches!(err, LocationError::NotGpsd { .. }), "{err:?}");
}

/// The gpsd program, or why the real-daemon test cannot run (a skip unless
/// `RIDEWIRE_REQUIRE_GPSD=1`).
fn gpsd_or_skip() -> Option<PathBuf> {
    let required = std::env::var("RIDEWIRE_REQUIRE_GPSD").as_deref() == Ok("1");
    let path = std::env::var_os("PATH").unwrap_or_default();
    // Debian puts it in /usr/sbin, which a user's PATH may leave out.
    let found = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("gpsd"))
        .find(|p| p.is_file());
    match found {
        Some(gpsd) => Some(gpsd),
        None if required => {
            panic!("RIDEWIRE_REQUIRE_GPSD=1 but gpsd is not installed: run `{INSTALL}`")
        }
        None => {
            eprintln!("skipping the gpsd test: gpsd is not installed (`{INSTALL}`)");
            None
        }
    }
}

/// Stops gpsd when the test ends, passed or not.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The log's stages: the NMEA sentences under each `# stage` comment.
fn stages(log: &str) -> Vec<Vec<&str>> {
    let mut stages: Vec<Vec<&str>> = Vec::new();
    for line in log.lines() {
        if line.starts_with("# stage") {
            stages.push(Vec::new());
        } else if line.starts_with('$')
            && let Some(stage) = stages.last_mut()
        {
            stage.push(line);
        }
    }
    stages
}

/// Sends one stage to gpsd, an epoch (GGA … RMC) every 50 ms.
fn feed(receiver: &mut TcpStream, stage: &[&str]) {
    for sentence in stage {
        receiver.write_all(sentence.as_bytes()).unwrap();
        receiver.write_all(b"\r\n").unwrap();
        if sentence.starts_with("$GPRMC") {
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The first fix taken at or after `from_ms` (gpsd may still be reporting
/// the stage before).
fn fix_from(gpsd: &mut Gpsd, from_ms: i64) -> Fix {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no fix from {from_ms}");
        let fix = gpsd.next_fix(Duration::from_secs(10)).unwrap();
        if fix.time_ms.is_some_and(|t| t >= from_ms) {
            return fix;
        }
    }
}

/// Starts gpsd on a free port reading `tcp://` from a listener of ours;
/// returns it, its address and our end of the receiver's connection.
fn start_gpsd(program: &Path, dir: &Path) -> (Daemon, String, TcpStream) {
    let receiver = TcpListener::bind("127.0.0.1:0").unwrap();
    let source = format!("tcp://{}", receiver.local_addr().unwrap());
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.join("gpsd.log")).unwrap();
    // -N: stay in the foreground; -n: open the receiver at once.
    let daemon = Daemon(
        Command::new(program)
            .args(["-N", "-n", "-S", &port.to_string()])
            .arg(&source)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    receiver.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let stream = loop {
        match receiver.accept() {
            Ok((stream, _)) => break stream,
            Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!(
                "gpsd did not open {source}: {e}\n{}",
                std::fs::read_to_string(dir.join("gpsd.log")).unwrap_or_default()
            ),
        }
    };
    stream.set_nonblocking(false).unwrap();
    (daemon, format!("127.0.0.1:{port}"), stream)
}

/// Connects to gpsd, retrying while it starts to listen.
fn watch(at: &str, dir: &Path) -> Gpsd {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Gpsd::connect(at, Duration::from_secs(5)) {
            Ok(gpsd) => return gpsd,
            Err(LocationError::NoDaemon { .. }) if Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!(
                "{e}\n{}",
                std::fs::read_to_string(dir.join("gpsd.log")).unwrap_or_default()
            ),
        }
    }
}

#[test]
fn a_rider_arriving_at_the_workshop_completes_the_oil_change_with_gpsd() {
    let Some(program) = gpsd_or_skip() else {
        return;
    };
    let log = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/arrival.nmea"),
    )
    .unwrap();
    let stages = stages(&log);
    assert_eq!(stages.len(), 4, "no fix, far, rough, there");
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, at, mut receiver) = start_gpsd(&program, dir.path());
    let mut gpsd = watch(&at, dir.path());

    let database = dir.path().join("rider.db");
    let mut rider = Rider::open(&database, NOW).unwrap();
    let quest = QuestId::new("oil-change".to_owned()).unwrap();
    for step in ["s1", "s2", "s3"] {
        let tick = EventKind::StepChecked {
            quest: quest.clone(),
            step: step.into(),
        };
        assert!(matches!(
            rider.record(tick, NOW, 60),
            Outcome::Counted { .. }
        ));
    }
    let title = rider.catalog.quest(&quest).unwrap().title.clone();
    let second = |at: i64| LOG_DAY + at * 1000;

    // Still looking for satellites.
    feed(&mut receiver, &stages[0]);
    let err = gpsd.next_fix(Duration::from_millis(800)).unwrap_err();
    assert!(matches!(err, LocationError::NoFix { .. }), "{err:?}");

    // On the way: 312 m from the zone's edge. Nothing is recorded.
    feed(&mut receiver, &stages[1]);
    let far = fix_from(&mut gpsd, second(9 * 3600 + 20));
    let events = rider.events().len();
    let attempt = complete_at_zone(&mut rider, &quest, &far, NOW + 60_000, 60);
    assert_eq!(
        attempt.words(&title),
        format!("{title}: not completed: 312 m from the zone; come within 50 m")
    );
    assert_eq!(rider.events().len(), events);

    // At the workshop, but the fix is rough.
    feed(&mut receiver, &stages[2]);
    let rough = fix_from(&mut gpsd, second(9 * 3600 + 60));
    let attempt = complete_at_zone(&mut rider, &quest, &rough, NOW + 120_000, 60);
    assert_eq!(
        attempt.words(&title),
        format!("{title}: not completed: accuracy 40 m; 15 m or better is needed")
    );

    // There, with a good fix: the proof and the completion are recorded.
    feed(&mut receiver, &stages[3]);
    let there = fix_from(&mut gpsd, second(9 * 3600 + 90));
    assert!(there.accuracy_m <= 15.0, "{there:?}");
    let attempt = complete_at_zone(&mut rider, &quest, &there, NOW + 180_000, 60);
    assert!(
        matches!(attempt, Attempt::Completed { xp, .. } if xp > 0),
        "{attempt:?}"
    );
    drop(rider);

    // The database keeps it.
    let rider = Rider::open(&database, NOW + 240_000).unwrap();
    assert_eq!(
        rider.progress().quest_state(&rider.catalog, &quest),
        Some(QuestState::Completed)
    );
    let proof = rider
        .events()
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ProofSubmitted { location, .. } => Some(*location),
            _ => None,
        })
        .unwrap();
    assert_eq!(proof.at, there.at);
    assert_eq!(rider.verify(), Ok(()));
}
