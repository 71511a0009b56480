//! The quest log: the current bike's quests by zone, filtered by state and
//! difficulty; start a quest, tick off its steps and complete it. Every
//! action is an event. Quests of plans that belong to another bike in the
//! garage are left out (as on the Map); they come back with that bike.

use std::collections::HashSet;

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::{Difficulty, Quest, QuestState, ZoneId};

use crate::player::{Player, RecordEvent};
use crate::screens::{ContentArea, Screen, show_content};
use crate::shared::Synced;
use crate::{UiSystems, theme};
use ridewire_app::rider::explain;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<QuestFilter>()
        .init_resource::<OtherBikes>()
        .add_message::<Synced>()
        .add_systems(OnEnter(Screen::Quests), other_bikes)
        .add_systems(
            Update,
            other_bikes
                .run_if(in_state(Screen::Quests))
                .run_if(|mut synced: MessageReader<Synced>| synced.read().count() > 0),
        )
        .add_systems(
            EguiPrimaryContextPass,
            draw.in_set(UiSystems::Screen)
                .run_if(in_state(Screen::Quests)),
        );
}

/// The zones of plans that belong to another bike than the current one,
/// read when the log opens and after a sync round.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct OtherBikes(pub HashSet<ZoneId>);

fn other_bikes(player: Option<Res<Player>>, mut others: ResMut<OtherBikes>) {
    let Some(player) = player else {
        return;
    };
    match ridewire_app::plans::other_bikes_zones(&player) {
        Ok(zones) => others.0 = zones,
        Err(e) => {
            // The log then shows every bike's quests, as before bikes.
            error!("could not read which plans belong to other bikes: {e}");
            others.0.clear();
        }
    }
}

/// The quests the log shows, by zone in catalogue order, what the rider can
/// act on first in each.
pub fn shown<'a>(
    player: &'a Player,
    filter: &QuestFilter,
    others: &OtherBikes,
) -> Vec<(&'a str, Vec<(&'a Quest, QuestState)>)> {
    let mut zones = Vec::new();
    for zone in player.catalog.zones() {
        if others.0.contains(&zone.id) {
            continue;
        }
        let mut quests: Vec<(&Quest, QuestState)> = player
            .catalog
            .quests_in_zone(&zone.id)
            .filter_map(|q| {
                let state = player.progress().quest_state(&player.catalog, &q.id)?;
                filter.accepts(q, state).then_some((q, state))
            })
            .collect();
        quests.sort_by_key(|(_, state)| match state {
            QuestState::Active => 0,
            QuestState::Available => 1,
            QuestState::Completed => 2,
            QuestState::Locked => 3,
        });
        if !quests.is_empty() {
            zones.push((zone.name.as_str(), quests));
        }
    }
    zones
}

/// Which quests the log shows.
#[derive(Resource, Debug, Clone, PartialEq, Default)]
pub struct QuestFilter {
    /// Only quests in this state (all when `None`).
    pub state: Option<QuestState>,
    /// Only quests of this difficulty (all when `None`).
    pub difficulty: Option<Difficulty>,
}

impl QuestFilter {
    /// Whether a quest in `state` passes the filter.
    pub fn accepts(&self, quest: &Quest, state: QuestState) -> bool {
        self.state.is_none_or(|s| s == state)
            && self.difficulty.is_none_or(|d| d == quest.difficulty)
    }
}

fn state_label(state: QuestState) -> (&'static str, egui::Color32) {
    match state {
        QuestState::Locked => ("Locked", theme::MUTED),
        QuestState::Available => ("Available", theme::TEXT),
        QuestState::Active => ("Active", theme::ACCENT),
        QuestState::Completed => ("Completed", theme::OK),
    }
}

fn difficulty_label(d: Difficulty) -> &'static str {
    match d {
        Difficulty::Easy => "Easy",
        Difficulty::Medium => "Medium",
        Difficulty::Hard => "Hard",
        Difficulty::Expert => "Expert",
    }
}

fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    player: Option<Res<Player>>,
    mut filter: ResMut<QuestFilter>,
    others: Res<OtherBikes>,
    mut record: MessageWriter<RecordEvent>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    show_content(ctx, &area, "quests", |ui| {
        let Some(player) = &player else {
            ui.label("No quests yet.");
            return;
        };
        filters(ui, &mut filter);
        ui.add_space(8.0);
        if let Some(crate::player::Outcome::NotCounted(reason)) = &player.last_outcome {
            ui.label(RichText::new(format!("Not counted: {}", explain(reason))).color(theme::WARN));
        }
        if !others.0.is_empty() {
            ui.label(
                RichText::new(format!(
                    "Quests of your {} {} ({}); other bikes' plans show when you \
                     switch bikes (Settings → Garage).",
                    player.vehicle.make, player.vehicle.model, player.vehicle.year
                ))
                .color(theme::MUTED),
            );
        }
        let zones = shown(player, &filter, &others);
        let shown = zones.iter().map(|(_, q)| q.len()).sum::<usize>();
        for (zone, quests) in zones {
            ui.add_space(6.0);
            ui.label(RichText::new(zone).size(20.0).strong());
            for (quest, state) in quests {
                quest_card(ui, player, quest, state, &mut record);
            }
        }
        if shown == 0 {
            ui.label(RichText::new("No quests match the filter.").color(theme::MUTED));
        }
    });
    Ok(())
}

fn filters(ui: &mut egui::Ui, filter: &mut QuestFilter) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Show:");
        let states = [
            (None, "All"),
            (Some(QuestState::Available), "Available"),
            (Some(QuestState::Active), "Active"),
            (Some(QuestState::Completed), "Completed"),
            (Some(QuestState::Locked), "Locked"),
        ];
        for (state, label) in states {
            ui.selectable_value(&mut filter.state, state, label);
        }
        ui.separator();
        ui.label("Difficulty:");
        ui.selectable_value(&mut filter.difficulty, None, "Any");
        for d in [
            Difficulty::Easy,
            Difficulty::Medium,
            Difficulty::Hard,
            Difficulty::Expert,
        ] {
            ui.selectable_value(&mut filter.difficulty, Some(d), difficulty_label(d));
        }
    });
}

