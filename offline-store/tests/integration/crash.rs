//! `kill -9` while recording: every event whose `record` call returned is
//! still there afterwards, the chain has no gap, and the file opens cleanly.
//!
//! The writer is this test binary run again (`writer_child`, ignored in
//! normal runs), so the test needs no extra build target.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ridewire_engine::chain;
use ridewire_offline_store::Store;

use crate::support::{T0, diagnosis, random, step, store};

const WRITER_ENV: &str = "RIDEWIRE_CRASH_WRITER_DB";
const ROUNDS: usize = 30;

/// Records events until killed, printing each sequence once `record` has
/// returned (and so committed).
#[test]
#[ignore = "the writer process of the kill -9 test; started by it"]
fn writer_child() {
    let Some(path) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let mut s = store(std::path::Path::new(&path));
    let mut out = std::io::stdout().lock();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut dice = Dice((u64::from(std::process::id()) << 32) ^ u64::from(nanos) | 1);
    for i in 0u64.. {
        let kind = if i % 3 == 0 {
            diagnosis(u128::from(i))
        } else {
            step("lights", "s1")
        };
        let seq = s
            .record(kind, T0 + i as i64, 60, random(dice.below(u64::MAX)))
            .unwrap()
            .event
            .seq;
        writeln!(out, "recorded {seq}").unwrap();
        out.flush().unwrap();
    }
}

/// xorshift64, seeded, so a failing run can be repeated.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn events_that_were_recorded_survive_kill_9_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let seed = 0x5eed_0000_u64 ^ u64::from(std::process::id());
    let mut dice = Dice(seed | 1);
    let exe = std::env::current_exe().unwrap();
    let mut confirmed = 0u64;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["--ignored", "--exact", "crash::writer_child", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(WRITER_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("writer.err")).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(seq) = line.strip_prefix("recorded ") {
                    let _ = tx.send(seq.trim().parse::<u64>().unwrap());
                }
            }
        });
        // Some rounds kill while the store is still opening, most while
        // events are being written.
        let wait_for = if round % 5 == 0 { 0 } else { 1 + dice.below(6) };
        if wait_for > 0 {
            let mut seen = 0;
            while seen < wait_for {
                if rx.recv_timeout(Duration::from_secs(60)).is_err() {
                    let err = std::fs::read_to_string(dir.path().join("writer.err"));
                    panic!("round {round}: the writer stopped writing (seed {seed:#x}): {err:?}");
                }
                seen += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(dice.below(20_000)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        confirmed = rx.try_iter().chain([confirmed]).max().unwrap_or(confirmed);

        let opened = Store::open(&path, T0).unwrap();
        assert!(
            opened.recovery.is_none(),
            "round {round}: the file was damaged: {:?} (seed {seed:#x})",
            opened.recovery
        );
        let s = opened.store;
        let mut events = s.events().unwrap();
        // Each writer's clock starts again at T0, so sort by place in the chain.
        events.sort_by_key(|e| e.seq);
        chain::verify(&events).unwrap();
        let mut seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        seqs.sort_unstable();
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(
            seqs, expected,
            "round {round}: gap in the chain (seed {seed:#x})"
        );
        assert!(
            seqs.len() as u64 >= confirmed,
            "round {round}: {} events stored but {confirmed} were confirmed (seed {seed:#x})",
            seqs.len()
        );
        // Nothing was sent, so every event is still queued, in order.
        let queued: Vec<u64> = s.outbox().unwrap().iter().map(|o| o.event.seq).collect();
        assert_eq!(
            queued, expected,
            "round {round}: outbox lost rows (seed {seed:#x})"
        );
    }
    assert!(
        confirmed > ROUNDS as u64,
        "the writer hardly wrote: {confirmed}"
    );
}
