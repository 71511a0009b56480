//! Serving the change log: what a user's devices may pull after a cursor.

use ridewire_engine::sync::{Change, Cursor, MAX_PULL_CHANGES, PullResponse};
use rusqlite::Connection;

use crate::error::{AppError, Result};
use crate::sync::progress::ProgressCache;

/// One page of changes for `user` after `cursor`, with the user's progress.
/// A cursor from another epoch starts again from the beginning with
/// `reset` set.
pub fn pull(
    conn: &Connection,
    progress: &ProgressCache,
    epoch: &str,
    user: i64,
    cursor: &Cursor,
    limit: usize,
) -> Result<PullResponse> {
    let limit = limit.clamp(1, MAX_PULL_CHANGES);
    // One snapshot for the page and the progress.
    let tx = conn.unchecked_transaction()?;
    // A cursor past the end of this log was not issued by it either (a
    // restored copy of an older database kept the epoch): start again.
    let newest: i64 = tx.query_row(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)",
        [],
        |r| r.get(0),
    )?;
    let beyond = i64::try_from(cursor.position).map_or(true, |p| p > newest);
    let ours = cursor.is_from(epoch) && !beyond;
    let reset = !cursor.epoch.is_empty() && !ours;
    let after = if ours { cursor.position } else { 0 };
    let mut changes = Vec::with_capacity(limit.min(64));
    let mut position = after;
    let mut more = false;
    {
        // Two index range scans merged in position order: the user's own
        // changes and those for everyone.
        let mut stmt = tx.prepare_cached(
            "SELECT position, body FROM changes WHERE user_id = ?1 AND position > ?2
             UNION ALL
             SELECT position, body FROM changes WHERE user_id IS NULL AND position > ?2
             ORDER BY 1 LIMIT ?3",
        )?;
        let after_sql = i64::try_from(after).unwrap_or(i64::MAX);
        let mut rows = stmt.query(rusqlite::params![user, after_sql, limit as i64 + 1])?;
        while let Some(row) = rows.next()? {
            if changes.len() == limit {
                more = true;
                break;
            }
            let at: i64 = row.get(0)?;
            let body: String = row.get(1)?;
            let change: Change = serde_json::from_str(&body)
                .map_err(|e| AppError::Internal(format!("change {at} is unreadable: {e}")))?;
            changes.push(change);
            position = u64::try_from(at).unwrap_or(position);
        }
    }
    let summary = progress.summary(&tx, user)?;
    tx.finish()?;
    Ok(PullResponse {
        cursor: Cursor {
            epoch: epoch.to_owned(),
            position,
        },
        reset,
        changes,
        more,
        progress: summary,
    })
}
