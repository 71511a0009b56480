//! Push: every event stored exactly once, whatever the network does; events
//! the server will never take come back with a reason and do not block the
//! device's queue.

use axum::http::{Method, StatusCode};
use ridewire_engine::event::{Event, Hash};
use ridewire_engine::sync::{MAX_PUSH_EVENTS, PushResponse, RejectReason};
use serde_json::{Value, json};

use crate::common::{Backend, conformance};
use crate::common::{Device, NOW, TestServer, diagnosis};

// Run on SQLite and on PostgreSQL (the storage conformance suite).
conformance! {
    a_batch_is_stored_once_and_a_resent_batch_is_harmless,
    events_out_of_order_inside_a_batch_are_taken_in_sequence_order,
    a_batch_after_a_gap_is_refused_with_the_expected_sequence,
    a_batch_with_a_hole_keeps_what_came_before_the_hole,
    a_broken_link_is_rejected_and_the_queue_goes_on,
    edited_and_forged_events_are_rejected_with_their_reason,
    an_unreadable_event_is_rejected_alone_and_the_next_may_link_to_it,
    an_event_of_another_device_or_with_a_used_id_is_rejected,
    a_device_belongs_to_the_account_that_pushed_it_first,
    a_batch_larger_than_the_limit_is_refused_whole,
    pushed_events_reach_the_accounts_other_devices,
    the_same_batch_pushed_by_many_requests_at_once_is_stored_once,
    an_account_over_its_quota_is_refused_and_keeps_nothing_of_the_push,
}

fn answer(reply: &crate::common::Reply) -> PushResponse {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    serde_json::from_value(reply.body.clone()).expect("push response")
}

fn rehash(mut event: Event) -> Event {
    event.hash = event.compute_hash().expect("hash");
    event
}

fn reasons(answer: &PushResponse) -> Vec<(u64, RejectReason)> {
    answer.rejected.iter().map(|r| (r.seq, r.reason)).collect()
}

async fn a_batch_is_stored_once_and_a_resent_batch_is_harmless(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let events = phone.steps(3);
    let first = answer(&server.push(&token, phone.id(), &events).await);
    assert_eq!(first.acked_through, 3);
    assert!(first.rejected.is_empty());
    let changes = server.count("changes");
    // The answer was lost; the phone sends the same batch again.
    let again = answer(&server.push(&token, phone.id(), &events).await);
    assert_eq!(again, first);
    assert_eq!(server.count("events"), 3);
    assert_eq!(server.count("changes"), changes);
    // An empty batch asks where the server is.
    let status = answer(&server.push(&token, phone.id(), &[]).await);
    assert_eq!(status.acked_through, 3);
}

async fn events_out_of_order_inside_a_batch_are_taken_in_sequence_order(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let mut events = phone.steps(4);
    events.reverse();
    let reply = answer(&server.push(&token, phone.id(), &events).await);
    assert_eq!(reply.acked_through, 4);
    assert!(reply.rejected.is_empty());
}

async fn a_batch_after_a_gap_is_refused_with_the_expected_sequence(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let events = phone.steps(4);
    // The second batch overtakes the first.
    let gap = server.push(&token, phone.id(), &events[2..]).await;
    assert_eq!(gap.status, StatusCode::CONFLICT);
    assert_eq!(gap.body, json!({"expected_seq": 1}));
    assert_eq!(server.count("events"), 0);
    assert_eq!(server.count("devices"), 1);
    assert_eq!(
        answer(&server.push(&token, phone.id(), &events[..2]).await).acked_through,
        2
    );
    assert_eq!(
        answer(&server.push(&token, phone.id(), &events[2..]).await).acked_through,
        4
    );
    // A stale re-delivery of the first batch arrives last.
    assert_eq!(
        answer(&server.push(&token, phone.id(), &events[..2]).await).acked_through,
        4
    );
    assert_eq!(server.count("events"), 4);
}

async fn a_batch_with_a_hole_keeps_what_came_before_the_hole(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let events = phone.steps(4);
    let batch = [events[0].clone(), events[1].clone(), events[3].clone()];
    assert_eq!(
        answer(&server.push(&token, phone.id(), &batch).await).acked_through,
        2
    );
    assert_eq!(
        answer(&server.push(&token, phone.id(), &events[2..]).await).acked_through,
        4
    );
}

