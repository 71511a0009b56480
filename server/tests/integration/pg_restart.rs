//! A PostgreSQL restart (a failover, an upgrade) costs the requests that
//! were in flight, not the server: each replica's writer, readers and
//! `LISTEN` session reconnect, and a pull waiting on one replica is still
//! woken by a push to the other.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use ridewire_engine::sync::{PullResponse, PushResponse};

use crate::common::{Device, TestServer, test_config};
use crate::postgres::Postgres;

/// Retries `f` until it answers 200 (a request right after the restart may
/// find its connection gone and answer 503), for at most 20 s.
async fn until_ok<F, Fut>(mut f: F) -> crate::common::Reply
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::common::Reply>,
{
    let began = Instant::now();
    loop {
        let reply = f().await;
        if reply.status == StatusCode::OK || began.elapsed() > Duration::from_secs(20) {
            return reply;
        }
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{:?}",
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_reconnect_after_a_postgresql_restart_and_lose_nothing() {
    // A cluster of its own: the restart must not cut other tests' sessions.
    let Some(pg) = Postgres::start() else {
        return;
    };
    let url = pg.fresh_database();
    let a = TestServer::on_database(&url, test_config());
    let b = TestServer::on_database(&url, test_config());
    let token = a.user("rider@ridewire.test").await;
    let mut phone = Device::new(3);
    let first = phone.steps(2);
    let pushed: PushResponse =
        serde_json::from_value(a.push(&token, phone.id(), &first).await.body).expect("push");
    assert_eq!(pushed.acked_through, 2);

    pg.restart();

    // Writes and reads on both replicas work again.
    let second = phone.steps(1);
    let reply = until_ok(|| a.push(&token, phone.id(), &second)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let reply = until_ok(|| b.pull(&token, "", None)).await;
    let page: PullResponse = serde_json::from_value(reply.body).expect("page");
    assert_eq!(page.progress.events, 3, "nothing lost, nothing twice");

    // B's LISTEN session is back: its waiting pull hears of A's push.
    let cursor = page.cursor.to_string();
    let b = std::sync::Arc::new(b);
    let waiting = {
        let (b, token) = (b.clone(), token.clone());
        tokio::spawn(async move {
            let began = Instant::now();
            let reply = b
                .call(
                    axum::http::Method::GET,
                    &format!("/api/v1/sync/pull?cursor={cursor}&wait=30"),
                    Some(&token),
                    None,
                )
                .await;
            (reply, began.elapsed())
        })
    };
    // Long enough for the listener to have reconnected (it retries every
    // second) and the pull to be waiting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let third = phone.steps(1);
    let reply = until_ok(|| a.push(&token, phone.id(), &third)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let (reply, waited) = waiting.await.expect("the waiting pull");
    let page: PullResponse = serde_json::from_value(reply.body).expect("page");
    assert_eq!(page.changes.len(), 1, "{:?}", page.changes);
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
}
