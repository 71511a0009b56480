//! Plans a workshop writes for its customers (issue 15): a mechanic sends
//! a maintenance plan (Markdown) to a linked customer, for one of their
//! bikes when the customer shares them. The plan becomes one of the
//! customer's own `plan` records — the fields the app writes
//! (`engine::sync::plan_record`), with `from` naming the workshop — so it
//! reaches their devices on the next pull, joins their Map and stays
//! theirs; the workshop follows their progress on it (server migration
//! 012). The HTTP side is `routes::workshop_plans`.

use std::collections::BTreeMap;

use crate::store::{Connection, OptionalExtension, params};
use ridewire_engine::event::{Event, EventKind};
use ridewire_engine::plan;
use ridewire_engine::progress::Progress;
use ridewire_engine::quest::{QuestId, QuestState};
use ridewire_engine::sync::plan_record::{self as fields, markdown_of};
use ridewire_engine::sync::record::{Edit, Outcome, RecordKind};
use ridewire_engine::sync::workshops::{PlanForCustomer, SentPlan, Share};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::config::Quota;
use crate::error::{AppError, Result};
use crate::routes::records::{load, write_edit};
use crate::workshops::{mechanic_or_owner, membership, role_in, shares_of};

/// Longest plan a workshop sends, in bytes (a plan is text: this is
/// thousands of tasks).
pub const MAX_PLAN_BYTES: usize = 512 * 1024;
/// Plans one workshop may have sent.
pub const MAX_SENT: i64 = 10_000;

/// What `customer` shares with `workshop`; 404 when they are not its
/// customer (nothing is told of anyone else).
fn customer_shares(conn: &Connection, workshop: Uuid, customer: i64) -> Result<Vec<Share>> {
    let shares: Option<String> = conn
        .query_row(
            "SELECT shares FROM workshop_members
             WHERE workshop = ?1 AND user_id = ?2 AND role = 'customer'",
            params![workshop.to_string(), customer],
            |r| r.get(0),
        )
        .optional()?;
    shares
        .map(|s| shares_of(&s))
        .ok_or_else(|| AppError::NotFound("no such customer of this workshop".into()))
}

/// Checks and sends `body`, written by `user` for `workshop`, at `now_ms`.
pub fn send(
    tx: &Connection,
    quota: Quota,
    user: i64,
    workshop: Uuid,
    body: &PlanForCustomer,
    now_ms: i64,
) -> Result<SentPlan> {
    mechanic_or_owner(tx, user, workshop, "write plans for customers")?;
    let shares = customer_shares(tx, workshop, body.customer)?;
    if let Some(bike) = &body.bike {
        let seen = shares.contains(&Share::Bikes)
            && load(tx, body.customer, RecordKind::Vehicle, bike)?.is_some_and(|r| {
                r.fields.get("removed").map(|f| &f.value) != Some(&Value::Bool(true))
            });
        if !seen {
            return Err(AppError::bad_request(
                "unknown_bike",
                "the customer has no such bike, or does not share their bikes",
            ));
        }
    }
    if body.markdown.len() > MAX_PLAN_BYTES {
        return Err(AppError::bad_request(
            "plan_too_big",
            format!("a plan has at most {MAX_PLAN_BYTES} bytes"),
        ));
    }
    let parsed = plan::parse(&body.markdown)
        .map_err(|e| AppError::bad_request("invalid_plan", e.to_string()))?;
    let sent: i64 = tx.query_row(
        "SELECT count(*) FROM workshop_plans WHERE workshop = ?1",
        [workshop.to_string()],
        |r| r.get(0),
    )?;
    if sent >= MAX_SENT {
        return Err(AppError::conflict(
            "too_many_plans",
            format!("a workshop sends at most {MAX_SENT} plans"),
        ));
    }
    let pieces = fields::chunks(&body.markdown)
        .map_err(|e| AppError::bad_request("plan_too_big", e.to_string()))?;
    let shop = membership(tx, user, workshop)?.name;
    let title = if parsed.title.trim().is_empty() {
        format!("Plan from {shop}")
    } else {
        parsed.title.trim().to_owned()
    };
    let key = Uuid::now_v7().to_string();
    let mut changes = BTreeMap::from([
        (fields::TITLE.to_owned(), json!(title)),
        (fields::SEED.to_owned(), json!(0)),
        (fields::ADDED.to_owned(), json!(now_ms)),
        (fields::IDS.to_owned(), json!(fields::OWN_IDS)),
        (fields::FROM.to_owned(), json!(shop)),
    ]);
    if let Some(bike) = &body.bike {
        changes.insert(fields::BIKE.to_owned(), json!(bike));
    }
    for (i, piece) in pieces.into_iter().enumerate() {
        changes.insert(format!("{}{i}", fields::MARKDOWN), json!(piece));
    }
    let edit = Edit {
        kind: RecordKind::Plan,
        key: key.clone(),
        base_version: 0,
        changes,
    };
    edit.validate()
        .map_err(|e| AppError::bad_request("invalid_plan", e.to_string()))?;
    match write_edit(tx, quota, body.customer, &edit)? {
        Outcome::Applied(_) => {}
        Outcome::Conflict(_) => {
            return Err(AppError::Internal("a new plan's key was taken".into()));
        }
    }
    tx.execute(
        "INSERT INTO workshop_plans (workshop, customer, plan_key, sent_by, sent_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![workshop.to_string(), body.customer, key, user, now_ms],
    )?;
    let quests = quest_count(&parsed.in_namespace(&key))?;
    Ok(SentPlan {
        key,
        customer: body.customer,
        title,
        bike: body.bike.clone(),
        sent_ms: now_ms,
        quests,
        done: 0,
        proved: 0,
        removed: false,
    })
}

