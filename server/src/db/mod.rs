//! The server's database, SQLite or PostgreSQL ([`Source`]): opening it
//! (migrations, the demo catalogue) and running work on it off the async
//! runtime, through the storage interface ([`crate::store`]).
//!
//! Writes go to one writer thread per process that owns its only writing
//! connection. It takes every write waiting in its queue into one
//! transaction, each in its own savepoint, and answers them only after the
//! commit: many concurrent pushes share one disk flush, and a failed write
//! rolls back alone. Writers are one at a time across replicas too: SQLite
//! has one write lock, and on PostgreSQL each write transaction first takes
//! one transaction-scoped advisory lock. So every rule that reads before it
//! writes (the next sequence number, a free slot, a quota) sees the last
//! commit, and the change log's positions become visible in order, which
//! the pull cursor relies on (a later position never commits before an
//! earlier one). Reads run on a small pool of connections beside the
//! writer (WAL on SQLite), on tokio's blocking threads; a semaphore keeps
//! them from piling up.

pub mod copy;
pub mod migrate;
pub mod postgres;
pub mod wake;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::Duration;

use ridewire_engine::sync::Change;
use tokio::sync::{Semaphore, oneshot};

use crate::error::{AppError, Result};
use crate::store::{self, Connection, Dialect, OptionalExtension, params};

/// How long a connection waits for a lock before answering "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Reader connections (and reads running at once).
const READERS: usize = 4;
/// Prepared statements kept per SQLite connection.
const STATEMENT_CACHE: usize = 256;
/// Most writes committed together.
const MAX_GROUP: usize = 128;

/// What a queued write hands back once it ran: called with the commit's
/// outcome, it answers the waiting request.
type Deliver = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
/// A queued write: runs inside the group's transaction (or is told there is
/// none) and returns how to deliver its answer.
type Job = Box<dyn FnOnce(Option<&Connection>) -> Deliver + Send>;

/// Where the database is: `sqlite://PATH` (or a bare path) or
/// `postgres://…`.
#[derive(Clone)]
pub enum Source {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Source {
    /// Reads a `--database` argument.
    pub fn parse(arg: &str) -> Result<Source> {
        if let Some(path) = arg.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(AppError::Config("sqlite:// needs a file path".into()));
            }
            return Ok(Source::Sqlite(PathBuf::from(path)));
        }
        if arg.starts_with("postgres://") || arg.starts_with("postgresql://") {
            return Ok(Source::Postgres(arg.to_owned()));
        }
        if arg.contains("://") {
            return Err(AppError::Config(format!(
                "unsupported database {:?}: use sqlite://PATH or postgres://USER@HOST/NAME",
                redact(arg)
            )));
        }
        Ok(Source::Sqlite(PathBuf::from(arg)))
    }

    /// The database, for messages: a PostgreSQL URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Source::Sqlite(path) => path.display().to_string(),
            Source::Postgres(url) => redact(url),
        }
    }

    fn connect(&self) -> store::Result<Connection> {
        match self {
            Source::Sqlite(path) => Ok(Connection::sqlite(connect(path)?)),
            Source::Postgres(url) => Connection::postgres(url),
        }
    }
}

/// `url` with any password replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("source", &self.inner.source)
            .field("epoch", &self.inner.epoch)
            .finish()
    }
}

struct Inner {
    source: Source,
    jobs: mpsc::Sender<Job>,
    readers: Mutex<Vec<Connection>>,
    read_permits: Semaphore,
    epoch: String,
    waiters: Arc<wake::Waiters>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A PostgreSQL client stops its own runtime when dropped, which
        // tokio refuses on an async thread (the last handle may go there).
        let readers = std::mem::take(&mut *lock(&self.readers));
        if readers.iter().any(|c| c.dialect() == Dialect::Postgres) {
            let _ = std::thread::Builder::new()
                .name("ridewire-db-close".into())
                .spawn(move || drop(readers));
        }
    }
}

/// Locks a mutex even if a thread panicked while holding it: the
/// connection list it guards stays usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn connect(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Every statement goes through the cache (`store`): room for all the
    // server's, not rusqlite's default 16, so none is prepared again and
    // again.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // An acknowledged event must survive a power cut: the device forgets
    // what the server acked.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // What is deleted or rewritten (a deleted account, an address stored in
    // clear text before it was sealed) is overwritten on disk, not left in
    // free pages for a copy of the file to show.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

