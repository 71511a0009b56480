//! The one error a host sees: five kinds it can act on, each with the app
//! layer's words for the rider.

use ridewire_app::Error as AppError;
use ridewire_app::diagnosis::DiagnoseError;
use ridewire_app::maps::PlanError;
use ridewire_sync_client::{Error as SyncError, Trouble};

/// Why a call did not do what was asked.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum RideWireError {
    /// The server could not be reached or failed; trying again later may
    /// work.
    #[error("{message}")]
    Network { message: String },
    /// Not signed in, or the session ended: sign in again.
    #[error("{message}")]
    Auth { message: String },
    /// The rider's data on this device could not be read or written.
    #[error("{message}")]
    Storage { message: String },
    /// What the host passed is not usable; the message says what is
    /// expected.
    #[error("{message}")]
    InvalidInput { message: String },
    /// Not now: the server asks to slow down, or the sync thread is not
    /// running.
    #[error("{message}")]
    Busy { message: String },
}

impl RideWireError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        RideWireError::InvalidInput {
            message: message.into(),
        }
    }
}

impl RideWireError {
    /// The error for a kind of sync trouble.
    pub(crate) fn of(trouble: Trouble, message: String) -> Self {
        match trouble {
            Trouble::Network => RideWireError::Network { message },
            Trouble::Auth => RideWireError::Auth { message },
            Trouble::Busy => RideWireError::Busy { message },
            Trouble::Storage => RideWireError::Storage { message },
            Trouble::Refused => RideWireError::InvalidInput { message },
        }
    }
}

impl From<SyncError> for RideWireError {
    fn from(e: SyncError) -> Self {
        RideWireError::of(e.trouble(), e.to_string())
    }
}

impl From<AppError> for RideWireError {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        match e {
            AppError::Sync(sync) => sync.into(),
            AppError::Store(_)
            | AppError::Engine(_)
            | AppError::Folder { .. }
            | AppError::OverlayPack(_) => RideWireError::Storage { message },
            AppError::Input(_)
            | AppError::Demo(_)
            | AppError::Camera { .. }
            | AppError::NoPicture => RideWireError::InvalidInput { message },
            AppError::NotSignedIn(_) => RideWireError::Auth { message },
            AppError::Stopped(_) => RideWireError::Busy { message },
        }
    }
}

impl From<DiagnoseError> for RideWireError {
    fn from(e: DiagnoseError) -> Self {
        let message = e.to_string();
        match e {
            DiagnoseError::BadInput(_) => RideWireError::InvalidInput { message },
            DiagnoseError::Failed(_) => RideWireError::Storage { message },
        }
    }
}

impl From<PlanError> for RideWireError {
    fn from(e: PlanError) -> Self {
        let message = e.to_string();
        match e {
            PlanError::BadInput(_) => RideWireError::InvalidInput { message },
            PlanError::Failed(_) => RideWireError::Storage { message },
        }
    }
}
