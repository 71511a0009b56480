//! `POST /api/v1/validations`: another rider or a mechanic vouches for a
//! rider's quest completion. The rider shares the completion's event id (a
//! link or QR code); whoever holds it and is signed in to another account
//! may validate it once. The server records a `ProofValidated` event on the
//! rider's server device, so the community multiplier comes from accounts
//! the server knows, never from the rider's own devices.
//!
//! `GET /api/v1/validations/{completion}` shows the holder of the id what
//! they are asked to vouch for: the quest, when it was completed, the photo
//! that proved it (with the time and place the rider chose to share) and
//! how many have vouched so far.

use crate::store::{OptionalExtension, params};
use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ridewire_engine::event::{Event, EventKind};
use ridewire_engine::geo::GeoPoint;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{AppError, Result};
use crate::routes::{Access, ApiJson, ApiPath, In, Param, Route, Values};
use crate::sync::server_device;

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
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
        },
        Route {
            method: Method::GET,
            path: "/api/v1/validations/{completion}",
            summary: "What a rider's quest completion shows to whoever holds its id (the rider or any other account): the quest, when, the photo that proved it (only the time and place the rider shared) and how many vouched; 404 for an id that is not an accepted quest_completed event",
            access: Access::User,
            params: &[COMPLETION],
            request: None,
            responses: &[
                (200, "CompletionProof"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(look),
        },
    ]
}

const COMPLETION: Param = Param {
    name: "completion",
    place: In::Path,
    required: true,
    description: "Id of the rider's quest_completed event (the code they shared)",
    values: Values::Uuid,
};

/// A completion as the holder of its id sees it.
#[derive(Debug, Serialize)]
struct CompletionProof {
    completion: Uuid,
    quest: String,
    completed_ms: i64,
    photo: Option<ShownPhoto>,
    validators: i64,
    validated_by_you: bool,
}

/// The photo that proved a completion.
#[derive(Debug, Serialize)]
struct ShownPhoto {
    sha256: String,
    bytes: u32,
    width: u32,
    height: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    taken_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<GeoPoint>,
    /// The JPEG, standard base64.
    jpeg: String,
}

/// The photo that proved the completion stored at `row` of `owner`'s
/// events: named by the newest accepted `photo_submitted` event of the quest
/// stored before it, unless the quest was completed again in between (that
/// photo proved the earlier completion).
fn photo_of(
    tx: &crate::store::Connection,
    owner: i64,
    row: i64,
    quest: &str,
) -> Result<Option<ShownPhoto>> {
    // Walks the owner's events back from the completion (events_user) and
    // stops at the first of either kind.
    let newest: Option<String> = tx
        .query_row(
            &format!(
                "SELECT body FROM events
                 WHERE user_id = ?1 AND id < ?2 AND rejected IS NULL
                   AND {} IN ('photo_submitted', 'quest_completed')
                   AND {} = ?3
                 ORDER BY id DESC LIMIT 1",
                tx.json_text("body", "kind"),
                tx.json_text("body", "quest")
            ),
            params![owner, row, quest],
            |r| r.get(0),
        )
        .optional()?;
    let Some(Event {
        kind: EventKind::PhotoSubmitted { photo, .. },
        ..
    }) = newest.as_deref().map(stored_event).transpose()?
    else {
        return Ok(None);
    };
    // A push accepts a photo event only once the photo is stored, and the
    // photo goes only with the account (and its events).
    let jpeg: Vec<u8> = tx
        .query_row(
            "SELECT jpeg FROM photos WHERE user_id = ?1 AND sha256 = ?2",
            params![owner, photo.sha256],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "the photo {} of an accepted photo event is not stored",
                photo.sha256
            ))
        })?;
    Ok(Some(ShownPhoto {
        sha256: photo.sha256,
        bytes: photo.bytes,
        width: photo.width,
        height: photo.height,
        taken_ms: photo.taken_ms,
        at: photo.at,
        jpeg: STANDARD.encode(jpeg),
    }))
}

fn no_completion() -> AppError {
    AppError::NotFound("no such quest completion".into())
}

fn stored_event(body: &str) -> Result<Event> {
    serde_json::from_str(body)
        .map_err(|e| AppError::Internal(format!("stored event is unreadable: {e}")))
}

async fn look(
    State(state): State<AppState>,
    asker: AuthUser,
    ApiPath(completion): ApiPath<String>,
) -> Result<Json<CompletionProof>> {
    let completion: Uuid = completion.parse().map_err(|_| no_completion())?;
    let shown = state
        .db
        .read(move |conn| {
            let tx = conn.unchecked_transaction()?;
            let (row, owner, body): (i64, i64, String) = tx
                .query_row(
                    "SELECT id, user_id, body FROM events WHERE event_id = ?1 AND rejected IS NULL",
                    [completion.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .ok_or_else(no_completion)?;
            let event = stored_event(&body)?;
            let EventKind::QuestCompleted { quest } = event.kind else {
                return Err(no_completion());
            };
            let photo = photo_of(&tx, owner, row, quest.as_str())?;
            let (validators, validated_by_you): (i64, bool) = tx.query_row(
                "SELECT count(*), count(CASE WHEN validator_id = ?2 THEN 1 END) > 0 FROM validations
                 WHERE completion = ?1",
                params![completion.to_string(), asker.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(CompletionProof {
                completion,
                quest: quest.as_str().to_owned(),
                completed_ms: event.at_ms,
                photo,
                validators,
                validated_by_you,
            })
        })
        .await?;
    Ok(Json(shown))
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
            let (owner, stored): (i64, String) = tx
                .query_row(
                    "SELECT user_id, body FROM events WHERE event_id = ?1 AND rejected IS NULL",
                    [completion.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(no_completion)?;
            let EventKind::QuestCompleted { quest } = stored_event(&stored)?.kind else {
                return Err(no_completion());
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
