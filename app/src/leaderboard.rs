//! Leaderboards as a rider sees them: the server ranks verified progress
//! (overall XP, diagnoses, quests completed; this week and all time), and
//! this device keeps the last copy of each board it fetched, so the screen
//! works offline and says how old what it shows is.
//!
//! A rider is on no board until they choose a display name; leaving takes
//! them off every board. Both go to the server (the syncer asks between its
//! rounds, with its session); the name is also kept here so the screen can
//! show it offline.

use std::path::Path;

use ridewire_engine::sync::leaderboard::{Board, LeaderboardPage, Period, check_display_name};
use serde::{Deserialize, Serialize};

use crate::account::{Saved, start_syncer};
use crate::rider::Rider;
use crate::task::Pending;
use crate::{Error, Result};

/// Setting: the name the rider is listed under (absent: not listed).
pub const NAME_KEY: &str = "leaderboard.display_name";

/// The setting that keeps the last copy of a board.
fn kept_key(board: Board, period: Period) -> String {
    format!("leaderboard.{board}.{period}")
}

/// A board as the server last sent it, and when this device fetched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub page: LeaderboardPage,
    pub fetched_ms: i64,
}

/// The last copy of a board this device fetched.
pub fn kept(rider: &Rider, board: Board, period: Period) -> Option<Kept> {
    let json = rider.setting(&kept_key(board, period))?;
    // A copy that cannot be read is as good as none: the next fetch
    // replaces it.
    serde_json::from_str(&json).ok()
}

/// Keeps a fetched board (and the name it says the rider is listed under)
/// for when the server cannot be reached.
pub fn keep(rider: &mut Rider, page: &LeaderboardPage, fetched_ms: i64) -> Result<()> {
    let kept = Kept {
        page: page.clone(),
        fetched_ms,
    };
    let json = serde_json::to_string(&kept)
        .map_err(|e| Error::Input(format!("the leaderboard cannot be kept: {e}")))?;
    rider.save_setting(&kept_key(page.board, page.period), &json)?;
    remember_name(rider, page.me.display_name.as_deref())
}

/// The name this device knows the rider is listed under.
pub fn name(rider: &Rider) -> Option<String> {
    rider.setting(NAME_KEY)
}

/// Remembers the name the server keeps (`None`: not listed).
pub fn remember_name(rider: &mut Rider, name: Option<&str>) -> Result<()> {
    match name {
        Some(name) if rider.setting(NAME_KEY).as_deref() != Some(name) => {
            rider.save_setting(NAME_KEY, name)
        }
        Some(_) => Ok(()),
        None if rider.setting(NAME_KEY).is_some() => rider.forget_setting(NAME_KEY),
        None => Ok(()),
    }
}

/// The name as the server will take it (trimmed), or what is wrong with it.
pub fn check_name(typed: &str) -> Result<String> {
    check_display_name(typed).map_err(Error::Input)
}

/// How old a copy fetched at `fetched_ms` is, in words: "updated just
/// now", "updated 5 min ago", "updated 3 h ago", "updated 2 days ago".
pub fn age_words(fetched_ms: i64, now_ms: i64) -> String {
    let minutes = (now_ms - fetched_ms).max(0) / 60_000;
    match minutes {
        0 => "updated just now".to_owned(),
        1..=59 => format!("updated {minutes} min ago"),
        60..=2879 => format!("updated {} h ago", minutes / 60),
        _ => format!("updated {} days ago", minutes / 1440),
    }
}

/// A rank with its English suffix: 1st, 2nd, 3rd, 4th, 11th, 22nd.
pub fn ordinal(rank: u64) -> String {
    let suffix = match (rank % 10, rank % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{rank}{suffix}")
}

/// Where the rider stands on a board, in one line.
pub fn standing_words(page: &LeaderboardPage) -> String {
    let unit = unit(page.board, page.me.value);
    match (&page.me.display_name, page.me.rank) {
        (Some(name), Some(rank)) => format!(
            "{name}: {} of {} with {} {unit}",
            ordinal(rank),
            page.listed,
            page.me.value
        ),
        (Some(name), None) => {
            format!("{name}: not on this week's board yet; earn something this week to be")
        }
        (None, _) => format!(
            "You have {} {unit}; choose a display name to be listed",
            page.me.value
        ),
    }
}

/// What a board counts, for a number.
pub fn unit(board: Board, value: u64) -> &'static str {
    match (board, value) {
        (Board::Xp, _) => "XP",
        (Board::Diagnostics, 1) => "diagnosis",
        (Board::Diagnostics, _) => "diagnoses",
        (Board::Quests, 1) => "quest",
        (Board::Quests, _) => "quests",
    }
}

