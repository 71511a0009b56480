//! Quests, the zones they belong to, and the catalogue that holds both.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;
use crate::{Error, Result};

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps an id: 1 to 128 printable characters, no spaces at the ends.
            pub fn new(id: impl Into<String>) -> Result<Self> {
                let id = id.into();
                let reason = if id.is_empty() || id.len() > 128 {
                    Some("must be 1 to 128 bytes")
                } else if id.trim() != id {
                    Some("must not start or end with white space")
                } else if id.chars().any(char::is_control) {
                    Some("must not contain control characters")
                } else {
                    None
                };
                match reason {
                    Some(reason) => Err(Error::InvalidId { kind: $kind, value: id, reason }),
                    None => Ok(Self(id)),
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(value: String) -> Result<Self> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(
    /// Stable id of a quest (plans derive it from the task, so edits elsewhere keep it).
    QuestId,
    "quest"
);
text_id!(
    /// Id of a zone of the overworld (one per L1 section of a plan).
    ZoneId,
    "zone"
);

/// How hard a quest is; sets the difficulty multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
    Expert,
}

/// One step of a quest's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Index-independent id of the step within its quest.
    pub id: String,
    /// What to do, in the mechanic's words.
    pub title: String,
}

/// What a rider must submit before a quest counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ProofRequirement {
    /// A location fix within the quest zone (see [`crate::proof`]).
    Location,
    /// An AR scan of a component.
    ArScan,
    /// A diagnostic run.
    DiagnosticRun,
    /// A photo of the work (see [`crate::proof::PhotoProof`]), which another
    /// rider or a mechanic can look at and vouch for.
    Photo,
}

/// A piece of maintenance work the rider can take on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quest {
    pub id: QuestId,
    pub title: String,
    pub zone: ZoneId,
    pub difficulty: Difficulty,
    /// Base XP before multipliers.
    pub xp_reward: u32,
    /// Quests that must be completed first.
    #[serde(default)]
    pub prerequisites: Vec<QuestId>,
    /// The checklist; every step must be checked before completion.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Proofs needed before completion.
    #[serde(default)]
    pub proofs: Vec<ProofRequirement>,
    /// Recurring maintenance (chain lube every 500 km) can be completed again.
    #[serde(default)]
    pub repeatable: bool,
    /// When the plan wants it done: an ISO `YYYY-MM-DD` date (the plan
    /// parser checks it against the calendar).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

/// An area of the overworld; quests with a location proof are checked against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub id: ZoneId,
    pub name: String,
    /// Where the zone is in the real world (for location proofs), if anywhere.
    pub location: Option<GeoPoint>,
    /// Radius of the zone around `location`, in metres.
    #[serde(default)]
    pub radius_m: f64,
    /// Zone bonus in per-mille (1000 = no bonus); workshops boost featured zones.
    #[serde(default = "per_mille_one")]
    pub bonus_per_mille: u32,
}

fn per_mille_one() -> u32 {
    1000
}

/// Where a quest stands for the rider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestState {
    /// Prerequisites are not all completed.
    Locked,
    /// Can be started.
    Available,
    /// Started or partly checked off.
    Active,
    /// Done (for a repeatable quest: done at least once and not restarted).
    Completed,
}

/// All quests and zones the rider can see: the fixed input of the progress fold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    quests: BTreeMap<QuestId, Quest>,
    zones: BTreeMap<ZoneId, Zone>,
}

impl Catalog {
    /// Builds a catalogue, refusing duplicate ids, unknown zones, unknown or
    /// cyclic prerequisites and duplicate step ids.
    pub fn new(zones: Vec<Zone>, quests: Vec<Quest>) -> Result<Self> {
        let mut catalog = Self::default();
        for zone in zones {
            if zone.radius_m.is_nan() || zone.radius_m < 0.0 {
                return Err(Error::Catalogue(format!(
                    "zone {} has a negative radius",
                    zone.id
                )));
            }
            if let Some(old) = catalog.zones.insert(zone.id.clone(), zone) {
                return Err(Error::Catalogue(format!("zone {} is listed twice", old.id)));
            }
        }
        for quest in quests {
            if !catalog.zones.contains_key(&quest.zone) {
                return Err(Error::Catalogue(format!(
                    "quest {} is in unknown zone {}",
                    quest.id, quest.zone
                )));
            }
            let mut step_ids: Vec<&str> = quest.steps.iter().map(|s| s.id.as_str()).collect();
            step_ids.sort_unstable();
            if step_ids.windows(2).any(|w| w[0] == w[1]) {
                return Err(Error::Catalogue(format!(
                    "quest {} has duplicate step ids",
                    quest.id
                )));
            }
            if let Some(old) = catalog.quests.insert(quest.id.clone(), quest) {
                return Err(Error::Catalogue(format!(
                    "quest {} is listed twice",
                    old.id
                )));
            }
        }
        for quest in catalog.quests.values() {
            if let Some(missing) = quest
                .prerequisites
                .iter()
                .find(|p| !catalog.quests.contains_key(*p))
            {
                return Err(Error::Catalogue(format!(
                    "quest {} needs unknown quest {missing}",
                    quest.id
                )));
            }
        }
        catalog.check_acyclic()?;
        Ok(catalog)
    }

