//! Completing a quest with a location proof: the fix is checked with the
//! engine's own rules first, so a rider who is not there yet is told how
//! far away they are and nothing is recorded; a fix that passes is recorded
//! as a `ProofSubmitted` event and the quest completed through
//! [`Rider::record`], where the fold checks it again (and the server once
//! more when the events are pushed).

use ridewire_engine::event::EventKind;
use ridewire_engine::progress::RejectReason;
use ridewire_engine::proof::{
    LocationProof, MAX_ACCURACY_M, MAX_DISTANCE_M, MAX_SPEED_KMH, ProofFlag, check_location,
};
use ridewire_engine::quest::{ProofRequirement, QuestId};

use super::Fix;
use crate::proofs::AfterProof;
use crate::rider::{Outcome, Rider, explain};

/// What came of trying to complete a quest at its zone.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The proof was recorded and the quest completed.
    Completed {
        /// XP the completion earned.
        xp: u64,
        /// Achievements it unlocked.
        achievements: Vec<String>,
    },
    /// The proof was recorded; the quest is not done until this is.
    ProofKept { waiting: RejectReason },
    /// Nothing recorded: the fix does not show the rider at the zone (only
    /// the flags that reject a proof).
    NotThere(Vec<ProofFlag>),
    /// Nothing recorded: the quest asks for no location proof.
    NoLocationNeeded,
    /// Nothing recorded: the quest cannot be completed now.
    Refused(RejectReason),
    /// Recording failed (the store's message).
    Failed(String),
}

impl Attempt {
    /// Whether the quest was completed.
    pub fn completed(&self) -> bool {
        matches!(self, Attempt::Completed { .. })
    }

    /// What happened, in the rider's words, for the quest titled `quest`.
    pub fn words(&self, quest: &str) -> String {
        match self {
            Attempt::Completed { xp, achievements } if achievements.is_empty() => {
                format!("{quest}: completed at the zone, +{xp} XP")
            }
            Attempt::Completed { xp, achievements } => format!(
                "{quest}: completed at the zone, +{xp} XP; unlocked {}",
                achievements.join(", ")
            ),
            Attempt::ProofKept { waiting } => format!(
                "{quest}: location proof kept; to complete it, {}",
                explain(waiting)
            ),
            Attempt::NotThere(flags) => format!(
                "{quest}: not completed: {}",
                flags
                    .iter()
                    .map(flag_words)
                    .collect::<Vec<_>>()
                    .join("; also ")
            ),
            Attempt::NoLocationNeeded => {
                format!("{quest} needs no location proof: complete it from the quest list")
            }
            Attempt::Refused(reason) => format!("{quest}: {}", explain(reason)),
            Attempt::Failed(why) => format!("{quest}: could not be recorded: {why}"),
        }
    }
}

/// Why a proof fails, in the rider's words.
pub fn flag_words(flag: &ProofFlag) -> String {
    match flag {
        ProofFlag::TooFar { distance_m } => {
            format!("{distance_m:.0} m from the zone; come within {MAX_DISTANCE_M:.0} m")
        }
        ProofFlag::Inaccurate { accuracy_m } => {
            format!("accuracy {accuracy_m:.0} m; {MAX_ACCURACY_M:.0} m or better is needed")
        }
        ProofFlag::ImpossibleSpeed { distance_m, .. } => format!(
            "{:.1} km from your last location proof, faster than {MAX_SPEED_KMH:.0} km/h \
             would take you since; try again later",
            distance_m / 1000.0
        ),
        ProofFlag::Malformed => "the receiver's position is not a place on the globe".into(),
        ProofFlag::ZoneHasNoLocation => {
            "the quest's zone has no place on the map to check against".into()
        }
        ProofFlag::Burst => "another proof was sent less than a second before".into(),
    }
}

