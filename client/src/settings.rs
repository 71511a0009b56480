//! Settings: display scale and the large-target touch layout for workshop
//! terminals, plus what this device has recorded.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use crate::player::Player;
use crate::screens::{ContentArea, Screen, show_content};
use crate::{UiSystems, theme};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Settings>().add_systems(
        EguiPrimaryContextPass,
        draw.in_set(UiSystems::Screen)
            .run_if(in_state(Screen::Settings)),
    );
}

/// How the app looks and reacts.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct Settings {
    /// egui zoom factor (1.0 = 100 %).
    pub ui_scale: f32,
    /// Finger-sized targets for touch terminals.
    pub touch_layout: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ui_scale: 1.0,
            touch_layout: false,
        }
    }
}

fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    mut settings: ResMut<Settings>,
    player: Option<Res<Player>>,
    mut dragging_scale: Local<Option<f32>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    show_content(ctx, &area, "settings", |ui| {
        theme::card().show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new("Display").size(20.0).strong());
            let mut scale = dragging_scale.unwrap_or(settings.ui_scale);
            let slider = ui.add(egui::Slider::new(&mut scale, 0.75..=2.0).text("Interface scale"));
            // Rescale on release, so the slider does not move under the finger.
            if slider.dragged() {
                *dragging_scale = Some(scale);
            } else if slider.drag_stopped() || slider.changed() || dragging_scale.is_some() {
                settings.ui_scale = scale;
                *dragging_scale = None;
            }
            let mut touch = settings.touch_layout;
            if ui
                .checkbox(
                    &mut touch,
                    "Touch layout (large targets for workshop screens)",
                )
                .changed()
            {
                settings.touch_layout = touch;
            }
        });
        ui.add_space(12.0);
        if let Some(player) = &player {
            theme::card().show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.label(RichText::new("This device").size(20.0).strong());
                ui.label(format!("Device id: {}", player.device()));
                ui.label(format!("Events recorded: {}", player.events().len()));
                match player.verify() {
                    Ok(()) => ui.label(
                        RichText::new("Event log intact (hash chain verified)").color(theme::OK),
                    ),
                    Err(e) => ui
                        .label(RichText::new(format!("Event log damaged: {e}")).color(theme::WARN)),
                };
                ui.label(
                    RichText::new(format!("Stored in: {}", player.storage())).color(theme::MUTED),
                );
            });
        }
    });
    Ok(())
}
