//! The map's egui parts: the breadcrumb of levels, the numbers over the
//! nodes in view, and the panel of the tapped node (title, description,
//! steps to tick, start/complete, enter a section).

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::photos::Share;
use ridewire_engine::event::EventKind;
use ridewire_engine::plan::{MilestoneKind, Plan, Section, Task};
use ridewire_engine::progress::ProofKind;
use ridewire_engine::quest::{ProofRequirement, QuestId, QuestState};

use super::camera::{TILE, UiBlocks};
use super::nodes::{NodeState, NodeStates, VisibleNodes};
use super::{Level, LevelMap, MapAction, MapPlan, MapView, SelectedNode};
use crate::photo::{PhotoAsk, PhotoForm};
use crate::player::{Outcome, Player};
use crate::position::{PositionAsk, PositionForm};
use crate::screens::{ContentArea, Screen};
use crate::{UiSystems, theme};
use ridewire_app::rider::explain;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        draw.in_set(UiSystems::Screen)
            .run_if(in_state(Screen::Overworld)),
    );
}

/// What the panel of one node shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelInfo {
    /// The number on the map.
    pub number: u32,
    /// Section or task title.
    pub title: String,
    /// Section text, or the task's notes and due date.
    pub description: String,
    /// The marker's state.
    pub state: NodeState,
    /// For a quest node: the quest, its state in the rider's catalogue and its XP.
    pub quest: Option<(QuestId, QuestState, u32)>,
    /// Steps: id, title, ticked.
    pub steps: Vec<(String, String, bool)>,
    /// For a section with a map of its own: the path to open.
    pub enter: Option<Vec<usize>>,
    /// For a section: (done, all) quests in it.
    pub counts: Option<(usize, usize)>,
    /// Why the rider's last action on this quest earned nothing.
    pub note: Option<String>,
    /// For a quest that takes a photo of the work: where its photo stands.
    pub photo: Option<PhotoLine>,
    /// For a quest done at a place (`#onsite`): where its location proof
    /// stands.
    pub place: Option<PlaceLine>,
}

/// Where a quest's photo proof stands, for its panel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PhotoLine {
    /// A photo is in the current attempt.
    pub kept: bool,
    /// Once completed: the code to have it vouched for.
    pub code: Option<String>,
    /// Riders or mechanics who vouched so far.
    pub vouched: usize,
    /// What goes with the next photo.
    pub share: Share,
    /// How the last photo for this quest went.
    pub last: Option<Result<String, String>>,
}

/// Where an `#onsite` quest's location proof stands, for its panel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlaceLine {
    /// The position is being read.
    pub reading: bool,
    /// How the last try for this quest went.
    pub last: Option<Result<String, String>>,
}

/// The quest an event is about, if any.
fn quest_of(kind: &EventKind) -> Option<&QuestId> {
    match kind {
        EventKind::QuestStarted { quest }
        | EventKind::StepChecked { quest, .. }
        | EventKind::QuestCompleted { quest } => Some(quest),
        _ => None,
    }
}

/// A task anywhere in the plan, by id.
fn find_task<'a>(plan: &'a Plan, id: &str) -> Option<&'a Task> {
    fn in_sections<'a>(sections: &'a [Section], id: &str) -> Option<&'a Task> {
        sections.iter().find_map(|s| {
            s.tasks
                .iter()
                .find(|t| t.id == id)
                .or_else(|| in_sections(&s.children, id))
        })
    }
    plan.tasks
        .iter()
        .find(|t| t.id == id)
        .or_else(|| in_sections(&plan.sections, id))
}

