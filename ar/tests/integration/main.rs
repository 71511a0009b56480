//! Integration tests of the AR tracking core, on synthetic frames with
//! known ground truth and on real files written to temporary folders.

// Helpers shared by the tests panic on failure like the tests themselves.
// Index loops over the four corners read clearer than zipped iterators here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::needless_range_loop)]

mod common;
mod detection;
mod false_positives;
mod frames;
mod jitter;
mod live;
mod opencv;
#[path = "../opencv/support.rs"]
mod opencv_support;
mod pose_flips;
mod properties;
mod report;
