//! Integration tests of the RideWire server: the router through
//! `tower::ServiceExt::oneshot`, and the real binary over loopback.

// Test helpers panic on broken fixtures; that is the point of a test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod auth;
mod binary;
mod common;
mod limits;
mod malformed;
mod openapi;
mod props;
mod records;
mod sync_client;
mod sync_faults;
mod sync_pull;
mod sync_push;
