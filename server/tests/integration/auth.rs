//! Accounts: register, log in, refresh with rotation, log out; expiry; who
//! may reach what.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{PASSWORD, TestServer};

async fn register(server: &TestServer, email: &str) -> Value {
    let reply = server
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

async fn me(server: &TestServer, token: &str) -> StatusCode {
    server
        .call(Method::GET, "/api/v1/me", Some(token), None)
        .await
        .status
}

async fn refresh(server: &TestServer, token: &str) -> crate::common::Reply {
    server
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": token})),
        )
        .await
}

#[tokio::test]
async fn register_then_log_in_with_the_same_password() {
    let server = TestServer::new();
    let session = register(&server, "Rider@RideWire.test").await;
    assert_eq!(session["user"]["email"], "rider@ridewire.test");
    assert_eq!(session["user"]["role"], "user");
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 86_400);
    let token = session["access_token"].as_str().expect("token");
    assert_eq!(me(&server, token).await, StatusCode::OK);

    let login = server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "rider@ridewire.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert_ne!(login.body["access_token"], session["access_token"]);
    // Tokens are stored only as hashes; the password only as Argon2id; the
    // e-mail only as its keyed hash and a sealed copy.
    let lookup = server.state.email_key.lookup("rider@ridewire.test");
    let (leaked, stored_email) = server
        .state
        .db
        .write_blocking(move |c| {
            Ok(c.query_row(
                "SELECT password_hash, email FROM users WHERE email = ?1",
                [lookup],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )?)
        })
        .expect("user");
    assert!(leaked.starts_with("$argon2id$"));
    assert!(!stored_email.contains("rider"), "{stored_email}");
    let clear = token.as_bytes().to_vec();
    let stored_tokens: i64 = server
        .state
        .db
        .write_blocking(move |c| {
            Ok(c.query_row(
                "SELECT count(*) FROM access_tokens WHERE hash = ?1",
                [clear],
                |r| r.get(0),
            )?)
        })
        .expect("count");
    assert_eq!(stored_tokens, 0, "a token is stored in the clear");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer() {
    let server = TestServer::new();
    register(&server, "rider@ridewire.test").await;
    for (email, password) in [
        ("rider@ridewire.test", "wrong password"),
        ("nobody@ridewire.test", PASSWORD),
        ("not an email", PASSWORD),
    ] {
        let reply = server
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.code(), "invalid_credentials");
    }
}

#[tokio::test]
async fn an_email_registers_once_and_weak_passwords_are_refused() {
    let server = TestServer::new();
    register(&server, "rider@ridewire.test").await;
    let before = server.snapshot();
    let again = server
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"email": "RIDER@ridewire.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "email_taken");
    let weak = server
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"email": "new@ridewire.test", "password": "short"})),
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert_eq!(weak.code(), "weak_password");
    assert_eq!(server.snapshot(), before);
}

#[tokio::test]
async fn an_access_token_expires_after_24_hours() {
    let server = TestServer::new();
    let session = register(&server, "rider@ridewire.test").await;
    let token = session["access_token"].as_str().expect("token");
    server.clock.advance(24 * 3_600_000 - 1_000);
    assert_eq!(me(&server, token).await, StatusCode::OK);
    server.clock.advance(2_000);
    let reply = server
        .call(Method::GET, "/api/v1/me", Some(token), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), "token_expired");
    // The refresh token still works and gives a fresh access token.
    let renewed = refresh(&server, session["refresh_token"].as_str().expect("refresh")).await;
    assert_eq!(renewed.status, StatusCode::OK);
    let fresh = renewed.body["access_token"].as_str().expect("token");
    assert_eq!(me(&server, fresh).await, StatusCode::OK);
}

