//! Syncing with a RideWire server, as the screens see it: the app layer's
//! [`account`] signs in and starts the one background syncer; after each
//! round this plugin merges what the round brought into the rider's session
//! (nothing at all for an empty round). The Sync card itself is drawn by
//! the settings screen from the shared [`SignInForm`] and [`SyncLink`].

use bevy::prelude::*;
use ridewire_app::account;
use ridewire_app::task::Pending;

use crate::AppSystems;
use crate::player::{Player, RecordEvent};
pub use crate::shared::{SignIn, SignInForm, SyncLink, Synced};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<SyncLink>()
        .init_resource::<SignInForm>()
        .add_message::<SignIn>()
        .add_message::<Synced>()
        .add_systems(
            Update,
            (
                resume_from_settings.run_if(resource_added::<Player>),
                start_sign_in,
                finish_sign_in,
                nudge_after_records,
                merge_rounds,
            )
                .chain()
                .after(AppSystems::Record),
        );
}

fn resume_from_settings(
    player: Option<Res<Player>>,
    mut link: ResMut<SyncLink>,
    mut form: ResMut<SignInForm>,
) {
    let Some(player) = player else { return };
    let saved = account::Saved::of(&player);
    if let Some(server) = &saved.server {
        form.server.clone_from(server);
    }
    if let Some(email) = &saved.email {
        form.email.clone_from(email);
    }
    match account::resume(&player) {
        Some(Ok((server, syncer))) => {
            link.syncer = Some(syncer);
            link.server = Some(server);
        }
        Some(Err(e)) => link.problem = Some(e.to_string()),
        None => {}
    }
}

fn start_sign_in(
    mut asks: MessageReader<SignIn>,
    mut form: ResMut<SignInForm>,
    player: Option<Res<Player>>,
) {
    let Some(ask) = asks.read().last().copied() else {
        return;
    };
    if form.busy() {
        return;
    }
    if player.as_ref().is_none_or(|p| p.is_demo()) {
        form.message = Some(Err(
            "the demo garage does not sync: start without --demo".into()
        ));
        return;
    }
    let password = std::mem::take(&mut form.password);
    match account::sign_in_form(&form.server, &form.email, password) {
        Ok((server, account)) => {
            form.job = Some(Pending::spawn("the sign-in", move || {
                account::sign_in(server, account, ask.register)
            }));
            form.message = None;
        }
        Err(e) => form.message = Some(Err(e.to_string())),
    }
}

fn finish_sign_in(
    mut form: ResMut<SignInForm>,
    mut link: ResMut<SyncLink>,
    player: Option<ResMut<Player>>,
) {
    let Some(answer) = form.job.as_ref().and_then(Pending::poll) else {
        return;
    };
    form.job = None;
    let Some(mut player) = player else { return };
    let outcome = answer.and_then(|signed| signed).and_then(|signed| {
        account::keep(&mut player, &signed)?;
        let database = player
            .database()
            .ok_or(ridewire_app::Error::Demo("does not sync"))?;
        // Stop the old syncer before the new one takes over the outbox.
        link.syncer = None;
        link.syncer = Some(account::start_syncer(&database, &signed)?);
        link.server = Some(signed.server.clone());
        link.problem = None;
        Ok(format!("signed in; syncing with {}", signed.server))
    });
    form.message = Some(outcome.map_err(|e| e.to_string()));
}

/// New local events go out at once when a server is set up.
fn nudge_after_records(mut records: MessageReader<RecordEvent>, link: Res<SyncLink>) {
    if records.read().count() > 0 {
        link.sync_now();
    }
}

/// After each round, merge what it brought (other devices' events, a new
/// catalogue, progress the sync thread already folded) into the session; a
/// round that brought nothing costs nothing here.
fn merge_rounds(
    link: Res<SyncLink>,
    player: Option<ResMut<Player>>,
    mut synced: MessageWriter<Synced>,
) {
    let Some(syncer) = &link.syncer else { return };
    let reports = syncer.take_reports();
    let Some(mut player) = player else { return };
    for report in reports {
        if report.brought.is_empty() {
            continue;
        }
        match player.merge(&report.brought) {
            Ok(merged) if merged.changed_anything() => {
                synced.write(Synced {
                    history_changed: merged.history_changed,
                });
            }
            Ok(_) => {}
            Err(e) => warn!(
                "could not take in what sync round {} brought: {e}",
                report.round
            ),
        }
    }
}
