//! One line of a plan: what kind it is, and the tags and dates of a task.
//!
//! A line's kind depends only on its text without indentation, so a line
//! moved to another indentation (as rendering does) keeps its kind.

use super::error::ParseError;
use crate::quest::Difficulty;

/// What one line outside a code fence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Line<'a> {
    Blank,
    /// `#`..`######` followed by white space or nothing.
    Heading {
        hashes: usize,
        text: &'a str,
    },
    /// The opening line of a code fence.
    FenceOpen(Fence),
    /// `- [ ] title` or `- [x] title`.
    Task {
        indent: usize,
        done: bool,
        text: &'a str,
    },
    /// A plain list item: `text` is the whole line, `note` what a note keeps.
    Item {
        indent: usize,
        text: &'a str,
        note: &'a str,
    },
    /// Anything else: paragraph text.
    Text {
        indent: usize,
        text: &'a str,
    },
}

/// An open code fence: its character and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fence {
    pub ch: char,
    pub len: usize,
}

impl Fence {
    /// Whether a raw line closes this fence: only fence characters, at least as many.
    pub fn closes(self, raw: &str) -> bool {
        let text = raw.trim();
        text.len() >= self.len && text.chars().all(|c| c == self.ch)
    }

    /// The line that closes this fence.
    pub fn closing_line(self) -> String {
        std::iter::repeat_n(self.ch, self.len).collect()
    }
}

/// Leading white space as a column (tabs reach the next multiple of 4) and the rest.
pub(super) fn split_indent(raw: &str) -> (usize, &str) {
    let mut column = 0;
    for (at, c) in raw.char_indices() {
        if c == '\t' {
            column = (column / 4 + 1) * 4;
        } else if c.is_whitespace() {
            column += 1;
        } else {
            return (column, &raw[at..]);
        }
    }
    (column, "")
}

/// Classifies one line that is not inside a code fence.
pub(super) fn classify(raw: &str) -> Line<'_> {
    let (indent, rest) = split_indent(raw);
    let text = rest.trim_end();
    if text.is_empty() {
        Line::Blank
    } else if let Some((hashes, text)) = heading(text) {
        Line::Heading { hashes, text }
    } else if let Some(fence) = fence_open(text) {
        Line::FenceOpen(fence)
    } else if let Some((done, text)) = task(text) {
        Line::Task { indent, done, text }
    } else if let Some(note) = item(text) {
        Line::Item { indent, text, note }
    } else {
        Line::Text { indent, text }
    }
}

fn heading(text: &str) -> Option<(usize, &str)> {
    let hashes = text.bytes().take_while(|&b| b == b'#').count();
    let after = text.get(hashes..)?;
    let separated = after.is_empty() || after.starts_with(char::is_whitespace);
    ((1..=6).contains(&hashes) && separated).then(|| (hashes, after.trim()))
}

fn fence_open(text: &str) -> Option<Fence> {
    let ch = text.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let len = text.chars().take_while(|&c| c == ch).count();
    let info = text.get(len..)?;
    // CommonMark: a backtick fence's info string has no backticks (that is inline code).
    (len >= 3 && !(ch == '`' && info.contains('`'))).then_some(Fence { ch, len })
}

/// The text after a list marker (`-`, `*`, `+`) and its white space.
fn after_bullet(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(['-', '*', '+'])?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

fn task(text: &str) -> Option<(bool, &str)> {
    let rest = after_bullet(text)?.strip_prefix('[')?;
    let (done, rest) = if let Some(rest) = rest.strip_prefix(' ') {
        (false, rest)
    } else {
        (true, rest.strip_prefix(['x', 'X'])?)
    };
    let rest = rest.strip_prefix(']')?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| (done, rest.trim()))
}

fn item(text: &str) -> Option<&str> {
    if let Some(note) = after_bullet(text) {
        return Some(note);
    }
    // An ordered item keeps its number: "1. Torque to 15 Nm".
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let rest = text.get(digits..)?.strip_prefix(['.', ')'])?;
    let ordered =
        (1..=9).contains(&digits) && (rest.is_empty() || rest.starts_with(char::is_whitespace));
    ordered.then_some(text)
}

/// A `#tag` token's name: letters, digits, `_`, `-`, `/`, not only digits.
pub(super) fn tag(token: &str) -> Option<&str> {
    let name = token.strip_prefix('#')?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/'))
        && !name.chars().all(|c| c.is_ascii_digit());
    valid.then_some(name)
}

fn push_unique(tags: &mut Vec<String>, tag: &str) {
    if !tags.iter().any(|t| t == tag) {
        tags.push(tag.to_owned());
    }
}

/// A heading's title and tags; trailing `#` runs (closing marks) are dropped.
pub(super) fn heading_meta(text: &str) -> (String, Vec<String>) {
    let mut tokens: Vec<&str> = text.split_whitespace().collect();
    while tokens.last().is_some_and(|t| t.chars().all(|c| c == '#')) {
        tokens.pop();
    }
    let mut words = Vec::new();
    let mut tags = Vec::new();
    for token in tokens {
        match tag(token) {
            Some(name) => push_unique(&mut tags, name),
            None => words.push(token),
        }
    }
    (words.join(" "), tags)
}

/// What a task line says besides its checkbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TaskMeta {
    pub title: String,
    pub tags: Vec<String>,
    pub difficulty: Option<Difficulty>,
    pub repeatable: bool,
    pub due: Option<String>,
}

/// The tag that sets a difficulty, as written in plans.
pub(super) fn difficulty_tag(difficulty: Difficulty) -> &'static str {
    match difficulty {
        Difficulty::Easy => "easy",
        Difficulty::Medium => "medium",
        Difficulty::Hard => "hard",
        Difficulty::Expert => "expert",
    }
}

