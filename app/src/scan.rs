//! The scan session: frames from a camera or a recording, the bike's marker
//! tracked in them, how long it has been in view, and the scan it earns. The
//! scanner screen draws it and places the overlay; the phones' bindings will
//! drive the same session. No Bevy.
//!
//! A recording keeps its own pace against the caller's clock
//! ([`Session::advance`] with the time since the last call), so a replay is
//! repeatable; a camera's frames are tracked on a thread of their own
//! ([`TrackingThread`]) and the newest result is taken, so detection never
//! holds up the caller's frame loop.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use ridewire_ar::frames::{Frame, FrameSource, Next, Replay};
use ridewire_ar::live::TrackingThread;
use ridewire_ar::overlay::OverlayPack;
use ridewire_ar::pose::Intrinsics;
use ridewire_ar::{TrackedMarker, Tracker, TrackerSettings};
use ridewire_engine::event::EventKind;
use ridewire_engine::vehicle::ModelKey;
use uuid::Uuid;

use crate::{Error, Result};

/// Frames a second the demo recording was made at.
pub const DEMO_FPS: f64 = 12.0;
/// Horizontal field of view assumed without a calibration file.
pub const DEFAULT_FOV_DEG: f64 = 60.0;
/// Seconds the marker must be in view for a visit to count as a scan.
pub const MIN_SCAN_SECONDS: f32 = 1.0;
/// The name the demo recording goes by on screen.
pub const DEMO_NAME: &str = "Demo recording";

/// The assets folder a phone app unpacked its assets to (see
/// [`use_assets_root`]).
static ASSETS_ROOT: OnceLock<PathBuf> = OnceLock::new();

/// Sets where the app's assets are for the rest of the process: a phone
/// app's files folder, where its host unpacks them from the package (an APK
/// or app bundle has no folder of its own to read). The first call wins;
/// `false` when it was set already.
pub fn use_assets_root(dir: PathBuf) -> bool {
    ASSETS_ROOT.set(dir).is_ok()
}

/// Where the app's assets are: the folder [`use_assets_root`] set, else
/// `RIDEWIRE_ASSETS`, else `assets` next to the executable, else the
/// checkout's `assets` (running from source).
pub fn assets_root() -> PathBuf {
    if let Some(dir) = ASSETS_ROOT.get() {
        return dir.clone();
    }
    if let Some(dir) = std::env::var_os("RIDEWIRE_ASSETS").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("assets")))
        .filter(|d| d.join("overlays").is_dir());
    beside_exe.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets"))
}

/// Camera intrinsics for a `width`×`height` picture: a calibration file
/// named by `RIDEWIRE_CAMERA_CALIBRATION`, else a default from the field of
/// view.
pub fn intrinsics_for(width: u32, height: u32) -> Result<Intrinsics> {
    let read = match std::env::var_os("RIDEWIRE_CAMERA_CALIBRATION") {
        Some(path) => Intrinsics::load(Path::new(&path)),
        None => Intrinsics::from_fov(width as usize, height as usize, DEFAULT_FOV_DEG),
    };
    read.map_err(|source| Error::Camera {
        what: "camera calibration",
        source,
    })
}

/// The overlay pack chosen for a bike.
#[derive(Debug, Clone)]
pub struct ChosenPack {
    pub pack: OverlayPack,
    /// Why the server's pack was passed over for the bundled one, if one
    /// came and was.
    pub passed_over: Option<String>,
}

