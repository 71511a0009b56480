//! The rider's session: recording in a database or the demo garage,
//! plans joining the catalogue, and merging what a sync round brought.

use ridewire_app::rider::{Outcome, Rider};
use ridewire_engine::event::EventKind;
use ridewire_engine::progress::RejectReason;
use ridewire_engine::quest::QuestId;
use ridewire_offline_store::Store;
use ridewire_sync_client::Brought;
use uuid::Uuid;

const NOW: i64 = 1_772_438_400_000;

fn diagnosis(n: u128) -> EventKind {
    EventKind::DiagnosticRun {
        diagnostic_id: Uuid::from_u128(n),
        vehicle: None,
        quest: None,
        evidence: None,
    }
}

fn random(n: u64) -> [u8; 10] {
    let mut r = [0u8; 10];
    r[..8].copy_from_slice(&n.to_le_bytes());
    r
}

#[test]
fn a_recorded_diagnostic_run_in_the_demo_shows_10_xp_at_once() {
    let mut demo = Rider::demo(NOW).unwrap();
    assert!(demo.is_demo());
    assert_eq!(demo.database(), None);
    assert!(
        demo.events().len() > 5,
        "the demo garage has a few days of work"
    );
    let before = demo.progress().xp();
    let outcome = demo.record(diagnosis(5), NOW, 60);
    assert_eq!(
        outcome,
        Outcome::Counted {
            xp: 10,
            achievements: vec![]
        }
    );
    assert_eq!(demo.progress().xp(), before + 10);
    assert_eq!(demo.verify(), Ok(()));
    // The demo continues its own device's chain.
    let last = demo.events().last().unwrap();
    assert_eq!(last.device, demo.device());
    assert!(last.seq > 1);
}

#[test]
fn the_database_keeps_what_the_rider_did() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut rider = Rider::open(&path, NOW).unwrap();
    assert_eq!(rider.progress().xp(), 0, "a new rider starts at zero");
    assert_eq!(
        rider.record(diagnosis(1), NOW, 60),
        Outcome::Counted {
            xp: 10,
            achievements: vec!["ACH-FIRST-DIAG".into()]
        }
    );
    assert_eq!(rider.database(), Some(path.clone()));
    drop(rider);
    let again = Rider::open(&path, NOW).unwrap();
    assert_eq!(again.progress().xp(), 10);
    assert!(again.progress().has_achievement("ACH-FIRST-DIAG"));
    assert_eq!(again.verify(), Ok(()));
}

#[test]
fn a_completion_without_steps_is_recorded_but_not_counted() {
    let mut demo = Rider::demo(NOW).unwrap();
    let events = demo.events().len();
    let outcome = demo.record(
        EventKind::QuestCompleted {
            quest: QuestId::new("chain-lube").unwrap(),
        },
        NOW,
        60,
    );
    assert_eq!(demo.events().len(), events + 1);
    assert!(matches!(
        outcome,
        Outcome::NotCounted(RejectReason::StepsMissing { .. })
    ));
}

#[test]
fn a_plan_joins_the_catalogue_once_and_keeps_progress() {
    let plan = ridewire_engine::plan::parse(
        "# Plan\n## Chassis\n- [ ] Grease the swingarm\n    - [ ] Pivot bolt\n",
    )
    .unwrap()
    .to_catalog()
    .unwrap();
    let mut demo = Rider::demo(NOW).unwrap();
    let xp = demo.progress().xp();
    assert!(demo.add_quests(&plan).unwrap());
    assert!(!demo.add_quests(&plan).unwrap());
    assert_eq!(demo.progress().xp(), xp, "old work still counts");
    let quest = plan.quests().next().unwrap().id.clone();
    assert!(demo.catalog.quest(&quest).is_some());

    // With a database, the bigger catalogue is saved.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut stored = Rider::open(&path, NOW).unwrap();
    assert!(stored.add_quests(&plan).unwrap());
    let step = plan.quest(&quest).unwrap().steps[0].id.clone();
    let outcome = stored.record(
        EventKind::StepChecked {
            quest: quest.clone(),
            step,
        },
        NOW,
        60,
    );
    assert!(matches!(outcome, Outcome::Counted { .. }), "{outcome:?}");
    drop(stored);
    let again = Rider::open(&path, NOW).unwrap();
    assert!(again.catalog.quest(&quest).is_some());
    assert!(
        again
            .progress()
            .quest(&quest)
            .is_some_and(|r| r.steps_checked.len() == 1)
    );
}

