//! The progress the server folds from a user's events with the engine, the
//! same fold devices run. Kept in memory per user and extended with new
//! events as they arrive; folded again from scratch when an event sorts
//! before what was folded (another device was offline) or the catalogue
//! changed. At most [`MAX_CACHED_USERS`] folds are kept: past that the
//! least recently used half is dropped (a miss folds again from the
//! database), so memory stays bounded for any number of users.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use ridewire_engine::event::Event;
use ridewire_engine::progress::Progress;
use ridewire_engine::quest::Catalog;
use ridewire_engine::sync::ProgressSummary;
use rusqlite::Connection;

use crate::error::{AppError, Result};

/// A user's fold, shared with the requests folding it, and the tick it was
/// last used at.
type Cached = (Arc<Mutex<Folded>>, u64);

/// Folds kept in memory at most.
pub const MAX_CACHED_USERS: usize = 10_000;

/// A user's folded progress and how far it got.
#[derive(Debug, Default)]
struct Folded {
    catalog_version: i64,
    /// Highest `events.id` folded.
    through_row: i64,
    progress: Progress,
}

/// Per-user folds and the parsed catalogue.
#[derive(Debug, Default)]
pub struct ProgressCache {
    /// Each user's fold and when it was last used (a tick of `clock`).
    users: Mutex<HashMap<i64, Cached>>,
    clock: AtomicU64,
    catalog: Mutex<Option<(i64, Arc<Catalog>)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads a user's accepted events stored after row `after`, in row order.
fn events_after(conn: &Connection, user: i64, after: i64) -> Result<(Vec<Event>, i64)> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, body FROM events
         WHERE user_id = ?1 AND id > ?2 AND rejected IS NULL ORDER BY id",
    )?;
    let mut rows = stmt.query([user, after])?;
    let mut events = Vec::new();
    let mut last = after;
    while let Some(row) = rows.next()? {
        last = row.get(0)?;
        let body: String = row.get(1)?;
        let event = serde_json::from_str(&body)
            .map_err(|e| AppError::Internal(format!("stored event {last} is unreadable: {e}")))?;
        events.push(event);
    }
    Ok((events, last))
}

impl ProgressCache {
    /// The catalogue progress is folded against, and its version.
    pub fn catalog(&self, conn: &Connection) -> Result<(i64, Arc<Catalog>)> {
        let version: i64 =
            conn.query_row("SELECT version FROM catalog WHERE id = 1", [], |r| r.get(0))?;
        if let Some((v, catalog)) = lock(&self.catalog).as_ref()
            && *v == version
        {
            return Ok((version, Arc::clone(catalog)));
        }
        let (version, body): (i64, String) =
            conn.query_row("SELECT version, body FROM catalog WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let catalog: Catalog = serde_json::from_str(&body)
            .map_err(|e| AppError::Internal(format!("the stored catalogue is unreadable: {e}")))?;
        let catalog = Arc::new(catalog);
        *lock(&self.catalog) = Some((version, Arc::clone(&catalog)));
        Ok((version, catalog))
    }

    /// The user's progress as the server folds it. Run inside a read
    /// transaction so catalogue and events are one snapshot.
    pub fn summary(&self, conn: &Connection, user: i64) -> Result<ProgressSummary> {
        let (version, catalog) = self.catalog(conn)?;
        let entry = self.entry(user);
        let mut folded = lock(&entry);
        if folded.catalog_version != version {
            *folded = Folded {
                catalog_version: version,
                ..Folded::default()
            };
        }
        let (mut new, last) = events_after(conn, user, folded.through_row)?;
        new.sort_by_key(Event::canonical_key);
        let mut in_order = true;
        for event in &new {
            if folded.progress.apply(&catalog, event).is_err() {
                in_order = false;
                break;
            }
        }
        if !in_order {
            let (all, _) = events_after(conn, user, 0)?;
            folded.progress = Progress::from_events(&catalog, &all);
        }
        folded.through_row = last;
        Ok(ProgressSummary::of(
            &folded.progress,
            folded.progress.event_count(),
        ))
    }

    /// The user's fold, marked as just used; the least recently used half
    /// is dropped first when the cache is full.
    fn entry(&self, user: i64) -> Arc<Mutex<Folded>> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut users = lock(&self.users);
        if !users.contains_key(&user) && users.len() >= MAX_CACHED_USERS {
            let mut ticks: Vec<u64> = users.values().map(|(_, used)| *used).collect();
            let (_, median, _) = ticks.select_nth_unstable(users.len() / 2);
            let cut = *median;
            users.retain(|_, (_, used)| *used > cut);
        }
        let (folded, used) = users.entry(user).or_default();
        *used = tick;
        Arc::clone(folded)
    }

    /// How many users' folds are held.
    pub fn cached_users(&self) -> usize {
        lock(&self.users).len()
    }

    /// Forgets a user's fold (their data was deleted).
    pub fn forget(&self, user: i64) {
        lock(&self.users).remove(&user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_stays_bounded_and_keeps_the_recently_used() {
        let cache = ProgressCache::default();
        let busy = cache.entry(0);
        for user in 1..=(MAX_CACHED_USERS as i64 * 3) {
            cache.entry(user);
            // A rider who syncs all the time stays folded.
            if user % 100 == 0 {
                assert!(Arc::ptr_eq(&busy, &cache.entry(0)));
            }
            assert!(cache.cached_users() <= MAX_CACHED_USERS);
        }
        assert!(Arc::ptr_eq(&busy, &cache.entry(0)));
        assert!(cache.cached_users() > MAX_CACHED_USERS / 4);
    }
}
