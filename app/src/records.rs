//! Shared records as this device sees them: the server's copy as last
//! pulled, with this device's edits that wait to be sent laid on top (a
//! conflicted or refused edit is not: the rider settles it first).

use std::collections::BTreeMap;

use ridewire_engine::sync::record::{Edit, Record, RecordKind};
use ridewire_offline_store::Store;
use serde_json::Value;

use crate::{Error, Result};

/// Field: when the record was made (Unix ms), to keep lists in order.
pub(crate) const ADDED: &str = "added_ms";
/// Field: `true` once the record is taken out (on every device).
pub(crate) const REMOVED: &str = "removed";

/// One record as this device sees it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub key: String,
    pub fields: BTreeMap<String, Value>,
    /// A change to it waits to reach the server.
    pub waiting: bool,
}

fn values(record: &Record) -> BTreeMap<String, Value> {
    record
        .fields
        .iter()
        .map(|(name, field)| (name.clone(), field.value.clone()))
        .collect()
}

/// Every record of `kind` not removed, oldest first.
pub(crate) fn view(store: &Store, kind: RecordKind) -> Result<Vec<Seen>> {
    let mut seen: BTreeMap<String, (BTreeMap<String, Value>, bool)> = store
        .shared_records(kind)?
        .iter()
        .map(|r| (r.key.clone(), (values(r), false)))
        .collect();
    for pending in store.pending_edits()? {
        if pending.edit.kind != kind || pending.refused || pending.conflict.is_some() {
            continue;
        }
        let (fields, waiting) = seen.entry(pending.edit.key.clone()).or_default();
        fields.extend(pending.edit.changes.clone());
        *waiting = true;
    }
    let mut all: Vec<(i64, Seen)> = seen
        .into_iter()
        .filter(|(_, (fields, _))| fields.get(REMOVED) != Some(&Value::Bool(true)))
        .map(|(key, (fields, waiting))| {
            let added = fields.get(ADDED).and_then(Value::as_i64).unwrap_or(0);
            (
                added,
                Seen {
                    key,
                    fields,
                    waiting,
                },
            )
        })
        .collect();
    all.sort_by(|a, b| (a.0, &a.1.key).cmp(&(b.0, &b.1.key)));
    Ok(all.into_iter().map(|(_, seen)| seen).collect())
}

/// Drops a change the server refused for good.
pub(crate) fn discard(store: &mut Store, edit: i64, now_ms: i64) -> Result<()> {
    let known = store
        .pending_edits()?
        .into_iter()
        .any(|p| p.id == edit && p.refused);
    if !known {
        return Err(Error::Input("that change is gone already".into()));
    }
    store.resolve_edit(edit, None, now_ms)?;
    Ok(())
}

/// Settles a conflict: `keep_mine` sends this device's change again over
/// the other one; otherwise the other device's stands and this change is
/// dropped.
pub(crate) fn settle(store: &mut Store, edit: i64, keep_mine: bool, now_ms: i64) -> Result<()> {
    let pending = store
        .pending_edits()?
        .into_iter()
        .find(|p| p.id == edit && p.conflict.is_some())
        .ok_or_else(|| Error::Input("that conflict is settled already".into()))?;
    let replacement = keep_mine.then(|| Edit {
        base_version: pending.conflict.as_ref().map_or(0, |c| c.current.version),
        ..pending.edit.clone()
    });
    store.resolve_edit(edit, replacement.as_ref(), now_ms)?;
    Ok(())
}
