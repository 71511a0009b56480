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
//! - [`diagnostics`] — trouble codes, the code database, the offline agent,
//!   consensus and the safety gate, and the ELM327 adapter protocol.
//! - [`plan`] — Markdown maintenance plans: parsing, catalogue, milestones.
//! - [`overworld`] — a plan level as a deterministic tile map with a road.
//! - [`sync`] — the sync protocol's messages, cursors and the merge rule for
//!   records two devices may edit.
//! - [`plan`] — Markdown maintenance plans: parsing, rendering, quests and
//!   the milestones of each overworld level.
//!
//! Recording something and reading the progress it earns:
//!
//! ```
//! use ridewire_engine::event::{DeviceChain, DeviceId, EventId, EventKind};
//! use ridewire_engine::progress::Progress;
//! use ridewire_engine::{chain, demo};
//!
//! let catalog = demo::catalog()?;
//! let mut phone = DeviceChain::new(DeviceId(uuid::Uuid::from_u128(1)));
//! let at = 1_772_438_400_000; // Unix milliseconds
//! let run = phone.append(
//!     EventId::v7(at, [7; 10]),
//!     at,
//!     60, // the phone's UTC offset in minutes
//!     EventKind::DiagnosticRun { diagnostic_id: uuid::Uuid::from_u128(9), vehicle: None, quest: None, evidence: None },
//! )?;
//! let progress = Progress::from_events(&catalog, [&run]);
//! assert_eq!(progress.xp(), 10);
//! assert!(progress.has_achievement("ACH-FIRST-DIAG"));
//! assert!(chain::verify(&[run]).is_ok());
//! # Ok::<(), ridewire_engine::Error>(())
//! ```

pub mod achievement;
pub mod chain;
pub mod demo;
pub mod diagnostics;
mod error;
pub mod event;
pub mod geo;
pub mod merkle;
pub mod overworld;
pub mod plan;
pub mod progress;
pub mod proof;
pub mod quest;
pub mod sync;
pub mod vehicle;
pub mod xp;

pub use error::{Error, Result};
