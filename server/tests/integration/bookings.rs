//! Bays and bookings: the database gives a slot to exactly one of several
//! terminals and phones asking at the same instant, the others hear the
//! next free slots; customers see their own bookings, staff all of them,
//! and another workshop none.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Reply, TestServer};

async fn post(server: &TestServer, token: &str, path: &str, body: Value) -> Reply {
    server
        .call(Method::POST, path, Some(token), Some(body))
        .await
}

async fn get(server: &TestServer, token: &str, path: &str) -> Reply {
    server.call(Method::GET, path, Some(token), None).await
}

/// A workshop of `owner` with one bay open every day, all day, in hour
/// slots; its id and the bay's.
async fn workshop_with_bay(server: &TestServer, owner: &str) -> (String, String) {
    let made = post(server, owner, "/api/v1/workshops", json!({"name": "Moto"})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let shop = made.body["workshop"].as_str().expect("id").to_owned();
    let bay = post(
        server,
        owner,
        &format!("/api/v1/workshops/{shop}/bays"),
        json!({"name": "Lift 1", "opens_min": 0, "closes_min": 1440, "days": [1, 2, 3, 4, 5, 6, 7],
            "slot_minutes": 60, "utc_offset_min": 60}),
    )
    .await;
    assert_eq!(bay.status, StatusCode::CREATED, "{:?}", bay.body);
    (shop, bay.body["id"].as_str().expect("bay id").to_owned())
}

/// `token` joins `shop` with a fresh code of `role`.
async fn join(server: &TestServer, owner: &str, shop: &str, token: &str, role: &str) -> i64 {
    let code = post(
        server,
        owner,
        &format!("/api/v1/workshops/{shop}/invitations"),
        json!({ "role": role }),
    )
    .await;
    assert_eq!(code.status, StatusCode::CREATED, "{:?}", code.body);
    let joined = post(
        server,
        token,
        "/api/v1/invitations/accept",
        json!({ "code": code.body["code"] }),
    )
    .await;
    assert_eq!(joined.status, StatusCode::OK, "{:?}", joined.body);
    let me = get(server, token, "/api/v1/me").await;
    me.body["id"].as_i64().expect("account id")
}

#[tokio::test]
async fn two_terminals_and_a_phone_racing_for_a_slot_leave_exactly_one_booking() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    let desk = server.user("desk@moto.test").await;
    let rider = server.user("rider@ridewire.test").await;
    let (shop, bay) = workshop_with_bay(&server, &owner).await;
    join(&server, &owner, &shop, &desk, "front_desk").await;
    let customer = join(&server, &owner, &shop, &rider, "customer").await;
    let free = get(
        &server,
        &rider,
        &format!("/api/v1/workshops/{shop}/slots?days=7"),
    )
    .await;
    assert_eq!(free.status, StatusCode::OK, "{:?}", free.body);
    let slots: Vec<i64> = free.body["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .map(|s| s["start_ms"].as_i64().expect("start"))
        .collect();
    assert!(slots.len() >= 100, "{} slots", slots.len());

    let path = format!("/api/v1/workshops/{shop}/bookings");
    for (run, start) in slots.iter().take(100).enumerate() {
        let ask = |customer: Option<i64>| {
            let mut body =
                json!({"bay": bay, "start_ms": start, "service": format!("Service {run}")});
            if let Some(c) = customer {
                body["customer"] = json!(c);
            }
            body
        };
        let (a, b, c) = tokio::join!(
            post(&server, &owner, &path, ask(Some(customer))),
            post(&server, &desk, &path, ask(Some(customer))),
            post(&server, &rider, &path, ask(None)),
        );
        let replies = [a, b, c];
        let won: Vec<&Reply> = replies
            .iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .collect();
        assert_eq!(
            won.len(),
            1,
            "run {run}: {replies:?}",
            replies = replies
                .iter()
                .map(|r| (r.status, &r.body))
                .collect::<Vec<_>>()
        );
        for lost in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
            assert_eq!(lost.status, StatusCode::CONFLICT, "{:?}", lost.body);
            assert_eq!(lost.code(), "slot_taken");
            let next = lost.body["next_free"].as_array().expect("next free");
            assert!(!next.is_empty());
            assert!(
                next.iter().all(|s| s["start_ms"] != json!(start)),
                "{next:?}"
            );
        }
        // Cancelled again, so the customer stays under their limit; the
        // slot is free once more.
        let id = won[0].body["id"].as_str().expect("booking id");
        let gone = server
            .call(Method::DELETE, &format!("{path}/{id}"), Some(&rider), None)
            .await;
        assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
        assert!(gone.body["cancelled_ms"].is_i64());
    }
    let listed = get(&server, &owner, &format!("{path}?days=14")).await;
    let all = listed.body["bookings"].as_array().expect("bookings");
    assert_eq!(all.len(), 100, "one booking per run, cancelled");
}

