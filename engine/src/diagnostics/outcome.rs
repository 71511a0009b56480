//! What became of asking each agent: the outcomes the server feeds in, and
//! the per-agent record of which answers were used and why others were left
//! out.

use serde::{Deserialize, Serialize};

use super::answer::{AgentAnswer, InvalidAnswer, ValidAnswer};

/// What became of asking one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AgentOutcome {
    /// The agent answered (the answer is not yet checked).
    Answered(AgentAnswer),
    /// The agent did not answer in time.
    TimedOut {
        /// Which agent.
        agent: String,
    },
    /// Calling the agent failed (network, quota, unparseable reply).
    Failed {
        /// Which agent.
        agent: String,
        /// What went wrong, as the server saw it.
        reason: String,
    },
}

/// What became of one agent's outcome in this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentReport {
    /// Which agent.
    pub agent: String,
    /// Used, or left out and why.
    pub status: AgentStatus,
}

/// Whether an agent's answer was used; every variant but `Used` is a reason
/// it was left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AgentStatus {
    /// The answer went into the consensus.
    Used {
        /// The answer.
        answer: AgentAnswer,
    },
    /// The answer was malformed.
    InvalidOutput {
        /// The answer as given.
        answer: AgentAnswer,
        /// What was wrong with it.
        error: String,
    },
    /// The agent did not answer in time.
    TimedOut,
    /// Calling the agent failed.
    Failed {
        /// What went wrong.
        reason: String,
    },
    /// The same agent answered more than once; no single answer can stand
    /// for it, so all of them are left out.
    DuplicateAgent {
        /// One of its answers.
        answer: AgentAnswer,
    },
}

impl AgentStatus {
    /// Whether the answer went into the consensus.
    pub fn is_used(&self) -> bool {
        matches!(self, AgentStatus::Used { .. })
    }
}

/// Splits outcomes into the answers the consensus may use, and a report for
/// every outcome, sorted by agent: used, or left out as malformed, timed out,
/// failed, or one of several answers from the same agent.
pub fn sort_outcomes(outcomes: Vec<AgentOutcome>) -> (Vec<ValidAnswer>, Vec<AgentReport>) {
    let mut answers = Vec::new();
    let mut valid: Vec<ValidAnswer> = Vec::new();
    for outcome in outcomes {
        let (agent, status) = match outcome {
            AgentOutcome::Answered(answer) => match answer.into_valid() {
                Ok(v) => {
                    valid.push(v);
                    continue;
                }
                Err(InvalidAnswer { answer, error }) => (
                    answer.agent.clone(),
                    AgentStatus::InvalidOutput {
                        answer: *answer,
                        error: error.to_string(),
                    },
                ),
            },
            AgentOutcome::TimedOut { agent } => (agent, AgentStatus::TimedOut),
            AgentOutcome::Failed { agent, reason } => (agent, AgentStatus::Failed { reason }),
        };
        answers.push(AgentReport { agent, status });
    }

    let (used, duplicates): (Vec<ValidAnswer>, Vec<ValidAnswer>) =
        valid.iter().cloned().partition(|v| {
            valid
                .iter()
                .filter(|w| w.answer().agent == v.answer().agent)
                .count()
                == 1
        });
    for v in duplicates {
        let answer = v.into_inner();
        answers.push(AgentReport {
            agent: answer.agent.clone(),
            status: AgentStatus::DuplicateAgent { answer },
        });
    }
    answers.extend(used.iter().map(|v| AgentReport {
        agent: v.answer().agent.clone(),
        status: AgentStatus::Used {
            answer: v.answer().clone(),
        },
    }));
    // By agent, so the stored run reads the same whatever order the
    // providers answered in.
    answers.sort_by(|a, b| a.agent.cmp(&b.agent));
    (used, answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::consensus::tests::answer;

    #[test]
    fn outcomes_read_from_the_servers_json() {
        let json = r#"[
            {"outcome": "answered", "agent": "openai", "diagnosis": "Misfire",
             "cause": "ignition_misfire", "components": ["spark_plugs"],
             "recommended_action": "Replace the plugs", "confidence": 0.8},
            {"outcome": "timed_out", "agent": "google"},
            {"outcome": "failed", "agent": "router", "reason": "HTTP 503"}
        ]"#;
        let outcomes: Vec<AgentOutcome> = serde_json::from_str(json).expect("json");
        let (used, reports) = sort_outcomes(outcomes);
        assert_eq!(used.len(), 1);
        let agents: Vec<&str> = reports.iter().map(|r| r.agent.as_str()).collect();
        assert_eq!(agents, ["google", "openai", "router"]);
        assert_eq!(reports[0].status, AgentStatus::TimedOut);
        assert!(reports[1].status.is_used());
    }

    #[test]
    fn every_outcome_gets_exactly_one_report() {
        let mut bad = answer("b", "ignition_misfire", &["spark_plugs"], 0.5);
        bad.components.push("warp_drive".into());
        let outcomes = vec![
            AgentOutcome::Answered(answer("c", "lean_mixture", &[], 0.5)),
            AgentOutcome::Answered(bad),
            AgentOutcome::Answered(answer("a", "lean_mixture", &[], 0.5)),
            AgentOutcome::Answered(answer("a", "charging_fault", &[], 0.5)),
        ];
        let (used, reports) = sort_outcomes(outcomes);
        assert_eq!(used.len(), 1, "only c is usable");
        let statuses: Vec<(&str, bool)> = reports
            .iter()
            .map(|r| (r.agent.as_str(), r.status.is_used()))
            .collect();
        assert_eq!(
            statuses,
            [("a", false), ("a", false), ("b", false), ("c", true)]
        );
        assert!(matches!(
            &reports[2].status,
            AgentStatus::InvalidOutput { error, .. } if error.contains("warp_drive")
        ));
    }
}