/// Opens a write transaction holding the database's one write turn.
fn begin_write(conn: &Connection) -> store::Result<()> {
    match conn.dialect() {
        Dialect::Sqlite => conn.execute_batch("BEGIN IMMEDIATE"),
        Dialect::Postgres => conn.execute_batch(postgres::BEGIN_WRITE),
    }
}

/// The writer thread: group commit until every handle is dropped.
fn writer_loop(
    mut conn: Connection,
    source: Source,
    jobs: mpsc::Receiver<Job>,
    waiters: Arc<wake::Waiters>,
) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let mut begun = begin_write(&conn);
        if begun.is_err() && conn.is_broken() {
            // The PostgreSQL server restarted: once more on a new session.
            if let Ok(fresh) = source.connect() {
                conn = fresh;
                begun = begin_write(&conn);
            }
        }
        if let Err(e) = begun {
            for job in group {
                job(None)(Err(e.to_string()));
            }
            continue;
        }
        let delivers: Vec<Deliver> = group.into_iter().map(|job| job(Some(&conn))).collect();
        let (users, everyone) = wake::take_touched();
        let revoked = wake::take_revoked();
        // Other replicas hear of it when it commits (PostgreSQL), which
        // also checks that the transaction is still whole.
        let commit = postgres::announce(&conn, &users, everyone, revoked)
            .and_then(|()| conn.execute_batch("COMMIT"))
            .map_err(|e| e.to_string());
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        } else {
            // On disk: the pulls waiting for these users' news read it now.
            waiters.wake(&users, everyone);
        }
        for deliver in delivers {
            deliver(commit.clone());
        }
    }
}

/// Runs `f` in a savepoint of the open transaction: kept when it returns
/// `Ok`, undone when it fails or panics.
fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    conn.execute_batch("SAVEPOINT job")?;
    let out = std::panic::catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(AppError::Internal("a write panicked".into())));
    if out.is_ok() {
        conn.execute_batch("RELEASE job")?;
    } else {
        conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
    }
    out
}

impl Db {
    /// Opens (or creates) the SQLite database at `path`, applies
    /// migrations and seeds the demo quest catalogue into a new database.
    pub fn open(path: &Path) -> Result<Db> {
        Db::connect(&Source::Sqlite(path.to_owned()))
    }

