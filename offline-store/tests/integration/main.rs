//! The store on real SQLite files.

// Test helpers panic on broken fixtures; that is the point of a test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod crash;
mod damage;
mod diagnoses;
mod diagnosis_sync;
mod fake_server;
mod pulling;
mod recording;
mod support;
mod sync_rounds;