fn difficulty_of(tag: &str) -> Option<Difficulty> {
    [
        Difficulty::Easy,
        Difficulty::Medium,
        Difficulty::Hard,
        Difficulty::Expert,
    ]
    .into_iter()
    .find(|d| tag.eq_ignore_ascii_case(difficulty_tag(*d)))
}

/// Splits a task's text into title, tags, difficulty, repeat flag and due date.
pub(super) fn task_meta(text: &str, line: usize) -> Result<TaskMeta, ParseError> {
    let mut meta = TaskMeta::default();
    let mut words = Vec::new();
    let mut tokens = text.split_whitespace();
    while let Some(token) = tokens.next() {
        let due = if let Some(rest) = token.strip_prefix('📅') {
            Some(if rest.is_empty() {
                tokens.next().unwrap_or("")
            } else {
                rest
            })
        } else {
            token.strip_prefix("due:")
        };
        if let Some(value) = due {
            set_due(&mut meta, value, line)?;
        } else if let Some(name) = tag(token) {
            if let Some(difficulty) = difficulty_of(name) {
                match meta.difficulty {
                    Some(first) if first != difficulty => {
                        return Err(ParseError::ConflictingDifficulty {
                            line,
                            first: difficulty_tag(first),
                            second: difficulty_tag(difficulty),
                        });
                    }
                    _ => meta.difficulty = Some(difficulty),
                }
            } else if name.eq_ignore_ascii_case("repeat") {
                meta.repeatable = true;
            } else {
                push_unique(&mut meta.tags, name);
            }
        } else {
            words.push(token);
        }
    }
    meta.title = words.join(" ");
    Ok(meta)
}

fn set_due(meta: &mut TaskMeta, value: &str, line: usize) -> Result<(), ParseError> {
    check_date(value).map_err(|reason| ParseError::InvalidDate {
        line,
        value: value.to_owned(),
        reason,
    })?;
    match &meta.due {
        Some(first) if first != value => Err(ParseError::ConflictingDue {
            line,
            first: first.clone(),
            second: value.to_owned(),
        }),
        _ => {
            meta.due = Some(value.to_owned());
            Ok(())
        }
    }
}

/// Checks a `YYYY-MM-DD` date against the Gregorian calendar.
pub(super) fn check_date(value: &str) -> Result<(), &'static str> {
    let bytes = value.as_bytes();
    if value.is_empty() {
        return Err("the date is missing");
    }
    let digits_at = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = value.get(range)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let shaped = bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
    let parts = (digits_at(0..4), digits_at(5..7), digits_at(8..10));
    let (Some(year), Some(month), Some(day), true) = (parts.0, parts.1, parts.2, shaped) else {
        return Err("expected YYYY-MM-DD");
    };
    if !(1..=12).contains(&month) {
        return Err("the month must be 01 to 12");
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days).contains(&day) {
        return Err("the month has no such day");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_lines() {
        assert_eq!(
            classify("## Brakes ##"),
            Line::Heading {
                hashes: 2,
                text: "Brakes ##"
            }
        );
        assert!(matches!(classify("#hashtag"), Line::Text { .. }));
        assert!(matches!(classify("####### seven"), Line::Text { .. }));
        assert!(matches!(classify("  ```rust"), Line::FenceOpen(_)));
        assert!(matches!(classify("```a`b"), Line::Text { .. }));
        assert_eq!(
            classify("\t* [X] Bleed brakes"),
            Line::Task {
                indent: 4,
                done: true,
                text: "Bleed brakes"
            }
        );
        assert!(matches!(
            classify("- [ ]"),
            Line::Task {
                done: false,
                text: "",
                ..
            }
        ));
        assert!(matches!(
            classify("- [ ]x"),
            Line::Item { note: "[ ]x", .. }
        ));
        assert!(matches!(classify("- [-] cancelled"), Line::Item { .. }));
        assert!(matches!(
            classify("12. Torque"),
            Line::Item {
                note: "12. Torque",
                ..
            }
        ));
        assert!(matches!(classify("---"), Line::Text { .. }));
        assert_eq!(classify(" \t "), Line::Blank);
    }

    #[test]
    fn task_tokens() {
        let meta = task_meta(
            "Lube  #EASY chain #repeat #drive-train #1 due:2026-05-01",
            3,
        );
        assert_eq!(
            meta,
            Ok(TaskMeta {
                title: "Lube chain #1".into(),
                tags: vec!["drive-train".into()],
                difficulty: Some(Difficulty::Easy),
                repeatable: true,
                due: Some("2026-05-01".into()),
            })
        );
        let emoji = task_meta("Oil 📅 2028-02-29", 1);
        assert_eq!(emoji.map(|m| m.due), Ok(Some("2028-02-29".into())));
        assert!(matches!(
            task_meta("x #easy #hard", 9),
            Err(ParseError::ConflictingDifficulty { line: 9, .. })
        ));
        assert!(matches!(
            task_meta("x 📅", 2),
            Err(ParseError::InvalidDate { line: 2, .. })
        ));
    }

    #[test]
    fn calendar_dates() {
        assert_eq!(check_date("2024-02-29"), Ok(()));
        assert!(check_date("2023-02-29").is_err());
        assert!(check_date("1900-02-29").is_err());
        assert_eq!(check_date("2000-02-29"), Ok(()));
        assert!(check_date("2026-13-01").is_err());
        assert!(check_date("2026-04-31").is_err());
        assert!(check_date("2026-4-1").is_err());
        assert!(check_date("2026-0a-01").is_err());
        assert!(check_date("２026-01-01").is_err());
    }
}
