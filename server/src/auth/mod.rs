//! Accounts and tokens: Argon2id password hashes, opaque random tokens
//! stored only as SHA-256 hashes, rotating refresh tokens, and the
//! [`AuthUser`] extractor every protected endpoint takes.

pub mod password;
pub mod tokens;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::OptionalExtension;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::AppState;
use crate::error::{AppError, Result};

pub use ridewire_engine::sync::api::Role;

/// Gives the account with `email` (compared in lower case) `role`; false
/// when there is no such account. Every session of the account is ended
/// when its role is lowered, so no token keeps powers it lost.
pub fn set_role_by_email(
    conn: &crate::store::Connection,
    key: &crate::email::EmailKey,
    email: &str,
    role: Role,
) -> Result<bool> {
    let email = key.lookup(&email.trim().to_lowercase());
    let changed = conn.execute(
        "UPDATE users SET role = ?1 WHERE email = ?2",
        crate::params![role.as_str(), email],
    )?;
    if changed > 0 && role != Role::Admin {
        conn.execute(
            "DELETE FROM token_families WHERE user_id = (SELECT id FROM users WHERE email = ?1)",
            [&email],
        )?;
    }
    if changed > 0 {
        revocation(conn)?;
    }
    Ok(changed > 0)
}

/// Records, in the open write, that it revokes access tokens (or changes
/// a role, which cached tokens carry): every other process on the database
/// then forgets the tokens it cached — through `LISTEN/NOTIFY` on
/// PostgreSQL, through the `revocations` count in `server_meta` that each
/// SQLite process watches (within about 50 ms).
pub fn revocation(tx: &crate::store::Connection) -> Result<()> {
    tx.execute(
        "INSERT INTO server_meta (key, value) VALUES ('revocations', '1')
         ON CONFLICT (key) DO UPDATE
             SET value = CAST(CAST(server_meta.value AS BIGINT) + 1 AS TEXT)",
        [],
    )?;
    crate::db::wake::revoked();
    Ok(())
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

/// An admin's request. As an extractor it comes before the path and the
/// body, so anyone else is refused (`403`) before what they sent is read.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        user.require_admin()?;
        Ok(AdminUser(user))
    }
}

/// Access tokens already looked up, so most requests need no database
/// read to authenticate. Every revocation (logout, a reused refresh token,
/// a deleted account) empties it, and a lookup that raced a revocation is
/// not cached (the generation check).
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<[u8; 32], (AuthUser, i64)>>,
    generation: AtomicU64,
    /// Other processes' revocations heard when it was last emptied.
    elsewhere: AtomicU64,
}

/// Tokens cached before the cache is emptied and starts again.
const MAX_CACHED_TOKENS: usize = 100_000;

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (AuthUser, i64)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, hash: &[u8; 32]) -> Option<(AuthUser, i64)> {
        self.lock().get(hash).cloned()
    }

    fn put(&self, hash: [u8; 32], user: AuthUser, expires_ms: i64, generation: u64) {
        let mut entries = self.lock();
        // Checked under the lock `revoked` takes: no stale entry slips in.
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= MAX_CACHED_TOKENS {
            entries.clear();
        }
        entries.insert(hash, (user, expires_ms));
    }

    /// Empties it when other processes on the database revoked tokens
    /// since it was last emptied (`heard`: their count,
    /// [`crate::db::wake::Waiters::revocations`]).
    pub fn catch_up(&self, heard: u64) {
        if self.elsewhere.load(Ordering::SeqCst) != heard {
            self.revoked();
            self.elsewhere.store(heard, Ordering::SeqCst);
        }
    }

    /// Call after a revocation has committed.
    pub fn revoked(&self) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
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
            .and_then(|h| {
                // The scheme name is case-insensitive (RFC 9110).
                let (scheme, token) = h.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(|| {
                AppError::unauthorized(
                    "invalid_token",
                    "the Authorization header must be `Bearer TOKEN`",
                )
            })?;
        let hash = tokens::digest(token);
        // Another replica (or the operator's command) revoked tokens.
        state.tokens.catch_up(state.db.waiters().revocations());
        let (user, expires_ms) = match state.tokens.get(&hash) {
            Some(hit) => hit,
            None => {
                let generation = state.tokens.generation.load(Ordering::SeqCst);
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
                                        AuthUser {
                                            id: r.get(0)?,
                                            family: r.get(1)?,
                                            role: Role::from_stored(&r.get::<_, String>(3)?),
                                        },
                                        r.get::<_, i64>(2)?,
                                    ))
                                },
                            )
                            .optional()?)
                    })
                    .await?;
                let (user, expires_ms) = row.ok_or_else(|| {
                    AppError::unauthorized("invalid_token", "the access token is not valid")
                })?;
                state.tokens.put(hash, user.clone(), expires_ms, generation);
                (user, expires_ms)
            }
        };
        let now = state.clock.now_ms();
        if now >= expires_ms {
            return Err(AppError::unauthorized(
                "token_expired",
                "the access token has expired; refresh it",
            ));
        }
        state.limits.per_user.take(&user.id, now)?;
        Ok(user)
    }
}
