//! Finding a damaged database, moving it aside, and reading back what can
//! still be read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ridewire_engine::event::{DeviceId, Event, EventId};
use rusqlite::{Connection, OpenFlags};
use uuid::Uuid;

use crate::stored::decode_event;
use crate::{Error, Result, migrate};

/// Whether a database file can be used as it is.
pub(crate) enum Health {
    Sound,
    /// Unusable, with what is wrong in a sentence.
    Damaged(String),
}

fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// SQLite's answer when a read-only connection finds work only a writer
/// may do: a hot journal left by a crash mid-transaction (rolled back by
/// the next writer) or a write-ahead log whose index must be rebuilt.
fn needs_writer(e: &rusqlite::Error) -> bool {
    const READONLY_RECOVERY: i32 = 264;
    const READONLY_ROLLBACK: i32 = 776;
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == READONLY_ROLLBACK || f.extended_code == READONLY_RECOVERY
    )
}

/// Checks a file: is it SQLite at all, and do its pages hold together?
/// A newer schema is not damage (it is refused elsewhere, untouched), and
/// neither is a file we may not open (that is reported, not moved). A file
/// left mid-transaction by a crash is first rolled back, as SQLite does for
/// any writer that opens it, and then checked.
pub(crate) fn check(path: &Path) -> Result<Health> {
    match check_read_only(path) {
        Err(CheckError::NeedsWriter) => {
            let conn = Connection::open(path).map_err(|e| Error::Open {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
            // Reading the schema makes SQLite roll the hot journal back.
            match migrate::version(&conn) {
                Ok(_) => {}
                Err(e) if is_damage(&e) => return Ok(Health::Damaged(e.to_string())),
                Err(e) => return Err(e.into()),
            }
            drop(conn);
            match check_read_only(path) {
                Err(CheckError::NeedsWriter) => Ok(Health::Damaged(
                    "SQLite could not recover the file after a crash".to_owned(),
                )),
                Err(CheckError::Other(e)) => Err(e),
                Ok(health) => Ok(health),
            }
        }
        Err(CheckError::Other(e)) => Err(e),
        Ok(health) => Ok(health),
    }
}

enum CheckError {
    /// Only a read-write connection can recover the file.
    NeedsWriter,
    Other(Error),
}

impl From<rusqlite::Error> for CheckError {
    fn from(e: rusqlite::Error) -> Self {
        if needs_writer(&e) {
            CheckError::NeedsWriter
        } else {
            CheckError::Other(e.into())
        }
    }
}

fn check_read_only(path: &Path) -> Result<Health, CheckError> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
            CheckError::Other(Error::Open {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        })?;
    let version = match migrate::version(&conn) {
        Ok(v) => v,
        Err(e) if is_damage(&e) => return Ok(Health::Damaged(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    if version > migrate::SCHEMA_VERSION {
        return Ok(Health::Sound);
    }
    let verdict: rusqlite::Result<String> =
        conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0));
    match verdict {
        Ok(v) if v == "ok" => Ok(Health::Sound),
        Ok(v) => Ok(Health::Damaged(format!("integrity check failed: {v}"))),
        Err(e) if is_damage(&e) => Ok(Health::Damaged(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Renames the file (and its WAL and shared-memory files) to
/// `NAME.damaged-<now_ms>`, next to where it was.
pub(crate) fn move_aside(path: &Path, now_ms: i64) -> Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ridewire.db".into());
    let moved = path.with_file_name(format!("{name}.damaged-{now_ms}"));
    std::fs::rename(path, &moved)?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{name}{suffix}"));
        if side.exists() {
            std::fs::rename(
                &side,
                moved.with_file_name(format!("{name}.damaged-{now_ms}{suffix}")),
            )?;
        }
    }
    Ok(moved)
}

/// What could be read back from a damaged file.
#[derive(Debug, Default)]
pub(crate) struct Salvage {
    pub device: Option<DeviceId>,
    pub events: Vec<Event>,
    /// Ids of this device's events that were still in the outbox.
    pub unsent: BTreeSet<EventId>,
    /// The catalogue body and its hash, if it still decodes.
    pub catalog: Option<(String, String)>,
}

/// Reads whatever still reads: each row on its own, skipping rows (and
/// tables) that fail, and events whose content no longer matches its hash.
pub(crate) fn salvage(path: &Path) -> Salvage {
    let mut out = Salvage::default();
    let Ok(conn) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return out;
    };
    out.device = conn
        .query_row("SELECT device_id FROM device WHERE only_row = 1", [], |r| {
            r.get::<_, String>(0)
        })
        .ok()
        .and_then(|s| Uuid::parse_str(&s).ok())
        .map(DeviceId);
    if let Ok(mut stmt) = conn.prepare("SELECT body FROM events")
        && let Ok(rows) = stmt.query_map([], |r| r.get::<_, String>(0))
    {
        out.events = rows
            .map_while(|r| r.ok())
            .filter_map(|body| decode_event(&body).ok())
            .collect();
    }
    if let Ok(mut stmt) = conn.prepare("SELECT event_id FROM outbox")
        && let Ok(rows) = stmt.query_map([], |r| r.get::<_, String>(0))
    {
        out.unsent = rows
            .map_while(|r| r.ok())
            .filter_map(|id| Uuid::parse_str(&id).ok().map(EventId))
            .collect();
    }
    out.catalog = conn
        .query_row(
            "SELECT body, hash FROM catalog WHERE only_row = 1",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .ok()
        .filter(|(body, _)| serde_json::from_str::<serde_json::Value>(body).is_ok());
    out
}
