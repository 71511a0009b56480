//! The rider's data, from the Settings screen's Your data card (drawn from
//! the shared [`DataForm`]): an export written on a worker thread with its
//! progress on the card, the account's deletion on the server (the syncer
//! stopped first, started again if the server refuses), and wiping this
//! device (the session closed, the file deleted, a fresh one opened in its
//! place). The work itself is the app layer's [`ridewire_app::data`].

use bevy::prelude::*;
use ridewire_app::account;
use ridewire_app::data::{self, ExportProgress};
use ridewire_app::task::Pending;

use crate::AppSystems;
use crate::player::{Clock, Player};
pub use crate::shared::{DataAsk, DataForm};
use crate::shared::{Settings, SignInForm, SyncLink, Synced};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<DataForm>()
        .add_message::<DataAsk>()
        .add_systems(Update, (start, finish).chain().after(AppSystems::Record));
}

fn start(
    mut asks: MessageReader<DataAsk>,
    mut form: ResMut<DataForm>,
    mut link: ResMut<SyncLink>,
    player: Option<Res<Player>>,
    mut commands: Commands,
) {
    let Some(ask) = asks.read().last().copied() else {
        return;
    };
    form.confirming = None;
    let Some(player) = player else { return };
    if form.busy() {
        form.message = Some(Err("wait for the export or deletion under way".into()));
        return;
    }
    let database = player.database();
    match ask {
        DataAsk::Export => {
            let to = form.export_path();
            if to.as_os_str().is_empty() {
                form.message = Some(Err("enter the file to write the export to".into()));
                return;
            }
            let password = form.with_server.then(|| std::mem::take(&mut form.password));
            let progress = ExportProgress::default();
            form.message = None;
            match database {
                Some(database) => {
                    let shown = progress.clone();
                    let job = Pending::spawn("the export", move || {
                        data::export_file(&database, password, &to, &progress)
                    });
                    form.export = Some((job, shown));
                }
                // The demo garage lives in this session only, and is small.
                None if password.is_some() => {
                    form.message = Some(Err(
                        "the demo garage has no account on a server: start without --demo".into(),
                    ));
                }
                None => {
                    let done = data::export(&player.0, None, &to, &progress);
                    form.message = Some(exported(done));
                }
            }
        }
        DataAsk::DeleteAccount => {
            let Some(database) = database else {
                form.message = Some(Err("the demo garage has no account on a server".into()));
                return;
            };
            if data::signed_in_as(&player).is_none() {
                form.message = Some(Err("this device is not signed in to a server".into()));
                return;
            }
            let password = std::mem::take(&mut form.password);
            if password.is_empty() {
                form.message = Some(Err("enter your password to delete the account".into()));
                return;
            }
            // The syncer would keep asking with a session about to be void.
            link.syncer = None;
            form.message = None;
            form.deletion = Some(Pending::spawn("the account's deletion", move || {
                data::delete_account_of(&database, password)
            }));
        }
        DataAsk::Wipe => {
            let Some(database) = database else {
                form.message = Some(Err(
                    "the demo garage is in memory only: nothing is stored on this device".into(),
                ));
                return;
            };
            link.syncer = None;
            link.server = None;
            link.problem = None;
            form.message = None;
            commands.queue(move |world: &mut World| wipe(world, &database));
        }
    }
}

/// Closes the session, deletes the file and opens a fresh one in its place
/// (the features that load on a new [`Player`] load again). If the file
/// cannot be deleted the old session is opened again and the card says why.
fn wipe(world: &mut World, database: &std::path::Path) {
    let clock = *world.resource::<Clock>();
    // Dropping the session closes the SQLite file before it is deleted.
    drop(world.remove_resource::<Player>());
    let wiped = data::wipe(database);
    match Player::open(database, &clock) {
        Ok(player) => {
            world.insert_resource(player);
        }
        Err(e) => {
            error!("could not open a fresh data file after wiping: {e}");
            world.insert_resource(crate::player::LoadError(e.to_string()));
        }
    }
    let message = match wiped {
        Ok(()) => {
            // Display and camera settings were in the file too.
            if let Some(mut settings) = world.get_resource_mut::<Settings>() {
                *settings = Settings::default();
            }
            let mut form = world.resource_mut::<SignInForm>();
            form.server.clear();
            form.email.clear();
            form.password.clear();
            form.message = None;
            world.write_message(Synced {
                history_changed: true,
            });
            Ok(format!(
                "Deleted this device's data ({}). RideWire starts afresh.",
                database.display()
            ))
        }
        Err(e) => {
            // The old file is still there: sync it again as before.
            if let Some(player) = world.get_resource::<Player>()
                && let Some(Ok((server, syncer))) = account::resume(player)
            {
                let mut link = world.resource_mut::<SyncLink>();
                link.syncer = Some(syncer);
                link.server = Some(server);
            }
            Err(format!("could not delete this device's data: {e}"))
        }
    };
    world.resource_mut::<DataForm>().message = Some(message);
}

fn exported(done: ridewire_app::Result<data::Exported>) -> Result<String, String> {
    done.map(|done| {
        format!(
            "Wrote {} ({}){}.",
            done.path.display(),
            size(done.bytes),
            if done.with_server {
                ", with the server's copy"
            } else {
                ""
            }
        )
    })
    .map_err(|e| format!("could not export: {e}"))
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

fn finish(
    mut form: ResMut<DataForm>,
    mut link: ResMut<SyncLink>,
    mut sign_in: ResMut<SignInForm>,
    player: Option<Res<Player>>,
) {
    if let Some(answer) = form.export.as_ref().and_then(|(job, _)| job.poll()) {
        form.export = None;
        form.message = Some(exported(answer.and_then(|done| done)));
    }
    let Some(answer) = form.deletion.as_ref().and_then(Pending::poll) else {
        return;
    };
    form.deletion = None;
    match answer.and_then(|done| done) {
        Ok(()) => {
            let server = link.server.take().unwrap_or_default();
            let email = std::mem::take(&mut sign_in.email);
            form.message = Some(Ok(format!(
                "Deleted the account {email} on {server}. This device is signed out and keeps \
                 what it recorded."
            )));
        }
        Err(e) => {
            // Still signed in: sync as before.
            if let Some(player) = &player {
                match account::resume(player) {
                    Some(Ok((server, syncer))) => {
                        link.syncer = Some(syncer);
                        link.server = Some(server);
                    }
                    Some(Err(e)) => link.problem = Some(e.to_string()),
                    None => {}
                }
            }
            form.message = Some(Err(format!("could not delete the account: {e}")));
        }
    }
}
