//! One agent's answer to a diagnosis request, and the checks that keep
//! malformed model output out of the consensus.
//!
//! Agents are language models (or the offline rule-based agent); their output
//! is outside input. An answer that breaks any rule here is left out whole:
//! nothing is trimmed, clamped or mapped to a near-miss component, because a
//! guess made here would be shown to a rider as if an agent had said it.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::vehicle::COMPONENTS;

/// Longest agent name, in characters.
pub const MAX_AGENT_CHARS: usize = 64;
/// Longest diagnosis or recommended action, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Longest cause key, in characters.
pub const MAX_CAUSE_CHARS: usize = 48;
/// Most components one answer may name: an answer that names half the bike
/// has not found the fault.
pub const MAX_COMPONENTS: usize = 8;

/// Currencies a cost may be given in, each with the highest believable repair
/// bill for a motorcycle (roughly 25,000 US dollars' worth). Anything above
/// is an absurd figure, not an estimate. A table rather than a single number
/// because a yen and a pound differ by two orders of magnitude.
pub const CURRENCY_CEILINGS: &[(&str, f64)] = &[
    ("AUD", 40_000.0),
    ("BRL", 150_000.0),
    ("CAD", 35_000.0),
    ("CHF", 25_000.0),
    ("CZK", 600_000.0),
    ("DKK", 180_000.0),
    ("EUR", 25_000.0),
    ("GBP", 20_000.0),
    ("INR", 2_000_000.0),
    ("JPY", 4_000_000.0),
    ("MXN", 500_000.0),
    ("NOK", 280_000.0),
    ("NZD", 45_000.0),
    ("PLN", 100_000.0),
    ("SEK", 280_000.0),
    ("USD", 25_000.0),
    ("ZAR", 450_000.0),
];

/// A repair cost estimate: a range in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostRange {
    /// Lowest expected cost.
    pub min: f64,
    /// Highest expected cost.
    pub max: f64,
    /// ISO 4217 code, one of [`CURRENCY_CEILINGS`].
    pub currency: String,
}

/// One agent's answer (SPEC: diagnosis, cause, components, recommended
/// action, estimated cost, confidence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentAnswer {
    /// Which agent answered, e.g. `openai` or `offline_rules`.
    pub agent: String,
    /// What is wrong, in the rider's words.
    pub diagnosis: String,
    /// A short normalised cause key such as `ignition_misfire`,
    /// `lean_mixture` or `charging_fault`; answers are compared on it.
    pub cause: String,
    /// Ids from [`crate::vehicle::COMPONENTS`] the fault involves.
    #[serde(default)]
    pub components: Vec<String>,
    /// What the rider or mechanic should do.
    pub recommended_action: String,
    /// Expected cost of the repair, when the agent gave one.
    #[serde(default)]
    pub estimated_cost: Option<CostRange>,
    /// How sure the agent is, 0 to 1.
    pub confidence: f64,
}

/// An answer that passed [`AgentAnswer::validate`]; only these reach the
/// consensus.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAnswer(AgentAnswer);

impl ValidAnswer {
    /// The checked answer.
    pub fn answer(&self) -> &AgentAnswer {
        &self.0
    }

    /// Gives the checked answer back.
    pub fn into_inner(self) -> AgentAnswer {
        self.0
    }
}

/// An answer that failed validation, kept whole for the record.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("answer from {:?} refused: {error}", answer.agent)]
pub struct InvalidAnswer {
    /// The answer as the agent gave it (boxed: errors stay small).
    pub answer: Box<AgentAnswer>,
    /// Why it was refused.
    pub error: AnswerError,
}

