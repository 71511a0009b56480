//! The sync client against the in-memory server: what riders would notice —
//! events that arrive once, progress that matches on every device, refused
//! events that do not block the rest, and a restored server that gets its
//! data back.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ridewire_engine::chain;
use ridewire_engine::demo;
use ridewire_engine::sync::record::{Edit, RecordKind};
use ridewire_engine::sync::{Change, ProgressSummary};
use ridewire_offline_store::Store;
use ridewire_sync_client::{SyncConfig, SyncReport, Syncer, sync_once};
use serde_json::json;

use crate::fake_server::FakeServer;
use crate::support::{T0, diagnosis, random, step, store};

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn sync(store: &mut Store, server: &FakeServer) -> ridewire_sync_client::Result<SyncReport> {
    block_on(sync_once(store, server, T0 + 99_000, T0 + 100_000))
}

fn server() -> FakeServer {
    FakeServer::new(demo::catalog().unwrap())
}

fn record_n(store: &mut Store, from: u64, n: u64) {
    for i in from..from + n {
        let kind = if i % 2 == 0 {
            diagnosis(u128::from(i))
        } else {
            step("lights", &format!("s{}", i % 3 + 1))
        };
        store
            .record(kind, T0 + i as i64 * 1000, 60, random(i))
            .unwrap();
    }
}

fn assert_same_progress(store: &mut Store, server: &FakeServer) -> ProgressSummary {
    let expected = server.progress();
    assert_eq!(store.server_progress().unwrap().as_ref(), Some(&expected));
    assert_eq!(store.progress_summary().unwrap(), expected);
    expected
}

#[test]
fn two_devices_end_up_with_every_event_and_the_servers_progress() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));
    let mut terminal = store(&dir.path().join("terminal.db"));
    record_n(&mut phone, 0, 7);
    record_n(&mut terminal, 100, 4);
    server.publish(Change::Plan {
        id: "spring-service".into(),
        title: "Spring service".into(),
        markdown: "# Spring service\n- [ ] chain".into(),
        version: 1,
    });
    let report = sync(&mut phone, &server).unwrap();
    assert_eq!(report.acknowledged, 7);
    sync(&mut terminal, &server).unwrap();
    sync(&mut phone, &server).unwrap();
    assert_eq!(server.events().len(), 11);
    for device in [&mut phone, &mut terminal] {
        assert_eq!(device.events().unwrap().len(), 11);
        chain::verify(&device.events().unwrap()).unwrap();
        assert_eq!(device.pending_count().unwrap(), 0);
        assert_eq!(device.plans().unwrap()[0].title, "Spring service");
        let progress = assert_same_progress(device, &server);
        assert_eq!(progress.events, 11);
    }
}

#[test]
fn an_answer_lost_after_the_server_stored_the_events_counts_them_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));
    record_n(&mut phone, 0, 5);
    server.lose_answers.store(1, Ordering::SeqCst);
    let err = sync(&mut phone, &server).unwrap_err();
    assert!(err.is_transient(), "{err}");
    // Still queued, in order, with what went wrong and when to try again.
    let outbox = phone.outbox().unwrap();
    assert_eq!(
        outbox.iter().map(|o| o.event.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert!(outbox.iter().all(|o| o.attempts == 1
        && o.last_error.as_deref().is_some_and(|e| e.contains("reset"))
        && o.next_attempt_at_ms == T0 + 100_000));
    assert_eq!(phone.next_push_at().unwrap(), Some(T0 + 100_000));
    sync(&mut phone, &server).unwrap();
    assert_eq!(server.events().len(), 5, "events stored twice");
    assert_eq!(phone.pending_count().unwrap(), 0);
    assert_same_progress(&mut phone, &server);
}

#[test]
fn a_refused_event_is_wedged_with_its_reason_and_does_not_block_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    server.refuse.lock().unwrap().insert(2);
    let mut phone = store(&dir.path().join("phone.db"));
    record_n(&mut phone, 0, 4);
    let report = sync(&mut phone, &server).unwrap();
    assert_eq!((report.acknowledged, report.wedged), (3, 1));
    let outbox = phone.outbox().unwrap();
    assert_eq!(outbox.len(), 1, "the refused event should stay visible");
    assert!(outbox[0].wedged);
    assert_eq!(outbox[0].event.seq, 2);
    assert_eq!(outbox[0].last_error.as_deref(), Some("forged_value"));
    // Later events go out past it.
    record_n(&mut phone, 10, 2);
    assert_eq!(
        phone
            .next_push_batch(100)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        [5, 6]
    );
    sync(&mut phone, &server).unwrap();
    assert_eq!(phone.pending_count().unwrap(), 0);
    assert_eq!(phone.wedged_count().unwrap(), 1);
    assert_eq!(server.events().len(), 5);
}