#[tokio::test]
async fn a_lost_refresh_answer_does_not_log_the_device_out() {
    let server = TestServer::new();
    let session = register(&server, "rider@ridewire.test").await;
    let first_refresh = session["refresh_token"].as_str().expect("refresh");
    // The server rotates the pair, but the answer never reaches the phone.
    let lost = refresh(&server, first_refresh).await;
    assert_eq!(lost.status, StatusCode::OK);
    // Moments later the phone tries again with the token it still holds.
    server.clock.advance(30_000);
    let again = refresh(&server, first_refresh).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    let access = again.body["access_token"].as_str().expect("access");
    assert_eq!(me(&server, access).await, StatusCode::OK);
    // The pair in the lost answer no longer works.
    let lost_access = lost.body["access_token"].as_str().expect("access");
    assert_eq!(me(&server, lost_access).await, StatusCode::UNAUTHORIZED);
    let lost_refresh = lost.body["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        refresh(&server, lost_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Once the new pair has been refreshed, the first token is spent for
    // good: sending it again, even within the grace, ends the login.
    let next = refresh(&server, again.body["refresh_token"].as_str().expect("r")).await;
    assert_eq!(next.status, StatusCode::OK);
    let replay = refresh(&server, first_refresh).await;
    assert_eq!(replay.code(), "refresh_token_reused");
    let next_access = next.body["access_token"].as_str().expect("access");
    assert_eq!(me(&server, next_access).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_login() {
    let server = TestServer::new();
    let session = register(&server, "rider@ridewire.test").await;
    let first_refresh = session["refresh_token"].as_str().expect("refresh");
    let second = refresh(&server, first_refresh).await;
    assert_eq!(second.status, StatusCode::OK);
    let second_access = second.body["access_token"].as_str().expect("access");
    assert_eq!(me(&server, second_access).await, StatusCode::OK);

    // Someone replays the first refresh token after the grace for lost
    // answers: the whole login ends.
    server
        .clock
        .advance(ridewire_server::auth::tokens::REFRESH_GRACE_MS + 1);
    let replay = refresh(&server, first_refresh).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.code(), "refresh_token_reused");
    assert_eq!(me(&server, second_access).await, StatusCode::UNAUTHORIZED);
    let second_refresh = second.body["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        refresh(&server, second_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Another login of the same account is untouched.
    let other = server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "rider@ridewire.test", "password": PASSWORD})),
        )
        .await;
    let other_access = other.body["access_token"].as_str().expect("access");
    assert_eq!(me(&server, other_access).await, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused() {
    let server = TestServer::new();
    let session = register(&server, "rider@ridewire.test").await;
    server.clock.advance(31 * 86_400_000);
    let reply = refresh(&server, session["refresh_token"].as_str().expect("refresh")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), "token_expired");
}

