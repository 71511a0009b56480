//! The desktop webcam. Built only with the `webcam` feature; without it,
//! opening a camera says so instead of failing obscurely.

use super::{Frame, FrameSource, Next};
use crate::error::{Error, Result};

/// Which camera to open and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebcamSettings {
    /// Camera index (0 = the first camera the system lists).
    pub device: u32,
    /// Requested frame size; the camera may pick the closest it supports.
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

/// A live webcam.
#[derive(Debug)]
pub struct Webcam {
    _private: (),
}

impl Webcam {
    /// Opens the camera. Without the `webcam` feature this always returns
    /// [`Error::WebcamUnsupported`].
    pub fn open(settings: &WebcamSettings) -> Result<Self> {
        let _ = settings;
        Err(Error::WebcamUnsupported)
    }
}

impl FrameSource for Webcam {
    fn next_frame(&mut self, _frame: &mut Frame) -> Result<Next> {
        Err(Error::NoCamera("camera is not open".into()))
    }
}
