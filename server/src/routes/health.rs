//! `/health` (the process answers) and `/ready` (the database answers for
//! reading and writing, and its schema is this build's).

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use serde_json::{Value, json};

use crate::AppState;
use crate::db::migrate::SCHEMA_VERSION;
use crate::error::{AppError, Result};
use crate::routes::{Access, Route};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/health",
            summary: "The process is alive",
            access: Access::Public,
            params: &[],
            request: None,
            responses: &[(200, "Status")],
            handler: get(health),
        },
        Route {
            method: Method::GET,
            path: "/ready",
            summary: "The database answers and its migrations are applied",
            access: Access::Public,
            params: &[],
            request: None,
            responses: &[(200, "Status"), (503, "Error")],
            handler: get(ready),
        },
    ]
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn ready(State(state): State<AppState>) -> Result<Json<Value>> {
    let version = state.db.schema_version().await?;
    // The writer thread answers and can take the write lock (a write that
    // changes nothing costs no disk flush).
    state.db.write(|_| Ok(())).await?;
    if version != SCHEMA_VERSION {
        return Err(AppError::Internal(format!(
            "schema version {version}, expected {SCHEMA_VERSION}"
        )));
    }
    Ok(Json(
        json!({"status": "ready", "schema_version": version, "epoch": state.db.epoch()}),
    ))
}
