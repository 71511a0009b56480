//! RideWire's app layer: what a rider can do, without Bevy.
//!
//! The command line, the Bevy screens and, next, the phones' bindings call
//! these use cases instead of keeping them inside a screen or a command
//! (issue 12):
//! - [`rider`]: the rider's session — the database (or the demo garage in
//!   memory), recording, progress, quests, merging what a sync round brought;
//! - [`account`]: signing in, the kept session, and the one background
//!   syncer that talks to the server (rounds and the server's agents);
//! - [`diagnosis`]: the offline diagnosis, and a finished run;
//! - [`garage`]: the rider's bikes (synced records), the current one;
//! - [`leaderboard`]: the server's boards, the last copy kept offline, and
//!   joining or leaving them under a display name;
//! - [`maps`]: plans → overworld maps → PNG/JSON, and the tileset;
//! - [`plans`]: the rider's own plans (files, templates, the workshop's),
//!   synced, one current per device;
//! - [`scan`]: the scan session — frames, the bike's marker tracked in them
//!   (a camera's on a thread of their own), its overlay pack, the scan it
//!   earns;
//! - [`location`]: where the rider is — fixes from gpsd or a phone, and
//!   completing a quest with a location proof at its zone;
//! - [`photos`]: photo proofs — a picture made ready (upright, small,
//!   no metadata), completing a quest with it, and vouching for another
//!   rider's;
//! - [`proofs`]: whether a quest takes a proof now, what it lacks, and
//!   completing it once a proof was recorded;
//! - [`obd`]: reading and clearing codes through an OBD-II adapter;
//! - [`task`]: waiting on work done on another thread without blocking;
//! - [`clock`]: now and the local day, as events record them.
//!
//! Errors are one enum, [`Error`], whose messages are what the rider reads.

pub mod account;
mod bikes;
pub mod booking_queue;
pub mod clock;
pub mod data;
pub mod diagnosis;
mod error;
pub mod garage;
pub mod leaderboard;
pub mod location;
pub mod maps;
pub mod my_workshops;
pub mod obd;
pub mod photos;
mod plan_list;
pub mod plans;
pub mod proofs;
mod records;
pub mod reminders;
pub mod rider;
pub mod scan;
pub mod task;
pub mod workshop_board;
pub mod workshops;

pub use error::{Error, Result};
