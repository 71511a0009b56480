//! Storing a device's pushed events exactly once.
//!
//! Each event is read on its own from raw JSON, so one the server cannot
//! parse (a newer app's event kind, a damaged row) is rejected alone and the
//! rest of the batch goes on. Rejected events are kept as tombstones: their
//! sequence counts as held, so `acked_through` passes them, and the next
//! event may link to the hash the rejected one claimed. A tombstone keeps
//! the claimed id, the reason, the size and a digest, not the body.
//!
//! What a device may not write (issue 11): events on the server's own device
//! for a user, validations (only another account validates, through
//! `POST /api/v1/validations`), diagnostic runs the server cannot account
//! for, scans of a vehicle the account does not have, photo proofs whose
//! picture the account has not uploaded (`PUT /api/v1/photos/{sha256}`, the
//! same size and frame), events dated in the future or before the event
//! they follow, and free text beyond the engine's limits. Everything stored
//! is charged to the account's quota.

use std::sync::OnceLock;

use crate::store::{Connection, OptionalExtension, params};
use ridewire_engine::diagnostics::codes::CodeDatabase;
use ridewire_engine::event::{DeviceId, Event, EventId, EventKind, Hash};
use ridewire_engine::proof::PhotoProof;
use ridewire_engine::sync::{Gap, PushResponse, RejectReason, Rejected, check_values};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Quota;
use crate::db::log_change_json;
use crate::error::{AppError, Result};
use crate::quota::{TOMBSTONE_BYTES, charge};

/// Who writes a batch of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// A rider's device, through `POST /api/v1/sync/push`: trusted with
    /// nothing it cannot prove.
    Device,
    /// The server itself, on a user's server device (runs its agents
    /// answered, validations by other accounts).
    Server,
}

/// The bundled code database, read once: offline runs are re-run on it.
fn code_database() -> Result<&'static CodeDatabase> {
    static DB: OnceLock<std::result::Result<CodeDatabase, String>> = OnceLock::new();
    DB.get_or_init(|| CodeDatabase::bundled().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::Internal(format!("the bundled code database is damaged: {e}")))
}

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
/// transaction. Refuses a device another account owns, and (for a
/// [`Writer::Device`]) the server's own devices; refuses the whole push with
/// `413 quota_exceeded` when it would take the account over `quota`.
pub fn push(
    tx: &Connection,
    user: i64,
    now_ms: i64,
    device: DeviceId,
    events: &[Value],
    writer: Writer,
    quota: Quota,
) -> Result<PushOutcome> {
    let device_key = device.0.to_string();
    if writer == Writer::Device {
        let servers: Option<i64> = tx
            .prepare_cached("SELECT 1 FROM server_devices WHERE device = ?1")?
            .query_row([&device_key], |r| r.get(0))
            .optional()?;
        if servers.is_some() {
            return Err(AppError::forbidden(
                "server_device",
                "this device is the server's own record of your runs; only the server writes it",
            ));
        }
    }
    let row: Option<(i64, i64, Option<String>, Option<i64>)> = tx
        .query_row(
            "SELECT user_id, acked_through, tail_hash, tail_at_ms FROM devices WHERE id = ?1",
            [&device_key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let (mut acked, mut tail, mut tail_at) = match row {
        Some((owner, ..)) if owner != user => {
            return Err(AppError::forbidden(
                "device_of_another_account",
                "this device belongs to another account",
            ));
        }
        Some((_, acked, tail, tail_at)) => (
            u64::try_from(acked).unwrap_or(0),
            tail.and_then(|t| Hash::from_hex(&t).ok()),
            tail_at,
        ),
        None => {
            tx.execute(
                "INSERT INTO devices (id, user_id, acked_through, tail_hash, created_ms)
                 VALUES (?1, ?2, 0, ?3, ?4)",
                params![device_key, user, Hash::ZERO.to_hex(), now_ms],
            )?;
            (0, Some(Hash::ZERO), None)
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
    let (mut rows, mut bytes) = (0i64, 0i64);
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
        let checks = Checks {
            device,
            user,
            tail,
            tail_at,
            now_ms,
            writer,
        };
        match judge(tx, raw, &checks)? {
            Verdict::Accept(event) => {
                bytes += store_event(tx, user, &device_key, &event, now_ms)?;
                // An escalated run answered on the device waits for a
                // workshop's review.
                if writer == Writer::Device && matches!(event.kind, EventKind::DiagnosticRun { .. })
                {
                    crate::escalations::keep(tx, user, &event, code_database()?)?;
                }
                tail = Some(event.hash);
                tail_at = Some(event.at_ms);
            }
            Verdict::Reject(reason) => {
                let hash = claimed_hash(raw);
                let encoded = encode(raw)?;
                tx.prepare_cached(
                    "INSERT INTO events (user_id, device, seq, event_id, claimed_id, hash, body,
                                         rejected, received_ms, size)
                     VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    user,
                    device_key,
                    seq as i64,
                    claimed_id(raw).map(|u| u.to_string()),
                    hash.map(|h| h.to_hex()),
                    tombstone(&encoded),
                    reason.code(),
                    now_ms,
                    encoded.len() as i64,
                ])?;
                bytes += TOMBSTONE_BYTES;
                rejected.push(rejection(raw, seq, reason));
                tail = hash;
            }
        }
        rows += 1;
        acked = seq;
    }
    if acked != held_before {
        tx.execute(
            "UPDATE devices SET acked_through = ?1, tail_hash = ?2, tail_at_ms = ?3 WHERE id = ?4",
            params![acked as i64, tail.map(|h| h.to_hex()), tail_at, device_key],
        )?;
    }
    charge(tx, quota, user, rows, bytes)?;
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
            let incoming: Option<Event> = Event::deserialize(raw).ok();
            let held: Option<Event> = serde_json::from_str(&body).ok();
            incoming.is_some() && incoming == held
        }
        Some(_) => {
            let incoming = tombstone(&encode(raw)?);
            // Tombstones from before 004_trust hold the whole body.
            incoming == body || incoming == tombstone(&body)
        }
    };
    if !same {
        return Ok(Some(rejection(raw, seq, RejectReason::ConflictingSequence)));
    }
    Ok(reason.map(|code| rejection(raw, seq, reason_from_code(&code))))
}

