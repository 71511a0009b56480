//! Pull without polling: `GET /api/v1/sync/pull?wait=S` holds an answer
//! with nothing new until a change for the user is committed, then
//! answers at once; another user's change does not wake it, and when the
//! wait is over it answers with nothing new.

use std::time::Duration;

use axum::http::StatusCode;
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::QuestId;

use crate::common::{Backend, conformance};
use crate::common::{Device, TestServer};

// Run on SQLite and on PostgreSQL (the storage conformance suite).
conformance! {
    a_waiting_pull_answers_as_soon_as_another_device_pushes,
    another_riders_news_does_not_wake_a_pull_and_the_wait_ends_empty,
    a_wait_beyond_the_limit_is_refused,
}

fn started() -> EventKind {
    EventKind::QuestStarted {
        quest: QuestId::new("chain-clean").expect("quest id"),
    }
}

async fn a_waiting_pull_answers_as_soon_as_another_device_pushes(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let rider = server.user("rider@example.com").await;
    let first = server.pull(&rider, "", None).await;
    assert_eq!(first.status, StatusCode::OK);
    let cursor = first.body["cursor"].as_str().expect("cursor").to_owned();

    let path = format!("/api/v1/sync/pull?cursor={cursor}&wait=50");
    let waiting = {
        let (server, rider, path) = (&server, &rider, &path);
        async move {
            server
                .call(axum::http::Method::GET, path, Some(rider), None)
                .await
        }
    };
    let push = async {
        // The pull is waiting by now; the phone pushes.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(server.state.db.waiters().waiting_users(), 1);
        let mut phone = Device::new(1);
        let event = phone.next(started());
        let pushed = server.push(&rider, phone.id(), &[event]).await;
        assert_eq!(pushed.status, StatusCode::OK, "{:?}", pushed.body);
    };
    // Woken by the push, not by the end of its 50 s.
    let (answer, ()) = tokio::time::timeout(Duration::from_secs(20), async {
        tokio::join!(waiting, push)
    })
    .await
    .expect("the waiting pull was not woken by the push");
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let changes = answer.body["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["event"]["kind"], "quest_started");
    assert_eq!(server.state.db.waiters().waiting_users(), 0);
}

async fn another_riders_news_does_not_wake_a_pull_and_the_wait_ends_empty(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let (ana, ben) = (
        server.user("ana@example.com").await,
        server.user("ben@example.com").await,
    );
    let cursor = server.pull(&ben, "", None).await.body["cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let path = format!("/api/v1/sync/pull?cursor={cursor}&wait=2");
    let began = tokio::time::Instant::now();
    let waiting = server.call(axum::http::Method::GET, &path, Some(&ben), None);
    let push = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut phone = Device::new(2);
        let pushed = server
            .push(&ana, phone.id(), &[phone.next(started())])
            .await;
        assert_eq!(pushed.status, StatusCode::OK);
    };
    let (answer, ()) = tokio::join!(waiting, push);
    // Nothing of Ana's: Ben's pull answers when its wait is over, with
    // nothing new and the same cursor.
    assert!(
        began.elapsed() >= Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["changes"], serde_json::json!([]));
    assert_eq!(answer.body["cursor"].as_str(), Some(cursor.as_str()));
}

async fn a_wait_beyond_the_limit_is_refused(backend: Backend) {
    let Some(server) = TestServer::of(backend) else {
        return;
    };
    let rider = server.user("rider@example.com").await;
    let too_long = server
        .call(
            axum::http::Method::GET,
            "/api/v1/sync/pull?wait=51",
            Some(&rider),
            None,
        )
        .await;
    assert_eq!(
        too_long.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        too_long.body
    );
    // Without a wait (or with 0) a pull answers at once, news or not.
    let at_once = tokio::time::timeout(
        Duration::from_secs(5),
        server.call(
            axum::http::Method::GET,
            "/api/v1/sync/pull?wait=0",
            Some(&rider),
            None,
        ),
    )
    .await
    .expect("answered at once");
    assert_eq!(at_once.status, StatusCode::OK);
}
