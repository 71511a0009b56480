//! Integration tests of the AR tracking core, on synthetic frames with
//! known ground truth and on real files written to temporary folders.

// Helpers shared by the tests panic on failure like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod detection;
mod false_positives;
mod frames;
mod jitter;
mod opencv;
#[path = "../opencv/support.rs"]
mod opencv_support;
mod pose_flips;
mod report;