fn reason_from_code(code: &str) -> RejectReason {
    serde_json::from_value(Value::String(code.to_owned())).unwrap_or(RejectReason::BadPayload)
}

/// What a tombstone keeps of a refused event's body: its SHA-256, enough
/// to tell a resent copy from a different event.
fn tombstone(encoded: &str) -> String {
    format!(
        "{{\"sha256\":\"{}\"}}",
        hex::encode(Sha256::digest(encoded.as_bytes()))
    )
}

/// What an event at the device's next sequence is judged against.
struct Checks {
    device: DeviceId,
    user: i64,
    tail: Option<Hash>,
    tail_at: Option<i64>,
    now_ms: i64,
    writer: Writer,
}

/// Checks the event at the device's next sequence.
fn judge(tx: &Connection, raw: &Value, checks: &Checks) -> Result<Verdict> {
    let Ok(event) = Event::deserialize(raw) else {
        return Ok(Verdict::Reject(RejectReason::BadPayload));
    };
    if event.device != checks.device {
        return Ok(Verdict::Reject(RejectReason::WrongDevice));
    }
    if let Err(reason) = check_values(&event, checks.now_ms, checks.tail_at) {
        return Ok(Verdict::Reject(reason));
    }
    match event.compute_hash() {
        Ok(h) if h == event.hash => {}
        Ok(_) => return Ok(Verdict::Reject(RejectReason::HashMismatch)),
        Err(_) => return Ok(Verdict::Reject(RejectReason::BadPayload)),
    }
    // After an event whose hash could not be read the link cannot be checked.
    if checks.tail.is_some_and(|t| t != event.prev_hash) {
        return Ok(Verdict::Reject(RejectReason::BrokenChain));
    }
    let taken: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM events WHERE event_id = ?1")?
        .query_row([event.id.0.to_string()], |r| r.get(0))
        .optional()?;
    if taken.is_some() {
        return Ok(Verdict::Reject(RejectReason::DuplicateId));
    }
    if checks.writer == Writer::Device
        && let Some(reason) = refused_from_a_device(tx, checks.user, &event.kind)?
    {
        return Ok(Verdict::Reject(reason));
    }
    Ok(Verdict::Accept(Box::new(event)))
}

