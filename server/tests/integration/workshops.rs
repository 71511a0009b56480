//! Workshops: an owner founds one and invites staff and customers; a
//! customer's bikes and diagnoses reach the workshop's staff only while the
//! customer is linked and shares them, and never another workshop.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Reply, TestServer};

pub(crate) async fn found(server: &TestServer, token: &str, name: &str) -> Reply {
    server
        .call(
            Method::POST,
            "/api/v1/workshops",
            Some(token),
            Some(json!({ "name": name })),
        )
        .await
}

pub(crate) async fn invite(server: &TestServer, token: &str, workshop: &str, role: &str) -> Reply {
    server
        .call(
            Method::POST,
            &format!("/api/v1/workshops/{workshop}/invitations"),
            Some(token),
            Some(json!({ "role": role })),
        )
        .await
}

pub(crate) async fn accept(server: &TestServer, token: &str, body: Value) -> Reply {
    server
        .call(
            Method::POST,
            "/api/v1/invitations/accept",
            Some(token),
            Some(body),
        )
        .await
}

async fn customers(server: &TestServer, token: &str, workshop: &str) -> Reply {
    server
        .call(
            Method::GET,
            &format!("/api/v1/workshops/{workshop}/customers"),
            Some(token),
            None,
        )
        .await
}

/// A workshop founded by `token`: its id.
pub(crate) async fn workshop(server: &TestServer, token: &str, name: &str) -> String {
    let made = found(server, token, name).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["role"], "owner");
    made.body["workshop"].as_str().expect("id").to_owned()
}

/// A code to join `workshop` as `role`.
pub(crate) async fn code(server: &TestServer, token: &str, workshop: &str, role: &str) -> String {
    let made = invite(server, token, workshop, role).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["code"].as_str().expect("code").to_owned()
}

/// The rider's bike and a diagnosis the server answered.
pub(crate) async fn bike_and_run(server: &TestServer, token: &str) {
    let bike = server
        .call(
            Method::PUT,
            "/api/v1/records",
            Some(token),
            Some(
                json!({"kind": "vehicle", "key": "bike-1", "base_version": 0,
                "changes": {"make": "Yamaha", "model": "MT-07", "year": 2021}}),
            ),
        )
        .await;
    assert_eq!(bike.status, StatusCode::OK, "{:?}", bike.body);
    let run = server
        .call(
            Method::POST,
            "/api/v1/diagnostics",
            Some(token),
            Some(
                json!({"query": "misfire", "codes": ["P0300"], "symptoms": [],
                "vehicle": {"make": "Yamaha", "model": "MT-07", "year": 2021}}),
            ),
        )
        .await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
}

#[tokio::test]
async fn a_customer_shares_what_they_choose_only_while_linked() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    let rider = server.user("rider@ridewire.test").await;
    bike_and_run(&server, &rider).await;
    let shop = workshop(&server, &owner, "Moto Müller").await;

    // The code works as a person types it: lower case, with dashes.
    let code = code(&server, &owner, &shop, "customer").await;
    let typed = format!("{}-{}", &code[..6], &code[6..]).to_lowercase();
    let joined = accept(&server, &rider, json!({ "code": typed })).await;
    assert_eq!(joined.status, StatusCode::OK, "{:?}", joined.body);
    assert_eq!(joined.body["role"], "customer");
    assert_eq!(joined.body["name"], "Moto Müller");
    assert_eq!(joined.body["shares"], json!(["bikes"]), "bikes by default");
    // Used once.
    let again = accept(&server, &owner, json!({ "code": code })).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{:?}", again.body);

    // The owner sees the bike, not the diagnoses.
    let seen = customers(&server, &owner, &shop).await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    let list = seen.body["customers"].as_array().expect("customers");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["bikes"][0]["fields"]["model"]["value"], "MT-07");
    assert!(list[0].get("diagnoses").is_none(), "{:?}", list[0]);

    // Sharing diagnoses too: the run appears.
    let shared = server
        .call(
            Method::PUT,
            &format!("/api/v1/workshops/{shop}/sharing"),
            Some(&rider),
            Some(json!({"shares": ["diagnoses", "bikes", "diagnoses"]})),
        )
        .await;
    assert_eq!(shared.status, StatusCode::OK, "{:?}", shared.body);
    assert_eq!(shared.body["shares"], json!(["bikes", "diagnoses"]));
    let seen = customers(&server, &owner, &shop).await;
    let runs = &seen.body["customers"][0]["diagnoses"];
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs:?}");
    assert_eq!(runs[0]["request"]["codes"], json!(["P0300"]));

    // The customer lists the workshop, sees no customers, and leaves.
    let mine = server
        .call(Method::GET, "/api/v1/workshops", Some(&rider), None)
        .await;
    assert_eq!(mine.body["workshops"][0]["workshop"], json!(shop));
    let export = server
        .call(Method::GET, "/api/v1/me/export", Some(&rider), None)
        .await;
    assert_eq!(
        export.body["workshops"][0]["role"], "customer",
        "{:?}",
        export.body
    );
    let peek = customers(&server, &rider, &shop).await;
    assert_eq!(peek.status, StatusCode::FORBIDDEN, "{:?}", peek.body);
    let left = server
        .call(
            Method::DELETE,
            &format!("/api/v1/workshops/{shop}/membership"),
            Some(&rider),
            None,
        )
        .await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{:?}", left.body);
    let seen = customers(&server, &owner, &shop).await;
    assert_eq!(seen.body["customers"], json!([]));
    let mine = server
        .call(Method::GET, "/api/v1/workshops", Some(&rider), None)
        .await;
    assert_eq!(mine.body["workshops"], json!([]));
}

