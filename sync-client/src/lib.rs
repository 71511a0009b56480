//! The device side of sync: pushing this device's outbox to the server,
//! sending record edits, and pulling what changed elsewhere. The local
//! database is `ridewire-offline-store`, which only stores; this crate is
//! everything that talks to the server, with its own [`Error`] that tells
//! the network's failures from the store's.
//!
//! - [`Transport`] is the line between the sync rules and the network, so
//!   tests can drop, duplicate or reorder deliveries; [`HttpTransport`] is the
//!   real one (`reqwest` with rustls, bearer tokens, refresh on `401`).
//! - [`sync_once`] is one round: push every unsent event in batches of at
//!   most [`MAX_PUSH_EVENTS`] (resending from the server's expected sequence
//!   on a gap), send queued record edits, then pull until nothing more waits;
//!   then send the rider's unsent notes on runs and keep the runs answered
//!   for other devices ([`diagnoses`], bounded per round, never failing the
//!   round). Every answer is settled in its own transaction, so a round cut
//!   short anywhere — app killed, connection lost — resumes where it stood.
//! - [`Syncer`] runs rounds on a background thread with its own small tokio
//!   runtime (the app is not async): on request, on a timer, and after a
//!   failure with exponential backoff and jitter, also when no new event
//!   arrives.
//!
//! [`MAX_PUSH_EVENTS`]: ridewire_engine::sync::MAX_PUSH_EVENTS

mod asks;
mod backoff;
pub mod diagnoses;
mod error;
mod http;
mod photos;
mod questions;
mod round;
mod syncer;

use std::future::Future;
use std::time::Duration;

use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::sync::leaderboard::{Board, DisplayName, LeaderboardPage, Period};
use ridewire_engine::sync::record::{Conflict, Edit, Record};
use ridewire_engine::sync::workshops::{WorkshopAnswer, WorkshopCall};
use ridewire_engine::sync::{Cursor, Gap, PullResponse, PushRequest, PushResponse};
use uuid::Uuid;

pub use backoff::Backoff;
pub use diagnoses::{HeldFeedback, HistoryPage, RemotePanel, RemoteRun, RunLine, record_of};
pub use error::{Error, Result, Trouble};
pub use http::{Account, HttpTransport, MAX_RETRY_AFTER, Session, is_cleartext_remote};
pub use photos::{CompletionProof, ShownPhoto, Vouched};
pub use round::{MAX_PAGE_TRIES, SyncReport, pull_changes, push_outbox, sync_once};
pub use syncer::{
    Brought, OnlineDiagnosis, RoundReport, SyncConfig, SyncHandle, SyncStatus, Syncer, Unwatch,
    Watch,
};

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

/// The longest a long-poll pull waits for news ([`Transport::news_after`]):
/// well inside the HTTP client's request timeout.
pub const LISTEN_WAIT: Duration = Duration::from_secs(20);

/// How the sync rules reach the server. Errors say whether trying again may
/// help ([`Error::is_transient`]).
pub trait Transport: Send + Sync {
    /// Sends one batch of this device's events.
    fn push(&self, request: &PushRequest) -> impl Future<Output = Result<Pushed>> + Send;

    /// Asks for the changes after `cursor`, at most `limit` of them.
    fn pull(
        &self,
        cursor: &Cursor,
        limit: usize,
    ) -> impl Future<Output = Result<PullResponse>> + Send;

    /// Waits up to `wait` for the server to have something after `cursor`
    /// (a long-poll pull, issue 16); whether it has. The changes are not
    /// taken: the round that follows pulls them. A transport that cannot
    /// wait never answers (the syncer then keeps to its interval).
    fn news_after(
        &self,
        cursor: &Cursor,
        wait: Duration,
    ) -> impl Future<Output = Result<bool>> + Send {
        let _ = (cursor, wait);
        std::future::pending()
    }

    /// Sends one record edit.
    fn send_edit(&self, edit: &Edit) -> impl Future<Output = Result<EditAnswer>> + Send;

    /// One page of the rider's diagnostic runs on the server, newest first:
    /// those older than the run `before` (from the newest when `None`), at
    /// most `limit`.
    fn diagnosis_history(
        &self,
        before: Option<Uuid>,
        limit: usize,
    ) -> impl Future<Output = Result<HistoryPage>> + Send;

    /// One of the rider's runs on the server, whole.
    fn diagnosis(&self, id: Uuid) -> impl Future<Output = Result<RemoteRun>> + Send;

    /// Asks the server's diagnosis agents (`POST /api/v1/diagnostics`): the
    /// server gates their consensus, stores the run and records it as a
    /// `DiagnosticRun` event for the rider, which reaches this device with
    /// the next pull. Answers the stored run. A transport to a server
    /// without agents answers as such a server does: `404 not_found`.
    fn diagnose(
        &self,
        request: &DiagnosticRequest,
        utc_offset_min: i16,
    ) -> impl Future<Output = Result<RemoteRun>> + Send {
        let _ = (request, utc_offset_min);
        std::future::ready(Err(Error::Refused {
            status: 404,
            code: "not_found".into(),
            message: "this server has no diagnosis agents".into(),
        }))
    }