    /// Opens the database at `source` ([`Db::open`] for either backend).
    /// Callable from async code: the PostgreSQL client blocks on a runtime
    /// of its own, so the opening runs on a thread of its own.
    pub fn connect(source: &Source) -> Result<Db> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| Db::connect_here(source))
                .join()
                .unwrap_or_else(|_| Err(AppError::Internal("opening the database panicked".into())))
        })
    }

    fn connect_here(source: &Source) -> Result<Db> {
        let open_error = |source_error: store::Error| AppError::DatabaseOpen {
            target: source.describe(),
            source: source_error,
        };
        let storage = |e: AppError| match e {
            AppError::Storage(error) => open_error(error),
            other => other,
        };
        let writer = match source {
            Source::Sqlite(path) => {
                let mut raw = connect(path).map_err(|e| open_error(e.into()))?;
                migrate::migrate(&mut raw, path)?;
                crate::leaderboard::key_names(&mut raw).map_err(storage)?;
                Connection::sqlite(raw)
            }
            Source::Postgres(_) => {
                let conn = source.connect().map_err(open_error)?;
                postgres::migrate(&conn, &source.describe()).map_err(storage)?;
                conn
            }
        };
        seed_catalog(&writer).map_err(storage)?;
        // Seeding ran on this thread, not the writer's: nobody to wake.
        let _ = wake::take_touched();
        let _ = wake::take_revoked();
        let epoch: String = writer
            .query_row(
                "SELECT value FROM server_meta WHERE key = 'epoch'",
                [],
                |r| r.get(0),
            )
            .map_err(open_error)?;
        let readers = (0..READERS)
            .map(|_| source.connect())
            .collect::<store::Result<Vec<_>>>()
            .map_err(open_error)?;
        let (send, receive) = mpsc::channel::<Job>();
        let waiters = Arc::new(wake::Waiters::default());
        let woken = Arc::clone(&waiters);
        let writes_to = source.clone();
        let writer_pid = postgres::backend_pid(&writer);
        std::thread::Builder::new()
            .name("ridewire-db-writer".into())
            .spawn(move || writer_loop(writer, writes_to, receive, woken))
            .map_err(|e| AppError::Internal(format!("cannot start the writer thread: {e}")))?;
        // Other replicas' commits wake this one's waiting pulls too.
        let (watched, watchers) = (source.clone(), Arc::downgrade(&waiters));
        std::thread::Builder::new()
            .name("ridewire-db-watch".into())
            .spawn(move || match watched {
                Source::Sqlite(path) => wake::watch(path, watchers),
                Source::Postgres(url) => postgres::listen(&url, watchers, writer_pid),
            })
            .map_err(|e| AppError::Internal(format!("cannot start the watch thread: {e}")))?;
        Ok(Db {
            inner: Arc::new(Inner {
                source: source.clone(),
                jobs: send,
                readers: Mutex::new(readers),
                read_permits: Semaphore::new(READERS),
                epoch,
                waiters,
            }),
        })
    }

    /// Copies SQLite's write-ahead log into the database file and empties
    /// it (after rewriting data that must not linger in old page images).
    /// PostgreSQL keeps its own log: nothing to do there.
    pub fn checkpoint(&self) -> Result<()> {
        let Source::Sqlite(path) = &self.inner.source else {
            return Ok(());
        };
        self.write_blocking(|_| Ok(()))?;
        let conn = connect(path)?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The schema version the database is at.
    pub async fn schema_version(&self) -> Result<i64> {
        self.read(|conn| match conn.as_sqlite() {
            Some(raw) => Ok(migrate::version(raw)?),
            None => postgres::version(conn),
        })
        .await
    }

    /// The pulls waiting for news ([`wake`]).
    pub fn waiters(&self) -> &wake::Waiters {
        &self.inner.waiters
    }

    /// The epoch drawn when this database was made.
    pub fn epoch(&self) -> &str {
        &self.inner.epoch
    }

    /// Where the database is.
    pub fn source(&self) -> &Source {
        &self.inner.source
    }

    /// The SQLite database file (`None` on PostgreSQL).
    pub fn path(&self) -> Option<&Path> {
        match &self.inner.source {
            Source::Sqlite(path) => Some(path),
            Source::Postgres(_) => None,
        }
    }
    /// Queues `f` for the writer thread; `respond` gets its answer after
    /// the commit.
    fn queue<T, F>(&self, f: F, respond: impl FnOnce(Result<T>) + Send + 'static) -> Result<()>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            let out = match conn {
                Some(conn) => in_savepoint(conn, f),
                None => Err(AppError::Internal("no write transaction".into())),
            };
            Box::new(move |commit| {
                respond(match commit {
                    Ok(()) => out,
                    Err(e) => Err(AppError::Internal(format!("commit failed: {e}"))),
                });
            })
        });
        self.inner
            .jobs
            .send(job)
            .map_err(|_| AppError::Internal("the writer thread has stopped".into()))
    }

    /// Runs `f` in a write transaction; its changes are kept (and the
    /// answer given) only when it returns `Ok` and the commit is on disk.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (answer, wait) = oneshot::channel();
        self.queue(f, move |out| {
            // The request may have gone away; nothing to answer then.
            let _ = answer.send(out);
        })?;
        wait.await
            .map_err(|_| AppError::Internal("a write was lost".into()))?
    }

    /// [`Db::write`], waiting on this thread (start-up and tests).
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (answer, wait) = mpsc::sync_channel(1);
        self.queue(f, move |out| {
            let _ = answer.send(out);
        })?;
        wait.recv()
            .map_err(|_| AppError::Internal("a write was lost".into()))?
    }

    /// Runs `f` on a reader connection (a consistent snapshot when `f` opens
    /// a transaction itself; single statements always are).
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self
            .inner
            .read_permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal("the reader pool is closed".into()))?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&inner.readers).pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => inner.source.connect()?,
            };
            let out = f(&conn);
            if conn.is_broken() {
                // The server restarted: the pooled sessions are gone too.
                // The next reads open new ones instead of failing in turn.
                lock(&inner.readers).clear();
            } else {
                lock(&inner.readers).push(conn);
            }
            out
        })
        .await?
    }
}

/// The newest position the change log ever gave out (its newest change
/// may since have been replaced by a newer one of the same subject).
pub(crate) fn newest_position(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        match conn.dialect() {
            Dialect::Sqlite => {
                "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)"
            }
            // The identity's sequence; a value taken by a write still open
            // or rolled back only raises the bound.
            Dialect::Postgres => {
                "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM changes_position_seq"
            }
        },
        [],
        |r| r.get(0),
    )?)
}

