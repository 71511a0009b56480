//! Moving around the map: drag to pan (mouse or one finger), wheel or
//! two-finger pinch to zoom, arrow keys and +/-; a press and release that
//! did not move is a tap, which selects the node under it.
//!
//! Input is read from Bevy's raw input messages (`CursorMoved`,
//! `MouseButtonInput`, `MouseWheel`, `TouchInput`), so tests drive it with
//! the same messages a window would send. Pinch is computed here from the
//! distance between two touches: Bevy's `PinchGesture` exists only on Apple
//! platforms.

use bevy::input::ButtonState;
use bevy::input::mouse::{MouseButtonInput, MouseScrollUnit, MouseWheel};
use bevy::input::touch::{TouchInput, TouchPhase};
use bevy::prelude::*;
use bevy::window::CursorMoved;
use ridewire_engine::overworld::Overworld;

use super::{LevelMap, SelectedNode};
use crate::UiCamera;
use crate::screens::Screen;

/// World units per map tile (one screen pixel per unit at zoom 1).
pub const TILE: f32 = 16.0;
/// Side of a chunk of the map, in tiles: the tiles are drawn and the nodes
/// looked up a chunk at a time.
pub const CHUNK: u32 = 32;
/// Farthest out: one pixel per tile.
pub const MIN_ZOOM: f32 = 1.0 / 16.0;
/// Closest in: 64 pixels per tile.
pub const MAX_ZOOM: f32 = 4.0;
/// A press that moves less than this many pixels is a tap, not a drag.
pub const TAP_SLOP: f32 = 6.0;
/// Zoom factor per wheel notch.
const WHEEL_STEP: f32 = 1.2;
/// Pixels of smooth (touchpad) scrolling that count as one notch.
const PIXELS_PER_NOTCH: f32 = 100.0;
/// Arrow-key panning speed, in screen pixels per second.
const KEY_PAN_SPEED: f32 = 600.0;
/// Zoom change per second while + or - is held (doubling).
const KEY_ZOOM_RATE: f32 = 2.0;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MapView>()
        .init_resource::<Pointer>()
        .init_resource::<UiBlocks>()
        .add_systems(
            Update,
            (
                pointer_input,
                select_tapped,
                wheel_zoom,
                keyboard,
                keep_on_map,
            )
                .chain()
                .in_set(MapInput)
                .run_if(in_state(Screen::Overworld).and_then(resource_exists::<LevelMap>)),
        )
        .add_systems(
            PostUpdate,
            follow_view
                .before(bevy::transform::TransformSystems::Propagate)
                .run_if(in_state(Screen::Overworld)),
        )
        .add_systems(OnExit(Screen::Overworld), reset_camera);
}

/// The map's input systems, for ordering.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MapInput;

/// What part of the map is on screen.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct MapView {
    /// World point at the middle of the screen.
    pub center: Vec2,
    /// Screen pixels per world unit.
    pub zoom: f32,
    /// Size of the screen in logical pixels.
    pub viewport: Vec2,
    /// Logical pixels at the top covered by the navigation bar.
    pub top_inset: f32,
    /// The screen (viewport, inset) the whole level was last fitted to,
    /// while the rider has not moved the view since: a new screen size
    /// fits it again.
    pub fitted_for: Option<(Vec2, f32)>,
}

impl Default for MapView {
    fn default() -> Self {
        Self {
            center: Vec2::ZERO,
            zoom: 1.0,
            viewport: Vec2::new(1280.0, 720.0),
            top_inset: 0.0,
            fitted_for: None,
        }
    }
}

/// Share of the free screen a fitted level fills, leaving a small margin.
const FIT_MARGIN: f32 = 0.94;

impl MapView {
    /// The world point under a screen point (logical pixels, y down).
    pub fn to_world(&self, screen: Vec2) -> Vec2 {
        self.center + (screen - self.viewport / 2.0) * Vec2::new(1.0, -1.0) / self.zoom
    }

    /// The screen point (logical pixels, y down) of a world point.
    pub fn to_screen(&self, world: Vec2) -> Vec2 {
        (world - self.center) * Vec2::new(1.0, -1.0) * self.zoom + self.viewport / 2.0
    }

