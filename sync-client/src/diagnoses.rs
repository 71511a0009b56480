//! Diagnostic runs and the rider's notes between devices, after each round's
//! push and pull: unsent notes go to the server, then the server's history
//! of runs is paged (newest first) to keep here the runs its agents answered
//! for the rider's other devices, and the notes written there.
//!
//! A run is kept only once its `DiagnosticRun` event is here, so its XP is
//! never counted twice (the event earns it; the record only shows it). The
//! work is bounded per round: a steady state costs one page, and a long
//! history is walked over several rounds, resuming where the last one
//! stopped. Nothing here fails the round: a server that does not know
//! these endpoints, or one that fails, is reported in the [`SyncReport`].

use ridewire_engine::event::EventId;
pub use ridewire_engine::sync::runs::{
    History as HistoryPage, Panel as RemotePanel, Run as RemoteRun, RunFeedback as HeldFeedback,
    RunSummary as RunLine,
};
use uuid::Uuid;

use ridewire_offline_store::{DiagnosisRecord, Feedback, FeedbackSync, Store, Walk};

use crate::{Error, Result, SyncReport, Transport};

/// Requests about runs and notes in one round (notes sent, history pages,
/// runs fetched); the rest waits for the next round.
pub const MAX_DIAGNOSIS_REQUESTS: usize = 60;
/// Runs per history page.
pub const HISTORY_PAGE: usize = 50;

/// A run the server's agents answered, as this device keeps it
/// ([`Store::keep_remote_diagnosis`]); its note, if any, is the one the
/// server holds.
pub fn record_of(run: &RemoteRun) -> DiagnosisRecord {
    DiagnosisRecord {
        id: run.id,
        event: EventId(run.event_id),
        at_ms: run.created_ms,
        request: run.request.clone(),
        result: run.panel.diagnosis.clone(),
        xp: run.xp_earned,
        achievements: run.achievements.clone(),
        feedback: run.feedback.clone().map(|text| Feedback {
            text,
            at_ms: run.feedback_ms.unwrap_or(run.created_ms),
            sync: FeedbackSync::Sent,
        }),
    }
}

/// Sends unsent notes and keeps the runs and notes of other devices, within
/// [`MAX_DIAGNOSIS_REQUESTS`]; why it stopped early goes to the report.
pub(super) async fn exchange<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    report: &mut SyncReport,
) {
    let mut budget = MAX_DIAGNOSIS_REQUESTS;
    let done = match send_notes(store, transport, &mut budget, report).await {
        Ok(()) => bring_runs(store, transport, &mut budget, report).await,
        Err(e) => Err(e),
    };
    if let Err(e) = done {
        report.diagnoses_error = Some(match e {
            Error::Refused {
                status: 404, code, ..
            } if code != "not_found" => {
                "the server does not share diagnostic runs and notes between devices yet".into()
            }
            e => e.to_string(),
        });
    }
}

async fn send_notes<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    budget: &mut usize,
    report: &mut SyncReport,
) -> Result<()> {
    for (run, note) in store.unsent_feedback(*budget)? {
        *budget = budget.saturating_sub(1);
        match transport.send_feedback(run, &note.text, note.at_ms).await {
            Ok(held) => {
                let replaced =
                    (held.feedback.as_str(), held.feedback_ms) != (note.text.as_str(), note.at_ms);
                if store.feedback_sent(run, &note, &held.feedback, held.feedback_ms)? && replaced {
                    // Another device's note was written later: it stays.
                    report.feedback_taken += 1;
                } else if !replaced {
                    report.feedback_sent += 1;
                }
            }
            // The server does not know the run (e.g. it lost it): the note
            // stays here rather than be sent every round.
            Err(Error::Refused {
                status: 404, code, ..
            }) if code == "not_found" => {
                store.feedback_stays_here(run, &note, FeedbackSync::DeviceOnly)?;
                report.feedback_kept_here += 1;
            }
            // No such endpoint (an older server): try again another time.
            Err(e @ Error::Refused { status: 404, .. }) => return Err(e),
            Err(Error::Refused { .. }) => {
                store.feedback_stays_here(run, &note, FeedbackSync::Refused)?;
                report.feedback_kept_here += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// How one pass over the history ended.
enum Pass {
    /// It reached the oldest run.
    End,
    /// A page held only runs kept here already.
    CaughtUp,
    /// The round's requests ran out; the walk goes on before this run
    /// (from the newest when `None`).
    OutOfRequests(Option<Uuid>),
}

/// Each round looks for new runs from the newest until a page holds only
/// runs kept here; while the walk through older runs has not reached the
/// oldest, it then goes on with it.
async fn bring_runs<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    budget: &mut usize,
    report: &mut SyncReport,
) -> Result<()> {
    let walk = store.diagnoses_walk()?;
    let resume = match walk {
        Walk::FromNewest => None,
        Walk::Before(_) | Walk::Done => {
            if let Pass::OutOfRequests(Some(at)) =
                pass(store, transport, None, true, budget, report).await?
            {
                // New runs beyond what one round takes: the walk goes on
                // from there (and passes the older point it stood at).
                return Ok(store.set_diagnoses_walk(Walk::Before(at))?);
            }
            match walk {
                Walk::Before(at) => Some(at),
                _ => return Ok(()),
            }
        }
    };
    match pass(store, transport, resume, false, budget, report).await? {
        Pass::OutOfRequests(at) => {
            Ok(store.set_diagnoses_walk(at.map_or(Walk::FromNewest, Walk::Before))?)
        }
        Pass::End | Pass::CaughtUp => Ok(store.set_diagnoses_walk(Walk::Done)?),
    }
}

/// Pages the history from before `start` (the newest when `None`).
async fn pass<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    start: Option<Uuid>,
    until_caught_up: bool,
    budget: &mut usize,
    report: &mut SyncReport,
) -> Result<Pass> {
    let (mut before, mut looked_at) = (start, start);
    loop {
        let Some(left) = budget.checked_sub(1) else {
            return Ok(Pass::OutOfRequests(looked_at));
        };
        *budget = left;
        let page = transport.diagnosis_history(before, HISTORY_PAGE).await?;
        report.history_pages += 1;
        let mut all_kept = true;
        for line in &page.runs {
            if store.has_diagnosis(line.id)? {
                if let (Some(text), Some(at_ms)) = (&line.feedback, line.feedback_ms)
                    && store.take_server_feedback(line.id, text, at_ms)?
                {
                    report.feedback_taken += 1;
                }
            } else {
                all_kept = false;
                // Its event is not here yet (the run is newer than the
                // pull): a later round keeps it.
                if store.has_event(EventId(line.event_id))? {
                    let Some(left) = budget.checked_sub(1) else {
                        return Ok(Pass::OutOfRequests(looked_at));
                    };
                    *budget = left;
                    match transport.diagnosis(line.id).await {
                        Ok(run) => {
                            if store.keep_remote_diagnosis(&record_of(&run))? {
                                report.diagnoses_kept += 1;
                            }
                        }
                        // Gone since the page was read.
                        Err(Error::Refused {
                            status: 404, code, ..
                        }) if code == "not_found" => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            looked_at = Some(line.id);
        }
        if until_caught_up && all_kept {
            return Ok(Pass::CaughtUp);
        }
        match page.next_before {
            Some(next) => before = Some(next),
            None => return Ok(Pass::End),
        }
    }
}
