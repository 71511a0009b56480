//! Serving the change log: what a user's devices may pull after a cursor.

use crate::store::Connection;
use ridewire_engine::sync::{Cursor, MAX_PULL_BYTES, MAX_PULL_CHANGES, ProgressSummary};

use crate::error::{AppError, Result};
use crate::sync::progress::{Folding, ProgressCache, Refold};

/// A page of the change log, with each change still the JSON text it was
/// stored as: a [`ridewire_engine::sync::PullResponse`] on the wire without parsing and encoding
/// every change again (a cold pull is 100,000 of them).
#[derive(Debug, Clone, PartialEq)]
pub struct PullPage {
    /// Where the device is after this page.
    pub cursor: Cursor,
    /// The device must start again from scratch.
    pub reset: bool,
    /// Each change as stored: the JSON of an engine `Change`.
    pub changes: Vec<String>,
    /// More changes wait after these.
    pub more: bool,
    /// The user's progress as the server folds it.
    pub progress: ProgressSummary,
}

impl PullPage {
    /// The page as the JSON of a [`ridewire_engine::sync::PullResponse`].
    pub fn to_json(&self) -> Result<String> {
        let encode = |e: serde_json::Error| AppError::Internal(format!("encoding: {e}"));
        let cursor = serde_json::to_string(&self.cursor).map_err(encode)?;
        let progress = serde_json::to_string(&self.progress).map_err(encode)?;
        let body_bytes: usize = self.changes.iter().map(|c| c.len() + 1).sum();
        let mut out = String::with_capacity(body_bytes + cursor.len() + progress.len() + 80);
        out.push_str("{\"cursor\":");
        out.push_str(&cursor);
        out.push_str(if self.reset {
            ",\"reset\":true"
        } else {
            ",\"reset\":false"
        });
        out.push_str(",\"changes\":[");
        for (i, change) in self.changes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(change);
        }
        out.push_str(if self.more {
            "],\"more\":true"
        } else {
            "],\"more\":false"
        });
        out.push_str(",\"progress\":");
        out.push_str(&progress);
        out.push('}');
        Ok(out)
    }
}

/// One page of changes for `user` after `cursor`, with the user's progress.
/// A cursor from another epoch starts again from the beginning with
/// `reset` set. When the progress must be folded again from the whole
/// history, the page comes with that history read but not folded: fold it
/// with [`ProgressCache::finish`] after letting go of the connection and put
/// the result in [`PullPage::progress`].
pub fn pull(
    conn: &Connection,
    progress: &ProgressCache,
    epoch: &str,
    user: i64,
    cursor: &Cursor,
    limit: usize,
) -> Result<(PullPage, Option<Refold>)> {
    let limit = limit.clamp(1, MAX_PULL_CHANGES);
    // One snapshot for the page and the progress.
    let tx = conn.unchecked_transaction()?;
    // A cursor past the end of this log was not issued by it either (a
    // restored copy of an older database kept the epoch): start again.
    let newest = crate::db::newest_position(&tx)?;
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
        let mut rows = stmt.query(crate::params![user, after_sql, limit as i64 + 1])?;
        let mut bytes = 0usize;
        while let Some(row) = rows.next()? {
            if changes.len() == limit {
                more = true;
                break;
            }
            let at: i64 = row.get(0)?;
            // Written by this server with serde; sent on as it is.
            let body: String = row.get(1)?;
            // Bounded in bytes too: a page of large plans or packs stops
            // early (but always carries at least one change).
            if !changes.is_empty() && bytes + body.len() > MAX_PULL_BYTES {
                more = true;
                break;
            }
            bytes += body.len();
            changes.push(body);
            position = u64::try_from(at).unwrap_or(position);
        }
    }
    let (summary, refold) = match progress.summary(&tx, user)? {
        Folding::Done(summary) => (summary, None),
        Folding::Refold(refold) => (ProgressSummary::default(), Some(refold)),
    };
    tx.finish()?;
    let page = PullPage {
        cursor: Cursor {
            epoch: epoch.to_owned(),
            position,
        },
        reset,
        changes,
        more,
        progress: summary,
    };
    Ok((page, refold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridewire_engine::sync::{Change, PullResponse};

    #[test]
    fn a_page_is_the_json_of_a_pull_response() {
        let changes = vec![
            Change::Catalog {
                body: serde_json::json!({"quests": {}, "zones": {}}),
            },
            Change::Plan {
                id: "winter".into(),
                title: "Winter \"prep\"".into(),
                markdown: "# W\n- [ ] x".into(),
                version: 2,
            },
        ];
        for (reset, more, changes) in [(false, true, changes.clone()), (true, false, vec![])] {
            let page = PullPage {
                cursor: Cursor {
                    epoch: "e1".into(),
                    position: 7,
                },
                reset,
                changes: changes
                    .iter()
                    .map(|c| serde_json::to_string(c).expect("json"))
                    .collect(),
                more,
                progress: ProgressSummary {
                    xp: 10,
                    level: 1,
                    achievements: vec!["ACH-FIRST-DIAG".into()],
                    events: 1,
                },
            };
            let parsed: PullResponse =
                serde_json::from_str(&page.to_json().expect("json")).expect("a pull response");
            assert_eq!(
                parsed,
                PullResponse {
                    cursor: page.cursor.clone(),
                    reset,
                    changes,
                    more,
                    progress: page.progress.clone(),
                }
            );
        }
    }
}
