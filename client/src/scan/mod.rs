//! The AR scanner: the camera image fills the screen, the printed marker on
//! the bike's frame anchors 3D models of its components, the components of
//! an approved diagnosis pulse red, and tapping one opens its details.
//!
//! Data flow per frame: frame source → (new frame only) texture update and
//! tracker → the marker's pose → one anchor transform that carries every
//! component. With no camera the screen replays the demo recording
//! (`assets/ar/demo`), so it works everywhere, tests included. Leaving the
//! screen after the marker was in view for a second records an `ArScan`.

use std::ops::{Deref, DerefMut};

use bevy::asset::RenderAssetUsages;
use bevy::camera::{ClearColorConfig, SubCameraView, Viewport};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::picking::mesh_picking::MeshPickingPlugin;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::world_serialization::WorldInstanceReady;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::scan::{Session, pack_for};
use ridewire_ar::frames::Frame;
use ridewire_ar::overlay::OverlayPack;
use ridewire_ar::pose::{Intrinsics, Pose};

use crate::capture::{CaptureTarget, HoldCapture, retarget};
use crate::player::{Player, RecordEvent};
use crate::screens::{ContentArea, Screen};
use crate::shared::ApprovedHighlights;
use crate::{UiCamera, UiSystems, theme};

mod camera;
mod highlight;
mod hud;
#[cfg(test)]
mod tests;

pub use crate::shared::{CAMERA_SIZES, CameraChoice, CameraOverride};
pub use camera::{CAMERA_START_TIMEOUT, CameraDriver, CameraStarting, HostFeed, PHONE_CAMERA};
use highlight::{model_ready, pulse_highlights, tapped};
use hud::draw_overlay;
pub use hud::view_rect;
pub use ridewire_app::scan::{DEFAULT_FOV_DEG, DEMO_FPS, assets_root};

pub(super) fn plugin(app: &mut App) {
    if !app.is_plugin_added::<MeshPickingPlugin>() {
        app.add_plugins(MeshPickingPlugin);
    }
    app.init_resource::<SelectedComponent>()
        .init_resource::<CameraOverride>()
        .init_resource::<CameraDriver>()
        .init_resource::<HostFeed>()
        .add_systems(OnExit(Screen::Scan), close_scan)
        .add_systems(
            Update,
            (
                // In Update rather than OnEnter: the first screen is entered
                // before Startup has made the UI camera and capture target.
                open_scan.run_if(
                    not(resource_exists::<ScanSession>)
                        .and_then(not(resource_exists::<ScanProblem>))
                        .and_then(not(resource_exists::<CameraStarting>)),
                ),
                camera::await_camera.run_if(resource_exists::<CameraStarting>),
                build_view.run_if(resource_exists::<ScanSession>.and_then(view_missing)),
                (next_frame, place_anchor, pulse_highlights)
                    .chain()
                    .run_if(resource_exists::<ScanSession>),
            )
                .chain()
                .run_if(in_state(Screen::Scan)),
        )
        .add_systems(
            EguiPrimaryContextPass,
            draw_overlay
                .in_set(UiSystems::Screen)
                .run_if(in_state(Screen::Scan)),
        );
}

/// Distance of the camera-image backdrop in front of the 3D camera, metres.
const BACKDROP_M: f32 = 40.0;

/// The scanner while its screen is open: the app layer's scan session
/// (frames, the tracked marker, the scan it earns) and what the screen adds
/// to it (the camera image as a texture, the 3D view).
#[derive(Resource)]
pub struct ScanSession {
    scan: Session,
    /// Whether the 3D view has been set up for this session.
    view_ready: bool,
    image: Handle<Image>,
    /// Capture mode: keep the first frame so pictures are repeatable.
    hold_first_frame: bool,
}

impl Deref for ScanSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.scan
    }
}

impl DerefMut for ScanSession {
    fn deref_mut(&mut self) -> &mut Session {
        &mut self.scan
    }
}

impl From<Session> for ScanSession {
    fn from(scan: Session) -> Self {
        ScanSession {
            scan,
            view_ready: false,
            image: Handle::default(),
            hold_first_frame: false,
        }
    }
}

