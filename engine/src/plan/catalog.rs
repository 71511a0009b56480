//! A plan's quests and zones, and the work it already marks as done.
//!
//! - **Zones**: every L1 section is a zone (id = section id, name = title);
//!   tasks above the first L1 section go into a zone with the root's id named
//!   after the plan ("Plan" when the plan has no title), made only when such
//!   tasks exist.
//! - **Quests**: every top-level task of a section (at any level) is a quest in
//!   the zone of its L1 ancestor; its sub-tasks, depth first, are the steps
//!   (step id = sub-task id). Difficulty comes from the tags, Medium when none.
//! - **XP**: [`quest_xp`]: 15 / 30 / 60 / 100 for easy / medium / hard /
//!   expert, plus [`XP_PER_STEP`] per step for up to [`XP_STEP_CAP`] steps.
//! - **Prerequisites**: in a section (or plan title) tagged `#sequential`,
//!   each top-level task requires the one before it; otherwise none. Sections
//!   do not chain to each other.
//! - **Places**: an L1 section whose text has a line `Where: LAT, LON`
//!   (decimal degrees, optionally `within N m`; 30 m when not given) is a
//!   zone in the real world; its tasks tagged `#onsite` need a location
//!   proof there. An `#onsite` task in a section without a place, or a
//!   `Where:` line that does not read, is an error naming the section.
//! - **Photos**: a task tagged `#photo` needs a photo of the work before it
//!   counts (see [`crate::proof::PhotoProof`]).
//! - Ticked tasks are not progress: [`Plan::checked_off`] lists them so the
//!   app can record them as events.

use serde::{Deserialize, Serialize};

use super::{Plan, Section, Task, has_sequential_tag};
use crate::geo::GeoPoint;
use crate::quest::{Catalog, Difficulty, ProofRequirement, Quest, QuestId, Step, Zone, ZoneId};
use crate::{Error, Result};

/// The tag of a task done at its section's place (a location proof).
pub const ONSITE_TAG: &str = "onsite";
/// The tag of a task whose completion needs a photo of the work.
pub const PHOTO_TAG: &str = "photo";
/// A place's radius when its `Where:` line gives none, metres.
pub const DEFAULT_PLACE_RADIUS_M: f64 = 30.0;

/// A section's place: its `Where: LAT, LON [within N m]` line, if any.
fn place(section: &Section) -> Result<Option<(GeoPoint, f64)>> {
    let Some(text) = section.description.lines().find_map(|line| {
        let line = line.trim().trim_start_matches(['-', '*']).trim();
        line.get(..6)
            .filter(|head| head.eq_ignore_ascii_case("where:"))
            .map(|_| line[6..].trim())
    }) else {
        return Ok(None);
    };
    let bad = || {
        Error::Catalogue(format!(
            "section {:?} (line {}): `Where:` wants `LAT, LON` in decimal degrees, \
             optionally `within N m`, not {text:?}",
            section.title, section.line
        ))
    };
    let lower = text.to_ascii_lowercase();
    let (coordinates, radius) = match lower.split_once("within") {
        Some((c, r)) => (c.trim(), Some(r.trim().trim_end_matches('m').trim())),
        None => (lower.as_str(), None),
    };
    let (lat, lon) = coordinates.split_once(',').ok_or_else(bad)?;
    let at = GeoPoint {
        lat: lat.trim().parse().map_err(|_| bad())?,
        lon: lon.trim().parse().map_err(|_| bad())?,
    };
    let radius = match radius {
        Some(r) => r.parse::<f64>().map_err(|_| bad())?,
        None => DEFAULT_PLACE_RADIUS_M,
    };
    if !at.is_valid() || !radius.is_finite() || !(0.0..=100_000.0).contains(&radius) {
        return Err(bad());
    }
    Ok(Some((at, radius)))
}

/// XP added for each step of a quest.
pub const XP_PER_STEP: u32 = 5;
/// Steps beyond this many add no more XP.
pub const XP_STEP_CAP: u32 = 20;

/// Base XP of a quest by difficulty, before steps and multipliers.
pub fn base_xp(difficulty: Difficulty) -> u32 {
    match difficulty {
        Difficulty::Easy => 15,
        Difficulty::Medium => 30,
        Difficulty::Hard => 60,
        Difficulty::Expert => 100,
    }
}

/// XP reward of a plan quest: base by difficulty plus a bonus per step (capped).
pub fn quest_xp(difficulty: Difficulty, steps: usize) -> u32 {
    let steps = u32::try_from(steps).unwrap_or(u32::MAX).min(XP_STEP_CAP);
    base_xp(difficulty) + XP_PER_STEP * steps
}

/// A task the plan already shows as ticked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedOff {
    /// The quest the task is or belongs to.
    pub quest: QuestId,
    /// The step, when a sub-task is ticked; `None` for the quest itself.
    pub step: Option<String>,
    /// The task's title.
    pub title: String,
    /// 1-based source line.
    pub line: usize,
}

