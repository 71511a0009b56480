//! What the host reads: plain records made from the app layer's types,
//! with nothing decided here.

use ridewire_app::diagnosis::{Run, agent_status, flag_text};
use ridewire_app::location::Attempt;
use ridewire_app::photos::PhotoAttempt;
use ridewire_app::rider::{Outcome, explain};
use ridewire_ar::TrackedMarker;
use ridewire_engine::diagnostics::gate::Decision as GateDecision;
use ridewire_engine::diagnostics::outcome::AgentStatus;
use ridewire_engine::progress::Progress as Fold;
use ridewire_engine::quest::{Catalog, Quest as CatalogQuest, QuestState as State};
use ridewire_sync_client::{SyncReport, SyncStatus};

use crate::RideWireError;

/// The rider's level, XP and streak.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Progress {
    pub level: u32,
    /// All XP earned.
    pub xp: u64,
    /// XP earned since reaching `level`.
    pub xp_into_level: u64,
    /// XP still needed for the next level.
    pub xp_to_next_level: u64,
    /// Local days in a row with work done, up to today.
    pub streak_days: u32,
    pub longest_streak_days: u32,
    pub achievements: Vec<Achievement>,
}

/// An achievement the rider unlocked.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Achievement {
    pub id: String,
    pub unlocked_at_ms: i64,
}

impl Progress {
    pub(crate) fn of(fold: &Fold, today: i64) -> Self {
        let level = fold.level();
        Progress {
            level: level.level,
            xp: fold.xp(),
            xp_into_level: level.into_level,
            xp_to_next_level: level.level_span.saturating_sub(level.into_level),
            streak_days: fold.current_streak(today),
            longest_streak_days: fold.longest_streak(),
            achievements: fold
                .achievements()
                .iter()
                .map(|a| Achievement {
                    id: a.id.clone(),
                    unlocked_at_ms: a.at_ms,
                })
                .collect(),
        }
    }
}

/// Where a quest stands for the rider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum QuestState {
    /// Prerequisites are not all completed.
    Locked,
    /// Can be started.
    Available,
    /// Started or partly checked off.
    Active,
    /// Done (a repeatable one can be started again).
    Completed,
}

impl From<State> for QuestState {
    fn from(state: State) -> Self {
        match state {
            State::Locked => QuestState::Locked,
            State::Available => QuestState::Available,
            State::Active => QuestState::Active,
            State::Completed => QuestState::Completed,
        }
    }
}

/// One quest of the catalogue, with the rider's place in it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Quest {
    pub id: String,
    pub title: String,
    pub zone: String,
    /// `easy`, `medium`, `hard` or `expert`.
    pub difficulty: String,
    /// Base XP before multipliers.
    pub xp_reward: u32,
    pub state: QuestState,
    pub steps: Vec<QuestStep>,
    /// Proofs needed before completion (`location`, `photo`, …).
    pub proofs: Vec<String>,
    /// When the plan wants it done (`YYYY-MM-DD`), if it says.
    pub due: Option<String>,
}

/// Something to tell the rider in a notification; `key` is stable, so a
/// host can replace or dismiss it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Notice {
    pub key: String,
    pub title: String,
    pub text: String,
}

impl From<ridewire_app::reminders::Notice> for Notice {
    fn from(n: ridewire_app::reminders::Notice) -> Self {
        Notice {
            key: n.key,
            title: n.title,
            text: n.text,
        }
    }
}

/// One step of a quest's checklist.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QuestStep {
    pub id: String,
    pub title: String,
    /// Checked in the current attempt.
    pub checked: bool,
}

fn as_json_word<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(word)) => word,
        Ok(other) => other
            .get("kind")
            .and_then(|k| k.as_str())
            .map_or_else(|| other.to_string(), str::to_owned),
        Err(_) => String::new(),
    }
}

impl Quest {
    pub(crate) fn of(quest: &CatalogQuest, catalog: &Catalog, fold: &Fold) -> Self {
        let record = fold.quest(&quest.id);
        Quest {
            id: quest.id.to_string(),
            title: quest.title.clone(),
            zone: quest.zone.to_string(),
            difficulty: as_json_word(&quest.difficulty),
            xp_reward: quest.xp_reward,
            state: fold
                .quest_state(catalog, &quest.id)
                .map_or(QuestState::Locked, QuestState::from),
            steps: quest
                .steps
                .iter()
                .map(|s| QuestStep {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    checked: record.is_some_and(|r| r.steps_checked.contains(&s.id)),
                })
                .collect(),
            proofs: quest.proofs.iter().map(as_json_word).collect(),
            due: quest.due.clone(),
        }
    }
}

