//! `ridewire obd read|clear`: read trouble codes from an ELM327-style
//! OBD-II adapter, or clear them after an explicit `--yes`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use ridewire_engine::diagnostics::elm327::{ClearCodes, EcuCodes};
use serde::Serialize;

use crate::obd::{Adapter, ObdError, Reading, TcpLink, Transport};

/// What to do with the adapter.
#[derive(Debug, Subcommand)]
pub enum ObdAction {
    /// Read the adapter, protocol, VIN tail, and stored and pending codes.
    Read {
        /// How to reach the adapter.
        #[command(flatten)]
        link: LinkArgs,
        /// Print the reading as JSON.
        #[arg(long)]
        json: bool,
        /// Then diagnose the codes read, as `ridewire diagnose` does (recorded, 10 XP).
        #[arg(long, conflicts_with = "json")]
        diagnose: bool,
        /// The bike's make (for --diagnose).
        #[arg(long, default_value = "Harley-Davidson", requires = "diagnose")]
        make: String,
        /// The bike's model (for --diagnose).
        #[arg(long, default_value = "Street 750", requires = "diagnose")]
        model: String,
        /// The bike's model year (for --diagnose).
        #[arg(long, default_value_t = 2022, requires = "diagnose")]
        year: u16,
    },
    /// Clear the stored codes (mode 04). Also resets the bike's readiness
    /// monitors, so an inspection may fail until it has been ridden a while.
    Clear {
        /// How to reach the adapter.
        #[command(flatten)]
        link: LinkArgs,
        /// Confirm that the codes should be erased.
        #[arg(long)]
        yes: bool,
    },
}

/// Where the adapter is and how patient to be with it.
#[derive(Debug, Clone, Args)]
pub struct LinkArgs {
    /// A USB or Bluetooth adapter's serial port, e.g. /dev/ttyUSB0 or /dev/rfcomm0.
    #[arg(
        long,
        value_name = "PATH",
        required_unless_present = "tcp",
        conflicts_with = "tcp"
    )]
    pub serial: Option<PathBuf>,
    /// A Wi-Fi adapter's address, e.g. 192.168.0.10:35000.
    #[arg(long, value_name = "HOST:PORT")]
    pub tcp: Option<String>,
    /// How long to wait for each answer, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(100..=60_000))]
    pub timeout_ms: u64,
    /// The serial port's baud rate (ELM327 clones: 38400, some 9600 or 115200;
    /// one of 9600, 19200, 38400, 57600, 115200, 230400, 500000).
    #[arg(long, value_name = "N", default_value_t = 38400,
          value_parser = clap::value_parser!(u32).range(1200..=4_000_000))]
    pub baud: u32,
}

/// Why the command failed, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum ObdCommandError {
    /// The command line asks for something refused or impossible (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// The adapter or the bike let us down (exit 1).
    #[error(transparent)]
    Failed(#[from] ObdError),
}

impl ObdCommandError {
    /// The process exit code: 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            ObdCommandError::BadInput(_) => 2,
            ObdCommandError::Failed(_) => 1,
        }
    }
}

/// The reading as printed with `--json`: codes as text, the VIN only as its tail.
#[derive(Debug, Serialize)]
pub struct ReadingJson {
    pub adapter: String,
    pub protocol: Option<String>,
    pub ecus: Vec<String>,
    pub vin_tail: Option<String>,
    pub stored: Vec<EcuCodesJson>,
    pub pending: Vec<EcuCodesJson>,
    pub notes: Vec<String>,
}

/// One ECU's codes, for JSON.
#[derive(Debug, Serialize)]
pub struct EcuCodesJson {
    pub ecu: String,
    pub codes: Vec<String>,
}

/// Connects, sets up the adapter and reads everything.
pub fn read(link: &LinkArgs) -> Result<Reading, ObdCommandError> {
    with_adapter(link, |adapter| adapter.read_all())
}

/// Clears the codes; refused unless `yes` is set.
pub fn clear(link: &LinkArgs, yes: bool) -> Result<Vec<String>, ObdCommandError> {
    if !yes {
        return Err(ObdCommandError::BadInput(
            "refusing to clear codes without --yes: clearing erases the stored codes and \
             resets the bike's readiness monitors. Read them first with `ridewire obd read`, \
             then run `ridewire obd clear ... --yes`"
                .to_owned(),
        ));
    }
    // The rider typed --yes: that is the confirmation the engine asks for.
    with_adapter(link, |adapter| adapter.clear_codes(ClearCodes::confirmed()))
}

