//! The rider's data as the app holds it: the catalogue, the event log and
//! the progress folded from it. Every change arrives as a [`RecordEvent`]
//! message and becomes an engine event; progress is never edited directly.
//!
//! The events live in the offline store (`--demo` keeps the engine's demo
//! garage in memory instead).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bevy::prelude::*;
use ridewire_engine::diagnostics::gate::GatedDiagnosis;
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use ridewire_engine::progress::{Progress, RejectReason};
use ridewire_engine::quest::{Catalog, Quest, Zone};
use ridewire_engine::vehicle::{ModelKey, Vehicle};
use ridewire_engine::{chain, demo};
use ridewire_offline_store::{DiagnosisRecord, Recovery, Store};
use uuid::Uuid;

pub(super) fn plugin(app: &mut App) {
    app.add_message::<RecordEvent>()
        .init_resource::<Clock>()
        .add_systems(Startup, load)
        .add_systems(Update, record_events.in_set(crate::AppSystems::Record));
}

/// Ask for something the rider did to be recorded.
#[derive(Message, Debug, Clone)]
pub struct RecordEvent(pub EventKind);

/// Where "now" comes from: the system clock, or a fixed instant for tests
/// and reproducible screenshots.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed {
        at_ms: i64,
        utc_offset_min: i16,
    },
}

impl Clock {
    /// Unix milliseconds and the local UTC offset in minutes.
    pub fn now(&self) -> (i64, i16) {
        match *self {
            Clock::Fixed {
                at_ms,
                utc_offset_min,
            } => (at_ms, utc_offset_min),
            Clock::System => {
                let now = chrono::Local::now();
                let offset = (now.offset().local_minus_utc() / 60) as i16;
                (now.timestamp_millis(), offset)
            }
        }
    }

    /// Today's local day number (days since 1970-01-01).
    pub fn today(&self) -> i64 {
        let (at, off) = self.now();
        (at + i64::from(off) * 60_000).div_euclid(86_400_000)
    }
}

/// What the last recorded event did, for the rider to see.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Recorded; these XP and achievements came of it.
    Counted { xp: u64, achievements: Vec<String> },
    /// Recorded but earned nothing, and why.
    NotCounted(RejectReason),
    /// Could not be recorded at all.
    Failed(String),
}

/// Where the rider's events live.
#[derive(Debug)]
enum Log {
    /// The local database: survives restarts, feeds sync. (A SQLite
    /// connection is not `Sync`; the mutex makes it a Bevy resource.)
    Stored(Mutex<Store>),
    /// The demo garage, in memory only.
    Demo(DeviceChain),
}

/// The rider, their bike and everything derived from their events.
#[derive(Resource, Debug)]
pub struct Player {
    pub vehicle: Vehicle,
    pub catalog: Catalog,
    log: Log,
    /// Every event, as stored (kept in memory for the screens).
    events: Vec<Event>,
    progress: Progress,
    /// Result of the most recent [`RecordEvent`].
    pub last_outcome: Option<Outcome>,
    /// Set when the data file was damaged and replaced at start-up.
    pub recovery: Option<Recovery>,
    /// The chain check done at load (see [`Player::verify`]).
    integrity: Result<(), String>,
}

/// Ten random bytes for a new event id (the random tail of a UUIDv7,
/// drawn from the operating system's generator).
fn fresh_random() -> [u8; 10] {
    let mut random = [0u8; 10];
    random.copy_from_slice(&Uuid::now_v7().as_bytes()[6..]);
    random
}

/// Checks every device's chain, in each device's sequence order.
fn check_chains(events: &[Event]) -> Result<(), String> {
    let mut ordered: Vec<&Event> = events.iter().collect();
    ordered.sort_by_key(|e| (e.device, e.seq));
    let ordered: Vec<Event> = ordered.into_iter().cloned().collect();
    chain::verify(&ordered).map_err(|b| b.to_string())
}