#[tokio::test]
async fn customers_see_their_own_bookings_and_bad_slots_are_refused() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    let (ana, ben) = (
        server.user("ana@ridewire.test").await,
        server.user("ben@ridewire.test").await,
    );
    let (shop, bay) = workshop_with_bay(&server, &owner).await;
    join(&server, &owner, &shop, &ana, "customer").await;
    let ben_id = join(&server, &owner, &shop, &ben, "customer").await;
    let path = format!("/api/v1/workshops/{shop}/bookings");
    let free = get(&server, &ana, &format!("/api/v1/workshops/{shop}/slots")).await;
    let first = free.body["slots"][0]["start_ms"].as_i64().expect("slot");
    let second = free.body["slots"][1]["start_ms"].as_i64().expect("slot");

    let mine = post(
        &server,
        &ana,
        &path,
        json!({"bay": bay, "start_ms": first, "service": "Tyres", "notes": "rear only"}),
    )
    .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{:?}", mine.body);
    let booked = post(
        &server,
        &owner,
        &path,
        json!({"bay": bay, "start_ms": second, "service": "Oil", "customer": ben_id}),
    )
    .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    // The slot is no longer offered.
    let free = get(&server, &ben, &format!("/api/v1/workshops/{shop}/slots")).await;
    assert_ne!(free.body["slots"][0]["start_ms"], json!(first));
    // Ana sees hers; the owner both.
    let hers = get(&server, &ana, &path).await;
    assert_eq!(hers.body["bookings"].as_array().map(Vec::len), Some(1));
    assert_eq!(hers.body["bookings"][0]["notes"], "rear only");
    let all = get(&server, &owner, &path).await;
    assert_eq!(all.body["bookings"].as_array().map(Vec::len), Some(2));
    // Her export has it.
    let export = get(&server, &ana, "/api/v1/me/export").await;
    assert_eq!(
        export.body["bookings"][0]["service"], "Tyres",
        "{:?}",
        export.body
    );
    // Ana cannot cancel Ben's booking, nor book for him.
    let bens = booked.body["id"].as_str().expect("id");
    let sneak = server
        .call(Method::DELETE, &format!("{path}/{bens}"), Some(&ana), None)
        .await;
    assert_eq!(sneak.status, StatusCode::NOT_FOUND);
    let for_ben = post(
        &server,
        &ana,
        &path,
        json!({"bay": bay, "start_ms": first + 7_200_000, "service": "x", "customer": ben_id}),
    )
    .await;
    assert_eq!(for_ben.status, StatusCode::FORBIDDEN);

    // Not a slot: between two, in the past, beyond 90 days, unknown bay.
    for (start, bay_id) in [
        (first + 1_800_000, bay.clone()),
        (first - 30 * 86_400_000, bay.clone()),
        (first + 91 * 86_400_000, bay.clone()),
    ] {
        let reply = post(
            &server,
            &ana,
            &path,
            json!({"bay": bay_id, "start_ms": start, "service": "Tyres"}),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{start}: {:?}",
            reply.body
        );
        assert_eq!(reply.code(), "not_a_slot");
    }
    let nowhere = post(&server, &ana, &path, json!({"bay": "00000000-0000-0000-0000-000000000009", "start_ms": first, "service": "Tyres"})).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    let blank = post(
        &server,
        &ana,
        &path,
        json!({"bay": bay, "start_ms": first + 3 * 3_600_000, "service": ""}),
    )
    .await;
    assert_eq!(blank.code(), "invalid_booking");

    // Another workshop sees none of it; only the owner adds bays.
    let other = server.user("other@moto.test").await;
    let (other_shop, _) = workshop_with_bay(&server, &other).await;
    assert_eq!(
        get(&server, &other, &path).await.status,
        StatusCode::NOT_FOUND
    );
    let own = get(
        &server,
        &other,
        &format!("/api/v1/workshops/{other_shop}/bookings"),
    )
    .await;
    assert_eq!(own.body["bookings"], json!([]));
    let by_customer = post(
        &server,
        &ana,
        &format!("/api/v1/workshops/{shop}/bays"),
        json!({"name": "Lift 9", "opens_min": 480, "closes_min": 1020, "days": [1], "slot_minutes": 60, "utc_offset_min": 0}),
    )
    .await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_booking_sent_again_with_its_id_is_still_one_booking() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    let (ana, ben) = (
        server.user("ana@ridewire.test").await,
        server.user("ben@ridewire.test").await,
    );
    let (shop, bay) = workshop_with_bay(&server, &owner).await;
    join(&server, &owner, &shop, &ana, "customer").await;
    join(&server, &owner, &shop, &ben, "customer").await;
    let path = format!("/api/v1/workshops/{shop}/bookings");
    let free = get(&server, &ana, &format!("/api/v1/workshops/{shop}/slots")).await;
    let (first, second) = (
        free.body["slots"][0]["start_ms"].as_i64().expect("slot"),
        free.body["slots"][1]["start_ms"].as_i64().expect("slot"),
    );
    let id = "01a24800-0000-7000-8000-000000000001";
    let body = json!({"bay": bay, "start_ms": first, "service": "Tyres", "id": id});
    let made = post(&server, &ana, &path, body.clone()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["id"], id);
    // The reply was lost; the queue sends it again: the same booking.
    let again = post(&server, &ana, &path, body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    assert_eq!(again.body, made.body);
    let hers = get(&server, &ana, &path).await;
    assert_eq!(hers.body["bookings"].as_array().map(Vec::len), Some(1));
    // Another booking (or another rider) with that id is refused.
    let other = json!({"bay": bay, "start_ms": second, "service": "Oil", "id": id});
    let refused = post(&server, &ana, &path, other.clone()).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "booking_id_taken");
    let refused = post(&server, &ben, &path, other).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "booking_id_taken");
}

