//! What a rider sees after doing things: XP, levels, achievements, streaks.

use ridewire_engine::demo;
use ridewire_engine::event::EventKind;
use ridewire_engine::progress::{Progress, RejectReason};
use ridewire_engine::proof::{GeoPoint, LocationProof};
use ridewire_engine::quest::QuestState;
use ridewire_engine::vehicle::ModelKey;
use uuid::Uuid;

use crate::support::{DAY, Device, T0, q};

fn diag(n: u128) -> EventKind {
    EventKind::DiagnosticRun {
        diagnostic_id: Uuid::from_u128(n),
        vehicle: None,
        quest: None,
        evidence: None,
    }
}

#[test]
fn a_diagnostic_run_earns_10_xp_and_the_first_unlocks_ach_first_diag() {
    let catalog = demo::catalog().expect("catalog");
    let mut dev = Device::new(1);
    let first = dev.at(T0, diag(1));
    let p = Progress::from_events(&catalog, [&first]);
    assert_eq!(p.xp(), 10);
    assert!(p.has_achievement("ACH-FIRST-DIAG"));
    assert_eq!(p.achievements()[0].event, first.id);
    let second = dev.at(T0 + 1000, diag(2));
    let p = Progress::from_events(&catalog, [&first, &second]);
    assert_eq!(p.xp(), 20);
    assert_eq!(
        p.achievements()
            .iter()
            .filter(|a| a.id == "ACH-FIRST-DIAG")
            .count(),
        1
    );
}

fn run_on(n: u128, vehicle: &str) -> EventKind {
    EventKind::DiagnosticRun {
        diagnostic_id: Uuid::from_u128(n),
        vehicle: Some(ModelKey::new(vehicle).expect("key")),
        quest: None,
        evidence: None,
    }
}

fn scan_of(vehicle: &str) -> EventKind {
    EventKind::ArScan {
        diagnostic_id: None,
        duration_seconds: 20,
        quest: None,
        vehicle: Some(ModelKey::new(vehicle).expect("key")),
    }
}

#[test]
fn only_five_runs_per_vehicle_and_day_earn_xp_the_rest_are_kept() {
    let catalog = demo::catalog().expect("catalog");
    let mut dev = Device::new(1);
    let mut events: Vec<_> = (0..8)
        .map(|i| dev.at(T0 + i * 60_000, run_on(i as u128, "harley-street-750-2022")))
        .collect();
    let p = Progress::from_events(&catalog, &events);
    assert_eq!(p.xp(), 5 * 10, "the sixth to eighth run earn nothing");
    assert_eq!(p.stats().diagnostics_run, 8, "every run is still counted");
    let limited: Vec<_> = p
        .rejections()
        .iter()
        .filter(|r| matches!(r.reason, RejectReason::DailyLimit { limit: 5 }))
        .map(|r| r.event)
        .collect();
    assert_eq!(limited, [events[5].id, events[6].id, events[7].id]);
    // Another bike has its own allowance; the next day starts afresh.
    events.push(dev.at(T0 + 600_000, run_on(20, "yamaha-mt-07-2021")));
    events.push(dev.at(T0 + DAY, run_on(21, "harley-street-750-2022")));
    let p = Progress::from_events(&catalog, &events);
    assert_eq!(p.xp(), 7 * 10);
}

#[test]
fn one_scan_per_vehicle_and_day_earns_xp() {
    let catalog = demo::catalog().expect("catalog");
    let mut dev = Device::new(1);
    let events = [
        dev.at(T0, scan_of("harley-street-750-2022")),
        dev.at(T0 + 60_000, scan_of("harley-street-750-2022")),
        dev.at(T0 + 120_000, scan_of("harley-street-750-2022")),
        dev.at(T0 + DAY, scan_of("harley-street-750-2022")),
    ];
    let p = Progress::from_events(&catalog, &events);
    assert_eq!(p.xp(), 2 * 5);
    assert_eq!(p.stats().ar_scans, 4);
    assert_eq!(p.stats().ar_scan_seconds, 80);
}