#[test]
fn a_server_restored_from_a_backup_gets_the_events_again_and_devices_refetch() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));
    let mut terminal = store(&dir.path().join("terminal.db"));
    record_n(&mut phone, 0, 6);
    record_n(&mut terminal, 100, 3);
    sync(&mut phone, &server).unwrap();
    sync(&mut terminal, &server).unwrap();
    sync(&mut phone, &server).unwrap();
    assert_eq!(phone.events().unwrap().len(), 9);
    // The backup holds the catalogue and the phone's first two events only.
    server.restore("epoch2", 3);
    record_n(&mut phone, 20, 1);
    let report = sync(&mut phone, &server).unwrap();
    assert!(report.reset, "the phone did not notice the new epoch");
    assert_eq!(
        server.events().len(),
        7,
        "the phone's lost events not sent again"
    );
    assert_eq!(phone.pending_count().unwrap(), 0);
    // The terminal's events are gone from the server, so from the phone too,
    // until the terminal sends them again.
    assert_eq!(phone.events().unwrap().len(), 7);
    sync(&mut terminal, &server).unwrap();
    sync(&mut phone, &server).unwrap();
    assert_eq!(server.events().len(), 10);
    for device in [&mut phone, &mut terminal] {
        assert_eq!(device.events().unwrap().len(), 10);
        assert_same_progress(device, &server);
    }
}

#[test]
fn pages_arrive_until_nothing_more_waits() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));
    // A big import, in one transaction.
    let items: Vec<_> = (0..2_100u64)
        .map(|i| (diagnosis(u128::from(i)), T0 + i as i64, 60, random(i)))
        .collect();
    let recorded = phone.record_all(&items).unwrap();
    assert_eq!(recorded.last().map(|e| e.seq), Some(2_100));
    assert_eq!(phone.progress().unwrap().stats().diagnostics_run, 2_100);
    sync(&mut phone, &server).unwrap();
    let mut fresh = store(&dir.path().join("fresh.db"));
    let report = sync(&mut fresh, &server).unwrap();
    assert_eq!(report.pull_pages, 3);
    assert_eq!(report.events_pulled, 2_100);
    assert!(report.push_requests == 0);
    assert_same_progress(&mut fresh, &server);
    assert_eq!(fresh.cursor().unwrap().position, 2_101);
}