fn not_signed_in() -> Error {
    Error::NotSignedIn(
        "leaderboards live on the server: sign in first (Settings, or `ridewire sync`)".into(),
    )
}

/// `ridewire leaderboard`: a syncer over the rider's database for the
/// length of the question. It first sends what waits (so the board counts
/// the rider's latest progress), then fetches the board and keeps it.
pub fn fetch_once(database: &Path, board: Board, period: Period) -> Result<LeaderboardPage> {
    let signed = Saved::read_file(database)
        .signed_in()
        .ok_or_else(not_signed_in)?;
    let syncer = start_syncer(database, &signed)?;
    // A round that fails says so through the board's own answer.
    let _ = Pending::from("the sync thread", syncer.handle().round()?).wait();
    let answer = Pending::from("the sync thread", syncer.leaderboard(board, period)?).wait();
    syncer.stop();
    let page = answer??;
    let mut rider = Rider::open(database, crate::clock::now().0)?;
    keep(&mut rider, &page, crate::clock::now().0)?;
    Ok(page)
}

/// `ridewire leaderboard --join NAME` / `--leave`: lists the rider under
/// `name` or takes them off every board; answers the name the server keeps.
pub fn set_name_once(database: &Path, name: Option<&str>) -> Result<Option<String>> {
    let name = name.map(check_name).transpose()?;
    let signed = Saved::read_file(database)
        .signed_in()
        .ok_or_else(not_signed_in)?;
    let syncer = start_syncer(database, &signed)?;
    let answer = Pending::from("the sync thread", syncer.set_display_name(name)?).wait();
    syncer.stop();
    let kept = answer??.display_name;
    let mut rider = Rider::open(database, crate::clock::now().0)?;
    remember_name(&mut rider, kept.as_deref())?;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_as_a_rider_says_them() {
        let now = 1_800_000_000_000;
        assert_eq!(age_words(now - 20_000, now), "updated just now");
        assert_eq!(age_words(now - 5 * 60_000, now), "updated 5 min ago");
        assert_eq!(age_words(now - 3 * 3_600_000, now), "updated 3 h ago");
        assert_eq!(age_words(now - 50 * 3_600_000, now), "updated 2 days ago");
        // A clock set back shows no negative age.
        assert_eq!(age_words(now + 60_000, now), "updated just now");
    }

    #[test]
    fn ranks_take_their_english_suffixes() {
        let words: Vec<_> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            words,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                "111th"
            ]
        );
    }

    #[test]
    fn a_kept_board_and_name_come_back_after_reopening() {
        use ridewire_engine::sync::leaderboard::{Entry, Me};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rider.db");
        let now = 1_800_000_000_000;
        let page = LeaderboardPage {
            board: Board::Quests,
            period: Period::Week,
            week_start_ms: Some(now - 86_400_000),
            generated_ms: now,
            listed: 2,
            top: vec![
                Entry {
                    rank: 1,
                    display_name: "Bo".into(),
                    value: 4,
                },
                Entry {
                    rank: 2,
                    display_name: "Ana".into(),
                    value: 1,
                },
            ],
            me: Me {
                display_name: Some("Ana".into()),
                value: 1,
                rank: Some(2),
            },
        };
        {
            let mut rider = Rider::open(&path, now).unwrap();
            assert_eq!(kept(&rider, Board::Quests, Period::Week), None);
            keep(&mut rider, &page, now).unwrap();
        }
        let mut rider = Rider::open(&path, now).unwrap();
        let back = kept(&rider, Board::Quests, Period::Week).unwrap();
        assert_eq!(back.page, page);
        assert_eq!(back.fetched_ms, now);
        assert_eq!(kept(&rider, Board::Quests, Period::All), None);
        assert_eq!(name(&rider).as_deref(), Some("Ana"));
        assert_eq!(standing_words(&page), "Ana: 2nd of 2 with 1 quest");
        remember_name(&mut rider, None).unwrap();
        assert_eq!(name(&rider), None);
    }

    #[test]
    fn names_are_checked_before_they_are_sent() {
        assert_eq!(check_name("  Ana  ").unwrap(), "Ana");
        let err = check_name("A").unwrap_err().to_string();
        assert!(err.contains('3'), "{err}");
    }

    #[test]
    fn without_a_signed_in_account_the_board_says_to_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rider.db");
        Rider::open(&path, 0).unwrap();
        let err = fetch_once(&path, Board::Xp, Period::All)
            .unwrap_err()
            .to_string();
        assert!(err.contains("sign in"), "{err}");
        let err = set_name_once(&path, Some("Ana")).unwrap_err().to_string();
        assert!(err.contains("sign in"), "{err}");
    }
}
