//! The rider's plans as this device's database holds them: their own
//! (synced `plan` records, their Markdown in several fields, with this
//! device's waiting changes laid over them) and those a workshop sent. The
//! app layer's [`crate::plans`] builds the rider's actions on it; the
//! rider's session takes the own plans' quests from here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ridewire_engine::plan;
use ridewire_engine::quest::Catalog;
use ridewire_engine::sync::record::RecordKind;
use ridewire_offline_store::Store;
use serde_json::Value;

use crate::Result;
use crate::records::{REMOVED, view};

/// The prefix of a current plan a workshop sent.
pub(crate) const SERVER: &str = "server:";
pub(crate) use ridewire_engine::sync::plan_record::{
    BIKE, FROM, IDS, MARKDOWN, OWN_IDS, markdown_of,
};

pub(crate) fn file_key(id: &str) -> String {
    format!("plans.file.{id}")
}

/// Where a plan came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The rider's own (from a file or a template), synced as a record.
    Own {
        /// The file it was last opened from on this device.
        file: Option<PathBuf>,
        /// A change waits to reach the server.
        waiting: bool,
        /// This device's change did not go in, and the rider decides.
        trouble: Option<Trouble>,
    },
    /// Sent by a workshop (read-only here).
    Server,
}

/// Why this device's change to an own plan did not reach the server; the
/// plan stays listed (as this device has it, when the server never had it)
/// until the rider settles it with `plans::settle` or `plans::discard`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trouble {
    /// Another device changed the same plan since.
    Conflict {
        /// The waiting change.
        edit: i64,
    },
    /// The server will never take the change.
    Refused {
        /// The waiting change.
        edit: i64,
        /// The server's reason.
        reason: String,
    },
}

impl Trouble {
    /// The waiting change it is about.
    pub fn edit(&self) -> i64 {
        match self {
            Trouble::Conflict { edit } | Trouble::Refused { edit, .. } => *edit,
        }
    }
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trouble::Conflict { .. } => {
                f.write_str("changed on another device too: keep this device's or take the other")
            }
            Trouble::Refused { reason, .. } => write!(f, "the server refused it: {reason}"),
        }
    }
}

/// A plan the rider can open on the Map.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedPlan {
    /// The id to choose it by.
    pub id: String,
    pub title: String,
    pub markdown: String,
    /// The map seed (the same plan and seed, the same map).
    pub seed: u64,
    pub source: Source,
    /// The garage bike it belongs to (its id), if any.
    pub bike: Option<String>,
    /// That bike as the rider reads it ("Yamaha MT-07 (2021)"), while it is
    /// in the garage.
    pub bike_name: Option<String>,
    /// The namespace its quest ids are made in, if they have one.
    pub namespace: Option<String>,
    /// The workshop that wrote it for the rider, if one did.
    pub from: Option<String>,
}

impl ListedPlan {
    /// The plan parsed, its quests with their ids (in its namespace).
    pub fn parsed(&self) -> std::result::Result<plan::Plan, plan::ParseError> {
        let parsed = plan::parse(&self.markdown)?;
        Ok(parsed.in_namespace(self.namespace.as_deref().unwrap_or("")))
    }
}

/// The rider's own plans (not removed), oldest first, then those the
/// server sent. A plan this device made that the server refused, or that
/// crossed another device's change, is listed with its [`Trouble`].
pub fn plans_in(store: &Store) -> Result<Vec<ListedPlan>> {
    let garage = crate::bikes::bikes_in(store)?;
    let own = |key: String, fields: &BTreeMap<String, Value>, waiting, trouble| {
        let bike = fields.get(BIKE).and_then(Value::as_str).map(str::to_owned);
        let bike_name = bike
            .as_ref()
            .and_then(|b| garage.iter().find(|g| &g.id == b))
            .map(crate::bikes::Bike::title);
        ListedPlan {
            from: fields.get(FROM).and_then(Value::as_str).map(str::to_owned),
            bike,
            bike_name,
            namespace: (fields.get(IDS).and_then(Value::as_str) == Some(OWN_IDS))
                .then(|| key.clone()),
            title: fields
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or("Plan")
                .to_owned(),
            markdown: markdown_of(fields),
            seed: fields.get("seed").and_then(Value::as_u64).unwrap_or(0),
            source: Source::Own {
                file: store
                    .setting(&file_key(&key))
                    .ok()
                    .flatten()
                    .map(PathBuf::from),
                waiting,
                trouble,
            },
            id: key,
        }
    };
    let mut all: Vec<ListedPlan> = view(store, RecordKind::Plan)?
        .into_iter()
        .map(|seen| own(seen.key, &seen.fields, seen.waiting, None))
        .collect();
    for pending in store.pending_edits()? {
        let trouble = match (&pending.conflict, pending.refused) {
            _ if pending.edit.kind != RecordKind::Plan => continue,
            (Some(_), _) => Trouble::Conflict { edit: pending.id },
            (None, true) => Trouble::Refused {
                edit: pending.id,
                reason: pending
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "no reason given".into()),
            },
            (None, false) => continue,
        };
        let key = &pending.edit.key;
        match all.iter_mut().find(|p| &p.id == key) {
            Some(ListedPlan {
                source: Source::Own { trouble: t, .. },
                ..
            }) => *t = Some(trouble),
            Some(_) => {}
            // Made here and never on the server: listed as this device has it.
            None if pending.edit.base_version == 0
                && pending.edit.changes.get(REMOVED) != Some(&Value::Bool(true)) =>
            {
                all.push(own(key.clone(), &pending.edit.changes, true, Some(trouble)));
            }
            None => {}
        }
    }
    all.extend(store.plans()?.into_iter().map(|p| ListedPlan {
        id: format!("{SERVER}{}", p.id),
        title: p.title,
        markdown: p.markdown,
        seed: 0,
        source: Source::Server,
        bike: None,
        bike_name: None,
        namespace: None,
        from: None,
    }));
    Ok(all)
}

/// The catalogues of the rider's own plans that parse (one that does not is
/// passed over: it still shows in the list, and opening it says what is
/// wrong). A workshop's plan joins when the rider chooses it.
pub fn own_catalogs(store: &Store) -> Result<Vec<Catalog>> {
    Ok(plans_in(store)?
        .into_iter()
        .filter(|p| matches!(p.source, Source::Own { .. }))
        .filter_map(|p| p.parsed().ok()?.to_catalog().ok())
        .collect())
}
