//! Escalated runs answered on a rider's device (issue 15): the offline
//! agent's lone answer, which the gate holds for a person. Push accounts
//! for such a run by re-running it (`RunEvidence::reproduces_offline`);
//! an accepted one that was escalated is kept with the panel the server
//! reproduced (migration 014), so a workshop's review queue
//! ([`crate::reviews`]) holds it beside the runs the server's agents
//! answered.

use crate::store::{Connection, params};
use ridewire_engine::diagnostics::codes::CodeDatabase;
use ridewire_engine::diagnostics::evidence::gate_offline;
use ridewire_engine::diagnostics::gate::Decision;
use ridewire_engine::event::{Event, EventKind};
use ridewire_engine::sync::runs::Panel;

use crate::error::{AppError, Result};

/// Keeps `event`, just accepted from one of `user`'s devices, when it is
/// an escalated diagnostic run (anything else is left alone). The same
/// run sent twice is kept once.
pub fn keep(tx: &Connection, user: i64, event: &Event, db: &CodeDatabase) -> Result<()> {
    let EventKind::DiagnosticRun {
        diagnostic_id,
        evidence: Some(evidence),
        ..
    } = &event.kind
    else {
        return Ok(());
    };
    if evidence.decision != Decision::Escalated {
        return Ok(());
    }
    // Push accepted it because this reproduces it.
    let Ok(diagnosis) = gate_offline(&evidence.request, db) else {
        return Ok(());
    };
    let panel = Panel {
        diagnosis,
        calls: Vec::new(),
    };
    let encoding =
        |e: serde_json::Error| AppError::Internal(format!("encoding a device's run: {e}"));
    let request = serde_json::to_string(&evidence.request).map_err(encoding)?;
    let panel = serde_json::to_string(&panel).map_err(encoding)?;
    tx.prepare_cached(
        "INSERT INTO device_escalations (id, user_id, created_ms, request, panel, event_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        diagnostic_id.to_string(),
        user,
        event.at_ms,
        request,
        panel,
        event.id.0.to_string(),
    ])?;
    Ok(())
}
