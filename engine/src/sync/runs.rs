//! The wire contract of diagnostic runs the server's agents answered: what
//! `POST /api/v1/diagnostics`, `GET /api/v1/diagnostics[/{id}]` and
//! `PUT /api/v1/diagnostics/{id}/feedback` answer. The server writes these
//! types and devices read the same ones (issue 12: one wire contract).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::diagnostics::gate::GatedDiagnosis;
use crate::diagnostics::request::DiagnosticRequest;

/// One run: the gated diagnosis and what became of each agent, for storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    /// Consensus, decision, flags, highlights and every agent's report
    /// (used, or left out as the engine classifies it).
    pub diagnosis: GatedDiagnosis,
    /// One entry per agent asked, sorted by agent name.
    #[serde(default)]
    pub calls: Vec<AgentCall>,
}

/// How asking one agent went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentCall {
    /// The agent's name.
    pub agent: String,
    /// `offline`, or the wire format: `openai`, `anthropic`, `gemini`.
    pub provider: String,
    /// The model asked; `None` for the offline agent.
    pub model: Option<String>,
    /// From sending the request to having the reply (or giving up), in
    /// milliseconds.
    pub elapsed_ms: f64,
    /// Whether the agent missed its deadline (it gave no answer at all).
    pub timed_out: bool,
    /// `None` when the answer went into the consensus; otherwise the line a
    /// reviewer reads, e.g. "left out: anthropic: timed out after 800 ms".
    pub left_out: Option<String>,
}

impl Panel {
    /// Every left-out line, in agent order.
    pub fn left_out(&self) -> Vec<&str> {
        self.calls
            .iter()
            .filter_map(|c| c.left_out.as_deref())
            .collect()
    }

    /// The agents whose answers went into the consensus, in name order.
    pub fn used(&self) -> Vec<&str> {
        self.calls
            .iter()
            .filter(|c| c.left_out.is_none())
            .map(|c| c.agent.as_str())
            .collect()
    }

    /// The longest time any agent took among those that gave an answer
    /// (used or not) before its deadline.
    pub fn slowest_answer_ms(&self) -> Option<f64> {
        self.calls
            .iter()
            .filter(|c| !c.timed_out)
            .map(|c| c.elapsed_ms)
            .max_by(f64::total_cmp)
    }
}

/// A run as the server stored it: `GET /api/v1/diagnostics/{id}` and the
/// answer to `POST /api/v1/diagnostics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The run's id (a UUID v7: time-ordered).
    pub id: Uuid,
    /// When it ran, Unix milliseconds.
    pub created_ms: i64,
    /// What was asked.
    pub request: DiagnosticRequest,
    /// What every agent said and what the gate made of it.
    pub panel: Panel,
    /// XP the run earned.
    pub xp_earned: u64,
    /// Achievements the run unlocked.
    pub achievements: Vec<String>,
    /// The `DiagnosticRun` event that recorded it.
    pub event_id: Uuid,
    /// The rider's note on it (did the fix work?); absent until they leave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    /// When the note was written, Unix milliseconds by the writing device's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_ms: Option<i64>,
}

/// One line of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's id.
    pub id: Uuid,
    /// When it ran, Unix milliseconds.
    pub created_ms: i64,
    /// What was asked.
    pub request: DiagnosticRequest,
    /// `approved`, `escalated` or `rejected`.
    pub decision: String,
    /// The consensus diagnosis, when there was one.
    pub diagnosis: Option<String>,
    /// Components highlighted in AR (empty unless approved).
    pub highlighted_components: Vec<String>,
    /// XP the run earned.
    pub xp_earned: u64,
    /// The `DiagnosticRun` event that recorded it (a device keeps the run
    /// once this event has reached it).
    pub event_id: Uuid,
    /// The rider's note on it; absent until they leave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    /// When the note was written, Unix milliseconds by the writing device's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_ms: Option<i64>,
}

/// The rider's note on a run as the server holds it, answered to
/// `PUT /api/v1/diagnostics/{id}/feedback`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFeedback {
    /// The run's id.
    pub id: Uuid,
    /// The note kept: the one sent, or a later one another device sent first.
    pub feedback: String,
    /// When the kept note was written, Unix milliseconds.
    pub feedback_ms: i64,
}

/// A page of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The runs, newest first.
    pub runs: Vec<RunSummary>,
    /// Pass as `before` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<Uuid>,
}
