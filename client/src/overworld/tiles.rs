//! Drawing the map with Bevy's `TilemapChunk`s: three layers (terrain with
//! roads and bridges, zone borders, node markers), each cut into chunks of
//! `CHUNK`×`CHUNK` tiles. Every chunk gets an `Aabb`, which Bevy does not
//! compute for 2D meshes by itself, so its frustum culling skips the chunks
//! off screen.
//!
//! The tileset is `assets/tiles/overworld.png` (layout in its README) made
//! into a 2D array texture, one layer per tile, plus sixteen layers of the
//! zone border cut down to the sides that face another zone.

use bevy::asset::RenderAssetUsages;
use bevy::camera::primitives::Aabb;
use bevy::image::ImageSampler;
use bevy::prelude::*;
use bevy::render::render_resource::{
    Extent3d, TextureDimension, TextureFormat, TextureViewDescriptor, TextureViewDimension,
};
use bevy::sprite_render::{AlphaMode2d, TileData, TilemapChunk, TilemapChunkTileData};
use ridewire_engine::overworld::Overworld;

use super::camera::{CHUNK, TILE};
use super::nodes::{NodeState, NodeStates, update_states};
use super::{LevelMap, build_level};
use crate::screens::Screen;
use ridewire_app::maps::{PlanError, Sheet, TILE as SHEET_TILE, ZONE_BORDER, base_tile};

/// First marker tile (locked); available, active and done follow.
const MARKER_LOCKED: u16 = 24;
/// Tiles in the sheet (8 × 4).
const SHEET_TILES: u32 = 32;
/// First of the cut-down border layers: `BORDER_SIDES + mask` keeps the
/// sides in mask (north 1, east 2, south 4, west 8).
const BORDER_SIDES: u16 = SHEET_TILES as u16;
/// Border line width in sheet pixels (an eighth of a tile, as `ridewire plan` draws it).
const BORDER_WIDTH: usize = SHEET_TILE / 8;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (
            spawn_chunks.after(build_level).after(update_states),
            refresh_markers,
        )
            .chain()
            .run_if(in_state(Screen::Overworld).and_then(resource_exists::<LevelMap>)),
    );
}

/// The tileset as an array texture, made once.
#[derive(Resource, Debug, Clone)]
pub struct Tileset(pub Handle<Image>);

/// Which layer a chunk draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Terrain, roads and bridges.
    Terrain,
    /// Zone borders.
    Borders,
    /// Node markers.
    Markers,
}

impl Layer {
    fn z(self) -> f32 {
        match self {
            Layer::Terrain => 0.0,
            Layer::Borders => 1.0,
            Layer::Markers => 2.0,
        }
    }
}

/// A chunk of the map on screen: its layer, its chunk coordinates, and the
/// level it belongs to.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct MapChunk {
    /// What it draws.
    pub layer: Layer,
    /// Chunk column and row (row 0 at the top of the map).
    pub at: UVec2,
    /// The map it was drawn from ([`LevelMap::drawing`]).
    pub drawing: u64,
}

