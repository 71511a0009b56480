//! Workshops (issue 15): an organisation on the server — its owner,
//! mechanics and front desk — and its customers, riders who joined with an
//! invitation code and may leave at any time (server migration 009). What
//! a workshop may see of a rider is read here and only here, always through
//! `workshop_members`: a customer's bikes and diagnoses, only while they
//! are linked and only what they share. The HTTP side is
//! `routes::workshops`.

use crate::store::{Connection, OptionalExtension, Transaction, params};
use ridewire_engine::sync::record::Record;
pub use ridewire_engine::sync::workshops::{Customer, Membership, Role, RunSummary, Share};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, Result};

/// Longest workshop name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// Workshops one account may own.
pub const MAX_OWNED: i64 = 5;

/// Invitations of one workshop that may be open (not used, not expired).
pub const MAX_OPEN_INVITATIONS: i64 = 50;

/// How long an invitation can be used.
pub const INVITATION_MS: i64 = 7 * 24 * 3_600_000;

/// Characters of an invitation code (Crockford's base 32: 60 random bits).
pub const CODE_CHARS: usize = 12;

/// Words a list of shares may hold (each counts once).
pub const MAX_SHARE_WORDS: usize = 8;

/// Longest invitation code accepted as typed (spaces and dashes included).
pub const MAX_TYPED_CODE_CHARS: usize = 64;

/// The newest diagnoses of a customer shown to the workshop.
pub const DIAGNOSES_SHOWN: usize = 20;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A role as stored.
pub fn role_of(word: &str) -> Result<Role> {
    word.parse()
        .map_err(|e: String| AppError::Internal(format!("stored role: {e}")))
}

/// A list of shares the server takes, or why not.
pub fn check_shares(shares: &[Share]) -> Result<()> {
    if shares.len() > MAX_SHARE_WORDS {
        return Err(AppError::bad_request(
            "invalid_shares",
            format!("at most {MAX_SHARE_WORDS} words"),
        ));
    }
    Ok(())
}

/// Shares as kept: sorted words, each once, comma-separated.
pub fn shares_text(shares: &[Share]) -> String {
    let mut words: Vec<&str> = shares.iter().map(|s| s.as_str()).collect();
    words.sort_unstable();
    words.dedup();
    words.join(",")
}

/// Shares as kept, read back (a word this version does not know is left out).
pub fn shares_of(text: &str) -> Vec<Share> {
    text.split(',').filter_map(|w| w.parse().ok()).collect()
}

/// A workshop name as given, or why it cannot be one.
pub fn check_name(name: &str) -> Result<()> {
    let bad = |why: &str| AppError::bad_request("invalid_workshop_name", why.to_owned());
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(bad(&format!(
            "a workshop's name has 1 to {MAX_NAME_CHARS} characters, not {chars}"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("a workshop's name has no control characters"));
    }
    if name.trim() != name {
        return Err(bad("a workshop's name does not start or end with a space"));
    }
    Ok(())
}

/// The caller's role in `workshop`; 404 when they do not belong to it (a
/// workshop's existence is not told to outsiders).
pub fn role_in(conn: &Connection, user: i64, workshop: Uuid) -> Result<Role> {
    let role: Option<String> = conn
        .query_row(
            "SELECT role FROM workshop_members WHERE workshop = ?1 AND user_id = ?2",
            params![workshop.to_string(), user],
            |r| r.get(0),
        )
        .optional()?;
    match role {
        Some(role) => role_of(&role),
        None => Err(AppError::NotFound("no such workshop".into())),
    }
}

/// The caller's role in `workshop` when it is a mechanic's or the owner's
/// (who review diagnoses, write plans and keep templates); 403
/// `mechanic_only` saying they do not `what`, 404 for outsiders.
pub fn mechanic_or_owner(conn: &Connection, user: i64, workshop: Uuid, what: &str) -> Result<Role> {
    let role = role_in(conn, user, workshop)?;
    if !role.reviews() {
        return Err(AppError::forbidden(
            "mechanic_only",
            format!("only the workshop's mechanics and owner {what}"),
        ));
    }
    Ok(role)
}

/// The caller's membership of `workshop`; 404 when they have none.
pub fn membership(conn: &Connection, user: i64, workshop: Uuid) -> Result<Membership> {
    memberships(conn, user, Some(workshop))?
        .pop()
        .ok_or_else(|| AppError::NotFound("no such workshop".into()))
}

/// Every workshop `user` belongs to, by name.
pub fn memberships_of(conn: &Connection, user: i64) -> Result<Vec<Membership>> {
    memberships(conn, user, None)
}

/// `user`'s memberships (of `only` one workshop when given), in one query.
fn memberships(conn: &Connection, user: i64, only: Option<Uuid>) -> Result<Vec<Membership>> {
    let mut stmt = conn.prepare(
        "SELECT m.workshop, w.name, m.role, m.shares, m.since_ms FROM workshop_members m
         JOIN workshops w ON w.id = m.workshop
         WHERE m.user_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR m.workshop = ?2)
         ORDER BY w.name, m.workshop",
    )?;
    let rows = stmt
        .query_map(params![user, only.map(|w| w.to_string())], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?
        .collect::<crate::store::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, name, role, shares, since_ms)| {
            Ok(Membership {
                workshop: Uuid::parse_str(&id)
                    .map_err(|e| AppError::Internal(format!("stored workshop id: {e}")))?,
                name,
                role: role_of(&role)?,
                shares: shares_of(&shares),
                since_ms,
            })
        })
        .collect()
}

