//! Which picture the scanner shows, and starting a camera without stalling
//! the app: the camera opens and streams on a thread of its own; the screen
//! says "Opening the camera…" until its first frame, and falls back to the
//! demo recording, saying why, when there is no camera or it gives no
//! picture in time.

use std::time::Duration;

use bevy::prelude::*;
use ridewire_app::scan::{HostCamera, Session};
use ridewire_ar::frames::{Frame, FrameSource, InBackground, Next, Webcam, WebcamSettings};
use ridewire_ar::overlay::OverlayPack;
use ridewire_ar::pose::Intrinsics;

use super::{ScanProblem, ScanSession, open_demo};
use crate::capture::HoldCapture;
use crate::screens::Screen;
use crate::shared::CameraChoice;

/// How long a camera may take to deliver its first frame.
pub const CAMERA_START_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a camera streaming on its own thread. The app uses the webcam;
/// tests put a recorded sequence behind it.
#[derive(Resource, Clone, Copy)]
pub struct CameraDriver(pub fn(WebcamSettings) -> ridewire_ar::Result<InBackground>);

impl Default for CameraDriver {
    fn default() -> Self {
        CameraDriver(|settings| {
            InBackground::spawn("ridewire-camera", move || Webcam::open(&settings))
        })
    }
}

/// The phone's camera, which the native host feeds through the bindings
/// (on a phone they are one library with the app). Tests put their own
/// behind it.
#[derive(Resource, Clone)]
pub struct HostFeed(pub HostCamera);

impl Default for HostFeed {
    fn default() -> Self {
        HostFeed(HostCamera::shared())
    }
}

/// The name the phone's camera goes by on screen.
pub const PHONE_CAMERA: &str = "Phone camera";

/// A camera that was asked for and has not delivered its first frame yet.
#[derive(Resource)]
pub struct CameraStarting {
    source: Box<dyn FrameSource + Send + Sync>,
    /// "Camera 0 (name)".
    pub name: String,
    /// The camera's own calibration, when its host gave one.
    calibration: Option<Intrinsics>,
    choice: CameraChoice,
    pack: OverlayPack,
    waited: Duration,
    frame: Frame,
}

/// Keeps a screenshot from being taken while the camera starts.
#[derive(Component)]
struct StartingHold;

/// A readable name for camera `device`: its number and what the system
/// calls it.
fn camera_name(device: u32) -> String {
    let listed = Webcam::list()
        .ok()
        .and_then(|cameras| cameras.into_iter().find(|c| c.device == device));
    match listed {
        Some(camera) => format!("Camera {device} ({})", camera.name),
        None => format!("Camera {device}"),
    }
}

/// Starts the chosen source: the demo session at once, or a camera that
/// [`await_camera`] turns into a session when its first frame arrives.
pub(super) fn start(
    commands: &mut Commands,
    choice: CameraChoice,
    size: (u32, u32),
    capturing: bool,
    pack: OverlayPack,
    driver: CameraDriver,
    host: &HostFeed,
) {
    let device = match choice {
        // Screenshots stay repeatable: the demo unless a camera is named.
        CameraChoice::Auto if capturing => None,
        CameraChoice::Auto => Some(0),
        CameraChoice::Device(n) => Some(n),
        CameraChoice::Demo => None,
        CameraChoice::Phone => {
            // The host's frames are already streaming (or will be): read
            // them like any camera that has yet to deliver its first.
            waiting_for(
                commands,
                Box::new(host.0.reader()),
                PHONE_CAMERA.to_owned(),
                host.0.calibration(),
                choice,
                pack,
            );
            return;
        }
    };
    let Some(device) = device else {
        insert_session(commands, open_demo(pack, None));
        return;
    };
    let settings = WebcamSettings {
        device,
        width: size.0,
        height: size.1,
        ..WebcamSettings::default()
    };
    match (driver.0)(settings) {
        Ok(source) => waiting_for(
            commands,
            Box::new(source),
            camera_name(device),
            None,
            choice,
            pack,
        ),
        Err(e) => {
            let why = fallback_reason(choice, &e.to_string());
            insert_session(commands, open_demo(pack, Some(why)));
        }
    }
}

/// Waits for `source`'s first frame (see [`await_camera`]).
fn waiting_for(
    commands: &mut Commands,
    source: Box<dyn FrameSource + Send + Sync>,
    name: String,
    calibration: Option<Intrinsics>,
    choice: CameraChoice,
    pack: OverlayPack,
) {
    commands.spawn((StartingHold, HoldCapture, DespawnOnExit(Screen::Scan)));
    commands.insert_resource(CameraStarting {
        source,
        name,
        calibration,
        choice,
        pack,
        waited: Duration::ZERO,
        frame: Frame::default(),
    });
}

fn insert_session(commands: &mut Commands, session: Result<ScanSession, ridewire_app::Error>) {
    match session {
        Ok(session) => commands.insert_resource(session),
        Err(e) => commands.insert_resource(ScanProblem(e.to_string())),
    }
}

/// What the rider is told when the demo plays instead of the camera.
fn fallback_reason(choice: CameraChoice, error: &str) -> String {
    match choice {
        CameraChoice::Auto => format!("Showing the demo recording: no camera to use ({error})"),
        CameraChoice::Phone => format!(
            "Showing the demo recording: the phone's camera sent no picture ({error}); \
             check that RideWire may use the camera"
        ),
        _ => format!("Showing the demo recording: the camera did not start ({error})"),
    }
}

/// Waits for the camera's first frame without blocking a frame of the app.
/// Exclusive, so the finished start-up state can be taken by value.
pub(super) fn await_camera(world: &mut World) {
    let delta = world.resource::<Time>().delta();
    let Some(mut starting) = world.get_resource_mut::<CameraStarting>() else {
        return;
    };
    starting.waited += delta;
    let starting = &mut *starting;
    let failure = match starting.source.next_frame(&mut starting.frame) {
        Ok(Next::Waiting) if starting.waited < CAMERA_START_TIMEOUT => return,
        Ok(Next::Frame) => None,
        Ok(Next::Waiting) => Some(format!(
            "{} gave no picture within {} s",
            starting.name,
            CAMERA_START_TIMEOUT.as_secs()
        )),
        Ok(Next::Ended) => Some(format!("{} closed before its first frame", starting.name)),
        Err(e) => Some(e.to_string()),
    };
    let Some(starting) = world.remove_resource::<CameraStarting>() else {
        return;
    };
    let holds: Vec<Entity> = world
        .query_filtered::<Entity, With<StartingHold>>()
        .iter(world)
        .collect();
    for hold in holds {
        world.despawn(hold);
    }
    let session = match failure {
        None => Session::live(
            starting.source,
            starting.name,
            starting.pack,
            starting.frame,
            starting.calibration,
        )
        .map(ScanSession::from),
        Some(why) => open_demo(starting.pack, Some(fallback_reason(starting.choice, &why))),
    };
    match session {
        Ok(session) => world.insert_resource(session),
        Err(e) => world.insert_resource(ScanProblem(e.to_string())),
    }
}
