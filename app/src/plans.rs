//! The rider's own maintenance plans: Markdown files opened from disk,
//! started from a template, or sent by a workshop through the server.
//!
//! An own plan is a synced record ([`RecordKind::Plan`]: its title, map
//! seed and Markdown, split into fields the server takes), so it reaches the
//! rider's other devices. Where the file lies is this device's business (a
//! setting per plan). Opening a file again after ticking tasks in an editor
//! records what was ticked since ([`Plan::checked_off`]) and keeps the new
//! text; the quests of every plan join the rider's catalogue. One plan is
//! current on each device: the Map draws it, as `ridewire plan` does.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use ridewire_engine::event::EventKind;
use ridewire_engine::plan::{self, Plan};
use ridewire_engine::quest::ZoneId;
use ridewire_engine::sync::plan_record;
use ridewire_engine::sync::record::{Edit, RecordKind};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::plan_list::{BIKE, IDS, MARKDOWN, OWN_IDS, file_key};
pub use crate::plan_list::{ListedPlan, Source, Trouble, plans_in};
use crate::records::{ADDED, REMOVED};
use crate::rider::{Outcome, Rider};
use crate::{Error, Result};

/// Setting: this device's current plan (an own plan's id, or `server:ID`
/// for one a workshop sent); absent: the starter plan.
pub const CURRENT_KEY: &str = "plans.current";
/// The biggest plan file read (a plan is text: this is thousands of tasks).
pub const MAX_PLAN_BYTES: u64 = 512 * 1024;
/// The plans to start from, by name: title and Markdown.
pub const TEMPLATES: [(&str, &str); 3] = [
    (
        "spring-service",
        include_str!("../../assets/plans/templates/spring-service.md"),
    ),
    (
        "before-a-long-ride",
        include_str!("../../assets/plans/templates/before-a-long-ride.md"),
    ),
    (
        "winter-storage",
        include_str!("../../assets/plans/templates/winter-storage.md"),
    ),
];

/// What opening a plan did.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub plan: ListedPlan,
    /// Opened for the first time (its quests joined the catalogue).
    pub new: bool,
    /// Tasks and steps ticked since it was last opened, now recorded.
    pub recorded: usize,
    /// XP those earned.
    pub xp: u64,
}

/// Splits Markdown into the record's fields.
fn chunks(markdown: &str) -> Result<Vec<String>> {
    plan_record::chunks(markdown).map_err(|e| Error::Input(e.to_string()))
}

/// The rider's plans.
pub fn plans(rider: &Rider) -> Result<Vec<ListedPlan>> {
    plans_in(&rider.store())
}

/// The catalogue's zones of the plans that belong to another bike than the
/// current one: the quest log leaves their quests out, as the Map does.
/// Plans of no bike (and the starter plan) belong to every bike; without a
/// current bike nothing is left out. A plan that no longer parses adds
/// nothing.
pub fn other_bikes_zones(rider: &Rider) -> Result<HashSet<ZoneId>> {
    let mut zones = HashSet::new();
    let Some(current) = &rider.bike else {
        return Ok(zones);
    };
    for listed in plans(rider)? {
        if listed.bike.as_ref().is_none_or(|bike| bike == current) {
            continue;
        }
        let Ok(catalog) = listed.parsed().map(|p| p.to_catalog()) else {
            continue;
        };
        zones.extend(catalog.iter().flat_map(|c| c.zones().map(|z| z.id.clone())));
    }
    Ok(zones)
}

/// The setting that holds this device's current plan for the current
/// bike: each bike has its own (`plans.current.<bike>`); without a bike,
/// `plans.current`.
fn current_key(rider: &Rider) -> String {
    match &rider.bike {
        Some(bike) => format!("{CURRENT_KEY}.{bike}"),
        None => CURRENT_KEY.to_owned(),
    }
}

/// The id of this device's current plan for the current bike; `None` for
/// the starter plan. A bike that has none yet takes the plan current
/// before bikes had their own, when that plan belongs to no other bike.
pub fn current_id(rider: &Rider) -> Option<String> {
    if let Some(id) = rider.setting(&current_key(rider)) {
        // Empty: the starter plan, chosen for this bike.
        return (!id.is_empty()).then_some(id);
    }
    let shared = rider.setting(CURRENT_KEY)?;
    let belongs = plans(rider)
        .ok()?
        .into_iter()
        .find(|p| p.id == shared)?
        .bike;
    (belongs.is_none() || belongs == rider.bike).then_some(shared)
}

