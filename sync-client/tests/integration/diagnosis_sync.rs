//! Diagnostic runs and notes between a rider's devices, through the
//! in-memory server: a run the server's agents answered for one device shows
//! whole in every device's history with its XP counted once, a long history
//! arrives over a few bounded rounds, notes travel and the later one wins,
//! and a server without these endpoints still syncs everything else.

use std::sync::atomic::Ordering;

use ridewire_offline_store::{Feedback, FeedbackSync, Store};
use ridewire_sync_client::diagnoses::MAX_DIAGNOSIS_REQUESTS;
use ridewire_sync_client::{SyncReport, sync_once};
use uuid::Uuid;

use crate::fake_server::FakeServer;
use crate::support::{T0, random, run, step, store};
use crate::sync_rounds::block_on;

fn server() -> FakeServer {
    FakeServer::new(ridewire_engine::demo::catalog().unwrap())
}

fn sync(store: &mut Store, server: &FakeServer) -> SyncReport {
    block_on(sync_once(store, server, T0 + 10_000_000, T0 + 10_000_001)).unwrap()
}

/// `n` runs the server's agents answer, a second apart from `from`.
fn answer_runs(server: &FakeServer, from: i64, n: usize) -> Vec<Uuid> {
    let (request, result) = run("P0300");
    (0..n)
        .map(|i| {
            server
                .answer_run(&request, &result, from + i as i64 * 1_000)
                .id
        })
        .collect()
}

fn note(store: &Store, id: Uuid) -> Option<Feedback> {
    store.diagnosis(id).unwrap().expect("run kept").feedback
}

fn kept(store: &Store) -> Vec<Uuid> {
    store
        .diagnoses(None, 500)
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect()
}

#[test]
fn a_run_answered_for_another_device_is_kept_whole_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));
    let mut terminal = store(&dir.path().join("terminal.db"));
    sync(&mut terminal, &server);

    // The phone asks the server's agents.
    let (request, result) = run("P0300");
    let asked = server.answer_run(&request, &result, T0 + 1_000);
    sync(&mut phone, &server);

    let report = sync(&mut terminal, &server);
    assert_eq!(report.diagnoses_kept, 1);
    assert_eq!(report.diagnoses_error, None);
    let history = terminal.diagnoses(None, 10).unwrap();
    assert_eq!(history.len(), 1);
    let shown = &history[0];
    assert_eq!(shown.id, asked.id);
    assert_eq!(shown.event.0, asked.event_id);
    assert_eq!(shown.request, request);
    assert_eq!(
        shown.result, result,
        "every agent's answer, the consensus, the decision and the flags"
    );
    assert_eq!(shown.xp, 10);
    assert_eq!(shown.achievements, ["ACH-FIRST-DIAG"]);
    assert_eq!(terminal.progress().unwrap().xp(), 10, "XP counted once");
    assert_eq!(terminal.events().unwrap().len(), 1);

    // Nothing new: one small request, nothing fetched, nothing doubled.
    let runs_fetched = server.run_requests.load(Ordering::SeqCst);
    let report = sync(&mut terminal, &server);
    assert_eq!((report.history_pages, report.diagnoses_kept), (1, 0));
    assert_eq!(server.run_requests.load(Ordering::SeqCst), runs_fetched);
    assert_eq!(kept(&terminal), [asked.id]);
    assert_eq!(terminal.progress().unwrap().xp(), 10);

    // A run the terminal answers offline is kept once there; the phone gets
    // its event (and XP) but not its record, which the server never had.
    let own = Uuid::from_u128(77);
    terminal
        .record_diagnosis(own, &request, &result, T0 + 2_000, 60, random(77))
        .unwrap();
    sync(&mut terminal, &server);
    sync(&mut phone, &server);
    assert_eq!(kept(&terminal), [own, asked.id]);
    assert_eq!(kept(&phone), [asked.id]);
    assert_eq!(phone.progress().unwrap().xp(), 20);
    assert_eq!(terminal.progress().unwrap().xp(), 20);
}

