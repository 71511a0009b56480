//! Sync in the background: a thread with its own small tokio runtime runs
//! rounds when asked, on a timer, and after failures with backoff — so
//! queued work goes out even when the rider records nothing new. The app
//! (which is not async) talks to it through a [`SyncHandle`].

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ridewire_engine::sync::ProgressSummary;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Backoff, Transport, sync_once};
use crate::{Error, Result, Store};

/// When rounds run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncConfig {
    /// Between successful rounds, to pick up other devices' changes.
    pub interval: Duration,
    /// The first wait after a failure.
    pub backoff_base: Duration,
    /// The longest wait after failures.
    pub backoff_cap: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            interval: Duration::from_secs(60),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(5 * 60),
        }
    }
}

/// What the app shows about sync.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncStatus {
    /// A round is running now.
    pub syncing: bool,
    /// Rounds finished (successful or not) since start.
    pub rounds: u64,
    /// When the last round succeeded (Unix ms).
    pub last_success_ms: Option<i64>,
    /// Events waiting to be sent.
    pub pending: usize,
    /// Events the server refused for good.
    pub wedged: usize,
    /// Why the last round failed, if it did.
    pub last_error: Option<String>,
    /// Failures in a row.
    pub failures: u32,
    /// When the next round is due (Unix ms).
    pub next_round_ms: Option<i64>,
    /// The rider's progress as the server folded it at the last pull.
    pub server_progress: Option<ProgressSummary>,
    /// Why the last round could not bring diagnosis runs and notes across
    /// (events synced all the same).
    pub diagnoses_problem: Option<String>,
}

enum Command {
    SyncNow,
    Stop,
}

/// Talks to a running [`Syncer`] from any thread.
#[derive(Debug, Clone)]
pub struct SyncHandle {
    commands: mpsc::UnboundedSender<Command>,
    status: Arc<Mutex<SyncStatus>>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::SyncNow => "SyncNow",
            Command::Stop => "Stop",
        })
    }
}

fn lock(status: &Mutex<SyncStatus>) -> MutexGuard<'_, SyncStatus> {
    // A panic elsewhere while holding the lock leaves plain data behind;
    // showing it is better than taking the app down.
    status.lock().unwrap_or_else(|p| p.into_inner())
}

impl SyncHandle {
    /// Asks for a round now (after the rider recorded something, or tapped
    /// "sync"), cutting short any backoff wait.
    pub fn sync_now(&self) -> Result<()> {
        self.commands
            .send(Command::SyncNow)
            .map_err(|_| Error::SyncStopped("the sync thread has ended".into()))
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        lock(&self.status).clone()
    }
}

/// The background sync thread. Dropping it stops the thread (a round in
/// flight is cut off; everything it settled is already stored).
#[derive(Debug)]
pub struct Syncer {
    handle: SyncHandle,
    thread: Option<JoinHandle<()>>,
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Syncer {
    /// Starts syncing `store` through `transport`. The first round runs at
    /// once unless a stored backoff from an earlier run is still pending.
    pub fn start<T: Transport + 'static>(
        store: Store,
        transport: T,
        config: SyncConfig,
    ) -> Result<Syncer> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::SyncStopped(format!("cannot start the sync runtime: {e}")))?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let mut first = SyncStatus::default();
        refresh_counts(&store, &mut first);
        let status = Arc::new(Mutex::new(first));
        let shared = Arc::clone(&status);
        let thread = std::thread::Builder::new()
            .name("ridewire-sync".into())
            .spawn(move || runtime.block_on(run(store, transport, config, receiver, shared)))
            .map_err(|e| Error::SyncStopped(format!("cannot start the sync thread: {e}")))?;
        Ok(Syncer {
            handle: SyncHandle { commands, status },
            thread: Some(thread),
        })
    }

    /// A handle for other threads.
    pub fn handle(&self) -> SyncHandle {
        self.handle.clone()
    }

    /// Asks for a round now.
    pub fn sync_now(&self) -> Result<()> {
        self.handle.sync_now()
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        self.handle.status()
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        let _ = self.handle.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn refresh_counts(store: &Store, status: &mut SyncStatus) {
    if let Ok(n) = store.pending_count() {
        status.pending = n;
    }
    if let Ok(n) = store.wedged_count() {
        status.wedged = n;
    }
    if let Ok(p) = store.server_progress() {
        status.server_progress = p;
    }
}

/// What the loop does after looking at its commands.
enum Next {
    Round,
    Stop,
}

/// Waits until `due` or a command; several queued "sync now" count once.
async fn wait(receiver: &mut mpsc::UnboundedReceiver<Command>, due: Instant) -> Next {
    tokio::select! {
        command = receiver.recv() => match command {
            Some(Command::SyncNow) => {
                while let Ok(command) = receiver.try_recv() {
                    if matches!(command, Command::Stop) {
                        return Next::Stop;
                    }
                }
                Next::Round
            }
            Some(Command::Stop) | None => Next::Stop,
        },
        () = tokio::time::sleep_until(due) => Next::Round,
    }
}

async fn run<T: Transport>(
    mut store: Store,
    transport: T,
    config: SyncConfig,
    mut receiver: mpsc::UnboundedReceiver<Command>,
    status: Arc<Mutex<SyncStatus>>,
) {
    let seed = store.device().0.as_u128() as u64 ^ unix_ms() as u64;
    let mut backoff = Backoff::new(config.backoff_base, config.backoff_cap, seed);
    let stored_wait = store
        .next_push_at()
        .ok()
        .flatten()
        .map(|at| Duration::from_millis(u64::try_from(at - unix_ms()).unwrap_or(0)))
        .unwrap_or_default()
        .min(config.backoff_cap);
    let mut due = Instant::now() + stored_wait;
    lock(&status).next_round_ms = Some(unix_ms() + millis(stored_wait));
    loop {
        if let Next::Stop = wait(&mut receiver, due).await {
            return;
        }
        lock(&status).syncing = true;
        let now_ms = unix_ms();
        // Computed before the round so failed events can note when they
        // will be tried again; forgotten again on success.
        let fail_wait = backoff.next_delay();
        let mut again = false;
        let outcome = {
            let round = sync_once(&mut store, &transport, now_ms, now_ms + millis(fail_wait));
            tokio::pin!(round);
            loop {
                tokio::select! {
                    outcome = &mut round => break Some(outcome),
                    command = receiver.recv() => match command {
                        Some(Command::SyncNow) => again = true,
                        Some(Command::Stop) | None => break None,
                    },
                }
            }
        };
        let Some(outcome) = outcome else {
            return;
        };
        let mut s = lock(&status);
        s.syncing = false;
        s.rounds += 1;
        let wait_for = match outcome {
            Ok(report) => {
                backoff.reset();
                s.last_success_ms = Some(unix_ms());
                s.last_error = None;
                s.diagnoses_problem = report.diagnoses_error;
                if again {
                    Duration::ZERO
                } else {
                    config.interval
                }
            }
            Err(e) => {
                let wait_for = match &e {
                    Error::RateLimited { retry_after } => (*retry_after)
                        .min(super::http::MAX_RETRY_AFTER)
                        .max(fail_wait),
                    _ => fail_wait,
                };
                s.last_error = Some(e.to_string());
                wait_for
            }
        };
        s.failures = backoff.failures();
        s.next_round_ms = Some(unix_ms().saturating_add(millis(wait_for)));
        refresh_counts(&store, &mut s);
        due = Instant::now() + wait_for;
    }
}