    /// Sends the rider's note on run `id`, written at `at_ms`; answers the
    /// note the server holds afterwards (a later one from another device
    /// stays). A run the server does not know is `Refused` with status 404
    /// and code `not_found`.
    fn send_feedback(
        &self,
        id: Uuid,
        feedback: &str,
        at_ms: i64,
    ) -> impl Future<Output = Result<HeldFeedback>> + Send;

    /// One leaderboard as the server ranks it now: its top riders and
    /// where this rider stands. A transport to a server without boards
    /// answers as such a server does: `404 not_found`.
    fn leaderboard(
        &self,
        board: Board,
        period: Period,
    ) -> impl Future<Output = Result<LeaderboardPage>> + Send {
        let _ = (board, period);
        std::future::ready(Err(no_boards()))
    }

    /// Lists this rider on the boards under `name`, or takes them off every
    /// board with `None`; answers the name the server keeps. A name another
    /// rider has is `Refused` with status 409 and code `display_name_taken`.
    fn set_display_name(
        &self,
        name: Option<&str>,
    ) -> impl Future<Output = Result<DisplayName>> + Send {
        let _ = name;
        std::future::ready(Err(no_boards()))
    }

    /// Stores the photo `jpeg` of a proof under its digest `sha256`
    /// (`PUT /api/v1/photos/{sha256}`; the same photo again is no error).
    /// A transport to a server without photos answers `404 not_found`.
    fn upload_photo(&self, sha256: &str, jpeg: &[u8]) -> impl Future<Output = Result<()>> + Send {
        let _ = (sha256, jpeg);
        std::future::ready(Err(no_photos()))
    }

    /// What the rider who completed `completion` (a `QuestCompleted`
    /// event's id) shows of it: the quest, its photo, who vouched.
    fn completion_proof(
        &self,
        completion: Uuid,
    ) -> impl Future<Output = Result<CompletionProof>> + Send {
        let _ = completion;
        std::future::ready(Err(no_photos()))
    }

    /// Vouches for another rider's completion `completion`.
    fn vouch(&self, completion: Uuid) -> impl Future<Output = Result<Vouched>> + Send {
        let _ = completion;
        std::future::ready(Err(no_photos()))
    }

    /// A question about workshops (found one, invite, join, share, leave,
    /// list customers). A transport to a server without workshops answers
    /// as such a server does: `404 not_found`.
    fn workshop(&self, call: &WorkshopCall) -> impl Future<Output = Result<WorkshopAnswer>> + Send {
        let _ = call;
        std::future::ready(Err(Error::Refused {
            status: 404,
            code: "not_found".into(),
            message: "this server has no workshops".into(),
        }))
    }
}

/// What a server without photo proofs answers.
fn no_photos() -> Error {
    Error::Refused {
        status: 404,
        code: "not_found".into(),
        message: "this server keeps no photo proofs".into(),
    }
}

/// What a server without leaderboards answers.
fn no_boards() -> Error {
    Error::Refused {
        status: 404,
        code: "not_found".into(),
        message: "this server has no leaderboards".into(),
    }
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

    fn news_after(
        &self,
        cursor: &Cursor,
        wait: Duration,
    ) -> impl Future<Output = Result<bool>> + Send {
        (**self).news_after(cursor, wait)
    }

    fn send_edit(&self, edit: &Edit) -> impl Future<Output = Result<EditAnswer>> + Send {
        (**self).send_edit(edit)
    }

    fn diagnosis_history(
        &self,
        before: Option<Uuid>,
        limit: usize,
    ) -> impl Future<Output = Result<HistoryPage>> + Send {
        (**self).diagnosis_history(before, limit)
    }

    fn diagnosis(&self, id: Uuid) -> impl Future<Output = Result<RemoteRun>> + Send {
        (**self).diagnosis(id)
    }

    fn diagnose(
        &self,
        request: &DiagnosticRequest,
        utc_offset_min: i16,
    ) -> impl Future<Output = Result<RemoteRun>> + Send {
        (**self).diagnose(request, utc_offset_min)
    }

    fn send_feedback(
        &self,
        id: Uuid,
        feedback: &str,
        at_ms: i64,
    ) -> impl Future<Output = Result<HeldFeedback>> + Send {
        (**self).send_feedback(id, feedback, at_ms)
    }

    fn leaderboard(
        &self,
        board: Board,
        period: Period,
    ) -> impl Future<Output = Result<LeaderboardPage>> + Send {
        (**self).leaderboard(board, period)
    }

    fn set_display_name(
        &self,
        name: Option<&str>,
    ) -> impl Future<Output = Result<DisplayName>> + Send {
        (**self).set_display_name(name)
    }

    fn upload_photo(&self, sha256: &str, jpeg: &[u8]) -> impl Future<Output = Result<()>> + Send {
        (**self).upload_photo(sha256, jpeg)
    }

    fn completion_proof(
        &self,
        completion: Uuid,
    ) -> impl Future<Output = Result<CompletionProof>> + Send {
        (**self).completion_proof(completion)
    }

    fn vouch(&self, completion: Uuid) -> impl Future<Output = Result<Vouched>> + Send {
        (**self).vouch(completion)
    }

    fn workshop(&self, call: &WorkshopCall) -> impl Future<Output = Result<WorkshopAnswer>> + Send {
        (**self).workshop(call)
    }
}
