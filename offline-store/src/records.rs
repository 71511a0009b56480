//! Records two devices may both edit (a vehicle's notes and details, AR
//! anchor calibration): the server's copy as last pulled, and this device's
//! edits waiting to be sent. The merge itself is the engine's
//! ([`ridewire_engine::sync::record`]); the server applies it, and an edit
//! that overlaps someone else's comes back as a conflict for the rider.

use std::collections::BTreeMap;

use ridewire_engine::sync::record::{Conflict, Edit, Field, Record, RecordKind};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{Error, Result, Store};

/// An edit made on this device that the server has not taken yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEdit {
    /// The queue position (oldest first).
    pub id: i64,
    /// The edit as the rider made it.
    pub edit: Edit,
    /// How often sending it failed.
    pub attempts: u32,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// Someone else changed the same fields: the rider must choose.
    pub conflict: Option<Conflict>,
    /// The server will never take it (it said why in `last_error`).
    pub refused: bool,
}

impl PendingEdit {
    /// Whether the sync client should send it.
    pub fn is_sendable(&self) -> bool {
        self.conflict.is_none() && !self.refused
    }
}

fn kind_text(kind: RecordKind) -> Result<String> {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(Error::Invalid(format!("record kind {kind:?}"))),
    }
}

fn kind_from(text: &str) -> Result<RecordKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| Error::Damaged(format!("record kind {text:?}: {e}")))
}

