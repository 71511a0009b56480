//! RideWire's AR tracking core.
//!
//! Camera frames come in as grey (luma) images from a [`FrameSource`]
//! (replayed files, frames pushed by a mobile shell, or a desktop webcam),
//! with the colour picture beside them when the source has one (for the
//! screen; the tracker reads only the luma);
//! the [`Detector`] finds ArUco `DICT_4X4_50` markers with sub-pixel
//! corners; [`pose::solve_square`] turns a marker's corners into its pose
//! (both IPPE solutions); the [`Tracker`] ties these together per marker id,
//! filtering jitter and never flipping between the two poses. The
//! [`report`] module is what `ridewire detect` prints.
//!
//! Pure Rust, no Bevy, no OpenCV: the app links it on every platform.

mod contour;
mod decode;
pub mod detect;
pub mod dictionary;
mod error;
pub mod filter;
pub mod frames;
pub mod geometry;
pub mod image;
pub mod live;
pub mod overlay;
pub mod pose;
mod refine;
pub mod report;
pub mod synthetic;
mod threshold;
pub mod tracker;

pub use detect::{Detector, DetectorSettings, Marker};
pub use error::{Error, Result};
pub use frames::{Frame, FrameSource};
pub use geometry::Point;
pub use image::{LumaImage, RgbaImage};
pub use pose::{Intrinsics, Pose};
pub use tracker::{TrackedMarker, Tracker, TrackerSettings};
