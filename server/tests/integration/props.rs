//! Property: whatever order and grouping several devices' pushes arrive in
//! (duplicates and stale re-deliveries included), the server ends with
//! every event once, in order per device, and the progress the engine folds
//! from them.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use proptest::prelude::*;
use ridewire_engine::event::{Event, EventKind};
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
