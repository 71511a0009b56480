//! The ELM327 protocol of OBD-II adapters, as pure sans-I/O code.
//!
//! The client's serial, Bluetooth or TCP transport sends the bytes of a
//! [`Command`], reads until the adapter's `>` prompt, and hands that text to
//! [`Session::on_reply`] (or to the plain parsers [`parse_codes`],
//! [`parse_vin`], [`parse_clear`]). Timers live in the transport too; it
//! reports an expired one with [`Session::on_timeout`]. Nothing here blocks,
//! sleeps or reads a clock, so every reply format is testable from text.
//!
//! Reply formats understood:
//! - CAN (ISO 15765-4) with headers on, 11-bit (`7E8 06 43 ...`) or 29-bit
//!   (`18 DA F1 10 06 43 ...`), single and multi-frame ISO-TP, several ECUs
//!   interleaved;
//! - CAN with headers off, single frame (`43 02 01 33 03 00`) and the
//!   adapter's own multi-frame layout (`00E`, `0: 43 06 ...`, `1: ...`);
//! - K-line / J1850 lines with header and checksum (`48 6B 10 43 ... C4`) or
//!   without (`43 01 33 03 00 00 00`), three codes per line;
//! - spaces on or off, `\r`/`\n` in any mix, command echo, `SEARCHING...`,
//!   `BUS INIT: ...OK`, and the adapter's status and error words.

mod codes;
mod command;
mod frame;
mod reply;
mod session;
mod vin;

pub use codes::{EcuCodes, parse_clear, parse_codes};
pub use command::{ClearCodes, CodeKind, Command, Protocol, Request};
pub use session::{Event, Session};
pub use vin::parse_vin;

use thiserror::Error;