impl Plan {
    /// The plan's zones and quests as a catalogue (rules in [`super::catalog`]).
    pub fn to_catalog(&self) -> Result<Catalog> {
        let mut zones = Vec::new();
        let mut quests = Vec::new();
        if !self.tasks.is_empty() {
            let zone = ZoneId::new(self.zone_id(&Plan::root_id()))?;
            let name = if self.title.is_empty() {
                "Plan"
            } else {
                &self.title
            };
            zones.push(plain_zone(zone.clone(), name));
            add_quests(
                &mut quests,
                &zone,
                &self.tasks,
                has_sequential_tag(&self.tags),
            )?;
            if let Some(onsite) = quests
                .iter()
                .find(|q| q.proofs.contains(&ProofRequirement::Location))
            {
                return Err(Error::Catalogue(format!(
                    "task {:?} is #{ONSITE_TAG} but stands above the first section: \
                     put it in a section with a `Where: LAT, LON` line",
                    onsite.title
                )));
            }
        }
        for section in &self.sections {
            let zone = ZoneId::new(self.zone_id(&section.id))?;
            let mut made = plain_zone(zone.clone(), &section.title);
            let placed = place(section)?;
            if let Some((at, radius)) = placed {
                made.location = Some(at);
                made.radius_m = radius;
            }
            zones.push(made);
            let from = quests.len();
            add_section(&mut quests, &zone, section)?;
            if let Some(onsite) = quests[from..]
                .iter()
                .find(|q| q.proofs.contains(&ProofRequirement::Location))
                && placed.is_none()
            {
                return Err(Error::Catalogue(format!(
                    "task {:?} is #{ONSITE_TAG} but its section {:?} (line {}) has no \
                     `Where: LAT, LON` line",
                    onsite.title, section.title, section.line
                )));
            }
        }
        Catalog::new(zones, quests)
    }

    /// Ticked tasks and sub-tasks, in document order, for the app to record as events.
    pub fn checked_off(&self) -> Result<Vec<CheckedOff>> {
        let mut out = Vec::new();
        checked_in(&mut out, &self.tasks)?;
        let mut stack: Vec<&Section> = self.sections.iter().rev().collect();
        while let Some(section) = stack.pop() {
            checked_in(&mut out, &section.tasks)?;
            stack.extend(section.children.iter().rev());
        }
        Ok(out)
    }
}

fn plain_zone(id: ZoneId, name: &str) -> Zone {
    Zone {
        id,
        name: name.to_owned(),
        location: None,
        radius_m: 0.0,
        bonus_per_mille: 1000,
    }
}

fn add_section(quests: &mut Vec<Quest>, zone: &ZoneId, section: &Section) -> Result<()> {
    add_quests(quests, zone, &section.tasks, section.is_sequential())?;
    for child in &section.children {
        add_section(quests, zone, child)?;
    }
    Ok(())
}

/// Sub-tasks in depth-first order.
fn descendants<'a>(task: &'a Task, out: &mut Vec<&'a Task>) {
    for step in &task.steps {
        out.push(step);
        descendants(step, out);
    }
}

fn add_quests(
    quests: &mut Vec<Quest>,
    zone: &ZoneId,
    tasks: &[Task],
    sequential: bool,
) -> Result<()> {
    let mut previous: Option<QuestId> = None;
    for task in tasks {
        let id = QuestId::new(task.id.clone())?;
        let mut steps = Vec::new();
        descendants(task, &mut steps);
        let difficulty = task.difficulty.unwrap_or(Difficulty::Medium);
        quests.push(Quest {
            id: id.clone(),
            title: task.title.clone(),
            zone: zone.clone(),
            difficulty,
            xp_reward: quest_xp(difficulty, steps.len()),
            prerequisites: match (&previous, sequential) {
                (Some(p), true) => vec![p.clone()],
                _ => Vec::new(),
            },
            steps: steps
                .iter()
                .map(|s| Step {
                    id: s.id.clone(),
                    title: s.title.clone(),
                })
                .collect(),
            proofs: [
                (ONSITE_TAG, ProofRequirement::Location),
                (PHOTO_TAG, ProofRequirement::Photo),
            ]
            .into_iter()
            .filter(|(tag, _)| task.tags.iter().any(|t| t == tag))
            .map(|(_, proof)| proof)
            .collect(),
            repeatable: task.repeatable,
            due: task.due.clone(),
        });
        previous = Some(id);
    }
    Ok(())
}

fn checked_in(out: &mut Vec<CheckedOff>, tasks: &[Task]) -> Result<()> {
    for task in tasks {
        let quest = QuestId::new(task.id.clone())?;
        if task.done {
            out.push(CheckedOff {
                quest: quest.clone(),
                step: None,
                title: task.title.clone(),
                line: task.line,
            });
        }
        let mut steps = Vec::new();
        descendants(task, &mut steps);
        out.extend(steps.into_iter().filter(|s| s.done).map(|s| CheckedOff {
            quest: quest.clone(),
            step: Some(s.id.clone()),
            title: s.title.clone(),
            line: s.line,
        }));
    }
    Ok(())
}
