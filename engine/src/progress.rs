//! Progress as a fold over events.
//!
//! [`Progress::from_events`] deduplicates events by id, sorts them into the
//! canonical order ([`Event::canonical_key`]) and applies them one by one, so
//! the same set of events gives the same progress whatever order they
//! arrived in and however often each arrived. [`Progress::apply`] extends a
//! fold with newer events without starting over.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::achievement::{ACHIEVEMENTS, Rule};
use crate::event::{DeviceId, Event, EventId, EventKind};
use crate::proof::{PreviousProof, ProofFlag, ProofVerdict, check_location};
use crate::quest::{Catalog, ProofRequirement, Quest, QuestId, QuestState};
use crate::vehicle::ModelKey;
use crate::xp::{self, Authenticity, LevelProgress, Multipliers};

/// The rider's progress on one quest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestRecord {
    /// Started (or a step checked) in the current attempt.
    pub started: bool,
    /// Steps checked in the current attempt.
    pub steps_checked: BTreeSet<String>,
    /// Completions that counted.
    pub completions: u32,
    /// When the quest first counted as completed.
    pub first_completed_at_ms: Option<i64>,
    /// Proofs that passed in the current attempt.
    pub proofs: BTreeSet<ProofKind>,
    /// A passing proof of the current attempt was flagged as an anomaly.
    pub proof_anomalous: bool,
    /// Distinct riders or mechanics who vouched for this quest's proof.
    pub validators: BTreeSet<String>,
    /// XP of the first completion before the community multiplier, to top it
    /// up when validations arrive later.
    first_award_base: Option<(u64, Multipliers)>,
}

impl QuestRecord {
    /// Whether an attempt is under way.
    pub fn in_progress(&self) -> bool {
        self.started || !self.steps_checked.is_empty()
    }
}

/// A kind of proof, as recorded on a quest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofKind {
    Location,
    ArScan,
    DiagnosticRun,
    Photo,
}

impl From<ProofRequirement> for ProofKind {
    fn from(r: ProofRequirement) -> Self {
        match r {
            ProofRequirement::Location => ProofKind::Location,
            ProofRequirement::ArScan => ProofKind::ArScan,
            ProofRequirement::DiagnosticRun => ProofKind::DiagnosticRun,
            ProofRequirement::Photo => ProofKind::Photo,
        }
    }
}

/// Why an award was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum AwardReason {
    QuestCompleted {
        quest: QuestId,
        multipliers: Multipliers,
    },
    CommunityValidation {
        quest: QuestId,
    },
    DiagnosticRun,
    ArScan,
}

/// One XP award, traceable to the event that earned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    pub event: EventId,
    pub at_ms: i64,
    pub xp: u64,
    #[serde(flatten)]
    pub reason: AwardReason,
}

/// Why an event earned nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum RejectReason {
    UnknownQuest,
    UnknownStep {
        step: String,
    },
    /// Prerequisites are not completed yet.
    Locked,
    /// A one-off quest that already counted (e.g. completed on two devices).
    AlreadyCompleted,
    StepsMissing {
        missing: Vec<String>,
    },
    ProofMissing {
        proof: ProofKind,
    },
    ProofFailed {
        verdict: ProofVerdict,
    },
    /// The vehicle's daily allowance of XP-earning runs or scans is used up;
    /// the event is kept and counted, but earns nothing.
    DailyLimit {
        limit: u32,
    },
}

/// An event that was kept in the log but earned nothing, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub event: EventId,
    #[serde(flatten)]
    pub reason: RejectReason,
}

/// An unlocked achievement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unlocked {
    pub id: String,
    pub at_ms: i64,
    pub event: EventId,
}

/// Counters for the dashboard and leaderboards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statistics {
    pub events: u64,
    pub quests_completed: u64,
    pub steps_checked: u64,
    pub diagnostics_run: u64,
    pub ar_scans: u64,
    pub ar_scan_seconds: u64,
    pub proofs_submitted: u64,
    pub proofs_rejected: u64,
    pub proof_anomalies: u64,
    pub validations_received: u64,
    pub xp_quests: u64,
    pub xp_diagnostics: u64,
    pub xp_scans: u64,
}

/// A fold was asked to take an event that sorts before what it has already
/// applied; the caller must fold again from the full set of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event {0} is older than the progress already folded; fold again from all events")]
pub struct NeedsRefold(pub EventId);

