use std::time::Duration;

/// What can go wrong while syncing, in terms a caller can act on: the
/// local database ([`Error::Store`]) or the way to the server (the rest).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The local database failed; its own message says which and what to do.
    #[error(transparent)]
    Store(#[from] ridewire_offline_store::Error),
    /// The server could not be reached, or the connection broke (retried).
    #[error("no connection to the server: {0}")]
    Network(String),
    /// The server failed (5xx) or answered something unreadable (retried).
    #[error("the server failed ({status}): {message}")]
    Server { status: u16, message: String },
    /// The server asks to slow down; it may be asked again after the pause.
    #[error("the server is busy; trying again in {} s", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
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
    /// Something given to the sync client cannot be used (a server address
    /// that is not one); the message says what is expected.
    #[error("{0}")]
    Invalid(String),
    /// The sync thread could not be started or has stopped.
    #[error("sync is not running: {0}")]
    Stopped(String),
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

/// What kind of trouble a failed round met, for a caller to act on (the
/// round's error itself travels as words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// No connection, or the server failed: later may work.
    Network,
    /// The rider has to sign in again.
    Auth,
    /// The server asks to slow down, or sync is not running.
    Busy,
    /// The server refused the request for good.
    Refused,
    /// The local database failed.
    Storage,
}

impl Error {
    /// The kind of trouble this is.
    pub fn trouble(&self) -> Trouble {
        match self {
            Error::Store(_) => Trouble::Storage,
            Error::Network(_) | Error::Server { .. } => Trouble::Network,
            Error::RateLimited { .. } | Error::Stopped(_) => Trouble::Busy,
            Error::Auth(_) => Trouble::Auth,
            Error::Refused { status, .. } if *status == 401 || *status == 403 => Trouble::Auth,
            Error::Refused { .. } | Error::Invalid(_) => Trouble::Refused,
        }
    }
}

/// Result with the sync client's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