#[test]
fn record_edits_merge_and_overlaps_wait_for_the_rider() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));
    let mut terminal = store(&dir.path().join("terminal.db"));
    let edit = |base, field: &str, value| Edit {
        kind: RecordKind::Vehicle,
        key: "bike-1".into(),
        base_version: base,
        changes: [(field.to_owned(), value)].into_iter().collect(),
    };
    phone
        .edit_record(&edit(0, "notes", json!("chain noisy")), T0)
        .unwrap();
    // A second edit on the same base by the same device follows the first.
    phone
        .edit_record(&edit(0, "notes", json!("chain adjusted")), T0 + 1)
        .unwrap();
    let report = sync(&mut phone, &server).unwrap();
    assert_eq!(report.edits_saved, 2);
    let v2 = phone
        .shared_record(RecordKind::Vehicle, "bike-1")
        .unwrap()
        .unwrap();
    assert_eq!(v2.get("notes"), Some(&json!("chain adjusted")));
    sync(&mut terminal, &server).unwrap();
    // Both terminals edit on version 2: different fields merge, the same
    // field comes back as a conflict.
    terminal
        .edit_record(&edit(2, "mileage_km", json!(18_000)), T0)
        .unwrap();
    phone
        .edit_record(&edit(2, "mileage_km", json!(18_500)), T0)
        .unwrap();
    phone
        .edit_record(&edit(2, "tyres", json!("new")), T0)
        .unwrap();
    sync(&mut terminal, &server).unwrap();
    let report = sync(&mut phone, &server).unwrap();
    assert_eq!((report.edits_saved, report.edits_conflicted), (1, 1));
    let pending = phone.pending_edits().unwrap();
    assert_eq!(pending.len(), 1);
    let conflict = pending[0].conflict.as_ref().expect("conflict kept");
    assert_eq!(conflict.fields, ["mileage_km"]);
    assert_eq!(conflict.current.get("mileage_km"), Some(&json!(18_000)));
    // It is not sent again until the rider resolves it.
    let report = sync(&mut phone, &server).unwrap();
    assert_eq!(report.edits_conflicted, 0);
    let current = phone
        .shared_record(RecordKind::Vehicle, "bike-1")
        .unwrap()
        .unwrap();
    phone
        .resolve_edit(
            pending[0].id,
            Some(&edit(current.version, "mileage_km", json!(18_500))),
            T0,
        )
        .unwrap();
    sync(&mut phone, &server).unwrap();
    assert!(phone.pending_edits().unwrap().is_empty());
    sync(&mut terminal, &server).unwrap();
    let seen = terminal
        .shared_record(RecordKind::Vehicle, "bike-1")
        .unwrap()
        .unwrap();
    assert_eq!(seen.get("mileage_km"), Some(&json!(18_500)));
    assert_eq!(seen.get("tyres"), Some(&json!("new")));
    assert_eq!(seen.get("notes"), Some(&json!("chain adjusted")));
}

/// Waits (without asserting on time) until `done` holds, for at most a
/// generous deadline so a broken syncer fails instead of hanging.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A syncer on `path` that retries within milliseconds and waits an hour
/// between successful rounds (the tests ask for rounds).
fn start_quick(path: &std::path::Path, server: &Arc<FakeServer>) -> Syncer {
    let config = SyncConfig {
        interval: Duration::from_secs(3600),
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(50),
    };
    Syncer::start(
        Store::open(path, T0).unwrap().store,
        Arc::clone(server),
        config,
    )
    .unwrap()
}

#[test]
fn the_background_syncer_retries_on_its_own_until_everything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let server = Arc::new(server());
    let mut phone = store(&path);
    record_n(&mut phone, 0, 3);
    // The first four requests fail; nothing new is recorded meanwhile.
    server.fail_requests.store(4, Ordering::SeqCst);
    let syncer = start_quick(&path, &server);
    wait_until("the outbox drains", || {
        let s = syncer.status();
        s.pending == 0 && s.last_success_ms.is_some()
    });
    let status = syncer.status();
    assert!(status.rounds >= 5, "{status:?}");
    assert_eq!(status.failures, 0);
    assert_eq!(status.last_error, None);
    assert_eq!(status.server_progress, Some(server.progress()));
    assert_eq!(server.events().len(), 3);
    // "Sync now" after a new event sends it without waiting for the timer.
    phone
        .record(diagnosis(77), T0 + 60_000, 60, random(77))
        .unwrap();
    syncer.sync_now().unwrap();
    wait_until("the new event is sent", || server.events().len() == 4);
    syncer.stop();
    assert_eq!(phone.pending_count().unwrap(), 0);
}

#[test]
fn a_stopped_syncer_reports_it_and_a_new_one_resumes_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let server = Arc::new(server());
    let mut phone = store(&path);
    record_n(&mut phone, 0, 2);
    server.fail_requests.store(usize::MAX / 2, Ordering::SeqCst);
    let config = SyncConfig {
        interval: Duration::from_secs(3600),
        backoff_base: Duration::from_millis(1),
        backoff_cap: Duration::from_millis(5),
    };
    let syncer = Syncer::start(
        Store::open(&path, T0).unwrap().store,
        Arc::clone(&server),
        config,
    )
    .unwrap();
    wait_until("a few failed rounds", || syncer.status().failures >= 3);
    let status = syncer.status();
    assert!(status.last_error.unwrap().contains("injected"));
    assert_eq!(status.pending, 2);
    let handle = syncer.handle();
    syncer.stop();
    assert!(handle.sync_now().is_err());
    // Like an app restart: a new syncer over the same file picks up.
    server.fail_requests.store(0, Ordering::SeqCst);
    let syncer = Syncer::start(
        Store::open(&path, T0).unwrap().store,
        Arc::clone(&server),
        config,
    )
    .unwrap();
    syncer.sync_now().unwrap();
    wait_until("the queue drains", || {
        let s = syncer.status();
        s.pending == 0 && s.last_success_ms.is_some()
    });
    assert_eq!(server.events().len(), 2);
}