/// What can go wrong talking to an adapter, worded for the mechanic holding it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Elm327Error {
    /// The bus is up but no ECU answered (`NO DATA`).
    #[error(
        "no ECU answered (NO DATA): switch the ignition on; if it is on, the bike may not support this request"
    )]
    NoData,
    /// The adapter found no OBD protocol on the bike (`UNABLE TO CONNECT`).
    #[error(
        "the adapter could not talk to the bike (UNABLE TO CONNECT): check the ignition is on and the adapter is firmly plugged in"
    )]
    UnableToConnect,
    /// The K-line wake-up failed (`BUS INIT: ...ERROR`).
    #[error(
        "the K-line wake-up failed (BUS INIT ERROR): switch the ignition off and on, wait 5 seconds, then retry"
    )]
    BusInit,
    /// The adapter could not send or receive on the CAN bus (`CAN ERROR`).
    #[error(
        "the adapter could not use the CAN bus (CAN ERROR): check the connector and wiring, or the bike may not use CAN"
    )]
    CanError,
    /// A bus-level fault the adapter reported (`BUS ERROR`, `BUS BUSY`, `FB ERROR`).
    #[error("the adapter reported a bus fault ({message}): check the connector, then retry")]
    BusError {
        /// The adapter's words.
        message: String,
    },
    /// A reply arrived corrupted (`DATA ERROR`, `<DATA ERROR`, `<RX ERROR`).
    #[error("a reply arrived corrupted ({message}): retry; if it persists, check the connector")]
    DataError {
        /// The adapter's words.
        message: String,
    },
    /// The adapter ran out of buffer (`BUFFER FULL`), so part of the reply is lost.
    #[error(
        "the adapter's buffer overflowed (BUFFER FULL): retry; a faster link to the adapter helps"
    )]
    BufferFull,
    /// The adapter abandoned the request because a character arrived before its prompt (`STOPPED`).
    #[error(
        "the adapter stopped the request (STOPPED): it was interrupted before it finished; retry and wait for the prompt"
    )]
    Stopped,
    /// The adapter did not understand a command (`?`), e.g. a clone lacking it.
    #[error(
        "the adapter did not understand {command:?} (?): it may be a clone without this command"
    )]
    UnknownCommand {
        /// The command's text.
        command: &'static str,
    },
    /// The adapter reported an internal fault (`ERRxx`, `LV RESET`, `ACT ALERT`).
    #[error("the adapter reported a fault ({message}): unplug it and plug it back in")]
    AdapterFault {
        /// The adapter's words.
        message: String,
    },
    /// The reset reply had no `ELM327` banner: whatever answers is not an adapter we know.
    #[error(
        "no ELM327 banner after reset: the device on this port is not an ELM327-compatible adapter"
    )]
    NoBanner,
    /// An ECU refused the request with a negative response (`7F mode reason`).
    #[error("ECU {ecu} refused mode {mode:02X} (reason {reason:02X}): {}", nrc_hint(*reason))]
    Refused {
        /// The ECU's header or address.
        ecu: String,
        /// The requested mode.
        mode: u8,
        /// The negative response code.
        reason: u8,
    },
    /// A multi-frame reply's frames arrived out of order.
    #[error(
        "ECU {ecu} sent frame {got:X} where frame {expected:X} was due: part of the reply was lost; retry"
    )]
    FrameSequence {
        /// The ECU's header.
        ecu: String,
        /// The sequence number due.
        expected: u8,
        /// The sequence number received.
        got: u8,
    },
    /// A multi-frame reply ended before all its bytes arrived.
    #[error(
        "ECU {ecu} announced {expected} bytes but sent {got}: part of the reply was lost; retry"
    )]
    Incomplete {
        /// The ECU's header.
        ecu: String,
        /// Bytes announced.
        expected: usize,
        /// Bytes received.
        got: usize,
    },
    /// A frame broke the rules of its protocol.
    #[error("ECU {ecu} sent a malformed frame: {reason}; retry")]
    BadFrame {
        /// The ECU's header (empty when headers are off).
        ecu: String,
        /// What was wrong.
        reason: String,
    },
    /// A line that is neither data nor a known adapter message.
    #[error(
        "unreadable line from the adapter {line:?}: check the link settings (baud rate) and retry"
    )]
    Garbled {
        /// The line, or `<redacted>` where it may hold the VIN.
        line: String,
    },
    /// A reply to a different request: the transport and adapter are out of step.
    #[error(
        "expected a reply to mode {expected:02X} but ECU {ecu} answered {got:02X}: the link is out of step; restart the session"
    )]
    UnexpectedReply {
        /// The ECU's header.
        ecu: String,
        /// The response byte expected (mode + 0x40).
        expected: u8,
        /// The response byte received.
        got: u8,
    },
    /// The reply was empty: the adapter sent only its prompt.
    #[error("the adapter sent an empty reply: retry")]
    EmptyReply,
    /// The VIN read from the bike is not a valid VIN (the message never contains it).
    #[error("the bike sent an invalid VIN: {0}")]
    InvalidVin(String),
    /// The transport's timer ran out waiting for the prompt.
    #[error(
        "no answer to {command:?} in time: the adapter may be unpowered or the link lost; reconnect and start a new session"
    )]
    Timeout {
        /// The command that went unanswered (empty when none was outstanding).
        command: &'static str,
    },
    /// The session was asked to do something before the adapter is ready.
    #[error("the adapter is still being set up: wait for it to be ready")]
    NotReady,
    /// The session was asked for a second request while one is outstanding.
    #[error("the adapter is busy with {command:?}: wait for its reply")]
    Busy {
        /// The outstanding command.
        command: &'static str,
    },
    /// A reply arrived while no command was outstanding.
    #[error(
        "a reply arrived with no command outstanding: the link is out of step; restart the session"
    )]
    NotWaiting,
}

/// A short hint for the ISO 14229 / SAE J1979 negative response codes a bike sends.
fn nrc_hint(reason: u8) -> &'static str {
    match reason {
        0x10 => "general reject",
        0x11 => "service not supported",
        0x12 => "sub-function not supported",
        0x21 => "busy, retry in a moment",
        0x22 => "conditions not correct: for clearing codes, ignition on with the engine off",
        0x31 => "request out of range",
        0x33 => "security access denied",
        _ => "the ECU would not do it now",
    }
}