/// Completes quest `quest` with `fix` as its location proof at `at_ms`, or
/// says why not. The checks are the engine's, against the rider's last
/// proof; a fix that fails them is not recorded.
pub fn complete_at_zone(
    rider: &mut Rider,
    quest: &QuestId,
    fix: &Fix,
    at_ms: i64,
    utc_offset_min: i16,
) -> Attempt {
    let q = match rider.takes_proof(quest, ProofRequirement::Location) {
        Ok(Some(q)) => q,
        Ok(None) => return Attempt::NoLocationNeeded,
        Err(reason) => return Attempt::Refused(reason),
    };
    let Some(zone) = rider.catalog.zone(&q.zone) else {
        return Attempt::Refused(RejectReason::UnknownQuest);
    };
    let proof = LocationProof::from(fix);
    let verdict = check_location(&proof, at_ms, zone, rider.progress().last_proof());
    if !verdict.accepted() {
        let flags = verdict
            .flags
            .into_iter()
            .filter(ProofFlag::rejects)
            .collect();
        return Attempt::NotThere(flags);
    }
    let submitted = EventKind::ProofSubmitted {
        quest: quest.clone(),
        location: proof,
    };
    match rider.record(submitted, at_ms, utc_offset_min) {
        Outcome::Counted { .. } => {}
        Outcome::NotCounted(reason) => return Attempt::Refused(reason),
        Outcome::Failed(why) => return Attempt::Failed(why),
    }
    match rider.complete_after_proof(quest, at_ms, utc_offset_min) {
        AfterProof::Completed {
            xp, achievements, ..
        } => Attempt::Completed { xp, achievements },
        AfterProof::Waiting(waiting) => Attempt::ProofKept { waiting },
        AfterProof::Failed(why) => Attempt::Failed(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridewire_engine::demo::WORKSHOP;
    use ridewire_engine::geo::GeoPoint;
    use ridewire_engine::quest::QuestState;

    const NOW: i64 = 1_772_438_400_000;
    /// After the demo's last event (its proof at the workshop).
    const AT: i64 = NOW + 4 * 3_600_000;

    /// `metres` south of the demo workshop, at `accuracy_m`.
    fn south(metres: f64, accuracy_m: f64) -> Fix {
        Fix {
            at: GeoPoint {
                lat: WORKSHOP.lat - metres / 111_195.0,
                lon: WORKSHOP.lon,
            },
            accuracy_m,
            speed_mps: None,
            time_ms: None,
        }
    }

    fn oil_change() -> QuestId {
        QuestId::new("oil-change".to_owned()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn tick_every_step(rider: &mut Rider, quest: &QuestId) {
        for step in ["s1", "s2", "s3"] {
            let tick = EventKind::StepChecked {
                quest: quest.clone(),
                step: step.into(),
            };
            assert!(matches!(
                rider.record(tick, AT - 60_000, 60),
                Outcome::Counted { .. }
            ));
        }
    }

    fn demo() -> Rider {
        Rider::demo(NOW).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn far_away_says_how_far_and_records_nothing() {
        let mut rider = demo();
        let events = rider.events().len();
        // The zone's radius is 30 m: 342 m from its centre is 312 m from it.
        let attempt = complete_at_zone(&mut rider, &oil_change(), &south(342.0, 5.0), AT, 60);
        assert_eq!(
            attempt.words("Oil change"),
            "Oil change: not completed: 312 m from the zone; come within 50 m"
        );
        assert_eq!(rider.events().len(), events);
    }

    #[test]
    fn a_rough_fix_says_what_accuracy_is_needed() {
        let mut rider = demo();
        let attempt = complete_at_zone(&mut rider, &oil_change(), &south(5.0, 39.9), AT, 60);
        assert_eq!(
            attempt.words("Oil change"),
            "Oil change: not completed: accuracy 40 m; 15 m or better is needed"
        );
    }

    #[test]
    fn at_the_zone_with_every_step_ticked_the_quest_is_completed() {
        let mut rider = demo();
        let quest = oil_change();
        tick_every_step(&mut rider, &quest);
        let attempt = complete_at_zone(&mut rider, &quest, &south(10.0, 6.0), AT, 60);
        assert!(attempt.completed(), "{attempt:?}");
        assert_eq!(
            rider.progress().quest_state(&rider.catalog, &quest),
            Some(QuestState::Completed)
        );
        // Done once; the quest is not repeatable.
        let again = complete_at_zone(&mut rider, &quest, &south(10.0, 6.0), AT + 5_000, 60);
        assert_eq!(again, Attempt::Refused(RejectReason::AlreadyCompleted));
    }

    #[test]
    fn with_steps_left_the_proof_is_kept_for_later() {
        let mut rider = demo();
        let attempt = complete_at_zone(&mut rider, &oil_change(), &south(0.0, 6.0), AT, 60);
        assert_eq!(
            attempt.words("Oil change"),
            "Oil change: location proof kept; to complete it, 2 step(s) still to tick off"
        );
        let last = rider.events().last().map(|e| e.kind.clone());
        assert!(matches!(last, Some(EventKind::ProofSubmitted { .. })));
    }

    #[test]
    fn a_jump_from_the_last_proof_faster_than_100_kmh_is_refused() {
        let mut rider = demo();
        let quest = oil_change();
        assert!(matches!(
            complete_at_zone(&mut rider, &quest, &south(0.0, 6.0), AT, 60),
            Attempt::ProofKept { .. }
        ));
        // 5 km in a minute is 300 km/h.
        let attempt = complete_at_zone(&mut rider, &quest, &south(5_000.0, 6.0), AT + 60_000, 60);
        let Attempt::NotThere(flags) = &attempt else {
            panic!("{attempt:?}");
        };
        assert!(
            flags
                .iter()
                .any(|f| matches!(f, ProofFlag::ImpossibleSpeed { .. })),
            "{flags:?}"
        );
        assert!(
            attempt
                .words("Oil change")
                .contains("5.0 km from your last location proof")
        );
    }

    #[test]
    fn quests_without_a_location_proof_or_out_of_reach_are_refused() {
        let mut rider = demo();
        let id = |s: &str| QuestId::new(s.to_owned()).unwrap_or_else(|e| panic!("{e}"));
        let fix = south(0.0, 5.0);
        assert_eq!(
            complete_at_zone(&mut rider, &id("chain-lube"), &fix, AT, 60),
            Attempt::NoLocationNeeded
        );
        assert_eq!(
            complete_at_zone(&mut rider, &id("no-such-quest"), &fix, AT, 60),
            Attempt::Refused(RejectReason::UnknownQuest)
        );
        // Brake fluid waits for the front pads.
        assert_eq!(
            complete_at_zone(&mut rider, &id("brake-fluid"), &fix, AT, 60),
            Attempt::Refused(RejectReason::Locked)
        );
    }
}