/// Whether the account uploaded the photo `photo` names, as it describes
/// it (size and frame).
fn holds_photo(tx: &Connection, user: i64, photo: &PhotoProof) -> Result<bool> {
    let stored: Option<(i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT bytes, width, height FROM photos WHERE user_id = ?1 AND sha256 = ?2",
        )?
        .query_row(params![user, photo.sha256], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    Ok(stored
        == Some((
            i64::from(photo.bytes),
            i64::from(photo.width),
            i64::from(photo.height),
        )))
}

/// What a device may not claim on its own word.
fn refused_from_a_device(
    tx: &Connection,
    user: i64,
    kind: &EventKind,
) -> Result<Option<RejectReason>> {
    Ok(match kind {
        EventKind::ProofValidated { .. } | EventKind::DiagnosisReviewed { .. } => {
            Some(RejectReason::ServerOnly)
        }
        // No app makes such a description (a digest in capitals, a place
        // off the globe); the server would show it to validators.
        EventKind::PhotoSubmitted { photo, .. } if !photo.is_well_formed() => {
            Some(RejectReason::ForgedValue)
        }
        EventKind::PhotoSubmitted { photo, .. } => {
            (!holds_photo(tx, user, photo)?).then_some(RejectReason::PhotoNotUploaded)
        }
        EventKind::DiagnosticRun { evidence, .. } => {
            let accounted = match evidence {
                Some(evidence) => evidence.reproduces_offline(code_database()?),
                None => false,
            };
            (!accounted).then_some(RejectReason::UnverifiedDiagnosis)
        }
        EventKind::ArScan {
            vehicle: Some(vehicle),
            ..
        } => (!has_vehicle(tx, user, vehicle.as_str())?).then_some(RejectReason::UnknownVehicle),
        _ => None,
    })
}

/// The bikes whose overlay packs (marker sets) ship with the app
/// (`assets/overlays/`): every rider can scan them before any is published.
pub const BUNDLED_PACKS: &[&str] = &["harley-street-750-2022", "yamaha-mt-07-2021"];

/// Whether `user` may scan `vehicle`: a bike with a bundled or published
/// overlay pack, or one of the account's garage records names.
fn has_vehicle(tx: &Connection, user: i64, vehicle: &str) -> Result<bool> {
    if BUNDLED_PACKS.contains(&vehicle) {
        return Ok(true);
    }
    let known: Option<i64> = tx
        .prepare_cached(&format!(
            "SELECT 1 FROM overlay_packs WHERE vehicle = ?1
             UNION ALL
             SELECT 1 FROM records WHERE user_id = ?2 AND kind = 'vehicle'
               AND (key = ?1 OR {} = ?1)
             LIMIT 1",
            tx.json_text("body", "fields.model.value")
        ))?
        .query_row(params![vehicle, user], |r| r.get(0))
        .optional()?;
    Ok(known.is_some())
}

/// Stores an accepted event and logs it for pulls; returns the bytes stored.
fn store_event(
    tx: &Connection,
    user: i64,
    device: &str,
    event: &Event,
    now_ms: i64,
) -> Result<i64> {
    let id = event.id.0.to_string();
    let body = encode(event)?;
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
        body,
        now_ms
    ])?;
    // `Change::Event { event }` as serde writes it, around the body just
    // encoded: the largest push encodes each event once, not twice.
    log_change_json(
        tx,
        Some(user),
        None,
        &format!("{{\"type\":\"event\",\"event\":{body}}}"),
    )?;
    Ok(body.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_packs_are_the_ones_in_assets() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/overlays");
        let mut found: Vec<String> = std::fs::read_dir(&dir)
            .expect("assets/overlays")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".json"))
                    .map(str::to_owned)
            })
            .collect();
        found.sort();
        assert_eq!(found, BUNDLED_PACKS);
    }
    use ridewire_engine::event::{DeviceChain, EventKind};
    use ridewire_engine::sync::Change;

    #[test]
    fn an_event_change_written_by_hand_is_the_engines_change() {
        let mut chain = DeviceChain::new(DeviceId(Uuid::from_u128(1)));
        let event = chain
            .append(
                EventId::v7(1_780_000_000_000, [3; 10]),
                1_780_000_000_000,
                60,
                EventKind::ArScan {
                    diagnostic_id: None,
                    duration_seconds: 12,
                    quest: None,
                    vehicle: None,
                },
            )
            .expect("event");
        let body = encode(&event).expect("json");
        let by_hand = format!("{{\"type\":\"event\",\"event\":{body}}}");
        let change: Change = serde_json::from_str(&by_hand).expect("a change");
        assert_eq!(
            change,
            Change::Event {
                event: event.clone()
            }
        );
        assert_eq!(by_hand, encode(&Change::Event { event }).expect("json"));
    }
}