/// The `booking` record of `id` a pull from the start brings `token`.
async fn booking_record(server: &TestServer, token: &str, id: &str) -> Option<Value> {
    let page = server.pull(token, "", None).await;
    page.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .rev()
        .find(|c| {
            c["type"] == "record" && c["record"]["kind"] == "booking" && c["record"]["key"] == id
        })
        .map(|c| c["record"]["fields"].clone())
}

#[tokio::test]
async fn a_moved_or_cancelled_booking_reaches_the_customers_devices() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    let ana = server.user("ana@ridewire.test").await;
    let (shop, bay) = workshop_with_bay(&server, &owner).await;
    let ana_id = join(&server, &owner, &shop, &ana, "customer").await;
    let path = format!("/api/v1/workshops/{shop}/bookings");
    let free = get(&server, &ana, &format!("/api/v1/workshops/{shop}/slots")).await;
    let slot = |i: usize| free.body["slots"][i]["start_ms"].as_i64().expect("slot");
    let made = post(
        &server,
        &ana,
        &path,
        json!({"bay": bay, "start_ms": slot(0), "service": "Tyres"}),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_str().expect("id").to_owned();
    let told = booking_record(&server, &ana, &id)
        .await
        .expect("the booking on her devices");
    assert_eq!(told["status"]["value"], "booked");
    assert_eq!(told["by_workshop"]["value"], false);
    assert_eq!(told["workshop_name"]["value"], "Moto");
    let other = post(
        &server,
        &owner,
        &path,
        json!({"bay": bay, "start_ms": slot(1), "service": "Oil", "customer": ana_id}),
    )
    .await;
    assert_eq!(other.status, StatusCode::CREATED, "{:?}", other.body);

    // The workshop moves hers: onto a held slot is refused with the free
    // ones, onto a free one goes through and her devices hear it.
    let one = format!("{path}/{id}");
    let onto_held = server
        .call(
            Method::PUT,
            &one,
            Some(&owner),
            Some(json!({"bay": bay, "start_ms": slot(1)})),
        )
        .await;
    assert_eq!(
        onto_held.status,
        StatusCode::CONFLICT,
        "{:?}",
        onto_held.body
    );
    assert_eq!(onto_held.body["error"]["code"], "slot_taken");
    let moved = server
        .call(
            Method::PUT,
            &one,
            Some(&owner),
            Some(json!({"bay": bay, "start_ms": slot(2)})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["start_ms"], slot(2));
    let told = booking_record(&server, &ana, &id).await.expect("record");
    assert_eq!(told["status"]["value"], "moved");
    assert_eq!(told["by_workshop"]["value"], true);
    assert_eq!(told["start_ms"]["value"], slot(2));
    // Its old slot is free again.
    let free_now = get(&server, &ana, &format!("/api/v1/workshops/{shop}/slots")).await;
    assert_eq!(free_now.body["slots"][0]["start_ms"], slot(0));

    // Cancelled by the workshop: told too; then it cannot be moved.
    let cancelled = server.call(Method::DELETE, &one, Some(&owner), None).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let told = booking_record(&server, &ana, &id).await.expect("record");
    assert_eq!(told["status"]["value"], "cancelled");
    let late = server
        .call(
            Method::PUT,
            &one,
            Some(&ana),
            Some(json!({"bay": bay, "start_ms": slot(3)})),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert_eq!(late.body["error"]["code"], "booking_cancelled");

    // A device cannot write such a record itself.
    let forged = server
        .call(
            Method::PUT,
            "/api/v1/records",
            Some(&ana),
            Some(json!({"kind": "booking", "key": id, "base_version": 0,
                "changes": {"status": "booked"}})),
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{:?}", forged.body);
    assert_eq!(forged.body["error"]["code"], "server_only");
}

#[tokio::test]
async fn an_owner_changes_a_bays_hours_but_never_strands_a_booking() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    let ana = server.user("ana@ridewire.test").await;
    let (shop, bay) = workshop_with_bay(&server, &owner).await;
    join(&server, &owner, &shop, &ana, "customer").await;
    let path = format!("/api/v1/workshops/{shop}/bays/{bay}");
    let edit = |body: Value| {
        let (server, path, owner) = (&server, &path, &owner);
        async move {
            server
                .call(Method::PUT, path, Some(owner), Some(body))
                .await
        }
    };
    // Ana books the first free slot (an hour slot).
    let free = get(&server, &ana, &format!("/api/v1/workshops/{shop}/slots")).await;
    let start = free.body["slots"][0]["start_ms"].as_i64().expect("slot");
    let made = post(
        &server,
        &ana,
        &format!("/api/v1/workshops/{shop}/bookings"),
        json!({"bay": bay, "start_ms": start, "service": "Tyres"}),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);

    // Two-hour slots would cut hers in half: refused, nothing changed.
    let longer = json!({"name": "Lift 1", "opens_min": 0, "closes_min": 1440,
        "days": [1, 2, 3, 4, 5, 6, 7], "slot_minutes": 120, "utc_offset_min": 60});
    let refused = edit(longer).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "bookings_outside_hours");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("1 booking(s) to come")),
        "{:?}",
        refused.body
    );
    let bays = get(&server, &ana, &format!("/api/v1/workshops/{shop}/bays")).await;
    assert_eq!(bays.body["bays"][0]["slot_minutes"], 60);

    // A new name keeps her slot.
    let renamed = json!({"name": "Lift A", "opens_min": 0, "closes_min": 1440,
        "days": [1, 2, 3, 4, 5, 6, 7], "slot_minutes": 60, "utc_offset_min": 60});
    let done = edit(renamed).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["name"], "Lift A");
    assert_eq!(done.body["id"], bay.as_str());
    let bays = get(&server, &ana, &format!("/api/v1/workshops/{shop}/bays")).await;
    assert_eq!(bays.body["bays"][0]["name"], "Lift A");

    // Only the owner, only with a bay that can open, only its own bay.
    let bad = json!({"name": "Lift A", "opens_min": 600, "closes_min": 540,
        "days": [1], "slot_minutes": 60, "utc_offset_min": 60});
    let refused = edit(bad).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.body["error"]["code"], "invalid_bay");
    let by_ana = server
        .call(
            Method::PUT,
            &path,
            Some(&ana),
            Some(json!({"name": "Mine", "opens_min": 0, "closes_min": 1440,
                "days": [1], "slot_minutes": 60, "utc_offset_min": 0})),
        )
        .await;
    assert_eq!(by_ana.status, StatusCode::FORBIDDEN, "{:?}", by_ana.body);
    let elsewhere = format!("/api/v1/workshops/{shop}/bays/00000000-0000-0000-0000-000000000009");
    let missing = server
        .call(
            Method::PUT,
            &elsewhere,
            Some(&owner),
            Some(json!({"name": "X", "opens_min": 0, "closes_min": 1440,
                "days": [1], "slot_minutes": 60, "utc_offset_min": 0})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{:?}", missing.body);

    // Once her booking is cancelled, the hours can change.
    let id = made.body["id"].as_str().expect("id");
    let cancelled = server
        .call(
            Method::DELETE,
            &format!("/api/v1/workshops/{shop}/bookings/{id}"),
            Some(&ana),
            None,
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let longer = json!({"name": "Lift A", "opens_min": 0, "closes_min": 1440,
        "days": [1, 2, 3, 4, 5, 6, 7], "slot_minutes": 120, "utc_offset_min": 60});
    let done = edit(longer).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["slot_minutes"], 120);
}
