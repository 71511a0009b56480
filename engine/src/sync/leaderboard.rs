//! Leaderboards: riders ranked by the progress the server folded from their
//! accepted events — never by a number a device sends. The wire contract of
//! `GET /api/v1/leaderboards/{board}` and `PUT /api/v1/me/leaderboard`, and
//! the rules both sides apply: how a fold becomes a [`Standing`], which
//! week "this week" is, and what a display name may be.
//!
//! Riders are listed only under a display name they chose; without one
//! (the default) they appear on no board, though they still see where
//! their own numbers stand.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::progress::{AwardReason, Progress};

/// How many riders a board lists.
pub const TOP: usize = 100;
/// Shortest display name, in characters.
pub const MIN_NAME_CHARS: usize = 3;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 24;

const DAY_MS: i64 = 86_400_000;

/// What a board ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Board {
    /// XP earned.
    Xp,
    /// Diagnostic runs that earned XP.
    Diagnostics,
    /// Quest completions that earned XP.
    Quests,
}

impl Board {
    /// Every board, in the order screens show them.
    pub const ALL: [Board; 3] = [Board::Xp, Board::Diagnostics, Board::Quests];

    /// The word in the path.
    pub fn as_str(self) -> &'static str {
        match self {
            Board::Xp => "xp",
            Board::Diagnostics => "diagnostics",
            Board::Quests => "quests",
        }
    }

    /// What it ranks, for a heading.
    pub fn title(self) -> &'static str {
        match self {
            Board::Xp => "XP",
            Board::Diagnostics => "Diagnoses",
            Board::Quests => "Quests completed",
        }
    }
}

impl fmt::Display for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Board {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Board::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a leaderboard: use xp, diagnostics or quests"))
    }
}

/// Over what time a board counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// The current week: Monday 00:00 UTC to the next Monday.
    Week,
    /// Everything.
    #[default]
    All,
}

impl Period {
    /// Both periods.
    pub const ALL: [Period; 2] = [Period::Week, Period::All];

    /// The word in the query.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::All => "all",
        }
    }

    /// For a heading.
    pub fn title(self) -> &'static str {
        match self {
            Period::Week => "This week",
            Period::All => "All time",
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Period::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a period: use week or all"))
    }
}

/// The week `at_ms` falls in: whole weeks since Monday 1969-12-29 00:00
/// UTC (weeks start on Monday, in UTC, for every rider alike).
pub fn week_of(at_ms: i64) -> i64 {
    // 1970-01-01 was a Thursday: three days after a Monday.
    (at_ms.div_euclid(DAY_MS) + 3).div_euclid(7)
}

/// When week `week` starts (Unix ms).
pub fn week_start_ms(week: i64) -> i64 {
    (week * 7 - 3) * DAY_MS
}

/// A rider's numbers on every board, from their folded progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Standing {
    pub xp: u64,
    pub diagnostics: u64,
    pub quests: u64,
    /// The week the `week_*` numbers count ([`week_of`]).
    pub week: i64,
    pub week_xp: u64,
    pub week_diagnostics: u64,
    pub week_quests: u64,
}

impl Standing {
    /// The standing of a fold as of `now_ms`: its awards, counted by when
    /// the event that earned each happened. Events kept but not rewarded
    /// (a daily allowance used up, a proof that failed) count nowhere.
    pub fn of(progress: &Progress, now_ms: i64) -> Self {
        let week = week_of(now_ms);
        let mut s = Standing {
            week,
            ..Standing::default()
        };
        for award in progress.awards() {
            let this_week = week_of(award.at_ms) == week;
            let (diagnostics, quests) = match award.reason {
                AwardReason::DiagnosticRun => (1, 0),
                AwardReason::QuestCompleted { .. } => (0, 1),
                AwardReason::CommunityValidation { .. } | AwardReason::ArScan => (0, 0),
            };
            s.xp += award.xp;
            s.diagnostics += diagnostics;
            s.quests += quests;
            if this_week {
                s.week_xp += award.xp;
                s.week_diagnostics += diagnostics;
                s.week_quests += quests;
            }
        }
        s
    }

    /// The number `board` ranks over `period`, in week `week` (a standing
    /// from an earlier week has nothing this week).
    pub fn value(&self, board: Board, period: Period, week: i64) -> u64 {
        match period {
            Period::All => match board {
                Board::Xp => self.xp,
                Board::Diagnostics => self.diagnostics,
                Board::Quests => self.quests,
            },
            Period::Week if self.week != week => 0,
            Period::Week => match board {
                Board::Xp => self.week_xp,
                Board::Diagnostics => self.week_diagnostics,
                Board::Quests => self.week_quests,
            },
        }
    }
}

/// Checks a display name as the rider typed it (spaces around it are
/// trimmed): 3 to 24 characters, no control characters. What the server
/// receives must already be trimmed.
pub fn check_display_name(typed: &str) -> Result<String, String> {
    let name = typed.trim();
    let chars = name.chars().count();
    if chars < MIN_NAME_CHARS {
        return Err(format!(
            "a display name needs at least {MIN_NAME_CHARS} characters"
        ));
    }
    if chars > MAX_NAME_CHARS {
        return Err(format!(
            "a display name has at most {MAX_NAME_CHARS} characters"
        ));
    }
    if name.chars().any(|c| c.is_control() || invisible(c)) {
        return Err(
            "a display name cannot hold control or invisible characters (zero-width \
             spaces, direction marks)"
                .into(),
        );
    }
    Ok(name.to_owned())
}

