//! End-to-end tests of the `ridewire` binary (one test binary, several modules).

// Test helpers panic on broken fixtures; that is the point of a test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod command_line;
mod data;
mod garage;
#[path = "../../../app/tests/support/gpsd.rs"]
mod gpsd_support;
mod leaderboard;
mod obd;
mod overworld;
mod own_plans;
mod photos;
mod picture;
mod plan;
mod quest;
mod rider_workshops;
mod scan;
mod screenshot;
mod sync;
mod terminal_queue;
mod whole_day;
mod workshop;
mod workshop_day;
mod workshop_terminal;
