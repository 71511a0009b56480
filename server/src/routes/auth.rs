//! Accounts: register, log in, refresh, log out.

use crate::store::{OptionalExtension, params};
use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::post;
use ridewire_engine::sync::api::{Credentials, PasswordChange, RefreshRequest};

use crate::AppState;
use crate::auth::tokens::{self, Account, Session};
use crate::auth::{AuthUser, Role, password};
use crate::error::{AppError, Result};
use crate::routes::{Access, ApiJson, Route};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/api/v1/auth/register",
            summary: "Create an account and log in",
            access: Access::Public,
            params: &[],
            request: Some("Credentials"),
            responses: &[
                (201, "Session"),
                (400, "Error"),
                (409, "Error"),
                (429, "Error"),
                (503, "Error"),
            ],
            handler: post(register),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/auth/login",
            summary: "Log in with e-mail and password",
            access: Access::Public,
            params: &[],
            request: Some("Credentials"),
            responses: &[
                (200, "Session"),
                (400, "Error"),
                (401, "Error"),
                (429, "Error"),
                (503, "Error"),
            ],
            handler: post(login),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/auth/refresh",
            summary: "Exchange a refresh token for a new pair (the old one stops working)",
            access: Access::Public,
            params: &[],
            request: Some("RefreshRequest"),
            responses: &[
                (200, "Session"),
                (400, "Error"),
                (401, "Error"),
                (429, "Error"),
            ],
            handler: post(refresh),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/auth/logout",
            summary: "End this login: its access and refresh tokens stop working",
            access: Access::User,
            params: &[],
            request: None,
            responses: &[(204, ""), (401, "Error")],
            handler: post(logout),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/auth/logout-all",
            summary: "Sign out everywhere: every login of the account ends, this one included",
            access: Access::User,
            params: &[],
            request: None,
            responses: &[(204, ""), (401, "Error"), (429, "Error")],
            handler: post(logout_all),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/auth/password",
            summary: "Change the password (the current one is needed); every other login ends",
            access: Access::User,
            params: &[],
            request: Some("PasswordChange"),
            responses: &[
                (204, ""),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (429, "Error"),
                (503, "Error"),
            ],
            handler: post(change_password),
        },
    ]
}

/// How recent a login must be for what cannot be undone (deleting the
/// account) or gives everything away (the export): a stolen token that has
/// been refreshed for weeks is not enough.
pub const FRESH_LOGIN_MS: i64 = 10 * 60 * 1000;

/// Refuses unless `user`'s login started within [`FRESH_LOGIN_MS`].
pub async fn require_fresh_login(state: &AppState, user: &AuthUser) -> Result<()> {
    let family = user.family.clone();
    let started: Option<i64> = state
        .db
        .read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT created_ms FROM token_families WHERE id = ?1",
                    [&family],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await?;
    let now = state.clock.now_ms();
    match started {
        Some(at) if now - at <= FRESH_LOGIN_MS => Ok(()),
        _ => Err(AppError::forbidden(
            "login_not_fresh",
            "sign in again with your password first (within the last 10 minutes)",
        )),
    }
}

/// Longest e-mail address accepted, in characters (spaces around it
/// included).
pub const MAX_EMAIL_CHARS: usize = 254;

/// The rule [`normalise_email`] checks, as the OpenAPI document states it:
/// a local part, `@`, a domain with a dot; no spaces or control characters
/// except around the address.
/// (Spaces are Unicode's White_Space, what Rust's `trim` and
/// `is_whitespace` mean, spelt out so every regex engine reads them alike.)
pub const EMAIL_PATTERN: &str = concat!(
    r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*",
    r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@\x00-\x1f\x7f-\x9f]+@",
    r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f]*\.",
    r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f]*",
    r"[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
);

/// Checks and lower-cases an e-mail address (a light check: it is a login
/// name, not a mailbox we write to).
fn normalise_email(email: &str) -> Result<String> {
    let trimmed = email.trim();
    let ok = email.chars().count() <= MAX_EMAIL_CHARS
        && trimmed
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(trimmed.to_lowercase())
    } else {
        Err(AppError::bad_request(
            "invalid_email",
            "the e-mail address is not valid",
        ))
    }
}

/// A slot to hash a password in: Argon2id takes memory and a core each, so
/// only `max_concurrent_hashes` run at once; others queue a little, then
/// are told to come back (`Config::hash_queue_wait_ms`).
async fn hashing_permit(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit> {
    let slots = std::sync::Arc::clone(&state.hashing);
    let wait = std::time::Duration::from_millis(state.config.hash_queue_wait_ms);
    match tokio::time::timeout(wait, slots.acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) => Err(AppError::Internal("the hashing slots are closed".into())),
        Err(_) => Err(AppError::Busy { retry_after_s: 2 }),
    }
}

