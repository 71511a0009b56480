//! Versioned records two devices may both edit (a vehicle's notes and
//! details, AR anchor calibration): `PUT` an edit, `GET` the record.

use crate::store::{Connection, OptionalExtension, params};
use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use ridewire_engine::sync::Change;
use ridewire_engine::sync::record::{self, Conflict, Edit, EditError, Outcome, Record, RecordKind};
use serde_json::Value;

use crate::AppState;
use crate::auth::AuthUser;
use crate::config::Quota;
use crate::db::log_change;
use crate::error::{AppError, Result};
use crate::quota::charge;
use crate::routes::{Access, ApiJson, ApiPath, In, Param, Route, Values};

/// A record's address: its kind and key.
const ADDRESS: &[Param] = &[
    Param {
        name: "kind",
        place: In::Path,
        required: true,
        description: "What the record describes",
        values: Values::OneOf(&["vehicle", "ar_anchor", "plan", "booking"]),
    },
    Param {
        name: "key",
        place: In::Path,
        required: true,
        description: "Which one: 1 to 64 characters, no control characters",
        values: Values::Text {
            min: 1,
            max: record::MAX_NAME,
            pattern: r"^[^\x00-\x1f\x7f-\x9f]+$",
        },
    },
];

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/api/v1/records/{kind}/{key}",
            summary: "A versioned record of the user's (kind: vehicle, ar_anchor or plan)",
            access: Access::User,
            params: ADDRESS,
            request: None,
            responses: &[
                (200, "Record"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
            ],
            handler: get(get_record),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/records",
            summary: "Apply an edit to the record its kind and key name: fields changed by nobody else merge; overlapping ones (or a base version the server never gave out) come back as a conflict",
            access: Access::User,
            params: &[],
            request: Some("Edit"),
            responses: &[
                (200, "Record"),
                (400, "Error"),
                (401, "Error"),
                (409, "Conflict"),
                (413, "Error"),
            ],
            handler: put(put_record),
        },
    ]
}

fn kind_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Vehicle => "vehicle",
        RecordKind::ArAnchor => "ar_anchor",
        RecordKind::Plan => "plan",
        RecordKind::Booking => "booking",
    }
}

pub fn load(conn: &Connection, user: i64, kind: RecordKind, key: &str) -> Result<Option<Record>> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM records WHERE user_id = ?1 AND kind = ?2 AND key = ?3",
            params![user, kind_name(kind), key],
            |r| r.get(0),
        )
        .optional()?;
    body.map(|b| {
        serde_json::from_str(&b)
            .map_err(|e| AppError::Internal(format!("stored record is unreadable: {e}")))
    })
    .transpose()
}

async fn get_record(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((kind, key)): ApiPath<(RecordKind, String)>,
) -> Result<Json<Record>> {
    let record = state
        .db
        .read(move |conn| load(conn, user.id, kind, &key))
        .await?;
    record
        .map(Json)
        .ok_or_else(|| AppError::NotFound("no such record".into()))
}

fn edit_error(e: EditError) -> AppError {
    let code = match e {
        EditError::FutureBase { .. } => "future_base_version",
        EditError::WrongRecord => "wrong_record",
        _ => "invalid_edit",
    };
    AppError::bad_request(code, e.to_string())
}

/// Characters of a VIN the server may keep (SPEC, privacy): the last six
/// identify a bike to its owner without identifying it to anyone else.
const VIN_CHARS_KEPT: usize = 6;

/// Refuses a full VIN rather than storing it: a field named `vin` (any
/// case) at any depth of the edit's values must be `null` or a string of at
/// most the kept characters.
fn check_privacy(edit: &Edit) -> Result<()> {
    fn holds_full_vin(name: &str, value: &Value) -> bool {
        if name.eq_ignore_ascii_case("vin") {
            let kept = match value {
                Value::Null => true,
                Value::String(v) => v.trim().chars().count() <= VIN_CHARS_KEPT,
                _ => false,
            };
            if !kept {
                return true;
            }
        }
        match value {
            Value::Object(fields) => fields.iter().any(|(k, v)| holds_full_vin(k, v)),
            Value::Array(items) => items.iter().any(|v| holds_full_vin(name, v)),
            _ => false,
        }
    }
    if edit
        .changes
        .iter()
        .any(|(name, value)| holds_full_vin(name, value))
    {
        return Err(AppError::bad_request(
            "full_vin",
            format!("store only the last {VIN_CHARS_KEPT} characters of a VIN"),
        ));
    }
    Ok(())
}

async fn put_record(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(edit): ApiJson<Edit>,
) -> Result<Response> {
    edit.validate().map_err(edit_error)?;
    if edit.kind == RecordKind::Booking {
        return Err(AppError::bad_request(
            "server_only",
            "bookings are written by the server: book, move or cancel through the workshop",
        ));
    }
    check_privacy(&edit)?;
    let quota = state.config.quota;
    let outcome = state
        .db
        .write(move |tx| write_edit(tx, quota, user.id, &edit))
        .await?;
    Ok(match outcome {
        Outcome::Applied(record) => Json(record).into_response(),
        Outcome::Conflict(conflict) => (StatusCode::CONFLICT, Json(conflict)).into_response(),
    })
}

/// Applies `edit` to `user`'s record: stored with its new version, charged
/// to the quota and logged for the user's devices to pull, when it changed
/// anything; a conflict comes back as the outcome.
pub fn write_edit(tx: &Connection, quota: Quota, user: i64, edit: &Edit) -> Result<Outcome> {
    let (kind, key) = (edit.kind, edit.key.clone());
    let current = load(tx, user, kind, &key)?.unwrap_or_else(|| Record::empty(kind, &key));
    let outcome = match record::apply(&current, edit) {
        // The device saw a version this server never gave out (it
        // was restored from an older backup, say): every field of
        // the edit is in question, and the record as it is here
        // goes back for the rider to compare with.
        Err(EditError::FutureBase { .. }) => Outcome::Conflict(Conflict {
            fields: edit.changes.keys().cloned().collect(),
            current: current.clone(),
        }),
        other => other.map_err(edit_error)?,
    };
    if let Outcome::Applied(next) = &outcome
        && next.version != current.version
    {
        let body = serde_json::to_string(next)
            .map_err(|e| AppError::Internal(format!("encoding: {e}")))?;
        let held: Option<i64> = tx
            .query_row(
                "SELECT octet_length(body) FROM records
                 WHERE user_id = ?1 AND kind = ?2 AND key = ?3",
                params![user, kind_name(kind), key],
                |r| r.get(0),
            )
            .optional()?;
        let rows = i64::from(held.is_none());
        charge(tx, quota, user, rows, body.len() as i64 - held.unwrap_or(0))?;
        tx.execute(
            "INSERT INTO records (user_id, kind, key, version, body) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (user_id, kind, key) DO UPDATE SET version = ?4, body = ?5",
            params![user, kind_name(kind), key, next.version as i64, body],
        )?;
        let subject = format!("record:{}:{key}", kind_name(kind));
        log_change(
            tx,
            Some(user),
            Some(&subject),
            &Change::Record {
                record: next.clone(),
            },
        )?;
    }
    Ok(outcome)
}
