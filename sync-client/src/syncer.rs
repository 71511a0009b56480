//! Sync in the background: a thread with its own small tokio runtime runs
//! rounds when asked, on a timer, and after failures with backoff — so
//! queued work goes out even when the rider records nothing new. The app
//! (which is not async) talks to it through a [`SyncHandle`].
//!
//! It is the only thing that talks to the server for a device: besides
//! rounds it asks the server's diagnosis agents ([`SyncHandle::diagnose`]),
//! and after every round it publishes what the round brought
//! ([`RoundReport`], taken with [`SyncHandle::take_reports`]), read on this
//! thread so the app's screens only merge it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::event::Event;
use ridewire_engine::progress::Progress;
use ridewire_engine::quest::Catalog;
use ridewire_engine::sync::ProgressSummary;

use crate::asks::Ask;
use tokio::sync::mpsc;
use tokio::time::Instant;
use waiting::{Next, news, wait};

use ridewire_offline_store::Store;

use crate::{
    Backoff, Error, RemoteRun, Result, SyncReport, Transport, Trouble, record_of, sync_once,
};

mod waiting;

/// Reports kept for the app before older ones are folded into one that
/// asks for a full re-read (an app that stopped taking them loses nothing).
const MAX_REPORTS_KEPT: usize = 64;

/// What one round brought to this device, read by the sync thread right
/// after it, so the app only merges it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Brought {
    /// Events from other devices stored since the last report, in the order
    /// they were stored.
    pub events: Vec<Event>,
    /// The catalogue, when the round wrote plans, catalogue or records.
    pub catalog: Option<Catalog>,
    /// Progress as the store folded it after the round, when events or the
    /// catalogue came. Newer local events may be missing from it (the app
    /// records while the round runs): compare [`Progress::event_count`].
    pub progress: Option<Progress>,
    /// Runs answered elsewhere or notes written elsewhere reached the
    /// device's history of diagnoses.
    pub history_changed: bool,
    /// Earlier pulled data was dropped and fetched again, or reports were
    /// missed: read everything again instead of merging.
    pub reread_all: bool,
    /// Shared records (bikes, anchors) came from elsewhere, or the server
    /// took or crossed this device's edits.
    pub records_changed: bool,
}

impl Brought {
    /// Whether the round changed anything the app shows.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.catalog.is_none()
            && self.progress.is_none()
            && !self.history_changed
            && !self.reread_all
            && !self.records_changed
    }
}

/// One finished round, as the syncer publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundReport {
    /// Its number since the syncer started (1, 2, …).
    pub round: u64,
    /// What the round did, or why it failed (what it settled before the
    /// failure is stored all the same, and in [`RoundReport::brought`]).
    pub outcome: std::result::Result<SyncReport, String>,
    /// The kind of the failure, when the round failed.
    pub trouble: Option<Trouble>,
    /// What reached the device.
    pub brought: Brought,
}

/// The server's agents' answer to [`SyncHandle::diagnose`].
#[derive(Debug, Clone, PartialEq)]
pub struct OnlineDiagnosis {
    /// The run as the server stored it.
    pub run: RemoteRun,
    /// `None` when the round after it brought the run's event and record to
    /// this device; otherwise why not (the next round will).
    pub not_synced: Option<String>,
}

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
    /// What kind of trouble that was, for the rider's next step.
    pub last_trouble: Option<Trouble>,
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

/// A diagnosis to ask the server's agents, and where the answer goes.
pub(crate) struct DiagnoseJob {
    request: DiagnosticRequest,
    utc_offset_min: i16,
    reply: std::sync::mpsc::Sender<Result<OnlineDiagnosis>>,
}

pub(crate) enum Command {
    SyncNow,
    /// A round now, and its report on this channel when it ends.
    Round(std::sync::mpsc::Sender<RoundReport>),
    Diagnose(Box<DiagnoseJob>),
    Ask(Ask),
    Stop,
}

/// Those who watch the status, each told of every change.
type Watchers = Arc<Mutex<Vec<(u64, std::sync::mpsc::Sender<SyncStatus>)>>>;

