//! The account itself: who am I, export everything, delete everything.

use crate::store::Connection;
use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{delete, get};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ridewire_engine::event::Event;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::tokens::Account;
use crate::auth::{AuthUser, Role};
use crate::email::EmailKey;
use crate::error::{AppError, Result};
use crate::routes::auth::require_fresh_login;
use crate::routes::{Access, Route};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/api/v1/me",
            summary: "The account the token belongs to",
            access: Access::User,
            params: &[],
            request: None,
            responses: &[(200, "Account"), (401, "Error")],
            handler: get(me),
        },
        Route {
            method: Method::DELETE,
            path: "/api/v1/me",
            summary: "Delete the account and everything stored for it (needs a login made in the last 10 minutes)",
            access: Access::User,
            params: &[],
            request: None,
            responses: &[(204, ""), (401, "Error"), (403, "Error"), (429, "Error")],
            handler: delete(delete_me),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/me/export",
            summary: "Everything stored for the account, as JSON (needs a login made in the last 10 minutes)",
            access: Access::User,
            params: &[],
            request: None,
            responses: &[
                (200, "Export"),
                (401, "Error"),
                (403, "Error"),
                (429, "Error"),
            ],
            handler: get(export),
        },
    ]
}

fn account(conn: &Connection, key: &EmailKey, id: i64) -> Result<Account> {
    let role: String =
        conn.query_row("SELECT role FROM users WHERE id = ?1", [id], |r| r.get(0))?;
    Ok(Account {
        id,
        email: key.of_account(conn, id)?,
        role: Role::from_stored(&role),
    })
}

async fn me(State(state): State<AppState>, user: AuthUser) -> Result<Json<Account>> {
    let key = state.email_key.clone();
    let account = state
        .db
        .read(move |conn| account(conn, &key, user.id))
        .await?;
    Ok(Json(account))
}

fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("stored JSON: {e}")))
}

async fn export(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>> {
    require_fresh_login(&state, &user).await?;
    let key = state.email_key.clone();
    let export = state
        .db
        .read(move |conn| {
            let tx = conn.unchecked_transaction()?;
            let account = account(&tx, &key, user.id)?;
            let mut devices = Vec::new();
            let mut stmt = tx.prepare(
                "SELECT id, acked_through, created_ms FROM devices WHERE user_id = ?1 ORDER BY id",
            )?;
            let mut rows = stmt.query([user.id])?;
            while let Some(r) = rows.next()? {
                devices.push(json!({
                    "id": r.get::<_, String>(0)?,
                    "acked_through": r.get::<_, i64>(1)?,
                    "created_ms": r.get::<_, i64>(2)?,
                }));
            }
            let mut events: Vec<Event> = Vec::new();
            let mut rejected = Vec::new();
            let mut stmt = tx.prepare(
                "SELECT device, seq, body, rejected, received_ms FROM events
                 WHERE user_id = ?1 ORDER BY device, seq",
            )?;
            let mut rows = stmt.query([user.id])?;
            while let Some(r) = rows.next()? {
                let body: String = r.get(2)?;
                match r.get::<_, Option<String>>(3)? {
                    None => events.push(serde_json::from_str(&body).map_err(|e| {
                        AppError::Internal(format!("stored event is unreadable: {e}"))
                    })?),
                    Some(reason) => rejected.push(json!({
                        "device": r.get::<_, String>(0)?,
                        "seq": r.get::<_, i64>(1)?,
                        "reason": reason,
                        "received_ms": r.get::<_, i64>(4)?,
                        "body": parse(&body)?,
                    })),
                }
            }
            let mut records = Vec::new();
            let mut stmt =
                tx.prepare("SELECT body FROM records WHERE user_id = ?1 ORDER BY kind, key")?;
            let mut rows = stmt.query([user.id])?;
            while let Some(r) = rows.next()? {
                records.push(parse(&r.get::<_, String>(0)?)?);
            }
            let diagnostic_runs = crate::agents::runs::all(&tx, user.id)?;
            let display_name = crate::leaderboard::name_of(&tx, user.id)?;
            let mut photos = Vec::new();
            let mut stmt = tx.prepare(
                "SELECT sha256, bytes, width, height, created_ms, jpeg FROM photos
                 WHERE user_id = ?1 ORDER BY created_ms, sha256",
            )?;
            let mut rows = stmt.query([user.id])?;
            while let Some(r) = rows.next()? {
                photos.push(json!({
                    "sha256": r.get::<_, String>(0)?,
                    "bytes": r.get::<_, i64>(1)?,
                    "width": r.get::<_, i64>(2)?,
                    "height": r.get::<_, i64>(3)?,
                    "created_ms": r.get::<_, i64>(4)?,
                    "jpeg": STANDARD.encode(r.get::<_, Vec<u8>>(5)?),
                }));
            }
            let workshops = crate::workshops::memberships_of(&tx, user.id)?;
            let bookings = crate::bookings::bookings_of_customer(&tx, user.id)?;
            Ok(json!({
                "account": account,
                "devices": devices,
                "events": events,
                "rejected_events": rejected,
                "records": records,
                "diagnostic_runs": diagnostic_runs,
                "leaderboard": {"display_name": display_name},
                "photos": photos,
                "workshops": workshops,
                "bookings": bookings,
            }))
        })
        .await?;
    Ok(Json(export))
}

async fn delete_me(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode> {
    require_fresh_login(&state, &user).await?;
    // Devices, events, tokens, records, photos and the user's changes go
    // with the account (foreign keys cascade).
    state
        .db
        .write(move |tx| {
            tx.execute("DELETE FROM users WHERE id = ?1", [user.id])?;
            crate::auth::revocation(tx)
        })
        .await?;
    state.tokens.revoked();
    state.progress.forget(user.id);
    Ok(StatusCode::NO_CONTENT)
}
