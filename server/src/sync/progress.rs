//! The progress the server folds from a user's events with the engine, the
//! same fold devices run. Kept in memory per user and extended with new
//! events as they arrive; folded again from scratch when an event sorts
//! before what was folded (another device was offline) or the catalogue
//! changed. That full fold is the one costly case: [`ProgressCache::summary`]
//! only reads the stored events then, and [`ProgressCache::finish`] parses
//! and folds them after the caller has let go of the database (no read
//! permit is held while a history is folded). At most [`MAX_CACHED_USERS`]
//! folds are kept: past that the least recently used half is dropped (a miss
//! folds again from the database), so memory stays bounded for any number
//! of users.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::store::Connection;
use ridewire_engine::event::Event;
use ridewire_engine::progress::Progress;
use ridewire_engine::quest::Catalog;
use ridewire_engine::sync::ProgressSummary;

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

/// Reads a user's accepted events stored after row `after`, in row order,
/// as stored (JSON), with the last row read.
fn bodies_after(conn: &Connection, user: i64, after: i64) -> Result<(Vec<(i64, String)>, i64)> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, body FROM events
         WHERE user_id = ?1 AND id > ?2 AND rejected IS NULL ORDER BY id",
    )?;
    let mut rows = stmt.query([user, after])?;
    let mut bodies = Vec::new();
    let mut last = after;
    while let Some(row) = rows.next()? {
        last = row.get(0)?;
        bodies.push((last, row.get(1)?));
    }
    Ok((bodies, last))
}

fn parse(bodies: &[(i64, String)]) -> Result<Vec<Event>> {
    bodies
        .iter()
        .map(|(row, body)| {
            serde_json::from_str(body)
                .map_err(|e| AppError::Internal(format!("stored event {row} is unreadable: {e}")))
        })
        .collect()
}

/// Reads a user's accepted events stored after row `after`, in row order.
fn events_after(conn: &Connection, user: i64, after: i64) -> Result<(Vec<Event>, i64)> {
    let (bodies, last) = bodies_after(conn, user, after)?;
    Ok((parse(&bodies)?, last))
}

/// What [`ProgressCache::summary`] found.
#[derive(Debug)]
pub enum Folding {
    /// The fold was extended in place.
    Done(ProgressSummary),
    /// An event sorts before what was folded: the whole history, read from
    /// one snapshot, waits to be folded again by [`ProgressCache::finish`].
    Refold(Refold),
}

/// A user's whole history, read and not yet folded.
#[derive(Debug)]
pub struct Refold {
    user: i64,
    catalog_version: i64,
    catalog: Arc<Catalog>,
    bodies: Vec<(i64, String)>,
    through_row: i64,
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
    /// transaction so catalogue and events are one snapshot. New events that
    /// sort after what was folded extend the fold here; otherwise the whole
    /// history is read (not folded) and comes back to be folded with
    /// [`ProgressCache::finish`] once the caller has let go of the database.
    pub fn summary(&self, conn: &Connection, user: i64) -> Result<Folding> {
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
        for event in &new {
            if folded.progress.apply(&catalog, event).is_err() {
                // Half extended is no fold at all: start over next time,
                // unless `finish` puts the full fold in first.
                *folded = Folded {
                    catalog_version: version,
                    ..Folded::default()
                };
                drop(folded);
                let (bodies, through_row) = bodies_after(conn, user, 0)?;
                return Ok(Folding::Refold(Refold {
                    user,
                    catalog_version: version,
                    catalog,
                    bodies,
                    through_row,
                }));
            }
        }
        folded.through_row = last;
        Ok(Folding::Done(ProgressSummary::of(
            &folded.progress,
            folded.progress.event_count(),
        )))
    }

    /// Folds a history [`ProgressCache::summary`] read (slow: run it off the
    /// async runtime, holding no database permit) and keeps the fold unless
    /// a newer one got there first.
    pub fn finish(&self, refold: Refold) -> Result<ProgressSummary> {
        let events = parse(&refold.bodies)?;
        let progress = Progress::from_events(&refold.catalog, &events);
        let summary = ProgressSummary::of(&progress, progress.event_count());
        let entry = self.entry(refold.user);
        let mut folded = lock(&entry);
        let newer = folded.catalog_version == refold.catalog_version
            && folded.through_row > refold.through_row;
        if !newer {
            *folded = Folded {
                catalog_version: refold.catalog_version,
                through_row: refold.through_row,
                progress,
            };
        }
        Ok(summary)
    }

