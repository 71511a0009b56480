//! The device side of sync: pushing this device's outbox to the server,
//! sending record edits, and pulling what changed elsewhere.
//!
//! - [`Transport`] is the line between the sync rules and the network, so
//!   tests can drop, duplicate or reorder deliveries; [`HttpTransport`] is the
//!   real one (`reqwest` with rustls, bearer tokens, refresh on `401`).
//! - [`sync_once`] is one round: push every unsent event in batches of at
//!   most [`MAX_PUSH_EVENTS`] (resending from the server's expected sequence
//!   on a gap), send queued record edits, then pull until nothing more waits.
//!   Every answer is settled in its own transaction, so a round cut short
//!   anywhere — app killed, connection lost — resumes where it stood.
//! - [`Syncer`] runs rounds on a background thread with its own small tokio
//!   runtime (the app is not async): on request, on a timer, and after a
//!   failure with exponential backoff and jitter, also when no new event
//!   arrives.
//!
//! [`MAX_PUSH_EVENTS`]: ridewire_engine::sync::MAX_PUSH_EVENTS

mod backoff;
mod http;
mod round;
mod syncer;

use std::future::Future;

use ridewire_engine::sync::record::{Conflict, Edit, Record};
use ridewire_engine::sync::{Cursor, Gap, PullResponse, PushRequest, PushResponse};

pub use backoff::Backoff;
pub use http::{Account, HttpTransport, Session};
pub use round::{SyncReport, pull_changes, push_outbox, sync_once};
pub use syncer::{SyncConfig, SyncHandle, SyncStatus, Syncer};

use crate::Result;

/// The server's answer to a push it could read.
#[derive(Debug, Clone, PartialEq)]
pub enum Pushed {
    /// `200`: what it holds now, and what it refused for good.
    Acked(PushResponse),
    /// `409`: the batch does not continue what it holds.
    Gap(Gap),
}

/// The server's answer to a record edit it could read.
#[derive(Debug, Clone, PartialEq)]
pub enum EditAnswer {
    /// Merged; the record as the server now holds it.
    Saved(Record),
    /// Someone else changed the same fields since the edit's base version.
    Conflict(Conflict),
}

/// How the sync rules reach the server. Errors say whether trying again may
/// help ([`crate::Error::is_transient`]).
pub trait Transport: Send + Sync {
    /// Sends one batch of this device's events.
    fn push(&self, request: &PushRequest) -> impl Future<Output = Result<Pushed>> + Send;

    /// Asks for the changes after `cursor`, at most `limit` of them.
    fn pull(
        &self,
        cursor: &Cursor,
        limit: usize,
    ) -> impl Future<Output = Result<PullResponse>> + Send;

    /// Sends one record edit.
    fn send_edit(&self, edit: &Edit) -> impl Future<Output = Result<EditAnswer>> + Send;
}

/// A shared transport (the app keeps one to sign in, the syncer uses it).
impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn push(&self, request: &PushRequest) -> impl Future<Output = Result<Pushed>> + Send {
        (**self).push(request)
    }

    fn pull(
        &self,
        cursor: &Cursor,
        limit: usize,
    ) -> impl Future<Output = Result<PullResponse>> + Send {
        (**self).pull(cursor, limit)
    }

    fn send_edit(&self, edit: &Edit) -> impl Future<Output = Result<EditAnswer>> + Send {
        (**self).send_edit(edit)
    }
}
