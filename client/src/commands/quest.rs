//! `ridewire quest complete QUEST_ID --gps [HOST:PORT]`: completes a quest
//! that asks for a location proof with a fix read from gpsd, or says how far
//! away the rider is or why the fix is not good enough (the app layer's
//! words, as the screens show them); `ridewire quest photo QUEST_ID FILE`
//! completes one tagged `#photo` with a photo of the work and prints the
//! code another rider or the workshop needs to vouch for it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use ridewire_app::location::{self, Attempt, DEFAULT_GPSD};
use ridewire_app::photos::{self, PhotoAttempt, Prepared, Share};
use ridewire_engine::quest::{ProofRequirement, QuestId};

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
    /// Tick one step of a quest (as the quest log's checkbox does).
    Tick {
        /// The quest's id, e.g. oil-change.
        #[arg(value_name = "QUEST_ID")]
        quest: String,
        /// The step's id, e.g. s1.
        #[arg(value_name = "STEP")]
        step: String,
    },
    /// Add a photo of the work to a quest tagged #photo (JPEG or PNG; it is
    /// made upright, small and stripped of its metadata). Completes the
    /// quest when every step is ticked.
    Photo {
        /// The quest's id, e.g. oil-change.
        #[arg(value_name = "QUEST_ID")]
        quest: String,
        /// The picture.
        #[arg(value_name = "PHOTO")]
        file: PathBuf,
        /// Let the time the photo was taken go with it.
        #[arg(long)]
        share_time: bool,
        /// Let the place the photo was taken go with it (from the photo's
        /// own GPS data, when it has any).
        #[arg(long)]
        share_place: bool,
    },
    /// List the quests: id, state, the steps still to tick, the proofs
    /// needed, and the code to have a completed one vouched for.
    List,
}

