//! The store: opening (with migrations and recovery), recording events,
//! reading progress, and the outbox the sync client drains.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind, Hash};
use ridewire_engine::progress::Progress;
use ridewire_engine::quest::Catalog;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::stored::decode_event;
use crate::{Error, Result, migrate, recover};

/// The name [`Store::path`] gives a store in memory.
const IN_MEMORY: &str = ":memory:";

/// How long a writer waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The local database of one rider on one device.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    device: DeviceId,
}

/// What opening found.
#[derive(Debug)]
pub struct Opened {
    pub store: Store,
    /// Set when the old file was damaged and a fresh one was made.
    pub recovery: Option<Recovery>,
}

/// A damaged database that was moved aside and replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Where the damaged file is now (kept for inspection, never deleted).
    pub moved_to: PathBuf,
    /// What was wrong with it.
    pub reason: String,
    /// Events read back from it and carried into the new file.
    pub events_carried_over: usize,
    /// Of those, events the server had not acknowledged yet.
    pub unsent_carried_over: usize,
}

/// The result of recording an event.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub event: Event,
    pub progress: Progress,
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub event: Event,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The server refused this event for good; it no longer blocks the queue.
    pub wedged: bool,
    /// Not before this time (Unix ms); backoff after a failure.
    pub next_attempt_at_ms: i64,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL lets the UI read while sync writes; FULL makes a returned commit
    // survive power loss, which the outbox promises.
    conn.pragma_update_and_check(None, "journal_mode", "wal", |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

pub(crate) fn open_connection(path: &Path) -> Result<Connection> {
    Connection::open(path).map_err(|e| Error::Open {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

impl Store {
    /// Opens (or creates) the database at `path`, migrating it to the
    /// current schema. A damaged file is moved aside next to it and replaced;
    /// the events that can still be read are carried over. `now_ms` names the
    /// moved file and stamps a new device.
    pub fn open(path: impl AsRef<Path>, now_ms: i64) -> Result<Opened> {
        let path = path.as_ref().to_owned();
        if path.exists() {
            match recover::check(&path)? {
                recover::Health::Sound => {
                    let store = Self::open_sound(&path, now_ms)?;
                    return Ok(Opened {
                        store,
                        recovery: None,
                    });
                }
                recover::Health::Damaged(reason) => {
                    let moved_to = recover::move_aside(&path, now_ms)?;
                    let salvage = recover::salvage(&moved_to);
                    let mut store = Self::open_sound(&path, now_ms)?;
                    let (events, unsent) = store.adopt(salvage)?;
                    return Ok(Opened {
                        store,
                        recovery: Some(Recovery {
                            moved_to,
                            reason,
                            events_carried_over: events,
                            unsent_carried_over: unsent,
                        }),
                    });
                }
            }
        }
        let store = Self::open_sound(&path, now_ms)?;
        Ok(Opened {
            store,
            recovery: None,
        })
    }

    /// A database that lives in memory only and is gone when dropped (the
    /// demo garage, trying the app out): the same schema, recording and
    /// folding as a file, nothing written to disk. It writes events as
    /// `device` (the demo garage continues its own device's chain).
    pub fn in_memory(device: DeviceId, now_ms: i64) -> Result<Self> {
        let path = PathBuf::from(IN_MEMORY);
        let mut conn = Connection::open_in_memory().map_err(|e| Error::Open {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        // journal_mode answers "memory" here; the other settings hold.
        configure(&conn)?;
        migrate::migrate(&mut conn, &path)?;
        conn.execute(
            "INSERT INTO device (only_row, device_id, created_at_ms) VALUES (1, ?1, ?2)",
            params![device.to_string(), now_ms],
        )?;
        Ok(Self { conn, path, device })
    }

    /// Whether this store lives in memory only ([`Store::in_memory`]).
    pub fn is_in_memory(&self) -> bool {
        self.path.as_os_str() == IN_MEMORY
    }

    fn open_sound(path: &Path, now_ms: i64) -> Result<Self> {
        let mut conn = open_connection(path)?;
        // Refuse a newer file before touching it (configure may write).
        let found = migrate::version(&conn)?;
        if found > migrate::SCHEMA_VERSION {
            return Err(Error::TooNew {
                path: path.to_owned(),
                found,
                supported: migrate::SCHEMA_VERSION,
            });
        }
        configure(&conn)?;
        migrate::migrate(&mut conn, path)?;
        let device = ensure_device(&mut conn, now_ms)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            device,
        })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The device this database writes events as.
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// Runs `f` in one transaction that commits only if `f` succeeds.
    ///
    /// The write lock is taken up front (`BEGIN IMMEDIATE`): the app and the
    /// sync thread write the same file through two connections, and a
    /// transaction that read first and then tried to write after the other
    /// one committed would fail with "database is locked" at once, without
    /// waiting out the busy timeout.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Sets the quest catalogue progress is folded against; progress is
    /// refolded in the same transaction when it changed.
    pub fn set_catalog(&mut self, catalog: &Catalog) -> Result<()> {
        let body = serde_json::to_string(catalog).map_err(|e| Error::Damaged(e.to_string()))?;
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        self.write(|tx| {
            let old: Option<String> = tx
                .query_row("SELECT hash FROM catalog WHERE only_row = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            if old.as_deref() == Some(hash.as_str()) {
                return Ok(());
            }
            tx.execute(
                "INSERT INTO catalog (only_row, body, hash) VALUES (1, ?1, ?2)
                 ON CONFLICT (only_row) DO UPDATE SET body = excluded.body, hash = excluded.hash",
                params![body, hash],
            )?;
            let progress = fold_all(tx, catalog)?;
            save_progress(tx, &hash, &progress)
        })
    }

    /// The stored catalogue, if one was set.
    pub fn catalog(&self) -> Result<Option<Catalog>> {
        load_catalog(&self.conn).map(|c| c.map(|(catalog, _)| catalog))
    }

    /// Records what the rider did: the event, its outbox row and the new
    /// progress commit together or not at all.
    pub fn record(
        &mut self,
        kind: EventKind,
        at_ms: i64,
        utc_offset_min: i16,
        random: [u8; 10],
    ) -> Result<Recorded> {
        let device = self.device;
        self.write(|tx| record_in(tx, device, kind, at_ms, utc_offset_min, random))
    }

    /// Records several of the rider's actions at once (a plan's ticked
    /// tasks, an import) in one transaction: all of them or none. Each item
    /// is what [`Store::record`] takes.
    pub fn record_all(&mut self, items: &[(EventKind, i64, i16, [u8; 10])]) -> Result<Vec<Event>> {
        let device = self.device;
        self.write(|tx| {
            let mut chain = chain_tail(tx, device)?;
            let mut events = Vec::with_capacity(items.len());
            for (kind, at_ms, offset, random) in items {
                let event =
                    chain.append(EventId::v7(*at_ms, *random), *at_ms, *offset, kind.clone())?;
                insert_event(tx, &event)?;
                tx.prepare_cached("INSERT INTO outbox (event_id, seq) VALUES (?1, ?2)")?
                    .execute(params![event.id.to_string(), event.seq as i64])?;
                events.push(event);
            }
            if !events.is_empty() {
                refold(tx)?;
            }
            Ok(events)
        })
    }

    /// The connection, for sibling modules' reads.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Stores events that came from elsewhere (other devices, via sync);
    /// ones already stored are skipped. Returns how many were new.
    pub fn store_remote(&mut self, events: &[Event]) -> Result<usize> {
        self.write(|tx| {
            let mut added = 0;
            for event in events {
                if insert_event_if_new(tx, event)? {
                    added += 1;
                }
            }
            if added > 0 {
                refold(tx)?;
            }
            Ok(added)
        })
    }

    /// Progress as folded from every stored event (from the cache when it is
    /// current, else folded afresh and the cache rebuilt).
    pub fn progress(&mut self) -> Result<Progress> {
        self.write(|tx| match cached_progress(tx)? {
            Some(progress) => Ok(progress),
            None => refold(tx),
        })
    }

    /// Every stored event, in the engine's canonical order.
    pub fn events(&self) -> Result<Vec<Event>> {
        all_events(&self.conn)
    }

    /// Where the event log stands now: every event stored later, by any
    /// connection, is found by [`Store::events_after`] with this mark. A
    /// pull that resets drops events, after which marks start over; readers
    /// then read everything again.
    pub fn event_mark(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(rowid), 0) FROM events", [], |r| {
                r.get(0)
            })?)
    }

    /// The events stored after `mark` (in the order they were stored) and
    /// the mark after them: what a reader that already holds the log up to
    /// `mark` is missing, without reading the rest again.
    pub fn events_after(&self, mark: i64) -> Result<(Vec<Event>, i64)> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT rowid, body FROM events WHERE rowid > ?1 ORDER BY rowid")?;
        let mut rows = stmt.query(params![mark])?;
        let (mut events, mut last) = (Vec::new(), mark);
        while let Some(row) = rows.next()? {
            last = row.get(0)?;
            events.push(decode_event(&row.get::<_, String>(1)?)?);
        }
        Ok((events, last))
    }

    /// The outbox, oldest first, wedged rows included.
    pub fn outbox(&self) -> Result<Vec<OutboxItem>> {
        let mut stmt = self.conn.prepare(
            "SELECT e.body, o.attempts, o.last_error, o.wedged, o.next_attempt_at_ms
             FROM outbox o JOIN events e ON e.id = o.event_id ORDER BY o.seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (body, attempts, last_error, wedged, next) = row?;
            Ok(OutboxItem {
                event: decode_event(&body)?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                last_error,
                wedged,
                next_attempt_at_ms: next,
            })
        })
        .collect()
    }

    /// Removes outbox rows up to and including `seq`: the server holds them.
    /// Wedged rows stay, so the rider can still see what was refused and why.
    pub fn acknowledge(&mut self, seq: u64) -> Result<usize> {
        self.write(|tx| crate::outbox::acknowledge_in(tx, seq))
    }

    /// Notes a failed delivery: a transient one is retried from
    /// `retry_at_ms`; a permanent one wedges the row so the rest can go.
    pub fn mark_failed(
        &mut self,
        event: EventId,
        error: &str,
        permanent: bool,
        retry_at_ms: i64,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,
                     wedged = ?3, next_attempt_at_ms = ?4 WHERE event_id = ?1",
                params![event.to_string(), error, permanent, retry_at_ms],
            )?;
            Ok(())
        })
    }

    /// A stored setting, if it was ever saved.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Saves a setting (replacing the old value).
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }

    /// Forgets a setting on this device.
    pub fn remove_setting(&mut self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Carries salvaged events into this (fresh) database.
    fn adopt(&mut self, salvage: recover::Salvage) -> Result<(usize, usize)> {
        let device = self.device;
        self.write(|tx| {
            if let Some(old) = salvage.device {
                // Keep writing as the same device so its chain continues.
                tx.execute(
                    "UPDATE device SET device_id = ?1 WHERE only_row = 1",
                    params![old.to_string()],
                )?;
            }
            let own = salvage.device.unwrap_or(device);
            let (mut events, mut unsent) = (0, 0);
            for event in &salvage.events {
                if insert_event_if_new(tx, event)? {
                    events += 1;
                    if event.device == own && salvage.unsent.contains(&event.id) {
                        tx.execute(
                            "INSERT INTO outbox (event_id, seq) VALUES (?1, ?2)",
                            params![event.id.to_string(), event.seq as i64],
                        )?;
                        unsent += 1;
                    }
                }
            }
            if let Some((body, _)) = salvage.catalog {
                let hash = hex::encode(Sha256::digest(body.as_bytes()));
                tx.execute(
                    "INSERT INTO catalog (only_row, body, hash) VALUES (1, ?1, ?2)",
                    params![body, hash],
                )?;
            }
            refold(tx)?;
            Ok((events, unsent))
        })
        .and_then(|counts| {
            self.device = read_device(&self.conn)?;
            Ok(counts)
        })
    }
}

