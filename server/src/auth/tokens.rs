//! Opaque tokens: 32 random bytes, base64url, stored only as their SHA-256
//! so a copy of the database cannot be used to log in. Access tokens live
//! 24 h; refresh tokens rotate on every use (the access tokens issued before
//! stop working), presenting a rotated one again revokes its whole family
//! (the login it came from), and a login cannot be refreshed past its
//! absolute lifetime.

use crate::store::{Connection, OptionalExtension, params};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::auth::Role;
use crate::config::Config;
use crate::error::{AppError, Result};

pub use ridewire_engine::sync::api::{Account, Session};

/// A new random token with a readable prefix (`rwa_` access, `rwr_`
/// refresh) so a leaked one is recognisable.
pub fn generate(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// What the database stores of a token.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Starts a new login for `account`: a token family with its first pair.
pub fn start_session(
    tx: &Connection,
    config: &Config,
    account: Account,
    now_ms: i64,
) -> Result<Session> {
    // Logins leave expired tokens behind; sweep this account's now.
    tx.execute(
        "DELETE FROM token_families WHERE user_id = ?1 AND NOT EXISTS
           (SELECT 1 FROM refresh_tokens r WHERE r.family = token_families.id
              AND r.used_ms IS NULL AND r.expires_ms > ?2)",
        params![account.id, now_ms],
    )?;
    let family = generate("")?;
    tx.execute(
        "INSERT INTO token_families (id, user_id, created_ms) VALUES (?1, ?2, ?3)",
        params![family, account.id, now_ms],
    )?;
    issue_pair(tx, config, account, &family, now_ms)
}

fn issue_pair(
    tx: &Connection,
    config: &Config,
    account: Account,
    family: &str,
    now_ms: i64,
) -> Result<Session> {
    let access = generate("rwa_")?;
    let refresh = generate("rwr_")?;
    tx.execute(
        "INSERT INTO access_tokens (hash, family, user_id, expires_ms) VALUES (?1, ?2, ?3, ?4)",
        params![
            digest(&access).as_slice(),
            family,
            account.id,
            now_ms + config.access_token_ttl_ms
        ],
    )?;
    tx.execute(
        "INSERT INTO refresh_tokens (hash, family, user_id, expires_ms) VALUES (?1, ?2, ?3, ?4)",
        params![
            digest(&refresh).as_slice(),
            family,
            account.id,
            now_ms + config.refresh_token_ttl_ms
        ],
    )?;
    Ok(Session {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: config.access_token_ttl_ms / 1000,
        refresh_expires_in: config.refresh_token_ttl_ms / 1000,
        user: account,
    })
}

/// Exchanges a refresh token for a new pair. The outer `Result` fails only
/// on storage errors; the inner one is the answer, and the transaction
/// commits either way so a reuse's revocation sticks.
/// How long after a refresh the token it replaced may be sent once more,
/// when the answer was lost on the way (the device never saw the new pair):
/// it gets another new pair and the lost pair stops working. Later, or once
/// the lost pair's refresh token has been used, a second use is a theft
/// signal and ends the login.
pub const REFRESH_GRACE_MS: i64 = 60_000;

pub fn refresh(
    tx: &Connection,
    config: &Config,
    key: &crate::email::EmailKey,
    token: &str,
    now_ms: i64,
) -> Result<Result<Session>> {
    let row = tx
        .query_row(
            "SELECT r.family, r.expires_ms, r.used_ms, u.id, u.email_enc, u.role, f.created_ms
             FROM refresh_tokens r JOIN users u ON u.id = r.user_id
                  JOIN token_families f ON f.id = r.family
             WHERE r.hash = ?1",
            [digest(token).as_slice()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    Role::from_stored(&r.get::<_, String>(5)?),
                    r.get::<_, i64>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((family, expires_ms, used_ms, id, sealed, role, logged_in_ms)) = row else {
        return Ok(Err(AppError::unauthorized(
            "invalid_token",
            "the refresh token is not valid",
        )));
    };
    if let Some(used_ms) = used_ms {
        // Was the answer to that refresh lost? Only if it was moments ago
        // and nothing of the family has been refreshed since.
        let later_use: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM refresh_tokens
                            WHERE family = ?1 AND used_ms IS NOT NULL AND used_ms > ?2)",
            params![family, used_ms],
            |r| r.get(0),
        )?;
        if now_ms.saturating_sub(used_ms) <= REFRESH_GRACE_MS
            && !later_use
            && now_ms < expires_ms
            && now_ms < logged_in_ms.saturating_add(config.login_max_age_ms)
        {
            // The lost pair stops working; a new one replaces it.
            tx.execute(
                "DELETE FROM refresh_tokens WHERE family = ?1 AND used_ms IS NULL",
                [&family],
            )?;
            tx.execute("DELETE FROM access_tokens WHERE family = ?1", [&family])?;
            let account = Account {
                id,
                email: key.open(&sealed)?,
                role,
            };
            return issue_pair(tx, config, account, &family, now_ms).map(Ok);
        }
        revoke_family(tx, &family)?;
        return Ok(Err(AppError::unauthorized(
            "refresh_token_reused",
            "this refresh token was already used; the login has been revoked, log in again",
        )));
    }
    if now_ms >= expires_ms {
        return Ok(Err(AppError::unauthorized(
            "token_expired",
            "the refresh token has expired; log in again",
        )));
    }
    // A login ends after its absolute lifetime however often it was
    // refreshed: a stolen refresh token cannot be kept alive for ever.
    if now_ms >= logged_in_ms.saturating_add(config.login_max_age_ms) {
        revoke_family(tx, &family)?;
        return Ok(Err(AppError::unauthorized(
            "login_expired",
            "this login is too old to refresh; log in again",
        )));
    }
    tx.execute(
        "UPDATE refresh_tokens SET used_ms = ?1 WHERE hash = ?2",
        params![now_ms, digest(token).as_slice()],
    )?;
    let account = Account {
        id,
        email: key.open(&sealed)?,
        role,
    };
    // The access tokens handed out before this refresh stop working: only
    // the newest pair of a login is good.
    tx.execute("DELETE FROM access_tokens WHERE family = ?1", [&family])?;
    issue_pair(tx, config, account, &family, now_ms).map(Ok)
}

/// Ends a login: every access and refresh token of the family stops working.
pub fn revoke_family(tx: &Connection, family: &str) -> Result<()> {
    tx.execute("DELETE FROM token_families WHERE id = ?1", [family])?;
    super::revocation(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = generate("rwa_").expect("token");
        let b = generate("rwa_").expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 43);
        assert!(
            a[4..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(digest(&a), digest(&b));
    }
}