/// Why an answer was left out; the server logs it and may ask again.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AnswerError {
    /// A required text field is blank.
    #[error("{field} is empty")]
    EmptyField { field: &'static str },
    /// A text field is longer than its limit.
    #[error("{field} is longer than {max} characters")]
    FieldTooLong { field: &'static str, max: usize },
    /// The agent name holds control characters.
    #[error("agent name contains control characters")]
    AgentControlCharacters,
    /// The cause is not a snake_case key.
    #[error("cause {cause:?} is not a snake_case key such as ignition_misfire")]
    MalformedCause { cause: String },
    /// A component id that is not in the vocabulary.
    #[error("unknown component {id:?}")]
    UnknownComponent { id: String },
    /// The same component named twice.
    #[error("component {id:?} is named twice")]
    DuplicateComponent { id: String },
    /// More than [`MAX_COMPONENTS`] components.
    #[error("{count} components named; at most {max} are allowed")]
    TooManyComponents { count: usize, max: usize },
    /// Confidence is NaN, infinite or outside 0..=1.
    #[error("confidence {value} is not a number from 0 to 1")]
    ConfidenceOutOfRange { value: f64 },
    /// A cost bound that is NaN, infinite or negative.
    #[error("cost {value} is not a non-negative number")]
    InvalidCost { value: f64 },
    /// A cost range whose minimum is above its maximum.
    #[error("cost range {min}..{max} is upside down")]
    CostRangeInverted { min: f64, max: f64 },
    /// A cost above the believable ceiling for its currency.
    #[error("cost {max} {currency} is above the believable {ceiling} {currency}")]
    AbsurdCost {
        max: f64,
        ceiling: f64,
        currency: String,
    },
    /// A currency that is not in [`CURRENCY_CEILINGS`].
    #[error("currency {currency:?} is not supported")]
    UnsupportedCurrency { currency: String },
}

impl AgentAnswer {
    /// Checks every field; the first problem found is reported.
    pub fn validate(&self) -> Result<(), AnswerError> {
        check_text("agent", &self.agent, MAX_AGENT_CHARS)?;
        if self.agent.chars().any(char::is_control) {
            return Err(AnswerError::AgentControlCharacters);
        }
        check_text("diagnosis", &self.diagnosis, MAX_TEXT_CHARS)?;
        check_text(
            "recommended_action",
            &self.recommended_action,
            MAX_TEXT_CHARS,
        )?;
        if !is_cause_key(&self.cause) {
            return Err(AnswerError::MalformedCause {
                cause: self.cause.clone(),
            });
        }
        if self.components.len() > MAX_COMPONENTS {
            return Err(AnswerError::TooManyComponents {
                count: self.components.len(),
                max: MAX_COMPONENTS,
            });
        }
        for (i, id) in self.components.iter().enumerate() {
            if !COMPONENTS.iter().any(|c| c.id == id) {
                return Err(AnswerError::UnknownComponent { id: id.clone() });
            }
            if self.components[..i].contains(id) {
                return Err(AnswerError::DuplicateComponent { id: id.clone() });
            }
        }
        // `contains` is false for NaN, so NaN is refused here too.
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(AnswerError::ConfidenceOutOfRange {
                value: self.confidence,
            });
        }
        if let Some(cost) = &self.estimated_cost {
            cost.validate()?;
        }
        Ok(())
    }

    /// Checks the answer and, when it is sound, marks it as such; a refused
    /// answer comes back with the reason, so it can still be stored.
    pub fn into_valid(self) -> Result<ValidAnswer, InvalidAnswer> {
        match self.validate() {
            Ok(()) => Ok(ValidAnswer(self)),
            Err(error) => Err(InvalidAnswer {
                answer: Box::new(self),
                error,
            }),
        }
    }
}

impl CostRange {
    /// Checks bounds, order, currency and ceiling.
    pub fn validate(&self) -> Result<(), AnswerError> {
        for value in [self.min, self.max] {
            if !value.is_finite() || value < 0.0 {
                return Err(AnswerError::InvalidCost { value });
            }
        }
        if self.min > self.max {
            return Err(AnswerError::CostRangeInverted {
                min: self.min,
                max: self.max,
            });
        }
        let ceiling =
            currency_ceiling(&self.currency).ok_or_else(|| AnswerError::UnsupportedCurrency {
                currency: self.currency.clone(),
            })?;
        if self.max > ceiling {
            return Err(AnswerError::AbsurdCost {
                max: self.max,
                ceiling,
                currency: self.currency.clone(),
            });
        }
        Ok(())
    }
}

/// The highest believable repair cost in a currency, if it is supported.
pub fn currency_ceiling(currency: &str) -> Option<f64> {
    CURRENCY_CEILINGS
        .iter()
        .find(|(code, _)| *code == currency)
        .map(|&(_, ceiling)| ceiling)
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), AnswerError> {
    if text.trim().is_empty() {
        return Err(AnswerError::EmptyField { field });
    }
    if text.chars().count() > max {
        return Err(AnswerError::FieldTooLong { field, max });
    }
    Ok(())
}

