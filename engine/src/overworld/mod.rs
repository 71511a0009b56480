//! The overworld: one level of a plan drawn as a tile map with a winding
//! road and its milestones as numbered nodes along it.
//!
//! [`generate`] is a pure function of the milestones and a seed: the same
//! inputs give the same map, byte for byte once serialised.
//!
//! Rules the map keeps:
//! - **Size**: a square of side `ceil(24 + 6·√n)` tiles for `n` milestones,
//!   capped at 1024 (about 5 MiB of tiles and zones at the cap).
//! - **Road**: a centripetal Catmull–Rom spline through a seeded serpentine
//!   of control points, about `3·n` tiles long where the map allows
//!   ([`layout::control_points`]); it is painted as [`Terrain::Road`], and as
//!   [`Terrain::Bridge`] where it crosses water, never road on water.
//! - **Spacing**: node `i` (0-based) sits at arc length `(i + 0.5)·L / n`, so
//!   consecutive nodes are exactly `L / n` apart along the road; for every
//!   accepted input `L / n ≥ 2`, and nodes are at least 2 tiles apart in a
//!   straight line, so each has its own tile.
//! - **Zones**: a new zone starts at each section milestone (the L1 sections
//!   of a plan's top level); quests before the first section share a leading
//!   zone. A zone owns the road from halfway before its first node to halfway
//!   after its last, and each tile belongs to the zone of the nearest road.
//! - **Child maps**: open a node with children with
//!   `generate(&plan.milestones(path), child_seed(seed, &node.id))`.

pub mod layout;
pub mod noise;
pub mod spline;
mod terrain;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::plan::{Milestone, MilestoneKind};
use crate::quest::QuestId;
pub use layout::{MAX_SIDE, MIN_SIDE, side_for};
use noise::{SplitMix64, hash_str, mix64};
pub use terrain::Terrain;

/// Most milestones one map may hold; beyond it nodes would crowd the road.
pub const MAX_MILESTONES: usize = 65_536;

/// Why a map could not be made.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum OverworldError {
    /// The level has no milestones to place.
    #[error("this level has no milestones; add a task or a section to draw a map")]
    NoMilestones,
    /// More milestones than one map can space out.
    #[error(
        "{count} milestones is more than one map can hold ({max}); split the plan into sections"
    )]
    TooManyMilestones {
        /// Milestones given.
        count: usize,
        /// The limit, [`MAX_MILESTONES`].
        max: usize,
    },
}

/// One milestone as drawn on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// 1-based number shown on the map, in road order.
    pub index: u32,
    /// Section or quest.
    pub kind: MilestoneKind,
    /// The milestone's stable id.
    pub id: String,
    /// The quest, for a quest node.
    pub quest: Option<QuestId>,
    /// Section or task title.
    pub title: String,
    /// Level the node is drawn on.
    pub level: u8,
    /// Whether the node opens a child map.
    pub has_children: bool,
    /// Whether the milestone is done.
    pub done: bool,
    /// World x, in tiles (tile `x` spans `[x, x + 1)`).
    pub x: f32,
    /// World y, in tiles, growing downwards.
    pub y: f32,
    /// The tile the node stands on.
    pub tile: (u32, u32),
    /// Distance along the road from its start, in tiles.
    pub s: f32,
    /// Index into [`Overworld::zones`].
    pub zone: u32,
}

/// A stretch of road and the land nearest it, one per section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    /// Position in [`Overworld::zones`].
    pub index: u32,
    /// The section's title, or `None` for quests before the first section.
    pub title: Option<String>,
    /// The section's id, or `None` for quests before the first section.
    pub section_id: Option<String>,
    /// 1-based number of the zone's first node.
    pub first_node: u32,
    /// 1-based number of the zone's last node.
    pub last_node: u32,
    /// Arc length where the zone's road begins.
    pub start: f32,
    /// Arc length where the zone's road ends.
    pub end: f32,
}

/// A generated map of one plan level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overworld {
    /// Width in tiles.
    pub width: u32,
    /// Height in tiles.
    pub height: u32,
    /// The seed it was made from.
    pub seed: u64,
    /// Terrain, row-major with `y = 0` at the top.
    pub tiles: Vec<Terrain>,
    /// The road as a polyline of samples no more than about half a tile apart.
    pub road: Vec<[f32; 2]>,
    /// Length of the road polyline, in tiles.
    pub road_length: f32,
    /// The milestones, in road order.
    pub nodes: Vec<Node>,
    /// The zones, in road order.
    pub zones: Vec<Zone>,
    /// Each tile's zone, row-major like `tiles`.
    pub zone_of_tile: Vec<u32>,
}

impl Overworld {
    /// The terrain at a tile, or `None` off the map.
    pub fn tile(&self, x: u32, y: u32) -> Option<Terrain> {
        self.index(x, y).map(|i| self.tiles[i])
    }

    /// The zone a tile belongs to, or `None` off the map.
    pub fn zone_at(&self, x: u32, y: u32) -> Option<u32> {
        self.index(x, y).map(|i| self.zone_of_tile[i])
    }