/// Gathers what node `i`'s panel shows.
pub fn panel_info(
    map: &LevelMap,
    i: usize,
    plan: &MapPlan,
    states: &NodeStates,
    player: Option<&Player>,
) -> Option<PanelInfo> {
    let node = map.map.nodes.get(i)?;
    let milestone = map.milestones.get(i)?;
    let state = states
        .states
        .get(i)
        .copied()
        .unwrap_or(NodeState::Available);
    let mut info = PanelInfo {
        number: node.index,
        title: node.title.clone(),
        description: String::new(),
        state,
        quest: None,
        steps: Vec::new(),
        enter: None,
        counts: None,
        note: None,
        photo: None,
        place: None,
    };
    match milestone.kind {
        MilestoneKind::Section => {
            let path = milestone.path.clone()?;
            let section = plan.plan.section(&path)?;
            info.description = section.description.clone();
            if let Some(player) = player {
                let mut all = Vec::new();
                collect_tasks(section, &mut all);
                let done = all
                    .iter()
                    .filter(|t| {
                        QuestId::new(t.id.clone())
                            .ok()
                            .and_then(|q| player.progress().quest_state(&player.catalog, &q))
                            == Some(QuestState::Completed)
                    })
                    .count();
                info.counts = Some((done, all.len()));
            }
            info.enter = milestone.has_children.then_some(path);
        }
        MilestoneKind::Quest => {
            if let Some(task) = find_task(&plan.plan, &milestone.id) {
                let mut lines = task.notes.clone();
                if let Some(due) = &task.due {
                    lines.push(format!("Due {due}"));
                }
                info.description = lines.join("\n");
            }
            let id = milestone.quest.clone()?;
            if let Some(player) = player
                && let Some(quest) = player.catalog.quest(&id)
            {
                let record = player.progress().quest(&id);
                info.steps = quest
                    .steps
                    .iter()
                    .map(|s| {
                        let ticked = record.is_some_and(|r| r.steps_checked.contains(&s.id));
                        (s.id.clone(), s.title.clone(), ticked)
                    })
                    .collect();
                let qstate = player
                    .progress()
                    .quest_state(&player.catalog, &id)
                    .unwrap_or(QuestState::Available);
                let last_here = player
                    .events()
                    .last()
                    .is_some_and(|e| quest_of(&e.kind) == Some(&id));
                info.note = match &player.last_outcome {
                    Some(Outcome::NotCounted(reason)) if last_here => {
                        Some(format!("Not counted: {}", explain(reason)))
                    }
                    Some(Outcome::Failed(reason)) if last_here => {
                        Some(format!("Not saved: {reason}"))
                    }
                    _ => None,
                };
                if quest.proofs.contains(&ProofRequirement::Photo) {
                    info.photo = Some(PhotoLine {
                        kept: record.is_some_and(|r| r.proofs.contains(&ProofKind::Photo)),
                        code: (qstate == QuestState::Completed)
                            .then(|| player.counted_completion(&id))
                            .flatten()
                            .map(|c| format!("ridewire:vouch/{c}")),
                        vouched: record.map_or(0, |r| r.validators.len()),
                        ..PhotoLine::default()
                    });
                }
                if quest.proofs.contains(&ProofRequirement::Location) {
                    info.place = Some(PlaceLine::default());
                }
                info.quest = Some((id, qstate, quest.xp_reward));
            }
        }
    }
    Some(info)
}

fn collect_tasks<'a>(section: &'a Section, out: &mut Vec<&'a Task>) {
    out.extend(section.tasks.iter());
    for child in &section.children {
        collect_tasks(child, out);
    }
}

fn state_text(state: NodeState) -> (&'static str, egui::Color32) {
    match state {
        NodeState::Locked => ("Locked", theme::MUTED),
        NodeState::Available => ("Available", theme::TEXT),
        NodeState::Active => ("Active", theme::ACCENT),
        NodeState::Done => ("Done", theme::OK),
    }
}

/// Draws a node's panel in `ctx`, anchored at the top right below `top`
/// (points); returns its rectangle and what the rider asked for.
pub fn node_panel(
    ctx: &egui::Context,
    info: &PanelInfo,
    top: f32,
) -> (Option<egui::Rect>, Vec<MapAction>) {
    let mut actions = Vec::new();
    let mut open = true;
    let shown = egui::Window::new(format!("{}. {}", info.number, info.title))
        .id(egui::Id::new("map-node-panel"))
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-12.0, top + 12.0))
        .collapsible(false)
        .resizable(false)
        .default_width(300.0)
        .open(&mut open)
        .show(ctx, |ui| panel_body(ui, info, &mut actions));
    if !open {
        actions.push(MapAction::Close);
    }
    (shown.map(|s| s.response.rect), actions)
}

fn panel_body(ui: &mut egui::Ui, info: &PanelInfo, actions: &mut Vec<MapAction>) {
    ui.horizontal(|ui| {
        let (label, colour) = state_text(info.state);
        ui.label(RichText::new(label).color(colour));
        if let Some((_, _, xp)) = &info.quest {
            ui.label(RichText::new(format!("{xp} XP")).color(theme::GOLD));
        }
        if let Some((done, all)) = info.counts {
            ui.label(RichText::new(format!("{done} of {all} quests done")).color(theme::MUTED));
        }
    });
    if !info.description.is_empty() {
        ui.label(&info.description);
    }
    if let Some((quest, state, _)) = &info.quest {
        let locked = *state == QuestState::Locked;
        if locked {
            ui.label(RichText::new("Finish the quest before this one first.").color(theme::MUTED));
        }
        for (step, title, ticked) in &info.steps {
            let mut checked = *ticked;
            let box_ = egui::Checkbox::new(&mut checked, title);
            if ui.add_enabled(!ticked && !locked, box_).changed() && checked {
                actions.push(MapAction::Record(EventKind::StepChecked {
                    quest: quest.clone(),
                    step: step.clone(),
                }));
            }
        }
        ui.horizontal(|ui| {
            if *state == QuestState::Available && ui.button("Start").clicked() {
                actions.push(MapAction::Record(EventKind::QuestStarted {
                    quest: quest.clone(),
                }));
            }
            if *state == QuestState::Active && ui.button("Complete").clicked() {
                actions.push(MapAction::Record(EventKind::QuestCompleted {
                    quest: quest.clone(),
                }));
            }
        });
        if let Some(place) = &info.place {
            place_lines(ui, quest, *state, place, actions);
        }
        if let Some(photo) = &info.photo {
            photo_lines(ui, quest, *state, photo, actions);
        }
    }
    if let Some(note) = &info.note {
        ui.label(RichText::new(note).color(theme::WARN));
    }
    if let Some(path) = &info.enter
        && ui.button("Enter ▶").clicked()
    {
        actions.push(MapAction::Enter(path.clone()));
    }
}

