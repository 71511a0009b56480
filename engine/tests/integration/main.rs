//! Integration tests of the engine's public API (one binary, several modules).

// Test helpers panic on broken fixtures; that is the point of a test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod fold_properties;
mod leaderboard;
mod plan_properties;
mod rewards;
mod support;