async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<Session>)> {
    let email = normalise_email(&body.email)?;
    password::check_new(&body.password)?;
    let config = std::sync::Arc::clone(&state.config);
    let _permit = hashing_permit(&state).await?;
    let hash =
        tokio::task::spawn_blocking(move || password::hash(&config, &body.password)).await??;
    // Never an admin, whatever the e-mail: anyone may register any address,
    // so an admin is made only by the operator (`ridewire-server admin
    // grant`) or by `--admin` promoting an account that already exists.
    let role = Role::User;
    let now = state.clock.now_ms();
    let config = std::sync::Arc::clone(&state.config);
    let key = state.email_key.clone();
    let session = state
        .db
        .write(move |tx| {
            let lookup = key.lookup(&email);
            let taken: Option<i64> = tx
                .query_row("SELECT id FROM users WHERE email = ?1", [&lookup], |r| {
                    r.get(0)
                })
                .optional()?;
            if taken.is_some() {
                return Err(AppError::conflict(
                    "email_taken",
                    "an account with this e-mail already exists",
                ));
            }
            let id = tx.query_row(
                "INSERT INTO users (email, email_enc, password_hash, role, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![lookup, key.seal(&email)?, hash, role.as_str(), now],
                |r| r.get(0),
            )?;
            let account = Account { id, email, role };
            tokens::start_session(tx, &config, account, now)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(session)))
}

async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Json<Session>> {
    let refused = || AppError::unauthorized("invalid_credentials", "wrong e-mail or password");
    let Ok(email) = normalise_email(&body.email) else {
        return Err(refused());
    };
    if body.password.chars().count() > password::MAX_PASSWORD_CHARS {
        return Err(refused());
    }
    // One account's password guessed from many addresses: its own bucket.
    state
        .limits
        .login_per_account
        .take(&email, state.clock.now_ms())?;
    let lookup = state.email_key.lookup(&email);
    let found = state
        .db
        .read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, password_hash, role FROM users WHERE email = ?1",
                    [&lookup],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )
                .optional()?)
        })
        .await?;
    let config = std::sync::Arc::clone(&state.config);
    let _permit = hashing_permit(&state).await?;
    let (account, matches) = tokio::task::spawn_blocking(move || -> Result<_> {
        match found {
            Some((id, stored, role)) => Ok((
                Some(Account {
                    id,
                    email,
                    role: Role::from_stored(&role),
                }),
                password::verify(&body.password, &stored),
            )),
            None => {
                // Spend the same time as a real check so timing does not
                // tell which e-mails have accounts.
                let _ = password::hash(&config, &body.password)?;
                Ok((None, false))
            }
        }
    })
    .await??;
    let Some(account) = account.filter(|_| matches) else {
        return Err(refused());
    };
    let now = state.clock.now_ms();
    let config = std::sync::Arc::clone(&state.config);
    let session = state
        .db
        .write(move |tx| tokens::start_session(tx, &config, account, now))
        .await?;
    Ok(Json(session))
}

async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<Session>> {
    if body.refresh_token.len() > 256 {
        return Err(AppError::unauthorized(
            "invalid_token",
            "the refresh token is not valid",
        ));
    }
    let now = state.clock.now_ms();
    let config = std::sync::Arc::clone(&state.config);
    let state_key = state.email_key.clone();
    let answer = state
        .db
        .write(move |tx| {
            let answer = tokens::refresh(tx, &config, &state_key, &body.refresh_token, now)?;
            if !matches!(&answer, Err(e) if e.code() == "invalid_token") {
                crate::auth::revocation(tx)?;
            }
            Ok(answer)
        })
        .await?;
    // Every outcome but a refused unknown token revoked something: the
    // old access tokens of this login (refreshed), or the whole login.
    if !matches!(&answer, Err(e) if e.code() == "invalid_token") {
        state.tokens.revoked();
    }
    answer.map(Json)
}

async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode> {
    state
        .db
        .write(move |tx| tokens::revoke_family(tx, &user.family))
        .await?;
    state.tokens.revoked();
    Ok(StatusCode::NO_CONTENT)
}

async fn logout_all(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode> {
    state
        .db
        .write(move |tx| {
            tx.execute("DELETE FROM token_families WHERE user_id = ?1", [user.id])?;
            crate::auth::revocation(tx)
        })
        .await?;
    state.tokens.revoked();
    Ok(StatusCode::NO_CONTENT)
}

async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode> {
    password::check_new(&body.new_password)?;
    let wrong = || {
        AppError::forbidden(
            "wrong_password",
            "the current password is not right; nothing was changed",
        )
    };
    if body.current_password.chars().count() > password::MAX_PASSWORD_CHARS {
        return Err(wrong());
    }
    let id = user.id;
    let stored: String = state
        .db
        .read(move |conn| {
            Ok(
                conn.query_row("SELECT password_hash FROM users WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?,
            )
        })
        .await?;
    let config = std::sync::Arc::clone(&state.config);
    let _permit = hashing_permit(&state).await?;
    let new_hash = tokio::task::spawn_blocking(move || -> Result<Option<String>> {
        if !password::verify(&body.current_password, &stored) {
            return Ok(None);
        }
        password::hash(&config, &body.new_password).map(Some)
    })
    .await??
    .ok_or_else(wrong)?;
    state
        .db
        .write(move |tx| {
            tx.execute(
                "UPDATE users SET password_hash = ?1 WHERE id = ?2",
                params![new_hash, user.id],
            )?;
            // Whoever else knew the old password is signed out; this login
            // stays.
            tx.execute(
                "DELETE FROM token_families WHERE user_id = ?1 AND id <> ?2",
                params![user.id, user.family],
            )?;
            crate::auth::revocation(tx)
        })
        .await?;
    state.tokens.revoked();
    Ok(StatusCode::NO_CONTENT)
}
