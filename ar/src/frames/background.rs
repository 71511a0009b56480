//! Runs a blocking frame source (a webcam waits for each exposure) on its
//! own thread, so the app's frame loop never waits for the camera. The
//! newest frame wins, as with [`Pushed`]: a slow tracker skips frames
//! instead of falling behind. Frames cross between the threads by swapping
//! buffers, never by copying pixels, so a camera's colour conversion (done
//! on this thread) costs the reader nothing.
//!
//! The source is opened on the thread too (opening a camera can take a
//! second), so [`InBackground::next_frame`] first answers
//! [`Next::Waiting`], then frames, or the reason the source could not be
//! opened or stopped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::{Frame, FramePusher, FrameSource, Next, Pushed};
use crate::error::{Error, Result};

/// How long the thread rests when its source has nothing new.
const IDLE: Duration = Duration::from_millis(2);

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    /// Why the source could not open or stopped (kept as text: the thread's
    /// error outlives it).
    failure: Mutex<Option<String>>,
}

/// A frame source running on a thread of its own.
#[derive(Debug)]
pub struct InBackground {
    frames: Pushed,
    shared: Arc<Shared>,
}

impl InBackground {
    /// Starts a thread named `name` that calls `open` and then streams the
    /// source's frames. Returns at once.
    pub fn spawn<S, F>(name: &str, open: F) -> Result<Self>
    where
        S: FrameSource,
        F: FnOnce() -> Result<S> + Send + 'static,
    {
        let (frames, pusher) = Pushed::new();
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                if let Err(e) = stream(open, &pusher, &theirs)
                    && let Ok(mut failure) = theirs.failure.lock()
                {
                    *failure = Some(e.to_string());
                }
                // Dropping the pusher ends the stream for the reader.
                drop(pusher);
            })
            .map_err(|e| Error::SourceFailed(format!("could not start the {name} thread: {e}")))?;
        Ok(Self { frames, shared })
    }

    /// Frames the thread delivered that were replaced before being taken.
    pub fn skipped(&self) -> u64 {
        self.frames.skipped()
    }
}

fn stream<S, F>(open: F, pusher: &FramePusher, shared: &Shared) -> Result<()>
where
    S: FrameSource,
    F: FnOnce() -> Result<S>,
{
    let mut source = open()?;
    let mut frame = Frame::default();
    while !shared.stop.load(Ordering::Relaxed) {
        match source.next_frame(&mut frame)? {
            // Handed over whole (colour too) by swapping buffers: the
            // source fills the reader's old ones next.
            Next::Frame => pusher.push_frame(&mut frame)?,
            Next::Waiting => thread::sleep(IDLE),
            Next::Ended => break,
        }
    }
    Ok(())
}

impl FrameSource for InBackground {
    fn next_frame(&mut self, frame: &mut Frame) -> Result<Next> {
        match self.frames.next_frame(frame)? {
            Next::Ended => match self.shared.failure.lock().ok().and_then(|f| f.clone()) {
                Some(reason) => Err(Error::SourceFailed(reason)),
                None => Ok(Next::Ended),
            },
            next => Ok(next),
        }
    }
}

impl Drop for InBackground {
    /// Asks the thread to stop after its current frame. It is not joined: a
    /// camera that hangs must not hang the app.
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// A source that takes a while per frame, like a camera.
    struct Slow {
        left: u32,
        fail_at_end: bool,
        /// Held until the test lets the first exposure finish.
        gate: Option<std::sync::mpsc::Receiver<()>>,
    }

    impl FrameSource for Slow {
        fn next_frame(&mut self, frame: &mut Frame) -> Result<Next> {
            if let Some(gate) = self.gate.take() {
                let _ = gate.recv();
            }
            thread::sleep(Duration::from_millis(2));
            if self.left == 0 {
                return if self.fail_at_end {
                    Err(Error::NoCamera("unplugged".into()))
                } else {
                    Ok(Next::Ended)
                };
            }
            self.left -= 1;
            let (luma, colour) = frame.pictures_mut();
            luma.resize(8, 4);
            luma.pixels_mut().fill(self.left as u8);
            colour.resize(8, 4);
            colour.pixels_mut().fill(self.left as u8);
            frame.timestamp = Duration::from_millis(u64::from(self.left));
            Ok(Next::Frame)
        }
    }

    /// Takes frames until the source ends or fails.
    fn drain(source: &mut InBackground) -> (u32, Result<Next>) {
        let mut frame = Frame::default();
        let mut got = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(Instant::now() < deadline, "the source never ended");
            match source.next_frame(&mut frame) {
                Ok(Next::Frame) => {
                    assert_eq!((frame.image.width(), frame.image.height()), (8, 4));
                    // The colour crosses the thread with the luma.
                    let colour = frame.colour.as_ref().expect("colour");
                    assert_eq!(colour.get(7, 3)[0], frame.image.get(7, 3));
                    got += 1;
                }
                Ok(Next::Waiting) => thread::sleep(Duration::from_millis(1)),
                other => return (got, other),
            }
        }
    }

    #[test]
    fn frames_arrive_without_blocking_and_the_end_is_reported() {
        let (open_gate, gate) = std::sync::mpsc::channel();
        let mut source = InBackground::spawn("test-camera", || {
            Ok(Slow {
                left: 20,
                fail_at_end: false,
                gate: Some(gate),
            })
        })
        .unwrap();
        // The camera has not delivered yet: the app is told to come back
        // later instead of waiting.
        assert_eq!(
            source.next_frame(&mut Frame::default()).unwrap(),
            Next::Waiting
        );
        open_gate.send(()).unwrap();
        let (got, end) = drain(&mut source);
        assert!(matches!(end, Ok(Next::Ended)), "{end:?}");
        assert_eq!(u64::from(got) + source.skipped(), 20);
        assert!(got > 0);
    }

    #[test]
    fn a_source_that_cannot_open_says_why() {
        let mut source = InBackground::spawn("test-camera", || -> Result<Slow> {
            Err(Error::NoCamera("camera 3: no such device".into()))
        })
        .unwrap();
        let (got, end) = drain(&mut source);
        assert_eq!(got, 0);
        let message = end.unwrap_err().to_string();
        assert!(message.contains("camera 3: no such device"), "{message}");
    }

    #[test]
    fn a_source_that_fails_midway_says_why_after_its_frames() {
        let mut source = InBackground::spawn("test-camera", || {
            Ok(Slow {
                left: 3,
                fail_at_end: true,
                gate: None,
            })
        })
        .unwrap();
        let (_, end) = drain(&mut source);
        assert!(end.unwrap_err().to_string().contains("unplugged"));
    }
}