/// Runs the command on the rider's data.
pub fn run(action: QuestAction, data: &DataSource, clock: &Clock) -> ExitCode {
    let (quest, gps, wait) = match action {
        QuestAction::Complete { quest, gps, wait } => (quest, gps, wait),
        QuestAction::Tick { quest, step } => return tick(&quest, &step, data, clock),
        QuestAction::List => return list(data, clock),
        QuestAction::Photo {
            quest,
            file,
            share_time,
            share_place,
        } => {
            let share = Share {
                time: share_time,
                place: share_place,
            };
            return photo(&quest, &file, share, data, clock);
        }
    };
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
    let fix = location::proof_fix(at, wait);
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

fn open(data: &DataSource, clock: &Clock) -> Result<ridewire_app::rider::Rider, String> {
    match data {
        DataSource::Demo => Player::demo(clock),
        DataSource::Database(path) => Player::open(path, clock),
    }
    .map(|Player(rider)| rider)
    .map_err(|e| e.to_string())
}

/// `ridewire quest tick QUEST STEP`.
fn tick(quest: &str, step: &str, data: &DataSource, clock: &Clock) -> ExitCode {
    let quest_id = match QuestId::new(quest.to_owned()) {
        Ok(id) => id,
        Err(e) => {
            eprintln!("ridewire quest tick: {e}");
            return ExitCode::from(2);
        }
    };
    let mut rider = match open(data, clock) {
        Ok(rider) => rider,
        Err(e) => {
            eprintln!("ridewire quest tick: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(known) = rider.catalog.quest(&quest_id) else {
        eprintln!(
            "ridewire quest tick: there is no quest {quest} (`ridewire quest list` shows them)"
        );
        return ExitCode::from(2);
    };
    if !known.steps.iter().any(|s| s.id == step) {
        let ids: Vec<&str> = known.steps.iter().map(|s| s.id.as_str()).collect();
        eprintln!(
            "ridewire quest tick: {quest} has no step {step:?}; its steps are {}",
            ids.join(", ")
        );
        return ExitCode::from(2);
    }
    let title = known.title.clone();
    let (now, offset) = clock.now();
    let kind = ridewire_engine::event::EventKind::StepChecked {
        quest: quest_id,
        step: step.to_owned(),
    };
    match rider.record(kind, now, offset) {
        ridewire_app::rider::Outcome::Counted { xp, .. } => {
            println!("{title}: step {step} ticked (+{xp} XP).");
            ExitCode::SUCCESS
        }
        ridewire_app::rider::Outcome::NotCounted(reason) => {
            println!(
                "{title}: step {step} ticked, earning nothing: {}",
                ridewire_app::rider::explain(&reason)
            );
            ExitCode::SUCCESS
        }
        ridewire_app::rider::Outcome::Failed(e) => {
            eprintln!("ridewire quest tick: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `ridewire quest photo QUEST FILE`.
fn photo(quest: &str, file: &Path, share: Share, data: &DataSource, clock: &Clock) -> ExitCode {
    let quest_id = match QuestId::new(quest.to_owned()) {
        Ok(id) => id,
        Err(e) => {
            eprintln!("ridewire quest photo: {e}");
            return ExitCode::from(2);
        }
    };
    let mut rider = match open(data, clock) {
        Ok(rider) => rider,
        Err(e) => {
            eprintln!("ridewire quest photo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(title) = rider.catalog.quest(&quest_id).map(|q| q.title.clone()) else {
        eprintln!(
            "ridewire quest photo: there is no quest {quest} (`ridewire quest list` shows them)"
        );
        return ExitCode::from(2);
    };
    let (now, offset) = clock.now();
    let prepared = match Prepared::from_file(file, offset) {
        Ok(prepared) => prepared,
        Err(e) => {
            eprintln!("ridewire quest photo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let proof = prepared.proof(share);
    println!(
        "Photo: {}×{}, {} KiB, no metadata; time {}, place {}.",
        prepared.width,
        prepared.height,
        prepared.jpeg.len().div_ceil(1024),
        shared_words(prepared.found.taken_ms.is_some(), proof.taken_ms.is_some()),
        shared_words(prepared.found.at.is_some(), proof.at.is_some()),
    );
    let attempt = photos::complete_with_photo(&mut rider, &quest_id, &prepared, share, now, offset);
    println!("{}", attempt.words(&title));
    match attempt {
        PhotoAttempt::Completed { completion, .. } => {
            println!(
                "To have it vouched for, give another rider or your workshop the code \
                 ridewire:vouch/{completion} (they run `ridewire vouch {completion}`); \
                 the photo goes to the server with the next sync."
            );
            ExitCode::SUCCESS
        }
        PhotoAttempt::PhotoKept { .. } => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// Whether a time or place went with the photo, in words.
fn shared_words(found: bool, shared: bool) -> &'static str {
    match (found, shared) {
        (_, true) => "shared",
        (true, false) => "kept private",
        (false, false) => "not in the photo",
    }
}

/// `ridewire quest list`.
fn list(data: &DataSource, clock: &Clock) -> ExitCode {
    let rider = match open(data, clock) {
        Ok(rider) => rider,
        Err(e) => {
            eprintln!("ridewire quest list: {e}");
            return ExitCode::FAILURE;
        }
    };
    for quest in rider.catalog.quests() {
        let state = rider
            .progress()
            .quest_state(&rider.catalog, &quest.id)
            .map_or_else(|| "?".to_owned(), |s| format!("{s:?}").to_lowercase());
        let ticked = rider.progress().quest(&quest.id);
        let open: Vec<&str> = quest
            .steps
            .iter()
            .filter(|s| !ticked.is_some_and(|q| q.steps_checked.contains(&s.id)))
            .map(|s| s.id.as_str())
            .collect();
        let steps = if open.is_empty() || state == "completed" {
            String::new()
        } else {
            format!("  steps to tick: {}", open.join(", "))
        };
        let proofs: Vec<&str> = quest
            .proofs
            .iter()
            .map(|p| match p {
                ProofRequirement::Location => "location",
                ProofRequirement::ArScan => "AR scan",
                ProofRequirement::DiagnosticRun => "diagnosis",
                ProofRequirement::Photo => "photo",
            })
            .collect();
        let proofs = if proofs.is_empty() || state == "completed" {
            String::new()
        } else {
            format!("  proof: {}", proofs.join(", "))
        };
        let code = match rider.counted_completion(&quest.id) {
            Some(id) if !quest.proofs.is_empty() => format!("  vouch code: ridewire:vouch/{id}"),
            _ => String::new(),
        };
        println!(
            "{:<20} {:<10} {}{steps}{proofs}{code}",
            quest.id.to_string(),
            state,
            quest.title
        );
    }
    ExitCode::SUCCESS
}
