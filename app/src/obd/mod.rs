//! Talking to an ELM327-style OBD-II adapter over a real link.
//!
//! The protocol itself is the engine's sans-I/O
//! [`Session`](ridewire_engine::diagnostics::elm327::Session); this module
//! only moves its bytes: a blocking [`Transport`] (TCP for Wi-Fi adapters,
//! a serial port for USB and Bluetooth ones with the `serial` feature) and
//! an [`Adapter`] that drives a session over it.

mod driver;
#[cfg(unix)]
mod serial;
mod session;
mod tcp;
mod transport;

pub use driver::{Adapter, AdapterInfo, Reading};
#[cfg(unix)]
pub use serial::{BAUD_RATES, SerialLink};
pub use session::{AdapterOps, Link, ObdCommandError, all_codes, clear, read};
pub use tcp::TcpLink;
pub use transport::{LinkError, Transport};

use std::time::Duration;

use ridewire_engine::diagnostics::elm327::Elm327Error;

/// Why reading from or clearing an adapter failed, worded for the rider.
#[derive(Debug, thiserror::Error)]
pub enum ObdError {
    /// The link to the adapter could not be opened.
    #[error("no adapter at {at}: {reason}")]
    NoAdapter {
        /// Where we looked (host:port or serial path).
        at: String,
        /// Why, in a few words.
        reason: String,
    },
    /// The adapter stopped answering.
    #[error(
        "adapter did not answer within {} (waiting for {command}): check it is powered and that this is its address",
        seconds(*waited)
    )]
    Timeout {
        /// How long we waited.
        waited: Duration,
        /// The command left unanswered.
        command: &'static str,
    },
    /// The adapter closed the link.
    #[error("the adapter closed the connection (after {command}): reconnect and retry")]
    Closed {
        /// The command sent last.
        command: &'static str,
    },
    /// Reading or writing the link failed.
    #[error("talking to the adapter failed (during {command}): {source}")]
    Io {
        /// The command sent last.
        command: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The adapter or the bike answered with an error.
    #[error("{0}")]
    Adapter(#[from] Elm327Error),
    /// This build cannot use the requested kind of link.
    #[error("{0}")]
    Unsupported(String),
}

/// `2 s`, `1.5 s`, `250 ms`: a wait as a person says it.
pub fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_naturally() {
        assert_eq!(seconds(Duration::from_secs(2)), "2 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(seconds(Duration::from_millis(300)), "300 ms");
    }
}
