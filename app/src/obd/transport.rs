//! A blocking link to an adapter: send a command, read up to the `>` prompt.

use std::io::{self, Read};
use std::time::{Duration, Instant};

/// The longest reply we accept before deciding the link is garbage
/// (a VIN over K-line is well under 1 KiB).
const MAX_REPLY: usize = 16 * 1024;

/// How a link failed, before the driver puts it in the rider's words.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No `>` prompt arrived before the deadline.
    #[error("no prompt before the deadline")]
    Timeout,
    /// The other end closed the link.
    #[error("the connection was closed")]
    Closed,
    /// The reply grew past any sensible size without a prompt.
    #[error("the adapter sent more than {MAX_REPLY} bytes without a prompt")]
    Overflow,
    /// The operating system reported an error.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A blocking byte link to an ELM327-style adapter.
pub trait Transport {
    /// Sends one command's bytes (ending in `\r`).
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError>;
    /// Reads everything up to the adapter's `>` prompt (without it), giving up at `deadline`.
    fn read_reply(&mut self, deadline: Instant) -> Result<String, LinkError>;
}

/// Reads from `source` until a `>` arrives, shortening its read timeout
/// (through `set_wait`) as the deadline nears.
pub(super) fn read_to_prompt<S: Read>(
    source: &mut S,
    deadline: Instant,
    mut set_wait: impl FnMut(&mut S, Duration) -> io::Result<()>,
) -> Result<String, LinkError> {
    let mut reply = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(LinkError::Timeout);
        }
        // A zero timeout means "block forever" to the OS: keep at least 1 ms.
        set_wait(source, left.max(Duration::from_millis(1)))?;
        let n = match source.read(&mut chunk) {
            Ok(0) => return Err(LinkError::Closed),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_closed(&e) => return Err(LinkError::Closed),
            Err(e) => return Err(LinkError::Io(e)),
        };
        let got = &chunk[..n];
        if let Some(at) = got.iter().position(|&b| b == b'>') {
            // Nothing useful follows the prompt; the adapter waits for us.
            reply.extend_from_slice(&got[..at]);
            return Ok(String::from_utf8_lossy(&reply).into_owned());
        }
        reply.extend_from_slice(got);
        if reply.len() > MAX_REPLY {
            return Err(LinkError::Overflow);
        }
    }
}

/// Errors that mean the other end went away.
pub(super) fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out scripted chunks, then says "timed out".
    struct Chunks(Vec<io::Result<Vec<u8>>>);

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                std::thread::sleep(Duration::from_millis(2));
                return Err(io::ErrorKind::TimedOut.into());
            }
            let chunk = self.0.remove(0)?;
            buf[..chunk.len()].copy_from_slice(&chunk);
            Ok(chunk.len())
        }
    }

    fn read(chunks: Vec<io::Result<Vec<u8>>>) -> Result<String, LinkError> {
        let deadline = Instant::now() + Duration::from_millis(50);
        read_to_prompt(&mut Chunks(chunks), deadline, |_, _| Ok(()))
    }

    #[test]
    fn a_reply_split_across_reads_ends_at_the_prompt() {
        let reply = read(vec![
            Ok(b"SEARCHING...\r7E8 06".to_vec()),
            Ok(b" 41 00\r\r>".to_vec()),
        ]);
        assert_eq!(
            reply.ok().as_deref(),
            Some("SEARCHING...\r7E8 06 41 00\r\r")
        );
    }

    #[test]
    fn silence_times_out_and_a_hang_up_is_closed() {
        assert!(matches!(
            read(vec![Ok(b"7E8".to_vec())]),
            Err(LinkError::Timeout)
        ));
        assert!(matches!(read(vec![Ok(Vec::new())]), Err(LinkError::Closed)));
        assert!(matches!(
            read(vec![Err(io::ErrorKind::ConnectionReset.into())]),
            Err(LinkError::Closed)
        ));
    }
}
