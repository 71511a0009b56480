//! Integration tests of the RideWire server: the router through
//! `tower::ServiceExt::oneshot`, the real binary over loopback, and the
//! diagnosis agents against mock providers.

// Test helpers panic on broken fixtures; that is the point of a test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod agents;
mod auth;
mod binary;
mod bookings;
mod common;
mod diagnostics;
mod leaderboards;
mod limits;
mod long_poll;
mod malformed;
mod migrate_to;
mod mock_providers;
mod openapi;
mod pg_restart;
mod photos;
mod postgres;
mod props;
mod records;
mod replicas;
mod reviews;
mod schema_parity;
mod sync_client;
mod sync_diagnoses;
mod sync_faults;
mod sync_pull;
mod sync_push;
mod trust;
mod workshop_plans;
mod workshops;
