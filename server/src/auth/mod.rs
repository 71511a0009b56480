//! Accounts and tokens: Argon2id password hashes, opaque random tokens
//! stored only as SHA-256 hashes, rotating refresh tokens, and the
//! [`AuthUser`] extractor every protected endpoint takes.

pub mod password;
pub mod tokens;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{AppError, Result};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A rider or mechanic.
    User,
    /// May sell repair diagrams (marketplace, later).
    Seller,
    /// Publishes plans, the quest catalogue and overlay packs.
    Admin,
}

impl Role {
    /// As stored and serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Seller => "seller",
            Role::Admin => "admin",
        }
    }

    /// Reads a stored role; anything unknown is treated as the least
    /// privileged.
    pub fn from_stored(s: &str) -> Role {
        match s {
            "admin" => Role::Admin,
            "seller" => Role::Seller,
            _ => Role::User,
        }
    }
}

/// The account a request was made with (from its `Authorization: Bearer`
/// access token).
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The account.
    pub id: i64,
    /// Its role.
    pub role: Role,
    /// The login (token family) the token belongs to.
    pub family: String,
}

impl AuthUser {
    /// Refuses anyone but an admin.
    pub fn require_admin(&self) -> Result<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "admin_only",
                "only an admin may publish this",
            ))
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            AppError::unauthorized(
                "missing_token",
                "this endpoint needs an `Authorization: Bearer` access token",
            )
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(|| {
                AppError::unauthorized(
                    "invalid_token",
                    "the Authorization header must be `Bearer TOKEN`",
                )
            })?;
        let hash = tokens::digest(token);
        let row = state
            .db
            .read(move |conn| {
                Ok(conn
                    .query_row(
                        "SELECT a.user_id, a.family, a.expires_ms, u.role
                         FROM access_tokens a JOIN users u ON u.id = a.user_id
                         WHERE a.hash = ?1",
                        [hash.as_slice()],
                        |r| {
                            Ok((
                                r.get::<_, i64>(0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, i64>(2)?,
                                r.get::<_, String>(3)?,
                            ))
                        },
                    )
                    .optional()?)
            })
            .await?;
        let (id, family, expires_ms, role) = row.ok_or_else(|| {
            AppError::unauthorized("invalid_token", "the access token is not valid")
        })?;
        let now = state.clock.now_ms();
        if now >= expires_ms {
            return Err(AppError::unauthorized(
                "token_expired",
                "the access token has expired; refresh it",
            ));
        }
        state.limits.per_user.take(&id, now)?;
        Ok(AuthUser {
            id,
            role: Role::from_stored(&role),
            family,
        })
    }
}
