//! A person's answer to a run the gate escalated (issue 15). The gate holds
//! an uncertain diagnosis for a person; a mechanic of a workshop the rider
//! shares diagnoses with approves it (in their own words), corrects the
//! components it names, or rejects it. The server records the answer as a
//! `DiagnosisReviewed` event on the rider's server device, so it sits in
//! the rider's tamper-evident log (who, when, what) and reaches every
//! device of theirs on sync; an approved or corrected run then lights its
//! components in AR like one the gate approved.
//!
//! The mechanic's words pass the same safety rules as the agents' answers
//! ([`super::safety`]): a person's advice is not taken on trust either.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::safety::{self, SafetyFinding};

/// Longest text a mechanic writes on a review, in characters.
pub const MAX_ACTION_CHARS: usize = 1_000;
/// Most components one review names.
pub const MAX_COMPONENTS: usize = 12;
/// Longest workshop or reviewer name carried on the event, in characters
/// (a workshop's name is at most 80; a display name at most 32).
pub const MAX_NAME_CHARS: usize = 80;

/// What the mechanic decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The agents' diagnosis stands; the components are the consensus's.
    Approved,
    /// The diagnosis stands with the components the mechanic names.
    Corrected,
    /// Not advice to follow; the text says why.
    Rejected,
}

impl Verdict {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Corrected => "corrected",
            Verdict::Rejected => "rejected",
        }
    }

    /// Whether the reviewed run's components light up in AR.
    pub fn lights(self) -> bool {
        !matches!(self, Verdict::Rejected)
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "approved" => Ok(Verdict::Approved),
            "corrected" => Ok(Verdict::Corrected),
            "rejected" => Ok(Verdict::Rejected),
            other => Err(format!(
                "{other:?} is not a verdict (approved, corrected, rejected)"
            )),
        }
    }
}

/// A mechanic's review of one run, as the event carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The workshop the mechanic reviewed for.
    pub workshop: Uuid,
    pub workshop_name: String,
    /// The mechanic's account.
    pub reviewer: i64,
    /// The mechanic's display name, or their role when they have none.
    pub reviewer_name: String,
    pub verdict: Verdict,
    /// The mechanic's own words: what to do (approved, corrected) or why
    /// not (rejected).
    pub text: String,
    /// The components the review lights: the consensus's (approved), the
    /// mechanic's (corrected), none (rejected).
    pub components: Vec<String>,
}

impl Review {
    /// The components to highlight in AR: none unless the verdict lights.
    pub fn lit_components(&self) -> &[String] {
        if self.verdict.lights() {
            &self.components
        } else {
            &[]
        }
    }
}

/// What a mechanic sends: `POST /api/v1/workshops/{workshop}/reviews/{run}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub verdict: Verdict,
    pub text: String,
    /// Only with `corrected`: the components that are at fault.
    #[serde(default)]
    pub components: Vec<String>,
}

/// Why a review cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("the review needs the mechanic's own words (1 to {MAX_ACTION_CHARS} characters)")]
    TextLength,
    #[error("the review's text has control characters (only line breaks and tabs are kept)")]
    ControlCharacters,
    #[error("a correction names 1 to {MAX_COMPONENTS} components")]
    ComponentCount,
    #[error("only a correction names components; approval keeps the diagnosis's own")]
    ComponentsNotExpected,
    #[error("{0:?} is not a component RideWire knows")]
    UnknownComponent(String),
    #[error("the run names no components to approve; correct it with the components at fault")]
    NothingToApprove,
    #[error("the safety rules refuse this advice: {}", .0.iter().map(|f| f.reason.as_str()).collect::<Vec<_>>().join("; "))]
    Unsafe(Vec<SafetyFinding>),
    #[error("the safety rules read English only; write the review in English")]
    LanguageNotCovered,
}

impl ReviewError {
    /// A stable code for the error, as the server answers it.
    pub fn code(&self) -> &'static str {
        match self {
            ReviewError::TextLength | ReviewError::ControlCharacters => "invalid_review_text",
            ReviewError::ComponentCount
            | ReviewError::ComponentsNotExpected
            | ReviewError::UnknownComponent(_) => "invalid_components",
            ReviewError::NothingToApprove => "nothing_to_approve",
            ReviewError::Unsafe(_) => "unsafe_advice",
            ReviewError::LanguageNotCovered => "language_not_covered",
        }
    }
}

