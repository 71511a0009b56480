//! Where the rider is, as a location proof for a quest.
//!
//! A [`Fix`] is one position with its horizontal accuracy: read from a GPS
//! daemon ([`Gpsd`], the desktop and the command line) or handed over by a
//! phone's platform. [`complete_at_zone`] turns the newest fix into a
//! location proof and completes the quest with it through
//! [`Rider::record`](crate::rider::Rider::record), or says in the rider's
//! words how far away they are or why the fix is not good enough; the
//! screens, the command line and the phones' bindings share those words.

mod gpsd;
mod zone;

pub use gpsd::{DEFAULT_GPSD, Gpsd, Report, any_fix, parse_report, proof_fix};
pub use zone::{Attempt, complete_at_zone, flag_words};

use std::time::Duration;

use ridewire_engine::geo::GeoPoint;
use ridewire_engine::proof::LocationProof;

use crate::obd::seconds;

/// One position fix, as a location proof needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    /// Where the receiver is (WGS84 degrees).
    pub at: GeoPoint,
    /// Horizontal accuracy, a radius in metres.
    pub accuracy_m: f64,
    /// Speed over ground in metres per second, when the receiver gives it.
    pub speed_mps: Option<f64>,
    /// When the fix was taken (Unix milliseconds), when the receiver says.
    pub time_ms: Option<i64>,
}

impl From<&Fix> for LocationProof {
    fn from(fix: &Fix) -> Self {
        LocationProof {
            at: fix.at,
            accuracy_m: fix.accuracy_m,
        }
    }
}

/// Why no usable position came, worded for the rider.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    /// Nothing answers at the address, or it cannot be resolved.
    #[error(
        "no gpsd at {at}: {reason}; start it (`sudo systemctl start gpsd`) or give its address as HOST:PORT"
    )]
    NoDaemon {
        /// Where we looked (host:port).
        at: String,
        /// Why, in a few words.
        reason: String,
    },
    /// Something answers, but not with gpsd's reports.
    #[error("{at} does not answer like gpsd: {reason}")]
    NotGpsd {
        /// Where we looked.
        at: String,
        /// What was wrong.
        reason: String,
    },
    /// gpsd runs but has no receiver to read.
    #[error(
        "gpsd at {at} has no GPS receiver: plug one in, or start gpsd with the receiver's device"
    )]
    NoReceiver {
        /// Where gpsd is.
        at: String,
    },
    /// The receiver has no position yet (or gpsd sent none in time).
    #[error(
        "no position fix yet (waited {}): the receiver is still looking for satellites; go outside, away from tall buildings, and try again",
        seconds(*waited)
    )]
    NoFix {
        /// How long we waited.
        waited: Duration,
    },
    /// The receiver gives positions without saying how accurate they are.
    #[error("the receiver gives positions without an accuracy, and a location proof needs one")]
    NoAccuracy,
    /// gpsd closed the connection.
    #[error("gpsd closed the connection: is it still running?")]
    Closed,
    /// Reading or writing the connection failed.
    #[error("talking to gpsd failed: {0}")]
    Io(#[from] std::io::Error),
}
