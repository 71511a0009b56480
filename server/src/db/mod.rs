//! The server's SQLite database: opening it (WAL, busy timeout, foreign
//! keys, migrations), and running work on it off the async runtime.
//!
//! One connection writes (SQLite has one writer at a time anyway); a small
//! pool of connections reads, which WAL lets run beside the writer. Every
//! call runs on tokio's blocking pool so a slow disk never stalls the
//! threads that serve requests.

pub mod migrate;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ridewire_engine::sync::Change;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::{AppError, Result};

/// How long a connection waits for a lock before answering "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Reader connections kept open between requests.
const MAX_IDLE_READERS: usize = 8;

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.inner.path)
            .field("epoch", &self.inner.epoch)
            .finish()
    }
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    epoch: String,
}

/// Locks a mutex even if a thread panicked while holding it: the
/// connection's open transaction was rolled back when it unwound.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // An acknowledged event must survive a power cut: the device forgets
    // what the server acked.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

impl Db {
    /// Opens (or creates) the database at `path`, applies migrations and
    /// seeds the demo quest catalogue into a new database.
    pub fn open(path: &Path) -> Result<Db> {
        let open_error = |source| AppError::DatabaseOpen {
            path: path.to_owned(),
            source,
        };
        let mut writer = connect(path).map_err(open_error)?;
        migrate::migrate(&mut writer, path)?;
        seed_catalog(&mut writer).map_err(|e| match e {
            AppError::Storage(source) => open_error(source),
            other => other,
        })?;
        let epoch: String = writer
            .query_row(
                "SELECT value FROM server_meta WHERE key = 'epoch'",
                [],
                |r| r.get(0),
            )
            .map_err(open_error)?;
        Ok(Db {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                epoch,
            }),
        })
    }

    /// The epoch drawn when this database was made.
    pub fn epoch(&self) -> &str {
        &self.inner.epoch
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one write transaction that commits only when `f` returns
    /// `Ok`.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut conn = lock(&inner.writer);
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await?
    }

    /// Runs `f` on a reader connection (a consistent snapshot when `f` opens
    /// a transaction itself; single statements always are).
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&inner.readers).pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => connect(&inner.path)?,
            };
            let out = f(&conn);
            let mut idle = lock(&inner.readers);
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
            out
        })
        .await?
    }

    /// Runs `f` on the writer connection directly, blocking (tests and
    /// start-up only).
    pub fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        f(&mut lock(&self.inner.writer))
    }
}

/// Appends a change to the pull log. A change with a `subject` replaces the
/// older changes of the same subject (and user), so pulls carry only the
/// newest version of a plan, pack, catalogue or record.
pub(crate) fn log_change(
    tx: &Transaction<'_>,
    user: Option<i64>,
    subject: Option<&str>,
    change: &Change,
) -> Result<i64> {
    let body = serde_json::to_string(change)
        .map_err(|e| AppError::Internal(format!("cannot encode a change: {e}")))?;
    if let Some(subject) = subject {
        tx.prepare_cached("DELETE FROM changes WHERE subject = ?1 AND user_id IS ?2")?
            .execute(params![subject, user])?;
    }
    tx.prepare_cached("INSERT INTO changes (user_id, subject, body) VALUES (?1, ?2, ?3)")?
        .execute(params![user, subject, body])?;
    Ok(tx.last_insert_rowid())
}

/// A new database starts with the engine's demo catalogue, so devices and
/// the server fold progress against the same quests until an admin
/// publishes another.
fn seed_catalog(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
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
            params![body.to_string()],
        )?;
        log_change(&tx, None, Some("catalog"), &Change::Catalog { body })?;
    }
    tx.commit()?;
    Ok(())
}
