//! What only the PostgreSQL backend needs: its migrations, the write turn
//! that replicas take one at a time, and `LISTEN/NOTIFY`, which tells
//! every replica's waiting pulls of another replica's commit.

use std::collections::HashSet;
use std::sync::Weak;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use super::wake::Waiters;
use crate::error::{AppError, Result};
use crate::store::{Connection, Dialect, OptionalExtension};

/// The migrations, in order, each the twin of the SQLite file of the same
/// number (`server/tests/integration/schema_parity.rs` holds them to it).
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations-postgres/001_initial.sql"),
    include_str!("../../migrations-postgres/002_diagnostic_runs.sql"),
    include_str!("../../migrations-postgres/003_diagnostic_feedback.sql"),
    include_str!("../../migrations-postgres/004_trust.sql"),
    include_str!("../../migrations-postgres/005_email_at_rest.sql"),
    include_str!("../../migrations-postgres/006_leaderboards.sql"),
    include_str!("../../migrations-postgres/007_photos.sql"),
    include_str!("../../migrations-postgres/008_display_name_keys.sql"),
    include_str!("../../migrations-postgres/009_workshops.sql"),
    include_str!("../../migrations-postgres/010_bookings.sql"),
    include_str!("../../migrations-postgres/011_reviews.sql"),
    include_str!("../../migrations-postgres/012_workshop_plans.sql"),
    include_str!("../../migrations-postgres/013_workshop_templates.sql"),
    include_str!("../../migrations-postgres/014_device_escalations.sql"),
];

/// The advisory lock a replica holds while it migrates ("RideMi").
const MIGRATE_LOCK: i64 = 90_612_609_404_265;

/// Opens a write transaction and waits for the write turn: an advisory
/// lock it holds until it ends, so one replica writes at a time, as with
/// SQLite's write lock (the number is arbitrary, "RideWr" in ASCII).
pub(crate) const BEGIN_WRITE: &str = "BEGIN; SELECT pg_advisory_xact_lock(90612609406834)";

/// The channel commits are announced on.
const CHANNEL: &str = "ridewire_changes";
/// The payload that says tokens were revoked.
const REVOKED: &str = "revoked";
/// Longest payload sent in one notification (PostgreSQL's limit is 8000
/// bytes).
const MAX_PAYLOAD: usize = 7000;

/// The schema version of a PostgreSQL database (0: none yet).
pub(crate) fn version(conn: &Connection) -> Result<i64> {
    let made: bool = conn.query_row("SELECT to_regclass('server_meta') IS NOT NULL", [], |r| {
        r.get(0)
    })?;
    if !made {
        return Ok(0);
    }
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM server_meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(stored.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Brings the database to the newest schema, one replica at a time;
/// refuses a database a newer server wrote.
pub(crate) fn migrate(conn: &Connection, target: &str) -> Result<()> {
    conn.execute_batch(&format!("SELECT pg_advisory_lock({MIGRATE_LOCK})"))?;
    let out = upgrade(conn, target);
    let unlocked = conn.execute_batch(&format!("SELECT pg_advisory_unlock({MIGRATE_LOCK})"));
    out?;
    Ok(unlocked?)
}

fn upgrade(conn: &Connection, target: &str) -> Result<()> {
    let found = version(conn)?;
    let supported = MIGRATIONS.len() as i64;
    if found > supported {
        return Err(AppError::DatabaseTooNew {
            path: target.into(),
            found,
            supported,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let step = format!(
            "BEGIN; {sql}; INSERT INTO server_meta (key, value) VALUES ('schema_version', '{}') \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value; COMMIT",
            index + 1
        );
        if let Err(e) = conn.execute_batch(&step) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
    }
    Ok(())
}

/// The server process behind a PostgreSQL connection.
pub(crate) fn backend_pid(conn: &Connection) -> Option<i32> {
    if conn.dialect() != Dialect::Postgres {
        return None;
    }
    conn.query_row("SELECT pg_backend_pid()", [], |r| r.get(0))
        .ok()
}

/// Tells the other replicas, when the open transaction commits, whose
/// changes it logged (`*`: everyone's) and whether it revoked tokens. On PostgreSQL this also checks
/// that the transaction is still whole: a COMMIT of one a failed statement
/// broke would quietly roll back.
pub(crate) fn announce(
    conn: &Connection,
    users: &HashSet<i64>,
    everyone: bool,
    revoked: bool,
) -> crate::store::Result<()> {
    if conn.dialect() != Dialect::Postgres {
        return Ok(());
    }
    let mut payloads = Vec::new();
    if revoked {
        payloads.push(REVOKED.to_owned());
    }
    if everyone {
        payloads.push("*".to_owned());
    } else {
        let mut payload = String::new();
        for user in users {
            if payload.len() > MAX_PAYLOAD {
                payloads.push(std::mem::take(&mut payload));
            }
            if !payload.is_empty() {
                payload.push(',');
            }
            payload.push_str(&user.to_string());
        }
        if !payload.is_empty() {
            payloads.push(payload);
        }
    }
    if payloads.is_empty() {
        return conn.execute_batch("SELECT 1");
    }
    for payload in payloads {
        conn.execute("SELECT pg_notify(?1, ?2)", [CHANNEL, payload.as_str()])?;
    }
    Ok(())
}

/// Wakes the pulls in `waiters` that other replicas' commits concern, as
/// their notifications arrive; ends once the database handle (and with it
/// `waiters`) is gone. Skips this process's own writer (`own`), which
/// wakes its pulls itself. Runs on a thread of its own and reconnects when
/// the server restarts.
pub(crate) fn listen(url: &str, waiters: Weak<Waiters>, own: Option<i32>) {
    let mut client: Option<postgres::Client> = None;
    loop {
        if waiters.strong_count() == 0 {
            return;
        }
        if client.as_ref().is_none_or(postgres::Client::is_closed) {
            client = postgres::Client::connect(url, postgres::NoTls)
                .and_then(|mut c| c.batch_execute(&format!("LISTEN {CHANNEL}")).map(|()| c))
                .ok();
            if client.is_none() {
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        }
        let Some(c) = client.as_mut() else { continue };
        let mut notifications = c.notifications();
        let mut heard = Vec::new();
        let first = notifications.timeout_iter(Duration::from_secs(1)).next();
        let broken = first.is_err();
        if let Ok(Some(note)) = first {
            heard.push(note);
            // And whatever arrived with it, without waiting for more.
            let mut pending = notifications.iter();
            while let Ok(Some(note)) = pending.next() {
                heard.push(note);
            }
        }
        drop(notifications);
        if broken {
            client = None;
            continue;
        }
        let mut users = HashSet::new();
        let mut everyone = false;
        let mut revoked = false;
        for note in heard.iter().filter(|n| Some(n.process_id()) != own) {
            if note.payload() == REVOKED {
                revoked = true;
                continue;
            }
            for user in note.payload().split(',') {
                match user.parse() {
                    Ok(user) => {
                        users.insert(user);
                    }
                    Err(_) => everyone = true,
                }
            }
        }
        if let Some(waiters) = waiters.upgrade() {
            if revoked {
                waiters.heard_revocation();
            }
            if everyone || !users.is_empty() {
                waiters.wake(&users, everyone);
            }
        }
    }
}