/// This device's current plan for the current bike; `None` for the
/// starter plan.
pub fn current(rider: &Rider) -> Result<Option<ListedPlan>> {
    let Some(id) = current_id(rider) else {
        return Ok(None);
    };
    Ok(plans(rider)?.into_iter().find(|p| p.id == id))
}

/// Makes `id` current for the current bike (`None`: the starter plan).
fn set_current(rider: &mut Rider, id: Option<&str>) -> Result<()> {
    let key = current_key(rider);
    match id {
        Some(id) => rider.save_setting(&key, id)?,
        None => rider.forget_setting(&key)?,
    }
    if key != CURRENT_KEY && id.is_none() {
        // Not the shared one either.
        rider.save_setting(&key, "")?;
    }
    Ok(())
}

/// Makes a listed plan current on this device for the current bike
/// (`None`: the starter plan), taking its quests into the catalogue.
pub fn choose(rider: &mut Rider, id: Option<&str>) -> Result<Option<ListedPlan>> {
    let Some(id) = id else {
        set_current(rider, None)?;
        return Ok(None);
    };
    let plan = plans(rider)?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| Error::Input(format!("there is no plan {id}")))?;
    let parsed =
        parse(&plan.markdown, &plan.title)?.in_namespace(plan.namespace.as_deref().unwrap_or(""));
    rider.put_quests(&parsed.to_catalog()?)?;
    set_current(rider, Some(id))?;
    Ok(Some(plan))
}

/// Setting prefix: a plan a workshop sent that this device has offered.
const OFFERED: &str = "plans.offered.";

/// A plan a workshop sent for the current bike (or for no bike) that this
/// device has not offered yet, to draw on the Map: returned once, and only
/// while the rider follows the starter plan — a plan they chose stays.
pub fn workshop_plan_to_offer(rider: &mut Rider) -> Result<Option<String>> {
    let fresh: Vec<ListedPlan> = plans(rider)?
        .into_iter()
        .filter(|p| p.from.is_some() && rider.setting(&format!("{OFFERED}{}", p.id)).is_none())
        .collect();
    let mut offer = None;
    let following = current_id(rider).is_some();
    for p in fresh {
        if p.bike.is_some() && p.bike != rider.bike {
            // Another bike's: offered when that bike is in hand.
            continue;
        }
        rider.save_setting(&format!("{OFFERED}{}", p.id), "1")?;
        if !following && offer.is_none() {
            offer = Some(p.id);
        }
    }
    Ok(offer)
}

fn parse(markdown: &str, name: &str) -> Result<Plan> {
    plan::parse(markdown).map_err(|e| Error::Input(format!("{name}: {e}")))
}

