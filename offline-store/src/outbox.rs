//! Push bookkeeping: which of this device's events go next, and what the
//! server's answers do to the outbox. Every answer is settled in one
//! transaction, so a crash between two answers leaves a queue that simply
//! sends again (the server keeps each event once).

use std::ops::RangeInclusive;

use ridewire_engine::event::Event;
use ridewire_engine::sync::{PushResponse, Rejected};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::store::decode_event;
use crate::{Error, Result, Store};

/// Deletes acknowledged rows; wedged rows stay so the refusal stays visible.
pub(crate) fn acknowledge_in(tx: &Transaction<'_>, seq: u64) -> Result<usize> {
    Ok(tx.execute(
        "DELETE FROM outbox WHERE seq <= ?1 AND wedged = 0",
        params![to_sql(seq)?],
    )?)
}

fn to_sql(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::Invalid(format!("sequence {seq} is out of range")))
}

/// What settling a push answer changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    /// Rows the server now holds, removed from the queue.
    pub acknowledged: usize,
    /// Rows the server refused for good, now wedged.
    pub wedged: usize,
}

impl Store {
    /// The next events to push: this device's unsent, not wedged events in
    /// sequence order, starting at the first one and stopping before any gap
    /// (a wedged row), so every batch is a consecutive piece of the chain.
    pub fn next_push_batch(&self, max: usize) -> Result<Vec<Event>> {
        let mut stmt = self.conn().prepare(
            "SELECT e.body FROM outbox o JOIN events e ON e.id = o.event_id
             WHERE o.wedged = 0 ORDER BY o.seq LIMIT ?1",
        )?;
        let limit = i64::try_from(max).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![limit], |r| r.get::<_, String>(0))?;
        let mut batch: Vec<Event> = Vec::new();
        for body in rows {
            let event = decode_event(&body?)?;
            if batch.last().is_some_and(|prev| prev.seq + 1 != event.seq) {
                break;
            }
            batch.push(event);
        }
        Ok(batch)
    }

    /// Events still to be sent (not wedged).
    pub fn pending_count(&self) -> Result<usize> {
        self.count("SELECT count(*) FROM outbox WHERE wedged = 0")
    }

    /// Events the server refused for good.
    pub fn wedged_count(&self) -> Result<usize> {
        self.count("SELECT count(*) FROM outbox WHERE wedged = 1")
    }

    fn count(&self, sql: &str) -> Result<usize> {
        let n: i64 = self.conn().query_row(sql, [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// When the first unsent event may be tried again (Unix ms), if a
    /// failure set a backoff; survives the app being killed.
    pub fn next_push_at(&self) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT next_attempt_at_ms FROM outbox WHERE wedged = 0 ORDER BY seq LIMIT 1",
                [],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .filter(|at| *at > 0))
    }

    /// Applies the server's answer to a push in one transaction: refused
    /// events are wedged with their reason code (they stop blocking the
    /// queue), and everything through `acked_through` leaves the queue.
    pub fn settle_push(&mut self, answer: &PushResponse) -> Result<Settled> {
        if answer.device != self.device() {
            return Err(Error::Invalid(format!(
                "push answer is about device {}, not this one",
                answer.device
            )));
        }
        self.write(|tx| {
            let mut wedged = 0;
            for Rejected {
                event_id, reason, ..
            } in &answer.rejected
            {
                wedged += tx.execute(
                    "UPDATE outbox SET wedged = 1, attempts = attempts + 1, last_error = ?2,
                         next_attempt_at_ms = 0
                     WHERE event_id = ?1",
                    params![event_id.to_string(), reason.code()],
                )?;
            }
            let acknowledged = acknowledge_in(tx, answer.acked_through)?;
            Ok(Settled {
                acknowledged,
                wedged,
            })
        })
    }

    /// Notes a transient failure (network, server error, rate limit) for the
    /// events of the batch that was tried: they keep their place in the
    /// queue and wait until `retry_at_ms`.
    pub fn note_push_failure(
        &mut self,
        seqs: RangeInclusive<u64>,
        error: &str,
        retry_at_ms: i64,
    ) -> Result<()> {
        let (first, last) = (to_sql(*seqs.start())?, to_sql(*seqs.end())?);
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?3,
                     next_attempt_at_ms = ?4
                 WHERE seq BETWEEN ?1 AND ?2 AND wedged = 0",
                params![first, last, error, retry_at_ms],
            )?;
            Ok(())
        })
    }

    /// Clears the backoff of every queued event (a push got through, or the
    /// rider asked to sync now).
    pub fn clear_push_backoff(&mut self) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET next_attempt_at_ms = 0 WHERE next_attempt_at_ms != 0",
                [],
            )?;
            Ok(())
        })
    }

    /// Answers a `409` gap: the server holds this device's chain only up to
    /// `expected_seq - 1` (it was restored from a backup, or lost a commit).
    /// Rows below are acknowledged; this device's events from `expected_seq`
    /// on are queued again (wedged ones too: the server gets to refuse them
    /// again and count them as held). Returns how many rows were re-queued.
    pub fn rewind_outbox(&mut self, expected_seq: u64) -> Result<usize> {
        let device = self.device().to_string();
        let expected = to_sql(expected_seq.max(1))?;
        self.write(|tx| {
            acknowledge_in(tx, expected_seq.saturating_sub(1))?;
            tx.execute(
                "UPDATE outbox SET wedged = 0, next_attempt_at_ms = 0 WHERE seq >= ?1",
                params![expected],
            )?;
            let requeued = tx.execute(
                "INSERT INTO outbox (event_id, seq)
                 SELECT e.id, e.seq FROM events e
                 WHERE e.device_id = ?1 AND e.seq >= ?2
                   AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id)",
                params![device, expected],
            )?;
            Ok(requeued)
        })
    }
}