impl ScanSession {
    /// Opens the demo recording for the bundled pack of `vehicle`.
    pub fn demo(vehicle: &str) -> Result<Self, ridewire_app::Error> {
        let root = assets_root();
        let chosen = pack_for(&root, vehicle, None)?;
        Ok(Session::demo(&root, chosen.pack, None)?.into())
    }

    /// The camera image's size, pixels.
    pub fn image_size(&self) -> UVec2 {
        UVec2::from(self.scan.frame_size)
    }
}

/// The component the rider tapped.
#[derive(Resource, Debug, Default, Clone, PartialEq, Eq)]
pub struct SelectedComponent(pub Option<String>);

/// Marks the 3D camera of the scanner.
#[derive(Component, Debug)]
pub struct ScanCamera;

/// The marker's place in the 3D view; components hang below it.
#[derive(Component, Debug)]
pub struct MarkerAnchor;

/// One component's overlay.
#[derive(Component, Debug, Clone)]
pub struct Overlay {
    /// Component id.
    pub id: String,
    /// Whether an approved diagnosis names it.
    pub highlighted: bool,
}

/// The demo recording as a session; `fallback` says why it plays instead
/// of a camera.
pub(crate) fn open_demo(
    pack: OverlayPack,
    fallback: Option<String>,
) -> Result<ScanSession, ridewire_app::Error> {
    Ok(Session::demo(&assets_root(), pack, fallback)?.into())
}

/// Opens the scanner: the latest approved diagnosis, the bike's pack and
/// the chosen picture source.
#[allow(clippy::too_many_arguments)]
fn open_scan(
    mut commands: Commands,
    player: Option<Res<Player>>,
    mut highlights: ResMut<ApprovedHighlights>,
    capture: Option<Res<CaptureTarget>>,
    settings: Res<crate::shared::Settings>,
    camera_override: Res<CameraOverride>,
    driver: Res<CameraDriver>,
    host: Res<HostFeed>,
    mut ui_cameras: Query<&mut Camera, With<UiCamera>>,
    bay_bike: Option<Res<crate::shared::BayBike>>,
) {
    // The panels draw over the 3D view instead of clearing it.
    for mut camera in &mut ui_cameras {
        camera.clear_color = ClearColorConfig::None;
    }
    // A terminal's camera scans the bike in its bay.
    let in_bay = bay_bike.and_then(|b| b.0.clone());
    let vehicle = match &in_bay {
        Some(in_bay) => in_bay
            .model_key
            .clone()
            .unwrap_or_else(|| "unknown-bike".to_owned()),
        None => player.as_ref().map_or_else(
            || "harley-street-750-2022".to_owned(),
            |p| p.vehicle.model_key.to_string(),
        ),
    };
    if in_bay.is_some() && *highlights != ApprovedHighlights::default() {
        // The account's own diagnoses are not about the customer's bike.
        *highlights = ApprovedHighlights::default();
    }
    // The newest run about this bike lights its parts: not one about
    // another bike in the garage.
    if let Some(player) = player.as_ref().filter(|_| in_bay.is_none()) {
        match ridewire_app::diagnosis::of_current_bike(player, 1) {
            Ok(runs) => {
                // A mechanic's review of an escalated run, pulled since,
                // lights it as an approval does.
                let lit = runs
                    .first()
                    .map_or_else(ApprovedHighlights::default, |latest| {
                        let review = ridewire_app::diagnosis::review_of(player, latest.id);
                        ApprovedHighlights::of_record(latest, review)
                    });
                if *highlights != lit {
                    *highlights = lit;
                }
            }
            Err(e) => error!("could not read this bike's diagnoses: {e}"),
        }
    }
    let from_server = player
        .as_ref()
        .and_then(|p| p.cached_overlay_pack(&vehicle));
    let pack = match pack_for(&assets_root(), &vehicle, from_server) {
        Ok(chosen) => {
            if let Some(why) = chosen.passed_over {
                warn!("{why}");
            }
            let mut pack = chosen.pack;
            if let Some(in_bay) = &in_bay {
                if pack.components.is_empty() {
                    pack.name = in_bay
                        .bike
                        .clone()
                        .unwrap_or_else(|| format!("{}'s bike", in_bay.customer));
                }
            } else if pack.components.is_empty()
                && let Some(p) = &player
            {
                let v = &p.vehicle;
                pack.name = format!("{} {} ({})", v.make, v.model, v.year);
            }
            pack
        }
        Err(e) => {
            commands.insert_resource(ScanProblem(e.to_string()));
            return;
        }
    };
    let choice = camera_override.0.unwrap_or(settings.camera);
    let size = settings.camera_size;
    camera::start(
        &mut commands,
        choice,
        size,
        capture.is_some(),
        pack,
        *driver,
        &host,
    );
}

