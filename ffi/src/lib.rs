//! RideWire for native hosts: the Android and iOS apps (and, in the tests,
//! Python and Kotlin on this machine) reach the same core the desktop app
//! and the command line use, through uniffi bindings (namespace
//! `ridewire`).
//!
//! There is no logic here: one object, [`RideWire`], wraps the app layer's
//! use cases (`ridewire-app`: the rider's session over the SQLite file, the
//! account and the one background syncer, diagnosis, the scanner's tracker
//! for pushed camera frames, plan maps) and turns its types into plain
//! records ([`views`]) and its errors into [`RideWireError`]. A panic never
//! crosses the boundary: uniffi catches it and the host gets an internal
//! error.

mod error;
#[cfg(any(target_os = "android", target_os = "ios"))]
mod phone_app;
mod views;
mod workshops;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use ridewire_app::account;
use ridewire_app::clock;
use ridewire_app::diagnosis::{self, Ask};
use ridewire_app::location::{self, Fix};
use ridewire_app::maps;
use ridewire_app::photos;
use ridewire_app::plans;
use ridewire_app::reminders;
use ridewire_app::rider::Rider;
use ridewire_app::scan::{HostCamera, PushedFrames};
use ridewire_engine::diagnostics::request::VehicleInfo;
use ridewire_engine::event::EventKind;
use ridewire_engine::geo::GeoPoint;
use ridewire_engine::quest::QuestId;
use ridewire_sync_client::{RoundReport, SyncHandle, Syncer, Trouble, Unwatch};

pub use error::RideWireError;
pub use views::{
    Achievement, AgentAnswer, AtZone, Decision, Diagnosis, Marker, Notice, Point, Progress, Quest,
    QuestState, QuestStep, Recorded, SyncState, SyncSummary, WithPhoto,
};
pub use workshops::{BookingAttempt, BookingView, FreeSlot, WorkshopMembership};

uniffi::setup_scaffolding!("ridewire");

/// The file name of the rider's database inside the host's data folder
/// (the desktop app's is `ridewire.db` in its data folder too).
pub const DATABASE_FILE: &str = "ridewire.db";

/// How long `sync_now` waits for its round.
const ROUND_TIMEOUT: Duration = Duration::from_secs(120);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data behind the lock: a panic elsewhere leaves it usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The rider's RideWire on this device.
#[derive(uniffi::Object)]
pub struct RideWire {
    database: PathBuf,
    rider: Mutex<Rider>,
    frames: Mutex<PushedFrames>,
    /// The one background syncer, once signed in.
    syncer: Mutex<Option<Syncer>>,
    /// The newest of its rounds merged into `rider` (kept with the rider's
    /// lock held, so no round is merged twice or after a newer one).
    merged: AtomicU64,
    /// What the merged rounds did since the host last asked `sync_now`.
    unreported: Mutex<SyncSummary>,
}

impl RideWire {
    fn handle(&self) -> Option<SyncHandle> {
        lock(&self.syncer).as_ref().map(Syncer::handle)
    }

    /// Records what the rider did, as the app does, and nudges sync.
    fn record(&self, kind: EventKind) -> Result<Recorded, RideWireError> {
        let (now, offset) = clock::now();
        let outcome = lock(&self.rider).record(kind, now, offset);
        if let Some(handle) = self.handle() {
            // Sync picks it up with its next round all the same.
            let _ = handle.sync_now();
        }
        Recorded::try_from(outcome)
    }