/// What a round brings: another device's events, stored in the rider's
/// file as a pull would, and reported as the syncer reports them.
fn arrive(path: &std::path::Path, other: &mut Store, from: u64, n: u64) -> Brought {
    let mut brought = Vec::new();
    for i in from..from + n {
        let at = NOW - 3_600_000 + i as i64 * 1_000;
        brought.push(
            other
                .record(diagnosis(u128::from(i)), at, 60, random(i))
                .unwrap()
                .event,
        );
    }
    let mut file = Store::open(path, NOW).unwrap().store;
    file.store_remote(&brought).unwrap();
    Brought {
        progress: Some(file.progress().unwrap()),
        events: brought,
        ..Brought::default()
    }
}

#[test]
fn merging_a_round_gives_what_reading_everything_again_gives() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut other = Store::open(dir.path().join("other.db"), NOW).unwrap().store;
    let mut rider = Rider::open(&path, NOW).unwrap();
    rider.record(diagnosis(1_000), NOW, 60);

    // An empty round changes nothing.
    let merged = rider.merge(&Brought::default()).unwrap();
    assert!(!merged.changed_anything());

    // Older work from the other device arrives in two rounds; the second
    // one also repeats an event of the first, which is taken once.
    let first = arrive(&path, &mut other, 0, 3);
    let merged = rider.merge(&first).unwrap();
    assert_eq!(merged.events_added, 3);
    assert!(merged.progress_changed);
    let mut second = arrive(&path, &mut other, 3, 2);
    second.events.push(first.events[0].clone());
    assert_eq!(rider.merge(&second).unwrap().events_added, 2);
    // This session recorded after the syncer's fold: its progress is stale.
    rider.record(diagnosis(2_000), NOW + 1, 60);
    let mut third = arrive(&path, &mut other, 5, 1);
    third.progress = second.progress.clone();
    rider.merge(&third).unwrap();

    let mut reread = Rider::open(&path, NOW).unwrap();
    reread.reload().unwrap();
    assert_eq!(rider.events(), reread.events(), "same events, same order");
    assert_eq!(rider.progress(), reread.progress());
    assert_eq!(rider.verify(), Ok(()));
}

#[test]
fn a_changed_event_in_a_round_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut other = Store::open(dir.path().join("other.db"), NOW).unwrap().store;
    let mut rider = Rider::open(&path, NOW).unwrap();
    let mut brought = arrive(&path, &mut other, 0, 2);
    brought.events[1].at_ms += 1;
    rider.merge(&brought).unwrap();
    let broken = rider.verify().unwrap_err();
    assert!(
        broken.contains("content does not match its hash"),
        "{broken}"
    );
}

#[test]
fn a_round_that_asks_for_it_reads_everything_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut other = Store::open(dir.path().join("other.db"), NOW).unwrap().store;
    let mut rider = Rider::open(&path, NOW).unwrap();
    // Events that reached the file without being reported (missed reports).
    arrive(&path, &mut other, 0, 4);
    assert_eq!(rider.events().len(), 0);
    let merged = rider
        .merge(&Brought {
            reread_all: true,
            ..Brought::default()
        })
        .unwrap();
    assert!(merged.reread);
    assert_eq!(rider.events().len(), 4);
    assert_eq!(rider.progress().xp(), 40);
}
