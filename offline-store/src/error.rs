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
}

/// Result with the store's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
