//! `POST /api/v1/sync/push` and `GET /api/v1/sync/pull`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ridewire_engine::event::DeviceId;
use ridewire_engine::sync::{Cursor, MAX_PULL_CHANGES, MAX_PUSH_EVENTS};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{AppError, Result};
use crate::routes::{Access, ApiQuery, In, Param, Route, Values};
use crate::sync::push::{self, PushOutcome, Writer};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/api/v1/sync/push",
            summary: "Store the next events of one device's chain, exactly once",
            access: Access::User,
            params: &[],
            request: Some("PushRequest"),
            responses: &[
                (200, "PushResponse"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (409, "Gap"),
                (413, "Error"),
                (429, "Error"),
            ],
            handler: post(push_events),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/sync/pull",
            summary: "Changes after a cursor: the user's events, plans, catalogue, overlay packs, records; and the server's progress. With `wait`, an answer with nothing new is held until a change for the user is committed (or the wait is over), so a device hears of news at once without asking again and again",
            access: Access::User,
            params: &[
                Param {
                    name: "cursor",
                    place: In::Query,
                    required: false,
                    description: "EPOCH.POSITION from the last pull; empty or absent for the start",
                    values: Values::Text {
                        min: 0,
                        max: 84,
                        pattern: r"^([A-Za-z0-9_-]{1,64}\.[0-9]{1,19})?$",
                    },
                },
                Param {
                    name: "limit",
                    place: In::Query,
                    required: false,
                    description: "Most changes to return (default 1000)",
                    values: Values::Integer {
                        min: 1,
                        max: MAX_PULL_CHANGES as i64,
                    },
                },
                Param {
                    name: "wait",
                    place: In::Query,
                    required: false,
                    description: "Long poll: when nothing is new after the cursor, hold the answer up to this many seconds until something is (default 0: answer at once)",
                    values: Values::Integer {
                        min: 0,
                        max: MAX_WAIT_S as i64,
                    },
                },
            ],
            request: None,
            responses: &[
                (200, "PullResponse"),
                (400, "Error"),
                (401, "Error"),
                (429, "Error"),
            ],
            handler: get(pull_changes),
        },
    ]
}

/// Reads the batch envelope; the events stay raw JSON so each is judged on
/// its own.
fn read_batch(body: &[u8]) -> Result<(DeviceId, Vec<Value>)> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::bad_request("invalid_json", format!("the body is not JSON: {e}")))?;
    let Value::Object(mut fields) = value else {
        return Err(AppError::bad_request(
            "invalid_body",
            "expected {\"device\": UUID, \"events\": [...]}",
        ));
    };
    let device: DeviceId = fields
        .remove("device")
        .and_then(|d| serde_json::from_value(d).ok())
        .ok_or_else(|| AppError::bad_request("invalid_body", "`device` must be a UUID"))?;
    let Some(Value::Array(events)) = fields.remove("events") else {
        return Err(AppError::bad_request(
            "invalid_body",
            "`events` must be an array",
        ));
    };
    if let Some(at) = events.iter().position(|e| !e.is_object()) {
        return Err(AppError::bad_request(
            "invalid_body",
            format!("events[{at}] is not a JSON object"),
        ));
    }
    if events.len() > MAX_PUSH_EVENTS {
        // A malformed batch, as the document's `maxItems` says (413 is for
        // a body over the byte limit, on which the sync client halves its
        // batches).
        return Err(AppError::bad_request(
            "too_many_events",
            format!(
                "a push may carry at most {MAX_PUSH_EVENTS} events, this one has {}",
                events.len()
            ),
        ));
    }
    Ok((device, events))
}

async fn push_events(
    State(state): State<AppState>,
    user: AuthUser,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let (device, events) = read_batch(&body?)?;
    let now = state.clock.now_ms();
    let quota = state.config.quota;
    let progress = state.progress.clone();
    let outcome = state
        .db
        .write(move |tx| {
            let outcome = push::push(tx, user.id, now, device, &events, Writer::Device, quota)?;
            crate::leaderboard::refresh(tx, &progress, user.id, now)?;
            Ok(outcome)
        })
        .await?;
    Ok(match outcome {
        PushOutcome::Acked(answer) => Json(answer).into_response(),
        PushOutcome::Gap(gap) => (StatusCode::CONFLICT, Json(gap)).into_response(),
    })
}

/// Longest a pull may wait for news, in seconds (below common proxies'
/// idle timeouts).
pub const MAX_WAIT_S: u64 = 50;

#[derive(Debug, Deserialize)]
struct PullQuery {
    #[serde(default)]
    cursor: String,
    limit: Option<usize>,
    #[serde(default)]
    wait: u64,
}

async fn pull_changes(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Response> {
    let cursor: Cursor = query
        .cursor
        .parse()
        .map_err(|e: ridewire_engine::sync::BadCursor| {
            AppError::bad_request("invalid_cursor", e.to_string())
        })?;
    let limit = query.limit.unwrap_or(MAX_PULL_CHANGES);
    if !(1..=MAX_PULL_CHANGES).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            format!("limit must be 1 to {MAX_PULL_CHANGES}"),
        ));
    }
    if query.wait > MAX_WAIT_S {
        return Err(AppError::bad_request(
            "invalid_wait",
            format!("wait is 0 to {MAX_WAIT_S} seconds"),
        ));
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(query.wait);
    let folds = std::sync::Arc::clone(&state.progress);
    let read = || {
        let (progress, epoch) = (
            std::sync::Arc::clone(&state.progress),
            state.db.epoch().to_owned(),
        );
        let (cursor, db) = (cursor.clone(), state.db.clone());
        async move {
            let (page, refold) = db
                .read(move |conn| {
                    crate::sync::pull::pull(conn, &progress, &epoch, user.id, &cursor, limit)
                })
                .await?;
            let news = page.reset || !page.changes.is_empty();
            Ok::<_, AppError>(((page, refold), news))
        }
    };
    let (mut page, refold) = if query.wait == 0 {
        read().await?.0
    } else {
        state
            .db
            .waiters()
            .long_poll(user.id, deadline, read)
            .await?
    };
    let body = tokio::task::spawn_blocking(move || {
        // A back-dated event: the whole history is folded here, with no
        // database permit held.
        if let Some(refold) = refold {
            page.progress = folds.finish(refold)?;
        }
        page.to_json()
    })
    .await??;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
