//! The home screen: the rider's level, XP bar, streak, statistics and
//! achievements, all read from the engine's progress.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText, Sense};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::clock::date_of_day;
use ridewire_app::reminders::{Due, coming_up};
use ridewire_engine::achievement::ACHIEVEMENTS;
use ridewire_engine::progress::{AwardReason, Progress};

use crate::player::{Clock, LoadError, Outcome, Player};
use crate::screens::{ContentArea, Navigate, Screen, show_content};
use crate::{UiSystems, theme};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MyBookings>()
        .add_message::<crate::shared::Synced>()
        .add_systems(Update, read_bookings)
        .add_systems(
            EguiPrimaryContextPass,
            draw.in_set(UiSystems::Screen)
                .run_if(in_state(Screen::Home)),
        );
}

/// Height of the XP bar in points.
pub const XP_BAR_HEIGHT: f32 = 28.0;

fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    player: Option<Res<Player>>,
    load_error: Option<Res<LoadError>>,
    clock: Res<Clock>,
    mut navigate: MessageWriter<Navigate>,
    bookings: Res<MyBookings>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    show_content(ctx, &area, "home", |ui| match (&player, &load_error) {
        (Some(player), _) => {
            if player.bike.is_none() && !player.is_demo() {
                first_bike(ui, &mut navigate);
            }
            home(ui, player, clock.today(), &bookings, &mut navigate);
        }
        (None, Some(error)) => {
            theme::card().show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.label(
                    RichText::new("Your data could not be opened")
                        .size(22.0)
                        .color(theme::WARN),
                );
                ui.label(&error.0);
                ui.label(RichText::new("Nothing was changed or deleted.").color(theme::MUTED));
            });
        }
        (None, None) => {
            ui.label("Loading…");
        }
    });
    Ok(())
}

/// A garage with no bike yet: the first thing to do.
fn first_bike(ui: &mut egui::Ui, navigate: &mut MessageWriter<Navigate>) {
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("Add your bike, so the scanner, diagnoses and quests are about it.")
                    .size(18.0),
            );
            if ui.button("Add a bike").clicked() {
                navigate.write(Navigate(Screen::Settings));
            }
        });
    });
    ui.add_space(8.0);
}

fn home(
    ui: &mut egui::Ui,
    player: &Player,
    today: i64,
    bookings: &MyBookings,
    navigate: &mut MessageWriter<Navigate>,
) {
    let progress = player.progress();
    let level = progress.level();
    if let Some(r) = &player.recovery {
        theme::card().show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new(format!(
                    "Your data file was damaged and has been replaced. {} event(s) were recovered; \
                     the damaged file was kept at {}.",
                    r.events_carried_over,
                    r.moved_to.display()
                ))
                .color(theme::WARN),
            );
        });
        ui.add_space(8.0);
    }
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("Level {}", level.level))
                    .size(34.0)
                    .strong(),
            );
            ui.add_space(12.0);
            ui.label(
                RichText::new(format!("{} XP", progress.xp()))
                    .size(20.0)
                    .color(theme::GOLD),
            );
        });
        ui.add_space(6.0);
        xp_bar(ui, level.fraction());
        ui.add_space(4.0);
        ui.label(
            RichText::new(format!(
                "{} / {} XP to level {}",
                level.into_level,
                level.level_span,
                level.level + 1
            ))
            .color(theme::MUTED),
        );
    });
    if let Some(outcome) = &player.last_outcome {
        ui.add_space(8.0);
        outcome_banner(ui, outcome);
    }
    let dues = coming_up(player, date_of_day(today), COMING_UP_DAYS);
    if !dues.is_empty() {
        ui.add_space(12.0);
        coming_up_card(ui, &dues);
    }
    ui.add_space(12.0);
    if bookings_card(ui, &bookings.0) {
        navigate.write(Navigate(Screen::Workshops));
    }
    ui.add_space(12.0);
    stats_row(ui, progress, today);
    ui.add_space(12.0);
    ui.label(RichText::new("Achievements").size(20.0).strong());
    ui.add_space(4.0);
    achievements(ui, progress);
    ui.add_space(12.0);
    ui.label(RichText::new("Recent rewards").size(20.0).strong());
    ui.add_space(4.0);
    recent_awards(ui, player);
}

/// The rider's bookings at workshops, read when the app starts and after
/// each sync round (not every frame).
#[derive(Resource, Debug, Default)]
pub struct MyBookings(pub Vec<ridewire_app::booking_queue::Upcoming>);

fn read_bookings(
    player: Option<Res<Player>>,
    clock: Res<Clock>,
    mut synced: MessageReader<crate::shared::Synced>,
    mut bookings: ResMut<MyBookings>,
    mut read: Local<bool>,
) {
    let Some(player) = player else { return };
    let round = synced.read().count() > 0;
    if *read && !round {
        return;
    }
    *read = true;
    match ridewire_app::booking_queue::upcoming(&player, clock.now().0) {
        Ok(list) => bookings.0 = list,
        Err(e) => warn!("the rider's bookings cannot be read: {e}"),
    }
}

