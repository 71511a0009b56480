//! The desktop webcam through `nokhwa`. Built only with the `webcam`
//! feature (it needs the platform's camera headers: V4L2 and libclang on
//! Linux); without it, opening a camera says so instead of failing
//! obscurely. Frames are read as raw YUYV, NV12, grey or MJPEG; each frame
//! gives its luma to the tracker and, but for grey, its colour as RGBA for
//! the screen, both converted in one pass on the thread that reads the
//! camera ([`super::yuyv_to_rgba`], [`super::nv12_to_rgba`],
//! [`super::mjpeg_to_rgba`]). The mode is chosen by [`choose_mode`] from
//! everything the camera offers.

use super::{Frame, FrameSource, Next};
#[cfg(not(feature = "webcam"))]
use crate::error::Error;
use crate::error::Result;

/// Which camera to open and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebcamSettings {
    /// Camera index (0 = the first camera the system lists).
    pub device: u32,
    /// Requested frame width; the camera may pick the closest it supports.
    pub width: u32,
    /// Requested frame height.
    pub height: u32,
    /// Requested frame rate.
    pub fps: u32,
}

impl Default for WebcamSettings {
    fn default() -> Self {
        Self {
            device: 0,
            width: 1280,
            height: 720,
            fps: 30,
        }
    }
}

/// A camera the system lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraName {
    /// Index to pass as [`WebcamSettings::device`].
    pub device: u32,
    /// Human-readable name.
    pub name: String,
}

/// Pixel layouts a camera can deliver, as far as the tracker cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PixelLayout {
    /// Colour-only layouts (packed RGB): not read by this build.
    Other,
    /// Motion JPEG: each frame a JPEG, decoded to luma and colour (costs a
    /// few milliseconds a frame, so uncompressed modes win a tie).
    Mjpeg,
    /// Packed YUV 4:2:2: luma is every other byte, chroma shared by pairs.
    Yuyv,
    /// A full luma plane followed by interleaved chroma.
    Nv12,
    /// Luma only (the frames have no colour).
    Grey,
}

impl PixelLayout {
    /// Whether this build can read the layout's luma.
    pub fn readable(self) -> bool {
        self != PixelLayout::Other
    }
}

/// One format a camera offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CameraMode {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames a second.
    pub fps: u32,
    /// How the pixels are laid out.
    pub layout: PixelLayout,
}

/// Picks the mode to stream: among the modes this build reads, the
/// resolution nearest the wanted one, then the frame rate nearest the
/// wanted one (the faster on a tie), then the lighter layout (grey, NV12,
/// YUYV, then MJPEG). So a camera that offers 1280×720 at 30 fps only as
/// MJPEG and at 10 fps as YUYV streams MJPEG. `None` when it offers only
/// colour-only modes.
pub fn choose_mode(modes: &[CameraMode], wanted: &WebcamSettings) -> Option<CameraMode> {
    let distance = |m: &CameraMode| {
        let dx = i64::from(m.width) - i64::from(wanted.width);
        let dy = i64::from(m.height) - i64::from(wanted.height);
        let df = i64::from(m.fps) - i64::from(wanted.fps);
        // Resolution first, then frame rate (faster wins a tie), then the
        // layout (grey before NV12 before YUYV).
        (
            dx * dx + dy * dy,
            df.abs(),
            -df.signum(),
            std::cmp::Reverse(m.layout),
        )
    };
    modes
        .iter()
        .filter(|m| m.layout.readable() && m.width > 0 && m.height > 0 && m.fps > 0)
        .min_by_key(|m| distance(m))
        .copied()
}

/// A live webcam.
#[derive(Debug)]
pub struct Webcam {
    #[cfg(feature = "webcam")]
    inner: backend::Live,
}

#[cfg(not(feature = "webcam"))]
impl Webcam {
    /// Opens the camera. This build has no webcam support (the `webcam`
    /// feature is off), so it always returns [`Error::WebcamUnsupported`].
    pub fn open(settings: &WebcamSettings) -> Result<Self> {
        let _ = settings;
        Err(Error::WebcamUnsupported)
    }

    /// The cameras the system lists (needs the `webcam` feature).
    pub fn list() -> Result<Vec<CameraName>> {
        Err(Error::WebcamUnsupported)
    }
}