/// The overlay pack for `vehicle`: the one the server sent (cached by the
/// store for offline use) when it is sound, for this bike, and its models
/// are here; else the one bundled under `root`; else, for a bike no model
/// set exists for yet, a bare pack ([`OverlayPack::bare`]: the "any other
/// bike" marker and no components). A bundled pack that is damaged is an
/// error.
pub fn pack_for(
    root: &Path,
    vehicle: &str,
    from_server: Option<serde_json::Value>,
) -> Result<ChosenPack> {
    let mut passed_over = None;
    if let Some(body) = from_server {
        let checked = OverlayPack::parse(&body.to_string()).and_then(|pack| {
            pack.check_models(|model| {
                std::fs::read(root.join(model)).map_err(|e| format!("cannot read it: {e}"))
            })?;
            Ok(pack)
        });
        match checked {
            Ok(pack) if pack.vehicle == vehicle => {
                return Ok(ChosenPack {
                    pack,
                    passed_over: None,
                });
            }
            Ok(pack) => {
                passed_over = Some(format!(
                    "the server's overlay pack is for {}, not {vehicle}: using the bundled one",
                    pack.vehicle
                ));
            }
            Err(e) => {
                passed_over = Some(format!(
                    "the server's overlay pack for {vehicle} is not usable ({e}): using the bundled one"
                ));
            }
        }
    }
    let path = root.join("overlays").join(format!("{vehicle}.json"));
    if !path.exists() {
        // No model set for this bike yet: it still scans, on the "any
        // other bike" marker, with nothing to overlay.
        return Ok(ChosenPack {
            pack: OverlayPack::bare(vehicle, vehicle),
            passed_over,
        });
    }
    Ok(ChosenPack {
        pack: OverlayPack::load(&path, root)?,
        passed_over,
    })
}

/// Where frames and their markers come from.
enum Feed {
    /// A recording, paced by the caller's clock and tracked as it plays (a
    /// replay waits for the caller, so the order of frames stays
    /// repeatable).
    Paced {
        source: Box<dyn FrameSource + Send + Sync>,
        tracker: Box<Tracker>,
    },
    /// A camera: each new frame is tracked on a thread of its own; the
    /// caller takes the newest result.
    Live(TrackingThread),
    /// Only while a paced feed is handed to its thread.
    Moving,
}

/// One visit to the scanner.
pub struct Session {
    feed: Feed,
    /// What the rider is looking at ("Demo recording", a camera's name).
    pub source_name: String,
    /// Why the demo plays although a camera was wanted.
    pub fallback: Option<String>,
    /// A camera (take every frame as it comes) rather than a recording
    /// (keep its pace).
    pub live: bool,
    frame: Frame,
    /// The camera model the tracker (and a 3D view over it) use.
    pub intrinsics: Intrinsics,
    /// The bike's overlay pack.
    pub pack: OverlayPack,
    /// The pack's marker as last tracked (`None`: not in view).
    pub marker: Option<TrackedMarker>,
    /// Camera image size, pixels.
    pub frame_size: (u32, u32),
    /// Frames taken from the source.
    pub frames: u64,
    /// Seconds the marker has been in view.
    pub tracked_seconds: f32,
    playhead: Duration,
    step: Duration,
    /// Why the source stopped, if it did.
    pub problem: Option<String>,
}

impl Session {
    /// Takes the first frame of `source` (its size sets up the tracker's
    /// intrinsics) and looks for the pack's marker in it; the source is then
    /// played at its own pace.
    pub fn start(
        mut source: Box<dyn FrameSource + Send + Sync>,
        source_name: String,
        pack: OverlayPack,
    ) -> Result<Self> {
        let mut frame = Frame::default();
        match source.next_frame(&mut frame) {
            Ok(Next::Frame) => {}
            Ok(_) => return Err(Error::NoPicture),
            Err(source) => {
                return Err(Error::Camera {
                    what: "the camera gave no picture",
                    source,
                });
            }
        }
        Self::with_first_frame(source, source_name, pack, frame, None)
    }

    /// A session on a live camera whose first frame has arrived: its frames
    /// are tracked on a thread of their own from now on. The camera's
    /// `calibration`, when known, else one guessed as [`intrinsics_for`]
    /// does.
    pub fn live(
        source: Box<dyn FrameSource + Send + Sync>,
        source_name: String,
        pack: OverlayPack,
        first: Frame,
        calibration: Option<Intrinsics>,
    ) -> Result<Self> {
        Self::with_first_frame(source, source_name, pack, first, Some(calibration))
    }