/// The rider's bookings from now on, soonest first; whether the rider
/// asked for the Workshops screen.
fn bookings_card(ui: &mut egui::Ui, bookings: &[ridewire_app::booking_queue::Upcoming]) -> bool {
    theme::card()
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            let mut open = false;
            ui.horizontal(|ui| {
                ui.label(RichText::new("Your bookings").size(20.0).strong());
                open = ui.button("Workshops: book, join…").clicked();
            });
            ui.add_space(4.0);
            if bookings.is_empty() {
                ui.label(
                    RichText::new("None. Join your workshop with its code and book a service.")
                        .color(theme::MUTED),
                );
            }
            for b in bookings {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(&b.when).size(17.0).color(theme::GOLD));
                    ui.label(RichText::new(&b.service).size(17.0));
                    ui.label(RichText::new(&b.place).color(theme::MUTED));
                    if !b.note.is_empty() {
                        ui.label(RichText::new(&b.note).color(theme::ACCENT));
                    }
                });
            }
            open
        })
        .inner
}

/// How far ahead Home lists dated tasks.
pub const COMING_UP_DAYS: i64 = 14;

/// The plan's dated tasks due within two weeks or overdue, soonest first.
fn coming_up_card(ui: &mut egui::Ui, dues: &[Due]) {
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new("Coming up").size(20.0).strong());
        ui.add_space(4.0);
        for due in dues {
            ui.horizontal(|ui| {
                ui.label(RichText::new(&due.title).size(17.0));
                let colour = if due.days_left < 0 {
                    theme::WARN
                } else {
                    theme::GOLD
                };
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.label(RichText::new(due.words()).color(colour));
                });
            });
        }
    });
}

/// The XP bar: a track the full width of the card, filled to `fraction`.
fn xp_bar(ui: &mut egui::Ui, fraction: f32) {
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), XP_BAR_HEIGHT),
        Sense::hover(),
    );
    let painter = ui.painter();
    painter.rect_filled(rect, 6, theme::XP_TRACK);
    let mut fill = rect;
    fill.set_width(rect.width() * fraction.clamp(0.0, 1.0));
    if fill.width() > 0.0 {
        painter.rect_filled(fill, 6, theme::XP_FILL);
    }
}

fn outcome_banner(ui: &mut egui::Ui, outcome: &Outcome) {
    let (text, colour) = match outcome {
        Outcome::Counted { xp, achievements } if achievements.is_empty() => {
            (format!("+{xp} XP"), theme::OK)
        }
        Outcome::Counted { xp, achievements } => (
            format!("+{xp} XP · unlocked {}", achievements.join(", ")),
            theme::OK,
        ),
        Outcome::NotCounted(reason) => (
            format!("Not counted: {}", ridewire_app::rider::explain(reason)),
            theme::WARN,
        ),
        Outcome::Failed(e) => (format!("Could not record: {e}"), theme::WARN),
    };
    ui.label(RichText::new(text).color(colour).size(17.0));
}

fn stats_row(ui: &mut egui::Ui, progress: &Progress, today: i64) {
    let s = progress.stats();
    let items = [
        ("Quests done", s.quests_completed.to_string()),
        ("Diagnostics", s.diagnostics_run.to_string()),
        ("AR scans", s.ar_scans.to_string()),
        ("Day streak", progress.current_streak(today).to_string()),
        ("Best streak", progress.longest_streak().to_string()),
    ];
    ui.columns(items.len(), |cols| {
        for (col, (label, value)) in cols.iter_mut().zip(items) {
            theme::card().show(col, |ui| {
                ui.set_width(ui.available_width());
                ui.vertical_centered(|ui| {
                    ui.label(RichText::new(value).size(26.0).strong());
                    ui.label(RichText::new(label).color(theme::MUTED));
                });
            });
        }
    });
}

fn achievements(ui: &mut egui::Ui, progress: &Progress) {
    let per_row = 3;
    for row in ACHIEVEMENTS.chunks(per_row) {
        ui.columns(per_row, |cols| {
            for (col, a) in cols.iter_mut().zip(row) {
                let unlocked = progress.has_achievement(a.id);
                let (mark, colour) = if unlocked {
                    ("★", theme::GOLD)
                } else {
                    ("☆", theme::MUTED)
                };
                theme::card().show(col, |ui| {
                    ui.set_width(ui.available_width());
                    ui.label(
                        RichText::new(format!("{mark} {}", a.title))
                            .size(17.0)
                            .strong()
                            .color(colour),
                    );
                    ui.label(RichText::new(a.description).color(theme::MUTED));
                });
            }
        });
    }
}

fn recent_awards(ui: &mut egui::Ui, player: &Player) {
    let awards = player.progress().awards();
    if awards.is_empty() {
        ui.label(
            RichText::new("Nothing yet: finish a quest or run a diagnosis.").color(theme::MUTED),
        );
        return;
    }
    for award in awards.iter().rev().take(5) {
        let what = match &award.reason {
            AwardReason::QuestCompleted { quest, .. } => player
                .catalog
                .quest(quest)
                .map_or_else(|| quest.to_string(), |q| q.title.clone()),
            AwardReason::CommunityValidation { quest } => format!("Validated: {quest}"),
            AwardReason::DiagnosticRun => "Diagnostic run".to_owned(),
            AwardReason::ArScan => "AR scan".to_owned(),
        };
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("+{}", award.xp))
                    .color(theme::GOLD)
                    .strong(),
            );
            ui.label(what);
        });
    }
}