/// Builds the tileset array texture from the built-in sheet (decoded by the
/// app layer, which draws the PNG export with the same tiles).
pub fn tileset_image() -> Result<Image, PlanError> {
    let sheet = Sheet::load(SHEET_TILE)?;
    let tile_px = SHEET_TILE * SHEET_TILE * 4;
    let layers = SHEET_TILES as usize + 16;
    let mut data = Vec::with_capacity(layers * tile_px);
    let pixel = |t: usize, x: usize, y: usize| -> [u8; 4] {
        sheet
            .tile(t)
            .get(y * SHEET_TILE + x)
            .copied()
            .unwrap_or([0; 4])
    };
    for t in 0..SHEET_TILES as usize {
        for y in 0..SHEET_TILE {
            for x in 0..SHEET_TILE {
                data.extend_from_slice(&pixel(t, x, y));
            }
        }
    }
    let last = SHEET_TILE - BORDER_WIDTH;
    for mask in 0..16u8 {
        for y in 0..SHEET_TILE {
            for x in 0..SHEET_TILE {
                let keep = mask & 1 != 0 && y < BORDER_WIDTH
                    || mask & 2 != 0 && x >= last
                    || mask & 4 != 0 && y >= last
                    || mask & 8 != 0 && x < BORDER_WIDTH;
                let p = if keep {
                    pixel(ZONE_BORDER, x, y)
                } else {
                    [0; 4]
                };
                data.extend_from_slice(&p);
            }
        }
    }
    let mut image = Image::new(
        Extent3d {
            width: SHEET_TILE as u32,
            height: SHEET_TILE as u32,
            depth_or_array_layers: layers as u32,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    );
    image.sampler = ImageSampler::nearest();
    image.texture_view_descriptor = Some(TextureViewDescriptor {
        dimension: Some(TextureViewDimension::D2Array),
        ..default()
    });
    Ok(image)
}

/// The tile of one layer at a map tile, or `None` for nothing.
fn layer_tile(map: &Overworld, layer: Layer, x: u32, y: u32) -> Option<u16> {
    match layer {
        Layer::Terrain => Some(base_tile(map, x, y) as u16),
        Layer::Borders => {
            let here = map.zone_at(x, y)?;
            let differs = |nx: Option<u32>, ny: Option<u32>| match (nx, ny) {
                (Some(nx), Some(ny)) => map.zone_at(nx, ny).is_some_and(|z| z != here),
                _ => false,
            };
            let mask = u16::from(differs(Some(x), y.checked_sub(1)))
                | u16::from(differs(Some(x + 1), Some(y))) << 1
                | u16::from(differs(Some(x), Some(y + 1))) << 2
                | u16::from(differs(x.checked_sub(1), Some(y))) << 3;
            (mask != 0).then_some(BORDER_SIDES + mask)
        }
        // Markers come from the node list, not the tiles.
        Layer::Markers => None,
    }
}

/// The marker tile for a node state.
pub fn marker_tile(state: NodeState) -> u16 {
    MARKER_LOCKED
        + match state {
            NodeState::Locked => 0,
            NodeState::Available => 1,
            NodeState::Active => 2,
            NodeState::Done => 3,
        }
}

/// Index into a chunk's tile data of a map tile inside chunk `at`
/// (`TilemapChunk` counts rows from the bottom).
fn slot(at: UVec2, x: u32, y: u32) -> usize {
    let (lx, ly) = (x - at.x * CHUNK, y - at.y * CHUNK);
    ((CHUNK - 1 - ly) * CHUNK + lx) as usize
}

/// One chunk's tiles for a tile layer; `None` when the chunk is empty.
fn chunk_tiles(map: &Overworld, layer: Layer, at: UVec2) -> Option<Vec<Option<TileData>>> {
    let mut tiles = vec![None; (CHUNK * CHUNK) as usize];
    let mut any = false;
    for y in at.y * CHUNK..((at.y + 1) * CHUNK).min(map.height) {
        for x in at.x * CHUNK..((at.x + 1) * CHUNK).min(map.width) {
            if let Some(index) = layer_tile(map, layer, x, y) {
                tiles[slot(at, x, y)] = Some(TileData::from_tileset_index(index));
                any = true;
            }
        }
    }
    any.then_some(tiles)
}

/// The marker chunks: only chunks with nodes in them.
fn marker_chunks(map: &LevelMap, states: &[NodeState]) -> Vec<(UVec2, Vec<Option<TileData>>)> {
    let mut chunks: Vec<(UVec2, Vec<Option<TileData>>)> = Vec::new();
    for (i, node) in map.map.nodes.iter().enumerate() {
        let (x, y) = node.tile;
        let at = UVec2::new(x / CHUNK, y / CHUNK);
        let state = states.get(i).copied().unwrap_or(NodeState::Available);
        let tile = Some(TileData::from_tileset_index(marker_tile(state)));
        match chunks.iter_mut().find(|(c, _)| *c == at) {
            Some((_, tiles)) => tiles[slot(at, x, y)] = tile,
            None => {
                let mut tiles = vec![None; (CHUNK * CHUNK) as usize];
                tiles[slot(at, x, y)] = tile;
                chunks.push((at, tiles));
            }
        }
    }
    chunks
}

/// Where a chunk's middle is in the world.
fn chunk_transform(at: UVec2, layer: Layer) -> Transform {
    let side = CHUNK as f32 * TILE;
    Transform::from_xyz(
        (at.x as f32 + 0.5) * side,
        -(at.y as f32 + 0.5) * side,
        layer.z(),
    )
}

/// The chunk's bounds (the mesh is a rectangle centred on the transform).
fn chunk_aabb() -> Aabb {
    let half = CHUNK as f32 * TILE / 2.0;
    Aabb::from_min_max(Vec3::new(-half, -half, 0.0), Vec3::new(half, half, 0.0))
}

/// Spawns the level's chunks when none of this level are on screen
/// (on entering the screen, and after the level changes).
fn spawn_chunks(
    mut commands: Commands,
    map: Res<LevelMap>,
    states: Res<NodeStates>,
    chunks: Query<(Entity, &MapChunk)>,
    tileset: Option<Res<Tileset>>,
    images: Option<ResMut<Assets<Image>>>,
) {
    if chunks.iter().any(|(_, c)| c.drawing == map.drawing) {
        return;
    }
    for (entity, _) in &chunks {
        commands.entity(entity).despawn();
    }
    // Without a renderer (headless tests, benchmarks) there is nothing to draw.
    let Some(mut images) = images else { return };
    let tileset = match tileset {
        Some(t) => t.0.clone(),
        None => match tileset_image() {
            Ok(image) => {
                let handle = images.add(image);
                commands.insert_resource(Tileset(handle.clone()));
                handle
            }
            Err(e) => {
                error!("{e}");
                return;
            }
        },
    };
    let chunk = |layer: Layer| TilemapChunk {
        chunk_size: UVec2::splat(CHUNK),
        tile_display_size: UVec2::splat(TILE as u32),
        tileset: tileset.clone(),
        alpha_mode: if layer == Layer::Terrain {
            AlphaMode2d::Opaque
        } else {
            AlphaMode2d::Blend
        },
    };
    let (across, down) = (
        map.map.width.div_ceil(CHUNK),
        map.map.height.div_ceil(CHUNK),
    );
    let mut spawn = |layer: Layer, at: UVec2, tiles: Vec<Option<TileData>>| {
        commands.spawn((
            chunk(layer),
            TilemapChunkTileData(tiles),
            chunk_transform(at, layer),
            chunk_aabb(),
            MapChunk {
                layer,
                at,
                drawing: map.drawing,
            },
            DespawnOnExit(Screen::Overworld),
        ));
    };
    for cy in 0..down {
        for cx in 0..across {
            let at = UVec2::new(cx, cy);
            for layer in [Layer::Terrain, Layer::Borders] {
                if let Some(tiles) = chunk_tiles(&map.map, layer, at) {
                    spawn(layer, at, tiles);
                }
            }
        }
    }
    let fresh = states.drawing == Some(map.drawing);
    let node_states = if fresh { &states.states[..] } else { &[] };
    for (at, tiles) in marker_chunks(&map, node_states) {
        spawn(Layer::Markers, at, tiles);
    }
}

/// Recolours markers whose node changed state (only their chunks are touched).
fn refresh_markers(
    map: Res<LevelMap>,
    states: Res<NodeStates>,
    mut chunks: Query<(&MapChunk, &mut TilemapChunkTileData)>,
) {
    if !states.is_changed() || states.drawing != Some(map.drawing) {
        return;
    }
    for (chunk, mut tiles) in &mut chunks {
        if chunk.layer != Layer::Markers || chunk.drawing != map.drawing {
            continue;
        }
        for &i in map.buckets.in_chunk(chunk.at) {
            let (Some(node), Some(&state)) =
                (map.map.nodes.get(i as usize), states.states.get(i as usize))
            else {
                continue;
            };
            let s = slot(chunk.at, node.tile.0, node.tile.1);
            let want = marker_tile(state);
            if tiles.0.get(s).copied().flatten().map(|t| t.tileset_index) != Some(want) {
                tiles.0[s] = Some(TileData::from_tileset_index(want));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tileset_has_every_tile_and_border_side() {
        let image = tileset_image().expect("tileset");
        assert_eq!(image.texture_descriptor.size.depth_or_array_layers, 48);
        let data = image.data.as_ref().expect("pixels");
        let layer = |l: usize| &data[l * 16 * 16 * 4..(l + 1) * 16 * 16 * 4];
        let alpha = |l: usize, x: usize, y: usize| layer(l)[(y * 16 + x) * 4 + 3];
        // Grass is opaque everywhere; a north-only border is drawn along the
        // top edge and nowhere near the bottom.
        assert!((0..256).all(|p| layer(2)[p * 4 + 3] == 255));
        let north = usize::from(BORDER_SIDES) + 1;
        assert!((0..16).any(|x| alpha(north, x, 0) > 0));
        assert!((0..16).all(|x| alpha(north, x, 15) == 0));
    }

    #[test]
    fn chunks_hold_every_map_tile_where_their_bounds_say() {
        let plan = super::super::MapPlan::starter().expect("plan");
        let level = LevelMap::generate(&plan, &[]).expect("map");
        let map = &level.map;
        let across = map.width.div_ceil(CHUNK);
        for cy in 0..map.height.div_ceil(CHUNK) {
            for cx in 0..across {
                let at = UVec2::new(cx, cy);
                let tiles = chunk_tiles(map, Layer::Terrain, at).expect("terrain everywhere");
                // The culling bounds cover exactly the chunk's tiles.
                let t = chunk_transform(at, Layer::Terrain).translation;
                let aabb = chunk_aabb();
                let min = t.truncate() + aabb.center.truncate() - aabb.half_extents.truncate();
                let max = min + 2.0 * aabb.half_extents.truncate();
                for y in cy * CHUNK..((cy + 1) * CHUNK).min(map.height) {
                    for x in cx * CHUNK..((cx + 1) * CHUNK).min(map.width) {
                        let tile = tiles[slot(at, x, y)].expect("tile");
                        assert_eq!(usize::from(tile.tileset_index), base_tile(map, x, y));
                        let middle = Vec2::new((x as f32 + 0.5) * TILE, -(y as f32 + 0.5) * TILE);
                        assert!(middle.cmpge(min).all() && middle.cmple(max).all());
                    }
                }
            }
        }
        // Every node has its marker.
        let markers = marker_chunks(&level, &[]);
        let drawn: usize = markers
            .iter()
            .map(|(_, t)| t.iter().filter(|t| t.is_some()).count())
            .sum();
        assert_eq!(drawn, map.nodes.len());
    }

    #[test]
    fn chunk_slots_count_rows_from_the_bottom() {
        let at = UVec2::new(1, 2);
        assert_eq!(slot(at, 32, 64 + 31), 0);
        assert_eq!(slot(at, 33, 64), ((CHUNK - 1) * CHUNK + 1) as usize);
    }
}