/// An invitation code's canonical form: upper case without spaces or
/// dashes, the letters people mistake for digits read as those digits.
pub fn canonical_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

pub fn code_hash(code: &str) -> Vec<u8> {
    Sha256::digest(canonical_code(code).as_bytes()).to_vec()
}

pub fn new_code() -> Result<String> {
    let mut bytes = [0u8; CODE_CHARS];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect())
}

/// The customers of `workshop`, each with only what they share.
pub fn customers_of(tx: &Transaction<'_>, workshop: Uuid) -> Result<Vec<Customer>> {
    let mut stmt = tx.prepare(
        "SELECT m.user_id, s.display_name, m.since_ms, m.shares FROM workshop_members m
         LEFT JOIN standings s ON s.user_id = m.user_id
         WHERE m.workshop = ?1 AND m.role = 'customer' ORDER BY m.since_ms, m.user_id",
    )?;
    let rows = stmt
        .query_map([workshop.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<crate::store::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, display_name, since_ms, shares)| {
            let shares = shares_of(&shares);
            let bikes = shares
                .contains(&Share::Bikes)
                .then(|| bikes_of(tx, id))
                .transpose()?;
            let diagnoses = shares
                .contains(&Share::Diagnoses)
                .then(|| diagnoses_of(tx, id))
                .transpose()?;
            Ok(Customer {
                customer: id,
                display_name,
                since_ms,
                shares,
                bikes,
                diagnoses,
            })
        })
        .collect()
}

pub fn bikes_of(tx: &Transaction<'_>, user: i64) -> Result<Vec<Record>> {
    let mut stmt = tx
        .prepare("SELECT body FROM records WHERE user_id = ?1 AND kind = 'vehicle' ORDER BY key")?;
    let bodies = stmt
        .query_map([user], |r| r.get::<_, String>(0))?
        .collect::<crate::store::Result<Vec<_>>>()?;
    let records: Vec<Record> = bodies
        .iter()
        .map(|b| {
            serde_json::from_str(b)
                .map_err(|e| AppError::Internal(format!("stored record is unreadable: {e}")))
        })
        .collect::<Result<_>>()?;
    // A removed bike stays as a record marked removed: the workshop sees
    // the garage as the rider does.
    Ok(records
        .into_iter()
        .filter(|r| {
            !r.fields
                .get("removed")
                .is_some_and(|f| f.value == serde_json::json!(true))
        })
        .collect())
}

pub fn diagnoses_of(tx: &Transaction<'_>, user: i64) -> Result<Vec<RunSummary>> {
    let mut stmt = tx.prepare(
        "SELECT id, created_ms, decision, request FROM diagnostic_runs
         WHERE user_id = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![user, DIAGNOSES_SHOWN as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<crate::store::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, created_ms, decision, request)| {
            let unreadable = |e: String| AppError::Internal(format!("stored run: {e}"));
            Ok(RunSummary {
                id: Uuid::parse_str(&id).map_err(|e| unreadable(e.to_string()))?,
                created_ms,
                decision,
                request: serde_json::from_str(&request).map_err(|e| unreadable(e.to_string()))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_alike_in_any_case_with_dashes_and_look_alike_letters() {
        assert_eq!(canonical_code("ab12-cd3o l9xy"), "AB12CD3019XY");
        assert_eq!(code_hash("0A1B-2C3D"), code_hash(" oa1b2c3d "));
        assert_ne!(code_hash("0A1B2C3D"), code_hash("0A1B2C3E"));
        let code = new_code().unwrap_or_default();
        assert_eq!(code.chars().count(), CODE_CHARS);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        assert_eq!(canonical_code(&code), code);
    }

    #[test]
    fn names_are_checked_like_the_document_says() {
        assert!(check_name("Moto Müller & Sons").is_ok());
        for bad in [
            "",
            " Moto",
            "Moto ",
            "Mo\nto",
            &"x".repeat(MAX_NAME_CHARS + 1),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shares_are_kept_sorted_once_each() {
        let text = shares_text(&[Share::Diagnoses, Share::Bikes, Share::Bikes]);
        assert_eq!(text, "bikes,diagnoses");
        assert_eq!(shares_of(&text), vec![Share::Bikes, Share::Diagnoses]);
        assert_eq!(shares_of(""), Vec::<Share>::new());
    }
}