#[test]
fn completing_a_quest_needs_every_step() {
    let catalog = demo::catalog().expect("catalog");
    let mut dev = Device::new(1);
    let mut events = vec![
        dev.at(
            T0,
            EventKind::StepChecked {
                quest: q("lights"),
                step: "s1".into(),
            },
        ),
        dev.at(T0 + 1, EventKind::QuestCompleted { quest: q("lights") }),
    ];
    let p = Progress::from_events(&catalog, &events);
    assert_eq!(p.xp(), 0);
    assert!(
        matches!(&p.rejections()[0].reason, RejectReason::StepsMissing { missing } if missing == &["s2", "s3"])
    );
    assert_eq!(
        p.quest_state(&catalog, &q("lights")),
        Some(QuestState::Active)
    );
    events.push(dev.at(
        T0 + 2,
        EventKind::StepChecked {
            quest: q("lights"),
            step: "s2".into(),
        },
    ));
    events.push(dev.at(
        T0 + 3,
        EventKind::StepChecked {
            quest: q("lights"),
            step: "s3".into(),
        },
    ));
    events.push(dev.at(T0 + 4, EventKind::QuestCompleted { quest: q("lights") }));
    let p = Progress::from_events(&catalog, &events);
    // Easy ×1.0, first ×1.5: 15 → 22.
    assert_eq!(p.xp(), 22);
    assert_eq!(
        p.quest_state(&catalog, &q("lights")),
        Some(QuestState::Completed)
    );
    assert!(p.has_achievement("ACH-FIRST-QUEST"));
}

#[test]
fn a_one_off_quest_completed_on_two_devices_counts_once() {
    let catalog = demo::catalog().expect("catalog");
    let (mut phone, mut terminal) = (Device::new(1), Device::new(2));
    let mut events = Vec::new();
    for (i, s) in ["s1", "s2", "s3"].iter().enumerate() {
        events.push(phone.at(
            T0 + i as i64,
            EventKind::StepChecked {
                quest: q("lights"),
                step: (*s).into(),
            },
        ));
    }
    events.push(phone.at(T0 + 10, EventKind::QuestCompleted { quest: q("lights") }));
    events.push(terminal.at(T0 + 20, EventKind::QuestCompleted { quest: q("lights") }));
    let p = Progress::from_events(&catalog, &events);
    assert_eq!(p.stats().quests_completed, 1);
    assert_eq!(p.xp(), 22);
    assert!(matches!(
        p.rejections()[0].reason,
        RejectReason::AlreadyCompleted
    ));
}

#[test]
fn prerequisites_lock_quests() {
    let catalog = demo::catalog().expect("catalog");
    let p = Progress::default();
    assert_eq!(
        p.quest_state(&catalog, &q("chain-tension")),
        Some(QuestState::Locked)
    );
    assert_eq!(
        p.quest_state(&catalog, &q("chain-lube")),
        Some(QuestState::Available)
    );
    let mut dev = Device::new(1);
    let e = dev.at(
        T0,
        EventKind::QuestStarted {
            quest: q("chain-tension"),
        },
    );
    let p = Progress::from_events(&catalog, [&e]);
    assert!(matches!(p.rejections()[0].reason, RejectReason::Locked));
    assert_eq!(
        p.quest_state(&catalog, &q("chain-tension")),
        Some(QuestState::Locked)
    );
}

#[test]
fn location_proof_gates_completion_and_raises_authenticity() {
    let catalog = demo::catalog().expect("catalog");
    let mut dev = Device::new(1);
    let steps = |dev: &mut Device, t: i64| {
        ["s1", "s2", "s3"]
            .iter()
            .enumerate()
            .map(|(i, s)| {
                dev.at(
                    t + i as i64,
                    EventKind::StepChecked {
                        quest: q("oil-change"),
                        step: (*s).into(),
                    },
                )
            })
            .collect::<Vec<_>>()
    };
    let mut events = steps(&mut dev, T0);
    events.push(dev.at(
        T0 + 100,
        EventKind::QuestCompleted {
            quest: q("oil-change"),
        },
    ));
    let p = Progress::from_events(&catalog, &events);
    assert_eq!(p.xp(), 0, "completed without the location proof");
    // A proof from 2 km away fails; one at the workshop passes.
    let far = GeoPoint {
        lat: demo::WORKSHOP.lat + 0.018,
        lon: demo::WORKSHOP.lon,
    };
    events.push(dev.at(
        T0 + 60_000,
        EventKind::ProofSubmitted {
            quest: q("oil-change"),
            location: LocationProof {
                at: far,
                accuracy_m: 5.0,
            },
        },
    ));
    events.push(dev.at(
        T0 + 3_600_000,
        EventKind::ProofSubmitted {
            quest: q("oil-change"),
            location: LocationProof {
                at: demo::WORKSHOP,
                accuracy_m: 5.0,
            },
        },
    ));
    events.push(dev.at(
        T0 + 3_700_000,
        EventKind::QuestCompleted {
            quest: q("oil-change"),
        },
    ));
    let p = Progress::from_events(&catalog, &events);
    assert_eq!(p.stats().proofs_rejected, 1);
    // 60 × medium 1.25 × verified 1.2 × zone 1.1 × first 1.5 = 148.5 → 148.
    assert_eq!(p.xp(), 148);
}