/// An `#onsite` quest's part of the panel: until it is done, the button
/// that reads the rider's position and completes the quest with it; then
/// (or on the way) what the last try said: how far the zone is, or why
/// the fix was not good enough.
fn place_lines(
    ui: &mut egui::Ui,
    quest: &QuestId,
    state: QuestState,
    place: &PlaceLine,
    actions: &mut Vec<MapAction>,
) {
    ui.separator();
    if !matches!(state, QuestState::Locked | QuestState::Completed) {
        ui.label("Done at the place: complete it there, with your position as proof.");
        ui.horizontal(|ui| {
            let check =
                egui::Button::new("I'm here: check my position").min_size(egui::vec2(0.0, 32.0));
            if ui.add_enabled(!place.reading, check).clicked() {
                actions.push(MapAction::Position(PositionAsk::Prove(quest.clone())));
            }
            if place.reading {
                ui.spinner();
                ui.label(RichText::new("Reading the position…").color(theme::MUTED));
            }
        });
    }
    match &place.last {
        Some(Ok(words)) => {
            ui.label(RichText::new(words).color(theme::OK));
        }
        Some(Err(words)) => {
            ui.label(RichText::new(words).color(theme::WARN));
        }
        None => {}
    }
}

/// A `#photo` quest's part of the panel: the photo asked for (pick one,
/// take one, what goes with it) until it is done, then the code to have it
/// vouched for.
fn photo_lines(
    ui: &mut egui::Ui,
    quest: &QuestId,
    state: QuestState,
    photo: &PhotoLine,
    actions: &mut Vec<MapAction>,
) {
    ui.separator();
    if state == QuestState::Completed {
        if let Some(code) = &photo.code {
            ui.label("To have the photo vouched for, give another rider or your workshop:");
            ui.add(egui::Label::new(RichText::new(code).monospace()).selectable(true));
        }
        let vouched = match photo.vouched {
            0 => "Nobody has vouched for it yet.".to_owned(),
            1 => "1 rider has vouched for it.".to_owned(),
            n => format!("{n} riders have vouched for it."),
        };
        ui.label(RichText::new(vouched).color(theme::MUTED));
    } else if state != QuestState::Locked {
        let asked = if photo.kept {
            "Photo added. Add another to replace it:"
        } else {
            "Needs a photo of the work:"
        };
        ui.label(asked);
        ui.horizontal(|ui| {
            if ui.button("Pick a photo…").clicked() {
                actions.push(MapAction::Photo(PhotoAsk::Pick(quest.clone())));
            }
            if ui.button("Take with the camera").clicked() {
                actions.push(MapAction::Photo(PhotoAsk::Camera(quest.clone())));
            }
        });
        let mut share = photo.share;
        ui.checkbox(&mut share.time, "Share when it was taken");
        ui.checkbox(&mut share.place, "Share where it was taken");
        if share != photo.share {
            actions.push(MapAction::Photo(PhotoAsk::Share(share)));
        }
    }
    match &photo.last {
        Some(Ok(words)) => {
            ui.label(RichText::new(words).color(theme::OK));
        }
        Some(Err(words)) => {
            ui.label(RichText::new(words).color(theme::WARN));
        }
        None => {}
    }
}