async fn a_broken_link_is_rejected_and_the_queue_goes_on(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let mut events = phone.steps(3);
    // Event 2 claims to follow something else than event 1.
    events[1] = rehash(Event {
        prev_hash: Hash([9; 32]),
        ..events[1].clone()
    });
    // Event 3 follows event 2 as the phone made it.
    events[2] = rehash(Event {
        prev_hash: events[1].hash,
        ..events[2].clone()
    });
    let reply = answer(&server.push(&token, phone.id(), &events).await);
    assert_eq!(reply.acked_through, 3);
    assert_eq!(reasons(&reply), vec![(2, RejectReason::BrokenChain)]);
    assert_eq!(reply.rejected[0].event_id, events[1].id);
    // The rejected event is kept as a tombstone, not as an event users pull.
    assert_eq!(server.count("events"), 3);
    assert_eq!(server.count("changes") - 1, 2);
    // Sending it again gives the same answer (the first may have been lost).
    let again = answer(&server.push(&token, phone.id(), &events[1..2]).await);
    assert_eq!(reasons(&again), vec![(2, RejectReason::BrokenChain)]);
}

async fn edited_and_forged_events_are_rejected_with_their_reason(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let mut events = phone.steps(4);
    // Event 2 was edited after hashing.
    events[1].at_ms += 1;
    // Event 3 comes from a clock two days ahead of the server's.
    events[2] = rehash(Event {
        at_ms: NOW + 2 * 86_400_000,
        ..events[2].clone()
    });
    // Event 4 claims a UTC offset of 20 hours.
    events[3] = rehash(Event {
        utc_offset_min: 20 * 60,
        ..events[3].clone()
    });
    let reply = answer(&server.push(&token, phone.id(), &events).await);
    assert_eq!(reply.acked_through, 4);
    assert_eq!(
        reasons(&reply),
        vec![
            (2, RejectReason::HashMismatch),
            (3, RejectReason::FromTheFuture),
            (4, RejectReason::ForgedValue),
        ]
    );
    let pulled = server.pull(&token, "", None).await;
    let kinds: Vec<&str> = pulled.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "event").count(), 1);
    assert_eq!(pulled.body["progress"]["events"], 1);
}

async fn an_unreadable_event_is_rejected_alone_and_the_next_may_link_to_it(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let events = phone.steps(3);
    // A newer app's event kind this server does not know.
    let mut unknown = serde_json::to_value(&events[1]).expect("json");
    unknown["kind"] = json!("telepathy");
    let batch = json!({"device": phone.id(), "events": [events[0], unknown, events[2],
        {"no": "sequence"}]});
    let reply = server
        .call(Method::POST, "/api/v1/sync/push", Some(&token), Some(batch))
        .await;
    let reply = answer(&reply);
    assert_eq!(reply.acked_through, 3);
    assert_eq!(
        reasons(&reply),
        vec![(0, RejectReason::BadPayload), (2, RejectReason::BadPayload)]
    );
    assert_eq!(server.count("events"), 3);
}

async fn an_event_of_another_device_or_with_a_used_id_is_rejected(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let mut tablet = Device::new(2);
    let phone_events = phone.steps(1);
    answer(&server.push(&token, phone.id(), &phone_events).await);
    let mut tablet_events = tablet.steps(2);
    // The tablet's second event reuses the phone's event id.
    tablet_events[1] = rehash(Event {
        id: phone_events[0].id,
        ..tablet_events[1].clone()
    });
    let reply = answer(&server.push(&token, tablet.id(), &tablet_events).await);
    assert_eq!(reasons(&reply), vec![(2, RejectReason::DuplicateId)]);
    // The phone's next event pushed as the tablet's third.
    let mut stray = phone.steps(2);
    stray[1].seq = 3;
    let stray = rehash(stray[1].clone());
    let reply = answer(&server.push(&token, tablet.id(), &[stray]).await);
    assert_eq!(reasons(&reply), vec![(3, RejectReason::WrongDevice)]);
    assert_eq!(reply.acked_through, 3);
    // The phone's first sequence again with other content.
    let changed = rehash(Event {
        at_ms: phone_events[0].at_ms + 5,
        ..phone_events[0].clone()
    });
    let reply = answer(&server.push(&token, phone.id(), &[changed]).await);
    assert_eq!(
        reasons(&reply),
        vec![(1, RejectReason::ConflictingSequence)]
    );
    let first_id = phone_events[0].id.0.to_string();
    let stored = server
        .state
        .db
        .write_blocking(move |c| {
            Ok(c.query_row(
                "SELECT body FROM events WHERE event_id = ?1",
                [first_id],
                |r| r.get::<_, String>(0),
            )?)
        })
        .expect("stored");
    let stored: Event = serde_json::from_str(&stored).expect("event");
    assert_eq!(stored, phone_events[0], "the first event was overwritten");
}

