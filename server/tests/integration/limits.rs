//! Limits: body size, and rate limits per address and per account answered
//! `429` with `Retry-After`.

use axum::http::{Method, StatusCode, header};
use ridewire_server::Rate;
use serde_json::json;

use ridewire_server::routes::table;

use crate::common::{TestServer, concrete, test_config};

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let server = TestServer::new();
    let admin = server.user("admin@ridewire.test").await;
    let before = server.snapshot();
    let huge = format!(
        "{{\"device\":\"00000000-0000-0000-0000-000000000001\",\"events\":[\"{}\"]}}",
        "x".repeat(2 * 1024 * 1024)
    );
    // Every endpoint that takes a body, as an admin so none stops earlier.
    let mut checked = 0;
    for (_, routes) in table() {
        for route in routes.iter().filter(|r| r.request.is_some()) {
            let path = concrete(route.path);
            let reply = server
                .raw(
                    route.method.clone(),
                    &path,
                    Some(&admin),
                    huge.clone().into_bytes(),
                )
                .await;
            assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{route:?}");
            assert_eq!(reply.code(), "too_large", "{route:?}");
            checked += 1;
        }
    }
    // Every route with a body, the diagnostics request, the note on a run
    // the photo upload, the workshops' four, a bay (new and edited) and a
    // booking included.
    assert_eq!(checked, 26);
    assert_eq!(server.snapshot(), before);
}

#[tokio::test]
async fn login_attempts_per_address_are_limited_with_retry_after() {
    let server = TestServer::with_config(ridewire_server::Config {
        auth_per_ip: Rate {
            per_minute: 6,
            burst: 3,
        },
        ..test_config()
    });
    let login = json!({"email": "nobody@ridewire.test", "password": "guess guess"});
    for _ in 0..3 {
        let reply = server
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(login.clone()),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let limited = server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(login.clone()),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    assert_eq!(limited.headers[header::RETRY_AFTER], "10");
    // Other endpoints are not held up by the login limit.
    let health = server.call(Method::GET, "/health", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    // Ten seconds later one more attempt is allowed.
    server.clock.advance(10_000);
    let reply = server
        .call(Method::POST, "/api/v1/auth/login", None, Some(login))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn each_account_has_its_own_request_budget() {
    let server = TestServer::with_config(ridewire_server::Config {
        per_user: Rate {
            per_minute: 60,
            burst: 2,
        },
        ..test_config()
    });
    let alice = server.user("alice@ridewire.test").await;
    let bob = server.user("bob@ridewire.test").await;
    for _ in 0..2 {
        let reply = server
            .call(Method::GET, "/api/v1/me", Some(&alice), None)
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let limited = server
        .call(Method::GET, "/api/v1/me", Some(&alice), None)
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers[header::RETRY_AFTER], "1");
    let other = server
        .call(Method::GET, "/api/v1/me", Some(&bob), None)
        .await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test]
async fn every_request_counts_against_its_address() {
    let server = TestServer::with_config(ridewire_server::Config {
        per_ip: Rate {
            per_minute: 60,
            burst: 5,
        },
        ..test_config()
    });
    for _ in 0..5 {
        assert_eq!(
            server.call(Method::GET, "/health", None, None).await.status,
            StatusCode::OK
        );
    }
    let limited = server.call(Method::GET, "/health", None, None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn one_accounts_password_is_not_guessed_from_many_addresses() {
    let server = TestServer::with_config(ridewire_server::Config {
        login_per_account: Rate {
            per_minute: 6,
            burst: 3,
        },
        ..test_config()
    });
    server.user("rider@ridewire.test").await;
    let guess = |email: &str| json!({"email": email, "password": "guess guess"});
    for _ in 0..3 {
        let reply = server
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(guess("Rider@ridewire.test")),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let limited = server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(guess("rider@ridewire.test")),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    // Another account is not held up by the guesses at this one.
    let other = server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(guess("someone@ridewire.test")),
        )
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn password_hashing_beyond_its_slots_is_answered_503_with_retry_after() {
    let server = TestServer::with_config(ridewire_server::Config {
        max_concurrent_hashes: 2,
        hash_queue_wait_ms: 200,
        ..test_config()
    });
    let login = || {
        server.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "rider@ridewire.test", "password": "guess guess"})),
        )
    };
    // Both slots busy hashing (held here, as two long logins would).
    let held = std::sync::Arc::clone(&server.state.hashing)
        .acquire_many_owned(2)
        .await
        .expect("slots");
    let busy = login().await;
    assert_eq!(
        busy.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        busy.body
    );
    assert_eq!(busy.code(), "busy");
    assert_eq!(busy.headers[header::RETRY_AFTER], "2");
    // A slot frees up while a login waits in the queue: it goes through.
    let waiting = login();
    let (reply, ()) = tokio::join!(waiting, async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(held);
    });
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}
