//! The device the server records events on for a user: runs its agents
//! answered, validations by other accounts. It is a device like a phone
//! (its own hash chain, stored and checked by the same push code), but only
//! the server writes it: a push from anywhere else is refused.

use crate::store::{Connection, OptionalExtension, params};
use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind, Hash};

use crate::config::Quota;
use crate::error::{AppError, Result};
use crate::sync::push::{PushOutcome, Writer, push};

/// Random bytes for ids.
fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// The user's server device and the tail of its chain; a new device when
/// the user has none yet (the push that follows registers it).
fn server_chain(tx: &Connection, user: i64) -> Result<(DeviceChain, bool)> {
    let held: Option<(String, i64, Option<String>)> = tx
        .query_row(
            "SELECT d.id, d.acked_through, d.tail_hash
             FROM server_devices s JOIN devices d ON d.id = s.device WHERE s.user_id = ?1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((id, acked, tail)) = held else {
        let device = DeviceId(uuid::Builder::from_random_bytes(random::<16>()?).into_uuid());
        return Ok((DeviceChain::new(device), true));
    };
    let device = DeviceId(
        id.parse()
            .map_err(|e| AppError::Internal(format!("server device id {id:?}: {e}")))?,
    );
    let last_hash = tail.and_then(|t| Hash::from_hex(&t).ok()).ok_or_else(|| {
        AppError::Internal("the server device's chain has no readable tail".into())
    })?;
    Ok((
        DeviceChain {
            device,
            last_seq: u64::try_from(acked).unwrap_or(0),
            last_hash,
        },
        false,
    ))
}

/// Appends `kind` to `user`'s server device at `now_ms` and stores it
/// (charged to the user's quota); returns the event.
pub fn append(
    tx: &Connection,
    quota: Quota,
    user: i64,
    now_ms: i64,
    utc_offset_min: i16,
    kind: EventKind,
) -> Result<Event> {
    let (mut chain, new_device) = server_chain(tx, user)?;
    let event = chain
        .append(
            EventId::v7(now_ms, random::<10>()?),
            now_ms,
            utc_offset_min,
            kind,
        )
        .map_err(|e| AppError::bad_request("invalid_utc_offset", e.to_string()))?;
    let raw = serde_json::to_value(&event)
        .map_err(|e| AppError::Internal(format!("encoding an event: {e}")))?;
    match push(
        tx,
        user,
        now_ms,
        chain.device,
        &[raw],
        Writer::Server,
        quota,
    )? {
        PushOutcome::Acked(answer) if answer.rejected.is_empty() => {}
        other => {
            return Err(AppError::Internal(format!(
                "the server's own event was refused: {other:?}"
            )));
        }
    }
    if new_device {
        tx.execute(
            "INSERT INTO server_devices (user_id, device) VALUES (?1, ?2)",
            params![user, chain.device.0.to_string()],
        )?;
    }
    Ok(event)
}