/// The form in which two display names are the same name: compatibility
/// forms read as their plain letters (NFKC: fullwidth `Ｒｉｄｅ` is `Ride`,
/// the ligature `ﬁ` is `fi`), then every letter in lower case, in any script
/// (`ÅSA` is `åsa`, `ΖΩΗ` is `ζωη`). No two riders hold names with the same
/// key, so nobody can pass for another by case or width alone. (Lower case,
/// not full case folding: `ß` and `ss` stay two names.)
pub fn name_key(name: &str) -> String {
    let lower: String = name.nfkc().flat_map(char::to_lowercase).collect();
    lower.nfkc().collect()
}

/// Characters that show nothing or turn the text around: a name made of
/// them could look empty or like another rider's. (The server's OpenAPI
/// pattern for display names excludes exactly these.)
pub fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
    )
}

/// One listed rider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1 for the highest value; riders with equal values share a rank
    /// (1, 2, 2, 4).
    pub rank: u64,
    pub display_name: String,
    pub value: u64,
}

/// Where the asking rider stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The name they are listed under; `None` when they are not listed.
    pub display_name: Option<String>,
    /// Their number on this board.
    pub value: u64,
    /// Their rank among listed riders; `None` when they are not listed, or
    /// have nothing yet on this week's board.
    pub rank: Option<u64>,
}

/// `GET /api/v1/leaderboards/{board}?period=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardPage {
    pub board: Board,
    pub period: Period,
    /// When the week counted starts (Unix ms), for [`Period::Week`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_start_ms: Option<i64>,
    /// When the server made the page (Unix ms).
    pub generated_ms: i64,
    /// How many riders are listed on the board.
    pub listed: u64,
    /// The first [`TOP`], highest first; equal values in the order the
    /// accounts were made.
    pub top: Vec<Entry>,
    pub me: Me,
}

/// `PUT /api/v1/me/leaderboard`, and its answer: the name to be listed
/// under, or `None` to leave every board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayName {
    /// Required, `null` included: a body without it is refused rather
    /// than read as leaving the boards.
    #[serde(deserialize_with = "Option::deserialize")]
    pub display_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_in_utc() {
        // Monday 2026-11-30 00:00 UTC.
        let monday = 1_795_996_800_000;
        assert_eq!(week_start_ms(week_of(monday)), monday);
        assert_eq!(week_of(monday - 1), week_of(monday) - 1);
        assert_eq!(week_of(monday + 7 * DAY_MS - 1), week_of(monday));
        // Sunday 2026-12-06 23:59:59.999 is still the same week.
        assert_eq!(week_start_ms(week_of(monday + 6 * DAY_MS)), monday);
        // Before 1970 too.
        assert_eq!(week_start_ms(week_of(-1)), -3 * DAY_MS);
    }

    #[test]
    fn a_name_body_must_say_the_name_or_null() {
        let leave: DisplayName = serde_json::from_str(r#"{"display_name":null}"#).unwrap();
        assert_eq!(leave.display_name, None);
        let join: DisplayName = serde_json::from_str(r#"{"display_name":"Ana"}"#).unwrap();
        assert_eq!(join.display_name.as_deref(), Some("Ana"));
        assert!(serde_json::from_str::<DisplayName>("{}").is_err());
    }

    #[test]
    fn names_that_look_empty_or_turned_around_are_refused() {
        for bad in [
            "Ana\u{200B}",
            "\u{200B}\u{200B}\u{200B}",
            "Bo\u{202E}b",
            "\u{FEFF}Ana",
        ] {
            assert!(check_display_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_display_name("Zoë-42").unwrap(), "Zoë-42");
        assert_eq!(check_display_name("佐藤さん").unwrap(), "佐藤さん");
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(check_display_name("  Ana R. "), Ok("Ana R.".into()));
        assert_eq!(check_display_name("Zoë"), Ok("Zoë".into()));
        assert!(check_display_name("Al").is_err());
        assert!(check_display_name("   ").is_err());
        assert!(check_display_name(&"x".repeat(25)).is_err());
        assert!(check_display_name(&"ü".repeat(24)).is_ok());
        assert!(check_display_name("Ana\u{7}Bell").is_err());
    }

    #[test]
    fn names_that_differ_only_in_case_width_or_composition_share_a_key() {
        for (a, b) in [
            ("ÅSA BERG", "åsa berg"),
            ("ΖΩΗ", "ζωη"),
            ("Ｒｉｄｅ Ｍａｘ", "ride max"),
            ("ﬁxer", "FIXER"),
            ("Zoe\u{0308}", "ZOË"),
        ] {
            assert_eq!(name_key(a), name_key(b), "{a} / {b}");
        }
        for (a, b) in [("Ana", "Anna"), ("Zoë", "Zoe"), ("straße", "strasse")] {
            assert_ne!(name_key(a), name_key(b), "{a} / {b}");
        }
    }

    #[test]
    fn boards_and_periods_read_as_they_are_written() {
        for board in Board::ALL {
            assert_eq!(board.as_str().parse::<Board>(), Ok(board));
            let json = serde_json::to_string(&board).expect("json");
            assert_eq!(json, format!("\"{board}\""));
        }
        for period in Period::ALL {
            assert_eq!(period.as_str().parse::<Period>(), Ok(period));
        }
        assert!("weekly".parse::<Period>().is_err());
        assert!("speed".parse::<Board>().is_err());
    }
}
