//! The fold's invariants: order, duplicates and replay change nothing.

use proptest::prelude::*;
use ridewire_engine::demo;
use ridewire_engine::event::{Event, EventKind};
use ridewire_engine::progress::{Applied, Progress};
use ridewire_engine::proof::{GeoPoint, LocationProof};
use uuid::Uuid;

use crate::support::{Device, T0, q};

const QUESTS: &[&str] = &[
    "tyre-pressure",
    "lights",
    "chain-lube",
    "chain-tension",
    "spark-plugs",
    "oil-change",
    "brake-pads-front",
    "brake-fluid",
    "no-such-quest",
];

/// One generated action: which device, how long after the previous action,
/// what kind, which quest, which step.
type Action = (u8, u32, u8, usize, u8);

fn kind(choice: u8, quest: usize, step: u8, n: usize) -> EventKind {
    let quest = q(QUESTS[quest % QUESTS.len()]);
    match choice % 8 {
        0 => EventKind::QuestStarted { quest },
        1 | 2 => EventKind::StepChecked {
            quest,
            step: format!("s{}", step % 4),
        },
        3 => EventKind::QuestCompleted { quest },
        4 => EventKind::DiagnosticRun {
            diagnostic_id: Uuid::from_u128(n as u128),
            vehicle: None,
            quest: Some(quest),
            evidence: None,
        },
        5 => EventKind::ArScan {
            diagnostic_id: None,
            duration_seconds: u32::from(step),
            quest: Some(quest),
            vehicle: None,
        },
        6 => EventKind::ProofSubmitted {
            quest,
            location: LocationProof {
                at: GeoPoint {
                    lat: demo::WORKSHOP.lat + f64::from(step) * 1e-4,
                    lon: demo::WORKSHOP.lon,
                },
                accuracy_m: f64::from(step) * 3.0,
            },
        },
        _ => EventKind::ProofValidated {
            quest,
            validator: format!("v{}", step % 3),
        },
    }
}

/// Builds events from actions on up to three devices.
fn build(actions: &[Action]) -> Vec<Event> {
    let mut devices = [Device::new(1), Device::new(2), Device::new(3)];
    let mut t = T0;
    actions
        .iter()
        .enumerate()
        .map(|(n, &(dev, gap, choice, quest, step))| {
            t += i64::from(gap);
            devices[usize::from(dev % 3)].at(t, kind(choice, quest, step, n))
        })
        .collect()
}

fn actions() -> impl Strategy<Value = Vec<Action>> {
    // Gaps from 0 (same millisecond) to about two days.
    prop::collection::vec(
        (
            0u8..3,
            prop_oneof![Just(0u32), 0u32..5_000, 0u32..172_800_000],
            any::<u8>(),
            0usize..QUESTS.len(),
            0u8..6,
        ),
        0..120,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arrival_order_does_not_matter(acts in actions(), seed in any::<u64>()) {
        let catalog = demo::catalog().expect("catalog");
        let events = build(&acts);
        let reference = Progress::from_events(&catalog, &events);
        let mut shuffled = events.clone();
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(Progress::from_events(&catalog, &shuffled), reference);
    }

    #[test]
    fn duplicates_change_nothing(acts in actions(), picks in prop::collection::vec(any::<prop::sample::Index>(), 0..40), seed in any::<u64>()) {
        let catalog = demo::catalog().expect("catalog");
        let events = build(&acts);
        let reference = Progress::from_events(&catalog, &events);
        let mut with_dups = events.clone();
        if !events.is_empty() {
            for p in &picks {
                with_dups.push(events[p.index(events.len())].clone());
            }
        }
        shuffle(&mut with_dups, seed);
        prop_assert_eq!(Progress::from_events(&catalog, &with_dups), reference);
    }

    #[test]
    fn replaying_the_log_reproduces_the_state(acts in actions()) {
        let catalog = demo::catalog().expect("catalog");
        let events = build(&acts);
        let folded = Progress::from_events(&catalog, &events);
        // Incremental application in canonical order gives the same state...
        let mut sorted = events.clone();
        sorted.sort_by_key(|e| e.canonical_key());
        let mut live = Progress::default();
        for e in &sorted {
            prop_assert_eq!(live.apply(&catalog, e), Ok(Applied::Folded));
            prop_assert_eq!(live.apply(&catalog, e), Ok(Applied::Duplicate));
        }
        prop_assert_eq!(&live, &folded);
        // ...and a state saved and loaded (the progress cache) compares equal
        // apart from the in-memory duplicate filter.
        let json = serde_json::to_string(&folded).expect("encode");
        let back: Progress = serde_json::from_str(&json).expect("decode");
        prop_assert_eq!(back.xp(), folded.xp());
        prop_assert_eq!(back.achievements(), folded.achievements());
        // XP is exactly the sum of the recorded awards.
        prop_assert_eq!(folded.awards().iter().map(|a| a.xp).sum::<u64>(), folded.xp());
    }

    #[test]
    fn late_events_are_refused_not_misapplied(acts in actions()) {
        let catalog = demo::catalog().expect("catalog");
        let events = build(&acts);
        let mut sorted = events.clone();
        sorted.sort_by_key(|e| e.canonical_key());
        if sorted.len() >= 2 {
            let mut p = Progress::default();
            let last = sorted.len() - 1;
            prop_assert!(p.apply(&catalog, &sorted[last]).is_ok());
            prop_assert!(p.apply(&catalog, &sorted[0]).is_err());
        }
    }
}

/// Fisher–Yates with a small deterministic generator (splitmix64).
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        v.swap(i, (z % (i as u64 + 1)) as usize);
    }
}

#[test]
fn a_fold_read_back_from_its_stored_form_equals_the_fold_and_still_refuses_a_duplicate() {
    let (catalog, events) = demo::garage(T0).expect("demo");
    let folded = Progress::from_events(&catalog, &events);
    let json = serde_json::to_string(&folded).expect("json");
    let mut stored: Progress = serde_json::from_str(&json).expect("read back");
    assert_eq!(
        stored, folded,
        "the same progress, whatever was kept in memory"
    );
    // Folding the newest event again earns nothing: it is turned away.
    let last = events.last().expect("an event");
    assert!(stored.apply(&catalog, last).is_err());
    assert_eq!(stored.xp(), folded.xp());
}
