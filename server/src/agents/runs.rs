//! Stored diagnostic runs: each run whole (request, every agent's answer and
//! reason, consensus, decision, flags), recorded as a `DiagnosticRun` event
//! on the user's server device so its XP and achievements reach the user's
//! progress, and pulled by their devices like any other event.
//!
//! The server device is a device of the user's like a phone: its own hash
//! chain, stored and checked by the same push code
//! ([`crate::sync::push::push`]), so nothing here writes events by hand.

use crate::store::{Connection, OptionalExtension, params};
use ridewire_engine::diagnostics::evidence::RunEvidence;
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::Catalog;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use ridewire_engine::sync::runs::{Run as StoredRun, RunFeedback, RunSummary};

use super::panel::Panel;
use crate::config::Quota;
use crate::error::{AppError, Result};
use crate::quota::charge;
use crate::sync::progress::ProgressCache;
use crate::sync::server_device;

fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(format!("encoding a run: {e}")))
}

fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("stored run: {e}")))
}

/// Random bytes for ids.
fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// A time-ordered id for a run made at `now_ms`.
pub fn new_run_id(now_ms: i64) -> Result<Uuid> {
    let millis = u64::try_from(now_ms).unwrap_or(0);
    Ok(uuid::Builder::from_unix_timestamp_millis(millis, &random::<10>()?).into_uuid())
}

/// Records `panel` as a run of `user` at `now_ms`, with its `DiagnosticRun`
/// event, in one transaction; returns the stored run with the XP and
/// achievements the event earned (folded with the engine, as progress is).
#[allow(clippy::too_many_arguments)]
pub fn record(
    tx: &Connection,
    progress: &ProgressCache,
    catalog: &Catalog,
    quota: Quota,
    user: i64,
    now_ms: i64,
    utc_offset_min: i16,
    request: DiagnosticRequest,
    panel: Panel,
) -> Result<StoredRun> {
    let id = new_run_id(now_ms)?;
    // The cached fold, extended by what came since (normally nothing: the
    // route warmed it before taking the writer).
    let before = progress.snapshot(tx, user)?;
    let kind = EventKind::DiagnosticRun {
        diagnostic_id: id,
        vehicle: None,
        quest: None,
        evidence: Some(Box::new(RunEvidence {
            request: request.clone(),
            decision: panel.diagnosis.decision,
        })),
    };
    let event = server_device::append(tx, quota, user, now_ms, utc_offset_min, kind)?;
    crate::leaderboard::refresh(tx, progress, user, now_ms)?;
    // The new event is normally the newest, so it folds onto `before`; one
    // of the user's devices may hold later times (its clock runs ahead), and
    // then the whole log is folded again, as the progress cache does.
    let mut after = before.clone();
    if after.apply(catalog, &event).is_err() {
        after = progress.snapshot(tx, user)?;
    }
    let xp_earned = after.xp().saturating_sub(before.xp());
    let had: Vec<&str> = before
        .achievements()
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    let achievements: Vec<String> = after
        .achievements()
        .iter()
        .filter(|a| !had.contains(&a.id.as_str()))
        .map(|a| a.id.clone())
        .collect();
    let decision = serde_json::to_value(panel.diagnosis.decision)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let (request_json, panel_json) = (encode(&request)?, encode(&panel)?);
    charge(
        tx,
        quota,
        user,
        1,
        (request_json.len() + panel_json.len()) as i64,
    )?;
    tx.execute(
        "INSERT INTO diagnostic_runs (id, user_id, created_ms, request, panel, decision, flags,
                                      xp_earned, achievements, event_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id.to_string(),
            user,
            now_ms,
            request_json,
            panel_json,
            decision,
            encode(&panel.diagnosis.flags)?,
            i64::try_from(xp_earned).unwrap_or(i64::MAX),
            encode(&achievements)?,
            event.id.0.to_string(),
        ],
    )?;
    Ok(StoredRun {
        id,
        created_ms: now_ms,
        request,
        panel,
        xp_earned,
        achievements,
        event_id: event.id.0,
        feedback: None,
        feedback_ms: None,
    })
}

