//! Frames pushed by a mobile shell (Android's `ImageReader`, iOS's
//! `AVCaptureVideoDataOutput`): the shell hands over each camera frame's
//! Y plane; the tracker takes whatever is newest when it is ready. A slow
//! tracker skips frames instead of queueing them (latest frame wins). A
//! source on a thread of its own ([`super::InBackground`]) hands over whole
//! frames, colour included, by swapping buffers instead of copying them.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{Frame, FrameSource, Next};
use crate::error::{Error, Result};

#[derive(Debug, Default)]
struct Slot {
    latest: Frame,
    /// Frames pushed so far.
    pushed: u64,
    /// Live `FramePusher` handles.
    pushers: usize,
}

fn lock(slot: &Mutex<Slot>) -> Result<MutexGuard<'_, Slot>> {
    // A pusher that panicked mid-copy leaves at worst a torn frame; the
    // source reports itself closed rather than propagating the panic.
    slot.lock().map_err(|_| Error::SourceClosed)
}

/// The tracker's side: a [`FrameSource`] of pushed frames.
#[derive(Debug)]
pub struct Pushed {
    slot: Arc<Mutex<Slot>>,
    taken: u64,
    skipped: u64,
}

/// The shell's side: pushes frames from any thread. Clone it freely; the
/// source ends when every handle is dropped.
#[derive(Debug)]
pub struct FramePusher {
    slot: Arc<Mutex<Slot>>,
}

impl Pushed {
    /// A new source and the handle that feeds it.
    pub fn new() -> (Self, FramePusher) {
        let slot = Arc::new(Mutex::new(Slot {
            pushers: 1,
            ..Slot::default()
        }));
        (
            Self {
                slot: Arc::clone(&slot),
                taken: 0,
                skipped: 0,
            },
            FramePusher { slot },
        )
    }

    /// Frames pushed but never taken because a newer one replaced them.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl FramePusher {
    /// Pushes one frame's Y (luma) plane: `stride` bytes per row (at least
    /// `width`), taken at `timestamp`. Replaces any frame not yet taken.
    pub fn push(
        &self,
        width: usize,
        height: usize,
        stride: usize,
        y_plane: &[u8],
        timestamp: Duration,
    ) -> Result<()> {
        let mut slot = lock(&self.slot)?;
        slot.latest
            .image
            .copy_from_plane(width, height, stride, y_plane)?;
        slot.latest.colour = None;
        slot.latest.timestamp = timestamp;
        slot.pushed += 1;
        Ok(())
    }

    /// Pushes a whole frame, colour included, without copying it: `frame`
    /// is swapped with the slot's, so it comes back holding the buffers of
    /// an older frame for the next one to fill. Replaces any frame not yet
    /// taken.
    pub fn push_frame(&self, frame: &mut Frame) -> Result<()> {
        let mut slot = lock(&self.slot)?;
        std::mem::swap(&mut slot.latest, frame);
        slot.pushed += 1;
        Ok(())
    }
}

impl Clone for FramePusher {
    fn clone(&self) -> Self {
        if let Ok(mut slot) = self.slot.lock() {
            slot.pushers += 1;
        }
        Self {
            slot: Arc::clone(&self.slot),
        }
    }
}

impl Drop for FramePusher {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.slot.lock() {
            slot.pushers = slot.pushers.saturating_sub(1);
        }
    }
}

impl FrameSource for Pushed {
    fn next_frame(&mut self, frame: &mut Frame) -> Result<Next> {
        let mut slot = lock(&self.slot)?;
        if slot.pushed == self.taken {
            return Ok(if slot.pushers == 0 {
                Next::Ended
            } else {
                Next::Waiting
            });
        }
        // Swap rather than copy: the pusher reuses the frame's old buffers,
        // so neither side allocates once both sides' buffers have grown.
        std::mem::swap(frame, &mut slot.latest);
        self.skipped += slot.pushed - self.taken - 1;
        self.taken = slot.pushed;
        Ok(Next::Frame)
    }
}
