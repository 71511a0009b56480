//! Leaderboards: riders ranked by what the server folded from their
//! accepted events, listed only under a name they chose.

use axum::http::{Method, StatusCode};
use ridewire_engine::sync::leaderboard::{week_of, week_start_ms};
use serde_json::{Value, json};

use crate::common::{Device, NOW, PASSWORD, Reply, TestServer, diagnosis};

async fn board(server: &TestServer, token: &str, path: &str) -> Value {
    let reply = server.call(Method::GET, path, Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
    reply.body
}

async fn name(server: &TestServer, token: &str, name: Value) -> Reply {
    server
        .call(
            Method::PUT,
            "/api/v1/me/leaderboard",
            Some(token),
            Some(json!({ "display_name": name })),
        )
        .await
}

/// `n` diagnostic runs from a new device of the rider's.
async fn runs(server: &TestServer, token: &str, device: u128, n: u128) {
    let mut phone = Device::new(device);
    let events: Vec<_> = (0..n)
        .map(|i| phone.next(diagnosis(device * 100 + i)))
        .collect();
    let reply = server.push(token, phone.id(), &events).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["rejected"], json!([]));
}

#[tokio::test]
async fn only_riders_who_chose_a_name_are_listed_ranked_by_what_the_server_folded() {
    let server = TestServer::new();
    let ana = server.user("ana@example.com").await;
    let ben = server.user("ben@example.com").await;
    let cy = server.user("cy@example.com").await;
    runs(&server, &ana, 1, 3).await;
    runs(&server, &ben, 2, 5).await;
    runs(&server, &cy, 3, 3).await;

    // Nobody is listed until they opt in; each still sees their own number.
    let page = board(&server, &ana, "/api/v1/leaderboards/xp").await;
    assert_eq!(page["listed"], 0);
    assert_eq!(page["top"], json!([]));
    assert_eq!(
        page["me"],
        json!({"display_name": null, "value": 30, "rank": null})
    );

    for (token, who) in [(&ana, "Ana"), (&ben, "Ben the Mechanic"), (&cy, "Cyd")] {
        let reply = name(&server, token, json!(who)).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        assert_eq!(reply.body["display_name"], who);
    }
    let page = board(&server, &cy, "/api/v1/leaderboards/xp").await;
    assert_eq!(page["listed"], 3);
    assert_eq!(
        page["top"],
        json!([
            {"rank": 1, "display_name": "Ben the Mechanic", "value": 50},
            {"rank": 2, "display_name": "Ana", "value": 30},
            {"rank": 2, "display_name": "Cyd", "value": 30},
        ]),
        "equal values share a rank, the older account first"
    );
    assert_eq!(
        page["me"],
        json!({"display_name": "Cyd", "value": 30, "rank": 2})
    );
    let page = board(&server, &ben, "/api/v1/leaderboards/diagnostics").await;
    assert_eq!(page["top"][0]["value"], 5);
    assert_eq!(page["me"]["rank"], 1);

    // New events move the board in the push that stores them, as the
    // server folds them: of five more runs that day only two earn XP (five
    // runs a bike and day do).
    runs(&server, &cy, 4, 5).await;
    let page = board(&server, &ana, "/api/v1/leaderboards/xp").await;
    assert_eq!(
        page["top"],
        json!([
            {"rank": 1, "display_name": "Ben the Mechanic", "value": 50},
            {"rank": 1, "display_name": "Cyd", "value": 50},
            {"rank": 3, "display_name": "Ana", "value": 30},
        ])
    );
    assert_eq!(page["me"]["rank"], 3);

    // Leaving takes the rider off every board at once.
    let reply = name(&server, &ben, Value::Null).await;
    assert_eq!(reply.status, StatusCode::OK);
    let page = board(&server, &ana, "/api/v1/leaderboards/xp").await;
    assert_eq!(page["listed"], 2);
    assert!(!page.to_string().contains("Ben"), "{page}");
    let page = board(&server, &ben, "/api/v1/leaderboards/xp").await;
    assert_eq!(page["me"]["rank"], Value::Null);
    assert_eq!(page["me"]["value"], 50);
}

