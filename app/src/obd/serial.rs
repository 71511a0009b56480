//! USB and Bluetooth (SPP) adapters: the ELM327 protocol over a serial
//! port, set up with the operating system's terminal interface (termios):
//! raw 8N1 at the chosen speed, no flow control, reads that wake at least
//! every tenth of a second so the driver's deadline holds.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::time::Instant;

use nix::sys::termios::{self, BaudRate, ControlFlags, FlushArg, SetArg, SpecialCharacterIndices};

use super::ObdError;
use super::transport::{LinkError, Transport, is_closed, read_to_prompt};

/// Speeds ELM327 adapters and their clones are set to.
pub const BAUD_RATES: [u32; 7] = [9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 500_000];

/// An open serial port to an adapter.
#[derive(Debug)]
pub struct SerialLink {
    port: Port,
}

/// The open device.
#[derive(Debug)]
struct Port {
    file: File,
}

fn baud_rate(baud: u32) -> Option<BaudRate> {
    Some(match baud {
        9_600 => BaudRate::B9600,
        19_200 => BaudRate::B19200,
        38_400 => BaudRate::B38400,
        57_600 => BaudRate::B57600,
        115_200 => BaudRate::B115200,
        230_400 => BaudRate::B230400,
        500_000 => BaudRate::B500000,
        _ => return None,
    })
}

impl SerialLink {
    /// Opens `path` at `baud` (ELM327 clones default to 38400; some use 9600 or 115200).
    pub fn open(path: &str, baud: u32) -> Result<Self, ObdError> {
        let no_adapter = |reason: String| ObdError::NoAdapter {
            at: path.to_owned(),
            reason,
        };
        let speed = baud_rate(baud).ok_or_else(|| {
            no_adapter(format!(
                "unsupported speed {baud} baud; adapters use one of {}",
                BAUD_RATES.map(|b| b.to_string()).join(", ")
            ))
        })?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            // Not our controlling terminal, and opening must not wait for
            // a carrier line adapters never raise.
            .custom_flags(nix::libc::O_NOCTTY | nix::libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| {
                no_adapter(match e.kind() {
                    io::ErrorKind::NotFound => "no such serial device".to_owned(),
                    io::ErrorKind::PermissionDenied => {
                        "permission denied: add yourself to the group that owns the port \
                         (often `dialout`) and log in again"
                            .to_owned()
                    }
                    _ => e.to_string(),
                })
            })?;
        let mut settings = termios::tcgetattr(&file)
            .map_err(|e| no_adapter(format!("not a serial port ({e})")))?;
        termios::cfmakeraw(&mut settings);
        termios::cfsetspeed(&mut settings, speed)
            .map_err(|e| no_adapter(format!("cannot set {baud} baud: {e}")))?;
        settings.control_flags |= ControlFlags::CLOCAL | ControlFlags::CREAD;
        settings.control_flags &= !(ControlFlags::CRTSCTS | ControlFlags::CSTOPB);
        settings.control_chars[SpecialCharacterIndices::VMIN as usize] = 0;
        settings.control_chars[SpecialCharacterIndices::VTIME as usize] = 1;
        termios::tcsetattr(&file, SetArg::TCSANOW, &settings)
            .map_err(|e| no_adapter(format!("cannot configure the port: {e}")))?;
        // Blocking from here on: termios' VTIME bounds each read.
        let file = reopen_blocking(file, path).map_err(|e| no_adapter(e.to_string()))?;
        // Drop anything a previous program left unread.
        let _ = termios::tcflush(&file, FlushArg::TCIOFLUSH);
        Ok(Self {
            port: Port { file },
        })
    }
}

/// Clears `O_NONBLOCK` (needed only to open without waiting for carrier).
fn reopen_blocking(file: File, path: &str) -> io::Result<File> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let flags = fcntl(&file, FcntlArg::F_GETFL).map_err(io::Error::from)?;
    let flags = OFlag::from_bits_truncate(flags) & !OFlag::O_NONBLOCK;
    fcntl(&file, FcntlArg::F_SETFL(flags)).map_err(|e| io::Error::other(format!("{path}: {e}")))?;
    Ok(file)
}

impl Read for Port {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.file.read(buf) {
            // With VMIN = 0, nothing within VTIME reads as 0 bytes: a quiet
            // line, not a closed one. A vanished device errors instead.
            Ok(0) => Err(io::ErrorKind::TimedOut.into()),
            other => other,
        }
    }
}

