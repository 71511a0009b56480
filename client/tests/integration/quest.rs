//! `ridewire quest complete --gps`: a fix from a stand-in for gpsd (the
//! real daemon is driven in the app layer's tests) turned into the app
//! layer's words and exit codes.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use crate::picture::ridewire;

/// Answers one `?WATCH` like gpsd with a receiver, then reports `tpv`.
fn stand_in(tpv: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let at = listener.local_addr().expect("address").to_string();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut watch = String::new();
        let _ = BufReader::new(stream.try_clone().expect("clone")).read_line(&mut watch);
        for line in [
            r#"{"class":"VERSION","release":"3.22","proto_major":3,"proto_minor":14}"#,
            r#"{"class":"DEVICES","devices":[{"class":"DEVICE","path":"/dev/ttyACM0"}]}"#,
            r#"{"class":"WATCH","enable":true,"json":true}"#,
            tpv,
        ] {
            let _ = writeln!(stream, "{line}");
        }
        thread::sleep(Duration::from_secs(3));
    });
    at
}

#[test]
fn far_from_the_workshop_the_oil_change_says_how_far() {
    // 342 m south of the demo workshop, whose zone has a 30 m radius.
    let at = stand_in(
        r#"{"class":"TPV","mode":3,"time":"2026-03-02T09:00:20.000Z","lat":48.134078,"lon":11.576124,"eph":6.0}"#,
    );
    let out = ridewire(&[
        "--demo",
        "quest",
        "complete",
        "oil-change",
        "--gps",
        &at,
        "--wait",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "Change engine oil and filter: not completed: 312 m from the zone; come within 50 m"
        ),
        "{stdout}"
    );
}

#[test]
fn at_the_workshop_with_steps_left_the_proof_is_kept() {
    let at =
        stand_in(r#"{"class":"TPV","mode":3,"lat":48.137154,"lon":11.576124,"epx":5.0,"epy":7.0}"#);
    let out = ridewire(&["--demo", "quest", "complete", "oil-change", "--gps", &at]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(accuracy 7 m)"), "{stdout}");
    assert!(
        stdout.contains("location proof kept; to complete it, 2 step(s) still to tick off"),
        "{stdout}"
    );
}

#[test]
fn without_gpsd_the_command_says_how_to_start_it() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let at = format!("127.0.0.1:{port}");
    let out = ridewire(&[
        "--demo",
        "quest",
        "complete",
        "oil-change",
        "--gps",
        &at,
        "--wait",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("no gpsd at {at}")), "{stderr}");
    assert!(stderr.contains("sudo systemctl start gpsd"), "{stderr}");
}