fn version_sql(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

/// Keeps the newer of the stored and the given copy of a record.
pub(crate) fn upsert_record(tx: &Transaction<'_>, record: &Record) -> Result<()> {
    let fields = serde_json::to_string(&record.fields)
        .map_err(|e| Error::Invalid(format!("record fields: {e}")))?;
    tx.execute(
        "INSERT INTO records (kind, key, version, fields) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version,
             fields = excluded.fields
         WHERE excluded.version >= records.version",
        params![
            kind_text(record.kind)?,
            record.key,
            version_sql(record.version),
            fields
        ],
    )?;
    Ok(())
}

fn read_record(conn: &Connection, kind: RecordKind, key: &str) -> Result<Option<Record>> {
    let row: Option<(i64, String)> = conn
        .query_row(
            "SELECT version, fields FROM records WHERE kind = ?1 AND key = ?2",
            params![kind_text(kind)?, key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(version, fields)| {
        let fields: BTreeMap<String, Field> = serde_json::from_str(&fields)
            .map_err(|e| Error::Damaged(format!("record {key:?}: {e}")))?;
        Ok(Record {
            kind,
            key: key.to_owned(),
            version: u64::try_from(version).unwrap_or(0),
            fields,
        })
    })
    .transpose()
}

impl Store {
    /// The server's copy of a record as last pulled or saved.
    pub fn shared_record(&self, kind: RecordKind, key: &str) -> Result<Option<Record>> {
        read_record(self.conn(), kind, key)
    }

    /// The server's copies of every record of `kind`, by key.
    pub fn shared_records(&self, kind: RecordKind) -> Result<Vec<Record>> {
        let keys: Vec<String> = self
            .conn()
            .prepare("SELECT key FROM records WHERE kind = ?1 ORDER BY key")?
            .query_map(params![kind_text(kind)?], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        keys.iter()
            .filter_map(|key| read_record(self.conn(), kind, key).transpose())
            .collect()
    }

    /// Queues the rider's change to a record for the server; returns its
    /// queue id. Edits the engine could never apply are refused here.
    pub fn edit_record(&mut self, edit: &Edit, now_ms: i64) -> Result<i64> {
        edit.validate()
            .map_err(|e| Error::Invalid(format!("record edit: {e}")))?;
        let changes = serde_json::to_string(&edit.changes)
            .map_err(|e| Error::Invalid(format!("record edit: {e}")))?;
        let kind = kind_text(edit.kind)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO record_edits (kind, key, base_version, changes, made_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    kind,
                    edit.key,
                    version_sql(edit.base_version),
                    changes,
                    now_ms
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Edits not yet taken by the server, oldest first (conflicts included).
    pub fn pending_edits(&self) -> Result<Vec<PendingEdit>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, kind, key, base_version, changes, attempts, last_error, conflict, refused
             FROM record_edits ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, bool>(8)?,
            ))
        })?;
        rows.map(|row| {
            let (id, kind, key, base, changes, attempts, last_error, conflict, refused) = row?;
            let damaged = |e: serde_json::Error| Error::Damaged(format!("record edit {id}: {e}"));
            Ok(PendingEdit {
                id,
                edit: Edit {
                    kind: kind_from(&kind)?,
                    key,
                    base_version: u64::try_from(base).unwrap_or(0),
                    changes: serde_json::from_str(&changes).map_err(damaged)?,
                },
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                last_error,
                conflict: conflict
                    .map(|c| serde_json::from_str(&c))
                    .transpose()
                    .map_err(damaged)?,
                refused,
            })
        })
        .collect()
    }

    /// The server took `saved` and answered with the record it now holds:
    /// the edit leaves the queue and the record is stored, together. Later
    /// edits this device made on the same base move onto the new version:
    /// they were made after this one, so they mean to change it further.
    pub fn edit_saved(&mut self, saved: &PendingEdit, record: &Record) -> Result<()> {
        let kind = kind_text(saved.edit.kind)?;
        self.write(|tx| {
            upsert_record(tx, record)?;
            tx.execute("DELETE FROM record_edits WHERE id = ?1", params![saved.id])?;
            tx.execute(
                "UPDATE record_edits SET base_version = ?4
                 WHERE kind = ?1 AND key = ?2 AND base_version = ?3 AND id > ?5
                   AND conflict IS NULL",
                params![
                    kind,
                    saved.edit.key,
                    version_sql(saved.edit.base_version),
                    version_sql(record.version),
                    saved.id
                ],
            )?;
            Ok(())
        })
    }

    /// The server answered edit `id` with a conflict: it waits for the rider.
    pub fn edit_conflicted(&mut self, id: i64, conflict: &Conflict) -> Result<()> {
        let text = serde_json::to_string(conflict)
            .map_err(|e| Error::Invalid(format!("conflict: {e}")))?;
        self.write(|tx| {
            upsert_record(tx, &conflict.current)?;
            tx.execute(
                "UPDATE record_edits SET conflict = ?2, attempts = attempts + 1 WHERE id = ?1",
                params![id, text],
            )?;
            Ok(())
        })
    }

    /// Sending edit `id` failed; a `permanent` failure keeps it unsent for
    /// good (the rider sees why), a transient one is retried.
    pub fn edit_failed(&mut self, id: i64, error: &str, permanent: bool) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE record_edits SET attempts = attempts + 1, last_error = ?2,
                     refused = ?3 WHERE id = ?1",
                params![id, error, permanent],
            )?;
            Ok(())
        })
    }

    /// The rider resolved (or dropped) a conflicted or refused edit: it
    /// leaves the queue and `replacement`, made on the current version, takes
    /// its place in one transaction.
    pub fn resolve_edit(&mut self, id: i64, replacement: Option<&Edit>, now_ms: i64) -> Result<()> {
        let replacement = match replacement {
            Some(edit) => {
                edit.validate()
                    .map_err(|e| Error::Invalid(format!("record edit: {e}")))?;
                let changes = serde_json::to_string(&edit.changes)
                    .map_err(|e| Error::Invalid(format!("record edit: {e}")))?;
                Some((kind_text(edit.kind)?, edit, changes))
            }
            None => None,
        };
        self.write(|tx| {
            tx.execute("DELETE FROM record_edits WHERE id = ?1", params![id])?;
            if let Some((kind, edit, changes)) = &replacement {
                tx.execute(
                    "INSERT INTO record_edits (kind, key, base_version, changes, made_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        kind,
                        edit.key,
                        version_sql(edit.base_version),
                        changes,
                        now_ms
                    ],
                )?;
            }
            Ok(())
        })
    }
}
