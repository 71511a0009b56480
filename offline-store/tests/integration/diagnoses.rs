//! Diagnostic runs: stored whole with their event, paged newest first,
//! feedback kept, nothing half-written.

use ridewire_engine::diagnostics::gate::Decision;
use ridewire_offline_store::{Error, Feedback, FeedbackSync, Store};
use uuid::Uuid;

use crate::support::{T0, random, run, store};

#[test]
fn a_run_is_stored_whole_with_its_event_and_xp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let id = Uuid::from_u128(42);
    let (request, result) = run("P0300");
    assert_eq!(result.decision, Decision::Approved);
    {
        let mut s = store(&path);
        let (rec, recorded) = s
            .record_diagnosis(id, &request, &result, T0, 60, random(1))
            .unwrap();
        assert_eq!(recorded.progress.xp(), 10);
        assert_eq!(
            (rec.xp, rec.achievements.as_slice()),
            (10, &["ACH-FIRST-DIAG".to_owned()][..])
        );
    }
    let mut s = Store::open(&path, T0).unwrap().store;
    let back = s.diagnosis(id).unwrap().expect("stored");
    assert_eq!(back.request, request);
    assert_eq!(
        back.result, result,
        "answers, consensus, decision and flags come back as stored"
    );
    assert_eq!(s.progress().unwrap().stats().diagnostics_run, 1);
    let events = s.events().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(back.event, events[0].id);
    assert_eq!(
        s.outbox().unwrap().len(),
        1,
        "the run's event waits to sync"
    );

    assert!(s.set_feedback(id, "New plugs fixed it", T0 + 5).unwrap());
    assert!(
        !s.set_feedback(Uuid::from_u128(7), "no such run", T0)
            .unwrap()
    );
    let long = "x".repeat(2_001);
    assert!(matches!(
        s.set_feedback(id, &long, T0),
        Err(Error::Invalid(_))
    ));
    assert_eq!(
        s.diagnosis(id).unwrap().unwrap().feedback,
        Some(Feedback {
            text: "New plugs fixed it".into(),
            at_ms: T0 + 5,
            // Answered offline here: the server has no record of the run.
            sync: FeedbackSync::DeviceOnly,
        })
    );
}

#[test]
fn history_pages_newest_first_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir.path().join("rider.db"));
    let codes = ["P0300", "P0171", "P0562", "P0117", "P0524"];
    for (i, code) in codes.iter().enumerate() {
        let (request, result) = run(code);
        // Two runs share a timestamp: the page boundary must not split them wrongly.
        let at = T0 + (i as i64 / 2) * 1000;
        s.record_diagnosis(
            Uuid::from_u128(100 + i as u128),
            &request,
            &result,
            at,
            60,
            random(i as u64),
        )
        .unwrap();
    }
    let mut seen = Vec::new();
    let mut page = s.diagnoses(None, 2).unwrap();
    while !page.is_empty() {
        seen.extend(page.iter().map(|d| d.id));
        let last = page.last().cloned();
        page = s.diagnoses(last.as_ref(), 2).unwrap();
    }
    assert_eq!(seen.len(), 5);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "a run appeared twice: {seen:?}");
    let all = s.diagnoses(None, 50).unwrap();
    assert!(
        all.windows(2)
            .all(|w| (w[0].at_ms, w[0].id) > (w[1].at_ms, w[1].id))
    );
    assert_eq!(all.iter().map(|d| d.id).collect::<Vec<_>>(), seen);
}

#[test]
fn a_failed_run_write_leaves_no_event_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut s = store(&path);
    let (request, result) = run("P0300");
    s.record_diagnosis(Uuid::from_u128(1), &request, &result, T0, 60, random(1))
        .unwrap();
    // The same run id again: the record insert fails after the event was written.
    let err = s
        .record_diagnosis(Uuid::from_u128(1), &request, &result, T0 + 1, 60, random(2))
        .unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
    assert_eq!(s.events().unwrap().len(), 1, "event kept without its run");
    assert_eq!(
        s.progress().unwrap().xp(),
        10,
        "XP counted for a run that was not stored"
    );
}