/// Numbers the watches, so one can be stopped.
static NEXT_WATCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A watch on the status ([`SyncHandle::watch`]).
#[derive(Debug)]
pub struct Watch {
    /// Every change, starting with the status when the watch began; ends
    /// (disconnects) when the watch is stopped or the syncer is gone.
    pub changes: std::sync::mpsc::Receiver<SyncStatus>,
    /// Stops the watch from any thread.
    pub stopper: Unwatch,
}

/// Stops a [`Watch`]: its receiver then ends at once, so a thread blocked
/// on it wakes.
#[derive(Debug, Clone)]
pub struct Unwatch {
    id: u64,
    watchers: Watchers,
}

impl Unwatch {
    pub fn stop(&self) {
        lock(&self.watchers).retain(|(id, _)| *id != self.id);
    }
}

/// Talks to a running [`Syncer`] from any thread.
#[derive(Debug, Clone)]
pub struct SyncHandle {
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    status: Arc<Mutex<SyncStatus>>,
    reports: Arc<Mutex<VecDeque<RoundReport>>>,
    watchers: Watchers,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::SyncNow => "SyncNow",
            Command::Round(_) => "Round",
            Command::Diagnose(_) => "Diagnose",
            Command::Ask(_) => "Ask",
            Command::Stop => "Stop",
        })
    }
}

