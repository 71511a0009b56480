//! The review queue (issue 15): runs the safety gate escalated to a person,
//! of the customers who share their diagnoses with a workshop, answered by
//! its mechanics. A review is checked by the same safety rules as the
//! agents' answers (`ReviewInput::check`), kept once per run (server
//! migration 011: the first answer decides), and recorded as a
//! `DiagnosisReviewed` event on the rider's server device, so it is in the
//! rider's tamper-evident log and reaches their devices on the next pull.
//! Runs answered on a rider's device without signal are in the queue too
//! (`crate::escalations`). The HTTP side is `routes::reviews`.

use crate::store::{Connection, OptionalExtension, params};
use ridewire_engine::diagnostics::gate::Decision;
use ridewire_engine::event::EventKind;
use ridewire_engine::sync::runs::Panel;
use ridewire_engine::sync::workshops::{Review, ReviewInput, ReviewItem, Reviewed, Role};
use uuid::Uuid;

use crate::config::Quota;
use crate::error::{AppError, Result};
use crate::sync::server_device;
use crate::workshops::{mechanic_or_owner, membership};

/// Most runs one queue page shows, oldest first.
pub const QUEUE_SHOWN: usize = 100;

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("stored {what}: {e}"))
}

fn reviewer_only(conn: &Connection, user: i64, workshop: Uuid) -> Result<Role> {
    mechanic_or_owner(conn, user, workshop, "review diagnoses")
}

/// The escalated, unreviewed runs of `workshop`'s customers who share
/// their diagnoses, oldest first; 403 for the front desk and customers.
pub fn queue(conn: &Connection, user: i64, workshop: Uuid) -> Result<Vec<ReviewItem>> {
    reviewer_only(conn, user, workshop)?;
    // The server's escalated runs and those answered on devices
    // (`crate::escalations`), oldest first.
    let mut stmt = conn.prepare(
        "SELECT r.id, r.user_id, s.display_name, r.created_ms, r.request, r.panel
         FROM workshop_members m
         JOIN (SELECT id, user_id, created_ms, request, panel FROM diagnostic_runs
                 WHERE decision = 'escalated'
               UNION ALL
               SELECT id, user_id, created_ms, request, panel FROM device_escalations) r
           ON r.user_id = m.user_id
         LEFT JOIN standings s ON s.user_id = m.user_id
         WHERE m.workshop = ?1 AND m.role = 'customer'
           AND ',' || m.shares || ',' LIKE '%,diagnoses,%'
           AND NOT EXISTS (SELECT 1 FROM diagnostic_reviews v WHERE v.run = r.id)
         ORDER BY r.created_ms, r.id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![workshop.to_string(), QUEUE_SHOWN as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<crate::store::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, customer, display_name, created_ms, request, panel)| {
            let panel: Panel = serde_json::from_str(&panel).map_err(|e| internal("run", e))?;
            Ok(ReviewItem {
                run: id.parse().map_err(|e| internal("run id", e))?,
                customer,
                display_name,
                created_ms,
                request: serde_json::from_str(&request).map_err(|e| internal("run", e))?,
                consensus: panel.diagnosis.consensus,
                flags: panel.diagnosis.flags,
            })
        })
        .collect()
}

/// The run `run` as the queue of `workshop` holds it: its owner and its
/// panel; 404 when it is not an escalated run of a customer who shares
/// diagnoses with `workshop` (nothing is told of anyone else's runs), 409
/// when it was reviewed already.
fn queued_run(tx: &Connection, workshop: Uuid, run: Uuid) -> Result<(i64, String, Panel)> {
    let row: Option<(i64, String, String, bool)> = tx
        .query_row(
            "SELECT r.user_id, r.request, r.panel,
                    EXISTS (SELECT 1 FROM diagnostic_reviews v WHERE v.run = r.id)
             FROM (SELECT id, user_id, request, panel FROM diagnostic_runs
                     WHERE id = ?1 AND decision = 'escalated'
                   UNION ALL
                   SELECT id, user_id, request, panel FROM device_escalations
                     WHERE id = ?1) r
             JOIN workshop_members m ON m.user_id = r.user_id AND m.workshop = ?2
             WHERE m.role = 'customer'
               AND ',' || m.shares || ',' LIKE '%,diagnoses,%'",
            params![run.to_string(), workshop.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((owner, request, panel, reviewed)) = row else {
        return Err(AppError::NotFound(
            "no such run in this workshop's review queue".into(),
        ));
    };
    if reviewed {
        return Err(AppError::conflict(
            "already_reviewed",
            "another mechanic has answered this run already",
        ));
    }
    let panel: Panel = serde_json::from_str(&panel).map_err(|e| internal("run", e))?;
    Ok((owner, request, panel))
}

/// What a reviewer is called on the event: their display name, else their
/// role.
fn reviewer_name(tx: &Connection, user: i64, role: Role) -> Result<String> {
    let name: Option<String> = tx
        .query_row(
            "SELECT display_name FROM standings WHERE user_id = ?1",
            [user],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    Ok(name.unwrap_or_else(|| match role {
        Role::Owner => "The workshop's owner".to_owned(),
        _ => "A mechanic".to_owned(),
    }))
}

/// Takes `input`, `user`'s answer for `workshop` to the escalated run
/// `run`: checked against the run (safety rules, components), kept, and
/// recorded in the rider's log. The first answer to a run decides it.
pub fn review(
    tx: &Connection,
    quota: Quota,
    user: i64,
    workshop: Uuid,
    run: Uuid,
    input: &ReviewInput,
    now_ms: i64,
) -> Result<Reviewed> {
    let role = reviewer_only(tx, user, workshop)?;
    let (rider, request, panel) = queued_run(tx, workshop, run)?;
    debug_assert_eq!(panel.diagnosis.decision, Decision::Escalated);
    let request: ridewire_engine::diagnostics::request::DiagnosticRequest =
        serde_json::from_str(&request).map_err(|e| internal("run", e))?;
    let candidates = panel
        .diagnosis
        .consensus
        .as_ref()
        .map(|c| c.highlighted_components.clone())
        .unwrap_or_default();
    let components = input
        .check(&candidates, &request.situation())
        .map_err(|e| AppError::bad_request(e.code(), e.to_string()))?;
    let review = Review {
        workshop,
        workshop_name: membership(tx, user, workshop)?.name,
        reviewer: user,
        reviewer_name: reviewer_name(tx, user, role)?,
        verdict: input.verdict,
        text: input.text.trim().to_owned(),
        components,
    };
    let event = server_device::append(
        tx,
        quota,
        rider,
        now_ms,
        0,
        EventKind::DiagnosisReviewed {
            diagnostic_id: run,
            review: Box::new(review.clone()),
        },
    )?;
    let components = serde_json::to_string(&review.components)
        .map_err(|e| AppError::Internal(format!("encoding components: {e}")))?;
    tx.execute(
        "INSERT INTO diagnostic_reviews
             (run, user_id, workshop, reviewer, verdict, text, components, reviewed_ms, event_id)
         VALUES (?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            run.to_string(),
            workshop.to_string(),
            user,
            review.verdict.as_str(),
            review.text,
            components,
            now_ms,
            event.id.0.to_string(),
            rider,
        ],
    )?;
    Ok(Reviewed {
        run,
        event_id: event.id.0,
        reviewed_ms: now_ms,
        review,
    })
}
