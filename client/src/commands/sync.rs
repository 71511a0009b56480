//! `ridewire sync`: one round with the server, then the bookings queued
//! on this device while it had no connection.

use std::process::ExitCode;

use crate::player::DataSource;

/// Syncs once (signing in or registering first when asked).
pub fn run(
    data: &DataSource,
    server: Option<&str>,
    email: Option<&str>,
    register: bool,
) -> ExitCode {
    let DataSource::Database(database) = data else {
        eprintln!("ridewire sync: the demo garage does not sync; leave out --demo");
        return ExitCode::from(2);
    };
    // A new server or account, or a new account, needs the password.
    let password =
        crate::commands::password_for_sync(register || server.is_some() || email.is_some());
    match ridewire_app::account::sync_once_now(database, server, email, password, register) {
        Ok((server, report)) => {
            println!(
                "Synced with {server}: {} event(s) sent and acknowledged, {} refused, {} pulled{}.",
                report.acknowledged,
                report.wedged,
                report.events_pulled,
                if report.reset {
                    " (the server's data was reset: sent again)"
                } else {
                    ""
                }
            );
            // Bookings made without a connection go now.
            print!("{}", crate::commands::workshop::send_queue(database));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ridewire sync: {e}");
            ExitCode::FAILURE
        }
    }
}
