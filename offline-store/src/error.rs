use std::path::PathBuf;

/// What can go wrong with the local database, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file was written by a newer RideWire; it is left untouched.
    #[error(
        "{path} was written by a newer version of RideWire (schema {found}, this build knows up to {supported}); update the app — the file was not changed"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// The file cannot be opened at all (permissions, missing folder, disk).
    #[error("cannot open the database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    /// The caller passed something the store will not keep.
    #[error("{0}")]
    Invalid(String),
    /// A stored row no longer decodes (the file was changed behind our back).
    #[error("stored data is damaged: {0}")]
    Damaged(String),
    /// SQLite refused a statement.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The engine refused the data (e.g. a chain that cannot be extended).
    #[error(transparent)]
    Engine(#[from] ridewire_engine::Error),
    /// Moving a damaged file aside failed.
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    /// The server could not be reached, or the connection broke (retried).
    #[error("no connection to the server: {0}")]
    Network(String),
    /// The server failed (5xx) or answered something unreadable (retried).
    #[error("the server failed ({status}): {message}")]
    Server { status: u16, message: String },
    /// The server asks to slow down; it may be asked again after the pause.
    #[error("the server is busy; trying again in {} s", retry_after.as_secs())]
    RateLimited { retry_after: std::time::Duration },
    /// Login failed, or the session ended and could not be renewed: the
    /// rider has to sign in again.
    #[error("not signed in to the server: {0}")]
    Auth(String),
    /// The server refused the request for good (4xx with its error code).
    #[error("the server refused the request ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The sync thread could not be started or has stopped.
    #[error("sync is not running: {0}")]
    SyncStopped(String),
}

impl Error {
    /// Whether trying the same thing again later may succeed (network,
    /// server failures, rate limits), as opposed to errors that need the
    /// rider or a fix.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Network(_) | Error::Server { .. } | Error::RateLimited { .. }
        )
    }
}

/// Result with the store's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
