//! Versioned records that two devices may both edit — a vehicle's notes and
//! details, a vehicle's AR anchor calibration — and the rule that merges
//! their edits.
//!
//! Each field remembers the record version that last changed it. An edit
//! says which version it was made on (`base_version`). Fields the edit
//! changes that nobody else changed since that version merge; a field that
//! someone else changed since, to a different value than this edit wants, is
//! a conflict, and the whole edit comes back unapplied with the record as it
//! is now so the user can choose. Nothing is overwritten silently. Resolving
//! is a new edit on the current version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A vehicle in the garage: notes, mileage, details.
    Vehicle,
    /// Where the marker sits on a vehicle, as calibrated on a device.
    ArAnchor,
    /// A maintenance plan of the rider's own (its Markdown in fields of at
    /// most [`MAX_VALUE_BYTES`] each).
    Plan,
    /// One of the rider's bookings at a workshop, as the server keeps them
    /// told (`super::booking_record`); only the server writes these.
    Booking,
}

/// One field's value and the version that last changed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The value; `null` means cleared.
    pub value: serde_json::Value,
    /// The record version whose edit set this value.
    pub changed_in: u64,
}

/// A record as the server holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// What it describes.
    pub kind: RecordKind,
    /// Which one (e.g. a vehicle id).
    pub key: String,
    /// Bumped by every edit that changed something; 0 for a record never
    /// written.
    pub version: u64,
    /// The fields by name.
    pub fields: BTreeMap<String, Field>,
}

/// A device's change to a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    /// What it describes.
    pub kind: RecordKind,
    /// Which one.
    pub key: String,
    /// The version the device saw when the user made the change (0 for a
    /// new record).
    pub base_version: u64,
    /// New values by field name.
    pub changes: BTreeMap<String, serde_json::Value>,
}

/// An edit that overlaps changes made since its base version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The record as it is now, for the user to compare with.
    pub current: Record,
    /// The fields both sides changed to different values.
    pub fields: Vec<String>,
}

/// An edit that can never apply, whatever the record holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// A key or field name that is empty, too long or not printable.
    #[error("invalid {what} {name:?}: 1 to {MAX_NAME} printable characters")]
    BadName { what: &'static str, name: String },
    /// More fields than a record may have.
    #[error("too many fields: {0} (at most {MAX_FIELDS})")]
    TooManyFields(usize),
    /// A value larger than a field may hold.
    #[error("field {0:?} is larger than {MAX_VALUE_BYTES} bytes")]
    ValueTooLarge(String),
    /// An edit with nothing in it.
    #[error("the edit changes no field")]
    Empty,
    /// An edit made on a version the record never had.
    #[error("base version {base} is newer than the record's version {current}")]
    FutureBase { base: u64, current: u64 },
    /// An edit for another record than the one given.
    #[error("the edit is for another record")]
    WrongRecord,
}

/// Longest key or field name.
pub const MAX_NAME: usize = 64;
/// Most fields in one record.
pub const MAX_FIELDS: usize = 64;
/// Largest field value, as JSON.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;

/// What applying an edit did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Merged: the new record (its version bumped when something changed).
    Applied(Record),
    /// Not applied: someone else changed the same fields.
    Conflict(Conflict),
}

impl Record {
    /// A record that was never written.
    pub fn empty(kind: RecordKind, key: impl Into<String>) -> Self {
        Record {
            kind,
            key: key.into(),
            version: 0,
            fields: BTreeMap::new(),
        }
    }

    /// The value of a field, if set.
    pub fn get(&self, field: &str) -> Option<&serde_json::Value> {
        self.fields.get(field).map(|f| &f.value)
    }
}

fn check_name(what: &'static str, name: &str) -> Result<(), EditError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME
        && name.chars().all(|c| !c.is_control());
    if ok {
        Ok(())
    } else {
        Err(EditError::BadName {
            what,
            name: name.chars().take(MAX_NAME + 1).collect(),
        })
    }
}

impl Edit {
    /// Checks what can be checked without the record.
    pub fn validate(&self) -> Result<(), EditError> {
        check_name("key", &self.key)?;
        if self.changes.is_empty() {
            return Err(EditError::Empty);
        }
        if self.changes.len() > MAX_FIELDS {
            return Err(EditError::TooManyFields(self.changes.len()));
        }
        for (name, value) in &self.changes {
            check_name("field", name)?;
            if value.to_string().len() > MAX_VALUE_BYTES {
                return Err(EditError::ValueTooLarge(name.clone()));
            }
        }
        Ok(())
    }
}

