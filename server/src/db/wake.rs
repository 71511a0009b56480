//! Waking pulls that wait for news (issue 16): a long-poll pull
//! (`GET /api/v1/sync/pull?wait=…`) sleeps until a commit logs a change
//! its user may pull, instead of asking again and again.
//!
//! The change log is written only on the writer thread
//! ([`super::log_change_json`]), which notes here whose changes the open
//! transaction logged; after the commit is on disk the writer wakes those
//! users' waiting pulls (all of them for a change to everyone: the
//! catalogue, an overlay pack). A rolled-back write may wake a pull for
//! nothing; it reads an empty page and sleeps again. Nothing is missed: a
//! pull registers its wake-up before it reads the log.
//!
//! Other replicas on the same database commit without this process
//! knowing: [`watch`] asks SQLite every [`WATCH_EVERY`] whether another
//! connection committed and, when one did while pulls wait, reads the
//! change log's new positions and wakes their users too, so a pull
//! waiting on one replica hears of a push to another within that time.
//! It also tells the process when another one revoked tokens (the
//! `revocations` count in `server_meta` moved), so tokens it cached are
//! looked up again. On PostgreSQL, `LISTEN/NOTIFY` carries both
//! ([`super::postgres`]).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

thread_local! {
    /// Users whose changes the writer's open transaction logged, and
    /// whether it logged a change for everyone.
    static TOUCHED: RefCell<(HashSet<i64>, bool)> = RefCell::new((HashSet::new(), false));
}

/// Notes, on the writer thread, a change logged for `user` (`None`:
/// everyone).
pub(crate) fn touched(user: Option<i64>) {
    TOUCHED.with(|t| {
        let mut t = t.borrow_mut();
        match user {
            Some(user) => {
                t.0.insert(user);
            }
            None => t.1 = true,
        }
    });
}

/// Takes what the transaction touched (after its commit, or to drop it
/// after a rollback).
pub(crate) fn take_touched() -> (HashSet<i64>, bool) {
    TOUCHED.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

thread_local! {
    /// Whether the writer's open transaction revoked access tokens.
    static REVOKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Notes, on the writer thread, that the open transaction revoked tokens
/// (other replicas must forget the ones they cached).
pub(crate) fn revoked() {
    REVOKED.with(|r| r.set(true));
}

/// Takes whether the transaction revoked tokens.
pub(crate) fn take_revoked() -> bool {
    REVOKED.with(|r| r.replace(false))
}

/// The pulls waiting for news, by user; and how many revocations other
/// processes on the database made, as heard here.
#[derive(Debug, Default)]
pub struct Waiters {
    users: Mutex<HashMap<i64, Arc<Notify>>>,
    everyone: Notify,
    revocations: std::sync::atomic::AtomicU64,
}

/// A user's registration, forgotten when their last waiting pull ends.
struct Registered<'a> {
    waiters: &'a Waiters,
    user: i64,
    mine: Arc<Notify>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        let mut map = self.waiters.lock();
        // The map's and this one: no other pull of the user waits.
        if map
            .get(&self.user)
            .is_some_and(|n| Arc::ptr_eq(n, &self.mine) && Arc::strong_count(n) <= 2)
        {
            map.remove(&self.user);
        }
    }
}

impl Waiters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Notify>>> {
        self.users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `read` (a pull of `user`'s page) until it brings news or
    /// `deadline` passes, sleeping between tries until a commit may have
    /// brought the user something. The last read's answer.
    pub async fn long_poll<T, E, F, Fut>(
        &self,
        user: i64,
        deadline: tokio::time::Instant,
        mut read: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(T, bool), E>>,
    {
        let registered = Registered {
            waiters: self,
            user,
            mine: Arc::clone(self.lock().entry(user).or_default()),
        };
        loop {
            // Armed before the read: a commit between the read and the
            // sleep still wakes it.
            let mine = registered.mine.notified();
            let everyone = self.everyone.notified();
            tokio::pin!(mine, everyone);
            mine.as_mut().enable();
            everyone.as_mut().enable();
            let (answer, news) = read().await?;
            if news || tokio::time::Instant::now() >= deadline {
                return Ok(answer);
            }
            tokio::select! {
                () = &mut mine => {}
                () = &mut everyone => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Wakes the pulls of `users` (and all of them for `everyone`).
    pub(crate) fn wake(&self, users: &HashSet<i64>, everyone: bool) {
        if everyone {
            self.everyone.notify_waiters();
        }
        if users.is_empty() {
            return;
        }
        let map = self.lock();
        for user in users {
            if let Some(notify) = map.get(user) {
                notify.notify_waiters();
            }
        }
    }

    /// Notes that another process on the database revoked tokens.
    pub(crate) fn heard_revocation(&self) {
        self.revocations
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many revocations of other processes were heard: when it moves,
    /// tokens cached here may have been revoked ([`crate::auth::TokenCache`]).
    pub fn revocations(&self) -> u64 {
        self.revocations.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many users have a pull waiting.
    pub fn waiting_users(&self) -> usize {
        self.lock().len()
    }
}

/// How often a process asks whether another connection committed, while
/// any pull of its own waits (`PRAGMA data_version`, answered from memory;
/// the change log is read only when it moved).
pub const WATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// Watches the change log at `path` for commits of other processes and
/// wakes the pulls in `waiters` they concern; ends once the database
/// handle (and with it `waiters`) is gone. Runs on a thread of its own.
pub(crate) fn watch(path: std::path::PathBuf, waiters: std::sync::Weak<Waiters>) {
    let mut conn: Option<rusqlite::Connection> = None;
    let mut seen: Option<i64> = None;
    let mut version: Option<i64> = None;
    let mut revocations: Option<String> = None;
    loop {
        std::thread::sleep(WATCH_EVERY);
        let Some(waiters) = waiters.upgrade() else {
            return;
        };
        if conn.is_none() {
            conn = super::connect(&path).ok();
        }
        let Some(c) = conn.as_ref() else { continue };
        let newest = || -> rusqlite::Result<i64> {
            c.query_row("SELECT coalesce(max(position), 0) FROM changes", [], |r| {
                r.get(0)
            })
        };
        let Some(last) = seen else {
            seen = newest().ok();
            continue;
        };
        // Bumped by every commit of another connection (this process's
        // writer's included).
        let now = c
            .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
            .ok();
        if now.is_some() && now == version {
            continue;
        }
        version = now;
        // Someone committed: did they revoke tokens (`auth::revocation`)?
        let counted = c
            .query_row(
                "SELECT value FROM server_meta WHERE key = 'revocations'",
                [],
                |r| r.get::<_, String>(0),
            )
            .ok();
        if counted.is_some() && counted != revocations {
            if revocations.is_some() || seen.is_some() {
                waiters.heard_revocation();
            }
            revocations = counted;
        }
        if waiters.waiting_users() == 0 {
            // Nobody waits: only keep up with the log's end.
            seen = newest().ok().or(seen);
            continue;
        }
        let found = c
            .prepare_cached(
                "SELECT position, user_id FROM changes WHERE position > ?1 ORDER BY position",
            )
            .and_then(|mut stmt| {
                stmt.query_map([last], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            });
        let Ok(found) = found else {
            // A broken connection: open another next time.
            conn = None;
            continue;
        };
        let mut users = HashSet::new();
        let mut everyone = false;
        for (position, user) in found {
            seen = Some(position.max(seen.unwrap_or(0)));
            match user {
                Some(user) => {
                    users.insert(user);
                }
                None => everyone = true,
            }
        }
        waiters.wake(&users, everyone);
    }
}