/// The marker's outline and its axes (x red, y green, z blue, out of the
/// marker), a marker side long: what a bike without a model set shows.
fn marker_axes(
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
    anchor: Entity,
    side: f32,
) {
    let bar = side * 0.06;
    let mut paint = |colour: Color| {
        materials.add(StandardMaterial {
            base_color: colour,
            unlit: true,
            ..default()
        })
    };
    let (red, green, blue, white) = (
        paint(Color::srgb(0.95, 0.2, 0.15)),
        paint(Color::srgb(0.2, 0.85, 0.3)),
        paint(Color::srgb(0.2, 0.45, 1.0)),
        paint(Color::srgb(1.0, 0.8, 0.2)),
    );
    let half = side / 2.0;
    let parts = [
        (Vec3::new(side, bar, bar), Vec3::new(half, 0.0, 0.0), red),
        (Vec3::new(bar, side, bar), Vec3::new(0.0, half, 0.0), green),
        (Vec3::new(bar, bar, side), Vec3::new(0.0, 0.0, half), blue),
        (
            Vec3::new(side, bar, bar),
            Vec3::new(0.0, half, 0.0),
            white.clone(),
        ),
        (
            Vec3::new(side, bar, bar),
            Vec3::new(0.0, -half, 0.0),
            white.clone(),
        ),
        (
            Vec3::new(bar, side, bar),
            Vec3::new(half, 0.0, 0.0),
            white.clone(),
        ),
        (Vec3::new(bar, side, bar), Vec3::new(-half, 0.0, 0.0), white),
    ];
    for (size, at, material) in parts {
        commands.spawn((
            Mesh3d(meshes.add(Cuboid::from_size(size))),
            MeshMaterial3d(material),
            Transform::from_translation(at),
            Pickable::IGNORE,
            ChildOf(anchor),
        ));
    }
}

fn view_missing(session: Res<ScanSession>) -> bool {
    !session.view_ready
}

