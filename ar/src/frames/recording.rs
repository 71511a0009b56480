//! The app's own recording format: grey frames as they came from the
//! camera, for replaying a scan exactly.
//!
//! A `.rwluma` file is the 8-byte magic `RWLUMA1\n`, then per frame a
//! 16-byte header — width (u32 LE), height (u32 LE), timestamp in
//! microseconds since the stream's start (u64 LE) — followed by
//! width × height bytes of luma, row by row.

use std::fs::File;
use std::io::{BufReader, BufWriter, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Frame;
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"RWLUMA1\n";
/// Largest frame side accepted from a file (guards against a corrupt header
/// asking for gigabytes).
const MAX_SIDE: u32 = 16_384;

/// Writes frames to a `.rwluma` recording.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Recorder {
    /// Creates (or truncates) the recording file.
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut out = BufWriter::new(file);
        out.write_all(MAGIC).map_err(|e| Error::io(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            out,
        })
    }

    /// Appends one frame.
    pub fn record(&mut self, frame: &Frame) -> Result<()> {
        let io = |e| Error::io(&self.path, e);
        let (w, h) = (frame.image.width(), frame.image.height());
        let (w32, h32) = (u32::try_from(w), u32::try_from(h));
        let (Ok(w32), Ok(h32)) = (w32, h32) else {
            return Err(Error::bad_file(&self.path, "frame too large to record"));
        };
        let micros = u64::try_from(frame.timestamp.as_micros()).unwrap_or(u64::MAX);
        let mut header = [0u8; 16];
        header[0..4].copy_from_slice(&w32.to_le_bytes());
        header[4..8].copy_from_slice(&h32.to_le_bytes());
        header[8..16].copy_from_slice(&micros.to_le_bytes());
        self.out.write_all(&header).map_err(io)?;
        self.out.write_all(frame.image.pixels()).map_err(io)
    }

    /// Flushes everything to disk.
    pub fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// Reads a `.rwluma` recording frame by frame.
#[derive(Debug)]
pub(crate) struct RecordingReader {
    path: PathBuf,
    input: BufReader<File>,
}

impl RecordingReader {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut input = BufReader::new(file);
        let mut magic = [0u8; 8];
        input
            .read_exact(&mut magic)
            .map_err(|_| Error::bad_file(path, "not a RideWire recording (too short)"))?;
        if &magic != MAGIC {
            return Err(Error::bad_file(
                path,
                "not a RideWire recording (bad magic)",
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            input,
        })
    }

    /// Reads the next frame; `false` at the clean end of the file.
    pub(crate) fn read(&mut self, frame: &mut Frame) -> Result<bool> {
        let mut header = [0u8; 16];
        match self.input.read_exact(&mut header[..1]) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        let truncated = |_| Error::bad_file(&self.path, "recording ends in the middle of a frame");
        self.input.read_exact(&mut header[1..]).map_err(truncated)?;
        let word =
            |a: usize| u32::from_le_bytes([header[a], header[a + 1], header[a + 2], header[a + 3]]);
        let (w, h) = (word(0), word(4));
        if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
            return Err(Error::bad_file(
                &self.path,
                format!("frame of {w}×{h} pixels"),
            ));
        }
        let mut micros = [0u8; 8];
        micros.copy_from_slice(&header[8..16]);
        frame.timestamp = Duration::from_micros(u64::from_le_bytes(micros));
        frame.image.resize(w as usize, h as usize);
        self.input
            .read_exact(frame.image.pixels_mut())
            .map_err(truncated)?;
        Ok(true)
    }
}