#[test]
fn a_seven_day_streak_unlocks_and_multiplies() {
    let catalog = demo::catalog().expect("catalog");
    let mut dev = Device::new(1);
    let mut events = Vec::new();
    for d in 0..7 {
        events.push(dev.at(T0 + d * DAY, diag(d as u128)));
    }
    let p = Progress::from_events(&catalog, &events);
    assert_eq!(p.longest_streak(), 7);
    assert!(p.has_achievement("ACH-STREAK-7"));
    let today = events[6].local_day();
    assert_eq!(p.current_streak(today), 7);
    assert_eq!(p.current_streak(today + 1), 7);
    assert_eq!(p.current_streak(today + 2), 0);
    // On day 8, a quest completion gets ×1.35 for the 8-day streak.
    for (i, s) in ["s1", "s2", "s3"].iter().enumerate() {
        events.push(dev.at(
            T0 + 7 * DAY + i as i64,
            EventKind::StepChecked {
                quest: q("lights"),
                step: (*s).into(),
            },
        ));
    }
    events.push(dev.at(
        T0 + 7 * DAY + 10,
        EventKind::QuestCompleted { quest: q("lights") },
    ));
    let p = Progress::from_events(&catalog, &events);
    // 70 from diagnostics, 15 × 1.35 × 1.5 = 30.375 → 30.
    assert_eq!(p.xp(), 70 + 30);
}

#[test]
fn a_gap_day_breaks_the_streak() {
    let catalog = demo::catalog().expect("catalog");
    let mut dev = Device::new(1);
    let events: Vec<_> = [0, 1, 2, 4, 5]
        .iter()
        .map(|d| dev.at(T0 + d * DAY, diag(*d as u128)))
        .collect();
    let p = Progress::from_events(&catalog, &events);
    assert_eq!(p.longest_streak(), 3);
    assert_eq!(p.current_streak(events[4].local_day()), 2);
}

#[test]
fn community_validation_tops_up_the_first_completion() {
    let catalog = demo::catalog().expect("catalog");
    let mut dev = Device::new(1);
    let mut server = Device::new(99);
    let mut events: Vec<_> = ["s1", "s2", "s3"]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            dev.at(
                T0 + i as i64,
                EventKind::StepChecked {
                    quest: q("lights"),
                    step: (*s).into(),
                },
            )
        })
        .collect();
    events.push(dev.at(T0 + 10, EventKind::QuestCompleted { quest: q("lights") }));
    events.push(server.at(
        T0 + DAY,
        EventKind::ProofValidated {
            quest: q("lights"),
            validator: "mech-anna".into(),
        },
    ));
    events.push(server.at(
        T0 + DAY + 1,
        EventKind::ProofValidated {
            quest: q("lights"),
            validator: "mech-anna".into(),
        },
    ));
    events.push(server.at(
        T0 + DAY + 2,
        EventKind::ProofValidated {
            quest: q("lights"),
            validator: "rider-ben".into(),
        },
    ));
    let p = Progress::from_events(&catalog, &events);
    // 15 × 1.5 × 1.2 (two validators) = 27.
    assert_eq!(p.xp(), 27);
    assert_eq!(p.stats().validations_received, 2);
}

#[test]
fn clearing_a_zone_unlocks_ach_zone_clear() {
    let catalog = demo::catalog().expect("catalog");
    let mut dev = Device::new(1);
    let mut events = Vec::new();
    let mut t = T0;
    for (quest, steps) in [("tyre-pressure", 2), ("lights", 3)] {
        for s in 1..=steps {
            t += 1000;
            events.push(dev.at(
                t,
                EventKind::StepChecked {
                    quest: q(quest),
                    step: format!("s{s}"),
                },
            ));
        }
        t += 1000;
        events.push(dev.at(t, EventKind::QuestCompleted { quest: q(quest) }));
    }
    let p = Progress::from_events(&catalog, &events[..3]);
    assert!(!p.has_achievement("ACH-ZONE-CLEAR"));
    let p = Progress::from_events(&catalog, &events);
    assert!(p.has_achievement("ACH-ZONE-CLEAR"));
}

#[test]
fn the_demo_garage_shows_real_progress() {
    let (catalog, events) = demo::garage(T0).expect("demo");
    ridewire_engine::chain::verify(&events).expect("demo chain verifies");
    let p = Progress::from_events(&catalog, &events);
    assert!(p.rejections().is_empty(), "{:?}", p.rejections());
    assert!(p.level().level >= 2);
    for a in [
        "ACH-FIRST-DIAG",
        "ACH-FIRST-QUEST",
        "ACH-FIRST-SCAN",
        "ACH-ZONE-CLEAR",
    ] {
        assert!(p.has_achievement(a), "{a} missing");
    }
}