impl Transport for SerialLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        match self
            .port
            .file
            .write_all(bytes)
            .and_then(|()| self.port.file.flush())
        {
            Ok(()) => Ok(()),
            Err(e) if is_closed(&e) => Err(LinkError::Closed),
            Err(e) => Err(LinkError::Io(e)),
        }
    }

    fn read_reply(&mut self, deadline: Instant) -> Result<String, LinkError> {
        // Each read wakes within VTIME (0.1 s), so the deadline is checked
        // often enough without changing the port's settings per read.
        read_to_prompt(&mut self.port, deadline, |_, _| Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::pty::openpty;
    use nix::unistd::ttyname;
    use std::time::Duration;

    /// A pseudo-terminal stands in for the USB adapter's tty: the kernel's
    /// real termios code runs, only the far end is this test.
    fn fake_adapter(
        script: &'static [(&'static str, &'static str)],
        hang_up: std::sync::mpsc::Receiver<()>,
    ) -> (String, std::thread::JoinHandle<()>) {
        let pty = openpty(None, None).expect("pty");
        let path = ttyname(&pty.slave)
            .expect("slave name")
            .to_string_lossy()
            .into_owned();
        let mut master = File::from(pty.master);
        // Keep the slave open until the link has opened it, so the master
        // never sees a hang-up in between.
        let slave = pty.slave;
        let handle = std::thread::spawn(move || {
            let mut pending = String::new();
            let mut buf = [0u8; 256];
            for (expect, reply) in script {
                while !pending.contains('\r') {
                    let n = master.read(&mut buf).expect("read command");
                    pending.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
                let (command, rest) = pending.split_once('\r').expect("command");
                assert_eq!(command.trim(), *expect);
                pending = rest.to_owned();
                master
                    .write_all(format!("{reply}\r\r>").as_bytes())
                    .expect("reply");
            }
            // Closing the master is a hang-up: wait until the link has
            // read the last reply.
            let _ = hang_up.recv();
            drop(slave);
        });
        (path, handle)
    }

    #[test]
    fn a_command_and_its_reply_cross_a_real_tty() {
        let (done, done_rx) = std::sync::mpsc::channel();
        let (path, adapter) = fake_adapter(
            &[("ATI", "ELM327 v1.5"), ("03", "43 01 03 00 00 00 00")],
            done_rx,
        );
        let mut link = SerialLink::open(&path, 38_400).expect("open");
        link.send(b"ATI\r").expect("send");
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(
            link.read_reply(deadline)
                .expect("reply")
                .contains("ELM327 v1.5")
        );
        link.send(b"03\r").expect("send");
        assert!(
            link.read_reply(deadline)
                .expect("reply")
                .contains("43 01 03")
        );
        let _ = done.send(());
        adapter.join().expect("adapter");
    }

    #[test]
    fn a_silent_adapter_times_out_on_time() {
        let pty = openpty(None, None).expect("pty");
        let path = ttyname(&pty.slave)
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let mut link = SerialLink::open(&path, 38_400).expect("open");
        let started = Instant::now();
        let result = link.read_reply(started + Duration::from_millis(300));
        assert!(matches!(result, Err(LinkError::Timeout)), "{result:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the deadline was not kept"
        );
        drop(pty);
    }

    #[test]
    fn missing_devices_odd_speeds_and_non_ports_say_so() {
        let missing = SerialLink::open("/dev/ttyRIDEWIRE-none", 38_400);
        assert!(
            matches!(&missing, Err(ObdError::NoAdapter { reason, .. }) if reason.contains("no such")),
            "{missing:?}"
        );
        let pty = openpty(None, None).expect("pty");
        let path = ttyname(&pty.slave)
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let odd = SerialLink::open(&path, 12_345);
        assert!(
            matches!(&odd, Err(ObdError::NoAdapter { reason, .. }) if reason.contains("12345")),
            "{odd:?}"
        );
        let file = tempfile::NamedTempFile::new().expect("file");
        let plain = SerialLink::open(&file.path().to_string_lossy(), 38_400);
        assert!(
            matches!(&plain, Err(ObdError::NoAdapter { reason, .. }) if reason.contains("not a serial port")),
            "{plain:?}"
        );
    }
}