/// Applies `edit` to `current` (use [`Record::empty`] for a record never
/// written). Pure: the caller stores the result.
pub fn apply(current: &Record, edit: &Edit) -> Result<Outcome, EditError> {
    edit.validate()?;
    if current.kind != edit.kind || current.key != edit.key {
        return Err(EditError::WrongRecord);
    }
    if edit.base_version > current.version {
        return Err(EditError::FutureBase {
            base: edit.base_version,
            current: current.version,
        });
    }
    let changed: Vec<(&String, &serde_json::Value)> = edit
        .changes
        .iter()
        .filter(|(name, value)| {
            current.get(name) != Some(*value) && !(value.is_null() && current.get(name).is_none())
        })
        .collect();
    let conflicts: Vec<String> = changed
        .iter()
        .filter(|(name, _)| {
            current
                .fields
                .get(*name)
                .is_some_and(|f| f.changed_in > edit.base_version)
        })
        .map(|(name, _)| (*name).clone())
        .collect();
    if !conflicts.is_empty() {
        return Ok(Outcome::Conflict(Conflict {
            current: current.clone(),
            fields: conflicts,
        }));
    }
    let total = current.fields.len()
        + changed
            .iter()
            .filter(|(name, _)| !current.fields.contains_key(*name))
            .count();
    if total > MAX_FIELDS {
        return Err(EditError::TooManyFields(total));
    }
    let mut next = current.clone();
    if changed.is_empty() {
        return Ok(Outcome::Applied(next));
    }
    next.version = current.version + 1;
    for (name, value) in changed {
        next.fields.insert(
            name.clone(),
            Field {
                value: value.clone(),
                changed_in: next.version,
            },
        );
    }
    Ok(Outcome::Applied(next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn edit(base: u64, changes: &[(&str, serde_json::Value)]) -> Edit {
        Edit {
            kind: RecordKind::Vehicle,
            key: "bike-1".into(),
            base_version: base,
            changes: changes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }

    fn applied(outcome: Outcome) -> Record {
        match outcome {
            Outcome::Applied(r) => r,
            Outcome::Conflict(c) => panic!("unexpected conflict on {:?}", c.fields),
        }
    }

    #[test]
    fn edits_of_different_fields_on_one_version_both_land() {
        let start = Record::empty(RecordKind::Vehicle, "bike-1");
        let v1 = applied(apply(&start, &edit(0, &[("notes", json!("chain noisy"))])).unwrap());
        // Two terminals both saw v1; one edits mileage, the other the notes.
        let a = applied(apply(&v1, &edit(1, &[("mileage_km", json!(18_000))])).unwrap());
        let b = applied(apply(&a, &edit(1, &[("notes", json!("chain adjusted"))])).unwrap());
        assert_eq!(b.version, 3);
        assert_eq!(b.get("mileage_km"), Some(&json!(18_000)));
        assert_eq!(b.get("notes"), Some(&json!("chain adjusted")));
    }

    #[test]
    fn overlapping_edits_come_back_as_a_conflict_with_the_current_record() {
        let start = Record::empty(RecordKind::Vehicle, "bike-1");
        let v1 = applied(apply(&start, &edit(0, &[("notes", json!("a"))])).unwrap());
        let v2 = applied(apply(&v1, &edit(1, &[("notes", json!("b"))])).unwrap());
        match apply(
            &v2,
            &edit(1, &[("notes", json!("c")), ("tyres", json!("new"))]),
        )
        .unwrap()
        {
            Outcome::Conflict(c) => {
                assert_eq!(c.fields, vec!["notes".to_owned()]);
                assert_eq!(c.current, v2);
            }
            Outcome::Applied(r) => panic!("silently overwrote: {r:?}"),
        }
        // Resolving: the user picks, on the current version.
        let v3 = applied(apply(&v2, &edit(2, &[("notes", json!("c"))])).unwrap());
        assert_eq!(v3.get("notes"), Some(&json!("c")));
    }

    #[test]
    fn the_same_value_from_both_sides_is_not_a_conflict_and_changes_nothing() {
        let start = Record::empty(RecordKind::ArAnchor, "bike-1");
        let e = Edit {
            kind: RecordKind::ArAnchor,
            ..edit(0, &[("offset_m", json!([0.1, 0.0, 0.2]))])
        };
        let v1 = applied(apply(&start, &e).unwrap());
        let again = applied(apply(&v1, &e).unwrap());
        assert_eq!(again, v1);
    }

    #[test]
    fn invalid_edits_are_refused_with_a_reason() {
        let start = Record::empty(RecordKind::Vehicle, "bike-1");
        assert_eq!(apply(&start, &edit(0, &[])), Err(EditError::Empty));
        assert!(matches!(
            apply(&start, &edit(3, &[("notes", json!("x"))])),
            Err(EditError::FutureBase {
                base: 3,
                current: 0
            })
        ));
        assert!(matches!(
            apply(&start, &edit(0, &[("", json!("x"))])),
            Err(EditError::BadName { what: "field", .. })
        ));
        let huge = json!("x".repeat(MAX_VALUE_BYTES + 1));
        assert!(matches!(
            apply(&start, &edit(0, &[("notes", huge)])),
            Err(EditError::ValueTooLarge(_))
        ));
        let other = Record::empty(RecordKind::Vehicle, "bike-2");
        assert_eq!(
            apply(&other, &edit(0, &[("notes", json!("x"))])),
            Err(EditError::WrongRecord)
        );
    }

    proptest! {
        /// Whatever order edits arrive in, no edit is lost silently: every
        /// change either shows in the final record or came back as a conflict.
        #[test]
        fn no_change_is_lost_silently(
            edits in prop::collection::vec((0u64..4, 0usize..4, 0i64..5), 1..20)
        ) {
            let names = ["notes", "mileage_km", "tyres", "chain"];
            let mut record = Record::empty(RecordKind::Vehicle, "bike-1");
            for (base_back, field, value) in edits {
                let base = record.version.saturating_sub(base_back);
                let e = edit(base, &[(names[field], json!(value))]);
                match apply(&record, &e).unwrap() {
                    Outcome::Applied(next) => {
                        prop_assert_eq!(next.get(names[field]), Some(&json!(value)));
                        prop_assert!(next.version >= record.version);
                        record = next;
                    }
                    Outcome::Conflict(c) => {
                        // A conflict only when someone changed the field after `base`.
                        let f = &record.fields[names[field]];
                        prop_assert!(f.changed_in > base);
                        prop_assert_ne!(&f.value, &json!(value));
                        prop_assert_eq!(c.fields, vec![names[field].to_owned()]);
                    }
                }
            }
        }
    }
}