    /// Whether a tile lies on a zone border (a 4-neighbour is in another zone).
    pub fn is_zone_border(&self, x: u32, y: u32) -> bool {
        let Some(here) = self.zone_at(x, y) else {
            return false;
        };
        let left = x.checked_sub(1).and_then(|x| self.zone_at(x, y));
        let up = y.checked_sub(1).and_then(|y| self.zone_at(x, y));
        [left, self.zone_at(x + 1, y), up, self.zone_at(x, y + 1)]
            .into_iter()
            .flatten()
            .any(|z| z != here)
    }

    /// The zone of node `i` (0-based), if there is such a node.
    pub fn zone_of_node(&self, i: usize) -> Option<u32> {
        self.nodes.get(i).map(|n| n.zone)
    }

    /// Distance between consecutive nodes along the road, in tiles.
    pub fn node_spacing(&self) -> f32 {
        self.road_length / self.nodes.len().max(1) as f32
    }

    fn index(&self, x: u32, y: u32) -> Option<usize> {
        (x < self.width && y < self.height).then(|| y as usize * self.width as usize + x as usize)
    }
}

/// The seed of a node's child map: the parent seed xor a stable hash of the
/// node id (FNV-1a, mixed), so each child map is fixed by its parent's seed.
pub fn child_seed(seed: u64, node_id: &str) -> u64 {
    seed ^ hash_str(node_id)
}

/// Independent streams for terrain and layout, both fixed by the seed.
const TERRAIN_STREAM: u64 = 0x7465_7272_6169_6e00;
const LAYOUT_STREAM: u64 = 0x6c61_796f_7574_0000;

/// Makes the map of one level: terrain, road, evenly spaced nodes and zones.
pub fn generate(milestones: &[Milestone], seed: u64) -> Result<Overworld, OverworldError> {
    let n = milestones.len();
    if n == 0 {
        return Err(OverworldError::NoMilestones);
    }
    if n > MAX_MILESTONES {
        return Err(OverworldError::TooManyMilestones {
            count: n,
            max: MAX_MILESTONES,
        });
    }
    let side = side_for(n);
    let mut rng = SplitMix64::new(mix64(seed ^ LAYOUT_STREAM));
    let table = layout::road(side, layout::control_points(side, n, &mut rng));
    let length = table.length();

    let mut tiles = terrain::base(side, mix64(seed ^ TERRAIN_STREAM));
    terrain::paint_road(&mut tiles, side, table.points());

    let (zone_of_node, starts) =
        layout::zone_starts(milestones.iter().map(|m| m.kind == MilestoneKind::Section));
    let mut nodes = Vec::with_capacity(n);
    for (i, m) in milestones.iter().enumerate() {
        let s = layout::node_arc_length(i, n, length);
        // The node is stored in f32; its tile is taken from the stored
        // point, so a point a hair below a tile edge that rounds onto the
        // edge lies in the tile it is drawn in.
        let [x, y] = table.point_at(s).map(|c| c as f32);
        let tile = layout::tile_of([f64::from(x), f64::from(y)], side);
        terrain::clear_node(&mut tiles, side, tile);
        nodes.push(Node {
            index: (i + 1) as u32,
            kind: m.kind,
            id: m.id.clone(),
            quest: m.quest.clone(),
            title: m.title.clone(),
            level: m.level,
            has_children: m.has_children,
            done: m.done,
            x,
            y,
            tile,
            s: s as f32,
            zone: zone_of_node[i],
        });
    }

    let zones = zones(milestones, &starts, length);
    let zone_of_tile = tile_zones(side, &table, &zones);
    Ok(Overworld {
        width: side,
        height: side,
        seed,
        tiles,
        road: table
            .points()
            .iter()
            .map(|p| [p[0] as f32, p[1] as f32])
            .collect(),
        road_length: length as f32,
        nodes,
        zones,
        zone_of_tile,
    })
}

/// The zones from their first nodes: each runs from the midpoint before its
/// first node to the midpoint after its last (the road's ends for the first
/// and last zone).
fn zones(milestones: &[Milestone], starts: &[usize], length: f64) -> Vec<Zone> {
    let n = milestones.len();
    let boundary = |first: usize| {
        if first == 0 {
            0.0
        } else {
            first as f64 * length / n as f64
        }
    };
    starts
        .iter()
        .enumerate()
        .map(|(z, &first)| {
            let next = starts.get(z + 1).copied().unwrap_or(n);
            let opener = &milestones[first];
            let section = opener.kind == MilestoneKind::Section;
            Zone {
                index: z as u32,
                title: section.then(|| opener.title.clone()),
                section_id: section.then(|| opener.id.clone()),
                first_node: (first + 1) as u32,
                last_node: next as u32,
                start: boundary(first) as f32,
                end: if next == n {
                    length as f32
                } else {
                    boundary(next) as f32
                },
            }
        })
        .collect()
}

/// Each tile's zone: the road samples seed a flood fill with the zone whose
/// stretch of road they lie on.
fn tile_zones(side: u32, table: &spline::ArcLengthTable, zones: &[Zone]) -> Vec<u32> {
    let mut seeds = Vec::with_capacity(table.points().len());
    let mut z = 0usize;
    for (p, &c) in table.points().iter().zip(table.cumulative()) {
        while z + 1 < zones.len() && c >= f64::from(zones[z].end) {
            z += 1;
        }
        let (x, y) = layout::tile_of(*p, side);
        seeds.push((y as usize * side as usize + x as usize, z as u32));
    }
    terrain::flood_zones(side, &seeds)
}
