//! Tracking off the app's frame loop: a thread takes each new frame from a
//! live source (a camera, itself on a thread of its own), runs the
//! [`Tracker`] on it and keeps the newest result for the app to pick up.
//! The app's frame loop then only copies pixels and places the overlay;
//! detection and pose never hold it up. The newest result wins: a tracker
//! slower than the camera skips frames instead of falling behind. Frames
//! (colour included) move between the threads without being copied; a
//! frame the app is done with can go back ([`TrackingThread::recycle`]) so
//! its buffers carry a later one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::frames::{Frame, FrameSource, Next};
use crate::tracker::{TrackedMarker, Tracker};

/// How long the thread rests when its source has nothing new.
const IDLE: Duration = Duration::from_millis(1);

/// One frame with the markers tracked in it.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub frame: Frame,
    pub markers: Vec<TrackedMarker>,
    /// When the frame reached the tracking thread.
    pub arrived: Instant,
    /// When its markers were ready.
    pub ready: Instant,
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    newest: Mutex<Option<Tracked>>,
    /// Why the source stopped (`None` while it runs or when it just ended).
    failure: Mutex<Option<String>>,
    ended: AtomicBool,
    /// Results replaced before anyone took them.
    skipped: Mutex<u64>,
    /// A frame the app gave back, whose buffers the next frame fills.
    spare: Mutex<Option<Frame>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A live source and its tracker, running on a thread of their own.
#[derive(Debug)]
pub struct TrackingThread {
    shared: Arc<Shared>,
}

impl TrackingThread {
    /// Starts a thread named `name` that feeds every new frame of `source`
    /// to `tracker`. Returns at once.
    pub fn spawn<S>(name: &str, mut source: S, mut tracker: Tracker) -> Result<Self>
    where
        S: FrameSource + Send + 'static,
    {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut frame = Frame::default();
                while !theirs.stop.load(Ordering::Relaxed) {
                    match source.next_frame(&mut frame) {
                        Ok(Next::Frame) => {
                            let arrived = Instant::now();
                            let markers = tracker.update(&frame.image, frame.timestamp).to_vec();
                            let tracked = Tracked {
                                frame: std::mem::take(&mut frame),
                                markers,
                                arrived,
                                ready: Instant::now(),
                            };
                            let unread = lock(&theirs.newest).replace(tracked);
                            // The next frame fills the buffers of one nobody
                            // took, or of one the app gave back.
                            frame = match unread {
                                Some(unread) => {
                                    *lock(&theirs.skipped) += 1;
                                    unread.frame
                                }
                                None => lock(&theirs.spare).take().unwrap_or_default(),
                            };
                        }
                        Ok(Next::Waiting) => thread::sleep(IDLE),
                        Ok(Next::Ended) => break,
                        Err(e) => {
                            *lock(&theirs.failure) = Some(e.to_string());
                            break;
                        }
                    }
                }
                theirs.ended.store(true, Ordering::Release);
            })
            .map_err(|e| Error::SourceFailed(format!("could not start the {name} thread: {e}")))?;
        Ok(Self { shared })
    }

    /// The newest tracked frame since the last call, if one came; the
    /// source's failure once it stopped (after its last frame was taken).
    pub fn take(&self) -> Result<Option<Tracked>> {
        if let Some(tracked) = lock(&self.shared.newest).take() {
            return Ok(Some(tracked));
        }
        if self.shared.ended.load(Ordering::Acquire) {
            return match lock(&self.shared.failure).clone() {
                Some(reason) => Err(Error::SourceFailed(reason)),
                None => Err(Error::SourceFailed("the camera stream ended".into())),
            };
        }
        Ok(None)
    }

    /// Gives back a frame taken earlier that the caller no longer shows:
    /// the thread fills its buffers (luma and colour) with a later frame
    /// instead of allocating new ones.
    pub fn recycle(&self, frame: Frame) {
        *lock(&self.shared.spare) = Some(frame);
    }

    /// Tracked frames that were replaced before being taken.
    pub fn skipped(&self) -> u64 {
        *lock(&self.shared.skipped)
    }
}

impl Drop for TrackingThread {
    /// Asks the thread to stop after its current frame; not joined, so a
    /// source that hangs cannot hang the app.
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}
