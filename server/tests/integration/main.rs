//! The server's one integration-test binary.

// Test helpers panic on broken fixtures; that is the point of a test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod agents;
mod mock_providers;