#[cfg(not(feature = "webcam"))]
impl FrameSource for Webcam {
    fn next_frame(&mut self, _frame: &mut Frame) -> Result<Next> {
        Err(Error::WebcamUnsupported)
    }
}

#[cfg(feature = "webcam")]
impl Webcam {
    /// Opens the camera and starts streaming. No camera, a busy camera or a
    /// refused permission give [`crate::Error::NoCamera`] with the system's
    /// reason.
    pub fn open(settings: &WebcamSettings) -> Result<Self> {
        Ok(Self {
            inner: backend::Live::open(settings)?,
        })
    }

    /// The cameras the system lists.
    pub fn list() -> Result<Vec<CameraName>> {
        backend::list()
    }
}

#[cfg(feature = "webcam")]
impl FrameSource for Webcam {
    fn next_frame(&mut self, frame: &mut Frame) -> Result<Next> {
        self.inner.read(frame)?;
        Ok(Next::Frame)
    }
}

#[cfg(feature = "webcam")]
mod backend {
    use std::time::Instant;

    use nokhwa::Camera;
    use nokhwa::utils::{
        ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    };

    use super::{CameraMode, CameraName, PixelLayout, WebcamSettings, choose_mode};
    use crate::error::{Error, Result};
    use crate::frames::Frame;

    const ALL_FORMATS: &[FrameFormat] = &[
        FrameFormat::MJPEG,
        FrameFormat::YUYV,
        FrameFormat::NV12,
        FrameFormat::GRAY,
        FrameFormat::RAWRGB,
        FrameFormat::RAWBGR,
    ];

    fn mode_of(f: &CameraFormat) -> CameraMode {
        CameraMode {
            width: f.resolution().width(),
            height: f.resolution().height(),
            fps: f.frame_rate(),
            layout: match f.format() {
                FrameFormat::YUYV => PixelLayout::Yuyv,
                FrameFormat::NV12 => PixelLayout::Nv12,
                FrameFormat::GRAY => PixelLayout::Grey,
                FrameFormat::MJPEG => PixelLayout::Mjpeg,
                FrameFormat::RAWRGB | FrameFormat::RAWBGR => PixelLayout::Other,
            },
        }
    }

    fn format_of(layout: PixelLayout) -> FrameFormat {
        match layout {
            PixelLayout::Nv12 => FrameFormat::NV12,
            PixelLayout::Grey => FrameFormat::GRAY,
            PixelLayout::Mjpeg => FrameFormat::MJPEG,
            PixelLayout::Yuyv | PixelLayout::Other => FrameFormat::YUYV,
        }
    }

    pub(super) struct Live {
        camera: Camera,
        started: Instant,
    }