/// Appends this device's next event, its outbox row and the new progress
/// inside the caller's transaction.
pub(crate) fn record_in(
    tx: &Transaction<'_>,
    device: DeviceId,
    kind: EventKind,
    at_ms: i64,
    utc_offset_min: i16,
    random: [u8; 10],
) -> Result<Recorded> {
    let mut chain = chain_tail(tx, device)?;
    // A device's chain moves forward in time (the server refuses an event
    // dated well before the one it follows): after the clock was set back,
    // an event is stamped no earlier than the device's previous one.
    let previous: Option<i64> = tx
        .query_row(
            "SELECT at_ms FROM events WHERE device_id = ?1 ORDER BY seq DESC LIMIT 1",
            [device.0.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    let at_ms = previous.map_or(at_ms, |p| at_ms.max(p));
    let event = chain.append(EventId::v7(at_ms, random), at_ms, utc_offset_min, kind)?;
    insert_event(tx, &event)?;
    tx.execute(
        "INSERT INTO outbox (event_id, seq) VALUES (?1, ?2)",
        params![event.id.to_string(), event.seq as i64],
    )?;
    let progress = advance_progress(tx, &event)?;
    Ok(Recorded { event, progress })
}

fn ensure_device(conn: &mut Connection, now_ms: i64) -> Result<DeviceId> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing: Option<String> = tx
        .query_row("SELECT device_id FROM device WHERE only_row = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    if existing.is_none() {
        tx.execute(
            "INSERT INTO device (only_row, device_id, created_at_ms) VALUES (1, ?1, ?2)",
            params![Uuid::now_v7().to_string(), now_ms],
        )?;
    }
    tx.commit()?;
    read_device(conn)
}

fn read_device(conn: &Connection) -> Result<DeviceId> {
    let text: String =
        conn.query_row("SELECT device_id FROM device WHERE only_row = 1", [], |r| {
            r.get(0)
        })?;
    Uuid::parse_str(&text)
        .map(DeviceId)
        .map_err(|e| Error::Damaged(format!("device id {text:?}: {e}")))
}

fn chain_tail(tx: &Transaction<'_>, device: DeviceId) -> Result<DeviceChain> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM events WHERE device_id = ?1 ORDER BY seq DESC LIMIT 1",
            params![device.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match last {
        None => DeviceChain::new(device),
        Some((seq, hash)) => DeviceChain {
            device,
            last_seq: u64::try_from(seq).map_err(|_| Error::Damaged(format!("sequence {seq}")))?,
            last_hash: Hash::from_hex(&hash)?,
        },
    })
}

pub(crate) fn insert_event(tx: &Transaction<'_>, event: &Event) -> Result<()> {
    let body = serde_json::to_string(event).map_err(|e| Error::Damaged(e.to_string()))?;
    tx.prepare_cached(
        "INSERT INTO events (id, device_id, seq, at_ms, kind, body, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        event.id.to_string(),
        event.device.to_string(),
        event.seq as i64,
        event.at_ms,
        event.kind.name(),
        body,
        event.hash.to_hex()
    ])?;
    Ok(())
}