/// The bike the starter plan is written for (until plans sync from a workshop).
fn starter_vehicle() -> Result<Vehicle, ridewire_engine::Error> {
    Vehicle::new(
        ModelKey::new("harley-street-750-2022")?,
        "Harley-Davidson",
        "Street 750",
        2022,
        None,
    )
}

impl Player {
    /// The demo garage: a Street 750 with a few days of work ending on
    /// `clock`'s day, kept in memory only.
    pub fn demo(clock: &Clock) -> Result<Self, ridewire_engine::Error> {
        let (now, _) = clock.now();
        const DAY: i64 = 86_400_000;
        // The demo log is written in UTC+1; start two local days ago at 09:00.
        let today = (now + 3_600_000).div_euclid(DAY);
        let start = (today - 2) * DAY - 3_600_000 + 9 * 3_600_000;
        let (catalog, events) = demo::garage(start)?;
        let chain = events
            .last()
            .map(DeviceChain::after)
            .unwrap_or_else(|| DeviceChain::new(DeviceId(Uuid::now_v7())));
        Ok(Self {
            vehicle: starter_vehicle()?,
            progress: Progress::from_events(&catalog, &events),
            catalog,
            log: Log::Demo(chain),
            integrity: check_chains(&events),
            events,
            last_outcome: None,
            recovery: None,
        })
    }