#[tokio::test]
async fn one_workshop_never_sees_another_workshops_customers() {
    let server = TestServer::new();
    let (a, b) = (
        server.user("a@moto.test").await,
        server.user("b@moto.test").await,
    );
    let rider = server.user("rider@ridewire.test").await;
    bike_and_run(&server, &rider).await;
    let shop_a = workshop(&server, &a, "A Motos").await;
    let shop_b = workshop(&server, &b, "B Bikes").await;
    let joined = accept(
        &server,
        &rider,
        json!({"code": code(&server, &a, &shop_a, "customer").await, "shares": ["bikes", "diagnoses"]}),
    )
    .await;
    assert_eq!(joined.status, StatusCode::OK, "{:?}", joined.body);

    // B cannot read A's customers, invite into A or leave A: to B, A's
    // workshop does not exist.
    let peek = customers(&server, &b, &shop_a).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND, "{:?}", peek.body);
    let sneak = invite(&server, &b, &shop_a, "customer").await;
    assert_eq!(sneak.status, StatusCode::NOT_FOUND, "{:?}", sneak.body);
    // B's own list is empty; A's has the rider.
    let own = customers(&server, &b, &shop_b).await;
    assert_eq!(own.body["customers"], json!([]));
    let theirs = customers(&server, &a, &shop_a).await;
    assert_eq!(theirs.body["customers"].as_array().map(Vec::len), Some(1));

    // A mechanic of B sees B's customers only.
    let mechanic = server.user("mech@moto.test").await;
    let hired = accept(
        &server,
        &mechanic,
        json!({"code": code(&server, &b, &shop_b, "mechanic").await}),
    )
    .await;
    assert_eq!(hired.body["role"], "mechanic");
    assert_eq!(hired.body["shares"], json!([]), "staff share nothing");
    assert_eq!(
        customers(&server, &mechanic, &shop_a).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        customers(&server, &mechanic, &shop_b).await.status,
        StatusCode::OK
    );
    // Staff invite customers; only the owner invites staff.
    assert_eq!(
        invite(&server, &mechanic, &shop_b, "customer").await.status,
        StatusCode::CREATED
    );
    let hire = invite(&server, &mechanic, &shop_b, "front_desk").await;
    assert_eq!(hire.status, StatusCode::FORBIDDEN, "{:?}", hire.body);
    assert_eq!(hire.code(), "owner_only");

    // A's owner deletes their account: the workshop goes with it, and the
    // rider's own data stays.
    let gone = server
        .call(Method::DELETE, "/api/v1/me", Some(&a), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{:?}", gone.body);
    let mine = server
        .call(Method::GET, "/api/v1/workshops", Some(&rider), None)
        .await;
    assert_eq!(mine.body["workshops"], json!([]));
    let bike = server
        .call(
            Method::GET,
            "/api/v1/records/vehicle/bike-1",
            Some(&rider),
            None,
        )
        .await;
    assert_eq!(bike.status, StatusCode::OK, "{:?}", bike.body);
}

#[tokio::test]
async fn bad_requests_get_clear_answers_and_change_nothing() {
    let server = TestServer::new();
    let owner = server.user("owner@moto.test").await;
    for bad in ["", " Moto", "Mo\u{7}to", &"x".repeat(81)] {
        let reply = found(&server, &owner, bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(reply.code(), "invalid_workshop_name");
    }
    let shop = workshop(&server, &owner, "Moto").await;
    for n in 2..=5 {
        workshop(&server, &owner, &format!("Moto {n}")).await;
    }
    let sixth = found(&server, &owner, "Moto 6").await;
    assert_eq!(sixth.status, StatusCode::CONFLICT, "{:?}", sixth.body);
    assert_eq!(sixth.code(), "too_many_workshops");

    let owner_leaves = server
        .call(
            Method::DELETE,
            &format!("/api/v1/workshops/{shop}/membership"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(owner_leaves.status, StatusCode::CONFLICT);
    assert_eq!(owner_leaves.code(), "owner_cannot_leave");
    let second_owner = invite(&server, &owner, &shop, "owner").await;
    assert_eq!(second_owner.status, StatusCode::BAD_REQUEST);

    let rider = server.user("rider@ridewire.test").await;
    let unknown = accept(&server, &rider, json!({ "code": "ZZZZ-ZZZZ-ZZZZ" })).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let mine = server
        .call(Method::GET, "/api/v1/workshops", Some(&rider), None)
        .await;
    assert_eq!(mine.body["workshops"], json!([]));
    // Joining twice is refused.
    let code = code(&server, &owner, &shop, "customer").await;
    assert_eq!(
        accept(&server, &rider, json!({ "code": code }))
            .await
            .status,
        StatusCode::OK
    );
    let code = self::code(&server, &owner, &shop, "customer").await;
    let twice = accept(&server, &rider, json!({ "code": code })).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.code(), "already_a_member");

    // An expired code is refused like an unknown one.
    let old = self::code(&server, &owner, &shop, "customer").await;
    server.clock.advance(7 * 24 * 3_600_000 + 1);
    let late_rider = server.user("late@ridewire.test").await;
    let late = accept(&server, &late_rider, json!({ "code": old })).await;
    assert_eq!(late.status, StatusCode::NOT_FOUND, "{:?}", late.body);
}
