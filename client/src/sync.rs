//! Syncing with a RideWire server, as the screens see it: the app layer's
//! [`account`] signs in and starts the one background syncer; after each
//! round this plugin merges what the round brought into the rider's session
//! (nothing at all for an empty round).

use crate::player::{Player, RecordEvent};
pub use crate::shared::{SyncLink, Synced};
use crate::{AppSystems, theme};
use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use ridewire_app::account::{self, SignedIn};
use ridewire_app::task::Pending;

pub use ridewire_app::account::{allow_cleartext, cleartext_warning};

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

/// What the rider typed to sign in.
#[derive(Resource, Default)]
pub struct SignInForm {
    pub server: String,
    pub email: String,
    pub password: String,
    /// The answer of the last attempt.
    pub message: Option<Result<String, String>>,
    job: Option<Pending<ridewire_app::Result<SignedIn>>>,
}

impl SignInForm {
    /// Whether a sign-in is under way.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }
}

/// Sign in (or create the account) with the form's details.
#[derive(Message, Debug, Clone, Copy)]
pub struct SignIn {
    /// Create the account first.
    pub register: bool,
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

/// The "Sync" card of the settings screen: status, "Sync now", and the
/// sign-in form.
pub fn section(
    ui: &mut egui::Ui,
    form: &mut SignInForm,
    link: &SyncLink,
    sign_in: &mut MessageWriter<SignIn>,
) {
    ui.label(RichText::new("Sync").size(20.0).strong());
    if let Some(problem) = &link.problem {
        ui.label(RichText::new(format!("Sync could not start: {problem}")).color(theme::WARN));
    }
    match (link.status(), &link.server) {
        (Some(status), Some(server)) => {
            ui.label(format!("Server: {server} ({})", form.email));
            if let Some(warning) = cleartext_warning(server) {
                ui.label(RichText::new(warning).color(theme::WARN));
            }
            let when = status.last_success_ms.map_or_else(
                || "not yet".to_owned(),
                |ms| {
                    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| {
                        t.with_timezone(&chrono::Local)
                            .format("%H:%M:%S")
                            .to_string()
                    })
                },
            );
            let state = if status.syncing {
                " · syncing now"
            } else {
                ""
            };
            ui.label(format!(
                "Last synced: {when}{state} · {} waiting to send · {} refused by the server",
                status.pending, status.wedged
            ));
            if let Some(e) = &status.last_error {
                ui.label(
                    RichText::new(format!(
                        "Last attempt failed ({} in a row): {e}. Your work is kept and goes out when \
                         the server answers.",
                        status.failures
                    ))
                    .color(theme::WARN),
                );
            }
            if let Some(problem) = &status.diagnoses_problem {
                ui.label(
                    RichText::new(format!("Diagnosis runs and notes not synced: {problem}"))
                        .color(theme::MUTED),
                );
            }
            if let Some(progress) = &status.server_progress {
                ui.label(
                    RichText::new(format!(
                        "Server says: level {} · {} XP · {} events",
                        progress.level, progress.xp, progress.events
                    ))
                    .color(theme::MUTED),
                );
            }
            if ui.button("Sync now").clicked() {
                link.sync_now();
            }
        }
        _ => {
            ui.label(
                RichText::new("Offline only. Sign in to a RideWire server to back up your work and share it with your other devices.")
                    .color(theme::MUTED),
            );
        }
    }
    ui.add_space(6.0);
    egui::Grid::new("sync-form").num_columns(2).show(ui, |ui| {
        ui.label("Server");
        ui.add(egui::TextEdit::singleline(&mut form.server).hint_text("http://127.0.0.1:8787"));
        ui.end_row();
        ui.label("E-mail");
        ui.add(egui::TextEdit::singleline(&mut form.email));
        ui.end_row();
        ui.label("Password");
        ui.add(egui::TextEdit::singleline(&mut form.password).password(true));
        ui.end_row();
    });
    ui.horizontal(|ui| {
        let idle = !form.busy();
        if ui.add_enabled(idle, egui::Button::new("Sign in")).clicked() {
            sign_in.write(SignIn { register: false });
        }
        if ui
            .add_enabled(idle, egui::Button::new("Create account"))
            .clicked()
        {
            sign_in.write(SignIn { register: true });
        }
        if !idle {
            ui.label(RichText::new("signing in…").color(theme::MUTED));
        }
    });
    match &form.message {
        Some(Ok(m)) => {
            ui.label(RichText::new(m).color(theme::OK));
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(theme::WARN));
        }
        None => {}
    }
}
