//! Where a rider's proofs stand and what follows one: whether a quest takes
//! a proof of a kind now, what it still lacks, completing it once a proof
//! was recorded, and the completion others vouch for. The location proofs
//! ([`crate::location`]) and the photo proofs ([`crate::photos`]) share
//! these.

use std::collections::HashSet;

use ridewire_engine::event::{EventId, EventKind};
use ridewire_engine::progress::{ProofKind, RejectReason};
use ridewire_engine::quest::{ProofRequirement, Quest, QuestId, QuestState};

use crate::rider::{Outcome, Rider};

/// What came of a proof once it was recorded ([`Rider::complete_after_proof`]).
#[derive(Debug, Clone, PartialEq)]
pub enum AfterProof {
    /// The quest was completed; `completion` is its event.
    Completed {
        xp: u64,
        achievements: Vec<String>,
        completion: EventId,
    },
    /// The proof waits in the current attempt for this.
    Waiting(RejectReason),
    /// Recording the completion failed (the store's message).
    Failed(String),
}

impl Rider {
    /// What the current attempt at `quest` still lacks before its
    /// completion counts: unticked steps first, then proofs.
    pub fn still_missing(&self, quest: &QuestId) -> Option<RejectReason> {
        let q = self.catalog.quest(quest)?;
        let record = self.progress().quest(quest);
        let missing: Vec<String> = q
            .steps
            .iter()
            .filter(|s| !record.is_some_and(|r| r.steps_checked.contains(&s.id)))
            .map(|s| s.id.clone())
            .collect();
        if !missing.is_empty() {
            return Some(RejectReason::StepsMissing { missing });
        }
        q.proofs
            .iter()
            .map(|p| ProofKind::from(*p))
            .find(|p| !record.is_some_and(|r| r.proofs.contains(p)))
            .map(|proof| RejectReason::ProofMissing { proof })
    }

    /// Whether quest `quest` takes a proof of kind `needed` now: the quest
    /// (when it asks for one and is neither locked nor done for good),
    /// `None` when it asks for none, or why not.
    pub fn takes_proof(
        &self,
        quest: &QuestId,
        needed: ProofRequirement,
    ) -> std::result::Result<Option<Quest>, RejectReason> {
        let q = self
            .catalog
            .quest(quest)
            .ok_or(RejectReason::UnknownQuest)?;
        if !q.proofs.contains(&needed) {
            return Ok(None);
        }
        match self.progress().quest_state(&self.catalog, quest) {
            Some(QuestState::Locked) => Err(RejectReason::Locked),
            Some(QuestState::Completed) if !q.repeatable => Err(RejectReason::AlreadyCompleted),
            _ => Ok(Some(q.clone())),
        }
    }

    /// After a proof of `quest` was recorded: records the completion when
    /// nothing else is missing (only a completion that will count is
    /// recorded), or says what is.
    pub fn complete_after_proof(
        &mut self,
        quest: &QuestId,
        at_ms: i64,
        utc_offset_min: i16,
    ) -> AfterProof {
        if let Some(waiting) = self.still_missing(quest) {
            return AfterProof::Waiting(waiting);
        }
        let completed = EventKind::QuestCompleted {
            quest: quest.clone(),
        };
        match self.record(completed, at_ms, utc_offset_min) {
            Outcome::Counted { xp, achievements } => match self.counted_completion(quest) {
                Some(completion) => AfterProof::Completed {
                    xp,
                    achievements,
                    completion,
                },
                None => AfterProof::Failed("the completion was not kept".into()),
            },
            Outcome::NotCounted(waiting) => AfterProof::Waiting(waiting),
            Outcome::Failed(why) => AfterProof::Failed(why),
        }
    }

    /// The newest completion of `quest` that counted: the id another rider
    /// or a workshop needs to look at its proof and vouch for it.
    pub fn counted_completion(&self, quest: &QuestId) -> Option<EventId> {
        let refused: HashSet<EventId> = self
            .progress()
            .rejections()
            .iter()
            .map(|r| r.event)
            .collect();
        self.events()
            .iter()
            .rev()
            .find(|e| {
                matches!(&e.kind, EventKind::QuestCompleted { quest: q } if q == quest)
                    && !refused.contains(&e.id)
            })
            .map(|e| e.id)
    }
}