    /// The user's progress as of `conn`'s view, for a writer about to add
    /// an event: the cached fold extended by what came since, on a copy, so
    /// the cache never holds what a transaction may still roll back. Folds
    /// the whole history only when the cache has no fold of the user or an
    /// event sorts before it.
    pub fn snapshot(&self, conn: &Connection, user: i64) -> Result<Progress> {
        let (version, catalog) = self.catalog(conn)?;
        let entry = self.entry(user);
        let (mut progress, through_row) = {
            let folded = lock(&entry);
            if folded.catalog_version == version && folded.through_row > 0 {
                (folded.progress.clone(), folded.through_row)
            } else {
                (Progress::default(), 0)
            }
        };
        let (mut new, _) = events_after(conn, user, through_row)?;
        new.sort_by_key(Event::canonical_key);
        for event in &new {
            if progress.apply(&catalog, event).is_err() {
                let (all, _) = events_after(conn, user, 0)?;
                return Ok(Progress::from_events(&catalog, &all));
            }
        }
        Ok(progress)
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

    /// The two tables the cache reads, with the demo catalogue.
    fn database() -> Connection {
        let conn = Connection::sqlite(rusqlite::Connection::open_in_memory().expect("db"));
        conn.execute_batch(
            "CREATE TABLE catalog (id INTEGER PRIMARY KEY, version INTEGER, body TEXT);
             CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT, rejected TEXT);",
        )
        .expect("schema");
        let catalog = ridewire_engine::demo::catalog().expect("catalog");
        conn.execute(
            "INSERT INTO catalog VALUES (1, 1, ?1)",
            [serde_json::to_string(&catalog).expect("json")],
        )
        .expect("catalog");
        conn
    }

    fn store(conn: &Connection, chain: &mut ridewire_engine::event::DeviceChain, at: i64) -> Event {
        use ridewire_engine::event::{EventId, EventKind};
        let kind = EventKind::StepChecked {
            quest: ridewire_engine::quest::QuestId::new("tyre-pressure").expect("id"),
            step: "s1".into(),
        };
        let event = chain
            .append(EventId::v7(at, [at as u8; 10]), at, 60, kind)
            .expect("append");
        conn.execute(
            "INSERT INTO events (user_id, body) VALUES (7, ?1)",
            [serde_json::to_string(&event).expect("json")],
        )
        .expect("event");
        event
    }

    fn folded(conn: &Connection, cache: &ProgressCache) -> ProgressSummary {
        match cache.summary(conn, 7).expect("summary") {
            Folding::Done(summary) => summary,
            Folding::Refold(refold) => panic!("refold of {} events", refold.bodies.len()),
        }
    }

    #[test]
    fn a_back_dated_event_is_read_under_the_permit_and_folded_after_it() {
        use ridewire_engine::event::{DeviceChain, DeviceId};
        let conn = database();
        let cache = ProgressCache::default();
        let catalog = ridewire_engine::demo::catalog().expect("catalog");
        let mut phone = DeviceChain::new(DeviceId(uuid::Uuid::from_u128(1)));
        let mut tablet = DeviceChain::new(DeviceId(uuid::Uuid::from_u128(2)));
        let mut all = vec![
            store(&conn, &mut phone, 2_000_000_000_000),
            store(&conn, &mut phone, 2_000_000_100_000),
        ];
        assert_eq!(folded(&conn, &cache).events, 2);
        // The tablet was offline: its event sorts before both.
        all.push(store(&conn, &mut tablet, 1_990_000_000_000));
        let Folding::Refold(refold) = cache.summary(&conn, 7).expect("summary") else {
            panic!("a back-dated event cannot extend the fold");
        };
        // Nothing half-extended stays behind for the next caller.
        assert_eq!(lock(&cache.entry(7)).through_row, 0);
        let expected = Progress::from_events(&catalog, &all);
        let summary = cache.finish(refold).expect("fold");
        assert_eq!(summary, ProgressSummary::of(&expected, 3));
        assert_eq!(folded(&conn, &cache), summary);
        // A writer's snapshot sees what came since without keeping it.
        all.push(store(&conn, &mut phone, 2_000_000_200_000));
        let snapshot = cache.snapshot(&conn, 7).expect("snapshot");
        assert_eq!(snapshot, Progress::from_events(&catalog, &all));
        assert_eq!(lock(&cache.entry(7)).through_row, 3);
        assert_eq!(folded(&conn, &cache).events, 4);
    }
}
