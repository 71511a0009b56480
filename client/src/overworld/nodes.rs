//! The map's nodes: where they are (bucketed by chunk, so only nodes near
//! the view are ever looked at), what state their quests are in, and which
//! are on screen for the number labels.

use bevy::prelude::*;
use ridewire_engine::overworld::Overworld;
use ridewire_engine::plan::{MilestoneKind, Section};
use ridewire_engine::quest::{QuestId, QuestState};

use super::camera::{CHUNK, MapInput, MapView, TILE, world_to_tile};
use super::{LevelMap, MapPlan};
use crate::player::Player;
use crate::screens::Screen;

/// Below this zoom the numbers would be smaller than the markers: no labels.
pub const LABEL_MIN_ZOOM: f32 = 0.5;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<NodeStates>()
        .init_resource::<VisibleNodes>()
        .add_systems(
            Update,
            (
                update_states.after(crate::AppSystems::Record),
                find_visible.after(MapInput),
            )
                .run_if(in_state(Screen::Overworld).and_then(resource_exists::<LevelMap>)),
        );
}

/// A node's marker colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeState {
    /// Waiting for earlier quests (grey).
    Locked,
    /// Ready to start (yellow).
    Available,
    /// Started, or partly done (orange).
    Active,
    /// Done (green).
    Done,
}

impl NodeState {
    fn of_quest(state: QuestState) -> Self {
        match state {
            QuestState::Locked => Self::Locked,
            QuestState::Available => Self::Available,
            QuestState::Active => Self::Active,
            QuestState::Completed => Self::Done,
        }
    }

    /// A section's state from its quests: done when all are, locked when
    /// all are, active when any is under way or done, otherwise available.
    pub fn of_section(quests: impl IntoIterator<Item = QuestState>) -> Self {
        let (mut all, mut done, mut locked, mut busy) = (0, 0, 0, 0);
        for state in quests {
            all += 1;
            match state {
                QuestState::Completed => done += 1,
                QuestState::Locked => locked += 1,
                QuestState::Active => busy += 1,
                QuestState::Available => {}
            }
        }
        if all > 0 && done == all {
            Self::Done
        } else if all > 0 && locked == all {
            Self::Locked
        } else if busy + done > 0 {
            Self::Active
        } else {
            Self::Available
        }
    }
}

/// Each node's state, in map order, for the level in `path`.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct NodeStates {
    /// The map these states belong to ([`LevelMap::drawing`]).
    pub drawing: Option<u64>,
    /// One per node.
    pub states: Vec<NodeState>,
}

/// Nodes close enough to the view to label: index and screen position
/// (logical pixels) of the middle of the node's tile.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct VisibleNodes(pub Vec<(usize, Vec2)>);

/// Node indices by chunk of `CHUNK`×`CHUNK` tiles.
#[derive(Debug, Clone, Default)]
pub struct Buckets {
    across: u32,
    down: u32,
    nodes: Vec<Vec<u32>>,
}

impl Buckets {
    /// Buckets every node of `map` by the chunk its tile is in.
    pub fn new(map: &Overworld) -> Self {
        let across = map.width.div_ceil(CHUNK);
        let down = map.height.div_ceil(CHUNK);
        let mut nodes = vec![Vec::new(); (across * down) as usize];
        for (i, node) in map.nodes.iter().enumerate() {
            let (cx, cy) = (node.tile.0 / CHUNK, node.tile.1 / CHUNK);
            if let Some(bucket) = nodes.get_mut((cy * across + cx) as usize) {
                bucket.push(i as u32);
            }
        }
        Self {
            across,
            down,
            nodes,
        }
    }

