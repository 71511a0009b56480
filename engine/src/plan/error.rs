//! Why a text is not a plan, with the line to look at.

use thiserror::Error;

/// A plan the parser refuses; line and column numbers are 1-based.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The text is empty or only white space.
    #[error("the plan is empty; write a heading and tasks such as `- [ ] Change the oil`")]
    Empty,
    /// The text is larger than a plan can reasonably be.
    #[error("the text is {bytes} bytes; a plan may have at most {max} bytes")]
    TooLarge { bytes: usize, max: usize },
    /// The text has more lines than a plan may have.
    #[error("line {line}: a plan may have at most {max} lines; split it into several plans")]
    TooManyLines { line: usize, max: usize },
    /// One line is too long to be part of a hand-written plan.
    #[error(
        "line {line} is {chars} characters long; lines may have at most {max} (is this a plan?)"
    )]
    LineTooLong {
        line: usize,
        chars: usize,
        max: usize,
    },
    /// A control character: the input is binary data, not Markdown.
    #[error(
        "line {line}, column {column}: control character U+{code:04X}; this looks like binary data, not a Markdown plan"
    )]
    NotText {
        line: usize,
        column: usize,
        code: u32,
    },
    /// Sub-tasks nest deeper than allowed.
    #[error("line {line}: sub-tasks nest {depth} deep; at most {max} levels are allowed")]
    TooDeep {
        line: usize,
        depth: usize,
        max: usize,
    },
    /// A due date that is not a real `YYYY-MM-DD` date.
    #[error(
        "line {line}: invalid due date {value:?}: {reason}; write it as YYYY-MM-DD, e.g. due:2026-05-01"
    )]
    InvalidDate {
        line: usize,
        value: String,
        reason: &'static str,
    },
    /// A task with two different due dates.
    #[error("line {line}: the task has two due dates, {first} and {second}; keep one")]
    ConflictingDue {
        line: usize,
        first: String,
        second: String,
    },
    /// A task tagged with two different difficulties.
    #[error("line {line}: the task is tagged both #{first} and #{second}; keep one difficulty")]
    ConflictingDifficulty {
        line: usize,
        first: &'static str,
        second: &'static str,
    },
    /// Text without a single task outside code fences.
    #[error(
        "no tasks in {lines} lines; a plan needs at least one task line such as `- [ ] Change the oil` (tasks inside code fences do not count)"
    )]
    NoTasks { lines: usize },
}