    /// The demo recording (`assets/ar/demo` under `root`), looping, with
    /// `pack`; `fallback` says why it plays instead of a camera.
    pub fn demo(root: &Path, pack: OverlayPack, fallback: Option<String>) -> Result<Self> {
        let replay = Replay::open(&root.join("ar").join("demo"), DEMO_FPS)
            .map_err(|source| Error::Camera {
                what: "the demo recording cannot be read",
                source,
            })?
            .looping(true);
        let mut session = Session::start(Box::new(replay), DEMO_NAME.to_owned(), pack)?;
        session.fallback = fallback;
        Ok(session)
    }

    fn with_first_frame(
        source: Box<dyn FrameSource + Send + Sync>,
        source_name: String,
        pack: OverlayPack,
        frame: Frame,
        // `Some` for a live camera, with its calibration if known.
        live: Option<Option<Intrinsics>>,
    ) -> Result<Self> {
        let (w, h) = (frame.image.width() as u32, frame.image.height() as u32);
        let intrinsics = match live.flatten() {
            Some(calibration) => calibration,
            None => intrinsics_for(w, h)?,
        };
        let live = live.is_some();
        let tracker = Tracker::new(TrackerSettings::new(pack.marker.size_m, intrinsics));
        let mut session = Session {
            feed: Feed::Paced {
                source,
                tracker: Box::new(tracker),
            },
            intrinsics,
            source_name,
            fallback: None,
            live,
            frame,
            pack,
            marker: None,
            frame_size: (w, h),
            frames: 1,
            tracked_seconds: 0.0,
            playhead: Duration::ZERO,
            step: Duration::from_secs_f64(1.0 / DEMO_FPS),
            problem: None,
        };
        session.track_current();
        if live
            && let Feed::Paced { source, tracker } =
                std::mem::replace(&mut session.feed, Feed::Moving)
        {
            let thread =
                TrackingThread::spawn("ridewire-tracker", source, *tracker).map_err(|source| {
                    Error::Camera {
                        what: "the tracker could not start",
                        source,
                    }
                })?;
            session.feed = Feed::Live(thread);
        }
        Ok(session)
    }

    /// The frame on show: the luma the tracker read and, when the source
    /// has colour (the demo recording, a webcam streaming YUYV, NV12 or
    /// MJPEG), the same picture as RGBA in [`Frame::colour`].
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// Moves the session on by `elapsed` of the caller's clock: counts the
    /// time the marker was in view, then takes a new frame when one is due
    /// (a recording's next frame at its pace, a camera's newest tracked
    /// frame when there is one) with the pack's marker in it. `true` when
    /// the frame changed. A source that stops is kept in
    /// [`Session::problem`], after which nothing moves.
    pub fn advance(&mut self, elapsed: Duration) -> bool {
        if self.problem.is_some() {
            return false;
        }
        if self.marker.is_some() {
            self.tracked_seconds += elapsed.as_secs_f32();
        }
        self.playhead += elapsed;
        // Replays keep their own pace; live sources answer `Waiting` until a
        // new picture arrives.
        if !self.live && self.playhead < self.frame.timestamp + self.step {
            return false;
        }
        let before = self.frame.timestamp;
        let id = self.pack.marker.id;
        let next = match &mut self.feed {
            Feed::Paced { source, .. } => source.next_frame(&mut self.frame),
            Feed::Live(thread) => match thread.take() {
                Ok(Some(tracked)) => {
                    // The frame it replaces goes back for its buffers.
                    thread.recycle(std::mem::replace(&mut self.frame, tracked.frame));
                    self.marker = tracked.markers.into_iter().find(|m| m.id == id);
                    Ok(Next::Frame)
                }
                Ok(None) => Ok(Next::Waiting),
                Err(e) => Err(e),
            },
            Feed::Moving => Ok(Next::Waiting),
        };
        match next {
            Ok(Next::Frame) => {
                self.took_frame(before);
                self.track_current();
                true
            }
            Ok(Next::Waiting) => false,
            Ok(Next::Ended) => {
                self.problem = Some("the recording ended".into());
                false
            }
            Err(e) => {
                self.problem = Some(format!("the camera stopped: {e}"));
                false
            }
        }
    }