#[test]
fn a_change_that_cannot_be_applied_is_kept_aside_after_a_few_rounds_and_the_rest_goes_in() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));
    let mut terminal = store(&dir.path().join("terminal.db"));
    record_n(&mut terminal, 100, 2);
    sync(&mut terminal, &server).unwrap();
    // A spoilt event sits in the server's log between two good changes.
    let mut spoilt = server.events()[1].clone();
    spoilt.at_ms += 1;
    server.publish(Change::Event { event: spoilt });
    server.publish(Change::Plan {
        id: "spring-service".into(),
        title: "Spring service".into(),
        markdown: "# Spring service\n- [ ] chain".into(),
        version: 1,
    });
    // The first rounds fail on that page and take nothing from it; each
    // tries the same page again rather than starting over.
    for round in 1..ridewire_sync_client::MAX_PAGE_TRIES {
        let failed = sync(&mut phone, &server);
        assert!(
            matches!(
                failed,
                Err(ridewire_sync_client::Error::Store(
                    ridewire_offline_store::Error::Invalid(_)
                ))
            ),
            "round {round}: {failed:?}"
        );
        assert!(phone.plans().unwrap().is_empty());
        assert_eq!(
            phone.cursor().unwrap(),
            ridewire_engine::sync::Cursor::START
        );
    }
    // Then the page goes in without the spoilt change, which is kept whole.
    let report = sync(&mut phone, &server).unwrap();
    assert_eq!(report.changes_skipped, 1);
    assert_eq!(phone.plans().unwrap()[0].title, "Spring service");
    let held = server.events().len();
    assert_eq!(
        phone.events().unwrap().len(),
        held,
        "every good event came in"
    );
    let skipped = phone.skipped_changes().unwrap();
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].error.contains("does not match its hash"),
        "{skipped:?}"
    );
    assert!(
        skipped[0].position >= held,
        "after the good events: {skipped:?}"
    );
    assert!(skipped[0].change.contains("\"event\""));
    // Later rounds go on from there.
    let report = sync(&mut phone, &server).unwrap();
    assert_eq!(report.changes_skipped, 0);
}

#[test]
fn the_syncer_reports_what_each_round_brought_and_nothing_for_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let server = Arc::new(server());
    let mut phone = store(&path);
    record_n(&mut phone, 0, 2);
    let mut terminal = store(&dir.path().join("terminal.db"));
    let syncer = start_quick(&path, &server);
    let mut reports = Vec::new();
    wait_until("the first round is reported", || {
        reports.extend(syncer.take_reports());
        !reports.is_empty()
    });
    // The phone's own events went out; no one else's came in (the server's
    // catalogue did, with the progress folded against it).
    let first = &reports[0];
    assert_eq!(first.round, 1);
    assert_eq!(first.outcome.as_ref().map(|r| r.acknowledged), Ok(2));
    assert_eq!(first.brought.events, vec![]);
    assert!(first.brought.catalog.is_some());
    assert_eq!(first.brought.progress.as_ref().map(|p| p.xp()), Some(10));

    // The terminal records three things; the phone's next round brings them
    // with the progress they make, and they are not reported again.
    record_n(&mut terminal, 10, 3);
    sync(&mut terminal, &server).unwrap();
    syncer.sync_now().unwrap();
    let mut brought = Vec::new();
    wait_until("the terminal's events are reported", || {
        for report in syncer.take_reports() {
            brought.extend(report.brought.events.clone());
            if let Some(progress) = report.brought.progress {
                assert_eq!(progress.event_count(), 5, "both devices' events folded");
            }
        }
        brought.len() >= 3
    });
    let terminal_events = terminal.events().unwrap();
    let theirs: Vec<_> = terminal_events
        .iter()
        .filter(|e| e.device == terminal.device())
        .cloned()
        .collect();
    assert_eq!(
        brought, theirs,
        "each of the terminal's events once, in order"
    );
    syncer.sync_now().unwrap();
    wait_until("an empty round is reported", || {
        syncer
            .take_reports()
            .iter()
            .any(|r| r.outcome.is_ok() && r.brought.is_empty())
    });
    syncer.stop();
}