    impl std::fmt::Debug for Live {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Live").finish_non_exhaustive()
        }
    }

    fn no_camera(e: impl std::fmt::Display) -> Error {
        Error::NoCamera(e.to_string())
    }

    pub(super) fn list() -> Result<Vec<CameraName>> {
        let cameras = nokhwa::query(ApiBackend::Auto).map_err(no_camera)?;
        Ok(cameras
            .iter()
            .enumerate()
            .map(|(i, c)| CameraName {
                device: match c.index() {
                    CameraIndex::Index(n) => *n,
                    CameraIndex::String(_) => i as u32,
                },
                name: c.human_name(),
            })
            .collect())
    }

    impl Live {
        pub(super) fn open(s: &WebcamSettings) -> Result<Self> {
            let failed = |e: &dyn std::fmt::Display| no_camera(format!("camera {}: {e}", s.device));
            // Open with whatever the camera starts in, then pick a mode from
            // the full list ourselves.
            let any = RequestedFormat::with_formats(RequestedFormatType::None, ALL_FORMATS);
            let mut camera =
                Camera::new(CameraIndex::Index(s.device), any).map_err(|e| failed(&e))?;
            let offered = camera.compatible_camera_formats().map_err(|e| failed(&e))?;
            let modes: Vec<CameraMode> = offered.iter().map(mode_of).collect();
            let Some(mode) = choose_mode(&modes, s) else {
                let listed: Vec<String> = offered.iter().map(ToString::to_string).collect();
                return Err(failed(&format!(
                    "offers no mode this build reads (YUYV, NV12, grey or MJPEG); it offers {}",
                    listed.join(", ")
                )));
            };
            let chosen =
                CameraFormat::new_from(mode.width, mode.height, format_of(mode.layout), mode.fps);
            camera
                .set_camera_requset(RequestedFormat::with_formats(
                    RequestedFormatType::Exact(chosen),
                    ALL_FORMATS,
                ))
                .map_err(|e| failed(&e))?;
            camera.open_stream().map_err(|e| failed(&e))?;
            Ok(Self {
                camera,
                started: Instant::now(),
            })
        }

        pub(super) fn read(&mut self, frame: &mut Frame) -> Result<()> {
            let format = self.camera.camera_format();
            let (w, h) = (
                format.resolution().width() as usize,
                format.resolution().height() as usize,
            );
            let kind = format.format();
            let raw = self.camera.frame_raw().map_err(no_camera)?;
            frame.timestamp = self.started.elapsed();
            match kind {
                FrameFormat::YUYV => {
                    let (luma, colour) = frame.pictures_mut();
                    crate::frames::yuyv_to_rgba(w, h, &raw, luma, colour)?;
                }
                FrameFormat::NV12 => {
                    let (luma, colour) = frame.pictures_mut();
                    crate::frames::nv12_to_rgba(w, h, &raw, luma, colour)?;
                }
                FrameFormat::GRAY => {
                    frame.image.copy_from_plane(w, h, w, &raw)?;
                    frame.colour = None;
                }
                FrameFormat::MJPEG => {
                    let (luma, colour) = frame.pictures_mut();
                    let coloured = crate::frames::mjpeg_to_rgba(&raw, luma, colour)
                        .map_err(|e| no_camera(format!("a frame from the camera: {e}")))?;
                    if !coloured {
                        frame.colour = None;
                    }
                }
                other => {
                    return Err(no_camera(format!(
                        "the camera switched to {other}, which this build cannot read"
                    )));
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(width: u32, height: u32, fps: u32, layout: PixelLayout) -> CameraMode {
        CameraMode {
            width,
            height,
            fps,
            layout,
        }
    }

    #[test]
    fn a_typical_usb_camera_streams_mjpeg_when_raw_frames_would_be_slow() {
        // 720p at 30 fps only as MJPEG; uncompressed 720p at 10 fps.
        let modes = [
            mode(1280, 720, 30, PixelLayout::Mjpeg),
            mode(640, 480, 30, PixelLayout::Yuyv),
            mode(640, 480, 30, PixelLayout::Mjpeg),
            mode(1280, 720, 10, PixelLayout::Yuyv),
            mode(1280, 720, 5, PixelLayout::Yuyv),
            mode(320, 240, 30, PixelLayout::Yuyv),
        ];
        let wanted = WebcamSettings::default();
        assert_eq!(
            choose_mode(&modes, &wanted),
            Some(mode(1280, 720, 30, PixelLayout::Mjpeg))
        );
        // At 10 fps wanted, the raw mode matches as well and needs no decoding.
        let slow = WebcamSettings {
            fps: 10,
            ..wanted.clone()
        };
        assert_eq!(
            choose_mode(&modes, &slow),
            Some(mode(1280, 720, 10, PixelLayout::Yuyv))
        );
        let small = WebcamSettings {
            width: 640,
            height: 480,
            ..wanted
        };
        assert_eq!(
            choose_mode(&modes, &small),
            Some(mode(640, 480, 30, PixelLayout::Yuyv))
        );
    }

    #[test]
    fn ties_go_to_the_faster_rate_then_the_lighter_layout() {
        let wanted = WebcamSettings::default();
        let modes = [
            mode(1280, 720, 25, PixelLayout::Yuyv),
            mode(1280, 720, 35, PixelLayout::Yuyv),
            mode(1280, 720, 35, PixelLayout::Nv12),
        ];
        assert_eq!(
            choose_mode(&modes, &wanted),
            Some(mode(1280, 720, 35, PixelLayout::Nv12))
        );
    }

    #[test]
    fn a_camera_with_only_colour_modes_has_none_to_stream() {
        let modes = [
            mode(1920, 1080, 30, PixelLayout::Other),
            mode(0, 0, 30, PixelLayout::Yuyv),
        ];
        assert_eq!(choose_mode(&modes, &WebcamSettings::default()), None);
    }
}
