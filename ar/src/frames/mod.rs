//! Where frames come from. Every source fills a caller-owned [`Frame`], so a
//! steady stream of same-sized frames reuses one buffer.

mod background;
mod jpeg;
mod pushed;
mod recording;
mod replay;
mod webcam;

use std::time::Duration;

use crate::error::Result;
use crate::image::LumaImage;

pub use background::InBackground;
pub use jpeg::decode_luma as jpeg_luma;
pub use pushed::{FramePusher, Pushed};
pub use recording::Recorder;
pub use replay::{Replay, load_png_luma};
pub use webcam::{CameraMode, CameraName, PixelLayout, Webcam, WebcamSettings, choose_mode};

/// Frame rate assumed for images without timestamps.
pub(crate) fn replay_fps() -> f64 {
    replay::DEFAULT_FPS
}

/// One camera frame: the grey image and when it was taken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// The luma plane.
    pub image: LumaImage,
    /// Time since the start of the stream.
    pub timestamp: Duration,
}

/// What a request for the next frame gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The frame was filled with a new image.
    Frame,
    /// No new frame yet (live sources); try again next tick.
    Waiting,
    /// The source has no more frames.
    Ended,
}

/// A stream of grey frames.
pub trait FrameSource {
    /// Fills `frame` with the next frame, reusing its buffer.
    fn next_frame(&mut self, frame: &mut Frame) -> Result<Next>;
}

/// A boxed source (the app picks one at run time).
impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn next_frame(&mut self, frame: &mut Frame) -> Result<Next> {
        (**self).next_frame(frame)
    }
}
