//! The RideWire app: a Bevy client whose panels are drawn with egui.
//!
//! Each feature is a plugin in its own module; [`ClientPlugin`] puts them
//! together. [`build`] makes the whole app, for a window or for off-screen
//! capture ([`capture`]).

pub mod browse;
pub mod capture;
pub mod commands;
pub mod data;
pub mod diagnostics;
pub mod garage;
pub mod home;
pub mod leaderboard;
pub mod overworld;
pub mod photo;
pub mod player;
pub mod position;
pub mod quests;
pub mod scan;
pub mod screens;
pub mod settings;
pub mod shared;
pub mod sync;
pub mod theme;
pub mod toasts;
pub mod workshop;
pub mod workshops;

use std::path::PathBuf;
use std::time::Duration;

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::settings::{Backends, RenderCreation, WgpuSettings};
use bevy::window::{ExitCondition, MonitorSelection, WindowMode, WindowResolution};
use bevy::winit::WinitPlugin;
use bevy_egui::{EguiGlobalSettings, EguiPlugin, EguiPrimaryContextPass, PrimaryEguiContext};

pub use screens::Screen;

/// Order of the app's own work within `Update`.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppSystems {
    /// Screen changes asked for last frame.
    Navigate,
    /// Rider actions become events.
    Record,
}

/// Order of UI drawing within egui's pass.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UiSystems {
    /// Navigation bar and other chrome around the screen.
    Chrome,
    /// The current screen's content.
    Screen,
}

/// Marks the camera that egui draws the panels with.
#[derive(Component, Debug)]
pub struct UiCamera;

/// Every feature of the app. Needs Bevy's rendering plugins (see [`build`]).
#[derive(Debug, Default)]
pub struct ClientPlugin;

impl Plugin for ClientPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(EguiPlugin::default())
            .insert_resource(EguiGlobalSettings {
                auto_create_primary_context: false,
                ..default()
            })
            .insert_resource(ClearColor(Color::srgb_u8(0x14, 0x16, 0x1a)))
            .configure_sets(Update, (AppSystems::Navigate, AppSystems::Record).chain())
            .configure_sets(
                EguiPrimaryContextPass,
                (UiSystems::Chrome, UiSystems::Screen).chain(),
            )
            .add_systems(Startup, spawn_ui_camera);
        screens::plugin(app);
        player::plugin(app);
        settings::plugin(app);
        home::plugin(app);
        quests::plugin(app);
        diagnostics::plugin(app);
        scan::plugin(app);
        sync::plugin(app);
        data::plugin(app);
        garage::plugin(app);
        leaderboard::plugin(app);
        overworld::plugin(app);
        photo::plugin(app);
        position::plugin(app);
        toasts::plugin(app);
        workshop::plugin(app);
        workshops::plugin(app);
    }
}

/// The features that need no window, renderer or egui: the rider's data,
/// recording, diagnosis runs and sync. Headless tests drive the app through
/// these with `MinimalPlugins`; [`ClientPlugin`] adds the screens on top.
pub fn headless_features(app: &mut App) {
    app.configure_sets(Update, (AppSystems::Navigate, AppSystems::Record).chain());
    player::plugin(app);
    diagnostics::add_runs(app);
    sync::plugin(app);
    data::plugin(app);
    garage::plugin(app);
    leaderboard::add_boards(app);
}

fn spawn_ui_camera(mut commands: Commands, capture: Option<Res<capture::CaptureTarget>>) {
    let mut camera = commands.spawn((UiCamera, Camera2d, PrimaryEguiContext));
    if let Some(target) = capture::retarget(capture) {
        camera.insert(target);
    }
}

