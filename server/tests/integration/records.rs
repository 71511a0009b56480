//! Versioned records: edits of different fields merge, overlapping edits
//! come back as a conflict, each account has its own, and changes reach
//! the account's other devices through pull.

use axum::http::{Method, StatusCode};
use ridewire_engine::sync::Change;
use ridewire_engine::sync::record::{Conflict, Record};
use serde_json::{Value, json};

use crate::common::TestServer;
use crate::common::{Backend, conformance};

// Run on SQLite and on PostgreSQL (the storage conformance suite).
conformance! {
    two_terminals_editing_different_fields_both_land,
    an_overlapping_edit_is_a_conflict_and_overwrites_nothing,
    records_reach_the_accounts_devices_newest_only,
    an_edit_that_can_never_apply_is_a_clear_400_and_one_from_the_future_a_conflict,
}

const BIKE: &str = "/api/v1/records/vehicle/bike-1";
/// Where edits go: each names its record.
const EDITS: &str = "/api/v1/records";

fn edit(base: u64, changes: Value) -> Value {
    json!({"kind": "vehicle", "key": "bike-1", "base_version": base, "changes": changes})
}

async fn two_terminals_editing_different_fields_both_land(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("workshop@ridewire.test").await;
    let v1 = server
        .call(
            Method::PUT,
            EDITS,
            Some(&token),
            Some(edit(0, json!({"notes": "chain noisy"}))),
        )
        .await;
    assert_eq!(v1.status, StatusCode::OK, "{:?}", v1.body);
    assert_eq!(v1.body["version"], 1);
    // Both terminals saw version 1.
    let a = server
        .call(
            Method::PUT,
            EDITS,
            Some(&token),
            Some(edit(1, json!({"mileage_km": 18000}))),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let b = server
        .call(
            Method::PUT,
            EDITS,
            Some(&token),
            Some(edit(1, json!({"notes": "chain adjusted"}))),
        )
        .await;
    assert_eq!(b.status, StatusCode::OK);
    let record: Record = serde_json::from_value(b.body).expect("record");
    assert_eq!(record.version, 3);
    assert_eq!(record.get("mileage_km"), Some(&json!(18000)));
    assert_eq!(record.get("notes"), Some(&json!("chain adjusted")));
    let got = server.call(Method::GET, BIKE, Some(&token), None).await;
    assert_eq!(
        serde_json::from_value::<Record>(got.body).expect("record"),
        record
    );
}

async fn an_overlapping_edit_is_a_conflict_and_overwrites_nothing(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("workshop@ridewire.test").await;
    server
        .call(
            Method::PUT,
            EDITS,
            Some(&token),
            Some(edit(0, json!({"notes": "a"}))),
        )
        .await;
    server
        .call(
            Method::PUT,
            EDITS,
            Some(&token),
            Some(edit(1, json!({"notes": "b"}))),
        )
        .await;
    let before = server.snapshot();
    let late = server
        .call(
            Method::PUT,
            EDITS,
            Some(&token),
            Some(edit(1, json!({"notes": "c"}))),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    let conflict: Conflict = serde_json::from_value(late.body).expect("conflict body");
    assert_eq!(conflict.fields, vec!["notes".to_owned()]);
    assert_eq!(conflict.current.get("notes"), Some(&json!("b")));
    assert_eq!(server.snapshot(), before);
    let got = server.call(Method::GET, BIKE, Some(&token), None).await;
    assert_eq!(got.body["fields"]["notes"]["value"], "b");
}

async fn records_reach_the_accounts_devices_newest_only(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("workshop@ridewire.test").await;
    for (base, notes) in [(0, "a"), (1, "b"), (2, "c")] {
        server
            .call(
                Method::PUT,
                EDITS,
                Some(&token),
                Some(edit(base, json!({"notes": notes}))),
            )
            .await;
    }
    let pulled = server.pull(&token, "", None).await;
    let changes: Vec<Change> =
        serde_json::from_value(pulled.body["changes"].clone()).expect("changes");
    let records: Vec<&Record> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Record { record } => Some(record),
            _ => None,
        })
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].version, 3);
}

async fn an_edit_that_can_never_apply_is_a_clear_400_and_one_from_the_future_a_conflict(
    backend: Backend,
) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let token = server.user("workshop@ridewire.test").await;
    let cases = [
        edit(0, json!({})),
        json!({"kind": "vehicle", "key": "bike-1"}),
        json!({"kind": "spaceship", "key": "bike-1", "base_version": 0, "changes": {"notes": "x"}}),
        json!({"kind": "vehicle", "key": "", "base_version": 0, "changes": {"notes": "x"}}),
        // Privacy: never a whole VIN.
        edit(0, json!({"vin": "1HD1KB4197Y123456"})),
    ];
    let before = server.snapshot();
    for body in cases {
        let reply = server
            .call(Method::PUT, EDITS, Some(&token), Some(body.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {:?}",
            reply.body
        );
        assert!(!reply.code().is_empty());
    }
    assert_eq!(server.snapshot(), before);
    // An edit on a version this server never gave out (the device was
    // restored from a newer backup, say) is a conflict with the record as it
    // is here, every field of the edit in question; nothing is written.
    let ahead = server
        .call(
            Method::PUT,
            EDITS,
            Some(&token),
            Some(edit(5, json!({"notes": "x"}))),
        )
        .await;
    assert_eq!(ahead.status, StatusCode::CONFLICT, "{:?}", ahead.body);
    let conflict: Conflict = serde_json::from_value(ahead.body).expect("conflict");
    assert_eq!(conflict.current.version, 0);
    assert_eq!(conflict.fields, ["notes"]);
    assert_eq!(server.snapshot(), before);
    let tail = server
        .call(
            Method::PUT,
            EDITS,
            Some(&token),
            Some(edit(0, json!({"vin": "123456"}))),
        )
        .await;
    assert_eq!(tail.status, StatusCode::OK);
}
