//! One sync round: push, send edits, pull, then diagnostic runs and notes.
//! Pure rules over a [`Store`] and a [`Transport`]; timing and retries
//! belong to the [`crate::Syncer`].

use ridewire_engine::sync::{Cursor, MAX_PULL_CHANGES, MAX_PUSH_EVENTS, PushRequest};

use ridewire_offline_store::Store;

use crate::{EditAnswer, Error, Pushed, Result, Transport, diagnoses};

/// Gaps answered in a row before the round gives up (a server that keeps
/// asking for something this device already sent is broken, not slow).
const MAX_GAPS_IN_A_ROW: u32 = 4;
/// Pull pages in one round before yielding to the next round.
const MAX_PULL_PAGES: usize = 100_000;
/// Rounds a pull page may fail to apply before it is applied change by
/// change, the changes that still fail kept aside
/// ([`Store::apply_pull_skipping`]).
pub const MAX_PAGE_TRIES: u32 = 3;

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Push requests sent.
    pub push_requests: usize,
    /// Events the server acknowledged.
    pub acknowledged: usize,
    /// Events the server refused for good (now wedged).
    pub wedged: usize,
    /// Record edits the server merged.
    pub edits_saved: usize,
    /// Record edits that came back as conflicts.
    pub edits_conflicted: usize,
    /// Pull pages applied.
    pub pull_pages: usize,
    /// Events from the server this device did not have.
    pub events_pulled: usize,
    /// Plans, catalogue, overlay packs and records the pull wrote.
    pub other_changes: usize,
    /// Whether a pull dropped and re-fetched earlier pulled data.
    pub reset: bool,
    /// Changes from the server that could not be applied after
    /// [`MAX_PAGE_TRIES`] rounds and were kept aside
    /// ([`Store::skipped_changes`]).
    pub changes_skipped: usize,
    /// Changes from a later version of the server that this app cannot read
    /// yet, kept whole; the first version that reads them applies them.
    pub changes_unreadable: usize,
    /// The rider's notes on runs the server took.
    pub feedback_sent: usize,
    /// Notes that stay on this device: the server does not know their run,
    /// or refused them for good. They are not sent again.
    pub feedback_kept_here: usize,
    /// Notes written later on another device, taken from the server (also
    /// in place of a note sent from here that was written earlier).
    pub feedback_taken: usize,
    /// Runs the server's agents answered for another device, now kept whole
    /// in this device's history.
    pub diagnoses_kept: usize,
    /// Pages of the server's history of runs read.
    pub history_pages: usize,
    /// Why runs and notes stopped early this round (an older server without
    /// these endpoints, a failure); push and pull are not affected, and the
    /// next round tries again.
    pub diagnoses_error: Option<String>,
    /// Photos of proofs the server took.
    pub photos_uploaded: usize,
    /// Photos the server refused for good (their events come back refused).
    pub photos_refused: usize,
}

/// Runs one round. On a failure the attempted events keep their place and
/// note the error; `retry_at_ms` is when the caller will try again. Once
/// push and pull went through, unsent notes on runs are sent and runs
/// answered for other devices are kept (see [`super::diagnoses`]); a
/// failure there is only reported, in [`SyncReport::diagnoses_error`].
pub async fn sync_once<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    now_ms: i64,
    retry_at_ms: i64,
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    push_all(store, transport, retry_at_ms, &mut report).await?;
    send_edits(store, transport, &mut report).await?;
    pull_all(store, transport, now_ms, &mut report).await?;
    if report.reset && store.pending_count()? > 0 {
        // The server lost data: give back what it lost, then take its new
        // progress.
        push_all(store, transport, retry_at_ms, &mut report).await?;
        pull_all(store, transport, now_ms, &mut report).await?;
    }
    diagnoses::exchange(store, transport, &mut report).await;
    Ok(report)
}

/// Only pushes the outbox (what [`sync_once`] does first).
pub async fn push_outbox<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    retry_at_ms: i64,
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    push_all(store, transport, retry_at_ms, &mut report).await?;
    Ok(report)
}

/// Only pulls, page by page until nothing more waits (what [`sync_once`]
/// does last).
pub async fn pull_changes<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    now_ms: i64,
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    pull_all(store, transport, now_ms, &mut report).await?;
    Ok(report)
}

