use thiserror::Error;

/// Everything the engine can refuse, with enough detail for the caller to act.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A VIN that is not 17 characters of the VIN alphabet.
    #[error("invalid VIN: {0}")]
    InvalidVin(String),
    /// An identifier (quest, zone, component, vehicle key) that is empty or malformed.
    #[error("invalid {kind} id {value:?}: {reason}")]
    InvalidId {
        kind: &'static str,
        value: String,
        reason: &'static str,
    },
    /// A diagnostic trouble code that is not a letter and four hex digits.
    #[error("invalid trouble code {code:?}: {reason}")]
    InvalidCode { code: String, reason: String },
    /// A model year outside the range of motorised vehicles.
    #[error("invalid model year {0}: expected 1885..=2100")]
    InvalidYear(u16),
    /// A catalogue that refers to something it does not contain.
    #[error("catalogue: {0}")]
    Catalogue(String),
    /// An event that could not be encoded for hashing.
    #[error("event encoding: {0}")]
    Encoding(String),
    /// A device's chain was asked to append an event that does not follow it.
    #[error("device chain: {0}")]
    Chain(String),
}

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