/// What [`Progress::apply`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The event was folded in.
    Folded,
    /// An event with this id was already folded; nothing changed.
    Duplicate,
}

/// The XP-earning runs or scans of each vehicle on the UTC day of the last
/// folded one. Events fold in time order, so only that day is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct DailyAllowance {
    day: i64,
    taken: BTreeMap<String, u32>,
}

impl DailyAllowance {
    /// Takes one of the vehicle's slots for the event's UTC day; false when
    /// `limit` are already taken. Runs and scans that name no vehicle share
    /// one allowance.
    fn take(&mut self, event: &Event, vehicle: Option<&ModelKey>, limit: u32) -> bool {
        let day = xp::utc_day(event.at_ms);
        if day != self.day {
            self.day = day;
            self.taken.clear();
        }
        let count = self
            .taken
            .entry(vehicle.map_or_else(String::new, |v| v.as_str().to_owned()))
            .or_default();
        if *count >= limit {
            return false;
        }
        *count += 1;
        true
    }
}

/// Everything derived from the rider's events.
///
/// Two progresses are equal when everything they hold is, ids already folded
/// aside: those are only a shortcut for duplicates (a fold read back from its
/// stored form has none, and turns a duplicate away by its place in the
/// order instead).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    xp: u64,
    quests: BTreeMap<QuestId, QuestRecord>,
    achievements: Vec<Unlocked>,
    awards: Vec<Award>,
    rejections: Vec<Rejection>,
    stats: Statistics,
    /// Local days with activity.
    active_days: BTreeSet<i64>,
    longest_streak: u32,
    last_proof: Option<PreviousProof>,
    /// XP-earning diagnostic runs and scans today, for the daily limits.
    #[serde(default)]
    runs_today: DailyAllowance,
    #[serde(default)]
    scans_today: DailyAllowance,
    /// Canonical key of the last folded event.
    frontier: Option<(i64, DeviceId, u64, EventId)>,
    #[serde(skip)]
    seen: HashSet<EventId>,
}

impl PartialEq for Progress {
    fn eq(&self, other: &Self) -> bool {
        // Destructured, so a new field cannot be forgotten here.
        let Progress {
            xp,
            quests,
            achievements,
            awards,
            rejections,
            stats,
            active_days,
            longest_streak,
            last_proof,
            runs_today,
            scans_today,
            frontier,
            seen: _,
        } = self;
        *xp == other.xp
            && *quests == other.quests
            && *achievements == other.achievements
            && *awards == other.awards
            && *rejections == other.rejections
            && *stats == other.stats
            && *active_days == other.active_days
            && *longest_streak == other.longest_streak
            && *last_proof == other.last_proof
            && *runs_today == other.runs_today
            && *scans_today == other.scans_today
            && *frontier == other.frontier
    }
}

impl Progress {
    /// Where a quest stands for this rider; `None` for a quest the catalogue
    /// does not hold.
    pub fn quest_state(&self, catalog: &Catalog, id: &QuestId) -> Option<QuestState> {
        let quest = catalog.quest(id)?;
        if let Some(record) = self.quest(id) {
            if record.in_progress() {
                return Some(QuestState::Active);
            }
            if record.completions > 0 {
                return Some(QuestState::Completed);
            }
        }
        let unlocked = quest
            .prerequisites
            .iter()
            .all(|p| self.quest(p).is_some_and(|r| r.completions > 0));
        Some(if unlocked {
            QuestState::Available
        } else {
            QuestState::Locked
        })
    }