#[tokio::test]
async fn the_weeks_board_counts_from_monday_utc_and_starts_empty_each_week() {
    let server = TestServer::new();
    let ana = server.user("ana@example.com").await;
    // The test device's events are a day before NOW, a minute apart.
    runs(&server, &ana, 1, 2).await;
    assert_eq!(
        name(&server, &ana, json!("Ana")).await.status,
        StatusCode::OK
    );
    let week = week_of(NOW - 86_400_000);
    let page = board(&server, &ana, "/api/v1/leaderboards/xp?period=week").await;
    if week_of(NOW) == week {
        assert_eq!(page["top"][0]["value"], 20);
    }
    assert_eq!(page["week_start_ms"], week_start_ms(week_of(NOW)));
    // A week later nothing counts this week; all time keeps it all.
    server.clock.set(week_start_ms(week_of(NOW) + 1) + 1_000);
    let login = server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ana@example.com", "password": PASSWORD})),
        )
        .await;
    let ana = login.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let page = board(&server, &ana, "/api/v1/leaderboards/xp?period=week").await;
    assert_eq!(page["listed"], 0);
    assert_eq!(page["top"], json!([]));
    assert_eq!(page["me"]["value"], 0);
    // Named, but nothing this week: no rank past the listed count.
    assert_eq!(page["me"]["display_name"], "Ana");
    assert_eq!(page["me"]["rank"], Value::Null);
    let page = board(&server, &ana, "/api/v1/leaderboards/xp?period=all").await;
    assert_eq!(page["top"][0]["value"], 20);
}

#[tokio::test]
async fn display_names_are_checked_and_unique() {
    let server = TestServer::new();
    let ana = server.user("ana@example.com").await;
    let ben = server.user("ben@example.com").await;
    for bad in [
        json!("Al"),
        json!(" Ana "),
        json!("x".repeat(25)),
        json!("A\u{7}na"),
        json!("Ana\u{200B}"),
        json!("Bo\u{202E}b"),
        json!(5),
    ] {
        let reply = name(&server, &ana, bad.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {:?}",
            reply.body
        );
    }
    assert_eq!(
        name(&server, &ana, json!("Zoë Rides")).await.status,
        StatusCode::OK
    );
    let taken = name(&server, &ben, json!("zoë rides")).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{:?}", taken.body);
    assert_eq!(taken.code(), "display_name_taken");
    // The rider may change their own name's case.
    assert_eq!(
        name(&server, &ana, json!("zoë RIDES")).await.status,
        StatusCode::OK
    );
    // Case in any script, fullwidth letters and composed accents are the
    // same name too.
    for same in ["ZOË RIDES", "Ｚｏë Ｒｉｄｅｓ", "Zoe\u{0308} rides"] {
        let taken = name(&server, &ben, json!(same)).await;
        assert_eq!(
            taken.status,
            StatusCode::CONFLICT,
            "{same}: {:?}",
            taken.body
        );
    }
    assert_eq!(
        name(&server, &ben, json!("ΖΩΗ")).await.status,
        StatusCode::OK
    );
    let taken = name(&server, &ana, json!("ζωη")).await;
    assert_eq!(taken.code(), "display_name_taken");
    assert_eq!(
        name(&server, &ana, json!("Zoe Rides")).await.status,
        StatusCode::OK,
        "another letter is another name"
    );
    let unknown = server
        .call(Method::GET, "/api/v1/leaderboards/speed", Some(&ana), None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = server
        .call(
            Method::GET,
            "/api/v1/leaderboards/xp?period=month",
            Some(&ana),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "invalid_period");
    let anonymous = server
        .call(Method::GET, "/api/v1/leaderboards/xp", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
