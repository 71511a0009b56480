//! Pull: pages of changes after a cursor, a clean restart after the
//! server's data changed epoch, and only the user's own events.

use axum::http::{Method, StatusCode};
use ridewire_engine::event::Event;
use ridewire_engine::progress::Progress;
use ridewire_engine::sync::{Change, ProgressSummary, PullResponse};
use serde_json::json;

use crate::common::{Backend, conformance};
use crate::common::{Device, TestServer, diagnosis};

// Run on SQLite and on PostgreSQL (the storage conformance suite).
conformance! {
    a_new_device_pulls_the_catalogue_and_every_event_page_by_page,
    a_cursor_from_another_epoch_starts_again_from_the_beginning,
    a_malformed_cursor_or_limit_is_a_clear_400,
    pulls_never_carry_another_accounts_events_or_records,
    the_servers_progress_is_the_engines_fold_of_every_device,
    a_published_catalogue_refolds_progress_and_replaces_the_old_one_in_pulls,
    events_arriving_late_from_an_offline_device_are_folded_in_their_place,
    a_page_of_large_plans_stops_at_its_byte_limit_and_the_rest_follows,
}

fn page(reply: &crate::common::Reply) -> PullResponse {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    serde_json::from_value(reply.body.clone()).expect("pull response")
}

fn events_of(changes: &[Change]) -> Vec<Event> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Event { event } => Some(event.clone()),
            _ => None,
        })
        .collect()
}

async fn a_new_device_pulls_the_catalogue_and_every_event_page_by_page(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    let events = phone.steps(25);
    server.push(&token, phone.id(), &events).await;

    let mut cursor = String::new();
    let mut pulled = Vec::new();
    let mut pages = 0;
    loop {
        let p = page(&server.pull(&token, &cursor, Some(7)).await);
        assert!(p.changes.len() <= 7);
        assert!(!p.reset);
        pages += 1;
        pulled.extend(p.changes);
        cursor = p.cursor.to_string();
        if !p.more {
            break;
        }
    }
    // The seeded catalogue first, then the 25 events, in order.
    assert_eq!(pages, 4);
    assert!(matches!(pulled[0], Change::Catalog { .. }));
    assert_eq!(events_of(&pulled), events);
    // Nothing new: an empty page, same cursor.
    let p = page(&server.pull(&token, &cursor, None).await);
    assert!(p.changes.is_empty() && !p.more);
    assert_eq!(p.cursor.to_string(), cursor);
    // A new event shows up after the cursor.
    let more = phone.steps(1);
    server.push(&token, phone.id(), &more).await;
    let p = page(&server.pull(&token, &cursor, None).await);
    assert_eq!(events_of(&p.changes), more);
}

async fn a_cursor_from_another_epoch_starts_again_from_the_beginning(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let mut phone = Device::new(1);
    server.push(&token, phone.id(), &phone.steps(2)).await;
    let first = page(&server.pull(&token, "", None).await);
    assert_eq!(first.cursor.epoch, server.state.db.epoch());
    // A cursor this server never issued: its data was restored elsewhere.
    let stale = format!("0123456789abcdef.{}", first.cursor.position + 50);
    let again = page(&server.pull(&token, &stale, None).await);
    assert!(again.reset);
    assert_eq!(again.changes, first.changes);
    assert_eq!(again.cursor, first.cursor);
    // Same epoch, but a position this log never reached: an older copy of
    // the database was restored. Also a clean restart.
    let ahead = format!("{}.{}", first.cursor.epoch, first.cursor.position + 1);
    let restored = page(&server.pull(&token, &ahead, None).await);
    assert!(restored.reset);
    assert_eq!(restored.changes, first.changes);
}

