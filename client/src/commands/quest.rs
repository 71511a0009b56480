//! `ridewire quest complete QUEST_ID --gps [HOST:PORT]`: completes a quest
//! that asks for a location proof with a fix read from gpsd, or says how far
//! away the rider is or why the fix is not good enough (the app layer's
//! words, as the screens show them).

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use ridewire_app::location::{self, Attempt, DEFAULT_GPSD, Gpsd};
use ridewire_engine::quest::QuestId;

use crate::player::{Clock, DataSource, Player};

/// What to do with a quest.
#[derive(Debug, Subcommand)]
pub enum QuestAction {
    /// Complete a quest at its zone with a location proof from gpsd (every
    /// step must be ticked; otherwise the proof is kept for later).
    Complete {
        /// The quest's id, e.g. oil-change.
        #[arg(value_name = "QUEST_ID")]
        quest: String,
        /// Where gpsd listens [default: 127.0.0.1:2947].
        #[arg(long, value_name = "HOST:PORT", required = true, num_args = 0..=1,
              default_missing_value = DEFAULT_GPSD)]
        gps: Option<String>,
        /// How long to wait for a fix of 15 m or better, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 10,
              value_parser = clap::value_parser!(u64).range(1..=600))]
        wait: u64,
    },
}

/// Runs the command on the rider's data.
pub fn run(action: QuestAction, data: &DataSource, clock: &Clock) -> ExitCode {
    let QuestAction::Complete { quest, gps, wait } = action;
    let quest = match QuestId::new(quest) {
        Ok(quest) => quest,
        Err(e) => {
            eprintln!("ridewire quest complete: {e}");
            return ExitCode::from(2);
        }
    };
    let player = match data {
        DataSource::Demo => Player::demo(clock),
        DataSource::Database(path) => Player::open(path, clock),
    };
    let mut rider = match player {
        Ok(Player(rider)) => rider,
        Err(e) => {
            eprintln!("ridewire quest complete: {e}");
            return ExitCode::FAILURE;
        }
    };
    let at = gps.as_deref().unwrap_or(DEFAULT_GPSD);
    let wait = Duration::from_secs(wait);
    let fix = Gpsd::connect(at, wait).and_then(|mut gpsd| gpsd.fix_for_proof(wait));
    let fix = match fix {
        Ok(fix) => fix,
        Err(e) => {
            eprintln!("ridewire quest complete: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Position from gpsd: {:.6}, {:.6} (accuracy {:.0} m)",
        fix.at.lat, fix.at.lon, fix.accuracy_m
    );
    let title = rider
        .catalog
        .quest(&quest)
        .map_or_else(|| quest.to_string(), |q| q.title.clone());
    let (now, offset) = clock.now();
    let attempt = location::complete_at_zone(&mut rider, &quest, &fix, now, offset);
    println!("{}", attempt.words(&title));
    match attempt {
        Attempt::Completed { .. } | Attempt::ProofKept { .. } => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
