//! The app's screens as a Bevy state, and the navigation bar that switches
//! between them.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use clap::ValueEnum;

use ridewire_app::account::{Tone, sync_line};

use crate::player::{Clock, Player};
use crate::shared::{Kiosk, Settings, SyncLink};
use crate::{UiSystems, theme};

pub(super) fn plugin(app: &mut App) {
    app.init_state::<Screen>()
        .add_message::<Navigate>()
        .init_resource::<ContentArea>()
        .add_systems(Update, navigate.in_set(crate::AppSystems::Navigate))
        .add_systems(EguiPrimaryContextPass, nav_bar.in_set(UiSystems::Chrome));
}

/// One screen of the app.
#[derive(States, ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Screen {
    /// Level, XP and achievements.
    #[default]
    Home,
    /// The plan as an overworld map.
    Overworld,
    /// The quest log.
    Quests,
    /// Trouble codes and symptoms in, a gated diagnosis out.
    Diagnostics,
    /// The AR scanner: component overlays on the camera image.
    Scan,
    /// The server's leaderboards, and joining them under a display name.
    Leaderboard,
    /// Display and device settings.
    Settings,
    /// The rider's workshops: join one, book a service, cancel, leave
    /// (reached from Home).
    Workshops,
    /// The workshop terminal's board: today's bays and bookings.
    Board,
    /// The workshop terminal's review queue of escalated diagnoses.
    Reviews,
    /// The workshop terminal's plan editor: a plan for a customer, with
    /// the Map it makes beside it.
    Plans,
}

impl Screen {
    /// Every screen, in navigation-bar order.
    pub const ALL: [Screen; 7] = [
        Screen::Home,
        Screen::Overworld,
        Screen::Quests,
        Screen::Diagnostics,
        Screen::Scan,
        Screen::Leaderboard,
        Screen::Settings,
    ];

    /// The workshop terminal's tabs (`ridewire --workshop`).
    pub const WORKSHOP: [Screen; 6] = [
        Screen::Board,
        Screen::Reviews,
        Screen::Plans,
        Screen::Diagnostics,
        Screen::Scan,
        Screen::Settings,
    ];

    /// The tabs of the navigation bar: the terminal's in kiosk mode or on
    /// one of its screens, the rider's otherwise.
    pub fn tabs(self, kiosk: bool) -> &'static [Screen] {
        if kiosk || matches!(self, Screen::Board | Screen::Reviews | Screen::Plans) {
            &Self::WORKSHOP
        } else {
            &Self::ALL
        }
    }

    /// The label on its tab.
    pub fn title(self) -> &'static str {
        match self {
            Screen::Home => "Home",
            Screen::Overworld => "Map",
            Screen::Quests => "Quests",
            Screen::Diagnostics => "Diagnose",
            Screen::Scan => "Scan",
            Screen::Leaderboard => "Leaderboard",
            Screen::Settings => "Settings",
            Screen::Workshops => "Workshops",
            Screen::Board => "Board",
            Screen::Reviews => "Reviews",
            Screen::Plans => "Plans",
        }
    }
}

impl Screen {
    /// The label on its tab where the bar is narrow (a phone held upright,
    /// a small window).
    pub fn short_title(self) -> &'static str {
        match self {
            Screen::Leaderboard => "Ranks",
            other => other.title(),
        }
    }
}

/// Ask to show another screen.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Navigate(pub Screen);

/// The part of the egui screen left for the current screen's content, below
/// the navigation bar, in egui points.
#[derive(Resource, Debug, Clone, Copy)]
pub struct ContentArea(pub egui::Rect);

impl Default for ContentArea {
    fn default() -> Self {
        Self(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 720.0),
        ))
    }
}

fn navigate(
    mut messages: MessageReader<Navigate>,
    current: Res<State<Screen>>,
    mut next: ResMut<NextState<Screen>>,
) {
    if let Some(Navigate(screen)) = messages.read().last()
        && *screen != **current
    {
        next.set(*screen);
    }
}

