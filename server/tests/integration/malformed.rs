//! Malformed input to every endpoint gets a clear 4xx with an error code,
//! and changes nothing.

use axum::http::{Method, StatusCode};
use ridewire_server::routes::{Access, table};
use serde_json::json;

use crate::common::TestServer;

/// The route's path with its parameters filled in.
fn concrete(path: &str) -> String {
    let path = path
        .replace("{kind}", "vehicle")
        .replace("{key}", "bike-1")
        .replace("{id}", "winter")
        .replace("/users/winter/", "/users/1/");
    if path == "/api/v1/ar/overlay" {
        format!("{path}?vehicle=harley-street-750-2022")
    } else {
        path
    }
}

#[tokio::test]
async fn protected_endpoints_refuse_missing_forged_and_expired_tokens() {
    let server = TestServer::new();
    let admin = server.user("admin@ridewire.test").await;
    let before = server.snapshot();
    for (_, routes) in table() {
        for route in routes.iter().filter(|r| r.access != Access::Public) {
            let path = concrete(route.path);
            let body = route.request.map(|_| json!({}));
            let missing = server
                .call(route.method.clone(), &path, None, body.clone())
                .await;
            assert_eq!(missing.status, StatusCode::UNAUTHORIZED, "{route:?}");
            assert_eq!(missing.code(), "missing_token", "{route:?}");
            for forged in ["rwa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", "x y"] {
                let reply = server
                    .call(route.method.clone(), &path, Some(forged), body.clone())
                    .await;
                assert_eq!(
                    reply.status,
                    StatusCode::UNAUTHORIZED,
                    "{route:?} {forged:?}"
                );
                assert_eq!(reply.code(), "invalid_token", "{route:?}");
            }
        }
    }
    // The same routes with a token a day and a second old.
    server.clock.advance(24 * 3_600_000 + 1_000);
    for (_, routes) in table() {
        for route in routes.iter().filter(|r| r.access != Access::Public) {
            let path = concrete(route.path);
            let reply = server
                .call(route.method.clone(), &path, Some(&admin), None)
                .await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{route:?}");
            assert_eq!(reply.code(), "token_expired", "{route:?}");
        }
    }
    assert_eq!(server.snapshot(), before);
}

#[tokio::test]
async fn bodies_that_are_not_json_or_have_wrong_types_are_refused() {
    let server = TestServer::new();
    let admin = server.user("admin@ridewire.test").await;
    let before = server.snapshot();
    let bad_bodies: [&[u8]; 8] = [
        b"{\"email\":",
        b"not json at all",
        b"[]",
        b"\"a string\"",
        b"42",
        b"{\"email\": 5, \"password\": [], \"device\": 7, \"events\": {}, \"changes\": 3, \"markdown\": null, \"refresh_token\": 1, \"components\": \"no\", \"quests\": 1}",
        b"{\"device\": \"not-a-uuid\", \"events\": []}",
        b"\xff\xfe\x00",
    ];
    for (_, routes) in table() {
        for route in routes.iter().filter(|r| r.request.is_some()) {
            let path = concrete(route.path);
            for body in bad_bodies {
                let reply = server
                    .raw(route.method.clone(), &path, Some(&admin), body.to_vec())
                    .await;
                assert_eq!(
                    reply.status,
                    StatusCode::BAD_REQUEST,
                    "{route:?} with {:?}: {:?}",
                    String::from_utf8_lossy(body),
                    reply.body
                );
                assert!(!reply.code().is_empty(), "{route:?}: {:?}", reply.body);
                let message = reply.body["error"]["message"].as_str().unwrap_or("");
                assert!(!message.to_lowercase().contains("sqlite"), "{message}");
            }
        }
    }
    assert_eq!(server.snapshot(), before);
}

#[tokio::test]
async fn bad_addresses_get_json_errors() {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    let cases = [
        (
            Method::GET,
            "/api/v1/nothing-here",
            StatusCode::NOT_FOUND,
            "no_such_endpoint",
        ),
        (
            Method::DELETE,
            "/api/v1/sync/push",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::GET,
            "/api/v1/ar/overlay",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            Method::GET,
            "/api/v1/ar/overlay?vehicle=..%2F..",
            StatusCode::BAD_REQUEST,
            "invalid_vehicle",
        ),
        (
            Method::GET,
            "/api/v1/ar/overlay?vehicle=unknown-bike",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::GET,
            "/api/v1/plans/bad%20id",
            StatusCode::BAD_REQUEST,
            "invalid_plan_id",
        ),
        (
            Method::GET,
            "/api/v1/records/boat/x",
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
    ];
    for (method, path, status, code) in cases {
        let reply = server.call(method, path, Some(&token), None).await;
        assert_eq!(reply.status, status, "{path}: {:?}", reply.body);
        assert_eq!(reply.code(), code, "{path}");
    }
}