impl ReviewInput {
    /// Checks the input against the run it reviews and gives the components
    /// the review lights. `consensus_components` are the run's candidates;
    /// `situation` the rider's own description
    /// ([`super::request::DiagnosticRequest::situation`]), which the
    /// riding-on rules read too.
    pub fn check(
        &self,
        consensus_components: &[String],
        situation: &str,
    ) -> Result<Vec<String>, ReviewError> {
        let chars = self.text.trim().chars().count();
        if chars == 0 || self.text.chars().count() > MAX_ACTION_CHARS {
            return Err(ReviewError::TextLength);
        }
        if self
            .text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            return Err(ReviewError::ControlCharacters);
        }
        let components = match self.verdict {
            Verdict::Corrected => {
                if self.components.is_empty() || self.components.len() > MAX_COMPONENTS {
                    return Err(ReviewError::ComponentCount);
                }
                let mut named = Vec::new();
                for c in &self.components {
                    if crate::vehicle::component(c).is_none() {
                        return Err(ReviewError::UnknownComponent(c.clone()));
                    }
                    if !named.contains(c) {
                        named.push(c.clone());
                    }
                }
                named
            }
            Verdict::Approved | Verdict::Rejected if !self.components.is_empty() => {
                return Err(ReviewError::ComponentsNotExpected);
            }
            Verdict::Approved if consensus_components.is_empty() => {
                return Err(ReviewError::NothingToApprove);
            }
            Verdict::Approved => consensus_components.to_vec(),
            Verdict::Rejected => Vec::new(),
        };
        if !safety::reads_language(&self.text) {
            return Err(ReviewError::LanguageNotCovered);
        }
        let findings = safety::check(&self.text, situation);
        if !findings.is_empty() {
            return Err(ReviewError::Unsafe(findings));
        }
        Ok(components)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(verdict: Verdict, text: &str, components: &[&str]) -> ReviewInput {
        ReviewInput {
            verdict,
            text: text.into(),
            components: components.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn an_approval_lights_the_consensus_and_a_correction_the_mechanics_parts() {
        let consensus = vec!["spark_plugs".to_owned()];
        let ok = input(Verdict::Approved, "Replace the spark plugs.", &[]);
        assert_eq!(ok.check(&consensus, ""), Ok(consensus.clone()));
        let fix = input(
            Verdict::Corrected,
            "The coil is failing; replace the ignition coil.",
            &["ignition_coil", "ignition_coil"],
        );
        assert_eq!(fix.check(&consensus, ""), Ok(vec!["ignition_coil".into()]));
        let no = input(Verdict::Rejected, "Bring it in; this needs a look.", &[]);
        assert_eq!(no.check(&consensus, ""), Ok(vec![]));
    }

    #[test]
    fn the_safety_rules_read_the_mechanics_words_too() {
        let consensus = vec!["oil_pressure_sensor".to_owned()];
        let unsafe_text = input(Verdict::Approved, "You can keep riding it for now.", &[]);
        let err = unsafe_text.check(&consensus, "the oil pressure light is on");
        assert!(matches!(err, Err(ReviewError::Unsafe(_))), "{err:?}");
        assert_eq!(err.err().map(|e| e.code()), Some("unsafe_advice"));
    }

    #[test]
    fn bad_reviews_say_what_is_wrong() {
        let consensus = vec!["spark_plugs".to_owned()];
        for (bad, code) in [
            (input(Verdict::Approved, "   ", &[]), "invalid_review_text"),
            (
                input(Verdict::Approved, &"x".repeat(MAX_ACTION_CHARS + 1), &[]),
                "invalid_review_text",
            ),
            (
                input(Verdict::Rejected, "No\u{7}pe.", &[]),
                "invalid_review_text",
            ),
            (
                input(Verdict::Corrected, "Replace it.", &[]),
                "invalid_components",
            ),
            (
                input(Verdict::Corrected, "Replace it.", &["flux_capacitor"]),
                "invalid_components",
            ),
            (
                input(Verdict::Approved, "Replace it.", &["spark_plugs"]),
                "invalid_components",
            ),
            (
                input(
                    Verdict::Approved,
                    "Ersetzen Sie die Zündkerzen sofort bitte.",
                    &[],
                ),
                "language_not_covered",
            ),
        ] {
            assert_eq!(
                bad.check(&consensus, "").err().map(|e| e.code()),
                Some(code),
                "{bad:?}"
            );
        }
        let nothing = input(Verdict::Approved, "Looks right.", &[]);
        assert_eq!(nothing.check(&[], ""), Err(ReviewError::NothingToApprove));
    }

    #[test]
    fn verdicts_read_back_as_written() {
        for v in [Verdict::Approved, Verdict::Corrected, Verdict::Rejected] {
            assert_eq!(v.as_str().parse::<Verdict>(), Ok(v));
            assert_eq!(
                serde_json::to_value(v).ok(),
                Some(serde_json::json!(v.as_str()))
            );
        }
        assert!("maybe".parse::<Verdict>().is_err());
    }
}
