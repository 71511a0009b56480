//! Reading and clearing a bike's codes through an adapter, as the command
//! line and the Diagnose screen both do: open the link, set the adapter up,
//! do the work.

use std::path::PathBuf;
use std::time::Duration;

use ridewire_engine::diagnostics::elm327::ClearCodes;

use super::{Adapter, ObdError, Reading, TcpLink, Transport};

/// Where the adapter is and how patient to be with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// A USB or Bluetooth adapter's serial port, e.g. /dev/ttyUSB0.
    pub serial: Option<PathBuf>,
    /// A Wi-Fi adapter's address, e.g. 192.168.0.10:35000.
    pub tcp: Option<String>,
    /// How long to wait for each answer, in milliseconds.
    pub timeout_ms: u64,
    /// The serial port's baud rate.
    pub baud: u32,
}

/// Why reading or clearing failed, with the exit code the command line
/// maps it to.
#[derive(Debug, thiserror::Error)]
pub enum ObdCommandError {
    /// Something refused or impossible was asked (exit 2).
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

/// Connects, sets up the adapter and reads everything.
pub fn read(link: &Link) -> Result<Reading, ObdCommandError> {
    with_adapter(link, |adapter| adapter.read_all())
}

/// Clears the codes; refused unless `yes` is set.
pub fn clear(link: &Link, yes: bool) -> Result<Vec<String>, ObdCommandError> {
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
    link: &Link,
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
    let link = super::SerialLink::open(&path, baud)?;
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