    /// Folds a set of events in canonical order; duplicates are ignored.
    pub fn from_events<'a>(catalog: &Catalog, events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut sorted: Vec<&Event> = events.into_iter().collect();
        sorted.sort_by_key(|e| e.canonical_key());
        let mut progress = Progress::default();
        for event in sorted {
            // Sorted input never sorts before the frontier.
            let _ = progress.apply(catalog, event);
        }
        progress
    }

    /// Folds one more event. Events must come in canonical order; one that
    /// sorts before the last folded event is refused with [`NeedsRefold`].
    pub fn apply(&mut self, catalog: &Catalog, event: &Event) -> Result<Applied, NeedsRefold> {
        if self.seen.contains(&event.id) {
            return Ok(Applied::Duplicate);
        }
        let key = event.canonical_key();
        if self.frontier.is_some_and(|f| key <= f) {
            return Err(NeedsRefold(event.id));
        }
        self.frontier = Some(key);
        self.seen.insert(event.id);
        self.stats.events += 1;
        self.fold(catalog, event);
        self.check_achievements(catalog, event);
        Ok(Applied::Folded)
    }

    fn fold(&mut self, catalog: &Catalog, event: &Event) {
        match &event.kind {
            EventKind::QuestStarted { quest } => {
                let Some(q) = catalog.quest(quest) else {
                    return self.reject(event, RejectReason::UnknownQuest);
                };
                if !self.prerequisites_done(q) {
                    return self.reject(event, RejectReason::Locked);
                }
                self.mark_active(event);
                self.quests.entry(quest.clone()).or_default().started = true;
            }
            EventKind::StepChecked { quest, step } => {
                let Some(q) = catalog.quest(quest) else {
                    return self.reject(event, RejectReason::UnknownQuest);
                };
                if !q.steps.iter().any(|s| &s.id == step) {
                    return self.reject(event, RejectReason::UnknownStep { step: step.clone() });
                }
                if !self.prerequisites_done(q) {
                    return self.reject(event, RejectReason::Locked);
                }
                self.mark_active(event);
                let record = self.quests.entry(quest.clone()).or_default();
                record.started = true;
                if record.steps_checked.insert(step.clone()) {
                    self.stats.steps_checked += 1;
                }
            }
            EventKind::QuestCompleted { quest } => self.complete(catalog, event, quest),
            EventKind::DiagnosticRun { quest, vehicle, .. } => {
                self.stats.diagnostics_run += 1;
                self.note_proof(catalog, quest.as_ref(), ProofKind::DiagnosticRun);
                let limit = xp::DIAGNOSTIC_XP_RUNS_PER_DAY;
                if !self.runs_today.take(event, vehicle.as_ref(), limit) {
                    return self.reject(event, RejectReason::DailyLimit { limit });
                }
                self.mark_active(event);
                self.stats.xp_diagnostics += xp::DIAGNOSTIC_RUN_XP;
                self.award(event, xp::DIAGNOSTIC_RUN_XP, AwardReason::DiagnosticRun);
            }
            EventKind::ArScan {
                duration_seconds,
                quest,
                vehicle,
                ..
            } => {
                self.stats.ar_scans += 1;
                self.stats.ar_scan_seconds += u64::from(*duration_seconds);
                self.note_proof(catalog, quest.as_ref(), ProofKind::ArScan);
                let limit = xp::AR_SCAN_XP_PER_DAY;
                if !self.scans_today.take(event, vehicle.as_ref(), limit) {
                    return self.reject(event, RejectReason::DailyLimit { limit });
                }
                self.mark_active(event);
                self.stats.xp_scans += xp::AR_SCAN_XP;
                self.award(event, xp::AR_SCAN_XP, AwardReason::ArScan);
            }
            EventKind::ProofSubmitted { quest, location } => {
                self.stats.proofs_submitted += 1;
                let Some(q) = catalog.quest(quest) else {
                    return self.reject(event, RejectReason::UnknownQuest);
                };
                let Some(zone) = catalog.zone(&q.zone) else {
                    return self.reject(event, RejectReason::UnknownQuest);
                };
                let verdict = check_location(location, event.at_ms, zone, self.last_proof.as_ref());
                self.last_proof = Some(PreviousProof {
                    at: location.at,
                    at_ms: event.at_ms,
                });
                if verdict.anomalous() {
                    self.stats.proof_anomalies += 1;
                }
                if !verdict.accepted() {
                    self.stats.proofs_rejected += 1;
                    return self.reject(event, RejectReason::ProofFailed { verdict });
                }
                self.mark_active(event);
                let record = self.quests.entry(quest.clone()).or_default();
                record.proofs.insert(ProofKind::Location);
                record.proof_anomalous |= verdict.anomalous();
            }
            EventKind::PhotoSubmitted { quest, photo } => {
                self.stats.proofs_submitted += 1;
                if catalog.quest(quest).is_none() {
                    return self.reject(event, RejectReason::UnknownQuest);
                }
                if !photo.is_well_formed() {
                    self.stats.proofs_rejected += 1;
                    let verdict = ProofVerdict {
                        flags: vec![ProofFlag::Malformed],
                    };
                    return self.reject(event, RejectReason::ProofFailed { verdict });
                }
                self.mark_active(event);
                let record = self.quests.entry(quest.clone()).or_default();
                record.proofs.insert(ProofKind::Photo);
            }
            EventKind::ProofValidated { quest, validator } => {
                if catalog.quest(quest).is_none() {
                    return self.reject(event, RejectReason::UnknownQuest);
                }
                let record = self.quests.entry(quest.clone()).or_default();
                if !record.validators.insert(validator.clone()) {
                    return;
                }
                self.stats.validations_received += 1;
                // Top the first completion up to the new community multiplier.
                if let Some((base, mut m)) = record.first_award_base {
                    let before = m.apply(base);
                    m.community = xp::community(record.validators.len());
                    let extra = m.apply(base) - before;
                    record.first_award_base = Some((base, m));
                    if extra > 0 {
                        self.stats.xp_quests += extra;
                        self.award(
                            event,
                            extra,
                            AwardReason::CommunityValidation {
                                quest: quest.clone(),
                            },
                        );
                    }
                }
            }
            // A mechanic's answer to an escalated run: part of the log, worth
            // no XP (the run earned its own) and no streak day.
            EventKind::DiagnosisReviewed { .. } => {}
        }
    }

    fn complete(&mut self, catalog: &Catalog, event: &Event, quest: &QuestId) {
        let Some(q) = catalog.quest(quest) else {
            return self.reject(event, RejectReason::UnknownQuest);
        };
        if !self.prerequisites_done(q) {
            return self.reject(event, RejectReason::Locked);
        }
        let record = self.quests.entry(quest.clone()).or_default();
        if record.completions > 0 && !q.repeatable {
            return self.reject(event, RejectReason::AlreadyCompleted);
        }
        let missing: Vec<String> = q
            .steps
            .iter()
            .filter(|s| !record.steps_checked.contains(&s.id))
            .map(|s| s.id.clone())
            .collect();
        if !missing.is_empty() {
            return self.reject(event, RejectReason::StepsMissing { missing });
        }
        if let Some(proof) = q
            .proofs
            .iter()
            .map(|p| ProofKind::from(*p))
            .find(|p| !record.proofs.contains(p))
        {
            return self.reject(event, RejectReason::ProofMissing { proof });
        }
        let authenticity = if q.proofs.is_empty() {
            Authenticity::NotRequired
        } else if record.proof_anomalous {
            Authenticity::Anomalous
        } else {
            Authenticity::Verified
        };
        let first = record.completions == 0;
        let zone_bonus = catalog.zone(&q.zone).map_or(xp::ONE, |z| z.bonus_per_mille);
        let validators = record.validators.len();
        // The streak counts the local day of this completion too.
        self.mark_active(event);
        let multipliers = Multipliers {
            difficulty: xp::difficulty(q.difficulty),
            streak: xp::streak(self.streak_ending(event.local_day(), 11)),
            authenticity: xp::authenticity(authenticity),
            zone: xp::zone(zone_bonus),
            first_completion: xp::first_completion(first),
            community: xp::community(if first { validators } else { 0 }),
        };
        let base = u64::from(q.xp_reward);
        let earned = multipliers.apply(base);
        let record = self.quests.entry(quest.clone()).or_default();
        record.completions += 1;
        if first {
            record.first_completed_at_ms = Some(event.at_ms);
            record.first_award_base = Some((base, multipliers));
        }
        // A new attempt starts from scratch.
        record.started = false;
        record.steps_checked.clear();
        record.proofs.clear();
        record.proof_anomalous = false;
        self.stats.quests_completed += 1;
        self.stats.xp_quests += earned;
        self.award(
            event,
            earned,
            AwardReason::QuestCompleted {
                quest: quest.clone(),
                multipliers,
            },
        );
    }

    fn note_proof(&mut self, catalog: &Catalog, quest: Option<&QuestId>, kind: ProofKind) {
        if let Some(quest) = quest.filter(|q| catalog.quest(q).is_some()) {
            self.quests
                .entry(quest.clone())
                .or_default()
                .proofs
                .insert(kind);
        }
    }

    fn prerequisites_done(&self, q: &Quest) -> bool {
        q.prerequisites
            .iter()
            .all(|p| self.quests.get(p).is_some_and(|r| r.completions > 0))
    }

    fn reject(&mut self, event: &Event, reason: RejectReason) {
        self.rejections.push(Rejection {
            event: event.id,
            reason,
        });
    }

    fn award(&mut self, event: &Event, xp: u64, reason: AwardReason) {
        self.xp += xp;
        self.awards.push(Award {
            event: event.id,
            at_ms: event.at_ms,
            xp,
            reason,
        });
    }

    fn mark_active(&mut self, event: &Event) {
        let day = event.local_day();
        if self.active_days.insert(day) || self.longest_streak == 0 {
            let run = self.streak_ending(day, u32::MAX) + self.streak_after(day);
            self.longest_streak = self.longest_streak.max(run);
        }
    }

    /// Consecutive active days ending at `day` (counting it), at most `cap`.
    fn streak_ending(&self, day: i64, cap: u32) -> u32 {
        let mut n = 0;
        while n < cap && self.active_days.contains(&(day - i64::from(n))) {
            n += 1;
        }
        n
    }

    /// Consecutive active days right after `day`.
    fn streak_after(&self, day: i64) -> u32 {
        let mut n = 0;
        while self.active_days.contains(&(day + 1 + i64::from(n))) {
            n += 1;
        }
        n
    }

    fn check_achievements(&mut self, catalog: &Catalog, event: &Event) {
        for a in ACHIEVEMENTS {
            if self.achievements.iter().any(|u| u.id == a.id) {
                continue;
            }
            let met = match a.rule {
                Rule::DiagnosticRuns(n) => self.stats.diagnostics_run >= u64::from(n),
                Rule::QuestsCompleted(n) => self.stats.quests_completed >= u64::from(n),
                Rule::ArScans(n) => self.stats.ar_scans >= u64::from(n),
                Rule::StreakDays(n) => self.longest_streak >= n,
                Rule::ZoneCompleted => self.any_zone_completed(catalog),
            };
            if met {
                self.achievements.push(Unlocked {
                    id: a.id.to_owned(),
                    at_ms: event.at_ms,
                    event: event.id,
                });
            }
        }
    }

    fn any_zone_completed(&self, catalog: &Catalog) -> bool {
        catalog.zones().any(|z| {
            let mut quests = catalog.quests_in_zone(&z.id).peekable();
            quests.peek().is_some()
                && quests.all(|q| self.quests.get(&q.id).is_some_and(|r| r.completions > 0))
        })
    }

    /// Total XP.
    pub fn xp(&self) -> u64 {
        self.xp
    }

    /// Level and the way to the next one.
    pub fn level(&self) -> LevelProgress {
        LevelProgress::of(self.xp)
    }

    /// The rider's record for one quest, if they ever touched it.
    pub fn quest(&self, id: &QuestId) -> Option<&QuestRecord> {
        self.quests.get(id)
    }

    /// The last location proof folded, passed or not: the next proof is
    /// checked against it for speed and bursts.
    pub fn last_proof(&self) -> Option<&PreviousProof> {
        self.last_proof.as_ref()
    }

    /// Unlocked achievements, in the order they were earned.
    pub fn achievements(&self) -> &[Unlocked] {
        &self.achievements
    }

    /// Whether an achievement is unlocked.
    pub fn has_achievement(&self, id: &str) -> bool {
        self.achievements.iter().any(|u| u.id == id)
    }

    /// Every XP award, in canonical event order.
    pub fn awards(&self) -> &[Award] {
        &self.awards
    }

    /// Events that earned nothing, and why.
    pub fn rejections(&self) -> &[Rejection] {
        &self.rejections
    }

    /// Counters.
    pub fn stats(&self) -> &Statistics {
        &self.stats
    }

    /// The longest run of consecutive active days.
    pub fn longest_streak(&self) -> u32 {
        self.longest_streak
    }

    /// The streak as of `today` (a local day number): the run ending today or
    /// yesterday, 0 if the rider has missed a day since.
    pub fn current_streak(&self, today: i64) -> u32 {
        match self.active_days.last() {
            Some(&last) if last >= today - 1 && last <= today => self.streak_ending(last, u32::MAX),
            _ => 0,
        }
    }

    /// Number of distinct events folded.
    pub fn event_count(&self) -> u64 {
        self.stats.events
    }
}