/// How to run the app.
#[derive(Debug, Clone)]
pub struct Options {
    /// Render off-screen and save this PNG instead of opening a window.
    pub screenshot: Option<PathBuf>,
    /// The screen to open on.
    pub screen: Screen,
    /// Window or picture size in pixels.
    pub size: UVec2,
    /// Where the rider's data comes from.
    pub data: player::DataSource,
    /// The scanner's camera for this run, over the one saved in Settings.
    pub camera: Option<scan::CameraChoice>,
    /// With a screenshot of the Map: the node (1-based, as numbered on the
    /// map) whose panel is open in the picture.
    pub open_node: Option<u32>,
    /// Where gpsd listens, for location proofs and where a photo was
    /// taken [default: 127.0.0.1:2947].
    pub gpsd: Option<String>,
    /// Open the scanner to take a photo for this quest.
    pub photo_for: Option<ridewire_engine::quest::QuestId>,
    /// Run as a workshop terminal: a kiosk (no window decorations,
    /// fullscreen, the touch layout) opening on the Board.
    pub workshop: bool,
    /// The clock to draw with (a screenshot as at a given time); the
    /// system's when `None`.
    pub clock: Option<player::Clock>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            screenshot: None,
            screen: Screen::Home,
            size: UVec2::new(1280, 720),
            data: player::DataSource::Demo,
            camera: None,
            open_node: None,
            gpsd: None,
            photo_for: None,
            workshop: false,
            clock: None,
        }
    }
}

/// Models, overlay packs and the AR demo recording load from the app's
/// assets folder (see [`scan::assets_root`]).
fn assets() -> AssetPlugin {
    AssetPlugin {
        file_path: scan::assets_root().to_string_lossy().into_owned(),
        ..default()
    }
}

/// With `RIDEWIRE_REPORT_FIRST_FRAME` set, says on standard output when the
/// first frame is on screen (`cargo xtask bench startup` times it): at the
/// end of the third update, the first frame has been rendered and
/// presented (rendering runs one frame behind the app's update).
fn report_first_frame(frames: Res<bevy::diagnostic::FrameCount>, mut told: Local<bool>) {
    if !*told && frames.0 >= 2 {
        *told = true;
        println!("ridewire: first frame presented");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
    }
}

/// Builds the app for a window or, with [`Options::screenshot`], for
/// off-screen capture (no display needed).
pub fn build(options: &Options) -> App {
    let mut app = App::new();
    let render = RenderPlugin {
        render_creation: RenderCreation::Automatic(Box::new(WgpuSettings {
            // Vulkan everywhere but Apple (Metal) and the web.
            backends: Some(Backends::VULKAN | Backends::METAL),
            ..default()
        })),
        synchronous_pipeline_compilation: options.screenshot.is_some(),
        ..default()
    };
    match &options.screenshot {
        Some(path) => {
            app.add_plugins(
                DefaultPlugins
                    .set(WindowPlugin {
                        primary_window: None,
                        exit_condition: ExitCondition::DontExit,
                        ..default()
                    })
                    .set(render)
                    .set(assets())
                    .disable::<WinitPlugin>(),
            )
            .add_plugins(ScheduleRunnerPlugin::run_loop(Duration::from_millis(1)))
            .insert_resource(capture::CaptureRequest {
                path: path.clone(),
                size: options.size,
            });
            capture::plugin(&mut app);
        }
        None => {
            app.add_plugins(
                DefaultPlugins
                    .set(WindowPlugin {
                        primary_window: Some(Window {
                            title: "RideWire".into(),
                            resolution: WindowResolution::new(options.size.x, options.size.y),
                            // A terminal's kiosk: the whole screen, no chrome.
                            decorations: !options.workshop,
                            mode: if options.workshop {
                                WindowMode::BorderlessFullscreen(MonitorSelection::Current)
                            } else {
                                WindowMode::Windowed
                            },
                            ..default()
                        }),
                        ..default()
                    })
                    .set(render)
                    .set(assets()),
            );
            if std::env::var_os("RIDEWIRE_REPORT_FIRST_FRAME").is_some() {
                app.add_systems(Last, report_first_frame);
            }
        }
    }
    app.insert_resource(options.data.clone())
        .insert_resource(shared::Kiosk(options.workshop))
        .insert_resource(options.clock.unwrap_or_default())
        .add_plugins(ClientPlugin)
        .insert_resource(scan::CameraOverride(options.camera))
        .insert_state(options.screen);
    if let Some(node) = options.open_node {
        app.insert_resource(overworld::OpenNode(node));
    }
    if let Some(quest) = options.photo_for.clone() {
        app.add_systems(Startup, move |mut asks: MessageWriter<photo::PhotoAsk>| {
            asks.write(photo::PhotoAsk::Camera(quest.clone()));
        });
    }
    if let Some(at) = &options.gpsd {
        app.insert_resource(position::GpsdAt(at.clone()));
    }
    app
}
