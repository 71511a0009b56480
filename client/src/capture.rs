//! Off-screen rendering: draw a screen into an image instead of a window,
//! save it as PNG once the frame is complete, and exit. This is how tests and
//! people without a display get pictures of the app.

use std::path::PathBuf;

use bevy::camera::RenderTarget;
use bevy::diagnostic::FrameCount;
use bevy::prelude::*;
use bevy::render::render_resource::{PipelineCache, TextureFormat};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::{ExtractSchedule, MainWorld, RenderApp};

use crate::UiCamera;

/// Frames that must pass with every render pipeline compiled before the
/// picture is taken (egui also needs a frame or two to lay itself out).
const SETTLE_FRAMES: u32 = 5;
/// Give up when the picture has not been taken after this many frames.
const GIVE_UP_FRAMES: u32 = 1_200;

/// Where to save the picture, and how big it is.
#[derive(Resource, Debug, Clone)]
pub struct CaptureRequest {
    pub path: PathBuf,
    pub size: UVec2,
}

/// Plugin for off-screen capture; add it with a [`CaptureRequest`] resource.
pub fn plugin(app: &mut App) {
    app.init_resource::<PipelinesReady>()
        .init_resource::<CaptureState>()
        .add_systems(PreStartup, make_target)
        .add_systems(Update, (request_screenshot, exit_when_saved).chain());
    if let Some(render) = app.get_sub_app_mut(RenderApp) {
        render.add_systems(ExtractSchedule, report_pipelines);
    }
}

/// While any entity carries this, the picture waits (e.g. models still
/// loading): a screenshot shows the screen as a user would see it settled.
#[derive(Component, Debug, Default)]
pub struct HoldCapture;

/// The image the UI camera renders into.
#[derive(Resource, Debug, Clone)]
pub struct CaptureTarget(pub Handle<Image>);

#[derive(Resource, Default)]
struct PipelinesReady(bool);

#[derive(Resource, Default, Debug)]
enum CaptureState {
    #[default]
    Rendering,
    Settling(u32),
    Requested,
    Saved,
    Failed(String),
}

fn make_target(
    mut commands: Commands,
    mut images: ResMut<Assets<Image>>,
    request: Res<CaptureRequest>,
) {
    let image = Image::new_target_texture(
        request.size.x,
        request.size.y,
        TextureFormat::Rgba8UnormSrgb,
        None,
    );
    commands.insert_resource(CaptureTarget(images.add(image)));
}

/// Points the UI camera at the capture image (runs when it is spawned).
pub(crate) fn retarget(target: Option<Res<CaptureTarget>>) -> Option<RenderTarget> {
    target.map(|t| RenderTarget::Image(t.0.clone().into()))
}

fn report_pipelines(mut main_world: ResMut<MainWorld>, cache: Res<PipelineCache>) {
    if let Some(mut ready) = main_world.get_resource_mut::<PipelinesReady>() {
        ready.0 = cache.waiting_pipelines().count() == 0;
    }
}

#[allow(clippy::too_many_arguments)]
fn request_screenshot(
    mut commands: Commands,
    mut state: ResMut<CaptureState>,
    ready: Res<PipelinesReady>,
    frames: Res<FrameCount>,
    target: Res<CaptureTarget>,
    request: Res<CaptureRequest>,
    cameras: Query<(), With<UiCamera>>,
    holds: Query<(), With<HoldCapture>>,
) {
    let settled = ready.0 && frames.0 >= 3 && !cameras.is_empty() && holds.is_empty();
    *state = match *state {
        CaptureState::Rendering | CaptureState::Settling(_) if !settled => CaptureState::Rendering,
        CaptureState::Rendering => CaptureState::Settling(1),
        CaptureState::Settling(n) if n < SETTLE_FRAMES => CaptureState::Settling(n + 1),
        CaptureState::Settling(_) => {
            let path = request.path.clone();
            commands.spawn(Screenshot::image(target.0.clone())).observe(
                move |captured: On<ScreenshotCaptured>, mut state: ResMut<CaptureState>| {
                    *state = match save_png(&captured.image, &path) {
                        Ok(()) => CaptureState::Saved,
                        Err(e) => CaptureState::Failed(e),
                    };
                },
            );
            CaptureState::Requested
        }
        _ => return,
    };
}

fn save_png(image: &Image, path: &std::path::Path) -> Result<(), String> {
    let picture = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| format!("captured frame has an unusable format: {e}"))?
        .to_rgba8();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    picture
        .save(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn exit_when_saved(
    state: Res<CaptureState>,
    frames: Res<FrameCount>,
    request: Res<CaptureRequest>,
    mut exit: MessageWriter<AppExit>,
) {
    match &*state {
        CaptureState::Saved => {
            info!("saved {}", request.path.display());
            exit.write(AppExit::Success);
        }
        CaptureState::Failed(e) => {
            error!("screenshot failed: {e}");
            exit.write(AppExit::error());
        }
        _ if frames.0 > GIVE_UP_FRAMES => {
            error!("screenshot failed: the frame was not complete after {GIVE_UP_FRAMES} frames");
            exit.write(AppExit::error());
        }
        _ => {}
    }
}
