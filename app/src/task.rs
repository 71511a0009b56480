//! Work that waits on the network or a device, done on another thread and
//! picked up later without blocking the caller (a frame of the app, a
//! binding's call).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};

use crate::{Error, Result};

/// The answer of work running elsewhere, to be picked up when it is there.
#[derive(Debug)]
pub struct Pending<T> {
    // A receiver is not `Sync`; the mutex lets a `Pending` sit in shared
    // state (a Bevy resource, a binding's object).
    answer: Mutex<Receiver<T>>,
    what: &'static str,
}

impl<T: Send + 'static> Pending<T> {
    /// Runs `work` on a new thread; `what` names it in the error if the
    /// thread ends without an answer.
    pub fn spawn(what: &'static str, work: impl FnOnce() -> T + Send + 'static) -> Self {
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            // The caller may have gone; the answer is then not needed.
            let _ = send.send(work());
        });
        Self::from(what, receive)
    }
}

impl<T> Pending<T> {
    /// Waits on an answer another thread sends on `answer`.
    pub fn from(what: &'static str, answer: Receiver<T>) -> Self {
        Self {
            answer: Mutex::new(answer),
            what,
        }
    }

    /// The answer if it came; `None` while the work goes on; an error if
    /// the work ended without answering.
    pub fn poll(&self) -> Option<Result<T>> {
        let answer = self
            .answer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .try_recv();
        match answer {
            Ok(answer) => Some(Ok(answer)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(Error::Stopped(self.what))),
        }
    }

    /// Waits for the answer (the command line, which has nothing else to do).
    pub fn wait(self) -> Result<T> {
        self.answer
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv()
            .map_err(|_| Error::Stopped(self.what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_picked_up_once_it_is_there_and_a_lost_one_is_an_error() {
        let (send, receive) = mpsc::channel();
        let pending = Pending::from("the test", receive);
        assert!(pending.poll().is_none(), "nothing yet");
        send.send(7).unwrap();
        assert_eq!(pending.poll().unwrap().unwrap(), 7);
        drop(send);
        let err = pending.poll().unwrap().unwrap_err();
        assert_eq!(err.to_string(), "the test stopped unexpectedly");
        assert_eq!(Pending::spawn("adding", || 2 + 2).wait().unwrap(), 4);
    }
}

/// How far long work is (an export, a map picture), written by the thread
/// doing it and read by a screen's progress bar.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU32>);

impl Progress {
    /// 0.0 ..= 1.0.
    pub fn fraction(&self) -> f32 {
        self.0.load(Ordering::Relaxed) as f32 / 1000.0
    }

    /// Says how far the work is (clamped to 0.0 ..= 1.0).
    pub fn set(&self, fraction: f32) {
        let thousandths = (fraction.clamp(0.0, 1.0) * 1000.0).round() as u32;
        self.0.store(thousandths, Ordering::Relaxed);
    }
}
