//! RideWire's backend: a small axum server for accounts, sync, plans,
//! overlay packs and diagnostics.
//!
//! [`app`] builds the router; serving it is `main.rs`'s job, so tests call
//! the router directly.

pub mod agents;

use axum::Router;
use axum::routing::get;

/// Everything the handlers share.
#[derive(Debug, Clone, Default)]
pub struct AppState {}

/// The whole API.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .with_state(state)
}