/// Reads a plan file: a clear error for a missing, huge or non-text file.
fn read(path: &Path) -> Result<String> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|e| Error::Input(format!("cannot open {shown}: {e}")))?
        .len();
    if size > MAX_PLAN_BYTES {
        return Err(Error::Input(format!(
            "{shown} is {} KiB: a plan is at most {} KiB of Markdown",
            size / 1024,
            MAX_PLAN_BYTES / 1024
        )));
    }
    let bytes =
        std::fs::read(path).map_err(|e| Error::Input(format!("cannot read {shown}: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Input(format!("{shown} is not a text file (UTF-8 Markdown)")))
}

/// Records the tasks and steps `plan` shows ticked that the rider's
/// progress does not have yet: (recorded, XP).
fn record_ticked(
    rider: &mut Rider,
    plan: &Plan,
    now_ms: i64,
    utc_offset_min: i16,
) -> Result<(usize, u64)> {
    let ticked = plan.checked_off()?;
    let mut events = Vec::new();
    for done in ticked.iter().filter(|c| c.step.is_some()) {
        let step = done.step.clone().unwrap_or_default();
        let has = rider
            .progress()
            .quest(&done.quest)
            .is_some_and(|q| q.steps_checked.contains(&step) || q.completions > 0);
        if !has {
            events.push(EventKind::StepChecked {
                quest: done.quest.clone(),
                step,
            });
        }
    }
    for done in ticked.iter().filter(|c| c.step.is_none()) {
        let has = rider
            .progress()
            .quest(&done.quest)
            .is_some_and(|q| q.completions > 0);
        // A task done at a place is completed there, with its proof: a
        // tick in the file cannot stand in for it.
        let needs_proof = rider
            .catalog
            .quest(&done.quest)
            .is_some_and(|q| !q.proofs.is_empty());
        if !has && !needs_proof {
            events.push(EventKind::QuestCompleted {
                quest: done.quest.clone(),
            });
        }
    }
    let (mut recorded, mut xp) = (0, 0);
    for kind in events {
        match rider.record(kind, now_ms, utc_offset_min) {
            Outcome::Counted { xp: earned, .. } => {
                recorded += 1;
                xp += earned;
            }
            Outcome::NotCounted(_) => recorded += 1,
            Outcome::Failed(e) => return Err(Error::Input(format!("could not record: {e}"))),
        }
    }
    Ok((recorded, xp))
}

/// Opens a Markdown plan file and makes it current. A file opened before
/// (the same path) is read again: what was ticked since is recorded and
/// the new text kept (and synced); a new one joins the rider's plans.
pub fn open_file(
    rider: &mut Rider,
    path: &Path,
    now_ms: i64,
    utc_offset_min: i16,
) -> Result<Opened> {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let markdown = read(&path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let pieces = chunks(&markdown)?;
    let known = plans(rider)?
        .into_iter()
        .find(|p| matches!(&p.source, Source::Own { file: Some(f), .. } if *f == path));
    let (id, seed, new, base) = match &known {
        Some(plan) => {
            let base = rider
                .store()
                .shared_record(RecordKind::Plan, &plan.id)?
                .map_or(0, |r| r.version);
            (plan.id.clone(), plan.seed, false, base)
        }
        None => {
            // Kept with the plan, so every device draws the same map; `ridewire
            // plan FILE` draws it too (its seed is 0 unless given).
            (Uuid::now_v7().to_string(), 0, true, 0)
        }
    };
    // A new plan's quests have ids of their own (the record's key); one
    // opened before this was so keeps the ids its progress names.
    let namespace = match &known {
        Some(plan) => plan.namespace.clone(),
        None => Some(id.clone()),
    };
    let parsed = parse(&markdown, &name)?.in_namespace(namespace.as_deref().unwrap_or(""));
    let title = if parsed.title.trim().is_empty() {
        name.trim_end_matches(".md").to_owned()
    } else {
        parsed.title.clone()
    };
    // An edited file's tasks and places replace what it said before.
    rider.put_quests(&parsed.to_catalog()?)?;
    let changed = known
        .as_ref()
        .is_none_or(|p| p.markdown != markdown || p.title != title);
    if changed {
        let mut changes = BTreeMap::from([("title".to_owned(), json!(title))]);
        if new {
            changes.insert("seed".to_owned(), json!(seed));
            changes.insert(ADDED.to_owned(), json!(now_ms));
            changes.insert(IDS.to_owned(), json!(OWN_IDS));
            // A new plan belongs to the bike it was opened for.
            if let Some(bike) = &rider.bike {
                changes.insert(BIKE.to_owned(), json!(bike));
            }
        }
        let old_chunks = known
            .as_ref()
            .map_or(0, |p| chunks(&p.markdown).map_or(0, |c| c.len()));
        for i in 0..pieces.len().max(old_chunks) {
            let value = pieces.get(i).map_or(Value::Null, |p| json!(p));
            changes.insert(format!("{MARKDOWN}{i}"), value);
        }
        rider.store().edit_record(
            &Edit {
                kind: RecordKind::Plan,
                key: id.clone(),
                base_version: base,
                changes,
            },
            now_ms,
        )?;
    }
    rider.save_setting(&file_key(&id), &path.display().to_string())?;
    set_current(rider, Some(&id))?;
    let (recorded, xp) = record_ticked(rider, &parsed, now_ms, utc_offset_min)?;
    let plan = current(rider)?.ok_or(Error::Stopped("the plan list"))?;
    Ok(Opened {
        plan,
        new,
        recorded,
        xp,
    })
}

/// Starts a plan from template `name`: writes it to a new file in `folder`
/// (never over an existing one) and opens that.
pub fn from_template(
    rider: &mut Rider,
    name: &str,
    folder: &Path,
    now_ms: i64,
    utc_offset_min: i16,
) -> Result<Opened> {
    let (_, markdown) = TEMPLATES.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = TEMPLATES.iter().map(|(n, _)| *n).collect();
        Error::Input(format!(
            "no template {name:?}: there are {}",
            names.join(", ")
        ))
    })?;
    from_markdown(rider, name, markdown, folder, now_ms, utc_offset_min)
}

/// Starts a plan from a workshop's template `name` kept on this device
/// (see [`crate::my_workshops::templates`]), like [`from_template`].
pub fn from_workshop_template(
    rider: &mut Rider,
    name: &str,
    folder: &Path,
    now_ms: i64,
    utc_offset_min: i16,
) -> Result<Opened> {
    let (_, template) = crate::my_workshops::templates(rider)
        .into_iter()
        .find(|(_, t)| t.name == name)
        .ok_or_else(|| {
            Error::Input(format!(
                "no workshop template {name:?} on this device: open the Workshops screen \
                 with a connection to fetch your workshops' templates"
            ))
        })?;
    // The server checks template names; the file name is made safe here
    // all the same.
    let file: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let file = if file.is_empty() {
        "workshop-plan"
    } else {
        &file
    };
    from_markdown(
        rider,
        file,
        &template.markdown,
        folder,
        now_ms,
        utc_offset_min,
    )
}

/// Writes `markdown` to a new file `name.md` in `folder` (never over an
/// existing one: `name-2.md`, …) and opens that.
fn from_markdown(
    rider: &mut Rider,
    name: &str,
    markdown: &str,
    folder: &Path,
    now_ms: i64,
    utc_offset_min: i16,
) -> Result<Opened> {
    std::fs::create_dir_all(folder).map_err(|e| Error::Folder {
        path: folder.to_owned(),
        reason: e.to_string(),
    })?;
    let mut path = folder.join(format!("{name}.md"));
    let mut n = 2;
    while path.exists() {
        path = folder.join(format!("{name}-{n}.md"));
        n += 1;
    }
    std::fs::write(&path, markdown)
        .map_err(|e| Error::Input(format!("cannot write {}: {e}", path.display())))?;
    open_file(rider, &path, now_ms, utc_offset_min)
}

/// Takes an own plan off the list (on every device, once synced); the
/// starter plan becomes current if it was.
pub fn remove(rider: &mut Rider, id: &str, now_ms: i64) -> Result<()> {
    let base = rider
        .store()
        .shared_record(RecordKind::Plan, id)?
        .map_or(0, |r| r.version);
    if !plans(rider)?
        .iter()
        .any(|p| p.id == id && matches!(p.source, Source::Own { .. }))
    {
        return Err(Error::Input(format!("there is no plan of yours {id}")));
    }
    rider.store().edit_record(
        &Edit {
            kind: RecordKind::Plan,
            key: id.to_owned(),
            base_version: base,
            changes: BTreeMap::from([(REMOVED.to_owned(), json!(true))]),
        },
        now_ms,
    )?;
    if current_id(rider).as_deref() == Some(id) {
        set_current(rider, None)?;
    }
    if rider.setting(CURRENT_KEY).as_deref() == Some(id) {
        rider.forget_setting(CURRENT_KEY)?;
    }
    Ok(())
}

/// The trouble of own plan `id`, if it has one.
fn trouble_of(rider: &Rider, id: &str) -> Result<Trouble> {
    plans(rider)?
        .into_iter()
        .find(|p| p.id == id)
        .and_then(|p| match p.source {
            Source::Own { trouble, .. } => trouble,
            Source::Server => None,
        })
        .ok_or_else(|| Error::Input(format!("plan {id} has no change waiting on you")))
}

/// Settles a plan change that crossed another device's: `keep_mine` sends
/// this device's version again over the other one; otherwise the other
/// device's stands and this change is dropped. The plan's quests follow
/// whichever version stands.
pub fn settle(rider: &mut Rider, id: &str, keep_mine: bool, now_ms: i64) -> Result<()> {
    let Trouble::Conflict { edit } = trouble_of(rider, id)? else {
        return Err(Error::Input(format!(
            "plan {id} was refused, not crossed: discard it or open its file again"
        )));
    };
    crate::records::settle(&mut rider.store(), edit, keep_mine, now_ms)?;
    follow_settled(rider, id)
}

/// Drops a plan change the server refused for good (a plan the server
/// never had leaves the list).
pub fn discard(rider: &mut Rider, id: &str, now_ms: i64) -> Result<()> {
    let Trouble::Refused { edit, .. } = trouble_of(rider, id)? else {
        return Err(Error::Input(format!(
            "plan {id} crossed another device's change: settle it instead"
        )));
    };
    crate::records::discard(&mut rider.store(), edit, now_ms)?;
    follow_settled(rider, id)
}

/// After settling: the current plan's quests are taken again, or the
/// starter plan becomes current when the plan is gone.
fn follow_settled(rider: &mut Rider, id: &str) -> Result<()> {
    if current_id(rider).as_deref() != Some(id) {
        return Ok(());
    }
    if plans(rider)?.iter().any(|p| p.id == id) {
        choose(rider, Some(id))?;
    } else {
        set_current(rider, None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_list::markdown_of;
    use ridewire_engine::sync::record::{Conflict, Field, Record};

    #[test]
    fn markdown_splits_into_fields_the_server_takes_and_joins_back() {
        let text = "- [ ] Check the \"chain\" – ünïcode\n".repeat(2_000);
        let pieces = chunks(&text).unwrap();
        assert!(pieces.len() > 1);
        for p in &pieces {
            assert!(json!(p).to_string().len() <= ridewire_engine::sync::record::MAX_VALUE_BYTES);
        }
        let fields: BTreeMap<String, Value> = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("{MARKDOWN}{i}"), json!(p)))
            .collect();
        assert_eq!(markdown_of(&fields), text);
    }

    fn own_plan(rider: &mut Rider, dir: &Path, text: &str) -> ListedPlan {
        let file = dir.join("plan.md");
        std::fs::write(&file, text).unwrap();
        open_file(rider, &file, 1, 0).unwrap().plan
    }

    fn listed(rider: &Rider, id: &str) -> Option<ListedPlan> {
        plans(rider).unwrap().into_iter().find(|p| p.id == id)
    }

    #[test]
    fn a_refused_plan_stays_listed_with_the_reason_until_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let mut rider = Rider::open(&dir.path().join("rider.db"), 0).unwrap();
        let plan = own_plan(&mut rider, dir.path(), "# Spring\n- [ ] Oil\n");
        choose(&mut rider, Some(&plan.id)).unwrap();
        let edit = rider.store().pending_edits().unwrap()[0].id;
        rider
            .store()
            .edit_failed(edit, "storage quota reached", true)
            .unwrap();
        let shown = listed(&rider, &plan.id).expect("still listed");
        assert_eq!(shown.title, "Spring");
        let Source::Own {
            trouble: Some(trouble),
            ..
        } = &shown.source
        else {
            panic!("{:?}", shown.source);
        };
        assert!(
            trouble.to_string().contains("storage quota reached"),
            "{trouble}"
        );
        assert!(
            settle(&mut rider, &plan.id, true, 2).is_err(),
            "not a conflict"
        );
        discard(&mut rider, &plan.id, 2).unwrap();
        assert!(listed(&rider, &plan.id).is_none());
        assert_eq!(
            current_id(&rider),
            None,
            "the starter plan is current again"
        );
    }

    #[test]
    fn a_plan_changed_on_two_devices_is_settled_by_the_rider() {
        let dir = tempfile::tempdir().unwrap();
        let mut rider = Rider::open(&dir.path().join("rider.db"), 0).unwrap();
        let plan = own_plan(&mut rider, dir.path(), "# Spring\n- [ ] Oil\n");
        let first = rider.store().pending_edits().unwrap().remove(0);
        let saved = Record {
            kind: RecordKind::Plan,
            key: plan.id.clone(),
            version: 1,
            fields: first
                .edit
                .changes
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Field {
                            value: v.clone(),
                            changed_in: 1,
                        },
                    )
                })
                .collect(),
        };
        rider.store().edit_saved(&first, &saved).unwrap();
        // This device renames it; another device renamed it first.
        own_plan(&mut rider, dir.path(), "# Spring, done early\n- [ ] Oil\n");
        let mine = rider.store().pending_edits().unwrap().remove(0);
        let mut theirs = saved.clone();
        theirs.version = 2;
        theirs.fields.insert(
            "title".into(),
            Field {
                value: json!("Spring (garage)"),
                changed_in: 2,
            },
        );
        rider
            .store()
            .edit_conflicted(
                mine.id,
                &Conflict {
                    current: theirs,
                    fields: vec!["title".into()],
                },
            )
            .unwrap();
        let shown = listed(&rider, &plan.id).unwrap();
        assert_eq!(
            shown.title, "Spring (garage)",
            "the server's copy until settled"
        );
        assert!(matches!(
            shown.source,
            Source::Own {
                trouble: Some(Trouble::Conflict { .. }),
                ..
            }
        ));
        assert!(discard(&mut rider, &plan.id, 2).is_err(), "not refused");
        settle(&mut rider, &plan.id, true, 3).unwrap();
        let shown = listed(&rider, &plan.id).unwrap();
        assert_eq!(shown.title, "Spring, done early");
        assert!(matches!(
            shown.source,
            Source::Own {
                trouble: None,
                waiting: true,
                ..
            }
        ));
        let resent = rider.store().pending_edits().unwrap().remove(0);
        assert_eq!(
            resent.edit.base_version, 2,
            "sent again over the other change"
        );
    }

    #[test]
    fn every_template_parses_into_quests() {
        for (name, markdown) in TEMPLATES {
            let plan = plan::parse(markdown).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!plan.title.is_empty(), "{name}");
            assert!(plan.to_catalog().unwrap().quests().count() >= 3, "{name}");
        }
    }
}