    /// The world rectangle on screen.
    pub fn world_rect(&self) -> Rect {
        let half = self.viewport / (2.0 * self.zoom);
        Rect::from_center_half_size(self.center, half)
    }

    /// Zooms by `factor` (clamped to the limits), keeping the world point
    /// under `anchor` (a screen point) where it is.
    pub fn zoom_about(&mut self, factor: f32, anchor: Vec2) {
        self.fitted_for = None;
        let before = self.to_world(anchor);
        self.zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        let after = self.to_world(anchor);
        self.center += before - after;
    }

    /// Moves the view as if the map were dragged by `delta` screen pixels.
    pub fn drag_by(&mut self, delta: Vec2) {
        self.fitted_for = None;
        self.center -= delta * Vec2::new(1.0, -1.0) / self.zoom;
    }

    /// The whole level on screen, centred in the part below the navigation
    /// bar, as large as fits (within the zoom limits).
    pub fn fit(&mut self, map: &Overworld) {
        let size = Vec2::new(map.width as f32, map.height as f32) * TILE;
        let free = Vec2::new(self.viewport.x, self.viewport.y - self.top_inset).max(Vec2::ONE);
        self.zoom =
            ((free / size.max(Vec2::ONE)).min_element() * FIT_MARGIN).clamp(MIN_ZOOM, MAX_ZOOM);
        // The level's middle at the free area's middle, which is
        // `top_inset / 2` below the screen's.
        let middle = Vec2::new(size.x / 2.0, -size.y / 2.0);
        self.center = middle + Vec2::new(0.0, self.top_inset / (2.0 * self.zoom));
        self.fitted_for = Some((self.viewport, self.top_inset));
    }
}

/// The world point of a map position in tiles (x right, y down).
pub fn tile_to_world(x: f32, y: f32) -> Vec2 {
    Vec2::new(x * TILE, -y * TILE)
}

/// The map position in tiles of a world point.
pub fn world_to_tile(world: Vec2) -> Vec2 {
    Vec2::new(world.x / TILE, -world.y / TILE)
}

/// Screen rectangles (logical pixels) covered by panels: presses and wheel
/// turns over them belong to the panel, not the map. Filled by the UI pass.
#[derive(Resource, Debug, Clone, Default)]
pub struct UiBlocks(pub Vec<Rect>);

impl UiBlocks {
    fn covers(&self, p: Vec2) -> bool {
        self.0.iter().any(|r| r.contains(p))
    }
}

/// Where the pointers are and what they are doing.
#[derive(Resource, Debug, Default)]
pub struct Pointer {
    /// Last known mouse cursor position.
    cursor: Option<Vec2>,
    /// Fingers on the screen: id and position.
    touches: Vec<(u64, Vec2)>,
    gesture: Gesture,
    /// Where a tap ended this frame, for [`select_tapped`].
    tap: Option<Vec2>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Gesture {
    #[default]
    Idle,
    /// A press that began over a panel: ignored until released.
    Blocked,
    /// One pointer down: a tap unless it moves past the slop.
    Press {
        start: Vec2,
        last: Vec2,
        dragging: bool,
    },
    /// Two fingers: zoom by the change in their distance, pan with their middle.
    Pinch { distance: f32, middle: Vec2 },
}

impl Pointer {
    fn down(&mut self, at: Vec2, blocks: &UiBlocks) {
        self.gesture = if blocks.covers(at) {
            Gesture::Blocked
        } else {
            Gesture::Press {
                start: at,
                last: at,
                dragging: false,
            }
        };
    }

    fn moved(&mut self, at: Vec2, view: &mut MapView) {
        if let Gesture::Press {
            start,
            last,
            dragging,
        } = &mut self.gesture
        {
            if !*dragging && at.distance(*start) > TAP_SLOP {
                *dragging = true;
            }
            if *dragging {
                view.drag_by(at - *last);
                *last = at;
            }
        }
    }

    /// Ends a press; returns the tap position when it did not move.
    fn up(&mut self) -> Option<Vec2> {
        let tap = match self.gesture {
            Gesture::Press {
                start,
                dragging: false,
                ..
            } => Some(start),
            _ => None,
        };
        self.gesture = Gesture::Idle;
        tap
    }

