//! Storing a device's pushed events exactly once.
//!
//! Each event is read on its own from raw JSON, so one the server cannot
//! parse (a newer app's event kind, a damaged row) is rejected alone and the
//! rest of the batch goes on. Rejected events are kept as tombstones: their
//! sequence counts as held, so `acked_through` passes them, and the next
//! event may link to the hash the rejected one claimed.

use ridewire_engine::event::{DeviceId, Event, EventId, Hash};
use ridewire_engine::sync::{Change, Gap, PushResponse, RejectReason, Rejected, check_values};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use uuid::Uuid;

use crate::db::log_change;
use crate::error::{AppError, Result};

/// What a push did.
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    /// Processed: what the server holds now, and what it refused.
    Acked(PushResponse),
    /// The batch starts beyond what the server holds: `409` with the
    /// sequence it expects. Nothing was stored.
    Gap(Gap),
}

/// How the server judged one event at the next free sequence.
enum Verdict {
    Accept(Box<Event>),
    Reject(RejectReason),
}

/// The id an event claims, if it can be read (for rejections).
fn claimed_id(raw: &Value) -> Option<Uuid> {
    raw.get("id")?.as_str()?.parse().ok()
}

/// The hash an event claims, if it can be read (the next link).
fn claimed_hash(raw: &Value) -> Option<Hash> {
    Hash::from_hex(raw.get("hash")?.as_str()?).ok()
}

fn rejection(raw: &Value, seq: u64, reason: RejectReason) -> Rejected {
    Rejected {
        event_id: EventId(claimed_id(raw).unwrap_or(Uuid::nil())),
        seq,
        reason,
    }
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(format!("encoding: {e}")))
}

/// Stores the events of one push from `device` for account `user`, in one
/// transaction. Refuses a device another account owns.
pub fn push(
    tx: &Connection,
    user: i64,
    now_ms: i64,
    device: DeviceId,
    events: &[Value],
) -> Result<PushOutcome> {
    let device_key = device.0.to_string();
    let row: Option<(i64, i64, Option<String>)> = tx
        .query_row(
            "SELECT user_id, acked_through, tail_hash FROM devices WHERE id = ?1",
            [&device_key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (mut acked, mut tail) = match row {
        Some((owner, _, _)) if owner != user => {
            return Err(AppError::forbidden(
                "device_of_another_account",
                "this device belongs to another account",
            ));
        }
        Some((_, acked, tail)) => (
            u64::try_from(acked).unwrap_or(0),
            tail.and_then(|t| Hash::from_hex(&t).ok()),
        ),
        None => {
            tx.execute(
                "INSERT INTO devices (id, user_id, acked_through, tail_hash, created_ms)
                 VALUES (?1, ?2, 0, ?3, ?4)",
                params![device_key, user, Hash::ZERO.to_hex(), now_ms],
            )?;
            (0, Some(Hash::ZERO))
        }
    };
    let held_before = acked;

    // Sequence order, whatever order the batch came in.
    let mut batch: Vec<(Option<u64>, &Value)> = events
        .iter()
        .map(|raw| (raw.get("seq").and_then(Value::as_u64), raw))
        .collect();
    batch.sort_by_key(|(seq, _)| *seq);

    let mut rejected = Vec::new();
    let mut continues = false;
    for (seq, raw) in batch {
        let Some(seq) = seq.filter(|s| i64::try_from(*s).is_ok()) else {
            // Without a sequence the event has no place in the chain.
            rejected.push(rejection(raw, 0, RejectReason::BadPayload));
            continue;
        };
        if seq == 0 {
            rejected.push(rejection(raw, 0, RejectReason::ForgedValue));
            continue;
        }
        if seq <= acked {
            continues = true;
            if let Some(r) = resent(tx, &device_key, seq, raw)? {
                rejected.push(r);
            }
            continue;
        }
        if seq > acked + 1 {
            if continues {
                // The batch has a hole: keep what came before it.
                break;
            }
            return Ok(PushOutcome::Gap(Gap {
                expected_seq: acked + 1,
            }));
        }
        continues = true;
        match judge(tx, raw, device, tail, now_ms)? {
            Verdict::Accept(event) => {
                store_event(tx, user, &device_key, &event, now_ms)?;
                tail = Some(event.hash);
            }
            Verdict::Reject(reason) => {
                let hash = claimed_hash(raw);
                tx.prepare_cached(
                    "INSERT INTO events (user_id, device, seq, event_id, claimed_id, hash, body,
                                         rejected, received_ms)
                     VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    user,
                    device_key,
                    seq as i64,
                    claimed_id(raw).map(|u| u.to_string()),
                    hash.map(|h| h.to_hex()),
                    encode(raw)?,
                    reason.code(),
                    now_ms
                ])?;
                rejected.push(rejection(raw, seq, reason));
                tail = hash;
            }
        }
        acked = seq;
    }
    if acked != held_before {
        tx.execute(
            "UPDATE devices SET acked_through = ?1, tail_hash = ?2 WHERE id = ?3",
            params![acked as i64, tail.map(|h| h.to_hex()), device_key],
        )?;
    }
    Ok(PushOutcome::Acked(PushResponse {
        device,
        acked_through: acked,
        rejected,
    }))
}