    /// The rider's own data from the database at `path` (created on first
    /// use), with the starter plan as the quest catalogue.
    pub fn open(path: &Path, clock: &Clock) -> Result<Self, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let opened = Store::open(path, clock.now().0).map_err(|e| e.to_string())?;
        let mut store = opened.store;
        let catalog = match store.catalog().map_err(|e| e.to_string())? {
            Some(catalog) => catalog,
            None => {
                let starter = demo::catalog().map_err(|e| e.to_string())?;
                store.set_catalog(&starter).map_err(|e| e.to_string())?;
                starter
            }
        };
        let events = store.events().map_err(|e| e.to_string())?;
        let progress = store.progress().map_err(|e| e.to_string())?;
        Ok(Self {
            vehicle: starter_vehicle().map_err(|e| e.to_string())?,
            catalog,
            log: Log::Stored(Mutex::new(store)),
            integrity: check_chains(&events),
            events,
            progress,
            last_outcome: None,
            recovery: opened.recovery,
        })
    }

    /// Adds the zones and quests of a plan the rider follows to the
    /// catalogue (ids already there keep their old definition) and folds
    /// progress again over the bigger catalogue. Returns whether anything was
    /// new, so a plan's ticked tasks are recorded only when it is first added.
    pub fn add_quests(&mut self, plan: &Catalog) -> Result<bool, String> {
        let mut zones: Vec<Zone> = self.catalog.zones().cloned().collect();
        let mut quests: Vec<Quest> = self.catalog.quests().cloned().collect();
        let before = (zones.len(), quests.len());
        zones.extend(
            plan.zones()
                .filter(|z| self.catalog.zone(&z.id).is_none())
                .cloned(),
        );
        quests.extend(
            plan.quests()
                .filter(|q| self.catalog.quest(&q.id).is_none())
                .cloned(),
        );
        if (zones.len(), quests.len()) == before {
            return Ok(false);
        }
        let catalog = Catalog::new(zones, quests).map_err(|e| e.to_string())?;
        self.progress = match &mut self.log {
            Log::Stored(store) => {
                let mut store = lock(store);
                store.set_catalog(&catalog).map_err(|e| e.to_string())?;
                store.progress().map_err(|e| e.to_string())?
            }
            Log::Demo(_) => Progress::from_events(&catalog, &self.events),
        };
        self.catalog = catalog;
        Ok(true)
    }

    /// Progress folded from every event.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Every event.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The device this app writes events as.
    pub fn device(&self) -> DeviceId {
        match &self.log {
            Log::Stored(store) => lock(store).device(),
            Log::Demo(chain) => chain.device,
        }
    }

    /// Where the data lives, for the settings screen.
    pub fn storage(&self) -> String {
        match &self.log {
            Log::Stored(store) => lock(store).path().display().to_string(),
            Log::Demo(_) => "demo garage (in memory, not saved)".into(),
        }
    }

    /// Records a diagnostic run: with the database, the run's full record
    /// and its `DiagnosticRun` event commit together; the demo keeps the event only.
    pub fn record_diagnosis(
        &mut self,
        id: Uuid,
        request: &DiagnosticRequest,
        result: &GatedDiagnosis,
        at_ms: i64,
        utc_offset_min: i16,
    ) -> Outcome {
        let Log::Stored(store) = &mut self.log else {
            let kind = EventKind::DiagnosticRun {
                diagnostic_id: id,
                vehicle: None,
                quest: None,
                evidence: None,
            };
            return self.record(kind, at_ms, utc_offset_min);
        };
        let random = fresh_random();
        match lock(store).record_diagnosis(id, request, result, at_ms, utc_offset_min, random) {
            Ok((record, recorded)) => {
                self.progress = recorded.progress;
                self.events.push(recorded.event);
                Outcome::Counted {
                    xp: record.xp,
                    achievements: record.achievements,
                }
            }
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    /// The database file, when the rider's data is stored (not the demo).
    pub fn database(&self) -> Option<PathBuf> {
        match &self.log {
            Log::Stored(store) => Some(lock(store).path().to_path_buf()),
            Log::Demo(_) => None,
        }
    }

    /// Reads events, catalogue and progress again from the database (after
    /// a sync brought other devices' work). The demo has nothing to re-read.
    pub fn reload(&mut self) -> Result<(), String> {
        let Log::Stored(store) = &self.log else {
            return Ok(());
        };
        let mut store = lock(store);
        if let Some(catalog) = store.catalog().map_err(|e| e.to_string())? {
            self.catalog = catalog;
        }
        self.events = store.events().map_err(|e| e.to_string())?;
        self.progress = store.progress().map_err(|e| e.to_string())?;
        drop(store);
        self.integrity = check_chains(&self.events);
        Ok(())
    }

    /// Keeps the rider's note on a run, written at `at_ms`; `Ok(false)` when
    /// there is no such run.
    pub fn save_feedback(&mut self, run: Uuid, text: &str, at_ms: i64) -> Result<bool, String> {
        match &mut self.log {
            Log::Stored(store) => lock(store)
                .set_feedback(run, text, at_ms)
                .map_err(|e| e.to_string()),
            Log::Demo(_) => Err("the demo garage keeps no notes".into()),
        }
    }

    /// The overlay pack the server sent for `vehicle`, as the store keeps
    /// it for offline use (`None` in the demo or when none came).
    pub fn cached_overlay_pack(&self, vehicle: &str) -> Option<serde_json::Value> {
        match &self.log {
            Log::Stored(store) => lock(store).overlay_pack(vehicle).ok().flatten(),
            Log::Demo(_) => None,
        }
    }

    /// The rider's latest diagnostic runs, newest first (none in the demo,
    /// which keeps only their events).
    pub fn recent_diagnoses(&self, limit: usize) -> Result<Vec<DiagnosisRecord>, String> {
        match &self.log {
            Log::Stored(store) => lock(store)
                .diagnoses(None, limit)
                .map_err(|e| e.to_string()),
            Log::Demo(_) => Ok(Vec::new()),
        }
    }

    /// A setting saved on this device (`None` in the demo or if never saved).
    pub fn setting(&self, key: &str) -> Option<String> {
        match &self.log {
            Log::Stored(store) => lock(store).setting(key).ok().flatten(),
            Log::Demo(_) => None,
        }
    }

    /// Saves a setting on this device (the demo keeps nothing).
    pub fn save_setting(&mut self, key: &str, value: &str) -> Result<(), String> {
        match &mut self.log {
            Log::Stored(store) => lock(store)
                .set_setting(key, value)
                .map_err(|e| e.to_string()),
            Log::Demo(_) => Ok(()),
        }
    }

    /// Whether the log's hash chains were intact when loaded (events this
    /// app appends extend a verified chain); the message names the first break.
    pub fn verify(&self) -> Result<(), String> {
        self.integrity.clone()
    }

    /// Records what the rider did at `at_ms` and folds it into progress.
    pub fn record(&mut self, kind: EventKind, at_ms: i64, utc_offset_min: i16) -> Outcome {
        let random = fresh_random();
        let xp_before = self.progress.xp();
        let unlocked_before = self.progress.achievements().len();
        let event = match &mut self.log {
            Log::Stored(store) => match lock(store).record(kind, at_ms, utc_offset_min, random) {
                Ok(recorded) => {
                    self.progress = recorded.progress;
                    recorded.event
                }
                Err(e) => return Outcome::Failed(e.to_string()),
            },
            Log::Demo(chain) => {
                let mut next = chain.clone();
                let event =
                    match next.append(EventId::v7(at_ms, random), at_ms, utc_offset_min, kind) {
                        Ok(event) => event,
                        Err(e) => return Outcome::Failed(e.to_string()),
                    };
                *chain = next;
                if self.progress.apply(&self.catalog, &event).is_err() {
                    // The clock went backwards: fold everything again.
                    self.progress =
                        Progress::from_events(&self.catalog, self.events.iter().chain([&event]));
                }
                event
            }
        };
        self.events.push(event.clone());
        if let Some(r) = self
            .progress
            .rejections()
            .iter()
            .rev()
            .find(|r| r.event == event.id)
        {
            return Outcome::NotCounted(r.reason.clone());
        }
        let unlocked = self.progress.achievements();
        Outcome::Counted {
            xp: self.progress.xp().saturating_sub(xp_before),
            achievements: unlocked[unlocked_before.min(unlocked.len())..]
                .iter()
                .map(|u| u.id.clone())
                .collect(),
        }
    }
}

/// The store, even if a panic elsewhere poisoned its lock: every write is
/// its own transaction, so the data is consistent either way.
fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where the app takes the rider's data from.
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// The local database at this path.
    Database(PathBuf),
    /// The demo garage in memory (screenshots, trying the app out).
    Demo,
}