pub(crate) fn insert_event_if_new(tx: &Transaction<'_>, event: &Event) -> Result<bool> {
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1)",
        params![event.id.to_string()],
        |r| r.get(0),
    )?;
    if known {
        return Ok(false);
    }
    insert_event(tx, event)?;
    Ok(true)
}

pub(crate) fn all_events(conn: &Connection) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare("SELECT body FROM events ORDER BY at_ms, device_id, seq, id")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.map(|body| decode_event(&body?)).collect()
}

pub(crate) fn load_catalog(conn: &Connection) -> Result<Option<(Catalog, String)>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT body, hash FROM catalog WHERE only_row = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(body, hash)| {
        serde_json::from_str(&body)
            .map(|c| (c, hash))
            .map_err(|e| Error::Damaged(format!("catalogue: {e}")))
    })
    .transpose()
}

fn save_progress(tx: &Transaction<'_>, catalog_hash: &str, progress: &Progress) -> Result<()> {
    let body = serde_json::to_string(progress).map_err(|e| Error::Damaged(e.to_string()))?;
    tx.execute(
        "INSERT INTO progress_cache (only_row, catalog_hash, event_count, body) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (only_row) DO UPDATE SET catalog_hash = excluded.catalog_hash,
             event_count = excluded.event_count, body = excluded.body",
        params![catalog_hash, progress.event_count() as i64, body],
    )?;
    Ok(())
}

