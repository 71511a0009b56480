//! The desktop webcam through `nokhwa`. Built only with the `webcam`
//! feature (it needs the platform's camera headers: V4L2 and libclang on
//! Linux); without it, opening a camera says so instead of failing
//! obscurely. Frames are read as raw YUYV, NV12 or grey and only their luma
//! is kept, so no colour decoding happens per frame.

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
    use nokhwa::pixel_format::LumaFormat;
    use nokhwa::utils::{
        ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    };

    use super::{CameraName, WebcamSettings};
    use crate::error::{Error, Result};
    use crate::frames::Frame;

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
            // YUYV carries luma in every other byte: no decoding needed.
            let wanted = CameraFormat::new_from(s.width, s.height, FrameFormat::YUYV, s.fps);
            let request = RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(wanted));
            let mut camera = Camera::new(CameraIndex::Index(s.device), request)
                .map_err(|e| no_camera(format!("camera {}: {e}", s.device)))?;
            camera
                .open_stream()
                .map_err(|e| no_camera(format!("camera {}: {e}", s.device)))?;
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
                    if raw.len() < w * h * 2 {
                        return Err(Error::FrameSize {
                            width: w,
                            height: h,
                            expected: w * h * 2,
                            got: raw.len(),
                        });
                    }
                    frame.image.resize(w, h);
                    for (dst, pair) in frame.image.pixels_mut().iter_mut().zip(raw.chunks_exact(2))
                    {
                        *dst = pair[0];
                    }
                }
                // NV12 and grey both start with the full-size luma plane.
                FrameFormat::NV12 | FrameFormat::GRAY => {
                    frame.image.copy_from_plane(w, h, w, &raw)?;
                }
                other => {
                    return Err(no_camera(format!(
                        "the camera delivers {other}, which this build cannot decode; \
                         pick a resolution it offers as YUYV"
                    )));
                }
            }
            Ok(())
        }
    }
}