#[allow(clippy::too_many_arguments)]
fn nav_bar(
    mut contexts: EguiContexts,
    current: Res<State<Screen>>,
    settings: Res<Settings>,
    player: Option<Res<Player>>,
    link: Option<Res<SyncLink>>,
    clock: Res<Clock>,
    kiosk: Option<Res<Kiosk>>,
    mut navigate: MessageWriter<Navigate>,
    mut area: ResMut<ContentArea>,
    mut applied: Local<Option<Settings>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    // Restyling clones egui's style: only do it when the settings change.
    if applied.as_ref() != Some(&*settings) {
        theme::apply(ctx, settings.touch_layout);
        ctx.set_zoom_factor(settings.ui_scale);
        *applied = Some(settings.clone());
    }
    let tabs = current.tabs(kiosk.is_some_and(|k| k.0));
    let mut root = root_ui(ctx, ctx.viewport_rect(), "nav-root");
    let bar = egui::Panel::top("nav")
        .frame(
            egui::Frame::new()
                .fill(theme::PANEL)
                .inner_margin(egui::Margin::symmetric(16, 8)),
        )
        .show(&mut root, |ui| {
            ui.horizontal(|ui| {
                // Narrow screens need the room for the tabs: the bike goes
                // first, then the sync line's words (its dot stays), then
                // the name (a phone held upright).
                let width = ui.ctx().content_rect().width();
                if !(560.0..600.0).contains(&width) {
                    ui.label(
                        RichText::new("RideWire")
                            .strong()
                            .size(22.0)
                            .color(theme::ACCENT),
                    );
                }
                if let Some(player) = player.as_ref().filter(|_| width >= 1100.0) {
                    let v = &player.vehicle;
                    ui.label(
                        RichText::new(format!("{} {} ({})", v.make, v.model, v.year))
                            .color(theme::MUTED),
                    );
                }
                sync_state(ui, link.as_deref(), clock.now().0, width >= 800.0);
                // A phone held upright: one menu of the screens, named by
                // the one on show.
                if width < 560.0 {
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        let shown =
                            RichText::new(format!("{}  |  Menu", current.title())).size(17.0);
                        ui.menu_button(shown, |ui| {
                            for &screen in tabs {
                                let label = RichText::new(screen.title()).size(19.0);
                                if ui.selectable_label(screen == **current, label).clicked() {
                                    navigate.write(Navigate(screen));
                                    ui.close();
                                }
                            }
                        });
                    });
                    return;
                }
                // Narrow: shorter labels in a smaller type, so every tab fits.
                let narrow = width < 760.0;
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    for screen in tabs.iter().rev() {
                        let selected = *screen == **current;
                        let label = if narrow {
                            RichText::new(screen.short_title()).size(14.0)
                        } else {
                            RichText::new(screen.title()).size(17.0)
                        };
                        if ui.selectable_label(selected, label).clicked() {
                            navigate.write(Navigate(*screen));
                        }
                    }
                });
            });
        });
    let mut content = ctx.viewport_rect();
    content.min.y = bar.response.rect.max.y;
    area.0 = content;
    Ok(())
}

/// How sync stands, always in the bar: a dot coloured by how it goes and,
/// when there is room, a few words; what to do about it on hover (or
/// press, on a touch screen).
fn sync_state(ui: &mut egui::Ui, link: Option<&SyncLink>, now_ms: i64, words: bool) {
    let line = match link {
        Some(link) => sync_line(link.status().as_ref(), link.problem.as_deref(), now_ms),
        None => sync_line(None, None, now_ms),
    };
    let colour = match line.tone {
        Tone::Good => theme::OK,
        Tone::Busy => theme::GOLD,
        Tone::Quiet => theme::MUTED,
        Tone::Trouble => theme::WARN,
    };
    ui.add_space(8.0);
    // A painted dot: the UI font has no bullet glyph.
    let (dot, mut shown) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(dot.center(), 4.0, colour);
    let mut hint = line.advice.unwrap_or_default();
    if words {
        shown = shown.union(ui.label(RichText::new(line.text).color(colour)));
    } else {
        hint = format!("{}. {hint}", line.text);
    }
    if !hint.trim().is_empty() {
        shown.on_hover_text(hint.trim().to_owned());
    }
}

/// A top-level egui `Ui` covering `rect`, behind any windows.
pub fn root_ui(ctx: &egui::Context, rect: egui::Rect, id: &'static str) -> egui::Ui {
    egui::Ui::new(
        ctx.clone(),
        id.into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(rect),
    )
}

/// Shows a screen's content in the area below the navigation bar.
pub fn show_content(
    ctx: &egui::Context,
    area: &ContentArea,
    id: &'static str,
    add: impl FnOnce(&mut egui::Ui),
) {
    let mut ui = root_ui(ctx, area.0, id);
    egui::Frame::new()
        .fill(theme::BACKGROUND)
        .inner_margin(egui::Margin::same(20))
        .show(&mut ui, |ui| {
            ui.set_min_size(ui.available_size());
            egui::ScrollArea::vertical()
                .id_salt(id)
                .auto_shrink([false, false])
                .show(ui, add);
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::state::app::StatesPlugin;

    #[test]
    fn navigating_switches_the_screen() {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatesPlugin));
        app.configure_sets(Update, crate::AppSystems::Navigate);
        app.init_state::<Screen>()
            .add_message::<Navigate>()
            .add_systems(Update, navigate.in_set(crate::AppSystems::Navigate));
        app.update();
        assert_eq!(*app.world().resource::<State<Screen>>().get(), Screen::Home);
        app.world_mut().write_message(Navigate(Screen::Quests));
        app.update();
        app.update();
        assert_eq!(
            *app.world().resource::<State<Screen>>().get(),
            Screen::Quests
        );
    }
}