/// Sets up the 3D view for a session: the camera image as the backdrop of
/// a 3D camera with the intrinsics' projection, and the pack's components
/// under the marker anchor.
#[allow(clippy::too_many_arguments)]
fn build_view(
    mut commands: Commands,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    assets: Res<AssetServer>,
    highlights: Res<ApprovedHighlights>,
    capture: Option<Res<CaptureTarget>>,
    mut session: ResMut<ScanSession>,
) {
    session.view_ready = true;
    session.hold_first_frame = capture.is_some();
    let size = session.image_size();
    let (w, h) = (size.x, size.y);
    let intrinsics = session.intrinsics;
    let mut picture = Image::new_fill(
        Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[0, 0, 0, 255],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD | RenderAssetUsages::MAIN_WORLD,
    );
    copy_frame(session.frame(), &mut picture);
    let image = images.add(picture);
    session.image = image.clone();
    let pack = session.pack.clone();

    let lens = Lens::of(&intrinsics, size);
    let mut camera = commands.spawn((
        ScanCamera,
        Camera3d::default(),
        // The camera image shows as the camera took it: a tone curve would
        // dim its bright parts (a white wall came out 13% darker).
        Tonemapping::None,
        Camera {
            order: -1,
            clear_color: ClearColorConfig::Custom(Color::BLACK),
            sub_camera_view: Some(lens.sub_view),
            ..default()
        },
        Projection::Perspective(PerspectiveProjection {
            fov: lens.fov_y,
            aspect_ratio: lens.sub_view.full_size.x as f32 / lens.sub_view.full_size.y as f32,
            near: 0.02,
            far: 100.0,
            ..default()
        }),
        Transform::IDENTITY,
        DespawnOnExit(Screen::Scan),
    ));
    if let Some(target) = retarget(capture) {
        camera.insert(target);
    }
    camera.with_children(|c| {
        c.spawn((
            Mesh3d(meshes.add(Rectangle::new(lens.backdrop_size.x, lens.backdrop_size.y))),
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color_texture: Some(image.clone()),
                unlit: true,
                ..default()
            })),
            Transform::from_translation(lens.backdrop_centre),
            Pickable::IGNORE,
        ));
        c.spawn((
            DirectionalLight {
                illuminance: 4_000.0,
                ..default()
            },
            Transform::from_xyz(0.5, 1.0, 0.5).looking_at(Vec3::new(0.0, 0.0, -1.0), Vec3::Y),
        ));
    });
    commands.insert_resource(GlobalAmbientLight {
        color: Color::WHITE,
        brightness: 250.0,
        ..default()
    });

    let anchor = commands
        .spawn((
            MarkerAnchor,
            Transform::IDENTITY,
            Visibility::Hidden,
            DespawnOnExit(Screen::Scan),
        ))
        .id();
    if pack.components.is_empty() {
        marker_axes(
            &mut commands,
            &mut meshes,
            &mut materials,
            anchor,
            pack.marker.size_m as f32,
        );
    }
    for component in &pack.components {
        let highlighted = highlights.components.iter().any(|c| c == &component.id);
        let [x, y, z] = component.translation.map(|v| v as f32);
        let [qx, qy, qz, qw] = component.rotation.map(|v| v as f32);
        let [sx, sy, sz] = component.scale.map(|v| v as f32);
        let scene = assets.load(GltfAssetLabel::Scene(0).from_asset(component.model.clone()));
        commands
            .spawn((
                Overlay {
                    id: component.id.clone(),
                    highlighted,
                },
                WorldAssetRoot(scene),
                Transform {
                    translation: Vec3::new(x, y, z),
                    rotation: Quat::from_xyzw(qx, qy, qz, qw).normalize(),
                    scale: Vec3::new(sx, sy, sz),
                },
                HoldCapture,
                ChildOf(anchor),
            ))
            .observe(model_ready)
            .observe(tapped);
    }
}

/// How the 3D camera matches the real one: the pinhole of the intrinsics,
/// with the principal point (cx, cy) wherever the calibration puts it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lens {
    /// Vertical field of view of the full (centred) view, radians.
    pub fov_y: f32,
    /// The image as a window into a larger view centred on the principal
    /// point: Bevy's perspective is always centred.
    pub sub_view: SubCameraView,
    /// The camera image's size at the backdrop's distance, metres.
    pub backdrop_size: Vec2,
    /// Where the backdrop's centre sits in the camera's space.
    pub backdrop_centre: Vec3,
}

impl Lens {
    /// Square pixels are assumed (fy for both axes).
    pub fn of(k: &Intrinsics, image: UVec2) -> Self {
        let (w, h) = (image.x as f64, image.y as f64);
        // Pixel centres sit at whole numbers: the principal point in the
        // image's continuous coordinates is half a pixel further.
        let (px, py) = (k.cx + 0.5, k.cy + 0.5);
        let half = (px.max(w - px), py.max(h - py));
        let full = UVec2::new(
            (2.0 * half.0).ceil().max(1.0) as u32,
            (2.0 * half.1).ceil().max(1.0) as u32,
        );
        let offset = Vec2::new(
            (f64::from(full.x) / 2.0 - px) as f32,
            (f64::from(full.y) / 2.0 - py) as f32,
        );
        let fov_y = 2.0 * ((f64::from(full.y) / 2.0) / k.fy).atan();
        let metres_per_px = f64::from(BACKDROP_M) / k.fy;
        Lens {
            fov_y: fov_y as f32,
            sub_view: SubCameraView {
                full_size: full,
                offset,
                size: image,
            },
            backdrop_size: Vec2::new((w * metres_per_px) as f32, (h * metres_per_px) as f32),
            backdrop_centre: Vec3::new(
                ((w / 2.0 - px) * metres_per_px) as f32,
                (-(h / 2.0 - py) * metres_per_px) as f32,
                -BACKDROP_M,
            ),
        }
    }
}

