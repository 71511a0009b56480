//! The quest log: quests by zone, filtered by state and difficulty; start a
//! quest, tick off its steps and complete it. Every action is an event.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::{Difficulty, Quest, QuestState};

use crate::player::{Player, RecordEvent};
use crate::screens::{ContentArea, Screen, show_content};
use crate::{UiSystems, theme};
use ridewire_app::rider::explain;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<QuestFilter>().add_systems(
        EguiPrimaryContextPass,
        draw.in_set(UiSystems::Screen)
            .run_if(in_state(Screen::Quests)),
    );
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
        let mut shown = 0;
        for zone in player.catalog.zones() {
            let mut quests: Vec<(&Quest, QuestState)> = player
                .catalog
                .quests_in_zone(&zone.id)
                .filter_map(|q| {
                    let state = player.progress().quest_state(&player.catalog, &q.id)?;
                    filter.accepts(q, state).then_some((q, state))
                })
                .collect();
            // What the rider can act on first; done and locked quests last.
            quests.sort_by_key(|(_, state)| match state {
                QuestState::Active => 0,
                QuestState::Available => 1,
                QuestState::Completed => 2,
                QuestState::Locked => 3,
            });
            if quests.is_empty() {
                continue;
            }
            ui.add_space(6.0);
            ui.label(RichText::new(&zone.name).size(20.0).strong());
            for (quest, state) in quests {
                shown += 1;
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
}
