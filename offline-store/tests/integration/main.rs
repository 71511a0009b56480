//! The store on real SQLite files.

// Test helpers panic on broken fixtures; that is the point of a test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod crash;
mod damage;
mod diagnoses;
mod photos;
mod pulling;
mod recording;
mod support;