impl DataSource {
    /// The default database: `ridewire/ridewire.db` in the user's data folder.
    pub fn default_database() -> PathBuf {
        dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("ridewire")
            .join("ridewire.db")
    }
}

/// Why the rider's data could not be loaded, shown instead of the screens.
#[derive(Resource, Debug, Clone)]
pub struct LoadError(pub String);

/// Loads the rider's data at start-up.
pub(crate) fn load(
    mut commands: Commands,
    source: Option<Res<DataSource>>,
    clock: Res<Clock>,
    loaded: Option<Res<Player>>,
) {
    if loaded.is_some() {
        return;
    }
    let player = match source.as_deref() {
        Some(DataSource::Database(path)) => Player::open(path, &clock),
        Some(DataSource::Demo) | None => Player::demo(&clock).map_err(|e| e.to_string()),
    };
    match player {
        Ok(player) => {
            if let Some(r) = &player.recovery {
                warn!(
                    "data file was damaged ({}); moved to {}, {} events recovered",
                    r.reason,
                    r.moved_to.display(),
                    r.events_carried_over
                );
            }
            commands.insert_resource(player);
        }
        Err(e) => {
            error!("could not load your data: {e}");
            commands.insert_resource(LoadError(e));
        }
    }
}

fn record_events(
    mut messages: MessageReader<RecordEvent>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
) {
    let Some(mut player) = player else {
        return;
    };
    for RecordEvent(kind) in messages.read() {
        let (at, offset) = clock.now();
        let outcome = player.record(kind.clone(), at, offset);
        if let Outcome::Failed(reason) = &outcome {
            error!("could not record {}: {reason}", kind.name());
        }
        player.last_outcome = Some(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridewire_engine::quest::QuestId;

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins);
        app.configure_sets(Update, crate::AppSystems::Record);
        plugin(&mut app);
        let clock = Clock::Fixed {
            at_ms: 1_772_438_400_000,
            utc_offset_min: 60,
        };
        app.insert_resource(clock);
        app.insert_resource(Player::demo(&clock).expect("demo"));
        app
    }

    #[test]
    fn a_recorded_diagnostic_run_shows_10_xp_at_once() {
        let mut app = app();
        let before = app.world().resource::<Player>().progress().xp();
        app.world_mut()
            .write_message(RecordEvent(EventKind::DiagnosticRun {
                diagnostic_id: Uuid::from_u128(5),
                vehicle: None,
                quest: None,
                evidence: None,
            }));
        app.update();
        let player = app.world().resource::<Player>();
        assert_eq!(player.progress().xp(), before + 10);
        assert_eq!(
            player.last_outcome,
            Some(Outcome::Counted {
                xp: 10,
                achievements: vec![]
            })
        );
        assert_eq!(player.verify(), Ok(()));
    }

    #[test]
    fn the_database_keeps_what_the_rider_did() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rider.db");
        let clock = Clock::Fixed {
            at_ms: 1_772_438_400_000,
            utc_offset_min: 60,
        };
        let mut player = Player::open(&path, &clock).expect("open");
        assert_eq!(player.progress().xp(), 0, "a new rider starts at zero");
        let (at, off) = clock.now();
        let outcome = player.record(
            EventKind::DiagnosticRun {
                diagnostic_id: Uuid::from_u128(1),
                vehicle: None,
                quest: None,
                evidence: None,
            },
            at,
            off,
        );
        assert_eq!(
            outcome,
            Outcome::Counted {
                xp: 10,
                achievements: vec!["ACH-FIRST-DIAG".into()]
            }
        );
        drop(player);
        let again = Player::open(&path, &clock).expect("reopen");
        assert_eq!(again.progress().xp(), 10);
        assert!(again.progress().has_achievement("ACH-FIRST-DIAG"));
        assert_eq!(again.verify(), Ok(()));
    }

    #[test]
    fn a_plan_joins_the_catalogue_once_and_keeps_progress() {
        let plan = ridewire_engine::plan::parse(
            "# Plan\n## Chassis\n- [ ] Grease the swingarm\n    - [ ] Pivot bolt\n",
        )
        .expect("plan")
        .to_catalog()
        .expect("catalogue");
        let clock = Clock::Fixed {
            at_ms: 1_772_438_400_000,
            utc_offset_min: 60,
        };
        let mut demo = Player::demo(&clock).expect("demo");
        let xp = demo.progress().xp();
        assert_eq!(demo.add_quests(&plan), Ok(true));
        assert_eq!(demo.add_quests(&plan), Ok(false));
        assert_eq!(demo.progress().xp(), xp, "old work still counts");
        let quest = plan.quests().next().expect("quest").id.clone();
        assert!(demo.catalog.quest(&quest).is_some());

        // With a database, the bigger catalogue is saved.
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rider.db");
        let mut stored = Player::open(&path, &clock).expect("open");
        assert_eq!(stored.add_quests(&plan), Ok(true));
        let step = plan.quest(&quest).expect("quest").steps[0].id.clone();
        let (at, off) = clock.now();
        let outcome = stored.record(
            EventKind::StepChecked {
                quest: quest.clone(),
                step,
            },
            at,
            off,
        );
        assert!(matches!(outcome, Outcome::Counted { .. }), "{outcome:?}");
        drop(stored);
        let again = Player::open(&path, &clock).expect("reopen");
        assert!(again.catalog.quest(&quest).is_some());
        assert!(
            again
                .progress()
                .quest(&quest)
                .is_some_and(|r| r.steps_checked.len() == 1)
        );
    }

    #[test]
    fn a_completion_without_steps_is_recorded_but_not_counted() {
        let mut app = app();
        let events_before = app.world().resource::<Player>().events().len();
        app.world_mut()
            .write_message(RecordEvent(EventKind::QuestCompleted {
                quest: QuestId::new("chain-lube").expect("id"),
            }));
        app.update();
        let player = app.world().resource::<Player>();
        assert_eq!(player.events().len(), events_before + 1);
        assert!(matches!(
            player.last_outcome,
            Some(Outcome::NotCounted(RejectReason::StepsMissing { .. }))
        ));
    }
}