async fn a_device_belongs_to_the_account_that_pushed_it_first(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let alice = server.user("alice@ridewire.test").await;
    let mallory = server.user("mallory@ridewire.test").await;
    let mut phone = Device::new(1);
    let events = phone.steps(2);
    answer(&server.push(&alice, phone.id(), &events[..1]).await);
    let before = server.snapshot();
    let reply = server.push(&mallory, phone.id(), &events[1..]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "device_of_another_account");
    assert_eq!(server.snapshot(), before);
    // Alice's own next push still continues her chain.
    assert_eq!(
        answer(&server.push(&alice, phone.id(), &events[1..]).await).acked_through,
        2
    );
}

async fn a_batch_larger_than_the_limit_is_refused_whole(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let events: Vec<Event> = (0..=MAX_PUSH_EVENTS)
        .map(|i| phone.next(diagnosis(i as u128)))
        .collect();
    let before = server.snapshot();
    let reply = server.push(&token, phone.id(), &events).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "too_many_events");
    assert_eq!(server.snapshot(), before);
    let reply = answer(
        &server
            .push(&token, phone.id(), &events[..MAX_PUSH_EVENTS])
            .await,
    );
    assert_eq!(reply.acked_through, MAX_PUSH_EVENTS as u64);
}

async fn pushed_events_reach_the_accounts_other_devices(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let events = vec![phone.next(diagnosis(7))];
    answer(&server.push(&token, phone.id(), &events).await);
    let pulled = server.pull(&token, "", None).await;
    let pulled_events: Vec<Value> = pulled.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["type"] == "event")
        .map(|c| c["event"].clone())
        .collect();
    assert_eq!(
        pulled_events,
        vec![serde_json::to_value(&events[0]).expect("json")]
    );
    assert_eq!(pulled.body["progress"]["xp"], 10);
    assert_eq!(
        pulled.body["progress"]["achievements"],
        json!(["ACH-FIRST-DIAG"])
    );
}

/// A phone that times out and retries while its first push still runs, on
/// several connections at once: the database's unique keys decide, and
/// every answer acknowledges the whole batch.
async fn the_same_batch_pushed_by_many_requests_at_once_is_stored_once(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let server = std::sync::Arc::new(server);
    let token = server.user("racer@ridewire.test").await;
    let mut phone = Device::new(7);
    let batch = phone.steps(20);
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (server, token, batch) = (server.clone(), token.clone(), batch.clone());
            let device = phone.id();
            tokio::spawn(async move { answer(&server.push(&token, device, &batch).await) })
        })
        .collect();
    for task in tasks {
        let answer = task.await.expect("push");
        assert_eq!(answer.acked_through, 20, "{answer:?}");
        assert!(answer.rejected.is_empty(), "{answer:?}");
    }
    assert_eq!(server.count("events"), 20);
}

/// Quotas are counted in the database, so they hold whichever replica
/// takes the push, and a refused push keeps nothing.
async fn an_account_over_its_quota_is_refused_and_keeps_nothing_of_the_push(backend: Backend) {
    let mut config = crate::common::test_config();
    config.quota.rows = 50;
    let Some(server) = TestServer::on(backend, config) else {
        return;
    };
    let token = server.user("hoarder@ridewire.test").await;
    let other = server.user("neighbour@ridewire.test").await;
    let mut phone = Device::new(8);
    answer(&server.push(&token, phone.id(), &phone.steps(40)).await);
    let before = server.snapshot();
    let reply = server.push(&token, phone.id(), &phone.steps(20)).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded"),
        "{:?}",
        reply.body
    );
    assert_eq!(
        server.snapshot(),
        before,
        "nothing of the refused push kept"
    );
    // Another account is not affected.
    let mut theirs = Device::new(9);
    let pushed = answer(&server.push(&other, theirs.id(), &theirs.steps(3)).await);
    assert_eq!(pushed.acked_through, 3);
}