fn with_adapter<R>(
    link: &LinkArgs,
    work: impl FnOnce(&mut dyn AdapterOps) -> Result<R, ObdError>,
) -> Result<R, ObdCommandError> {
    let timeout = Duration::from_millis(link.timeout_ms);
    match (&link.tcp, &link.serial) {
        (Some(address), _) => {
            let mut adapter = Adapter::set_up(TcpLink::connect(address, timeout)?, timeout)?;
            Ok(work(&mut adapter)?)
        }
        (None, Some(path)) => serial(path, link.baud, timeout, work),
        (None, None) => Err(ObdCommandError::BadInput(
            "say where the adapter is: --serial PATH or --tcp HOST:PORT".to_owned(),
        )),
    }
}

#[cfg(unix)]
fn serial<R>(
    path: &std::path::Path,
    baud: u32,
    timeout: Duration,
    work: impl FnOnce(&mut dyn AdapterOps) -> Result<R, ObdError>,
) -> Result<R, ObdCommandError> {
    let path = path.to_string_lossy();
    let link = crate::obd::SerialLink::open(&path, baud)?;
    let mut adapter = Adapter::set_up(link, timeout)?;
    Ok(work(&mut adapter)?)
}

#[cfg(not(unix))]
fn serial<R>(
    _path: &std::path::Path,
    _baud: u32,
    _timeout: Duration,
    _work: impl FnOnce(&mut dyn AdapterOps) -> Result<R, ObdError>,
) -> Result<R, ObdCommandError> {
    Err(ObdCommandError::BadInput(
        "serial adapters work on Linux and macOS in this version: use a Wi-Fi adapter \
         with --tcp HOST:PORT"
            .to_owned(),
    ))
}

/// The requests the commands make, whatever the link (keeps the generic
/// adapter out of the command's signatures).
pub trait AdapterOps {
    /// See [`Adapter::read_all`].
    fn read_all(&mut self) -> Result<Reading, ObdError>;
    /// See [`Adapter::clear_codes`].
    fn clear_codes(&mut self, confirmed: ClearCodes) -> Result<Vec<String>, ObdError>;
}

impl<T: Transport> AdapterOps for Adapter<T> {
    fn read_all(&mut self) -> Result<Reading, ObdError> {
        Adapter::read_all(self)
    }

    fn clear_codes(&mut self, confirmed: ClearCodes) -> Result<Vec<String>, ObdError> {
        Adapter::clear_codes(self, confirmed)
    }
}

/// The reading as JSON-ready data.
pub fn to_json(reading: &Reading) -> ReadingJson {
    let ecus = |list: &[EcuCodes]| {
        list.iter()
            .map(|e| EcuCodesJson {
                ecu: e.ecu.clone(),
                codes: e.codes.iter().map(ToString::to_string).collect(),
            })
            .collect()
    };
    ReadingJson {
        adapter: reading.info.adapter.clone(),
        protocol: reading.info.protocol.clone(),
        ecus: reading.info.ecus.clone(),
        vin_tail: reading.vin_tail.as_ref().map(|t| t.as_str().to_owned()),
        stored: ecus(&reading.stored),
        pending: ecus(&reading.pending),
        notes: reading.notes.clone(),
    }
}

/// All codes of a reading, stored first, each once (for `ridewire diagnose`).
pub fn all_codes(reading: &Reading) -> Vec<String> {
    let mut codes = Vec::new();
    for ecu in reading.stored.iter().chain(&reading.pending) {
        for code in &ecu.codes {
            let code = code.to_string();
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    codes
}

/// The reading as a rider reads it.
pub fn report(reading: &Reading) -> String {
    let mut out = String::new();
    let info = &reading.info;
    let _ = writeln!(out, "Adapter:   {}", info.adapter);
    let _ = writeln!(
        out,
        "Protocol:  {}",
        info.protocol
            .as_deref()
            .unwrap_or("unknown (the adapter did not say)")
    );
    if !info.ecus.is_empty() {
        let _ = writeln!(out, "ECUs:      {}", info.ecus.join(", "));
    }
    match &reading.vin_tail {
        Some(tail) => {
            let _ = writeln!(out, "VIN:       ...{} (last 6 characters)", tail.as_str());
        }
        None => {
            let _ = writeln!(out, "VIN:       not reported");
        }
    }
    for (title, list) in [
        ("Stored codes (mode 03)", &reading.stored),
        ("Pending codes (mode 07)", &reading.pending),
    ] {
        let _ = writeln!(out, "{title}:");
        if list.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for ecu in list {
            let codes: Vec<String> = ecu.codes.iter().map(ToString::to_string).collect();
            let codes = if codes.is_empty() {
                "none".to_owned()
            } else {
                codes.join(" ")
            };
            let _ = writeln!(out, "  ECU {}: {codes}", ecu.ecu);
        }
    }
    for note in &reading.notes {
        let _ = writeln!(out, "Note:      {note}");
    }
    out
}