/// Appends a change to the pull log. A change with a `subject` replaces the
/// older changes of the same subject (and user), so pulls carry only the
/// newest version of a plan, pack, catalogue or record.
pub(crate) fn log_change(
    tx: &Connection,
    user: Option<i64>,
    subject: Option<&str>,
    change: &Change,
) -> Result<i64> {
    let body = serde_json::to_string(change)
        .map_err(|e| AppError::Internal(format!("cannot encode a change: {e}")))?;
    log_change_json(tx, user, subject, &body)
}

/// [`log_change`] for a change already encoded as the JSON of a `Change`.
pub(crate) fn log_change_json(
    tx: &Connection,
    user: Option<i64>,
    subject: Option<&str>,
    body: &str,
) -> Result<i64> {
    if let Some(subject) = subject {
        tx.execute(
            "DELETE FROM changes WHERE subject = ?1 AND user_id IS NOT DISTINCT FROM ?2",
            params![subject, user],
        )?;
    }
    let position = tx.query_row(
        "INSERT INTO changes (user_id, subject, body) VALUES (?1, ?2, ?3) RETURNING position",
        params![user, subject, body],
        |r| r.get(0),
    )?;
    wake::touched(user);
    Ok(position)
}

/// A new database starts with the engine's demo catalogue, so devices and
/// the server fold progress against the same quests until an admin
/// publishes another.
fn seed_catalog(conn: &Connection) -> Result<()> {
    begin_write(conn)?;
    let tx = store::Transaction::begun(conn);
    let exists: Option<i64> = tx
        .query_row("SELECT version FROM catalog WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    if exists.is_none() {
        let catalog = ridewire_engine::demo::catalog()
            .map_err(|e| AppError::Internal(format!("the demo catalogue is invalid: {e}")))?;
        let body = serde_json::to_value(&catalog)
            .map_err(|e| AppError::Internal(format!("cannot encode the catalogue: {e}")))?;
        tx.execute(
            "INSERT INTO catalog (id, version, body, updated_ms) VALUES (1, 1, ?1, 0)",
            [body.to_string()],
        )?;
        log_change(&tx, None, Some("catalog"), &Change::Catalog { body })?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plans(db: &Db) -> Vec<String> {
        db.write_blocking(|conn| {
            let mut stmt = conn.prepare("SELECT id FROM plans ORDER BY id")?;
            let ids = stmt
                .query_map([], |r| r.get(0))?
                .collect::<crate::store::Result<Vec<String>>>()?;
            Ok(ids)
        })
        .expect("plans")
    }

    fn add_plan(id: String) -> impl FnOnce(&Connection) -> Result<()> + Send + 'static {
        move |conn| {
            conn.execute(
                "INSERT INTO plans (id, title, markdown, version, updated_ms) VALUES (?1, '', '', 1, 0)",
                [&id],
            )?;
            Ok(())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn writes_committed_together_fail_and_panic_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&dir.path().join("s.db")).expect("open");
        let mut tasks = Vec::new();
        for n in 0..60 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("plan-{n:02}");
                match n % 3 {
                    0 => db.write(add_plan(id)).await,
                    // Writes, then fails: its row must not stay.
                    1 => {
                        db.write(move |conn| {
                            add_plan(id)(conn)?;
                            Err(AppError::bad_request("nope", "refused"))
                        })
                        .await
                    }
                    // Writes, then panics: same, and the writer lives on.
                    _ => {
                        db.write(move |conn| -> Result<()> {
                            add_plan(id)(conn)?;
                            panic!("a bug in a handler")
                        })
                        .await
                    }
                }
            }));
        }
        let mut ok = 0;
        for task in tasks {
            if task.await.expect("task").is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 20);
        let expected: Vec<String> = (0..60)
            .filter(|n| n % 3 == 0)
            .map(|n| format!("plan-{n:02}"))
            .collect();
        assert_eq!(plans(&db), expected);
    }

    #[test]
    fn a_new_database_has_an_epoch_and_the_demo_catalogue_and_keeps_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.db");
        let epoch = {
            let db = Db::open(&path).expect("open");
            assert!(!db.epoch().is_empty());
            db.epoch().to_owned()
        };
        let other = Db::open(&dir.path().join("other.db")).expect("open");
        assert_ne!(other.epoch(), epoch, "epochs are drawn per database");
        let db = Db::open(&path).expect("reopen");
        assert_eq!(db.epoch(), epoch);
        let (version, changes): (i64, i64) = db
            .write_blocking(|conn| {
                Ok(conn.query_row(
                    "SELECT (SELECT version FROM catalog), (SELECT count(*) FROM changes)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .expect("catalogue");
        assert_eq!((version, changes), (1, 1), "seeded once, not on every open");
    }
}