    fn pinch_from_touches(&mut self) {
        if let [(_, a), (_, b)] = self.touches[..] {
            self.gesture = Gesture::Pinch {
                distance: a.distance(b).max(1.0),
                middle: (a + b) / 2.0,
            };
        }
    }

    fn pinch_moved(&mut self, view: &mut MapView) {
        let Gesture::Pinch { distance, middle } = &mut self.gesture else {
            return;
        };
        let [(_, a), (_, b)] = self.touches[..] else {
            return;
        };
        let (d, m) = (a.distance(b).max(1.0), (a + b) / 2.0);
        view.drag_by(m - *middle);
        view.zoom_about(d / *distance, m);
        *distance = d;
        *middle = m;
    }
}

/// Mouse buttons, cursor and touches: drag, pinch and tap.
fn pointer_input(
    mut cursor_moves: MessageReader<CursorMoved>,
    mut buttons: MessageReader<MouseButtonInput>,
    mut touches: MessageReader<TouchInput>,
    mut pointer: ResMut<Pointer>,
    mut view: ResMut<MapView>,
    blocks: Res<UiBlocks>,
) {
    let pointer = &mut *pointer;
    // Work on a copy so the view only counts as changed when it moved.
    let mut v = *view;
    let mut tapped = None;
    // Buttons and moves arrive in separate queues; a frame with both is
    // handled as move then button, which keeps a release at the final spot.
    for moved in cursor_moves.read() {
        pointer.cursor = Some(moved.position);
        if pointer.touches.is_empty() {
            pointer.moved(moved.position, &mut v);
        }
    }
    for press in buttons.read() {
        if press.button != MouseButton::Left || !pointer.touches.is_empty() {
            continue;
        }
        let Some(at) = pointer.cursor else { continue };
        match press.state {
            ButtonState::Pressed => pointer.down(at, &blocks),
            ButtonState::Released => tapped = pointer.up().or(tapped),
        }
    }
    for touch in touches.read() {
        let id = touch.id;
        match touch.phase {
            TouchPhase::Started => {
                pointer.touches.retain(|(t, _)| *t != id);
                pointer.touches.push((id, touch.position));
                match pointer.touches.len() {
                    1 => pointer.down(touch.position, &blocks),
                    2 if pointer.gesture != Gesture::Blocked => pointer.pinch_from_touches(),
                    _ => {}
                }
            }
            TouchPhase::Moved => {
                if let Some(t) = pointer.touches.iter_mut().find(|(t, _)| *t == id) {
                    t.1 = touch.position;
                }
                match pointer.gesture {
                    Gesture::Pinch { .. } => pointer.pinch_moved(&mut v),
                    _ => pointer.moved(touch.position, &mut v),
                }
            }
            TouchPhase::Ended | TouchPhase::Canceled => {
                pointer.touches.retain(|(t, _)| *t != id);
                let was_pinch = matches!(pointer.gesture, Gesture::Pinch { .. });
                if pointer.touches.is_empty() {
                    let tap = pointer.up();
                    if touch.phase == TouchPhase::Ended && !was_pinch {
                        tapped = tap.or(tapped);
                    }
                } else if was_pinch {
                    // The finger left on the screen keeps dragging, not tapping.
                    let (_, rest) = pointer.touches[0];
                    pointer.gesture = Gesture::Press {
                        start: rest,
                        last: rest,
                        dragging: true,
                    };
                }
            }
        }
    }
    if v != *view {
        *view = v;
    }
    pointer.tap = tapped;
}

/// A tap selects the node under it, or closes the panel on empty land.
fn select_tapped(
    mut pointer: ResMut<Pointer>,
    view: Res<MapView>,
    map: Res<LevelMap>,
    mut selected: ResMut<SelectedNode>,
) {
    let Some(at) = pointer.tap.take() else {
        return;
    };
    let world = view.to_world(at);
    // At least a fingertip wide, however far out the view is zoomed.
    let radius = (0.8 * TILE).max(12.0 / view.zoom);
    let hit = map
        .buckets
        .nearest(&map.map, world_to_tile(world), radius / TILE);
    if selected.0 != hit {
        selected.0 = hit;
    }
}

/// Wheel zoom about the cursor.
fn wheel_zoom(
    mut wheel: MessageReader<MouseWheel>,
    pointer: Res<Pointer>,
    blocks: Res<UiBlocks>,
    mut view: ResMut<MapView>,
) {
    for turn in wheel.read() {
        let anchor = pointer.cursor.unwrap_or(view.viewport / 2.0);
        if blocks.covers(anchor) {
            continue;
        }
        let notches = match turn.unit {
            MouseScrollUnit::Line => turn.y,
            MouseScrollUnit::Pixel => turn.y / PIXELS_PER_NOTCH,
        };
        if notches != 0.0 {
            view.zoom_about(WHEEL_STEP.powf(notches), anchor);
        }
    }
}

/// Arrow keys pan, + and - zoom about the middle of the screen.
fn keyboard(keys: Option<Res<ButtonInput<KeyCode>>>, time: Res<Time>, mut view: ResMut<MapView>) {
    let Some(keys) = keys else { return };
    let dt = time.delta_secs();
    let mut pan = Vec2::ZERO;
    for (key, dir) in [
        (KeyCode::ArrowLeft, Vec2::new(-1.0, 0.0)),
        (KeyCode::ArrowRight, Vec2::new(1.0, 0.0)),
        (KeyCode::ArrowUp, Vec2::new(0.0, -1.0)),
        (KeyCode::ArrowDown, Vec2::new(0.0, 1.0)),
    ] {
        if keys.pressed(key) {
            pan += dir;
        }
    }
    let zoom_in = keys.any_pressed([KeyCode::Equal, KeyCode::NumpadAdd]);
    let zoom_out = keys.any_pressed([KeyCode::Minus, KeyCode::NumpadSubtract]);
    if pan != Vec2::ZERO {
        // Arrows move the view, so the map slides the other way.
        view.drag_by(-pan * KEY_PAN_SPEED * dt);
    }
    if zoom_in != zoom_out {
        let rate = if zoom_in {
            KEY_ZOOM_RATE
        } else {
            1.0 / KEY_ZOOM_RATE
        };
        let middle = view.viewport / 2.0;
        view.zoom_about(rate.powf(dt), middle);
    }
}

/// Keeps the middle of the screen over the map, so the rider cannot pan
/// off into nothing and lose it; fits a level the rider has not moved
/// again when the screen changes size.
fn keep_on_map(map: Res<LevelMap>, mut view: ResMut<MapView>) {
    if view
        .fitted_for
        .is_some_and(|screen| screen != (view.viewport, view.top_inset))
    {
        view.fit(&map.map);
    }
    let (w, h) = (map.map.width as f32 * TILE, map.map.height as f32 * TILE);
    let clamped = Vec2::new(view.center.x.clamp(0.0, w), view.center.y.clamp(-h, 0.0));
    if clamped != view.center {
        view.center = clamped;
    }
}

/// Points the camera at the view, and keeps the view's size in step with
/// the screen's.
fn follow_view(
    mut view: ResMut<MapView>,
    mut cameras: Query<(&Camera, &mut Transform, &mut Projection), With<UiCamera>>,
) {
    let Ok((camera, mut transform, mut projection)) = cameras.single_mut() else {
        return;
    };
    if let Some(size) = camera.logical_viewport_size()
        && size != view.viewport
    {
        view.viewport = size;
    }
    // Whole screen pixels: tiles stay crisp with nearest sampling. Written
    // only when different, so a still view costs no change detection.
    let snapped = (view.center * view.zoom).round() / view.zoom;
    if transform.translation.truncate() != snapped {
        transform.translation.x = snapped.x;
        transform.translation.y = snapped.y;
    }
    let scale = 1.0 / view.zoom;
    if let Projection::Orthographic(ortho) = projection.bypass_change_detection()
        && ortho.scale != scale
    {
        ortho.scale = scale;
        projection.set_changed();
    }
}

/// Other screens draw only panels: put the camera back where it was.
fn reset_camera(mut cameras: Query<(&mut Transform, &mut Projection), With<UiCamera>>) {
    for (mut transform, mut projection) in &mut cameras {
        transform.translation = Vec3::ZERO;
        if let Projection::Orthographic(ortho) = &mut *projection {
            ortho.scale = 1.0;
        }
    }
}