/// The levels from the plan down to this one; every one but the last is a
/// button back up. Returns its rectangle and the level asked for.
fn breadcrumb(
    ctx: &egui::Context,
    at: egui::Pos2,
    titles: &[String],
    path: &[usize],
) -> (egui::Rect, Option<MapAction>) {
    let mut action = None;
    let shown = egui::Area::new(egui::Id::new("map-breadcrumb"))
        .fixed_pos(at)
        .show(ctx, |ui| {
            theme::card().show(ui, |ui| {
                ui.horizontal(|ui| {
                    if !path.is_empty() && ui.button("◀ Back").clicked() {
                        action = Some(MapAction::Up(path[..path.len() - 1].to_vec()));
                    }
                    for (depth, title) in titles.iter().enumerate() {
                        if depth > 0 {
                            ui.label(RichText::new("›").color(theme::MUTED));
                        }
                        if depth + 1 == titles.len() {
                            ui.label(RichText::new(title).strong().color(theme::ACCENT));
                        } else if ui.link(title).clicked() {
                            action = Some(MapAction::Up(path[..depth].to_vec()));
                        }
                    }
                });
            });
        });
    (shown.response.rect, action)
}

/// Numbers over the nodes in view, and a ring round the selected one.
fn labels(
    ctx: &egui::Context,
    area: egui::Rect,
    map: &LevelMap,
    view: &MapView,
    visible: &VisibleNodes,
    selected: Option<usize>,
) {
    let scale = ctx.zoom_factor();
    let painter = ctx
        .layer_painter(egui::LayerId::new(
            egui::Order::Background,
            egui::Id::new("map-labels"),
        ))
        .with_clip_rect(area);
    let tile = TILE * view.zoom / scale;
    for &(i, screen) in &visible.0 {
        let Some(node) = map.map.nodes.get(i) else {
            continue;
        };
        let middle = egui::pos2(screen.x / scale, screen.y / scale);
        if selected == Some(i) {
            painter.circle_stroke(middle, tile * 0.8, egui::Stroke::new(2.5, theme::ACCENT));
        }
        let galley = painter.layout_no_wrap(
            node.index.to_string(),
            egui::FontId::proportional(11.0),
            theme::TEXT,
        );
        let size = galley.size();
        let top_left = egui::pos2(
            middle.x - size.x / 2.0,
            middle.y - tile / 2.0 - size.y - 1.0,
        );
        let back = egui::Rect::from_min_size(top_left, size).expand2(egui::vec2(3.0, 1.0));
        painter.rect_filled(back, 3.0, egui::Color32::from_black_alpha(190));
        painter.galley(top_left, galley, theme::TEXT);
    }
}

#[allow(clippy::too_many_arguments)]
fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    plan: Option<Res<MapPlan>>,
    level: Res<Level>,
    map: Option<Res<LevelMap>>,
    mut view: ResMut<MapView>,
    visible: Res<VisibleNodes>,
    states: Res<NodeStates>,
    selected: Res<SelectedNode>,
    player: Option<Res<Player>>,
    photos: Res<PhotoForm>,
    position: Res<PositionForm>,
    mut blocks: ResMut<UiBlocks>,
    mut actions: MessageWriter<MapAction>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let (Some(plan), Some(map)) = (plan, map) else {
        return Ok(());
    };
    let scale = ctx.zoom_factor();
    let top_inset = area.0.min.y * scale;
    // Written only when different: a still map costs no change detection.
    if view.top_inset != top_inset {
        view.top_inset = top_inset;
    }
    let mut covered = vec![egui::Rect::from_min_max(
        egui::Pos2::ZERO,
        egui::pos2(area.0.max.x, area.0.min.y),
    )];
    let titles = plan.breadcrumb(&level.0);
    let (crumb_rect, crumb) = breadcrumb(ctx, area.0.min + egui::vec2(8.0, 8.0), &titles, &level.0);
    covered.push(crumb_rect);
    actions.write_batch(crumb);
    labels(ctx, area.0, &map, &view, &visible, selected.0);
    if let Some(i) = selected.0
        && let Some(mut info) = panel_info(&map, i, &plan, &states, player.as_deref())
    {
        if let (Some(line), Some((id, _, _))) = (info.photo.as_mut(), &info.quest) {
            line.share = photos.share;
            line.last = photos
                .last
                .as_ref()
                .filter(|(q, _)| q == id)
                .map(|(_, last)| last.clone());
        }
        if let (Some(line), Some((id, _, _))) = (info.place.as_mut(), &info.quest) {
            line.reading = position.working.as_ref().is_some_and(|(q, _)| q == id);
            line.last = position
                .last
                .as_ref()
                .filter(|(q, _)| q == id)
                .map(|(_, last)| last.clone());
        }
        let (rect, asked) = node_panel(ctx, &info, area.0.min.y);
        covered.extend(rect);
        actions.write_batch(asked);
    }
    blocks.0 = covered
        .into_iter()
        .map(|r| {
            Rect::new(
                r.min.x * scale,
                r.min.y * scale,
                r.max.x * scale,
                r.max.y * scale,
            )
        })
        .collect();
    Ok(())
}
