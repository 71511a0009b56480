//! Per-account storage quota: every write that stores something for an
//! account charges its rows and bytes here, in the same transaction, and is
//! refused whole (nothing stored) when the account would go over.

use crate::store::{Connection, params};

use crate::config::Quota;
use crate::error::{AppError, Result};

/// Bytes a refused event's tombstone is charged (id, reason, size, digest).
pub const TOMBSTONE_BYTES: i64 = 64;

/// Adds `rows` and `bytes` (either may be negative when something shrank)
/// to what `user` stores; refuses with `413 quota_exceeded` when that
/// takes the account over `quota`. Run it inside the write it pays for, so
/// a refusal rolls the write back.
pub fn charge(tx: &Connection, quota: Quota, user: i64, rows: i64, bytes: i64) -> Result<()> {
    if rows == 0 && bytes == 0 {
        return Ok(());
    }
    let (stored_rows, stored_bytes): (i64, i64) = tx
        .prepare_cached(
            "UPDATE users
             SET stored_rows = CASE WHEN stored_rows + ?1 < 0 THEN 0 ELSE stored_rows + ?1 END,
                 stored_bytes = CASE WHEN stored_bytes + ?2 < 0 THEN 0 ELSE stored_bytes + ?2 END
             WHERE id = ?3 RETURNING stored_rows, stored_bytes",
        )?
        .query_row(params![rows, bytes, user], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let over_rows = rows > 0 && stored_rows as u64 > quota.rows;
    let over_bytes = bytes > 0 && stored_bytes as u64 > quota.bytes;
    if over_rows || over_bytes {
        return Err(AppError::QuotaExceeded(format!(
            "this account's storage is full ({stored_rows} of {} items, {} of {} KiB \
             with this request); nothing was stored. Delete data or ask the operator \
             for a larger quota",
            quota.rows,
            stored_bytes / 1024,
            quota.bytes / 1024
        )));
    }
    Ok(())
}