/// Why the scanner cannot run (shown instead of the view).
#[derive(Resource, Debug, Clone)]
pub struct ScanProblem(pub String);

/// Writes the frame into the RGBA texture, reusing its buffer: the colour
/// picture when the source has one (the demo recording, a webcam), else
/// the luma the tracker read, as grey.
fn copy_frame(frame: &Frame, image: &mut Image) {
    let (w, h) = (frame.image.width() as u32, frame.image.height() as u32);
    if image.width() != w || image.height() != h {
        image.resize(Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        });
    }
    let Some(data) = image.data.as_mut() else {
        return;
    };
    match &frame.colour {
        Some(colour) if colour.pixels().len() == data.len() => {
            data.copy_from_slice(colour.pixels());
        }
        _ => {
            for (rgba, luma) in data.chunks_exact_mut(4).zip(frame.image.pixels()) {
                rgba.copy_from_slice(&[*luma, *luma, *luma, 255]);
            }
        }
    }
}

fn next_frame(
    time: Res<Time>,
    mut session: ResMut<ScanSession>,
    mut images: ResMut<Assets<Image>>,
) {
    let session = &mut *session;
    if session.hold_first_frame {
        return;
    }
    // Nothing is copied without a new frame.
    if session.scan.advance(time.delta())
        && let Some(mut image) = images.get_mut(&session.image)
    {
        copy_frame(session.scan.frame(), &mut image);
    }
}

/// The marker's pose as a transform in the 3D view. OpenCV's camera has y
/// down and z forward; Bevy's looks down −z with y up: a half turn about x.
pub fn anchor_transform(pose: &Pose) -> Transform {
    let r = pose.rotation();
    let rows = r.map(|row| row.map(|v| v as f32));
    let opencv = Mat3::from_cols_array_2d(&rows).transpose();
    let flip = Mat3::from_diagonal(Vec3::new(1.0, -1.0, -1.0));
    let t = Vec3::new(
        pose.tvec[0] as f32,
        pose.tvec[1] as f32,
        pose.tvec[2] as f32,
    );
    Transform {
        translation: flip * t,
        rotation: Quat::from_mat3(&(flip * opencv)).normalize(),
        scale: Vec3::ONE,
    }
}

fn place_anchor(
    session: Res<ScanSession>,
    mut anchors: Query<(&mut Transform, &mut Visibility), With<MarkerAnchor>>,
) {
    for (mut transform, mut visibility) in &mut anchors {
        match &session.marker {
            Some(marker) => {
                *transform = anchor_transform(&marker.pose);
                *visibility = Visibility::Inherited;
            }
            None => *visibility = Visibility::Hidden,
        }
    }
}

fn close_scan(
    mut commands: Commands,
    mut ui_cameras: Query<&mut Camera, With<UiCamera>>,
    session: Option<Res<ScanSession>>,
    highlights: Res<ApprovedHighlights>,
    mut record: MessageWriter<RecordEvent>,
    mut selected: ResMut<SelectedComponent>,
) {
    selected.0 = None;
    for mut camera in &mut ui_cameras {
        camera.clear_color = ClearColorConfig::Default;
    }
    if let Some(scan) = session.and_then(|s| s.scan_event(highlights.diagnosis)) {
        record.write(RecordEvent(scan));
    }
    commands.remove_resource::<ScanSession>();
    commands.remove_resource::<ScanProblem>();
    commands.remove_resource::<CameraStarting>();
}
