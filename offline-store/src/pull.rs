//! Applying what a pull brought: other devices' events, plans, the quest
//! catalogue, overlay packs, versioned records, the server's progress and
//! the new cursor — all in one transaction, so a crash never leaves a cursor
//! that points past rows that were not stored (or rows without their cursor).

use ridewire_engine::event::Event;
use ridewire_engine::quest::Catalog;
use ridewire_engine::sync::{Change, Cursor, ProgressSummary, PullResponse};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use crate::records::upsert_record;
use crate::{Error, Result, Store};

/// What applying one pull page changed on this device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullApplied {
    /// The pulled data of an earlier epoch (or an earlier start) was dropped
    /// first.
    pub reset: bool,
    /// Events stored that this device did not have.
    pub events_added: usize,
    /// Events skipped because this device already held a different event
    /// at the same device and sequence (a chain this device cannot take).
    pub events_conflicting: usize,
    /// Plans, catalogue, overlay packs and records written.
    pub other_changes: usize,
    /// Changes that could not be applied and were kept aside (see
    /// [`Store::apply_pull_skipping`]).
    pub changes_skipped: usize,
    /// Changes this version cannot read, kept whole for a later one
    /// ([`Store::apply_kept_changes`]).
    pub changes_unreadable: usize,
}

/// A change from the server this device could not apply, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedChange {
    /// The cursor of the page it came in.
    pub cursor: String,
    /// Its place in that page.
    pub position: usize,
    /// The change as JSON.
    pub change: String,
    /// Why it was not applied.
    pub error: String,
    /// When it was set aside.
    pub at_ms: i64,
    /// This version cannot read it; a later one applies it
    /// ([`Store::apply_kept_changes`]).
    pub unreadable: bool,
}

/// A maintenance plan as the server last sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlan {
    /// The server's id of the plan.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The plan as written (Markdown).
    pub markdown: String,
    /// The server's version of it.
    pub version: u64,
}

fn read_cursor(conn: &Connection) -> Result<Cursor> {
    let text: Option<Option<String>> = conn
        .query_row(
            "SELECT cursor FROM sync_state WHERE only_row = 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match text.flatten() {
        None => Ok(Cursor::START),
        Some(text) => text
            .parse()
            .map_err(|e| Error::Damaged(format!("stored sync cursor: {e}"))),
    }
}

/// Drops everything a pull brought, keeping what this device made itself:
/// its own events, their outbox rows, its unsent record edits. The catalogue
/// stays until the server sends another one, so progress is never folded
/// against an empty catalogue halfway through a re-fetch.
fn drop_pulled(tx: &Transaction<'_>, own_device: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM events WHERE device_id != ?1
           AND id NOT IN (SELECT event_id FROM diagnoses)",
        params![own_device],
    )?;
    tx.execute_batch(
        "DELETE FROM plans;
         DELETE FROM overlay_packs;
         DELETE FROM records;
         DELETE FROM skipped_changes WHERE unreadable = 1;
         UPDATE sync_state SET cursor = NULL, epoch = NULL, server_progress = NULL,
             diagnoses_walk = NULL;",
    )?;
    Ok(())
}

/// Stores a pulled event unless this device holds it already — or holds a
/// different event at the same place in the same chain, which it keeps
/// (its own history is never overwritten) and counts. `Some(true)` when
/// stored, `Some(false)` when already held, `None` for a clash.
fn store_pulled_event(tx: &Transaction<'_>, event: &Event) -> Result<Option<bool>> {
    // One statement for the common case: the id and the (device, sequence)
    // are both unique, so an event already held (or a clash) is ignored.
    let body = serde_json::to_string(event).map_err(|e| Error::Invalid(e.to_string()))?;
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO events (id, device_id, seq, at_ms, kind, body, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            event.id.to_string(),
            event.device.to_string(),
            i64::try_from(event.seq).unwrap_or(i64::MAX),
            event.at_ms,
            event.kind.name(),
            body,
            event.hash.to_hex()
        ])?;
    if inserted == 1 {
        return Ok(Some(true));
    }
    let known: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1)")?
        .query_row(params![event.id.to_string()], |r| r.get(0))?;
    Ok(known.then_some(false))
}