/// What came of completing a quest at its zone with a position fix.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AtZone {
    /// The quest was completed.
    pub completed: bool,
    /// The location proof was recorded (with the completion, or kept for
    /// the steps still to tick off).
    pub proof_recorded: bool,
    pub xp: u64,
    pub achievements: Vec<String>,
    /// What happened, in the rider's words ("312 m from the zone; come
    /// within 50 m").
    pub message: String,
}

impl AtZone {
    /// The app layer's attempt at the quest titled `title`.
    pub(crate) fn of(attempt: Attempt, title: &str) -> Result<Self, RideWireError> {
        let message = attempt.words(title);
        let completed = attempt.completed();
        let (proof_recorded, xp, achievements) = match attempt {
            Attempt::Completed { xp, achievements } => (true, xp, achievements),
            Attempt::ProofKept { .. } => (true, 0, Vec::new()),
            Attempt::Failed(_) => return Err(RideWireError::Storage { message }),
            Attempt::NotThere(_) | Attempt::NoLocationNeeded | Attempt::Refused(_) => {
                (false, 0, Vec::new())
            }
        };
        Ok(AtZone {
            completed,
            proof_recorded,
            xp,
            achievements,
            message,
        })
    }
}

/// What came of adding a photo of the work to a quest.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WithPhoto {
    /// The quest was completed.
    pub completed: bool,
    /// The photo was kept (with the completion, or for the steps still to
    /// tick off); it goes to the server with the next sync.
    pub photo_kept: bool,
    pub xp: u64,
    pub achievements: Vec<String>,
    /// Once completed: the code another rider or the workshop needs to
    /// look at the photo and vouch for it (`ridewire:vouch/…`).
    pub vouch_code: Option<String>,
    /// What happened, in the rider's words.
    pub message: String,
}

impl WithPhoto {
    /// The app layer's attempt at the quest titled `title`.
    pub(crate) fn of(attempt: PhotoAttempt, title: &str) -> Result<Self, RideWireError> {
        let message = attempt.words(title);
        let none = (false, false, 0, Vec::new(), None);
        let (completed, photo_kept, xp, achievements, vouch_code) = match attempt {
            PhotoAttempt::Completed {
                xp,
                achievements,
                completion,
            } => (
                true,
                true,
                xp,
                achievements,
                Some(format!("ridewire:vouch/{completion}")),
            ),
            PhotoAttempt::PhotoKept { .. } => (false, true, 0, Vec::new(), None),
            PhotoAttempt::Failed(_) => return Err(RideWireError::Storage { message }),
            PhotoAttempt::NoPhotoNeeded | PhotoAttempt::Refused(_) => none,
        };
        Ok(WithPhoto {
            completed,
            photo_kept,
            xp,
            achievements,
            vouch_code,
            message,
        })
    }
}

/// What recording something the rider did earned.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Recorded {
    /// Whether it counted (a locked quest, a step of another quest, … is
    /// recorded but earns nothing).
    pub counted: bool,
    pub xp: u64,
    pub achievements: Vec<String>,
    /// Why it did not count, in the rider's words.
    pub reason: Option<String>,
}

impl TryFrom<Outcome> for Recorded {
    type Error = RideWireError;

    fn try_from(outcome: Outcome) -> Result<Self, RideWireError> {
        match outcome {
            Outcome::Counted { xp, achievements } => Ok(Recorded {
                counted: true,
                xp,
                achievements,
                reason: None,
            }),
            Outcome::NotCounted(reason) => Ok(Recorded {
                counted: false,
                xp: 0,
                achievements: Vec::new(),
                reason: Some(explain(&reason)),
            }),
            Outcome::Failed(message) => Err(RideWireError::Storage { message }),
        }
    }
}

/// The safety gate's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Decision {
    /// Safe to act on; the AR overlay highlights the components.
    Approved,
    /// Have a mechanic confirm before acting on it.
    Escalated,
    /// Not safe to act on.
    Rejected,
}

/// One agent's part in a diagnosis.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AgentAnswer {
    pub agent: String,
    /// Whether its answer went into the consensus.
    pub used: bool,
    /// "used", or why it was left out.
    pub status: String,
}