    /// The rider's session with what the syncer's rounds brought since it
    /// was last looked at (timer rounds pull other devices' work too).
    fn rider(&self) -> MutexGuard<'_, Rider> {
        let mut rider = lock(&self.rider);
        if let Some(handle) = self.handle() {
            self.merge_rounds(&mut rider, handle.take_reports());
        }
        rider
    }

    /// Merges the rounds newer than the last merged one, oldest first (a
    /// newer catalogue or progress is never replaced by an older one);
    /// returns those merged. Call with the rider's lock held.
    fn merge_rounds(&self, rider: &mut Rider, mut rounds: Vec<RoundReport>) -> Vec<RoundReport> {
        let after = self.merged.load(Ordering::SeqCst);
        rounds.retain(|r| r.round > after);
        rounds.sort_by_key(|r| r.round);
        let mut unreported = lock(&self.unreported);
        let mut whole = true;
        for round in &rounds {
            if let Ok(done) = &round.outcome {
                unreported.add(done);
            }
            if whole && rider.merge(&round.brought).is_err() {
                // It is all in the database: read it whole.
                let _ = rider.reload();
                whole = false;
            }
        }
        if let Some(last) = rounds.last() {
            self.merged.store(last.round, Ordering::SeqCst);
        }
        rounds
    }

    fn quest_id(&self, id: &str) -> Result<QuestId, RideWireError> {
        let quest = QuestId::new(id).map_err(|e| RideWireError::invalid(e.to_string()))?;
        if lock(&self.rider).catalog.quest(&quest).is_none() {
            return Err(RideWireError::invalid(format!("there is no quest {id:?}")));
        }
        Ok(quest)
    }

    fn start_syncer(&self, signed: &account::SignedIn) -> Result<(), RideWireError> {
        let mut running = lock(&self.syncer);
        // The one syncer for this device: the old one stops first.
        if let Some(old) = running.take() {
            old.stop();
        }
        let syncer = account::start_syncer(&self.database, signed)?;
        // A new syncer counts its rounds from 1.
        self.merged.store(0, Ordering::SeqCst);
        *running = Some(syncer);
        Ok(())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl RideWire {
    /// Opens (or creates) the rider's data in `data_dir`: the same SQLite
    /// file the app uses, which a background job may have open too. Syncing
    /// starts by itself when an account was kept.
    #[uniffi::constructor]
    pub fn open(data_dir: String) -> Result<Arc<Self>, RideWireError> {
        if data_dir.trim().is_empty() {
            return Err(RideWireError::invalid("no data folder given"));
        }
        let database = Path::new(&data_dir).join(DATABASE_FILE);
        let rider = Rider::open(&database, clock::now().0)?;
        let syncer = match account::resume(&rider) {
            Some(Ok((_, syncer))) => Some(syncer),
            // Kept but not usable (a damaged setting): sign in again.
            Some(Err(_)) | None => None,
        };
        Ok(Arc::new(RideWire {
            database,
            rider: Mutex::new(rider),
            frames: Mutex::new(PushedFrames::default()),
            syncer: Mutex::new(syncer),
            merged: AtomicU64::new(0),
            unreported: Mutex::new(SyncSummary::default()),
        }))
    }

    /// Level, XP, streak and achievements.
    pub fn progress(&self) -> Progress {
        let (now, offset) = clock::now();
        Progress::of(self.rider().progress(), clock::local_day(now, offset))
    }

    /// Every quest of the catalogue with the rider's state in it.
    pub fn quests(&self) -> Vec<Quest> {
        let rider = self.rider();
        rider
            .catalog
            .quests()
            .map(|q| Quest::of(q, &rider.catalog, rider.progress()))
            .collect()
    }

    /// Starts quest `id`.
    pub fn start_quest(&self, id: String) -> Result<Recorded, RideWireError> {
        let quest = self.quest_id(&id)?;
        self.record(EventKind::QuestStarted { quest })
    }

    /// Checks off `step` of quest `id`.
    pub fn check_step(&self, id: String, step: String) -> Result<Recorded, RideWireError> {
        let quest = self.quest_id(&id)?;
        let known = lock(&self.rider)
            .catalog
            .quest(&quest)
            .is_some_and(|q| q.steps.iter().any(|s| s.id == step));
        if !known {
            return Err(RideWireError::invalid(format!(
                "quest {id:?} has no step {step:?}"
            )));
        }
        self.record(EventKind::StepChecked { quest, step })
    }

    /// Completes quest `id` (every step checked and every proof given, or
    /// it is recorded without counting, saying why).
    pub fn complete_quest(&self, id: String) -> Result<Recorded, RideWireError> {
        let quest = self.quest_id(&id)?;
        self.record(EventKind::QuestCompleted { quest })
    }

    /// Completes quest `id` at its zone with a position from the phone's
    /// platform (WGS84 degrees, horizontal accuracy in metres, speed in
    /// m/s and the fix's time in Unix ms when known), as `ridewire quest
    /// complete --gps` does: checked with the engine's proof rules first,
    /// nothing is recorded when the rider is not there yet, and the message
    /// says how far the zone is or how rough the fix.
    pub fn complete_quest_at_zone(
        &self,
        id: String,
        lat: f64,
        lon: f64,
        accuracy_m: f64,
        speed_mps: Option<f64>,
        time_ms: Option<i64>,
    ) -> Result<AtZone, RideWireError> {
        let quest = self.quest_id(&id)?;
        let fix = Fix {
            at: GeoPoint { lat, lon },
            accuracy_m,
            speed_mps,
            time_ms,
        };
        let (now, offset) = clock::now();
        let mut rider = self.rider();
        let title = rider
            .catalog
            .quest(&quest)
            .map_or_else(|| id.clone(), |q| q.title.clone());
        let attempt = location::complete_at_zone(&mut rider, &quest, &fix, now, offset);
        drop(rider);
        let at_zone = AtZone::of(attempt, &title)?;
        if at_zone.proof_recorded
            && let Some(handle) = self.handle()
        {
            // Sync picks it up with its next round all the same.
            let _ = handle.sync_now();
        }
        Ok(at_zone)
    }

    /// Adds a photo of the work to quest `id` (tagged `#photo`), as
    /// `ridewire quest photo` does: `picture` is a JPEG or PNG from the
    /// platform's camera or gallery. It is turned upright, scaled to at most
    /// 1600 px and encoded afresh without its metadata; its own time and
    /// place go with the proof only when `share_time` / `share_place`.
    /// Completes the quest when nothing else is missing. Decoding a phone
    /// photo takes a moment: call it off the UI thread.
    pub fn complete_quest_with_photo(
        &self,
        id: String,
        picture: Vec<u8>,
        share_time: bool,
        share_place: bool,
    ) -> Result<WithPhoto, RideWireError> {
        let quest = self.quest_id(&id)?;
        let (now, offset) = clock::now();
        let prepared = photos::Prepared::from_bytes(&picture, offset)?;
        let share = photos::Share {
            time: share_time,
            place: share_place,
        };
        let mut rider = self.rider();
        let title = rider
            .catalog
            .quest(&quest)
            .map_or_else(|| id.clone(), |q| q.title.clone());
        let attempt =
            photos::complete_with_photo(&mut rider, &quest, &prepared, share, now, offset);
        drop(rider);
        let done = WithPhoto::of(attempt, &title)?;
        if done.photo_kept
            && let Some(handle) = self.handle()
        {
            let _ = handle.sync_now();
        }
        Ok(done)
    }

    /// Opens a Markdown plan file the rider chose (or wrote) and makes it
    /// their current plan, as `ridewire --plan FILE` does; its quests join
    /// [`RideWire::quests`] and it syncs to the rider's other devices.
    /// Answers the plan's title.
    pub fn open_plan_file(&self, path: String) -> Result<String, RideWireError> {
        let (now, offset) = clock::now();
        let mut rider = self.rider();
        let opened = plans::open_file(&mut rider, Path::new(&path), now, offset)?;
        Ok(opened.plan.title)
    }

    /// Diagnoses trouble codes and symptoms on the rider's bike, gates the
    /// answer and records the run, as `ridewire diagnose` does: the
    /// server's agents when signed in, the offline agent otherwise (or
    /// when the server cannot be asked). Waits on the network: call it off
    /// the UI thread.
    pub fn diagnose(
        &self,
        codes: Vec<String>,
        symptoms: Vec<String>,
    ) -> Result<Diagnosis, RideWireError> {
        let vehicle = {
            let rider = lock(&self.rider);
            VehicleInfo {
                make: rider.vehicle.make.clone(),
                model: rider.vehicle.model.clone(),
                year: rider.vehicle.year,
            }
        };
        let checked = diagnosis::gate_offline(Ask {
            codes,
            symptoms,
            query: None,
            vehicle,
        })?;
        let handle = self.handle();
        let (now, offset) = clock::now();
        // The network wait holds nothing: the screens keep reading.
        let asking = diagnosis::Asking::of(&lock(&self.rider));
        let asked = diagnosis::ask(&asking, &checked.0, offset, handle.as_ref());
        let mut rider = lock(&self.rider);
        Ok(diagnosis::finish(&mut rider, checked, asked, now, offset).into())
    }

    /// The camera's calibration, pixels (OpenCV's pinhole model), for these
    /// bindings' tracker and the app's scanner alike. Without one the camera
    /// is guessed from the frame size.
    pub fn set_camera(&self, fx: f64, fy: f64, cx: f64, cy: f64) -> Result<(), RideWireError> {
        let mut frames = lock(&self.frames);
        frames.set_camera(fx, fy, cx, cy)?;
        HostCamera::shared().set_calibration(frames.camera());
        Ok(())
    }

    /// The side of the printed marker's black square, metres.
    pub fn set_marker_size(&self, metres: f64) -> Result<(), RideWireError> {
        Ok(lock(&self.frames).set_marker_size(metres)?)
    }

    /// Tracks the markers in one camera frame: `luma` is the Y plane,
    /// `width`×`height` bytes without row padding; `timestamp_ms` counts
    /// from the start of the stream. The scanner's tracker (detection,
    /// pose, smoothing over frames). A buffer of the wrong size is
    /// `InvalidInput`.
    pub fn push_camera_frame(
        &self,
        width: u32,
        height: u32,
        luma: Vec<u8>,
        timestamp_ms: u64,
    ) -> Result<Vec<Marker>, RideWireError> {
        // On a phone the scanner reads the same camera (the app and these
        // bindings are one library): it gets the frame too, and tracks it on
        // its own thread. Nothing is copied while the scanner is closed.
        HostCamera::shared().offer(width, height, &luma, Duration::from_millis(timestamp_ms))?;
        let seen = lock(&self.frames).push(width, height, &luma, timestamp_ms)?;
        Ok(seen.iter().map(Marker::from).collect())
    }

    /// [`RideWire::push_camera_frame`] for an NV12 frame (the Y plane,
    /// then the interleaved U, V plane at half resolution, rows without
    /// padding; Android's camera gives YUV_420_888 in this layout): the
    /// scanner shows it in colour, the tracker reads its Y plane.
    /// `full_range`: the samples use all of 0–255 (JFIF, as Android's
    /// camera sends YUV_420_888), else 16–235 (iOS's "video range"). A
    /// buffer of the wrong size is `InvalidInput`.
    pub fn push_camera_frame_nv12(
        &self,
        width: u32,
        height: u32,
        nv12: Vec<u8>,
        full_range: bool,
        timestamp_ms: u64,
    ) -> Result<Vec<Marker>, RideWireError> {
        HostCamera::shared().offer_nv12(
            width,
            height,
            &nv12,
            full_range,
            Duration::from_millis(timestamp_ms),
        )?;
        // The size was checked by the offer: the Y plane comes first.
        let luma_len = width as usize * height as usize;
        let seen = lock(&self.frames).push(width, height, &nv12[..luma_len], timestamp_ms)?;
        Ok(seen.iter().map(Marker::from).collect())
    }

    /// Signs in to `server` (or creates the account first with
    /// `create_account`), keeps the session in the rider's data and starts
    /// syncing. Waits on the network: call it off the UI thread.
    pub fn sign_in(
        &self,
        server: String,
        email: String,
        password: String,
        create_account: bool,
    ) -> Result<(), RideWireError> {
        let (server, who) = account::sign_in_form(&server, &email, password)?;
        let signed = account::sign_in(server, who, create_account)?;
        account::keep(&mut lock(&self.rider), &signed)?;
        self.start_syncer(&signed)
    }

    /// Runs a sync round now and answers what was pushed and pulled since
    /// the host last asked (this round and any the timer ran): everything
    /// recorded before the call is sent, what other devices recorded
    /// arrives and the rider's progress takes it in.
    pub async fn sync_now(&self) -> Result<SyncSummary, RideWireError> {
        let handle = self.handle().ok_or_else(|| RideWireError::Auth {
            message: "not signed in: sign in to sync".into(),
        })?;
        let round = handle.round()?;
        let report = tokio::task::spawn_blocking(move || round.recv_timeout(ROUND_TIMEOUT))
            .await
            .map_err(|e| RideWireError::Busy {
                message: format!("the sync wait stopped: {e}"),
            })?
            .map_err(|_| RideWireError::Busy {
                message: "the sync round did not finish in time".into(),
            })?;
        match &report.outcome {
            Ok(_) => {}
            Err(why) => {
                return Err(RideWireError::of(
                    report.trouble.unwrap_or(Trouble::Network),
                    why.clone(),
                ));
            }
        };
        // Every round since the host last looked (the timer's too).
        let mut rounds = handle.take_reports();
        if !rounds.iter().any(|r| r.round == report.round) {
            rounds.push(report.clone());
        }
        let mut rider = lock(&self.rider);
        self.merge_rounds(&mut rider, rounds);
        drop(rider);
        let mut summary = std::mem::take(&mut *lock(&self.unreported));
        summary.round = report.round;
        summary.pending = handle.status().pending as u64;
        Ok(summary)
    }

    /// Where sync stands; `None` until signed in.
    pub fn sync_state(&self) -> Option<SyncState> {
        self.handle().map(|h| SyncState::from(&h.status()))
    }

    /// Calls `listener` with every change of the sync state (first with the
    /// current one) until the returned subscription is cancelled or
    /// dropped. The calls come from a thread of their own.
    pub fn watch_sync(
        &self,
        listener: Arc<dyn SyncListener>,
    ) -> Result<Arc<SyncSubscription>, RideWireError> {
        let handle = self.handle().ok_or_else(|| RideWireError::Auth {
            message: "not signed in: sign in to sync".into(),
        })?;
        SyncSubscription::start(&handle, listener)
    }

    /// What to tell the rider outside the app: a level reached, an
    /// achievement unlocked, a quest due within three days or overdue. Each
    /// once per device (what was told is kept in the rider's file): the
    /// phones post these as notifications after a background sync. The
    /// first call only remembers the level and achievements.
    pub fn notices(&self) -> Result<Vec<Notice>, RideWireError> {
        let told = reminders::notices(&mut self.rider(), clock::today())?;
        Ok(told.into_iter().map(Notice::from).collect())
    }

    /// The overworld map of a Markdown plan, as the JSON `ridewire plan
    /// --json` writes, so the host can draw it.
    pub fn plan_map(&self, markdown: String, seed: u64) -> Result<String, RideWireError> {
        let run = maps::map_of(&markdown, "the plan", None, seed)?;
        Ok(maps::to_json(&run.map)?)
    }

    /// Stops syncing: call it before the host goes away (opening again
    /// resumes). Named so as not to clash with the bindings' own `close()`,
    /// which frees the object.
    pub fn shutdown(&self) {
        if let Some(syncer) = lock(&self.syncer).take() {
            syncer.stop();
        }
    }
}

/// Told of every change of the sync state. Implemented by the host; it is
/// called from a thread of RideWire's and must not throw.
#[uniffi::export(foreign)]
pub trait SyncListener: Send + Sync {
    fn on_sync_state(&self, state: SyncState);
}

/// A running [`RideWire::watch_sync`]: it stops on `cancel()` or when the
/// host drops it.
#[derive(uniffi::Object)]
pub struct SyncSubscription {
    stop: Arc<AtomicBool>,
    unwatch: Unwatch,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl SyncSubscription {
    fn start(
        handle: &SyncHandle,
        listener: Arc<dyn SyncListener>,
    ) -> Result<Arc<Self>, RideWireError> {
        let watch = handle.watch();
        let unwatch = watch.stopper.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("ridewire-sync-watch".into())
            .spawn(move || {
                // Sleeps until a change: the watch ends when cancelled or
                // when the syncer is gone.
                while let Ok(status) = watch.changes.recv() {
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    listener.on_sync_state(SyncState::from(&status));
                }
            })
            .map_err(|e| RideWireError::Busy {
                message: format!("cannot start watching sync: {e}"),
            })?;
        Ok(Arc::new(SyncSubscription {
            stop,
            unwatch,
            thread: Mutex::new(Some(thread)),
        }))
    }
}

#[uniffi::export]
impl SyncSubscription {
    /// Stops the calls; none comes after this returns.
    pub fn cancel(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the thread: its watch ends at once.
        self.unwatch.stop();
        // Taken in a statement of its own: the join below must not hold the
        // lock a listener's own `cancel()` would wait on.
        let thread = lock(&self.thread).take();
        if let Some(thread) = thread {
            // A listener cancelling from its own call must not wait on
            // itself.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for SyncSubscription {
    fn drop(&mut self) {
        self.cancel();
    }
}
