//! `POST /api/v1/diagnostics` (ask the agents, gate, store, earn XP),
//! `GET /api/v1/diagnostics/{id}`, the history `GET /api/v1/diagnostics`, and
//! the rider's note on a run `PUT /api/v1/diagnostics/{id}/feedback`.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post, put};
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use ridewire_engine::sync::runs::History;

use crate::agents::runs::{self, RunFeedback, StoredRun};
use crate::auth::AuthUser;
use crate::error::{AppError, Result};
use crate::routes::{Access, ApiJson, ApiPath, ApiQuery, In, Param, Route, Values};

const RUN_ID: Param = Param {
    name: "id",
    place: In::Path,
    required: true,
    description: "The run's id",
    values: Values::Uuid,
};

/// Runs per history page when the client does not say.
pub const DEFAULT_PAGE: usize = 20;
/// Most runs per history page.
pub const MAX_PAGE: usize = 100;
pub use ridewire_engine::sync::MAX_FEEDBACK_CHARS;

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/api/v1/diagnostics",
            summary: "Ask every diagnosis agent, gate their consensus for safety, store the run and record it as a DiagnosticRun event (10 XP)",
            access: Access::User,
            params: &[],
            request: Some("DiagnosticRequest"),
            responses: &[
                (201, "DiagnosticRun"),
                (400, "Error"),
                (401, "Error"),
                (413, "Error"),
                (429, "Error"),
            ],
            handler: post(run),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/diagnostics",
            summary: "The user's diagnostic runs, newest first, a page at a time",
            access: Access::User,
            params: &[
                Param {
                    name: "before",
                    place: In::Query,
                    required: false,
                    description: "Id of the last run of the previous page; absent for the newest",
                    values: Values::Uuid,
                },
                Param {
                    name: "limit",
                    place: In::Query,
                    required: false,
                    description: "Most runs to return (default 20)",
                    values: Values::Integer {
                        min: 1,
                        max: MAX_PAGE as i64,
                    },
                },
            ],
            request: None,
            responses: &[
                (200, "DiagnosticHistory"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(history),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/diagnostics/{id}",
            summary: "One of the user's diagnostic runs, whole",
            access: Access::User,
            params: &[RUN_ID],
            request: None,
            responses: &[
                (200, "DiagnosticRun"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(one),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/diagnostics/{id}/feedback",
            summary: "Keep the rider's note on one of their runs (did the fix work?); of two notes the later-written one is kept, and the note kept is answered",
            access: Access::User,
            params: &[RUN_ID],
            request: Some("DiagnosticFeedback"),
            responses: &[
                (200, "RunFeedback"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (413, "Error"),
                (429, "Error"),
            ],
            handler: put(feedback),
        },
    ]
}

/// The body of `POST /api/v1/diagnostics`: the engine's request, and the
/// rider's UTC offset for the event (streaks count local days).
#[derive(Debug, Deserialize)]
struct NewRun {
    #[serde(flatten)]
    request: DiagnosticRequest,
    #[serde(default)]
    utc_offset_min: i16,
}

async fn run(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<NewRun>,
) -> Result<(StatusCode, Json<StoredRun>)> {
    // The range the sync code accepts for any event; checked before any
    // provider is asked.
    if !(-14 * 60..=14 * 60).contains(&body.utc_offset_min) {
        return Err(AppError::bad_request(
            "invalid_utc_offset",
            "utc_offset_min must be within ±14 hours (±840 minutes)",
        ));
    }
    state
        .limits
        .diagnoses_per_user
        .take(&user.id, state.clock.now_ms())?;
    let request = body.request;
    let budget = (state.agent_budget.as_ref(), state.clock.now_ms());
    let panel = state
        .agents
        .ask_within(&request, Some(budget))
        .await
        .map_err(|e| AppError::bad_request("invalid_request", e.to_string()))?;
    let now = state.clock.now_ms();
    let progress = std::sync::Arc::clone(&state.progress);
    let offset = body.utc_offset_min;
    let quota = state.config.quota;
    // Fold the rider's history now, under a read permit, if the cache has
    // none: the writer then only adds the new event to it.
    let warm = std::sync::Arc::clone(&progress);
    let user_id = user.id;
    if let Some(refold) = state
        .db
        .read(move |conn| match warm.summary(conn, user_id)? {
            crate::sync::progress::Folding::Done(_) => Ok(None),
            crate::sync::progress::Folding::Refold(refold) => Ok(Some(refold)),
        })
        .await?
    {
        let folds = std::sync::Arc::clone(&progress);
        tokio::task::spawn_blocking(move || folds.finish(refold)).await??;
    }
    let stored = state
        .db
        .write(move |tx| {
            let (_, catalog) = progress.catalog(tx)?;
            runs::record(
                tx, &progress, &catalog, quota, user.id, now, offset, request, panel,
            )
        })
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

async fn one(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<StoredRun>> {
    let not_found = || AppError::NotFound("no such diagnostic run".into());
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    state
        .db
        .read(move |conn| runs::load(conn, user.id, id))
        .await?
        .map(Json)
        .ok_or_else(not_found)
}

/// The body of `PUT /api/v1/diagnostics/{id}/feedback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFeedback {
    /// The note, at most [`MAX_FEEDBACK_CHARS`] characters.
    feedback: String,
    /// When the rider wrote it, Unix milliseconds by the device's clock.
    at_ms: i64,
}

async fn feedback(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewFeedback>,
) -> Result<Json<RunFeedback>> {
    let chars = body.feedback.chars().count();
    if chars > MAX_FEEDBACK_CHARS {
        return Err(AppError::bad_request(
            "feedback_too_long",
            format!("the note has {chars} characters; at most {MAX_FEEDBACK_CHARS} are kept"),
        ));
    }
    let not_found = || AppError::NotFound("no such diagnostic run".into());
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    // A device clock far ahead must not pin its note against every later
    // one: its time counts as at most as far ahead as an event's may be.
    let latest = state
        .clock
        .now_ms()
        .saturating_add(ridewire_engine::sync::MAX_CLOCK_AHEAD_MS);
    let at_ms = body.at_ms.clamp(0, latest);
    let text = body.feedback;
    let quota = state.config.quota;
    state
        .db
        .write(move |tx| runs::set_feedback(tx, quota, user.id, id, &text, at_ms))
        .await?
        .map(Json)
        .ok_or_else(not_found)
}

#[derive(Debug, Deserialize)]
struct HistoryQuery {
    before: Option<String>,
    limit: Option<usize>,
}

async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<History>> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    let before = match query.before {
        Some(b) => Some(b.parse::<Uuid>().map_err(|_| {
            AppError::bad_request("invalid_cursor", "`before` must be a run id (a UUID)")
        })?),
        None => None,
    };
    let unknown = || AppError::NotFound("`before` is not one of your diagnostic runs".into());
    // One more than asked tells whether another page follows.
    let mut runs = state
        .db
        .read(move |conn| runs::history(conn, user.id, before, limit + 1))
        .await?
        .ok_or_else(unknown)?;
    let next_before = if runs.len() > limit {
        runs.truncate(limit);
        runs.last().map(|r| r.id)
    } else {
        None
    };
    Ok(Json(History { runs, next_before }))
}