#[test]
fn a_long_history_arrives_over_a_few_bounded_rounds_then_costs_one_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut terminal = store(&dir.path().join("terminal.db"));
    let mut answered = answer_runs(&server, T0, 130);

    let mut rounds = 0;
    while kept(&terminal).len() < answered.len() {
        let requests_before = server.history_requests.load(Ordering::SeqCst)
            + server.run_requests.load(Ordering::SeqCst);
        let report = sync(&mut terminal, &server);
        let requests = server.history_requests.load(Ordering::SeqCst)
            + server.run_requests.load(Ordering::SeqCst)
            - requests_before;
        assert!(requests <= MAX_DIAGNOSIS_REQUESTS, "{requests} requests");
        assert!(report.diagnoses_kept > 0, "round {rounds} kept nothing");
        rounds += 1;
        if rounds == 1 {
            // A run answered while the walk goes on is not skipped.
            answered.extend(answer_runs(&server, T0 + 500_000, 1));
        }
        assert!(rounds < 10, "never caught up");
    }
    assert!(rounds > 1, "the work was not bounded");

    // Caught up: one page, nothing fetched.
    let report = sync(&mut terminal, &server);
    assert_eq!((report.history_pages, report.diagnoses_kept), (1, 0));

    // A burst from another device larger than one round takes.
    answered.extend(answer_runs(&server, T0 + 600_000, 100));
    for _ in 0..10 {
        sync(&mut terminal, &server);
    }
    let got = kept(&terminal);
    let missing = answered.iter().filter(|id| !got.contains(id)).count();
    assert_eq!(missing, 0, "runs of {} never arrived", answered.len());
    assert_eq!(got.len(), answered.len());
    // Every run is counted (only five a day earn XP).
    assert_eq!(
        terminal.progress().unwrap().stats().diagnostics_run,
        answered.len() as u64
    );
    let report = sync(&mut terminal, &server);
    assert_eq!((report.history_pages, report.diagnoses_kept), (1, 0));
}

#[test]
fn a_server_without_shared_runs_still_takes_and_gives_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));
    let [id] = answer_runs(&server, T0, 1)[..] else {
        unreachable!()
    };
    sync(&mut phone, &server);
    assert!(
        phone
            .set_feedback(id, "New plugs fixed it", T0 + 5_000)
            .unwrap()
    );
    phone
        .record(step("lights", "s1"), T0 + 6_000, 60, random(1))
        .unwrap();
    answer_runs(&server, T0 + 7_000, 1);

    server.no_diagnoses.store(true, Ordering::SeqCst);
    let report = sync(&mut phone, &server);
    assert_eq!(report.acknowledged, 1, "the step went out");
    assert_eq!(report.events_pulled, 1, "the new run's event came in");
    assert_eq!(phone.pending_count().unwrap(), 0);
    assert!(
        report
            .diagnoses_error
            .as_deref()
            .is_some_and(|e| e.contains("does not share")),
        "{report:?}"
    );
    assert_eq!(note(&phone, id).unwrap().sync, FeedbackSync::Unsent);

    // A failure on the way is reported the same way.
    server.no_diagnoses.store(false, Ordering::SeqCst);
    server.fail_diagnosis_requests.store(1, Ordering::SeqCst);
    let report = sync(&mut phone, &server);
    assert!(report.diagnoses_error.is_some());
    assert_eq!(note(&phone, id).unwrap().sync, FeedbackSync::Unsent);

    // Once the server answers, the note goes out and the new run comes in.
    let report = sync(&mut phone, &server);
    assert_eq!(report.diagnoses_error, None);
    assert_eq!((report.feedback_sent, report.diagnoses_kept), (1, 1));
    assert_eq!(note(&phone, id).unwrap().sync, FeedbackSync::Sent);
    assert_eq!(
        server.run(id).unwrap().feedback.as_deref(),
        Some("New plugs fixed it")
    );
}