/// A gated diagnosis, as recorded.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Diagnosis {
    pub id: String,
    pub decision: Decision,
    /// Agreement of the agents (0–1), when any answer was usable.
    pub score: Option<f64>,
    pub confidence: Option<f64>,
    pub diagnosis: Option<String>,
    pub recommended_action: Option<String>,
    /// The gate's safety flags, in words.
    pub flags: Vec<String>,
    /// Components the AR overlay lights (only for an approved run).
    pub highlighted_components: Vec<String>,
    pub answers: Vec<AgentAnswer>,
    /// XP the run earned and achievements it unlocked.
    pub xp: u64,
    pub achievements: Vec<String>,
    /// Where the run was recorded, or why it was not.
    pub recorded: String,
}

impl From<Run> for Diagnosis {
    fn from(run: Run) -> Self {
        let r = run.result;
        let consensus = r.consensus.as_ref();
        Diagnosis {
            id: run.id.to_string(),
            decision: match r.decision {
                GateDecision::Approved => Decision::Approved,
                GateDecision::Escalated => Decision::Escalated,
                GateDecision::Rejected => Decision::Rejected,
            },
            score: consensus.map(|c| c.score),
            confidence: consensus.map(|c| c.confidence),
            diagnosis: consensus.map(|c| c.diagnosis.clone()),
            recommended_action: consensus.map(|c| c.recommended_action.clone()),
            flags: r.flags.iter().map(flag_text).collect(),
            highlighted_components: r.highlighted_components.clone(),
            answers: r
                .answers
                .iter()
                .map(|a| AgentAnswer {
                    agent: a.agent.clone(),
                    used: matches!(a.status, AgentStatus::Used { .. }),
                    status: agent_status(&a.status),
                })
                .collect(),
            xp: run.xp,
            achievements: run.achievements,
            recorded: run.recorded,
        }
    }
}

/// A point in the camera image, pixels.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A marker seen in a pushed frame.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Marker {
    /// `DICT_4X4_50` id.
    pub id: u16,
    /// Corners in OpenCV's order (top-left, top-right, bottom-right,
    /// bottom-left of the printed marker), filtered over frames.
    pub corners: Vec<Point>,
    /// Rotation vector (Rodrigues), OpenCV's camera axes.
    pub rvec: Vec<f64>,
    /// Translation of the marker's centre, metres, OpenCV's camera axes
    /// (x right, y down, z forward).
    pub tvec: Vec<f64>,
    /// Reprojection error of the pose, pixels RMS.
    pub reprojection_rms: f64,
}

impl From<&TrackedMarker> for Marker {
    fn from(m: &TrackedMarker) -> Self {
        Marker {
            id: m.id,
            corners: m.corners.iter().map(|p| Point { x: p.x, y: p.y }).collect(),
            rvec: m.pose.rvec.to_vec(),
            tvec: m.pose.tvec.to_vec(),
            reprojection_rms: m.reprojection_rms,
        }
    }
}

/// What sync did since the host last asked.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct SyncSummary {
    /// The round's number since sync started on this device.
    pub round: u64,
    /// Events of this device the server acknowledged.
    pub pushed: u64,
    /// Events the server refused for good.
    pub refused: u64,
    /// Events of the rider's other devices that arrived.
    pub pulled: u64,
    /// Plans, catalogue, overlay packs and records that arrived.
    pub other_changes: u64,
    /// Record edits that conflict with another device's and wait for the
    /// rider.
    pub conflicts: u64,
    /// Events still waiting to be sent.
    pub pending: u64,
}

impl SyncSummary {
    /// Counts another round's work in.
    pub(crate) fn add(&mut self, report: &SyncReport) {
        let n = |v: usize| v as u64;
        self.pushed += n(report.acknowledged);
        self.refused += n(report.wedged);
        self.pulled += n(report.events_pulled);
        self.other_changes += n(report.other_changes);
        self.conflicts += n(report.edits_conflicted);
    }
}

/// Where sync stands, as a status line shows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncState {
    /// A round is running now.
    pub syncing: bool,
    /// Rounds finished since sync started.
    pub rounds: u64,
    pub last_success_ms: Option<i64>,
    /// Events waiting to be sent.
    pub pending: u64,
    /// Events the server refused for good.
    pub refused: u64,
    /// Why the last round failed, if it did.
    pub last_error: Option<String>,
    /// Failures in a row.
    pub failures: u32,
    pub next_round_ms: Option<i64>,
}

impl From<&SyncStatus> for SyncState {
    fn from(s: &SyncStatus) -> Self {
        SyncState {
            syncing: s.syncing,
            rounds: s.rounds,
            last_success_ms: s.last_success_ms,
            pending: s.pending as u64,
            refused: s.wedged as u64,
            last_error: s.last_error.clone(),
            failures: s.failures,
            next_round_ms: s.next_round_ms,
        }
    }
}