    /// The scan this visit earns when it ends: an `ArScan` of the pack's
    /// bike when the marker was in view for [`MIN_SCAN_SECONDS`], tied to
    /// the diagnosis whose components were highlighted.
    pub fn scan_event(&self, diagnosis: Option<Uuid>) -> Option<EventKind> {
        (self.tracked_seconds >= MIN_SCAN_SECONDS).then(|| EventKind::ArScan {
            diagnostic_id: diagnosis,
            duration_seconds: self.tracked_seconds.round() as u32,
            quest: None,
            // The bike whose marker was in view: scans earn XP once a day
            // per bike, and the server checks the account has it.
            vehicle: ModelKey::new(self.pack.vehicle.as_str()).ok(),
        })
    }

    /// Runs the tracker on the current frame (of a paced feed) and keeps
    /// the pack's marker.
    fn track_current(&mut self) {
        let id = self.pack.marker.id;
        if let Feed::Paced { tracker, .. } = &mut self.feed {
            let found = tracker.update(&self.frame.image, self.frame.timestamp);
            self.marker = found.iter().find(|m| m.id == id).cloned();
        }
    }

    /// Takes a new frame into the session: its gap sets the step, a
    /// looping replay restarts the clock.
    fn took_frame(&mut self, before: Duration) {
        let gap = self.frame.timestamp.saturating_sub(before);
        if !gap.is_zero() {
            self.step = gap;
        }
        if self.frame.timestamp < before || self.playhead > self.frame.timestamp + self.step * 4 {
            self.playhead = self.frame.timestamp;
        }
        self.frames += 1;
    }
}

/// The camera of a native host. A phone's camera session hands each luma
/// plane to [`HostCamera::offer`] (the bindings' `push_camera_frame` does),
/// or each NV12 frame to [`HostCamera::offer_nv12`] for colour
/// (`push_camera_frame_nv12`),
/// and the scanner reads them through a [`HostFrames`] source. On a phone
/// the bindings and the Bevy client are one library, so both use
/// [`HostCamera::shared`]. A frame is copied only while a reader is open,
/// and only the newest one waits: a reader that falls behind skips frames,
/// it never queues them.
#[derive(Debug, Clone, Default)]
pub struct HostCamera {
    slot: Arc<Mutex<HostSlot>>,
}

#[derive(Debug, Default)]
struct HostSlot {
    readers: usize,
    /// The newest frame offered (its buffer is reused).
    frame: Frame,
    /// `frame` has not been read yet.
    fresh: bool,
    calibration: Option<Intrinsics>,
}

static SHARED_HOST_CAMERA: LazyLock<HostCamera> = LazyLock::new(HostCamera::default);

impl HostCamera {
    /// The process's host camera.
    pub fn shared() -> HostCamera {
        SHARED_HOST_CAMERA.clone()
    }

    fn slot(&self) -> MutexGuard<'_, HostSlot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands over one `width`×`height` luma plane (rows without padding)
    /// taken at `timestamp` since the stream began, replacing any frame not
    /// read yet. `false` when no reader is open (nothing is copied). A
    /// buffer of another size is an error.
    pub fn offer(&self, width: u32, height: u32, luma: &[u8], timestamp: Duration) -> Result<bool> {
        let (w, h) = plane_size(width, height, luma)?;
        let mut slot = self.slot();
        if slot.readers == 0 {
            return Ok(false);
        }
        slot.frame.image.resize(w, h);
        slot.frame.image.pixels_mut().copy_from_slice(luma);
        slot.frame.colour = None;
        slot.frame.timestamp = timestamp;
        slot.fresh = true;
        Ok(true)
    }

