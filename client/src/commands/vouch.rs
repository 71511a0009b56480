//! `ridewire vouch CODE`: look at what another rider proved with a photo
//! (the quest, when it was completed, the photo, who vouched so far), save
//! the photo to look at it (`--save-photo FILE`), and vouch for it
//! (`--yes`). It goes through the server with this rider's account: the
//! other rider gets the community bonus on their next sync.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use ridewire_app::photos;
use ridewire_sync_client::CompletionProof;

/// Which completion, and what to do with it.
#[derive(Debug, Clone, Args)]
pub struct Ask {
    /// The code the rider gave you: ridewire:vouch/ID, or the ID alone.
    #[arg(value_name = "CODE")]
    pub code: String,
    /// Write the photo there (a JPEG) to look at it first.
    #[arg(long, value_name = "FILE.jpg")]
    pub save_photo: Option<PathBuf>,
    /// Vouch for it: you have seen the photo and the work is done.
    #[arg(long)]
    pub yes: bool,
}

/// What the server shows of the completion, in lines.
pub fn report(proof: &CompletionProof) -> String {
    let when = chrono::DateTime::from_timestamp_millis(proof.completed_ms).map_or_else(
        || "?".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    let mut out = format!("Quest {} completed {when}.\n", proof.quest);
    match &proof.photo {
        Some(photo) => {
            out.push_str(&format!(
                "Photo: {}×{}, {} KiB",
                photo.width,
                photo.height,
                photo.bytes.div_ceil(1024)
            ));
            if let Some(taken) = photo
                .taken_ms
                .and_then(chrono::DateTime::from_timestamp_millis)
            {
                out.push_str(&format!(", taken {}", taken.format("%Y-%m-%d %H:%M UTC")));
            }
            if let Some(at) = photo.at {
                out.push_str(&format!(", at {:.5}, {:.5}", at.lat, at.lon));
            }
            out.push_str(".\n");
        }
        None => out.push_str("No photo goes with it.\n"),
    }
    out.push_str(&match (proof.validators, proof.validated_by_you) {
        (_, true) => "You have vouched for it.".to_owned(),
        (0, false) => "Nobody has vouched for it yet.".to_owned(),
        (1, false) => "1 rider has vouched for it.".to_owned(),
        (n, false) => format!("{n} riders have vouched for it."),
    });
    out
}

/// Runs the command with the account in `database`.
pub fn run(ask: &Ask, database: &Path) -> ExitCode {
    let completion = match photos::parse_completion(&ask.code) {
        Ok(id) => id,
        Err(e) => {
            eprintln!("ridewire vouch: {e}");
            return ExitCode::from(2);
        }
    };
    let proof = match photos::look(database, completion) {
        Ok(proof) => proof,
        Err(e) => {
            eprintln!("ridewire vouch: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", report(&proof));
    if let Some(file) = &ask.save_photo {
        let Some(photo) = &proof.photo else {
            eprintln!("ridewire vouch: there is no photo to save");
            return ExitCode::FAILURE;
        };
        let written = photo
            .jpeg()
            .map_err(|e| e.to_string())
            .and_then(|jpeg| std::fs::write(file, jpeg).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("ridewire vouch: cannot write {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
        println!("Photo saved to {}.", file.display());
    }
    if !ask.yes {
        if !proof.validated_by_you {
            println!("To vouch for it, run this again with --yes.");
        }
        return ExitCode::SUCCESS;
    }
    match photos::vouch(database, completion) {
        Ok(vouched) => {
            println!(
                "Vouched for {}: the rider gets the community bonus on their next sync.",
                vouched.quest
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ridewire vouch: {e}");
            ExitCode::FAILURE
        }
    }
}
