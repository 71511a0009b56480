//! `ridewire obd read|clear`: read trouble codes from an ELM327-style
//! OBD-II adapter, or clear them after an explicit `--yes`.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use ridewire_engine::diagnostics::elm327::EcuCodes;
use serde::Serialize;

use ridewire_app::obd::Reading;
pub use ridewire_app::obd::{Link, ObdCommandError, all_codes};

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

impl From<&LinkArgs> for Link {
    fn from(args: &LinkArgs) -> Self {
        Link {
            serial: args.serial.clone(),
            tcp: args.tcp.clone(),
            timeout_ms: args.timeout_ms,
            baud: args.baud,
        }
    }
}

/// Connects, sets up the adapter and reads everything.
pub fn read(link: &LinkArgs) -> Result<Reading, ObdCommandError> {
    ridewire_app::obd::read(&Link::from(link))
}

/// Clears the codes; refused unless `yes` is set.
pub fn clear(link: &LinkArgs, yes: bool) -> Result<Vec<String>, ObdCommandError> {
    ridewire_app::obd::clear(&Link::from(link), yes)
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
