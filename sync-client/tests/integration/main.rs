//! The sync client against an in-memory server that speaks its rules (the
//! real server over loopback is `ridewire-server`'s sync tests), on real
//! SQLite files.

// Test helpers panic on broken fixtures; that is the point of a test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod diagnosis_sync;
mod fake_server;
#[path = "../../../offline-store/tests/integration/support.rs"]
mod support;
mod sync_rounds;