#[tokio::test]
async fn logout_ends_the_login() {
    let server = TestServer::new();
    let session = register(&server, "rider@ridewire.test").await;
    let token = session["access_token"].as_str().expect("token");
    let reply = server
        .call(Method::POST, "/api/v1/auth/logout", Some(token), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(me(&server, token).await, StatusCode::UNAUTHORIZED);
    let refreshed = refresh(&server, session["refresh_token"].as_str().expect("refresh")).await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_admins_publish_and_registering_an_admins_email_makes_no_admin() {
    let server = TestServer::new();
    let rider = server.user("rider@ridewire.test").await;
    let admin = register(&server, "admin@ridewire.test").await;
    assert_eq!(
        admin["user"]["role"], "user",
        "anyone may register any e-mail"
    );
    let admin = admin["access_token"].as_str().expect("token");
    let reply = server
        .call(
            Method::PUT,
            "/api/v1/plans/winter",
            Some(admin),
            Some(json!({"markdown": "# Winter prep\n\n- [ ] Drain the carb\n"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{:?}", reply.body);
    server.promote("admin@ridewire.test");
    let plan = json!({"markdown": "# Winter prep\n\n- [ ] Drain the carb\n"});
    let pack = json!({"components": [{"id": "battery", "model": "battery.glb"}]});
    let before = server.snapshot();
    for (method, path, body) in [
        (Method::PUT, "/api/v1/plans/winter", plan.clone()),
        (
            Method::PUT,
            "/api/v1/ar/overlay?vehicle=harley-street-750-2022",
            pack.clone(),
        ),
        (
            Method::PUT,
            "/api/v1/catalog",
            json!({"quests": {}, "zones": {}}),
        ),
    ] {
        let reply = server.call(method, path, Some(&rider), Some(body)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(reply.code(), "admin_only");
    }
    assert_eq!(server.snapshot(), before);
    let reply = server
        .call(Method::PUT, "/api/v1/plans/winter", Some(admin), Some(plan))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["title"], "Winter prep");
    assert_eq!(reply.body["version"], 1);
    let reply = server
        .call(
            Method::PUT,
            "/api/v1/ar/overlay?vehicle=harley-street-750-2022",
            Some(admin),
            Some(pack.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    // Any signed-in user reads what was published.
    let got = server
        .call(
            Method::GET,
            "/api/v1/ar/overlay?vehicle=harley-street-750-2022",
            Some(&rider),
            None,
        )
        .await;
    assert_eq!(got.body, pack);
    let got = server
        .call(Method::GET, "/api/v1/plans/winter", Some(&rider), None)
        .await;
    assert_eq!(got.body["title"], "Winter prep");
}

#[tokio::test]
async fn an_account_can_export_and_delete_its_data() {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    let other = server.user("other@ridewire.test").await;
    let mut phone = crate::common::Device::new(1);
    let events = phone.steps(2);
    server.push(&token, phone.id(), &events).await;
    let mut other_phone = crate::common::Device::new(2);
    server
        .push(&other, other_phone.id(), &other_phone.steps(1))
        .await;
    let export = server
        .call(Method::GET, "/api/v1/me/export", Some(&token), None)
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.body["account"]["email"], "rider@ridewire.test");
    assert_eq!(
        export.body["events"],
        serde_json::to_value(&events).expect("json")
    );
    assert_eq!(export.body["devices"].as_array().map(Vec::len), Some(1));

    let deleted = server
        .call(Method::DELETE, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(me(&server, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(server.count("users"), 1);
    assert_eq!(
        server.count("events"),
        1,
        "only the other account's event stays"
    );
    assert_eq!(server.count("devices"), 1);
    // The phone may be set up again by a new account.
    let again = server.user("rider@ridewire.test").await;
    let reply = server.push(&again, phone.id(), &events).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_gives_roles_and_the_new_role_applies_at_once() {
    let server = TestServer::new();
    let seller = register(&server, "seller@ridewire.test").await;
    let seller_id = seller["user"]["id"].as_i64().expect("id");
    let seller_token = seller["access_token"].as_str().expect("token");
    let admin = server.user("admin@ridewire.test").await;
    let path = format!("/api/v1/users/{seller_id}/role");
    // Not an admin: refused, nothing changes.
    let reply = server
        .call(
            Method::PUT,
            &path,
            Some(seller_token),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = server
        .call(
            Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"role": "seller"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["role"], "seller");
    let me = server
        .call(Method::GET, "/api/v1/me", Some(seller_token), None)
        .await;
    assert_eq!(me.body["role"], "seller");
    for (path, body, status) in [
        (
            "/api/v1/users/9999/role",
            json!({"role": "seller"}),
            StatusCode::NOT_FOUND,
        ),
        (
            path.as_str(),
            json!({"role": "emperor"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/users/abc/role",
            json!({"role": "seller"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let reply = server
            .call(Method::PUT, path, Some(&admin), Some(body))
            .await;
        assert_eq!(reply.status, status, "{path}");
    }
}

async fn log_in(server: &TestServer, email: &str, password: &str) -> crate::common::Reply {
    server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
}

#[tokio::test]
async fn changing_the_password_needs_the_old_one_and_ends_every_other_login() {
    let server = TestServer::new();
    let phone = register(&server, "rider@ridewire.test").await;
    let phone = phone["access_token"].as_str().expect("token").to_owned();
    let laptop = log_in(&server, "rider@ridewire.test", PASSWORD).await;
    let laptop = laptop.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let change = |current: &str| json!({"current_password": current, "new_password": "a brand new passphrase"});
    let wrong = server
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&phone),
            Some(change("not my password")),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::FORBIDDEN, "wrong_password")
    );
    assert_eq!(
        me(&server, &laptop).await,
        StatusCode::OK,
        "nothing changed"
    );
    let done = server
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&phone),
            Some(change("correct horse battery")),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{:?}", done.body);
    assert_eq!(
        me(&server, &phone).await,
        StatusCode::OK,
        "this login stays"
    );
    assert_eq!(me(&server, &laptop).await, StatusCode::UNAUTHORIZED);
    let old = log_in(&server, "rider@ridewire.test", "correct horse battery").await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = log_in(&server, "rider@ridewire.test", "a brand new passphrase").await;
    assert_eq!(new.status, StatusCode::OK);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_login() {
    let server = TestServer::new();
    let phone = register(&server, "rider@ridewire.test").await;
    let laptop = log_in(&server, "rider@ridewire.test", "correct horse battery").await;
    let laptop_token = laptop.body["access_token"].as_str().expect("token");
    let phone_token = phone["access_token"].as_str().expect("token");
    let reply = server
        .call(
            Method::POST,
            "/api/v1/auth/logout-all",
            Some(laptop_token),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(me(&server, phone_token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&server, laptop_token).await, StatusCode::UNAUTHORIZED);
    let renewed = refresh(&server, phone["refresh_token"].as_str().expect("refresh")).await;
    assert_eq!(renewed.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn export_and_delete_need_a_fresh_login_and_a_login_has_an_absolute_lifetime() {
    let server = TestServer::new();
    let session = register(&server, "rider@ridewire.test").await;
    // Eleven minutes later, kept alive by a refresh: not fresh enough.
    server.clock.advance(11 * 60_000);
    let renewed = refresh(&server, session["refresh_token"].as_str().expect("refresh")).await;
    assert_eq!(renewed.status, StatusCode::OK);
    let token = renewed.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    for (method, path) in [
        (Method::GET, "/api/v1/me/export"),
        (Method::DELETE, "/api/v1/me"),
    ] {
        let reply = server.call(method, path, Some(&token), None).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::FORBIDDEN, "login_not_fresh"),
            "{path}"
        );
    }
    assert_eq!(me(&server, &token).await, StatusCode::OK, "still signed in");
    // Signing in again with the password opens both.
    let fresh = log_in(&server, "rider@ridewire.test", "correct horse battery").await;
    let fresh = fresh.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let export = server
        .call(Method::GET, "/api/v1/me/export", Some(&fresh), None)
        .await;
    assert_eq!(export.status, StatusCode::OK);

    // Refreshed every 20 days, the first login still ends after 90.
    let mut refresh_token = renewed.body["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    for _ in 0..4 {
        server.clock.advance(20 * 86_400_000);
        let next = refresh(&server, &refresh_token).await;
        assert_eq!(next.status, StatusCode::OK);
        refresh_token = next.body["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
    }
    server.clock.advance(20 * 86_400_000);
    let expired = refresh(&server, &refresh_token).await;
    assert_eq!(
        (expired.status, expired.code()),
        (StatusCode::UNAUTHORIZED, "login_expired")
    );
}