fn lock<T>(shared: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind;
    // showing it is better than taking the app down.
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn stopped() -> Error {
    Error::Stopped("the sync thread has ended".into())
}

impl SyncHandle {
    /// Asks for a round now (after the rider recorded something, or tapped
    /// "sync"), cutting short any backoff wait.
    pub fn sync_now(&self) -> Result<()> {
        self.commands.send(Command::SyncNow).map_err(|_| stopped())
    }

    /// Asks for a round now and answers its report when it ends: a round
    /// that starts after this call (one already running finishes first, then
    /// another runs), so everything recorded before the call is pushed.
    pub fn round(&self) -> Result<std::sync::mpsc::Receiver<RoundReport>> {
        let (reply, report) = std::sync::mpsc::channel();
        self.commands
            .send(Command::Round(reply))
            .map_err(|_| stopped())?;
        Ok(report)
    }

    /// Every change of the status from now on, starting with the current
    /// one, until the watch is stopped, its receiver dropped, or the syncer
    /// gone.
    pub fn watch(&self) -> Watch {
        let (tell, changes) = std::sync::mpsc::channel();
        let id = NEXT_WATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut watchers = lock(&self.watchers);
        if tell.send(self.status()).is_ok() {
            watchers.push((id, tell));
        }
        Watch {
            changes,
            stopper: Unwatch {
                id,
                watchers: Arc::clone(&self.watchers),
            },
        }
    }

    /// Asks the server's diagnosis agents, then runs a round so the run's
    /// event and record reach this device (they also come in that round's
    /// [`RoundReport`]). The answer arrives on the returned channel; it waits
    /// for a round already running.
    pub fn diagnose(
        &self,
        request: DiagnosticRequest,
        utc_offset_min: i16,
    ) -> Result<std::sync::mpsc::Receiver<Result<OnlineDiagnosis>>> {
        let (reply, answer) = std::sync::mpsc::channel();
        let job = DiagnoseJob {
            request,
            utc_offset_min,
            reply,
        };
        self.commands
            .send(Command::Diagnose(Box::new(job)))
            .map_err(|_| stopped())?;
        Ok(answer)
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        lock(&self.status).clone()
    }

    /// The rounds finished since the last call, oldest first.
    pub fn take_reports(&self) -> Vec<RoundReport> {
        lock(&self.reports).drain(..).collect()
    }
}

/// The background sync thread. Dropping it stops the thread (a round in
/// flight is cut off; everything it settled is already stored).
#[derive(Debug)]
pub struct Syncer {
    pub(crate) handle: SyncHandle,
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
            .map_err(|e| Error::Stopped(format!("cannot start the sync runtime: {e}")))?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let mut first = SyncStatus::default();
        refresh_counts(&store, &mut first);
        let mark = store.event_mark()?;
        let status = Arc::new(Mutex::new(first));
        let reports = Arc::new(Mutex::new(VecDeque::new()));
        let watchers = Watchers::default();
        let shared = Shared {
            status: Arc::clone(&status),
            reports: Arc::clone(&reports),
            watchers: Arc::clone(&watchers),
        };
        let thread = std::thread::Builder::new()
            .name("ridewire-sync".into())
            .spawn(move || {
                runtime.block_on(run(store, mark, transport, config, receiver, shared));
            })
            .map_err(|e| Error::Stopped(format!("cannot start the sync thread: {e}")))?;
        Ok(Syncer {
            handle: SyncHandle {
                commands,
                status,
                reports,
                watchers,
            },
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

    /// Asks the server's diagnosis agents ([`SyncHandle::diagnose`]).
    pub fn diagnose(
        &self,
        request: DiagnosticRequest,
        utc_offset_min: i16,
    ) -> Result<std::sync::mpsc::Receiver<Result<OnlineDiagnosis>>> {
        self.handle.diagnose(request, utc_offset_min)
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        self.handle.status()
    }

    /// The rounds finished since the last call ([`SyncHandle::take_reports`]).
    pub fn take_reports(&self) -> Vec<RoundReport> {
        self.handle.take_reports()
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

/// What the syncer shares with the app.
struct Shared {
    status: Arc<Mutex<SyncStatus>>,
    reports: Arc<Mutex<VecDeque<RoundReport>>>,
    watchers: Watchers,
}

impl Shared {
    /// Tells every watcher the status as it is now; forgets those gone.
    fn announce(&self) {
        let now = lock(&self.status).clone();
        lock(&self.watchers).retain(|(_, w)| w.send(now.clone()).is_ok());
    }
}

/// What changed on the device since `mark`: other devices' events, and the
/// catalogue, progress and history when the round says they moved. Read
/// here, on the sync thread, so the app's main thread only merges.
fn brought(store: &mut Store, mark: &mut i64, outcome: &Result<SyncReport>) -> Brought {
    let mut brought = Brought::default();
    let (reset, other_changes, history, edits) = match outcome {
        Ok(r) => (
            r.reset,
            r.other_changes,
            r.diagnoses_kept + r.feedback_taken > 0,
            r.edits_saved + r.edits_conflicted,
        ),
        // A failed round may still have applied pages before it failed.
        Err(_) => (false, 0, false, 0),
    };
    brought.history_changed = history;
    brought.records_changed = other_changes > 0 || edits > 0;
    if reset {
        brought.reread_all = true;
        *mark = store.event_mark().unwrap_or(*mark);
        return brought;
    }
    match store.events_after(*mark) {
        Ok((events, last)) => {
            let own = store.device();
            brought.events = events.into_iter().filter(|e| e.device != own).collect();
            *mark = last;
        }
        Err(_) => {
            brought.reread_all = true;
            return brought;
        }
    }
    if other_changes > 0 {
        brought.catalog = store.catalog().ok().flatten();
    }
    if !brought.events.is_empty() || brought.catalog.is_some() {
        match store.progress() {
            Ok(progress) => brought.progress = Some(progress),
            Err(_) => brought.reread_all = true,
        }
    }
    brought
}

fn publish(reports: &Mutex<VecDeque<RoundReport>>, report: RoundReport) {
    let mut kept = lock(reports);
    if kept.len() >= MAX_REPORTS_KEPT {
        // Nobody is taking them: keep one that asks for a full re-read.
        kept.clear();
        kept.push_back(RoundReport {
            brought: Brought {
                reread_all: true,
                ..Brought::default()
            },
            ..report
        });
    } else {
        kept.push_back(report);
    }
}

async fn run<T: Transport>(
    mut store: Store,
    mut mark: i64,
    transport: T,
    config: SyncConfig,
    mut receiver: mpsc::UnboundedReceiver<Command>,
    shared: Shared,
) {
    let status = &shared.status;
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
    lock(status).next_round_ms = Some(unix_ms() + millis(stored_wait));
    // Diagnoses asked while a round ran; each runs before the next wait.
    let mut queued: VecDeque<Box<DiagnoseJob>> = VecDeque::new();
    // Who waits for the report of the round about to run, and who asked
    // while one ran (they get the next one).
    let mut waiting: Vec<std::sync::mpsc::Sender<RoundReport>> = Vec::new();
    let mut waiting_next: Vec<std::sync::mpsc::Sender<RoundReport>> = Vec::new();
    // Questions asked while a round ran, answered after it.
    let mut asks: VecDeque<Ask> = VecDeque::new();
    loop {
        while let Some(ask) = asks.pop_front() {
            ask.answer(&transport).await;
        }
        waiting.append(&mut waiting_next);
        let job = match queued.pop_front() {
            Some(job) => Some(job),
            None if !waiting.is_empty() => None,
            None => match wait(
                &mut receiver,
                due,
                &mut waiting,
                &mut asks,
                news(&transport, store.cursor().ok()),
            )
            .await
            {
                Next::Stop => return,
                Next::Round => None,
                Next::Diagnose(job) => Some(job),
                Next::Ask(ask) => {
                    ask.answer(&transport).await;
                    continue;
                }
            },
        };
        lock(status).syncing = true;
        shared.announce();
        let now_ms = unix_ms();
        // Computed before the round so failed events can note when they
        // will be tried again; forgotten again on success.
        let fail_wait = backoff.next_delay();
        let mut again = false;
        let finished = {
            let work = async {
                let answer = match &job {
                    Some(job) => Some(transport.diagnose(&job.request, job.utc_offset_min).await),
                    None => None,
                };
                let outcome =
                    sync_once(&mut store, &transport, now_ms, now_ms + millis(fail_wait)).await;
                (answer, outcome)
            };
            tokio::pin!(work);
            loop {
                tokio::select! {
                    finished = &mut work => break Some(finished),
                    command = receiver.recv() => match command {
                        Some(Command::SyncNow) => again = true,
                        Some(Command::Round(reply)) => {
                            again = true;
                            waiting_next.push(reply);
                        }
                        Some(Command::Diagnose(job)) => queued.push_back(job),
                        Some(Command::Ask(ask)) => asks.push_back(ask),
                        Some(Command::Stop) | None => break None,
                    },
                }
            }
        };
        let Some((answer, outcome)) = finished else {
            // Stopped mid-round: watchers see it end.
            lock(status).syncing = false;
            shared.announce();
            return;
        };
        if let (Some(job), Some(answer)) = (job, answer) {
            let answer = answer.map(|run| {
                let not_synced = match &outcome {
                    // The round brought the run's event: keep its record too.
                    Ok(_) => store
                        .keep_remote_diagnosis(&record_of(&run))
                        .err()
                        .map(|e| format!("its record could not be kept here: {e}")),
                    Err(e) => Some(e.to_string()),
                };
                OnlineDiagnosis { run, not_synced }
            });
            // The asker may have gone away; the run is kept all the same.
            let _ = job.reply.send(answer);
        }
        let brought = brought(&mut store, &mut mark, &outcome);
        let mut s = lock(status);
        s.syncing = false;
        s.rounds += 1;
        let round = s.rounds;
        let wait_for = match &outcome {
            Ok(report) => {
                backoff.reset();
                s.last_success_ms = Some(unix_ms());
                s.last_error = None;
                s.last_trouble = None;
                s.diagnoses_problem = report.diagnoses_error.clone();
                if again {
                    Duration::ZERO
                } else {
                    config.interval
                }
            }
            Err(e) => {
                let wait_for = match e {
                    Error::RateLimited { retry_after } => {
                        (*retry_after).min(crate::MAX_RETRY_AFTER).max(fail_wait)
                    }
                    _ => fail_wait,
                };
                s.last_error = Some(e.to_string());
                s.last_trouble = Some(e.trouble());
                wait_for
            }
        };
        s.failures = backoff.failures();
        s.next_round_ms = Some(unix_ms().saturating_add(millis(wait_for)));
        refresh_counts(&store, &mut s);
        drop(s);
        shared.announce();
        let report = RoundReport {
            round,
            trouble: outcome.as_ref().err().map(Error::trouble),
            outcome: outcome.map_err(|e| e.to_string()),
            brought,
        };
        for reply in waiting.drain(..) {
            // One who asked and went away misses nothing it needs.
            let _ = reply.send(report.clone());
        }
        publish(&shared.reports, report);
        due = Instant::now() + wait_for;
    }
}
