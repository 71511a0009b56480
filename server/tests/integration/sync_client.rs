//! The device's sync client (`ridewire-offline-store`, over HTTP with
//! `reqwest`) against the real `ridewire-server` binary on loopback: a rider
//! registers on the phone, records offline, syncs; a second device signs in
//! and shows the same progress; record edits merge; a forged session is
//! renewed with the password.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ridewire_engine::demo;
use ridewire_engine::event::EventKind;
use ridewire_engine::sync::record::{Edit, RecordKind};
use ridewire_offline_store::Store;
use ridewire_sync_client::{Account, Error, HttpTransport, Session, SyncConfig, Syncer, sync_once};
use serde_json::json;
use uuid::Uuid;

use crate::common::PASSWORD;

const BINARY: &str = env!("CARGO_BIN_EXE_ridewire-server");

/// The server binary, killed when the test ends however it ends.
pub struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn start(database: &Path) -> (Running, String) {
    start_with(database, &[])
}

fn start_with(database: &Path, env: &[(&str, &str)]) -> (Running, String) {
    let mut child = Command::new(BINARY)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--database")
        .arg(format!("sqlite://{}", database.display()))
        .env("RIDEWIRE_ARGON2_MEMORY_KIB", "64")
        .env_remove("RIDEWIRE_LISTEN")
        .env_remove("RIDEWIRE_DATABASE")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (Running(child), format!("http://{addr}"))
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn account(password: Option<&str>) -> Account {
    Account {
        email: "rider@ridewire.test".into(),
        password: password.map(str::to_owned),
    }
}

pub fn device(path: &Path) -> Store {
    let mut store = Store::open(path, now_ms()).unwrap().store;
    store.set_catalog(&demo::catalog().unwrap()).unwrap();
    store
}

pub fn random(n: u64) -> [u8; 10] {
    let mut r = [7u8; 10];
    r[..8].copy_from_slice(&n.to_le_bytes());
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_sync_through_the_real_server_and_show_the_same_progress() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = start(&dir.path().join("server.db"));
    let password = Some(PASSWORD);

    // The phone registers, then works offline for a while.
    let phone_link = HttpTransport::new(&base, account(password)).unwrap();
    phone_link.register().await.unwrap();
    let mut phone = device(&dir.path().join("phone.db"));
    let start = now_ms() - 3_600_000;
    for i in 0..1_200u64 {
        let kind = EventKind::DiagnosticRun {
            diagnostic_id: Uuid::from_u128(u128::from(i)),
            vehicle: None,
            quest: None,
            evidence: Some(Box::new(crate::common::offline_evidence())),
        };
        phone.record(kind, start + i as i64, 60, random(i)).unwrap();
    }
    let report = sync_once(&mut phone, &phone_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(report.acknowledged, 1_200);
    assert!(
        report.push_requests >= 3,
        "batches above the server's limit"
    );
    assert_eq!(phone.pending_count().unwrap(), 0);
    let phone_progress = phone.progress_summary().unwrap();
    assert_eq!(
        phone.server_progress().unwrap(),
        Some(phone_progress.clone())
    );
    // Five runs a day per bike earn 10 XP; the rest are kept and counted.
    let days = (0..1_200i64)
        .map(|i| (start + i).div_euclid(86_400_000))
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    assert_eq!(phone_progress.xp, 50 * days);
    assert_eq!(phone_progress.events, 1_200);

    // A workshop terminal signs in to the same account and pulls.
    let terminal_link = HttpTransport::new(&base, account(password)).unwrap();
    let mut terminal = device(&dir.path().join("terminal.db"));
    let report = sync_once(&mut terminal, &terminal_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(report.events_pulled, 1_200);
    assert!(report.pull_pages >= 2);
    assert_eq!(terminal.progress_summary().unwrap(), phone_progress);
    assert_eq!(terminal.events().unwrap(), phone.events().unwrap());

    // Both edit the bike's record: different fields merge.
    let edit = |base, field: &str, value| Edit {
        kind: RecordKind::Vehicle,
        key: "bike-1".into(),
        base_version: base,
        changes: [(field.to_owned(), value)].into_iter().collect(),
    };
    phone
        .edit_record(&edit(0, "notes", json!("chain noisy")), now_ms())
        .unwrap();
    sync_once(&mut phone, &phone_link, now_ms(), now_ms())
        .await
        .unwrap();
    terminal
        .edit_record(&edit(0, "mileage_km", json!(18_000)), now_ms())
        .unwrap();
    sync_once(&mut terminal, &terminal_link, now_ms(), now_ms())
        .await
        .unwrap();
    sync_once(&mut phone, &phone_link, now_ms(), now_ms())
        .await
        .unwrap();
    for store in [&phone, &terminal] {
        let record = store
            .shared_record(RecordKind::Vehicle, "bike-1")
            .unwrap()
            .expect("record synced");
        assert_eq!(record.get("notes"), Some(&json!("chain noisy")));
        assert_eq!(record.get("mileage_km"), Some(&json!(18_000)));
        assert!(store.pending_edits().unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_session_is_renewed_once_else_the_rider_must_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = start(&dir.path().join("server.db"));
    HttpTransport::new(&base, account(Some(PASSWORD)))
        .unwrap()
        .register()
        .await
        .unwrap();
    let forged = Session {
        access_token: "forged-access".into(),
        refresh_token: "forged-refresh".into(),
    };
    let mut phone = device(&dir.path().join("phone.db"));
    phone
        .record(
            EventKind::ArScan {
                diagnostic_id: None,
                duration_seconds: 40,
                quest: None,
                vehicle: None,
            },
            now_ms() - 1_000,
            0,
            random(1),
        )
        .unwrap();

    // Without a password the device cannot renew: an auth error, and the
    // event stays queued.
    let stale = HttpTransport::new(&base, account(None))
        .unwrap()
        .with_session(forged.clone());
    let err = sync_once(&mut phone, &stale, now_ms(), now_ms())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err}");
    assert_eq!(phone.pending_count().unwrap(), 1);

    // With the password kept, the refused session is replaced by a login.
    let renewing = HttpTransport::new(&base, account(Some(PASSWORD)))
        .unwrap()
        .with_session(forged.clone());
    sync_once(&mut phone, &renewing, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(phone.pending_count().unwrap(), 0);
    assert_ne!(renewing.session().await, Some(forged));
    renewing.logout().await.unwrap();
}

#[test]
fn the_background_syncer_sends_over_http_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = start(&dir.path().join("server.db"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let link = HttpTransport::new(&base, account(Some(PASSWORD))).unwrap();
    runtime.block_on(link.register()).unwrap();
    let path = dir.path().join("phone.db");
    let mut phone = device(&path);
    let syncer = Syncer::start(
        Store::open(&path, now_ms()).unwrap().store,
        link,
        SyncConfig::default(),
    )
    .unwrap();
    for i in 0..5 {
        phone
            .record(
                EventKind::DiagnosticRun {
                    diagnostic_id: Uuid::from_u128(900 + i),
                    vehicle: None,
                    quest: None,
                    evidence: Some(Box::new(crate::common::offline_evidence())),
                },
                now_ms() - 10_000 + i as i64,
                60,
                random(i as u64),
            )
            .unwrap();
        syncer.sync_now().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = syncer.status();
        if status.pending == 0
            && status
                .server_progress
                .as_ref()
                .is_some_and(|p| p.events == 5)
        {
            break;
        }
        assert!(Instant::now() < deadline, "not synced: {status:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    syncer.stop();
    assert_eq!(phone.pending_count().unwrap(), 0);
    assert_eq!(phone.server_progress().unwrap().unwrap().xp, 50);
}

#[test]
fn a_waiting_syncer_hears_of_another_devices_event_at_once_not_at_its_next_round() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = start(&dir.path().join("server.db"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let phone_link = HttpTransport::new(&base, account(Some(PASSWORD))).unwrap();
    runtime.block_on(phone_link.register()).unwrap();
    let tablet_link = HttpTransport::new(&base, account(Some(PASSWORD))).unwrap();
    // Rounds an hour apart: only the long-poll can bring the event sooner.
    let hourly = SyncConfig {
        interval: Duration::from_secs(3_600),
        ..SyncConfig::default()
    };
    let tablet_path = dir.path().join("tablet.db");
    drop(device(&tablet_path));
    let tablet = Syncer::start(
        Store::open(&tablet_path, now_ms()).unwrap().store,
        tablet_link,
        hourly,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while tablet.status().last_success_ms.is_none() {
        assert!(Instant::now() < deadline, "{:?}", tablet.status());
        std::thread::sleep(Duration::from_millis(20));
    }
    let rounds = tablet.status().rounds;

    let phone_path = dir.path().join("phone.db");
    let mut phone = device(&phone_path);
    phone
        .record(
            EventKind::DiagnosticRun {
                diagnostic_id: Uuid::from_u128(77),
                vehicle: None,
                quest: None,
                evidence: Some(Box::new(crate::common::offline_evidence())),
            },
            now_ms() - 1_000,
            60,
            random(77),
        )
        .unwrap();
    runtime
        .block_on(sync_once(&mut phone, &phone_link, now_ms(), now_ms()))
        .unwrap();

    // The tablet runs a round of its own as soon as the server has the
    // event, and takes it in.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = tablet.status();
        if status.rounds > rounds
            && !status.syncing
            && status
                .server_progress
                .as_ref()
                .is_some_and(|p| p.events == 1)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the tablet did not hear of it: {status:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    tablet.stop();
    let tablet = Store::open(&tablet_path, now_ms()).unwrap().store;
    assert_eq!(tablet.server_progress().unwrap().unwrap().xp, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_server_says_when_to_come_back_and_the_event_waits_in_order() {
    let dir = tempfile::tempdir().unwrap();
    // Two requests at once, then one a minute.
    let (_server, base) = start_with(
        &dir.path().join("server.db"),
        &[("RIDEWIRE_RATE_PER_USER", "1/2")],
    );
    let link = HttpTransport::new(&base, account(Some(PASSWORD))).unwrap();
    link.register().await.unwrap();
    let path = dir.path().join("phone.db");
    let mut phone = device(&path);
    let scan = |n: u64| {
        (
            EventKind::ArScan {
                diagnostic_id: None,
                duration_seconds: 30,
                quest: None,
                vehicle: None,
            },
            now_ms() - 10_000 + n as i64,
            60,
            random(n),
        )
    };
    phone.record_all(&[scan(1)]).unwrap();
    sync_once(&mut phone, &link, now_ms(), now_ms())
        .await
        .unwrap();
    phone.record_all(&[scan(2), scan(3)]).unwrap();
    let retry_at = now_ms() + 60_000;
    let err = sync_once(&mut phone, &link, now_ms(), retry_at)
        .await
        .unwrap_err();
    let Error::RateLimited { retry_after } = err else {
        panic!("expected a rate limit, got {err}");
    };
    assert!(retry_after >= Duration::from_secs(1), "{retry_after:?}");
    let outbox = phone.outbox().unwrap();
    assert_eq!(
        outbox.iter().map(|o| o.event.seq).collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(outbox.iter().all(|o| o.attempts == 1
        && o.next_attempt_at_ms == retry_at
        && o.last_error.as_deref().is_some_and(|e| e.contains("busy"))));

    // The background syncer waits at least as long as the server asked.
    let syncer = Syncer::start(
        Store::open(&path, now_ms()).unwrap().store,
        link,
        SyncConfig {
            backoff_base: Duration::from_millis(10),
            ..SyncConfig::default()
        },
    )
    .unwrap();
    syncer.sync_now().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = syncer.status();
        if status.last_error.is_some() && !status.syncing {
            break status;
        }
        assert!(Instant::now() < deadline, "no failed round: {status:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.last_error.unwrap().contains("busy"));
    assert_eq!(status.pending, 2);
    let next = status.next_round_ms.unwrap();
    assert!(
        next >= now_ms() + 500,
        "retried before the server's pause ended"
    );
}

/// A "server" that answers every request with `answer` (a hostile or
/// broken one).
fn answering(answer: &'static [u8]) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 16 * 1024];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(answer);
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_larger_than_16_mib_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let base = answering(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\
          Content-Length: 17000000\r\n\r\n{\"cursor\":\"",
    );
    let mut phone = device(&dir.path().join("phone.db"));
    let link = HttpTransport::new(&base, account(Some(PASSWORD))).unwrap();
    let err = sync_once(&mut phone, &link, now_ms(), now_ms())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
}

/// A "server" that answers every request `429` with a `Retry-After` of
/// `u64::MAX` seconds (a hostile or broken one).
fn endless_retry_after() -> String {
    answering(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 18446744073709551615\r\n\
          Content-Type: application/json\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_of_u64_max_waits_at_most_an_hour_and_the_syncer_lives_on() {
    let dir = tempfile::tempdir().unwrap();
    let base = endless_retry_after();
    let path = dir.path().join("phone.db");
    let mut phone = device(&path);
    phone
        .record(
            EventKind::QuestStarted {
                quest: ridewire_engine::quest::QuestId::new("tyre-pressure").unwrap(),
            },
            now_ms(),
            60,
            random(1),
        )
        .unwrap();
    let link = HttpTransport::new(&base, account(Some(PASSWORD))).unwrap();
    let err = sync_once(&mut phone, &link, now_ms(), now_ms())
        .await
        .unwrap_err();
    let Error::RateLimited { retry_after } = err else {
        panic!("expected a rate limit, got {err}");
    };
    assert_eq!(retry_after, ridewire_sync_client::MAX_RETRY_AFTER);
    assert_eq!(phone.pending_count().unwrap(), 1, "nothing is lost");

    let syncer = Syncer::start(
        Store::open(&path, now_ms()).unwrap().store,
        HttpTransport::new(&base, account(Some(PASSWORD))).unwrap(),
        SyncConfig::default(),
    )
    .unwrap();
    syncer.sync_now().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = syncer.status();
        if status.last_error.is_some() && !status.syncing {
            break status;
        }
        assert!(Instant::now() < deadline, "no failed round: {status:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let next = status.next_round_ms.unwrap();
    assert!(next <= now_ms() + 3_600_000 + 5_000, "waits {next} ms");
    // The sync thread is alive: asked again, it answers, and it stops.
    syncer.sync_now().unwrap();
    assert_eq!(syncer.status().pending, 1);
    syncer.stop();
}
