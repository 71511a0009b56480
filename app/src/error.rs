//! The app layer's errors: what went wrong, in words a rider can act on,
//! made in one place for every screen, command and binding.

use std::path::PathBuf;

/// Why something the rider asked for did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The local database failed (its own message says which and what to
    /// do).
    #[error(transparent)]
    Store(#[from] ridewire_offline_store::Error),
    /// Syncing with the server failed: no connection, the server failed or
    /// refused, or the rider has to sign in again.
    #[error(transparent)]
    Sync(#[from] ridewire_sync_client::Error),
    /// The engine refused the data (a catalogue that does not hold
    /// together, a chain that cannot be extended).
    #[error(transparent)]
    Engine(#[from] ridewire_engine::Error),
    /// The folder for the rider's data cannot be made.
    #[error("cannot create {}: {reason}", path.display())]
    Folder { path: PathBuf, reason: String },
    /// What the rider typed is not usable; the message says what is expected.
    #[error("{0}")]
    Input(String),
    /// Not possible in the demo garage, which keeps nothing and never syncs.
    #[error("the demo garage {0}: start without --demo")]
    Demo(&'static str),
    /// No server or account is set up yet.
    #[error("{0}")]
    NotSignedIn(String),
    /// The scanner has no picture: a camera, a recording or a calibration
    /// that cannot be used (`what` says which).
    #[error("{what}: {source}")]
    Camera {
        what: &'static str,
        #[source]
        source: ridewire_ar::Error,
    },
    /// The camera or recording gave nothing to show.
    #[error("the camera gave no picture")]
    NoPicture,
    /// The bike's overlay pack cannot be used.
    #[error(transparent)]
    OverlayPack(#[from] ridewire_ar::overlay::PackError),
    /// A background task ended without answering.
    #[error("{0} stopped unexpectedly")]
    Stopped(&'static str),
}

/// Result with the app layer's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
