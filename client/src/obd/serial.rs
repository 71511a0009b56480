//! USB and Bluetooth (SPP) adapters: the ELM327 protocol over a serial port.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use serialport::SerialPort;

use super::ObdError;
use super::transport::{LinkError, Transport, is_closed, read_to_prompt};

/// An open serial port to an adapter.
pub struct SerialLink {
    port: Box<dyn SerialPort>,
}

impl std::fmt::Debug for SerialLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialLink")
            .field("port", &self.port.name())
            .finish()
    }
}

impl SerialLink {
    /// Opens `path` at `baud` (ELM327 clones default to 38400; some use 9600 or 115200).
    pub fn open(path: &str, baud: u32, timeout: Duration) -> Result<Self, ObdError> {
        let port = serialport::new(path, baud)
            .timeout(timeout)
            .open()
            .map_err(|e| ObdError::NoAdapter {
                at: path.to_owned(),
                reason: match e.kind() {
                    serialport::ErrorKind::NoDevice => "no such serial device".to_owned(),
                    _ => e.to_string(),
                },
            })?;
        // Drop anything a previous program left unread.
        let _ = port.clear(serialport::ClearBuffer::All);
        Ok(Self { port })
    }
}

impl Transport for SerialLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        match self.port.write_all(bytes).and_then(|()| self.port.flush()) {
            Ok(()) => Ok(()),
            Err(e) if is_closed(&e) => Err(LinkError::Closed),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Err(LinkError::Timeout),
            Err(e) => Err(LinkError::Io(e)),
        }
    }

    fn read_reply(&mut self, deadline: Instant) -> Result<String, LinkError> {
        read_to_prompt(&mut self.port, deadline, |p, wait| {
            p.set_timeout(wait).map_err(io::Error::from)
        })
    }
}