#[test]
fn a_note_reaches_the_other_device_and_the_later_note_wins() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));
    let mut terminal = store(&dir.path().join("terminal.db"));
    let [id] = answer_runs(&server, T0, 1)[..] else {
        unreachable!()
    };
    sync(&mut phone, &server);
    sync(&mut terminal, &server);

    assert!(
        phone
            .set_feedback(id, "New plugs fixed it", T0 + 10_000)
            .unwrap()
    );
    assert_eq!(note(&phone, id).unwrap().sync, FeedbackSync::Unsent);
    let report = sync(&mut phone, &server);
    assert_eq!(report.feedback_sent, 1);
    assert_eq!(note(&phone, id).unwrap().sync, FeedbackSync::Sent);
    let report = sync(&mut terminal, &server);
    assert_eq!(report.feedback_taken, 1);
    assert_eq!(
        note(&terminal, id),
        Some(Feedback {
            text: "New plugs fixed it".into(),
            at_ms: T0 + 10_000,
            sync: FeedbackSync::Sent,
        })
    );
    // Taken once, not again every round.
    assert_eq!(sync(&mut terminal, &server).feedback_taken, 0);

    // The terminal writes later; the phone wrote in between but could not
    // send it at first. The later note wins on both.
    assert!(
        terminal
            .set_feedback(id, "Misfire came back", T0 + 20_000)
            .unwrap()
    );
    assert!(phone.set_feedback(id, "Still fine", T0 + 15_000).unwrap());
    server.fail_diagnosis_requests.store(1, Ordering::SeqCst);
    assert!(sync(&mut phone, &server).diagnoses_error.is_some());
    assert_eq!(note(&phone, id).unwrap().text, "Still fine");
    sync(&mut terminal, &server);
    let report = sync(&mut phone, &server);
    assert_eq!((report.feedback_sent, report.feedback_taken), (0, 1));
    for device in [&phone, &terminal] {
        assert_eq!(
            note(device, id),
            Some(Feedback {
                text: "Misfire came back".into(),
                at_ms: T0 + 20_000,
                sync: FeedbackSync::Sent,
            })
        );
    }
    assert_eq!(
        server.run(id).unwrap().feedback.as_deref(),
        Some("Misfire came back")
    );
}

#[test]
fn a_note_on_a_run_the_server_does_not_know_stays_here_and_is_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = server();
    let mut phone = store(&dir.path().join("phone.db"));

    // Answered offline: the server only ever gets its event.
    let (request, result) = run("P0171");
    let offline = Uuid::from_u128(5);
    phone
        .record_diagnosis(offline, &request, &result, T0, 60, random(5))
        .unwrap();
    assert!(
        phone
            .set_feedback(offline, "Cleaned the MAF", T0 + 1)
            .unwrap()
    );
    assert_eq!(
        note(&phone, offline).unwrap().sync,
        FeedbackSync::DeviceOnly
    );
    sync(&mut phone, &server);
    assert_eq!(server.feedback_requests.load(Ordering::SeqCst), 0);

    // A run the server lost since (restored from a backup).
    let [lost] = answer_runs(&server, T0 + 1_000, 1)[..] else {
        unreachable!()
    };
    sync(&mut phone, &server);
    server.forget_run(lost);
    assert!(phone.set_feedback(lost, "Fixed", T0 + 2_000).unwrap());
    let report = sync(&mut phone, &server);
    assert_eq!(report.feedback_kept_here, 1);
    assert_eq!(report.diagnoses_error, None);
    assert_eq!(note(&phone, lost).unwrap().sync, FeedbackSync::DeviceOnly);
    sync(&mut phone, &server);
    assert_eq!(server.feedback_requests.load(Ordering::SeqCst), 1);
    assert_eq!(note(&phone, lost).unwrap().text, "Fixed");
}

#[test]
fn notes_kept_before_version_5_are_sent_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let server = server();
    let [remote] = answer_runs(&server, T0, 1)[..] else {
        unreachable!()
    };
    let own = Uuid::from_u128(9);
    {
        let mut phone = store(&path);
        sync(&mut phone, &server);
        let (request, result) = run("P0171");
        phone
            .record_diagnosis(own, &request, &result, T0 + 5_000, 60, random(9))
            .unwrap();
        phone.set_feedback(remote, "Fixed", T0 + 9_000).unwrap();
        phone
            .set_feedback(own, "Cleaned the MAF", T0 + 9_000)
            .unwrap();
    }
    // Turn the file back into what version 4 made.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP INDEX diagnoses_unsent_feedback;
         ALTER TABLE diagnoses DROP COLUMN feedback_sync;
         ALTER TABLE diagnoses DROP COLUMN feedback_ms;
         ALTER TABLE sync_state DROP COLUMN diagnoses_walk;
         DROP TABLE skipped_changes;
         ALTER TABLE sync_state DROP COLUMN page_failures;
         DROP TABLE photos;
         PRAGMA user_version = 4;",
    )
    .unwrap();
    drop(conn);

    let mut phone = Store::open(&path, T0).unwrap().store;
    assert_eq!(
        note(&phone, remote),
        Some(Feedback {
            text: "Fixed".into(),
            at_ms: T0,
            sync: FeedbackSync::Unsent,
        }),
        "the run's time stands in for the note's"
    );
    assert_eq!(note(&phone, own).unwrap().sync, FeedbackSync::DeviceOnly);
    let report = sync(&mut phone, &server);
    assert_eq!(report.feedback_sent, 1);
    assert_eq!(
        server.run(remote).unwrap().feedback.as_deref(),
        Some("Fixed")
    );
}