fn quest_count(plan: &plan::Plan) -> Result<u32> {
    let catalog = plan
        .to_catalog()
        .map_err(|e| AppError::Internal(format!("a sent plan's quests: {e}")))?;
    Ok(catalog.quests().count() as u32)
}

/// `customer`'s accepted events, as stored.
fn events_of(conn: &Connection, customer: i64) -> Result<Vec<Event>> {
    let mut stmt =
        conn.prepare("SELECT body FROM events WHERE user_id = ?1 AND rejected IS NULL")?;
    let bodies = stmt
        .query_map([customer], |r| r.get::<_, String>(0))?
        .collect::<crate::store::Result<Vec<_>>>()?;
    Ok(bodies
        .iter()
        .filter_map(|b| serde_json::from_str(b).ok())
        .collect())
}

/// The plans `workshop` sent to customers still linked to it, newest
/// first, each with the customer's progress as their copy of the plan and
/// their events say now. Staff only.
pub fn sent(conn: &Connection, user: i64, workshop: Uuid) -> Result<Vec<SentPlan>> {
    if !role_in(conn, user, workshop)?.staff() {
        return Err(AppError::forbidden(
            "staff_only",
            "only the workshop's staff see its plans",
        ));
    }
    let mut stmt = conn.prepare(
        "SELECT p.customer, p.plan_key, p.sent_ms FROM workshop_plans p
         JOIN workshop_members m ON m.workshop = p.workshop AND m.user_id = p.customer
              AND m.role = 'customer'
         WHERE p.workshop = ?1 ORDER BY p.sent_ms DESC, p.plan_key LIMIT 200",
    )?;
    let rows = stmt
        .query_map([workshop.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<crate::store::Result<Vec<_>>>()?;
    let mut events: BTreeMap<i64, Vec<Event>> = BTreeMap::new();
    let mut out = Vec::new();
    for (customer, key, sent_ms) in rows {
        let Some(record) = load(conn, customer, RecordKind::Plan, &key)? else {
            continue;
        };
        let values: BTreeMap<String, Value> = record
            .fields
            .iter()
            .map(|(k, f)| (k.clone(), f.value.clone()))
            .collect();
        let removed = values.get("removed") == Some(&Value::Bool(true));
        let title = values
            .get(fields::TITLE)
            .and_then(Value::as_str)
            .unwrap_or("Plan")
            .to_owned();
        let bike = values
            .get(fields::BIKE)
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (quests, done, proved) = match plan::parse(&markdown_of(&values)) {
            Ok(parsed) => {
                let catalog = parsed
                    .in_namespace(&key)
                    .to_catalog()
                    .map_err(|e| AppError::Internal(format!("a sent plan's quests: {e}")))?;
                let log = match events.entry(customer) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(events_of(conn, customer)?)
                    }
                };
                let progress = Progress::from_events(&catalog, log.iter());
                let done = catalog
                    .quests()
                    .filter(|q| {
                        progress.quest_state(&catalog, &q.id) == Some(QuestState::Completed)
                    })
                    .count();
                let proved: std::collections::HashSet<&QuestId> = log
                    .iter()
                    .filter_map(|e| match &e.kind {
                        EventKind::PhotoSubmitted { quest, .. }
                        | EventKind::ProofSubmitted { quest, .. } => Some(quest),
                        _ => None,
                    })
                    .filter(|q| catalog.quest(q).is_some())
                    .collect();
                (
                    catalog.quests().count() as u32,
                    done as u32,
                    proved.len() as u32,
                )
            }
            // The customer's copy no longer reads as a plan: shown, empty.
            Err(_) => (0, 0, 0),
        };
        out.push(SentPlan {
            key,
            customer,
            title,
            bike,
            sent_ms,
            quests,
            done,
            proved,
            removed,
        });
    }
    Ok(out)
}