/// An event at a sequence the server already holds: harmless when it is the
/// same event (the answer is repeated for a tombstone, in case the first
/// answer was lost), a conflicting sequence otherwise.
fn resent(tx: &Connection, device: &str, seq: u64, raw: &Value) -> Result<Option<Rejected>> {
    let stored: Option<(Option<String>, String, Option<String>)> = tx
        .prepare_cached(
            "SELECT event_id, body, rejected FROM events WHERE device = ?1 AND seq = ?2",
        )?
        .query_row(params![device, seq as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((_, body, reason)) = stored else {
        return Ok(None);
    };
    let same = match &reason {
        None => {
            let incoming: Option<Event> = serde_json::from_value(raw.clone()).ok();
            let held: Option<Event> = serde_json::from_str(&body).ok();
            incoming.is_some() && incoming == held
        }
        Some(_) => encode(raw)? == body,
    };
    if !same {
        return Ok(Some(rejection(raw, seq, RejectReason::ConflictingSequence)));
    }
    Ok(reason.map(|code| rejection(raw, seq, reason_from_code(&code))))
}

fn reason_from_code(code: &str) -> RejectReason {
    serde_json::from_value(Value::String(code.to_owned())).unwrap_or(RejectReason::BadPayload)
}

/// Checks the event at the device's next sequence.
fn judge(
    tx: &Connection,
    raw: &Value,
    device: DeviceId,
    tail: Option<Hash>,
    now_ms: i64,
) -> Result<Verdict> {
    let Ok(event) = serde_json::from_value::<Event>(raw.clone()) else {
        return Ok(Verdict::Reject(RejectReason::BadPayload));
    };
    if event.device != device {
        return Ok(Verdict::Reject(RejectReason::WrongDevice));
    }
    if let Err(reason) = check_values(&event, now_ms) {
        return Ok(Verdict::Reject(reason));
    }
    match event.compute_hash() {
        Ok(h) if h == event.hash => {}
        Ok(_) => return Ok(Verdict::Reject(RejectReason::HashMismatch)),
        Err(_) => return Ok(Verdict::Reject(RejectReason::BadPayload)),
    }
    // After an event whose hash could not be read the link cannot be checked.
    if tail.is_some_and(|t| t != event.prev_hash) {
        return Ok(Verdict::Reject(RejectReason::BrokenChain));
    }
    let taken: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM events WHERE event_id = ?1")?
        .query_row([event.id.0.to_string()], |r| r.get(0))
        .optional()?;
    if taken.is_some() {
        return Ok(Verdict::Reject(RejectReason::DuplicateId));
    }
    Ok(Verdict::Accept(Box::new(event)))
}

fn store_event(tx: &Connection, user: i64, device: &str, event: &Event, now_ms: i64) -> Result<()> {
    let id = event.id.0.to_string();
    tx.prepare_cached(
        "INSERT INTO events (user_id, device, seq, event_id, claimed_id, hash, body, rejected,
                             received_ms)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, NULL, ?7)",
    )?
    .execute(params![
        user,
        device,
        event.seq as i64,
        id,
        event.hash.to_hex(),
        encode(event)?,
        now_ms
    ])?;
    log_change(
        tx,
        Some(user),
        None,
        &Change::Event {
            event: event.clone(),
        },
    )?;
    Ok(())
}
