//! Why an agent's answer did not reach the consensus, in words a reviewer
//! reads in a stored run: "left out: anthropic: timed out after 800 ms".

use std::fmt;
use std::time::Duration;

use ridewire_engine::diagnostics::answer::AnswerError;

/// Why one agent was left out of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum WhyLeftOut {
    /// No complete answer within the agent's deadline.
    TimedOut {
        /// The deadline it missed.
        after: Duration,
    },
    /// The provider could not be reached, or the connection broke.
    Network {
        /// What failed (no URL, no key).
        detail: String,
    },
    /// The provider answered with an HTTP error (429 quota, 5xx, 401 key).
    Status {
        /// The HTTP status code.
        code: u16,
    },
    /// The provider's reply was not its documented format.
    BadReply {
        /// What was wrong with it.
        detail: String,
    },
    /// The model stopped before finishing its answer (token limit).
    Truncated,
    /// The model or the provider's filter declined to answer.
    Declined {
        /// The provider's reason, clipped.
        detail: String,
    },
    /// The model's text is not the answer object asked for.
    Malformed {
        /// What was wrong with it.
        detail: String,
    },
    /// The answer object breaks a rule of the engine (a component outside the
    /// vocabulary, a confidence outside 0..1, an absurd cost, ...).
    InvalidAnswer(AnswerError),
    /// The offline agent found nothing in the code database to go on.
    NoOfflineAnswer {
        /// The offline agent's reason.
        detail: String,
    },
    /// The task calling the agent ended abnormally.
    Crashed,
    /// Not asked: the server's budget of paid calls to hosted agents for
    /// this minute or day is spent (the offline agent still answers).
    OverBudget {
        /// `minute` or `day`.
        period: &'static str,
    },
}

impl fmt::Display for WhyLeftOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WhyLeftOut::TimedOut { after } => write!(f, "timed out after {} ms", after.as_millis()),
            WhyLeftOut::Network { detail } => write!(f, "network error: {detail}"),
            WhyLeftOut::Status { code: 429 } => f.write_str("rate limited (HTTP 429)"),
            WhyLeftOut::Status { code } => {
                let reason = reqwest::StatusCode::from_u16(*code)
                    .ok()
                    .and_then(|s| s.canonical_reason());
                match reason {
                    Some(reason) => write!(f, "HTTP {code} {reason}"),
                    None => write!(f, "HTTP {code}"),
                }
            }
            WhyLeftOut::BadReply { detail } => {
                write!(f, "reply not in the provider's format: {detail}")
            }
            WhyLeftOut::Truncated => f.write_str("answer cut off at the model's token limit"),
            WhyLeftOut::Declined { detail } => write!(f, "declined to answer: {detail}"),
            WhyLeftOut::Malformed { detail } => write!(f, "malformed answer: {detail}"),
            WhyLeftOut::InvalidAnswer(error) => write!(f, "invalid answer: {error}"),
            WhyLeftOut::NoOfflineAnswer { detail } => write!(f, "no answer: {detail}"),
            WhyLeftOut::Crashed => f.write_str("the call ended abnormally"),
            WhyLeftOut::OverBudget { period } => write!(
                f,
                "not asked: the server's budget for hosted agents this {period} is spent"
            ),
        }
    }
}

/// One agent left out of a run, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    /// The agent's name.
    pub agent: String,
    /// Why.
    pub why: WhyLeftOut,
}

impl fmt::Display for LeftOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "left out: {}: {}", self.agent, self.why)
    }
}

/// A reply's text pieces joined into the answer the model gave; a reply
/// with no text piece at all is a bad reply (`missing` says what was
/// absent). Empty pieces still count: the answer then fails parsing with
/// its own reason.
pub fn joined_text(
    pieces: impl IntoIterator<Item = String>,
    missing: &str,
) -> Result<String, WhyLeftOut> {
    let mut pieces = pieces.into_iter().peekable();
    if pieces.peek().is_none() {
        return Err(WhyLeftOut::BadReply {
            detail: missing.to_owned(),
        });
    }
    Ok(pieces.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_a_reviewer_expects() {
        let line = |why| {
            LeftOut {
                agent: "anthropic".into(),
                why,
            }
            .to_string()
        };
        assert_eq!(
            line(WhyLeftOut::TimedOut {
                after: Duration::from_millis(800)
            }),
            "left out: anthropic: timed out after 800 ms"
        );
        assert_eq!(
            line(WhyLeftOut::Status { code: 429 }),
            "left out: anthropic: rate limited (HTTP 429)"
        );
        assert_eq!(
            line(WhyLeftOut::Status { code: 500 }),
            "left out: anthropic: HTTP 500 Internal Server Error"
        );
        assert_eq!(
            line(WhyLeftOut::Status { code: 529 }),
            "left out: anthropic: HTTP 529"
        );
        assert_eq!(
            line(WhyLeftOut::InvalidAnswer(
                AnswerError::ConfidenceOutOfRange { value: 1.5 }
            )),
            "left out: anthropic: invalid answer: confidence 1.5 is not a number from 0 to 1"
        );
    }

    #[test]
    fn text_pieces_join_and_no_piece_is_a_bad_reply() {
        let pieces = ["{\"a\":".to_owned(), " 1}".to_owned()];
        assert_eq!(joined_text(pieces, "none"), Ok("{\"a\": 1}".to_owned()));
        assert_eq!(
            joined_text(Vec::new(), "no text block"),
            Err(WhyLeftOut::BadReply {
                detail: "no text block".into()
            })
        );
        assert_eq!(joined_text([String::new()], "none"), Ok(String::new()));
    }
}
