//! `POST /api/v1/validations`: another rider or a mechanic vouches for a
//! rider's quest completion. The rider shares the completion's event id (a
//! link or QR code); whoever holds it and is signed in to another account
//! may validate it once. The server records a `ProofValidated` event on the
//! rider's server device, so the community multiplier comes from accounts
//! the server knows, never from the rider's own devices.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::post;
use ridewire_engine::event::{Event, EventKind};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{AppError, Result};
use crate::routes::{Access, ApiJson, Route};
use crate::sync::server_device;

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route {
        method: Method::POST,
        path: "/api/v1/validations",
        summary: "Vouch for another rider's quest completion (once per completion and account; never one's own)",
        access: Access::User,
        params: &[],
        request: Some("NewValidation"),
        responses: &[
            (201, "Validation"),
            (400, "Error"),
            (401, "Error"),
            (403, "Error"),
            (404, "Error"),
            (409, "Error"),
            (413, "Error"),
            (429, "Error"),
        ],
        handler: post(validate),
    }]
}

/// The body: which completion.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewValidation {
    /// The id of the rider's `QuestCompleted` event.
    completion: Uuid,
}

/// What was recorded.
#[derive(Debug, Serialize)]
struct Validation {
    completion: Uuid,
    quest: String,
    /// The `ProofValidated` event recorded for the rider.
    event_id: Uuid,
}

/// How an account appears as a validator in the rider's events.
pub fn validator_name(account: i64) -> String {
    format!("account:{account}")
}

async fn validate(
    State(state): State<AppState>,
    validator: AuthUser,
    ApiJson(body): ApiJson<NewValidation>,
) -> Result<(StatusCode, Json<Validation>)> {
    let now = state.clock.now_ms();
    let quota = state.config.quota;
    let progress = state.progress.clone();
    let completion = body.completion;
    let recorded = state
        .db
        .write(move |tx| {
            let not_found = || AppError::NotFound("no such quest completion".into());
            let (owner, stored): (i64, String) = tx
                .query_row(
                    "SELECT user_id, body FROM events WHERE event_id = ?1 AND rejected IS NULL",
                    [completion.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(not_found)?;
            let event: Event = serde_json::from_str(&stored)
                .map_err(|e| AppError::Internal(format!("stored event is unreadable: {e}")))?;
            let EventKind::QuestCompleted { quest } = event.kind else {
                return Err(not_found());
            };
            if owner == validator.id {
                return Err(AppError::forbidden(
                    "self_validation",
                    "a rider cannot vouch for their own completion; ask another rider or a mechanic",
                ));
            }
            let fresh = tx.execute(
                "INSERT INTO validations (completion, validator_id, owner_id, event_id, created_ms)
                 VALUES (?1, ?2, ?3, '', ?4) ON CONFLICT DO NOTHING",
                params![completion.to_string(), validator.id, owner, now],
            )?;
            if fresh == 0 {
                return Err(AppError::conflict(
                    "already_validated",
                    "you have already vouched for this completion",
                ));
            }
            let kind = EventKind::ProofValidated {
                quest: quest.clone(),
                validator: validator_name(validator.id),
            };
            let recorded = server_device::append(tx, quota, owner, now, 0, kind)?;
            crate::leaderboard::refresh(tx, &progress, owner, now)?;
            tx.execute(
                "UPDATE validations SET event_id = ?1 WHERE completion = ?2 AND validator_id = ?3",
                params![recorded.id.0.to_string(), completion.to_string(), validator.id],
            )?;
            Ok(Validation {
                completion,
                quest: quest.as_str().to_owned(),
                event_id: recorded.id.0,
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}
