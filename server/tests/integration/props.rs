//! Property: whatever order and grouping several devices' pushes arrive in
//! (duplicates and stale re-deliveries included), the server ends with
//! every event once, in order per device, and the progress the engine folds
//! from them.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use proptest::prelude::*;
use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use ridewire_engine::progress::Progress;
use ridewire_engine::quest::QuestId;
use ridewire_engine::sync::{ProgressSummary, PullResponse, PushResponse};

use crate::common::{Device, TestServer, diagnosis};

/// One delivery: device, first event index, batch length.
type Delivery = (usize, usize, usize);

fn kinds(n: usize, device: usize) -> Vec<EventKind> {
    let quests = ["tyre-pressure", "lights", "chain-lube"];
    (0..n)
        .map(|i| match (i + device) % 4 {
            0 => diagnosis((device * 1000 + i) as u128),
            1 => EventKind::QuestStarted {
                quest: QuestId::new(quests[i % 3]).expect("id"),
            },
            2 => EventKind::StepChecked {
                quest: QuestId::new(quests[i % 3]).expect("id"),
                step: "s1".into(),
            },
            _ => EventKind::QuestCompleted {
                quest: QuestId::new(quests[i % 3]).expect("id"),
            },
        })
        .collect()
}

async fn run(sizes: Vec<usize>, deliveries: Vec<Delivery>) -> Result<(), TestCaseError> {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    let logs: Vec<(Device, Vec<Event>)> = sizes
        .iter()
        .enumerate()
        .map(|(d, &n)| {
            let mut device = Device::new(d as u128 + 1);
            let events = kinds(n, d).into_iter().map(|k| device.next(k)).collect();
            (device, events)
        })
        .collect();
    // The network: random batches, in random order, some repeated.
    for (d, start, len) in deliveries {
        let (device, events) = &logs[d % logs.len()];
        if events.is_empty() {
            continue;
        }
        let start = start % events.len();
        let end = (start + len).min(events.len());
        let reply = server.push(&token, device.id(), &events[start..end]).await;
        prop_assert!(
            reply.status == StatusCode::OK || reply.status == StatusCode::CONFLICT,
            "{:?}",
            reply.body
        );
    }
    // Then each device's sync loop finishes: resend from what was acked.
    for (device, events) in &logs {
        let status = server.push(&token, device.id(), &[]).await;
        let acked: PushResponse = serde_json::from_value(status.body).expect("status");
        let rest = &events[acked.acked_through as usize..];
        let reply = server.push(&token, device.id(), rest).await;
        let done: PushResponse = serde_json::from_value(reply.body).expect("push");
        prop_assert_eq!(done.acked_through, events.len() as u64);
        prop_assert!(done.rejected.is_empty());
    }
    // Stored: each device's events once, in sequence order.
    let export = server
        .call(
            axum::http::Method::GET,
            "/api/v1/me/export",
            Some(&token),
            None,
        )
        .await;
    let stored: Vec<Event> = serde_json::from_value(export.body["events"].clone()).expect("events");
    let mut by_device: BTreeMap<_, Vec<Event>> = BTreeMap::new();
    for event in stored {
        by_device.entry(event.device).or_default().push(event);
    }
    for (device, events) in &logs {
        let empty = Vec::new();
        prop_assert_eq!(by_device.get(&device.id()).unwrap_or(&empty), events);
    }
    // Progress: the engine's fold of all of them.
    let catalog = ridewire_engine::demo::catalog().expect("catalog");
    let all: Vec<&Event> = logs.iter().flat_map(|(_, e)| e).collect();
    let expected = Progress::from_events(&catalog, all);
    let pulled: PullResponse =
        serde_json::from_value(server.pull(&token, "", None).await.body).expect("pull");
    prop_assert_eq!(
        pulled.progress,
        ProgressSummary::of(&expected, expected.event_count())
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_interleaving_of_pushes_gives_the_same_events_and_progress(
        sizes in prop::collection::vec(0usize..12, 1..4),
        deliveries in prop::collection::vec((0usize..4, 0usize..12, 1usize..6), 0..25),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(run(sizes, deliveries))?;
    }
}

/// When a device claims one of its events happened, next to its last one.
#[derive(Debug, Clone, Copy)]
enum Claim {
    /// The server's now.
    Now,
    /// Minutes ahead of the server's clock.
    Ahead(i64),
    /// Days before the server's now (an offline device, or back-dating).
    DaysBack(i64),
    /// Minutes before the device's previous event.
    Back(i64),
    /// The same moment as the device's previous event.
    Same,
}

fn claim() -> impl Strategy<Value = Claim> {
    prop_oneof![
        Just(Claim::Now),
        (1i64..180).prop_map(Claim::Ahead),
        (0i64..40).prop_map(Claim::DaysBack),
        (1i64..60).prop_map(Claim::Back),
        Just(Claim::Same),
    ]
}

/// One thing a rider does (on the demo catalogue), by number.
fn action(i: usize, pick: u8) -> EventKind {
    let quests = ["tyre-pressure", "lights", "chain-lube"];
    let quest = QuestId::new(quests[(pick as usize / 8) % 3]).expect("id");
    match pick % 8 {
        0 | 1 => diagnosis(i as u128),
        2 => EventKind::ArScan {
            diagnostic_id: None,
            duration_seconds: 30,
            quest: None,
            vehicle: Some(
                ridewire_engine::vehicle::ModelKey::new("harley-street-750-2022").expect("key"),
            ),
        },
        3 => EventKind::QuestStarted { quest },
        4 | 5 => EventKind::StepChecked {
            quest,
            step: format!("s{}", pick % 2 + 1),
        },
        6 => EventKind::QuestCompleted { quest },
        _ => EventKind::ProofValidated {
            quest,
            validator: "my-other-account".into(),
        },
    }
}

const DAY: i64 = 86_400_000;

/// Pushes every device's events in one go; returns what the server folded.
async fn folded(devices: &[(DeviceId, Vec<Event>)]) -> ProgressSummary {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    for (device, events) in devices {
        let reply = server.push(&token, *device, events).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    let pulled: PullResponse =
        serde_json::from_value(server.pull(&token, "", None).await.body).expect("pull");
    pulled.progress
}

async fn forge(actions: Vec<(u8, usize, Claim)>) -> Result<(), TestCaseError> {
    // The attacker: up to three devices, each claiming whatever times.
    let mut chains: Vec<(DeviceChain, i64, Vec<Event>)> = (0..3u128)
        .map(|d| {
            (
                DeviceChain::new(DeviceId(uuid::Uuid::from_u128(d + 1))),
                crate::common::NOW - 60 * DAY,
                Vec::new(),
            )
        })
        .collect();
    for (i, &(pick, device, claim)) in actions.iter().enumerate() {
        let (chain, previous, events) = &mut chains[device % 3];
        let at = match claim {
            Claim::Now => crate::common::NOW,
            Claim::Ahead(minutes) => crate::common::NOW + minutes * 60_000,
            Claim::DaysBack(days) => crate::common::NOW - days * DAY,
            Claim::Back(minutes) => *previous - minutes * 60_000,
            Claim::Same => *previous,
        };
        *previous = at;
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&(i as u64).to_be_bytes());
        events.push(
            chain
                .append(EventId::v7(at.max(0), random), at, 60, action(i, pick))
                .expect("append"),
        );
    }
    let attacker: Vec<(DeviceId, Vec<Event>)> = chains
        .into_iter()
        .map(|(chain, _, events)| (chain.device, events))
        .collect();
    let forged = folded(&attacker).await;

    // The honest rider does the same things in the order the attacker says
    // they happened, each on its own day, the last one today.
    let mut done: Vec<&Event> = attacker.iter().flat_map(|(_, e)| e).collect();
    done.sort_by_key(|e| e.canonical_key());
    let mut honest = DeviceChain::new(DeviceId(uuid::Uuid::from_u128(99)));
    let n = done.len() as i64;
    let lived: Vec<Event> = done
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let at = crate::common::NOW - (n - 1 - i as i64) * DAY;
            let mut random = [1u8; 10];
            random[..8].copy_from_slice(&(i as u64).to_be_bytes());
            honest
                .append(EventId::v7(at, random), at, 60, e.kind.clone())
                .expect("append")
        })
        .collect();
    let earned = folded(&[(honest.device, lived)]).await;

    prop_assert!(
        forged.xp <= earned.xp,
        "forged {} XP, an honest rider earns {}",
        forged.xp,
        earned.xp
    );
    for achievement in &forged.achievements {
        prop_assert!(
            earned.achievements.contains(achievement),
            "forged {achievement}, which the honest rider does not earn"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Whatever times, devices and kinds a client claims, the server never
    /// credits more than an honest rider doing the same things for real.
    #[test]
    fn no_sequence_of_pushes_earns_more_than_doing_it_for_real(
        actions in prop::collection::vec((any::<u8>(), 0usize..3, claim()), 1..40),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(forge(actions))?;
    }
}