fn store_catalog(tx: &Transaction<'_>, body: &serde_json::Value) -> Result<bool> {
    // Check it is a catalogue the engine can fold with before keeping it.
    let catalog: Catalog = serde_json::from_value(body.clone())
        .map_err(|e| Error::Invalid(format!("pulled quest catalogue: {e}")))?;
    let text = serde_json::to_string(&catalog).map_err(|e| Error::Invalid(e.to_string()))?;
    let hash = hex::encode(Sha256::digest(text.as_bytes()));
    let changed = tx.execute(
        "INSERT INTO catalog (only_row, body, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (only_row) DO UPDATE SET body = excluded.body, hash = excluded.hash
         WHERE catalog.hash != excluded.hash",
        params![text, hash],
    )?;
    Ok(changed > 0)
}

fn apply_change(
    tx: &Transaction<'_>,
    change: &Change,
    now_ms: i64,
    applied: &mut PullApplied,
    refold_needed: &mut bool,
) -> Result<()> {
    match change {
        Change::Event { event } => {
            if event.compute_hash()? != event.hash {
                return Err(Error::Invalid(format!(
                    "pulled event {} does not match its hash",
                    event.id
                )));
            }
            match store_pulled_event(tx, event)? {
                Some(true) => {
                    applied.events_added += 1;
                    *refold_needed = true;
                }
                Some(false) => {}
                None => applied.events_conflicting += 1,
            }
        }
        Change::Plan {
            id,
            title,
            markdown,
            version,
        } => {
            tx.execute(
                "INSERT INTO plans (id, title, markdown, version, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title,
                     markdown = excluded.markdown, version = excluded.version,
                     updated_at_ms = excluded.updated_at_ms
                 WHERE excluded.version >= plans.version",
                params![
                    id,
                    title,
                    markdown,
                    i64::try_from(*version).unwrap_or(i64::MAX),
                    now_ms
                ],
            )?;
            applied.other_changes += 1;
        }
        Change::Catalog { body } => {
            if store_catalog(tx, body)? {
                *refold_needed = true;
            }
            applied.other_changes += 1;
        }
        Change::OverlayPack {
            vehicle,
            body,
            version,
        } => {
            tx.execute(
                "INSERT INTO overlay_packs (vehicle, body, version, fetched_at_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (vehicle) DO UPDATE SET body = excluded.body,
                     version = excluded.version, fetched_at_ms = excluded.fetched_at_ms
                 WHERE excluded.version >= overlay_packs.version",
                params![
                    vehicle,
                    body.to_string(),
                    i64::try_from(*version).unwrap_or(i64::MAX),
                    now_ms
                ],
            )?;
            applied.other_changes += 1;
        }
        Change::Record { record } => {
            upsert_record(tx, record)?;
            applied.other_changes += 1;
        }
        Change::Unreadable { why, .. } => {
            return Err(Error::Invalid(format!(
                "a change this version cannot read: {why}"
            )));
        }
    }
    Ok(())
}

impl Store {
    /// Where the next pull starts.
    pub fn cursor(&self) -> Result<Cursor> {
        read_cursor(self.conn())
    }

    /// Applies one pull page: every change and the new cursor (and the
    /// server's progress) commit together or not at all. A page marked
    /// `reset`, or the answer to a pull from the start, first drops what
    /// earlier pulls brought (never this device's own events or outbox);
    /// after a real reset this device's events are queued for the server
    /// again, since it may have lost some.
    pub fn apply_pull(&mut self, page: &PullResponse, now_ms: i64) -> Result<PullApplied> {
        self.apply_page(page, now_ms, false)
    }

    /// Applies a page as [`Store::apply_pull`] does, except that a change
    /// that cannot be applied (an event that does not match its hash, a
    /// catalogue this engine cannot read) is kept aside whole, with why, in
    /// [`Store::skipped_changes`], and the rest of the page goes in. For a
    /// page that failed [`crate::sync::MAX_PAGE_TRIES`] rounds in a row.
    pub fn apply_pull_skipping(&mut self, page: &PullResponse, now_ms: i64) -> Result<PullApplied> {
        self.apply_page(page, now_ms, true)
    }