    /// Hands over one `width`×`height` NV12 frame (the Y plane, then the
    /// interleaved U, V plane at half resolution; rows without padding), as
    /// phone cameras give it: the scanner shows it in colour and tracks its
    /// luma. `full_range`: the samples use all of 0–255 (JFIF, Android's
    /// YUV_420_888), else 16–235/240 (iOS's "video range"). Converted here,
    /// on the host's camera thread, only while a reader is open. A buffer
    /// of another size is an error.
    pub fn offer_nv12(
        &self,
        width: u32,
        height: u32,
        nv12: &[u8],
        full_range: bool,
        timestamp: Duration,
    ) -> Result<bool> {
        let (w, h) = (width as usize, height as usize);
        let camera = |source| Error::Camera {
            what: "the pushed frame",
            source,
        };
        if w == 0 || h == 0 {
            return Err(camera(ridewire_ar::Error::FrameSize {
                width: w,
                height: h,
                expected: 0,
                got: nv12.len(),
            }));
        }
        if nv12.len() != ridewire_ar::frames::nv12_len(w, h) {
            return Err(camera(ridewire_ar::Error::FrameSize {
                width: w,
                height: h,
                expected: ridewire_ar::frames::nv12_len(w, h),
                got: nv12.len(),
            }));
        }
        let mut slot = self.slot();
        if slot.readers == 0 {
            return Ok(false);
        }
        let slot = &mut *slot;
        let colour = slot.frame.colour.get_or_insert_with(Default::default);
        let convert = if full_range {
            ridewire_ar::frames::nv12_full_range_to_rgba
        } else {
            ridewire_ar::frames::nv12_to_rgba
        };
        convert(w, h, nv12, &mut slot.frame.image, colour).map_err(camera)?;
        slot.frame.timestamp = timestamp;
        slot.fresh = true;
        Ok(true)
    }

    /// Whether a reader is open (the scanner is showing the host's camera).
    pub fn is_read(&self) -> bool {
        self.slot().readers > 0
    }

    /// The host camera's calibration, for the frames it offers.
    pub fn set_calibration(&self, calibration: Option<Intrinsics>) {
        self.slot().calibration = calibration;
    }

    /// The calibration the host set, if it did.
    pub fn calibration(&self) -> Option<Intrinsics> {
        self.slot().calibration
    }

    /// A frame source over the frames offered from now on.
    pub fn reader(&self) -> HostFrames {
        self.slot().readers += 1;
        HostFrames {
            camera: self.clone(),
        }
    }
}

/// The frames a host offers, as a frame source: `Waiting` until a new one
/// arrives. Closing it (dropping) stops the copying once no reader is left.
#[derive(Debug)]
pub struct HostFrames {
    camera: HostCamera,
}

impl FrameSource for HostFrames {
    fn next_frame(&mut self, frame: &mut Frame) -> ridewire_ar::Result<Next> {
        let mut slot = self.camera.slot();
        if !slot.fresh {
            return Ok(Next::Waiting);
        }
        // The reader's old buffers go back for the next offer.
        std::mem::swap(&mut frame.image, &mut slot.frame.image);
        std::mem::swap(&mut frame.colour, &mut slot.frame.colour);
        frame.timestamp = slot.frame.timestamp;
        slot.fresh = false;
        Ok(Next::Frame)
    }
}

impl Drop for HostFrames {
    fn drop(&mut self) {
        let mut slot = self.camera.slot();
        slot.readers = slot.readers.saturating_sub(1);
        if slot.readers == 0 {
            slot.fresh = false;
            slot.frame = Frame::default();
        }
    }
}

/// Sides of a printed marker the tracker accepts, metres.
pub const MARKER_SIZES_M: std::ops::RangeInclusive<f64> = 0.005..=2.0;

