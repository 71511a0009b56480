//! `ridewire leaderboard`: one of the server's boards in the terminal, and
//! joining (`--join NAME`) or leaving (`--leave`) the boards. The board is
//! kept in the rider's database like the app's screen keeps it; without a
//! connection the last copy is shown with its age (`--offline` shows it
//! without trying).

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use ridewire_app::leaderboard::{self as boards, Kept};
use ridewire_app::rider::Rider;
use ridewire_engine::sync::leaderboard::{Board, Period};

/// What to show, and whether to join or leave first.
#[derive(Debug, Clone, Args)]
pub struct Ask {
    /// The board: xp, diagnostics or quests.
    #[arg(value_name = "BOARD", default_value = "xp", value_parser = parse_board)]
    pub board: Board,
    /// This week (from Monday 00:00 UTC) instead of all time.
    #[arg(long)]
    pub week: bool,
    /// First list me on the boards under NAME (3 to 24 characters).
    #[arg(long, value_name = "NAME", conflicts_with = "leave")]
    pub join: Option<String>,
    /// First take me off every board.
    #[arg(long)]
    pub leave: bool,
    /// Show the last copy kept on this device without asking the server.
    #[arg(long, conflicts_with_all = ["join", "leave"])]
    pub offline: bool,
}

fn parse_board(text: &str) -> Result<Board, String> {
    text.parse()
}

/// The board as text: a heading, the top riders (the rider's own row
/// marked with `>`), and where the rider stands.
pub fn report(kept: &Kept, now_ms: i64) -> String {
    let page = &kept.page;
    let mut out = format!(
        "{} · {} · {} listed · {}\n",
        page.board.title(),
        page.period.title(),
        page.listed,
        boards::age_words(kept.fetched_ms, now_ms)
    );
    let me = page.me.display_name.as_deref();
    for entry in &page.top {
        let mark = if Some(entry.display_name.as_str()) == me {
            '>'
        } else {
            ' '
        };
        let _ = writeln!(
            out,
            "{mark} {:>6}  {:<24} {:>7} {}",
            boards::ordinal(entry.rank),
            entry.display_name,
            entry.value,
            boards::unit(page.board, entry.value)
        );
    }
    if page.top.is_empty() {
        out.push_str("  Nobody is listed on this board yet.\n");
    }
    out.push_str(&boards::standing_words(page));
    out.push('\n');
    out
}

/// Runs the command on the rider's database.
pub fn run(ask: &Ask, database: &Path) -> ExitCode {
    let now = || ridewire_app::clock::now().0;
    let period = if ask.week { Period::Week } else { Period::All };
    if ask.join.is_some() || ask.leave {
        match boards::set_name_once(database, ask.join.as_deref()) {
            Ok(Some(name)) => println!("You are on the boards as {name}."),
            Ok(None) => println!("You are off the boards."),
            Err(e) => {
                eprintln!("ridewire leaderboard: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let problem = if ask.offline {
        None
    } else {
        boards::fetch_once(database, ask.board, period).err()
    };
    let kept = match Rider::open(database, now()) {
        Ok(rider) => boards::kept(&rider, ask.board, period),
        Err(e) => {
            eprintln!("ridewire leaderboard: {e}");
            return ExitCode::FAILURE;
        }
    };
    match (kept, problem) {
        (Some(kept), problem) => {
            if let Some(e) = problem {
                eprintln!(
                    "ridewire leaderboard: could not update ({e}); showing the copy {}",
                    boards::age_words(kept.fetched_ms, now())
                );
            }
            print!("{}", report(&kept, now()));
            ExitCode::SUCCESS
        }
        (None, Some(e)) => {
            eprintln!("ridewire leaderboard: {e}");
            ExitCode::FAILURE
        }
        (None, None) => {
            eprintln!(
                "ridewire leaderboard: no copy of this board on this device yet; \
                 run it without --offline"
            );
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridewire_engine::sync::leaderboard::{Entry, LeaderboardPage, Me};

    #[test]
    fn the_report_marks_the_riders_own_row() {
        let now = 1_800_000_000_000;
        let kept = Kept {
            page: LeaderboardPage {
                board: Board::Xp,
                period: Period::All,
                week_start_ms: None,
                generated_ms: now,
                listed: 2,
                top: vec![
                    Entry {
                        rank: 1,
                        display_name: "Bo".into(),
                        value: 120,
                    },
                    Entry {
                        rank: 2,
                        display_name: "Ana".into(),
                        value: 30,
                    },
                ],
                me: Me {
                    display_name: Some("Ana".into()),
                    value: 30,
                    rank: Some(2),
                },
            },
            fetched_ms: now - 5 * 60_000,
        };
        let text = report(&kept, now);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "XP · All time · 2 listed · updated 5 min ago");
        assert!(lines[1].starts_with(' ') && lines[1].contains("1st") && lines[1].contains("Bo"));
        assert!(lines[2].starts_with('>') && lines[2].contains("Ana"));
        assert_eq!(lines[3], "Ana: 2nd of 2 with 30 XP");
    }
}