    /// Counts one more failed round on the page at the current cursor;
    /// returns how many there have been.
    pub fn note_pull_failure(&mut self) -> Result<u32> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sync_state (only_row, page_failures) VALUES (1, 1)
                 ON CONFLICT (only_row) DO UPDATE SET page_failures = page_failures + 1",
                [],
            )?;
            Ok(tx.query_row(
                "SELECT page_failures FROM sync_state WHERE only_row = 1",
                [],
                |r| r.get(0),
            )?)
        })
    }

    /// Applies the kept changes an earlier version of the app could not
    /// read and this one can, oldest first, and forgets them; those it still
    /// cannot read stay, and one it reads but cannot apply stays as an
    /// ordinary skipped change with why. Returns how many were applied.
    /// The sync client calls it before each pull.
    pub fn apply_kept_changes(&mut self, now_ms: i64) -> Result<usize> {
        let kept: Vec<(i64, String)> = self
            .conn()
            .prepare("SELECT id, change FROM skipped_changes WHERE unreadable = 1 ORDER BY id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if kept.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let mut applied = PullApplied::default();
            let mut refold_needed = false;
            for (id, body) in kept {
                let body: serde_json::Value = serde_json::from_str(&body)
                    .map_err(|e| Error::Damaged(format!("kept change {id}: {e}")))?;
                let change = Change::read(body);
                if matches!(change, Change::Unreadable { .. }) {
                    continue;
                }
                tx.execute_batch("SAVEPOINT one_change")?;
                match apply_change(tx, &change, now_ms, &mut applied, &mut refold_needed) {
                    Ok(()) => {
                        tx.execute_batch("RELEASE one_change")?;
                        tx.execute("DELETE FROM skipped_changes WHERE id = ?1", [id])?;
                    }
                    Err(Error::Invalid(why)) => {
                        tx.execute_batch("ROLLBACK TO one_change; RELEASE one_change")?;
                        tx.execute(
                            "UPDATE skipped_changes SET unreadable = 0, error = ?2 WHERE id = ?1",
                            params![id, why],
                        )?;
                    }
                    Err(e) => return Err(e),
                }
            }
            if refold_needed {
                tx.execute("DELETE FROM progress_cache", [])?;
            }
            Ok(applied.events_added + applied.other_changes)
        })
    }

    /// Changes from the server that could not be applied, oldest first.
    pub fn skipped_changes(&self) -> Result<Vec<SkippedChange>> {
        let mut stmt = self.conn().prepare(
            "SELECT cursor, position, change, error, at_ms, unreadable FROM skipped_changes
             ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SkippedChange {
                cursor: r.get(0)?,
                position: r.get::<_, i64>(1)? as usize,
                change: r.get(2)?,
                error: r.get(3)?,
                at_ms: r.get(4)?,
                unreadable: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn apply_page(
        &mut self,
        page: &PullResponse,
        now_ms: i64,
        skip_bad: bool,
    ) -> Result<PullApplied> {
        let own = self.device().to_string();
        let summary = serde_json::to_string(&page.progress)
            .map_err(|e| Error::Invalid(format!("server progress: {e}")))?;
        self.write(|tx| {
            let sent = read_cursor(tx)?;
            let from_scratch = page.reset || sent == Cursor::START;
            if !from_scratch && !sent.is_from(&page.cursor.epoch) {
                // Applying a page of another epoch onto this one would mix
                // two histories; the server must say `reset`.
                return Err(Error::Invalid(format!(
                    "pull answered from epoch {:?} without a reset (cursor was {sent})",
                    page.cursor.epoch
                )));
            }
            let mut applied = PullApplied {
                reset: from_scratch && sent != Cursor::START,
                ..PullApplied::default()
            };
            let mut refold_needed = false;
            if from_scratch {
                drop_pulled(tx, &own)?;
                refold_needed = true;
            }
            if applied.reset {
                // The server was reset or restored and may have lost events
                // it had acknowledged: queue this device's events again.
                // The first push answer acknowledges whatever it still
                // holds in one go, and sending the rest fills its gaps.
                tx.execute(
                    "INSERT INTO outbox (event_id, seq)
                     SELECT e.id, e.seq FROM events e
                     WHERE e.device_id = ?1
                       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id)",
                    params![own],
                )?;
            }
            for (position, change) in page.changes.iter().enumerate() {
                if let Change::Unreadable { body, why } = change {
                    // A later version's change: kept whole, the page goes on.
                    tx.execute(
                        "INSERT INTO skipped_changes
                             (cursor, position, change, error, at_ms, unreadable)
                         VALUES (?1, ?2, ?3, ?4, ?5, 1)",
                        params![
                            page.cursor.to_string(),
                            position as i64,
                            body.to_string(),
                            why,
                            now_ms
                        ],
                    )?;
                    applied.changes_unreadable += 1;
                    continue;
                }
                if !skip_bad {
                    apply_change(tx, change, now_ms, &mut applied, &mut refold_needed)?;
                    continue;
                }
                tx.execute_batch("SAVEPOINT one_change")?;
                match apply_change(tx, change, now_ms, &mut applied, &mut refold_needed) {
                    Ok(()) => tx.execute_batch("RELEASE one_change")?,
                    Err(Error::Invalid(why)) => {
                        tx.execute_batch("ROLLBACK TO one_change; RELEASE one_change")?;
                        let body = serde_json::to_string(change)
                            .map_err(|e| Error::Invalid(e.to_string()))?;
                        tx.execute(
                            "INSERT INTO skipped_changes (cursor, position, change, error, at_ms)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![page.cursor.to_string(), position as i64, body, why, now_ms],
                        )?;
                        applied.changes_skipped += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
            tx.execute(
                "INSERT INTO sync_state (only_row, epoch, cursor, last_pull_ms, server_progress)
                 VALUES (1, ?1, ?2, ?3, ?4)
                 ON CONFLICT (only_row) DO UPDATE SET epoch = excluded.epoch,
                     cursor = excluded.cursor, last_pull_ms = excluded.last_pull_ms,
                     server_progress = excluded.server_progress, page_failures = 0",
                params![page.cursor.epoch, page.cursor.to_string(), now_ms, summary],
            )?;
            if refold_needed {
                // Folding every event again after each page would make a
                // cold pull quadratic; the next read of progress folds once.
                tx.execute("DELETE FROM progress_cache", [])?;
            }
            Ok(applied)
        })
    }

    /// Forgets the cursor, so the next pull fetches everything again and
    /// replaces what earlier pulls brought.
    pub fn restart_pull(&mut self) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE sync_state SET cursor = NULL, epoch = NULL WHERE only_row = 1",
                [],
            )?;
            Ok(())
        })
    }

    /// The rider's progress as the server folded it at the last pull.
    pub fn server_progress(&self) -> Result<Option<ProgressSummary>> {
        let text: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT server_progress FROM sync_state WHERE only_row = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        text.flatten()
            .map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| Error::Damaged(format!("stored server progress: {e}")))
            })
            .transpose()
    }

    /// This device's own fold, in the server's summary form, to compare with
    /// [`Store::server_progress`].
    pub fn progress_summary(&mut self) -> Result<ProgressSummary> {
        let progress = self.progress()?;
        Ok(ProgressSummary::of(&progress, progress.event_count()))
    }

    /// When the last pull was applied (Unix ms).
    pub fn last_pull_ms(&self) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT last_pull_ms FROM sync_state WHERE only_row = 1",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    /// The maintenance plans the server sent, by title.
    pub fn plans(&self) -> Result<Vec<StoredPlan>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, title, markdown, version FROM plans ORDER BY title, id")?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredPlan {
                id: r.get(0)?,
                title: r.get(1)?,
                markdown: r.get(2)?,
                version: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The overlay pack for a vehicle model, if the server sent one.
    pub fn overlay_pack(&self, vehicle: &str) -> Result<Option<serde_json::Value>> {
        let body: Option<String> = self
            .conn()
            .query_row(
                "SELECT body FROM overlay_packs WHERE vehicle = ?1",
                params![vehicle],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b).map_err(|e| Error::Damaged(format!("overlay pack: {e}")))
        })
        .transpose()
    }
}