/// Frames a host pushes one at a time (a phone's camera delivering Y
/// planes), each tracked at once with the same tracker the scanner uses:
/// what the phones' bindings call. Without a calibration the camera is
/// guessed from the frame's size, as the scanner does.
#[derive(Debug)]
pub struct PushedFrames {
    tracker: Option<Tracker>,
    marker_size: f64,
    camera: Option<Intrinsics>,
    image: ridewire_ar::LumaImage,
    /// The size of the last frame.
    size: (u32, u32),
}

impl Default for PushedFrames {
    fn default() -> Self {
        PushedFrames {
            tracker: None,
            marker_size: ridewire_ar::report::DEFAULT_MARKER_SIZE,
            camera: None,
            image: ridewire_ar::LumaImage::default(),
            size: (0, 0),
        }
    }
}

impl PushedFrames {
    /// The camera's calibration (pixels; OpenCV's pinhole model).
    pub fn set_camera(&mut self, fx: f64, fy: f64, cx: f64, cy: f64) -> Result<()> {
        let camera = Intrinsics::new(fx, fy, cx, cy).map_err(|source| Error::Camera {
            what: "camera calibration",
            source,
        })?;
        self.camera = Some(camera);
        if let Some(tracker) = &mut self.tracker {
            tracker.set_intrinsics(camera);
        }
        Ok(())
    }

    /// The calibration set with [`PushedFrames::set_camera`], if any.
    pub fn camera(&self) -> Option<Intrinsics> {
        self.camera
    }

    /// The side of the printed marker's black square, metres.
    pub fn set_marker_size(&mut self, metres: f64) -> Result<()> {
        if !(metres.is_finite() && MARKER_SIZES_M.contains(&metres)) {
            return Err(Error::Input(format!(
                "a marker side of {metres} m: expected {} to {} m",
                MARKER_SIZES_M.start(),
                MARKER_SIZES_M.end()
            )));
        }
        self.marker_size = metres;
        // The next frame starts a tracker for the new size.
        self.tracker = None;
        Ok(())
    }

    /// Tracks the markers in one `width`×`height` luma plane (one byte a
    /// pixel, rows without padding) taken at `timestamp_ms` since the
    /// stream began. A buffer of another size is an error.
    pub fn push(
        &mut self,
        width: u32,
        height: u32,
        luma: &[u8],
        timestamp_ms: u64,
    ) -> Result<Vec<TrackedMarker>> {
        let (w, h) = plane_size(width, height, luma)?;
        self.image.resize(w, h);
        self.image.pixels_mut().copy_from_slice(luma);
        if self.size != (width, height) {
            // Another stream: a guessed camera is a guess for one frame
            // size, and corners smoothed over the old frames do not carry.
            self.tracker = None;
        }
        self.size = (width, height);
        let tracker = match &mut self.tracker {
            Some(tracker) => tracker,
            None => {
                let camera = match self.camera {
                    Some(camera) => camera,
                    None => intrinsics_for(width, height)?,
                };
                self.tracker
                    .insert(Tracker::new(TrackerSettings::new(self.marker_size, camera)))
            }
        };
        Ok(tracker
            .update(&self.image, Duration::from_millis(timestamp_ms))
            .to_vec())
    }
}

/// The size of a pushed luma plane, checked against its buffer.
fn plane_size(width: u32, height: u32, luma: &[u8]) -> Result<(usize, usize)> {
    let (w, h) = (width as usize, height as usize);
    let expected = w.checked_mul(h).filter(|&n| n > 0);
    if expected != Some(luma.len()) {
        return Err(Error::Camera {
            what: "the pushed frame",
            source: ridewire_ar::Error::FrameSize {
                width: w,
                height: h,
                expected: expected.unwrap_or(0),
                got: luma.len(),
            },
        });
    }
    Ok((w, h))
}
