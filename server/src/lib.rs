//! RideWire's backend: a small axum server for accounts, sync, plans,
//! overlay packs and diagnostics.
//!
//! [`app`] builds the router; serving it is `main.rs`'s job, so tests call
//! the router directly. Every route is listed once, with its documentation,
//! in [`routes`]; the OpenAPI document is built from the same list.

pub mod auth;
pub mod booking_mirror;
pub mod bookings;
pub mod clock;
pub mod config;
pub mod db;
pub mod email;
pub mod error;
pub mod escalations;
pub mod jpeg;
pub mod leaderboard;
pub mod limits;
pub mod quota;
pub mod request_log;
pub mod reviews;
pub mod routes;
pub mod store;
pub mod sync;
pub mod workshop_plans;
pub mod workshops;

use std::sync::Arc;

pub mod agents;

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::config::{Config, Quota, Rate};
pub use crate::db::{Db, Source};
pub use crate::error::{AppError, Result};

use crate::limits::{Limiter, Limits};
use crate::sync::progress::ProgressCache;

/// Everything the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub config: Arc<Config>,
    /// Rate limiters.
    pub limits: Arc<Limits>,
    /// Progress folded per user.
    pub progress: Arc<ProgressCache>,
    /// Access tokens already checked.
    pub tokens: Arc<auth::TokenCache>,
    /// The diagnosis agents: the offline agent and the configured providers.
    pub agents: agents::Agents,
    /// Password hashes running at once (see `Config::max_concurrent_hashes`).
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// The server's budget of paid calls to hosted agents.
    pub agent_budget: Arc<agents::Budget>,
    /// The key of the e-mail addresses at rest.
    pub email_key: email::EmailKey,
}

impl AppState {
    /// State over an opened database. Checks the settings and gives the
    /// accounts that exist with the configured admin e-mails the admin role
    /// (each promotion is logged; an address with no account promotes no one,
    /// and registering it later makes no admin).
    pub fn new(db: Db, config: Config, clock: Arc<dyn Clock>) -> Result<Self> {
        auth::password::hasher(&config)?;
        if config.max_body_bytes < 1024 {
            return Err(AppError::Config(
                "the body limit must be at least 1024 bytes".into(),
            ));
        }
        let email_key = match &config.email_key {
            Some(key) => key.clone(),
            None => match db.path() {
                Some(path) => email::EmailKey::load(None, path)?,
                // Every replica must seal and look up addresses alike.
                None => {
                    return Err(AppError::Config(
                        "a PostgreSQL database needs --email-key (the same on every replica)"
                            .into(),
                    ));
                }
            },
        };
        let admins: Vec<String> = config.admin_emails.iter().cloned().collect();
        let key = email_key.clone();
        db.write_blocking(move |conn| {
            let protected = key.protect_existing(conn)?;
            if protected > 0 {
                eprintln!(
                    "e-mail addresses: {protected} stored in clear text now hashed and sealed"
                );
            }
            for email in &admins {
                let promoted = auth::set_role_by_email(conn, &key, email, auth::Role::Admin)?;
                if promoted {
                    eprintln!("admin: {email}");
                } else {
                    eprintln!(
                        "warning: --admin {email}: no account has this e-mail; register it, then restart (or run `ridewire-server admin grant {email}`)"
                    );
                }
            }
            Ok(protected)
        })
        .and_then(|protected| {
            // Move the rewritten pages into the main file now, so the old
            // clear text is gone from it, not only from the log.
            if protected > 0 {
                db.checkpoint()?;
            }
            Ok(())
        })?;
        let limits = Limits {
            per_ip: Limiter::new(config.per_ip),
            per_user: Limiter::new(config.per_user),
            auth_per_ip: Limiter::new(config.auth_per_ip),
            diagnoses_per_user: Limiter::new(config.diagnoses_per_user),
            login_per_account: Limiter::new(config.login_per_account),
        };
        let hashes = config.max_concurrent_hashes.max(1);
        let agent_budget = Arc::new(agents::Budget::new(
            config.agent_calls_per_minute,
            config.agent_calls_per_day,
        ));
        Ok(AppState {
            db,
            clock,
            config: Arc::new(config),
            limits: Arc::new(limits),
            progress: Arc::new(ProgressCache::default()),
            tokens: Arc::new(auth::TokenCache::default()),
            hashing: Arc::new(tokio::sync::Semaphore::new(hashes)),
            agent_budget,
            email_key,
            // Offline only until `with_agents` names the providers.
            agents: agents::Agents::offline().map_err(|e| AppError::Config(e.to_string()))?,
        })
    }

    /// The same state asking `agents` for diagnoses.
    pub fn with_agents(mut self, agents: agents::Agents) -> Self {
        self.agents = agents;
        self
    }
}

/// The whole API: one router per resource, merged, behind the body limit
/// and the per-IP rate limit.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    routes::router(&state)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::per_ip,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(request_log::request_id))
        .with_state(state)
}
