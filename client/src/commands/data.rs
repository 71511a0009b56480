//! `ridewire data`: the rider's data, theirs to take and remove. `export`
//! writes everything as one JSON file (with the server's copy when signed
//! in and `--with-server` is given); `delete-account` deletes the account
//! on the server and forgets it here; `wipe` deletes this device's file.
//! The server wants the password for an export of its copy and for a
//! deletion (RIDEWIRE_PASSWORD or one line of standard input).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use ridewire_app::data::{self, ExportProgress};
use ridewire_app::rider::Rider;

/// What to do with the rider's data.
#[derive(Debug, Clone, Subcommand)]
pub enum DataAction {
    /// Write everything this device keeps (and, with --with-server, the
    /// server's copy of the account) to one JSON file.
    Export {
        /// The file to write (replaced only once the new one is complete).
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
        /// Include the server's copy (asks for the password).
        #[arg(long)]
        with_server: bool,
    },
    /// Delete the account on the server, with everything it keeps there,
    /// and sign this device out (asks for the password). What this device
    /// recorded stays on it.
    DeleteAccount,
    /// Delete this device's data file. Refuses without --yes.
    Wipe {
        /// Yes, delete it.
        #[arg(long)]
        yes: bool,
    },
}

fn now_ms() -> i64 {
    ridewire_app::clock::now().0
}

/// Runs `action` on the data file at `database`; `password` is asked for
/// only when the action needs it.
pub fn run(action: DataAction, database: &Path, password: impl Fn() -> Option<String>) -> ExitCode {
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("ridewire data: {e}");
        ExitCode::FAILURE
    };
    match action {
        DataAction::Export { file, with_server } => {
            let rider = match Rider::open(database, now_ms()) {
                Ok(rider) => rider,
                Err(e) => return fail(&e),
            };
            let server = if with_server {
                let Some(password) = password() else {
                    eprintln!(
                        "ridewire data: the server's copy needs your password \
                         (RIDEWIRE_PASSWORD or standard input)"
                    );
                    return ExitCode::from(2);
                };
                match data::server_copy(&rider, password) {
                    Ok(copy) => Some(copy),
                    Err(e) => return fail(&e),
                }
            } else {
                None
            };
            match data::export(&rider, server, &file, &ExportProgress::default()) {
                Ok(done) => {
                    println!(
                        "Wrote {} ({} bytes){}.",
                        done.path.display(),
                        done.bytes,
                        if done.with_server {
                            ", with the server's copy"
                        } else {
                            ""
                        }
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        DataAction::DeleteAccount => {
            let mut rider = match Rider::open(database, now_ms()) {
                Ok(rider) => rider,
                Err(e) => return fail(&e),
            };
            let Some((server, email)) = data::signed_in_as(&rider) else {
                eprintln!("ridewire data: this device is not signed in to a server");
                return ExitCode::from(2);
            };
            let Some(password) = password() else {
                eprintln!(
                    "ridewire data: deleting the account needs your password \
                     (RIDEWIRE_PASSWORD or standard input)"
                );
                return ExitCode::from(2);
            };
            match data::delete_account(&mut rider, password) {
                Ok(()) => {
                    println!(
                        "Deleted the account {email} on {server}; this device is signed out \
                         and keeps what it recorded."
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        DataAction::Wipe { yes } => {
            if !yes {
                eprintln!(
                    "ridewire data wipe: this deletes {} for good; run it again with --yes",
                    database.display()
                );
                return ExitCode::from(2);
            }
            match data::wipe(database) {
                Ok(()) => {
                    println!("Deleted {}.", database.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
    }
}
