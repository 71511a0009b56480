//! Toasts: a level reached or an achievement unlocked, shown for a few
//! seconds over any screen — whether it came from something recorded here
//! or from another device's events a sync brought. The app layer's
//! reminders decide what is news and remember what was told in the rider's
//! file; dated tasks are listed on Home instead.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::clock::date_of_day;
use ridewire_app::reminders::{self, NoticeKind};

use crate::player::{Clock, Player};
use crate::screens::ContentArea;
use crate::{AppSystems, UiSystems, theme};

/// How long a toast stays.
pub const TOAST_SECONDS: f32 = 5.0;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Toasts>()
        .add_message::<crate::shared::Synced>()
        .add_systems(Update, (collect.after(AppSystems::Record), fade).chain())
        .add_systems(EguiPrimaryContextPass, draw.after(UiSystems::Screen));
}

/// One toast on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub title: String,
    pub text: String,
    /// Seconds it stays on screen.
    pub left: f32,
}

/// The toasts on screen, oldest first.
#[derive(Resource, Debug, Default)]
pub struct Toasts(pub Vec<Toast>);

/// Asks the app layer what is news whenever the rider's events or
/// catalogue change (the first look, at start, only remembers).
fn collect(
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
    mut toasts: ResMut<Toasts>,
    mut seen: Local<Option<(usize, usize)>>,
    mut synced: MessageReader<crate::shared::Synced>,
) {
    let Some(mut player) = player else {
        return;
    };
    // A round may bring a workshop's news in records alone.
    let round = synced.read().count() > 0;
    let now = (player.events().len(), player.catalog.quests().count());
    if *seen == Some(now) && !round {
        return;
    }
    *seen = Some(now);
    match reminders::notices(&mut player, date_of_day(clock.today())) {
        Ok(notices) => toasts.0.extend(
            notices
                .into_iter()
                .filter(|n| n.kind != NoticeKind::Due)
                .map(|n| Toast {
                    title: n.title,
                    text: n.text,
                    left: TOAST_SECONDS,
                }),
        ),
        Err(e) => warn!("could not read what to tell the rider: {e}"),
    }
}

fn fade(time: Res<Time>, mut toasts: ResMut<Toasts>) {
    if toasts.0.is_empty() {
        return;
    }
    let dt = time.delta_secs();
    for toast in &mut toasts.0 {
        toast.left -= dt;
    }
    toasts.0.retain(|t| t.left > 0.0);
}

/// Top right, under the navigation bar, over whatever screen is open.
fn draw(mut contexts: EguiContexts, toasts: Res<Toasts>, area: Res<ContentArea>) -> Result {
    if toasts.0.is_empty() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    egui::Area::new(egui::Id::new("toasts"))
        .order(egui::Order::Foreground)
        .anchor(
            egui::Align2::RIGHT_TOP,
            egui::vec2(-16.0, area.0.min.y + 12.0),
        )
        .interactable(false)
        .show(ctx, |ui| {
            for toast in &toasts.0 {
                theme::card()
                    .stroke(egui::Stroke::new(2.0, theme::GOLD))
                    .show(ui, |ui| {
                        ui.set_width(300.0);
                        ui.label(RichText::new(&toast.title).strong().color(theme::GOLD));
                        ui.label(RichText::new(&toast.text).size(18.0));
                    });
                ui.add_space(8.0);
            }
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::state::app::StatesPlugin;
    use ridewire_engine::event::EventKind;

    #[test]
    fn an_achievement_unlocked_here_is_toasted_once_and_fades() {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatesPlugin));
        crate::headless_features(&mut app);
        app.init_resource::<Toasts>()
            .add_systems(Update, (collect.after(AppSystems::Record), fade).chain());
        let dir = tempfile::tempdir().expect("temp dir");
        app.insert_resource(crate::player::DataSource::Database(
            dir.path().join("ridewire.db"),
        ));
        app.update();
        app.update();
        assert!(
            app.world().resource::<Toasts>().0.is_empty(),
            "no news at start"
        );
        app.world_mut()
            .write_message(crate::player::RecordEvent(EventKind::DiagnosticRun {
                diagnostic_id: uuid::Uuid::from_u128(1),
                vehicle: None,
                quest: None,
                evidence: None,
            }));
        app.update();
        let toasts = &app.world().resource::<Toasts>().0;
        assert_eq!(toasts.len(), 1, "{toasts:?}");
        assert_eq!(toasts[0].title, "Achievement unlocked");
        assert_eq!(toasts[0].text, "First Diagnosis");
        // Nothing new: no second toast; then it fades.
        app.update();
        assert_eq!(app.world().resource::<Toasts>().0.len(), 1);
        app.world_mut().resource_mut::<Toasts>().0[0].left = 0.0;
        app.update();
        assert!(app.world().resource::<Toasts>().0.is_empty());
    }
}