/// One of `user`'s runs; `None` for another user's run or no run at all, so
/// a rider cannot learn whether someone else's run exists.
pub fn load(conn: &Connection, user: i64, id: Uuid) -> Result<Option<StoredRun>> {
    type Row = (i64, String, String, i64, String, String);
    let row: Option<(Row, Option<String>, Option<i64>)> = conn
        .query_row(
            "SELECT created_ms, request, panel, xp_earned, achievements, event_id,
                    feedback, feedback_ms
             FROM diagnostic_runs WHERE id = ?1 AND user_id = ?2",
            params![id.to_string(), user],
            |r| {
                Ok((
                    (
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ),
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .optional()?;
    let Some(((created_ms, request, panel, xp, achievements, event_id), feedback, feedback_ms)) =
        row
    else {
        return Ok(None);
    };
    Ok(Some(StoredRun {
        id,
        created_ms,
        request: decode(&request)?,
        panel: decode(&panel)?,
        xp_earned: u64::try_from(xp).unwrap_or(0),
        achievements: decode(&achievements)?,
        event_id: parse_id("event", &event_id)?,
        feedback,
        feedback_ms,
    }))
}

fn parse_id(what: &str, id: &str) -> Result<Uuid> {
    id.parse()
        .map_err(|e| AppError::Internal(format!("stored {what} id {id:?}: {e}")))
}

/// Keeps `feedback`, written at `at_ms`, as the note on `user`'s run `id`
/// unless the run already holds a note written later (two devices: the
/// later note wins; on a tie the one sent last). Answers the note the run
/// holds afterwards; `None` for another user's run or no run at all.
pub fn set_feedback(
    tx: &Connection,
    quota: Quota,
    user: i64,
    id: Uuid,
    feedback: &str,
    at_ms: i64,
) -> Result<Option<RunFeedback>> {
    let before: Option<i64> = tx
        .query_row(
            "SELECT coalesce(octet_length(feedback), 0) FROM diagnostic_runs
             WHERE id = ?1 AND user_id = ?2",
            params![id.to_string(), user],
            |r| r.get(0),
        )
        .optional()?;
    let Some(before) = before else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE diagnostic_runs SET feedback = ?3, feedback_ms = ?4
         WHERE id = ?1 AND user_id = ?2 AND (feedback_ms IS NULL OR feedback_ms <= ?4)",
        params![id.to_string(), user, feedback, at_ms],
    )?;
    let held: Option<(Option<String>, Option<i64>)> = tx
        .query_row(
            "SELECT feedback, feedback_ms FROM diagnostic_runs WHERE id = ?1 AND user_id = ?2",
            params![id.to_string(), user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((Some(kept), _)) = &held {
        charge(tx, quota, user, 0, kept.len() as i64 - before)?;
    }
    match held {
        None => Ok(None),
        Some((Some(feedback), Some(feedback_ms))) => Ok(Some(RunFeedback {
            id,
            feedback,
            feedback_ms,
        })),
        Some(_) => Err(AppError::Internal(format!(
            "run {id} holds no note right after one was kept"
        ))),
    }
}

/// Every run of `user`, oldest first (for the data export).
pub fn all(conn: &Connection, user: i64) -> Result<Vec<StoredRun>> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id FROM diagnostic_runs WHERE user_id = ?1 ORDER BY seq")?
        .query_map([user], |r| r.get(0))?
        .collect::<crate::store::Result<_>>()?;
    let mut runs = Vec::with_capacity(ids.len());
    for id in ids {
        runs.extend(load(conn, user, parse_id("run", &id)?)?);
    }
    Ok(runs)
}

/// Up to `limit` of `user`'s runs, newest first, older than the run
/// `before` when given. `Ok(None)` when `before` is not one of the user's
/// runs.
pub fn history(
    conn: &Connection,
    user: i64,
    before: Option<Uuid>,
    limit: usize,
) -> Result<Option<Vec<RunSummary>>> {
    let below = match before {
        None => i64::MAX,
        Some(id) => {
            let seq: Option<i64> = conn
                .query_row(
                    "SELECT seq FROM diagnostic_runs WHERE id = ?1 AND user_id = ?2",
                    params![id.to_string(), user],
                    |r| r.get(0),
                )
                .optional()?;
            match seq {
                Some(seq) => seq,
                None => return Ok(None),
            }
        }
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, created_ms, request, panel, xp_earned, event_id, feedback, feedback_ms
         FROM diagnostic_runs WHERE user_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![
        user,
        below,
        i64::try_from(limit).unwrap_or(i64::MAX)
    ])?;
    let mut runs = Vec::new();
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let panel: Panel = decode(&r.get::<_, String>(3)?)?;
        let decision = serde_json::to_value(panel.diagnosis.decision)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        runs.push(RunSummary {
            id: parse_id("run", &id)?,
            created_ms: r.get(1)?,
            request: decode(&r.get::<_, String>(2)?)?,
            decision,
            diagnosis: panel.diagnosis.consensus.map(|c| c.diagnosis),
            highlighted_components: panel.diagnosis.highlighted_components,
            xp_earned: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
            event_id: parse_id("event", &r.get::<_, String>(5)?)?,
            feedback: r.get(6)?,
            feedback_ms: r.get(7)?,
        });
    }
    Ok(Some(runs))
}