    fn check_acyclic(&self) -> Result<()> {
        // Depth-first search with colours: 1 = on the stack, 2 = done.
        let mut colour: BTreeMap<&QuestId, u8> = BTreeMap::new();
        for start in self.quests.keys() {
            if colour.contains_key(start) {
                continue;
            }
            let mut stack: Vec<(&QuestId, usize)> = vec![(start, 0)];
            colour.insert(start, 1);
            while let Some((id, next)) = stack.pop() {
                let prereqs = &self.quests[id].prerequisites;
                if let Some(p) = prereqs.get(next) {
                    stack.push((id, next + 1));
                    match colour.get(p) {
                        Some(1) => {
                            return Err(Error::Catalogue(format!(
                                "prerequisites of quest {p} form a cycle"
                            )));
                        }
                        Some(_) => {}
                        None => {
                            colour.insert(p, 1);
                            stack.push((p, 0));
                        }
                    }
                } else {
                    colour.insert(id, 2);
                }
            }
        }
        Ok(())
    }

    /// A quest by id.
    pub fn quest(&self, id: &QuestId) -> Option<&Quest> {
        self.quests.get(id)
    }

    /// A zone by id.
    pub fn zone(&self, id: &ZoneId) -> Option<&Zone> {
        self.zones.get(id)
    }

    /// All quests, ordered by id.
    pub fn quests(&self) -> impl Iterator<Item = &Quest> {
        self.quests.values()
    }

    /// All zones, ordered by id.
    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.zones.values()
    }

    /// The quests of one zone, ordered by id.
    pub fn quests_in_zone<'a>(&'a self, zone: &'a ZoneId) -> impl Iterator<Item = &'a Quest> + 'a {
        self.quests.values().filter(move |q| &q.zone == zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(id: &str) -> Zone {
        Zone {
            id: ZoneId::new(id).expect("zone id"),
            name: id.into(),
            location: None,
            radius_m: 0.0,
            bonus_per_mille: 1000,
        }
    }

    fn quest(id: &str, prereqs: &[&str]) -> Quest {
        Quest {
            id: QuestId::new(id).expect("quest id"),
            title: id.into(),
            zone: ZoneId::new("z").expect("zone id"),
            difficulty: Difficulty::Easy,
            xp_reward: 10,
            prerequisites: prereqs
                .iter()
                .map(|p| QuestId::new(*p).expect("id"))
                .collect(),
            steps: vec![],
            proofs: vec![],
            repeatable: false,
            due: None,
        }
    }

    #[test]
    fn catalogue_refuses_cycles_and_unknowns() {
        let cyclic = Catalog::new(
            vec![zone("z")],
            vec![quest("a", &["b"]), quest("b", &["a"])],
        );
        assert!(matches!(cyclic, Err(Error::Catalogue(m)) if m.contains("cycle")));
        let selfloop = Catalog::new(vec![zone("z")], vec![quest("a", &["a"])]);
        assert!(selfloop.is_err());
        let unknown = Catalog::new(vec![zone("z")], vec![quest("a", &["nope"])]);
        assert!(matches!(unknown, Err(Error::Catalogue(m)) if m.contains("unknown quest nope")));
        let dup = Catalog::new(vec![zone("z")], vec![quest("a", &[]), quest("a", &[])]);
        assert!(dup.is_err());
        let nozone = Catalog::new(vec![], vec![quest("a", &[])]);
        assert!(nozone.is_err());
        let chain = Catalog::new(
            vec![zone("z")],
            vec![quest("a", &[]), quest("b", &["a"]), quest("c", &["a", "b"])],
        );
        assert!(chain.is_ok());
    }

    #[test]
    fn ids_refuse_blank_and_control_characters() {
        assert!(QuestId::new("").is_err());
        assert!(QuestId::new(" a").is_err());
        assert!(QuestId::new("a\u{0}b").is_err());
        assert!(QuestId::new("Kette schmieren · ß").is_ok());
    }
}