/// The cached progress if it was folded against the current catalogue from
/// every stored event; `None` when it must be folded again.
fn cached_progress(tx: &Transaction<'_>) -> Result<Option<Progress>> {
    let Some((_, hash)) = load_catalog(tx)? else {
        return Ok(None);
    };
    let row: Option<(String, i64, String)> = tx
        .query_row(
            "SELECT catalog_hash, event_count, body FROM progress_cache WHERE only_row = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let stored: i64 = tx.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
    Ok(match row {
        Some((h, count, body)) if h == hash && count == stored => serde_json::from_str(&body).ok(),
        _ => None,
    })
}

/// Folds every stored event against `catalog`, streaming rows in the
/// engine's canonical order so only the progress is held in memory, not
/// every event (a phone that just pulled 100,000 rows). The text order of
/// the ids matches the engine's order of UUIDs; should a row ever arrive out
/// of order, the events are folded the slow way, all in memory.
fn fold_all(conn: &Connection, catalog: &Catalog) -> Result<Progress> {
    let mut stmt = conn.prepare("SELECT body FROM events ORDER BY at_ms, device_id, seq, id")?;
    let mut rows = stmt.query([])?;
    let mut progress = Progress::default();
    while let Some(row) = rows.next()? {
        let event = decode_event(&row.get::<_, String>(0)?)?;
        if progress.apply(catalog, &event).is_err() {
            return Ok(Progress::from_events(catalog, &all_events(conn)?));
        }
    }
    Ok(progress)
}

/// Folds every stored event again and saves the result.
pub(crate) fn refold(tx: &Transaction<'_>) -> Result<Progress> {
    let Some((catalog, hash)) = load_catalog(tx)? else {
        // No catalogue yet: XP for diagnostics and scans still counts.
        return fold_all(tx, &Catalog::default());
    };
    let progress = fold_all(tx, &catalog)?;
    save_progress(tx, &hash, &progress)?;
    Ok(progress)
}

/// Folds one new event into the cached progress, or refolds everything
/// when the cache is stale or the event is older than what it holds.
fn advance_progress(tx: &Transaction<'_>, event: &Event) -> Result<Progress> {
    let Some((catalog, hash)) = load_catalog(tx)? else {
        return refold(tx);
    };
    let stored: i64 = tx.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
    let row: Option<(String, i64, String)> = tx
        .query_row(
            "SELECT catalog_hash, event_count, body FROM progress_cache WHERE only_row = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let cached = match row {
        // The cache must hold every event but the one just inserted.
        Some((h, count, body)) if h == hash && count + 1 == stored => {
            serde_json::from_str::<Progress>(&body).ok()
        }
        _ => None,
    };
    if let Some(mut progress) = cached
        && progress.apply(&catalog, event).is_ok()
    {
        save_progress(tx, &hash, &progress)?;
        return Ok(progress);
    }
    refold(tx)
}
