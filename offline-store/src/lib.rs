//! RideWire's local database: one SQLite file per rider and device.
//!
//! It holds every event (this device's and, after sync, the others'), the
//! outbox of events the server has not acknowledged, the download cursor,
//! cached plans, catalogue and overlay packs, records two devices may edit,
//! the photos that proofs name,
//! and the progress folded from the events with `engine`. Recording an event
//! writes the event, its outbox row and the new progress in one transaction;
//! applying a pull writes its changes and the new cursor in one transaction.
//! A damaged file is moved aside, never deleted, and what can still be read
//! is carried over. It only stores: the client that moves it all to and from
//! the server is the `ridewire-sync-client` crate.

mod diagnoses;
mod error;
mod export;
mod migrate;
mod outbox;
mod photos;
mod pull;
mod records;
mod recover;
mod store;
mod stored;

pub use diagnoses::{DiagnosisRecord, Feedback, FeedbackSync, MAX_FEEDBACK_CHARS, Walk};
pub use error::{Error, Result};
pub use export::EXPORT_FORMAT;
pub use migrate::SCHEMA_VERSION;
pub use outbox::Settled;
pub use photos::{PendingPhoto, sha256_hex};
pub use pull::{PullApplied, SkippedChange, StoredPlan};
pub use records::PendingEdit;
pub use store::{Opened, OutboxItem, Recorded, Recovery, Store};
