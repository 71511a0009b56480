//! Location proofs from a GPS daemon: the gpsd client against a stand-in
//! that answers like gpsd (its errors), and a rider arriving at the demo
//! workshop as a real `gpsd` reads it from an NMEA log
//! (`tests/data/arrival.nmea`), fed to it over TCP like a network receiver.
//! The real gpsd is skipped when it is not installed, unless
//! `RIDEWIRE_REQUIRE_GPSD=1` (`cargo xtask test` sets it and installs it).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use ridewire_app::location::{Attempt, Fix, Gpsd, LocationError, complete_at_zone};

use crate::gpsd_support::{feed, gpsd_or_skip, stages, start_gpsd};
use ridewire_app::rider::{Outcome, Rider};
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::{QuestId, QuestState};

/// 2026-03-02 08:00 UTC, an hour before the log's first epoch.
const NOW: i64 = 1_772_438_400_000;
/// The log's day, 2026-03-02 00:00 UTC.
const LOG_DAY: i64 = 1_772_409_600_000;

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