#[test]
fn a_diagnosis_asked_of_a_server_without_agents_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    store(&path);
    let server = Arc::new(server());
    let syncer = Syncer::start(
        Store::open(&path, T0).unwrap().store,
        Arc::clone(&server),
        SyncConfig::default(),
    )
    .unwrap();
    let request = demo::diagnosis_request().unwrap();
    let answer = syncer
        .diagnose(request, 60)
        .unwrap()
        .recv_timeout(Duration::from_secs(60))
        .unwrap();
    let err = answer.unwrap_err();
    assert!(err.to_string().contains("no diagnosis agents"), "{err}");
    syncer.stop();
}

#[test]
fn a_leaderboard_asked_between_rounds_runs_no_round_and_says_when_there_is_none() {
    use ridewire_engine::sync::leaderboard::{Board, Period};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    store(&path);
    let server = Arc::new(server());
    let syncer = start_quick(&path, &server);
    wait_until("the first round", || syncer.status().rounds >= 1);
    let rounds = syncer.status().rounds;
    let answer = syncer
        .leaderboard(Board::Xp, Period::Week)
        .unwrap()
        .recv_timeout(Duration::from_secs(60))
        .unwrap();
    let err = answer.unwrap_err();
    assert!(err.to_string().contains("no leaderboards"), "{err}");
    let named = syncer
        .set_display_name(Some("Ana".into()))
        .unwrap()
        .recv_timeout(Duration::from_secs(60))
        .unwrap();
    assert!(named.is_err());
    assert_eq!(syncer.status().rounds, rounds, "no round for a question");
    // The syncer still runs rounds afterwards.
    let report = syncer
        .handle()
        .round()
        .unwrap()
        .recv_timeout(Duration::from_secs(60))
        .unwrap();
    assert!(report.outcome.is_ok());
    syncer.stop();
}

#[test]
fn a_round_asked_for_answers_its_report_and_watchers_see_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let server = Arc::new(server());
    let mut phone = store(&path);
    let syncer = start_quick(&path, &server);
    let watch = syncer.handle().watch();
    let watching = &watch.changes;
    wait_until("the first round", || syncer.status().rounds >= 1);
    // Recorded after the first round: the round asked for must carry it.
    record_n(&mut phone, 0, 2);
    let report = syncer
        .handle()
        .round()
        .unwrap()
        .recv_timeout(Duration::from_secs(60))
        .expect("the round's report");
    let done = report.outcome.expect("a good round");
    assert_eq!(done.acknowledged, 2, "{done:?}");
    assert_eq!(server.events().len(), 2);
    // Every round showed itself starting and ending, in order.
    let seen: Vec<_> = watching.try_iter().collect();
    assert!(
        seen.iter().any(|s| s.syncing),
        "a round was seen running: {seen:?}"
    );
    let last = seen.last().expect("changes");
    assert!(!last.syncing);
    assert_eq!(last.rounds, report.round);
    assert_eq!(last.pending, 0);
    let rounds: Vec<u64> = seen.iter().map(|s| s.rounds).collect();
    assert!(rounds.windows(2).all(|w| w[0] <= w[1]), "{rounds:?}");
    // A stopped watch ends at once (a thread blocked on it wakes) and hears
    // nothing more; asking a stopped syncer fails.
    watch.stopper.stop();
    loop {
        // Changes sent before the stop drain, then the watch ends at once.
        match watching.recv_timeout(Duration::from_secs(10)) {
            Ok(_) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("the watch did not end"),
        }
    }
    syncer.sync_now().unwrap();
    let handle = syncer.handle();
    syncer.stop();
    assert!(handle.round().is_err());
}