    /// Nodes in the chunks overlapping a rectangle of tile coordinates
    /// (a superset of the nodes inside it).
    pub fn near(&self, min: Vec2, max: Vec2) -> impl Iterator<Item = usize> + '_ {
        let chunk = |v: f32, limit: u32| ((v / CHUNK as f32).floor().max(0.0) as u32).min(limit);
        let (x0, x1) = (chunk(min.x, self.across), chunk(max.x, self.across - 1));
        let (y0, y1) = (chunk(min.y, self.down), chunk(max.y, self.down - 1));
        let empty = min.x > max.x || min.y > max.y;
        (y0..=y1)
            .flat_map(move |cy| (x0..=x1).map(move |cx| (cx, cy)))
            .filter(move |_| !empty)
            .filter_map(|(cx, cy)| self.nodes.get((cy * self.across + cx) as usize))
            .flatten()
            .map(|&i| i as usize)
    }

    /// The nodes in chunk `at`.
    pub fn in_chunk(&self, at: UVec2) -> &[u32] {
        if at.x >= self.across {
            return &[];
        }
        self.nodes
            .get((at.y * self.across + at.x) as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// The node whose tile middle is nearest to `at` (tiles), within `radius` tiles.
    pub fn nearest(&self, map: &Overworld, at: Vec2, radius: f32) -> Option<usize> {
        let r = Vec2::splat(radius);
        self.near(at - r, at + r)
            .filter_map(|i| {
                let d = tile_middle(map, i)?.distance(at);
                (d <= radius).then_some((i, d))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }
}

/// The middle of node `i`'s tile, in tiles.
pub fn tile_middle(map: &Overworld, i: usize) -> Option<Vec2> {
    let node = map.nodes.get(i)?;
    Some(Vec2::new(
        node.tile.0 as f32 + 0.5,
        node.tile.1 as f32 + 0.5,
    ))
}

/// Quest ids of a section and its subsections.
fn section_quests(section: &Section, out: &mut Vec<QuestId>) {
    out.extend(
        section
            .tasks
            .iter()
            .filter_map(|t| QuestId::new(t.id.clone()).ok()),
    );
    for child in &section.children {
        section_quests(child, out);
    }
}

/// Node states from the rider's progress; a quest the catalogue does not
/// know (yet) shows what the plan says.
pub fn node_states(map: &LevelMap, plan: &MapPlan, player: Option<&Player>) -> Vec<NodeState> {
    let quest_state = |id: &QuestId| player.and_then(|p| p.progress().quest_state(&p.catalog, id));
    map.milestones
        .iter()
        .map(|m| match (m.kind, &m.quest, &m.path) {
            (MilestoneKind::Quest, Some(id), _) => match quest_state(id) {
                Some(state) => NodeState::of_quest(state),
                None if m.done => NodeState::Done,
                None => NodeState::Available,
            },
            (MilestoneKind::Section, _, Some(path)) => {
                let mut ids = Vec::new();
                if let Some(section) = plan.plan.section(path) {
                    section_quests(section, &mut ids);
                }
                let known: Vec<QuestState> = ids.iter().filter_map(quest_state).collect();
                if known.is_empty() && m.done {
                    NodeState::Done
                } else {
                    NodeState::of_section(known)
                }
            }
            _ if m.done => NodeState::Done,
            _ => NodeState::Available,
        })
        .collect()
}

/// Refreshes node states when the level or the rider's progress changes.
pub(super) fn update_states(
    map: Res<LevelMap>,
    plan: Option<Res<MapPlan>>,
    player: Option<Res<Player>>,
    mut states: ResMut<NodeStates>,
) {
    let stale = states.drawing != Some(map.drawing)
        || map.is_changed()
        || player.as_ref().is_some_and(|p| p.is_changed());
    let Some(plan) = plan else { return };
    if !stale {
        return;
    }
    let fresh = node_states(&map, &plan, player.as_deref());
    if states.drawing != Some(map.drawing) || states.states != fresh {
        *states = NodeStates {
            drawing: Some(map.drawing),
            states: fresh,
        };
    }
}

/// Lists the nodes on screen when the view or the level changes; nodes
/// elsewhere are never visited.
fn find_visible(view: Res<MapView>, map: Res<LevelMap>, mut visible: ResMut<VisibleNodes>) {
    if !view.is_changed() && !map.is_changed() {
        return;
    }
    let mut list = Vec::new();
    if view.zoom >= LABEL_MIN_ZOOM {
        let rect = view.world_rect();
        // World y grows upwards, tile y downwards: the corners swap.
        let (a, b) = (world_to_tile(rect.min), world_to_tile(rect.max));
        let (min, max) = (a.min(b) - 1.0, a.max(b) + 1.0);
        for i in map.buckets.near(min, max) {
            let Some(middle) = tile_middle(&map.map, i) else {
                continue;
            };
            let screen = view.to_screen(Vec2::new(middle.x * TILE, -middle.y * TILE));
            let margin = TILE * view.zoom;
            if screen.x >= -margin
                && screen.y >= -margin
                && screen.x <= view.viewport.x + margin
                && screen.y <= view.viewport.y + margin
            {
                list.push((i, screen));
            }
        }
    }
    visible.0 = list;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_state_follows_its_quests() {
        use QuestState::*;
        assert_eq!(
            NodeState::of_section([Completed, Completed]),
            NodeState::Done
        );
        assert_eq!(NodeState::of_section([Locked, Locked]), NodeState::Locked);
        assert_eq!(
            NodeState::of_section([Completed, Locked]),
            NodeState::Active
        );
        assert_eq!(
            NodeState::of_section([Available, Locked]),
            NodeState::Available
        );
        assert_eq!(NodeState::of_section([]), NodeState::Available);
    }
}
