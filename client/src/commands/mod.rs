//! Commands of the `ridewire` binary that need no window.

pub mod data;
pub mod diagnose;
pub mod garage;
pub mod leaderboard;
pub mod obd;
pub mod plan;
pub mod quest;
pub mod vouch;
pub mod workshop;