async fn a_malformed_cursor_or_limit_is_a_clear_400(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    for query in [
        "cursor=nodot",
        "cursor=e.-1",
        "cursor=bad%20epoch.1",
        "limit=many",
        "limit=-3",
    ] {
        let reply = server
            .call(
                Method::GET,
                &format!("/api/v1/sync/pull?{query}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            ["invalid_cursor", "invalid_query"].contains(&reply.code()),
            "{query}: {:?}",
            reply.body
        );
    }
}

async fn pulls_never_carry_another_accounts_events_or_records(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let alice = server.user("alice@ridewire.test").await;
    let bob = server.user("bob@ridewire.test").await;
    let mut alice_phone = Device::new(1);
    let mut bob_phone = Device::new(2);
    let alice_events = alice_phone.steps(3);
    let bob_events = vec![bob_phone.next(diagnosis(1))];
    server.push(&alice, alice_phone.id(), &alice_events).await;
    server.push(&bob, bob_phone.id(), &bob_events).await;
    let edit = json!({"kind": "vehicle", "key": "bike-1", "base_version": 0,
        "changes": {"notes": "bob's secret"}});
    let put = server
        .call(Method::PUT, "/api/v1/records", Some(&bob), Some(edit))
        .await;
    assert_eq!(put.status, StatusCode::OK);

    let a = page(&server.pull(&alice, "", None).await);
    assert_eq!(events_of(&a.changes), alice_events);
    assert!(!a.changes.iter().any(|c| matches!(c, Change::Record { .. })));
    assert_eq!(a.progress.events, 3);
    let b = page(&server.pull(&bob, "", None).await);
    assert_eq!(events_of(&b.changes), bob_events);
    assert_eq!(b.progress.xp, 10);
    // Alice cannot read Bob's record either: hers does not exist.
    let got = server
        .call(
            Method::GET,
            "/api/v1/records/vehicle/bike-1",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
}

async fn the_servers_progress_is_the_engines_fold_of_every_device(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let (catalog, demo) =
        ridewire_engine::demo::garage(crate::common::NOW - 5 * 86_400_000).expect("demo");
    let device = demo[0].device;
    server.push(&token, device, &demo).await;
    let mut tablet = Device::new(9);
    let extra = vec![tablet.next(diagnosis(2))];
    server.push(&token, tablet.id(), &extra).await;
    let all: Vec<Event> = demo.iter().chain(&extra).cloned().collect();
    let expected = Progress::from_events(&catalog, &all);
    let p = page(&server.pull(&token, "", None).await);
    assert_eq!(
        p.progress,
        ProgressSummary::of(&expected, expected.event_count())
    );
    assert!(p.progress.xp > 0);
}

async fn a_published_catalogue_refolds_progress_and_replaces_the_old_one_in_pulls(
    backend: Backend,
) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let rider = server.user("rider@ridewire.test").await;
    let admin = server.user("admin@ridewire.test").await;
    let (catalog, demo) =
        ridewire_engine::demo::garage(crate::common::NOW - 5 * 86_400_000).expect("demo");
    server.push(&rider, demo[0].device, &demo).await;
    let with_demo = Progress::from_events(&catalog, &demo);
    let before = page(&server.pull(&rider, "", None).await);
    assert_eq!(
        before.progress,
        ProgressSummary::of(&with_demo, with_demo.event_count())
    );
    let empty = json!({"quests": {}, "zones": {}});
    let reply = server
        .call(
            Method::PUT,
            "/api/v1/catalog",
            Some(&admin),
            Some(empty.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["version"], 2);
    let after = page(&server.pull(&rider, "", None).await);
    // Against a catalogue without quests, only the diagnosis and scan count.
    let bare = Progress::from_events(&ridewire_engine::quest::Catalog::default(), &demo);
    assert_eq!(
        after.progress,
        ProgressSummary::of(&bare, bare.event_count())
    );
    assert!(after.progress.xp < before.progress.xp);
    let catalogs: Vec<&Change> = after
        .changes
        .iter()
        .filter(|c| matches!(c, Change::Catalog { .. }))
        .collect();
    assert_eq!(catalogs, vec![&Change::Catalog { body: empty }]);
    // An invalid catalogue is refused and changes nothing.
    let snapshot = server.snapshot();
    let cyclic = json!({"zones": {}, "quests": {"a": {"id": "a", "zone": "nowhere"}}});
    let reply = server
        .call(Method::PUT, "/api/v1/catalog", Some(&admin), Some(cyclic))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(server.snapshot(), snapshot);
}

async fn events_arriving_late_from_an_offline_device_are_folded_in_their_place(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("rider@ridewire.test").await;
    let (catalog, demo) =
        ridewire_engine::demo::garage(crate::common::NOW - 5 * 86_400_000).expect("demo");
    // The workshop tablet was offline: its diagnosis happened before the
    // phone's later events but arrives after the server folded them.
    let mut tablet = Device::new(9);
    let late = vec![
        tablet
            .chain
            .append(
                ridewire_engine::event::EventId::v7(demo[0].at_ms - 1, [9; 10]),
                demo[0].at_ms - 1,
                60,
                diagnosis(3),
            )
            .expect("append"),
    ];
    server.push(&token, demo[0].device, &demo).await;
    let first = page(&server.pull(&token, "", None).await);
    let phone_only = Progress::from_events(&catalog, &demo);
    assert_eq!(
        first.progress,
        ProgressSummary::of(&phone_only, phone_only.event_count())
    );
    server.push(&token, tablet.id(), &late).await;
    let second = page(&server.pull(&token, &first.cursor.to_string(), None).await);
    let all: Vec<Event> = late.iter().chain(&demo).cloned().collect();
    let expected = Progress::from_events(&catalog, &all);
    assert_eq!(
        second.progress,
        ProgressSummary::of(&expected, expected.event_count())
    );
    assert_eq!(events_of(&second.changes), late);
}

async fn a_page_of_large_plans_stops_at_its_byte_limit_and_the_rest_follows(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let rider = server.user("rider@ridewire.test").await;
    let admin = server.user("admin@ridewire.test").await;
    // Six plans of about 900 KB each: 5.4 MB in all, over one page's 4 MiB.
    let notes =
        "Check the torque of every fastener you touched, then note it here.\n".repeat(13_000);
    for n in 0..6 {
        let markdown = format!("# Big plan {n}\n\n## Zone\n\n- [ ] Task {n}\n\n{notes}");
        assert!(markdown.len() > 850_000 && markdown.len() < 1_000_000);
        let reply = server
            .call(
                Method::PUT,
                &format!("/api/v1/plans/big-{n}"),
                Some(&admin),
                Some(json!({ "markdown": markdown })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    let mut cursor = String::new();
    let mut plans = 0;
    let mut pages = 0;
    loop {
        let reply = server.pull(&rider, &cursor, None).await;
        let bytes = reply.body.to_string().len();
        assert!(
            bytes <= ridewire_engine::sync::MAX_PULL_BYTES + 64 * 1024,
            "a page of {bytes} bytes"
        );
        let page = page(&reply);
        plans += page
            .changes
            .iter()
            .filter(|c| matches!(c, Change::Plan { .. }))
            .count();
        pages += 1;
        cursor = page.cursor.to_string();
        if !page.more {
            break;
        }
    }
    assert_eq!(plans, 6, "every plan arrives");
    assert!(pages >= 2, "the plans did not fit one page");
}