fn quest_card(
    ui: &mut egui::Ui,
    player: &Player,
    quest: &Quest,
    state: QuestState,
    record: &mut MessageWriter<RecordEvent>,
) {
    let record_of = player.progress().quest(&quest.id);
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            let (label, colour) = state_label(state);
            ui.label(RichText::new(&quest.title).size(18.0).strong());
            ui.label(RichText::new(label).color(colour));
            ui.label(RichText::new(difficulty_label(quest.difficulty)).color(theme::MUTED));
            ui.label(RichText::new(format!("{} XP", quest.xp_reward)).color(theme::GOLD));
        });
        if state == QuestState::Locked {
            let names: Vec<String> = quest
                .prerequisites
                .iter()
                .map(|p| {
                    player
                        .catalog
                        .quest(p)
                        .map_or_else(|| p.to_string(), |q| q.title.clone())
                })
                .collect();
            ui.label(RichText::new(format!("Needs: {}", names.join(", "))).color(theme::MUTED));
            return;
        }
        for step in &quest.steps {
            let done = record_of.is_some_and(|r| r.steps_checked.contains(&step.id));
            let mut checked = done;
            let response = ui.add_enabled(!done, egui::Checkbox::new(&mut checked, &step.title));
            if response.changed() && checked {
                record.write(RecordEvent(EventKind::StepChecked {
                    quest: quest.id.clone(),
                    step: step.id.clone(),
                }));
            }
        }
        ui.horizontal(|ui| {
            if state == QuestState::Available && ui.button("Start").clicked() {
                record.write(RecordEvent(EventKind::QuestStarted {
                    quest: quest.id.clone(),
                }));
            }
            let can_complete =
                state == QuestState::Active || (state == QuestState::Completed && quest.repeatable);
            if can_complete && ui.button("Complete").clicked() {
                record.write(RecordEvent(EventKind::QuestCompleted {
                    quest: quest.id.clone(),
                }));
            }
            if let Some(r) = record_of.filter(|r| r.completions > 0) {
                ui.label(RichText::new(format!("done ×{}", r.completions)).color(theme::OK));
            }
        });
    });
    ui.add_space(6.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridewire_engine::demo;
    use ridewire_engine::progress::Progress;

    #[test]
    fn filter_by_state_and_difficulty() {
        let catalog = demo::catalog().expect("catalog");
        let progress = Progress::default();
        let visible = |f: &QuestFilter| {
            catalog
                .quests()
                .filter(|q| {
                    let state = progress.quest_state(&catalog, &q.id).expect("state");
                    f.accepts(q, state)
                })
                .count()
        };
        assert_eq!(visible(&QuestFilter::default()), catalog.quests().count());
        let locked = QuestFilter {
            state: Some(QuestState::Locked),
            difficulty: None,
        };
        // chain-tension and brake-fluid wait for their prerequisites.
        assert_eq!(visible(&locked), 2);
        let expert_locked = QuestFilter {
            state: Some(QuestState::Locked),
            difficulty: Some(Difficulty::Expert),
        };
        assert_eq!(visible(&expert_locked), 1);
    }

    #[test]
    fn the_log_shows_the_current_bikes_quests_and_follows_a_switch() {
        use bevy::state::app::StatesPlugin;
        use ridewire_app::{garage, plans};
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("rider.db");
        let clock = crate::player::Clock::Fixed {
            at_ms: 1_772_438_400_000,
            utc_offset_min: 60,
        };
        let (mt07, street) = {
            let mut rider = ridewire_app::rider::Rider::open(&db, clock.now().0).expect("rider");
            let mt07 = garage::add(&mut rider, "Yamaha", "MT-07", 2021, None, 1).expect("bike");
            let file = dir.path().join("mt07.md");
            std::fs::write(&file, "# My MT-07\n\n## Chain\n\n- [ ] Lube the chain\n")
                .expect("plan");
            plans::open_file(&mut rider, &file, 2, 60).expect("plan opens");
            let street = garage::add(&mut rider, "Harley-Davidson", "Street 750", 2022, None, 3)
                .expect("bike");
            garage::choose(&mut rider, &street.id).expect("switch");
            (mt07, street)
        };
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatesPlugin))
            .insert_resource(clock)
            .insert_resource(Player::open(&db, &clock).expect("player"))
            .insert_state(Screen::Home)
            .init_resource::<QuestFilter>()
            .init_resource::<OtherBikes>()
            .add_message::<Synced>()
            .add_systems(OnEnter(Screen::Quests), other_bikes);
        let titles = |app: &App| -> Vec<String> {
            let world = app.world();
            shown(
                world.resource::<Player>(),
                world.resource::<QuestFilter>(),
                world.resource::<OtherBikes>(),
            )
            .into_iter()
            .flat_map(|(_, quests)| quests.into_iter().map(|(q, _)| q.title.clone()))
            .collect()
        };
        let open_log = |app: &mut App| {
            app.world_mut()
                .resource_mut::<NextState<Screen>>()
                .set(Screen::Quests);
            app.update();
        };
        open_log(&mut app);
        // On the Street 750: the MT-07's chain is not its quest.
        assert!(
            !titles(&app).iter().any(|t| t == "Lube the chain"),
            "{:?}",
            titles(&app)
        );
        assert!(!titles(&app).is_empty(), "the starter plan's quests stay");
        {
            let mut player = app.world_mut().resource_mut::<Player>();
            garage::choose(&mut player, &mt07.id).expect("switch");
            player.refresh_garage().expect("garage");
        }
        app.world_mut()
            .resource_mut::<NextState<Screen>>()
            .set(Screen::Home);
        app.update();
        open_log(&mut app);
        assert!(
            titles(&app).iter().any(|t| t == "Lube the chain"),
            "{:?}",
            titles(&app)
        );
        let _ = street;
    }
}
