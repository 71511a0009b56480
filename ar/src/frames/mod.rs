//! Where frames come from. Every source fills a caller-owned [`Frame`], so a
//! steady stream of same-sized frames reuses one buffer (two with colour).

mod background;
mod colour;
mod jpeg;
mod pushed;
mod recording;
mod replay;
mod webcam;

use std::time::Duration;

use crate::error::Result;
use crate::image::{LumaImage, RgbaImage};

pub use background::InBackground;
pub use colour::{nv12_full_range_to_rgba, nv12_len, nv12_to_rgba, yuyv_len, yuyv_to_rgba};
pub use jpeg::{decode_luma as jpeg_luma, mjpeg_to_rgba};
pub use pushed::{FramePusher, Pushed};
pub use recording::Recorder;
pub use replay::{Replay, load_png_luma};
pub use webcam::{CameraMode, CameraName, PixelLayout, Webcam, WebcamSettings, choose_mode};

/// Frame rate assumed for images without timestamps.
pub(crate) fn replay_fps() -> f64 {
    replay::DEFAULT_FPS
}

/// One camera frame: the grey image the tracker reads, the same picture in
/// colour when the source has one, and when it was taken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// The luma plane.
    pub image: LumaImage,
    /// The picture in colour, the same size as [`Frame::image`], for the
    /// screen. `None` from sources without colour: pushed Y planes,
    /// `.rwluma` recordings, grey images and grey cameras.
    pub colour: Option<RgbaImage>,
    /// Time since the start of the stream.
    pub timestamp: Duration,
}

impl Frame {
    /// Both pictures, to fill with a colour frame: the colour one keeps the
    /// buffer of an earlier colour frame, or starts empty.
    pub fn pictures_mut(&mut self) -> (&mut LumaImage, &mut RgbaImage) {
        (
            &mut self.image,
            self.colour.get_or_insert_with(RgbaImage::default),
        )
    }
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

/// A stream of frames.
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
