//! Admin work on accounts: giving one the seller or admin role.

use crate::store::params;
use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::put;
use serde::Deserialize;

use crate::AppState;
use crate::auth::tokens::Account;
use crate::auth::{AdminUser, Role};
use crate::error::{AppError, Result};
use crate::routes::{Access, ApiJson, ApiPath, In, Param, Route, Values};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route {
        method: Method::PUT,
        path: "/api/v1/users/{id}/role",
        summary: "Set an account's role: user, seller or admin (admin)",
        access: Access::Admin,
        params: &[Param {
            name: "id",
            place: In::Path,
            required: true,
            description: "The account's id",
            values: Values::Integer {
                min: i64::MIN,
                max: i64::MAX,
            },
        }],
        request: Some("RoleChange"),
        responses: &[
            (200, "Account"),
            (400, "Error"),
            (401, "Error"),
            (403, "Error"),
            (404, "Error"),
        ],
        handler: put(set_role),
    }]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    role: Role,
}

async fn set_role(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<RoleChange>,
) -> Result<Json<Account>> {
    let key = state.email_key.clone();
    let account = state
        .db
        .write(move |tx| {
            let changed = tx.execute(
                "UPDATE users SET role = ?1 WHERE id = ?2",
                params![change.role.as_str(), id],
            )?;
            if changed == 0 {
                return Err(AppError::NotFound("no such account".into()));
            }
            crate::auth::revocation(tx)?;
            Ok(Account {
                id,
                email: key.of_account(tx, id)?,
                role: change.role,
            })
        })
        .await?;
    // Cached tokens carry the old role.
    state.tokens.revoked();
    Ok(Json(account))
}