/// `ignition_misfire`: a lower-case letter, then `a-z`, `0-9` and single
/// underscores between words.
fn is_cause_key(cause: &str) -> bool {
    !cause.is_empty()
        && cause.len() <= MAX_CAUSE_CHARS
        && cause.starts_with(|c: char| c.is_ascii_lowercase())
        && cause
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !cause.ends_with('_')
        && !cause.contains("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> AgentAnswer {
        AgentAnswer {
            agent: "offline_rules".into(),
            diagnosis: "Random misfire on both cylinders".into(),
            cause: "ignition_misfire".into(),
            components: vec!["spark_plugs".into(), "ignition_coil".into()],
            recommended_action: "Replace the spark plugs and test the coil".into(),
            estimated_cost: Some(CostRange {
                min: 40.0,
                max: 180.0,
                currency: "USD".into(),
            }),
            confidence: 0.8,
        }
    }

    fn refused(change: impl FnOnce(&mut AgentAnswer)) -> AnswerError {
        let mut a = answer();
        change(&mut a);
        a.validate().expect_err("should be refused")
    }

    #[test]
    fn a_sound_answer_passes_and_parses_from_json() {
        assert_eq!(answer().validate(), Ok(()));
        let json = r#"{"agent": "anthropic", "diagnosis": "Weak charging",
            "cause": "charging_fault", "components": ["stator", "regulator_rectifier"],
            "recommended_action": "Measure stator AC output", "confidence": 0.7}"#;
        let parsed: AgentAnswer = serde_json::from_str(json).expect("json");
        assert_eq!(parsed.estimated_cost, None);
        assert!(parsed.into_valid().is_ok());
    }

    #[test]
    fn confidence_must_be_a_probability() {
        for value in [f64::NAN, -0.01, 1.01, f64::INFINITY, f64::NEG_INFINITY] {
            let err = refused(|a| a.confidence = value);
            assert!(
                matches!(err, AnswerError::ConfidenceOutOfRange { .. }),
                "{value}: {err}"
            );
        }
        for ok in [0.0, 1.0] {
            let mut a = answer();
            a.confidence = ok;
            assert_eq!(a.validate(), Ok(()));
        }
    }

    #[test]
    fn components_must_come_from_the_vocabulary_once_each() {
        assert_eq!(
            refused(|a| a.components.push("flux_capacitor".into())),
            AnswerError::UnknownComponent {
                id: "flux_capacitor".into()
            }
        );
        // A near miss is not mapped to the real id.
        assert!(matches!(
            refused(|a| a.components = vec!["Spark Plugs".into()]),
            AnswerError::UnknownComponent { .. }
        ));
        assert_eq!(
            refused(|a| a.components.push("spark_plugs".into())),
            AnswerError::DuplicateComponent {
                id: "spark_plugs".into()
            }
        );
        assert!(matches!(
            refused(|a| a.components = COMPONENTS.iter().map(|c| c.id.to_owned()).collect()),
            AnswerError::TooManyComponents { .. }
        ));
    }

    #[test]
    fn text_fields_must_be_present_and_bounded() {
        assert_eq!(
            refused(|a| a.diagnosis = "  ".into()),
            AnswerError::EmptyField { field: "diagnosis" }
        );
        assert_eq!(
            refused(|a| a.recommended_action.clear()),
            AnswerError::EmptyField {
                field: "recommended_action"
            }
        );
        assert_eq!(
            refused(|a| a.agent.clear()),
            AnswerError::EmptyField { field: "agent" }
        );
        assert_eq!(
            refused(|a| a.agent = "open\nai".into()),
            AnswerError::AgentControlCharacters
        );
        assert!(matches!(
            refused(|a| a.diagnosis = "x".repeat(MAX_TEXT_CHARS + 1)),
            AnswerError::FieldTooLong {
                field: "diagnosis",
                ..
            }
        ));
    }

    #[test]
    fn causes_must_be_normalised_keys() {
        for bad in [
            "",
            "Ignition misfire",
            "ignition-misfire",
            "_misfire",
            "misfire_",
            "ignition__misfire",
            "1_misfire",
        ] {
            assert!(
                matches!(
                    refused(|a| a.cause = bad.into()),
                    AnswerError::MalformedCause { .. }
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn costs_must_be_ordered_believable_and_in_a_known_currency() {
        let cost = |min: f64, max: f64, currency: &str| {
            refused(|a| {
                a.estimated_cost = Some(CostRange {
                    min,
                    max,
                    currency: currency.into(),
                })
            })
        };
        assert_eq!(
            cost(200.0, 100.0, "EUR"),
            AnswerError::CostRangeInverted {
                min: 200.0,
                max: 100.0
            }
        );
        assert!(matches!(
            cost(-5.0, 100.0, "EUR"),
            AnswerError::InvalidCost { .. }
        ));
        assert!(matches!(
            cost(0.0, f64::NAN, "EUR"),
            AnswerError::InvalidCost { .. }
        ));
        assert!(matches!(
            cost(100.0, 1e9, "EUR"),
            AnswerError::AbsurdCost { .. }
        ));
        assert!(matches!(
            cost(10.0, 20.0, "usd"),
            AnswerError::UnsupportedCurrency { .. }
        ));
        // The same figure is absurd in euros and ordinary in yen.
        assert!(matches!(
            cost(0.0, 50_000.0, "EUR"),
            AnswerError::AbsurdCost { .. }
        ));
        let mut yen = answer();
        yen.estimated_cost = Some(CostRange {
            min: 0.0,
            max: 50_000.0,
            currency: "JPY".into(),
        });
        assert_eq!(yen.validate(), Ok(()));
    }

    #[test]
    fn currency_table_is_sorted_iso_codes() {
        assert!(CURRENCY_CEILINGS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(CURRENCY_CEILINGS.iter().all(|(code, ceiling)| {
            code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) && *ceiling > 0.0
        }));
    }
}
