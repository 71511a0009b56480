//! Wi-Fi adapters: the ELM327 protocol over a TCP socket (usually 192.168.0.10:35000).

use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::transport::{LinkError, Transport, is_closed, read_to_prompt};
use super::{ObdError, seconds};

/// A TCP connection to a Wi-Fi adapter.
#[derive(Debug)]
pub struct TcpLink {
    stream: TcpStream,
}

impl TcpLink {
    /// Connects to `address` (`HOST:PORT`), giving up after `timeout`.
    pub fn connect(address: &str, timeout: Duration) -> Result<Self, ObdError> {
        let no_adapter = |reason: String| ObdError::NoAdapter {
            at: address.to_owned(),
            reason,
        };
        let targets: Vec<_> = address
            .to_socket_addrs()
            .map_err(|e| no_adapter(format!("not a reachable HOST:PORT ({e})")))?
            .collect();
        let mut last = no_adapter("the name resolves to no address".to_owned());
        for target in targets {
            match TcpStream::connect_timeout(&target, timeout) {
                Ok(stream) => {
                    stream
                        .set_write_timeout(Some(timeout))
                        .map_err(|e| no_adapter(e.to_string()))?;
                    // Commands are a few bytes each: send them at once.
                    stream
                        .set_nodelay(true)
                        .map_err(|e| no_adapter(e.to_string()))?;
                    return Ok(Self { stream });
                }
                Err(e) => last = no_adapter(connect_reason(&e, timeout)),
            }
        }
        Err(last)
    }
}

/// Why a connection failed, in a few plain words.
fn connect_reason(e: &io::Error, timeout: Duration) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => format!(
            "no answer within {}: join the adapter's Wi-Fi network first",
            seconds(timeout)
        ),
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            "unreachable: join the adapter's Wi-Fi network first".to_owned()
        }
        _ => e.to_string(),
    }
}

impl Transport for TcpLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        match self.stream.write_all(bytes) {
            Ok(()) => Ok(()),
            Err(e) if is_closed(&e) => Err(LinkError::Closed),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(LinkError::Timeout)
            }
            Err(e) => Err(LinkError::Io(e)),
        }
    }

    fn read_reply(&mut self, deadline: Instant) -> Result<String, LinkError> {
        read_to_prompt(&mut self.stream, deadline, |s, wait| {
            s.set_read_timeout(Some(wait))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_closed_port_is_named_with_its_address() {
        // Bind then drop, so the port is (almost certainly) closed.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let address = format!("127.0.0.1:{port}");
        let err = TcpLink::connect(&address, Duration::from_secs(2)).expect_err("nobody listens");
        assert_eq!(
            err.to_string(),
            format!("no adapter at {address}: connection refused")
        );
    }

    #[test]
    fn a_malformed_address_says_so() {
        let err = TcpLink::connect("adapter", Duration::from_secs(1)).expect_err("no port");
        assert!(err.to_string().contains("HOST:PORT"), "{err}");
    }
}
