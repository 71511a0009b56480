//! The app layer's use cases as a screen or the command line calls them,
//! on real SQLite files.

// Helpers outside `#[test]` functions unwrap too: a failure is the test's.
#![allow(clippy::unwrap_used)]

mod diagnosis;
#[path = "../support/gpsd.rs"]
mod gpsd_support;
mod location;
mod photos;
mod plans;
mod reminders;
mod rider;
mod scan;
mod sync_line;