async fn push_all<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    retry_at_ms: i64,
    report: &mut SyncReport,
) -> Result<()> {
    let photos = crate::photos::upload_photos(store, transport).await?;
    report.photos_uploaded += photos.taken;
    report.photos_refused += photos.refused;
    let mut batch_size = MAX_PUSH_EVENTS;
    let mut gaps = 0;
    loop {
        let events = store.next_push_batch(batch_size)?;
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(());
        };
        let (first, last) = (first.seq, last.seq);
        let request = PushRequest {
            device: store.device(),
            events,
        };
        report.push_requests += 1;
        match transport.push(&request).await {
            Ok(Pushed::Acked(answer)) => {
                if answer.acked_through.saturating_add(1) < first {
                    // The server holds less than this device thought it
                    // acknowledged (restored from a backup): send it again.
                    gaps += 1;
                    store.rewind_outbox(answer.acked_through.saturating_add(1))?;
                } else {
                    let settled = store.settle_push(&answer)?;
                    report.acknowledged += settled.acknowledged;
                    report.wedged += settled.wedged;
                    if settled.acknowledged == 0 && settled.wedged == 0 {
                        return Err(Error::Server {
                            status: 200,
                            message: format!(
                                "the server took events {first}..={last} but acknowledged only through {}",
                                answer.acked_through
                            ),
                        });
                    }
                    gaps = 0;
                }
            }
            Ok(Pushed::Gap(gap)) => {
                gaps += 1;
                store.rewind_outbox(gap.expected_seq)?;
            }
            Err(Error::Refused { status: 413, .. }) if batch_size > 1 => {
                // The body was too large for the server: smaller batches.
                batch_size = (batch_size / 2).max(1);
                continue;
            }
            Err(e) => {
                store.note_push_failure(first..=last, &e.to_string(), retry_at_ms)?;
                return Err(e);
            }
        }
        if gaps > MAX_GAPS_IN_A_ROW {
            return Err(Error::Server {
                status: 409,
                message: format!("the server keeps asking for events before {first}"),
            });
        }
    }
}

async fn send_edits<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    report: &mut SyncReport,
) -> Result<()> {
    for pending in store.pending_edits()? {
        // Re-read: saving an earlier edit may have moved this one's base.
        let Some(pending) = store
            .pending_edits()?
            .into_iter()
            .find(|p| p.id == pending.id)
        else {
            continue;
        };
        if !pending.is_sendable() {
            continue;
        }
        match transport.send_edit(&pending.edit).await {
            Ok(EditAnswer::Saved(record)) => {
                store.edit_saved(&pending, &record)?;
                report.edits_saved += 1;
            }
            Ok(EditAnswer::Conflict(conflict)) => {
                store.edit_conflicted(pending.id, &conflict)?;
                report.edits_conflicted += 1;
            }
            Err(e @ Error::Refused { .. }) => {
                store.edit_failed(pending.id, &e.to_string(), true)?;
            }
            Err(e) => {
                store.edit_failed(pending.id, &e.to_string(), false)?;
                return Err(e);
            }
        }
    }
    Ok(())
}

async fn pull_all<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
    now_ms: i64,
    report: &mut SyncReport,
) -> Result<()> {
    // What an earlier version of the app kept because it could not read it.
    report.other_changes += store.apply_kept_changes(now_ms)?;
    for _ in 0..MAX_PULL_PAGES {
        let cursor = store.cursor()?;
        let page = transport.pull(&cursor, MAX_PULL_CHANGES).await?;
        if !page.reset && cursor != Cursor::START && !cursor.is_from(&page.cursor.epoch) {
            // Another epoch without a reset: this device's history and the
            // server's cannot be mixed. Start again from the beginning.
            store.restart_pull()?;
            return Err(Error::Server {
                status: 200,
                message: format!(
                    "pull answered from epoch {:?} without a reset (cursor was {cursor})",
                    page.cursor.epoch
                ),
            });
        }
        let applied = match store.apply_pull(&page, now_ms) {
            Ok(applied) => applied,
            Err(e @ ridewire_offline_store::Error::Invalid(_)) => {
                // A page this device cannot apply: try it again next round
                // (a fault on the way may have spoilt it); after a few
                // rounds take what can be taken and keep the rest aside,
                // rather than stall every round from now on.
                if store.note_pull_failure()? < MAX_PAGE_TRIES {
                    return Err(e.into());
                }
                store.apply_pull_skipping(&page, now_ms)?
            }
            Err(e) => return Err(e.into()),
        };
        report.changes_skipped += applied.changes_skipped;
        report.changes_unreadable += applied.changes_unreadable;
        report.pull_pages += 1;
        report.events_pulled += applied.events_added;
        report.other_changes += applied.other_changes;
        report.reset |= applied.reset;
        if !page.more {
            return Ok(());
        }
        if page.changes.is_empty() && page.cursor == cursor {
            return Err(Error::Server {
                status: 200,
                message: "the server says more changes wait but sent none".into(),
            });
        }
    }
    Ok(())
}
