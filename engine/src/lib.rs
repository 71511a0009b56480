//! RideWire's domain core.
//!
//! Everything here is plain data and plain functions: no I/O, no clock, no
//! randomness, no rendering. The client, the server and the phone bindings
//! all call the same code, so they derive the same progress from the same
//! events.
//!
//! - [`vehicle`] — bikes and their components.
//! - [`quest`] — quests, zones and the catalogue they live in.
//! - [`event`] — the append-only events that are the only way state changes.
//! - [`chain`] — each device's hash chain and its verification.
//! - [`merkle`] — Merkle roots and inclusion proofs over a period of events.
//! - [`progress`] — progress (XP, levels, achievements, streaks, statistics)
//!   as a fold over events.
//! - [`proof`] — location-proof checks.

pub mod achievement;
pub mod chain;
pub mod demo;
mod error;
pub mod event;
pub mod merkle;
pub mod progress;
pub mod proof;
pub mod quest;
pub mod vehicle;
pub mod xp;

pub use error::{Error, Result};
