//! The rider's session: their database, the catalogue of quests, the event
//! log and the progress folded from it. Everything the rider does is
//! recorded as an engine event through the store; progress is never edited
//! directly. The demo garage is the same, in a database in memory.
//!
//! After a sync round the syncer says what reached the device
//! ([`Brought`]); [`Rider::merge`] takes in only that, and checks only the
//! new links of each device's hash chain.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use ridewire_engine::chain::{self, ChainVerifier};
use ridewire_engine::demo;
use ridewire_engine::diagnostics::gate::GatedDiagnosis;
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::event::{DeviceId, Event, EventId, EventKind};
use ridewire_engine::progress::{Progress, ProofKind, RejectReason};
use ridewire_engine::proof::PhotoProof;
use ridewire_engine::quest::{Catalog, Quest, QuestId, Zone};
use ridewire_engine::vehicle::Vehicle;
use ridewire_offline_store::{DiagnosisRecord, Recorded, Recovery, Store};
use ridewire_sync_client::Brought;
use uuid::Uuid;

use crate::{Error, Result};

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

/// A rejection in the rider's words.
pub fn explain(reason: &RejectReason) -> String {
    match reason {
        RejectReason::UnknownQuest => "this quest is not in your plan".into(),
        RejectReason::UnknownStep { step } => format!("step {step} is not part of this quest"),
        RejectReason::Locked => "finish the quests before this one first".into(),
        RejectReason::AlreadyCompleted => "already completed".into(),
        RejectReason::StepsMissing { missing } => {
            format!("{} step(s) still to tick off", missing.len())
        }
        RejectReason::ProofMissing { proof } => match proof {
            ProofKind::Location => "submit a location proof at the workshop first".into(),
            ProofKind::ArScan => "scan the component in AR first".into(),
            ProofKind::DiagnosticRun => "run a diagnosis first".into(),
            ProofKind::Photo => "take a photo of the work first".into(),
        },
        RejectReason::ProofFailed { .. } => "the proof did not pass its checks".into(),
        RejectReason::DailyLimit { limit } => {
            format!("kept, but only {limit} a day per bike earn XP")
        }
    }
}

/// What [`Rider::merge`] took in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Merged {
    /// Events from other devices new to this session.
    pub events_added: usize,
    /// The catalogue changed (a plan arrived).
    pub catalog_changed: bool,
    /// Progress changed.
    pub progress_changed: bool,
    /// The history of diagnoses should be read again.
    pub history_changed: bool,
    /// Everything was read again (after a reset or missed reports).
    pub reread: bool,
    /// The garage changed (bikes from another device, a change taken or
    /// crossed by another device's).
    pub garage_changed: bool,
}

impl Merged {
    /// Whether any screen has something new to show.
    pub fn changed_anything(&self) -> bool {
        *self != Merged::default()
    }
}

/// The rider, their bike and everything derived from their events.
#[derive(Debug)]
pub struct Rider {
    /// This device's current bike ([`crate::garage`]): the starter bike
    /// while the garage is empty.
    pub vehicle: Vehicle,
    /// The current bike's id in the garage; `None` for the starter bike.
    pub bike: Option<String>,
    pub catalog: Catalog,
    /// Result of the most recent recording.
    pub last_outcome: Option<Outcome>,
    /// Set when the data file was damaged and replaced at start-up.
    pub recovery: Option<Recovery>,
    // A SQLite connection is not `Sync`; the mutex lets the session be
    // shared state (a Bevy resource, a binding's object).
    store: Mutex<Store>,
    /// Every event, in the engine's canonical order (kept for the screens).
    events: Vec<Event>,
    /// The ids in `events`, so a merged event is never taken twice.
    known: HashSet<EventId>,
    progress: Progress,
    /// Each device's chain as far as it has been checked.
    verifier: ChainVerifier,
    /// The first broken link found, if any (see [`Rider::verify`]).
    integrity: std::result::Result<(), String>,
}

/// Ten random bytes for a new event id (the random tail of a UUIDv7,
/// drawn from the operating system's generator).
fn fresh_random() -> [u8; 10] {
    let mut random = [0u8; 10];
    random.copy_from_slice(&Uuid::now_v7().as_bytes()[6..]);
    random
}

/// The engine's canonical order of a log (the store's `ORDER BY`).
fn canonical(e: &Event) -> (i64, DeviceId, u64, EventId) {
    (e.at_ms, e.device, e.seq, e.id)
}

/// Checks every device's chain, each in its sequence order, and keeps each
/// chain's tail for checking later events one at a time.
fn check_all(events: &[Event]) -> (ChainVerifier, std::result::Result<(), String>) {
    let mut ordered: Vec<&Event> = events.iter().collect();
    ordered.sort_by_key(|e| (e.device, e.seq));
    let mut verifier = ChainVerifier::new();
    for (index, event) in ordered.iter().enumerate() {
        if let Err(kind) = verifier.check(event) {
            let broken = chain::ChainBreak {
                index,
                device: event.device,
                seq: event.seq,
                kind,
            };
            return (verifier, Err(broken.to_string()));
        }
    }
    (verifier, Ok(()))
}

/// Puts each of `new` into `into`, in place of the one `same` says it is,
/// or at the end; whether anything changed.
fn put<'a, T: Clone + PartialEq + 'a>(
    into: &mut Vec<T>,
    new: impl Iterator<Item = &'a T>,
    same: impl Fn(&T, &T) -> bool,
) -> bool {
    let mut changed = false;
    for item in new {
        match into.iter_mut().find(|old| same(old, item)) {
            Some(old) if old != item => {
                *old = item.clone();
                changed = true;
            }
            Some(_) => {}
            None => {
                into.push(item.clone());
                changed = true;
            }
        }
    }
    changed
}

/// The store, even if a panic elsewhere poisoned its lock: every write is
/// its own transaction, so the data is consistent either way.
fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Rider {
    fn with_store(store: Store, recovery: Option<Recovery>) -> Result<Self> {
        let mut store = store;
        let catalog = match store.catalog()? {
            Some(catalog) => catalog,
            None => {
                let starter = demo::catalog()?;
                store.set_catalog(&starter)?;
                starter
            }
        };
        let events = store.events()?;
        let progress = store.progress()?;
        let (verifier, integrity) = check_all(&events);
        let (bike, vehicle) = crate::bikes::current_in(&store)?;
        let mut rider = Self {
            vehicle,
            bike,
            catalog,
            last_outcome: None,
            recovery,
            store: Mutex::new(store),
            known: events.iter().map(|e| e.id).collect(),
            events,
            progress,
            verifier,
            integrity,
        };
        // Plans from the rider's other devices bring their quests.
        rider.adopt_own_plans()?;
        Ok(rider)
    }

    /// The rider's own data from the database at `path` (created on first
    /// use, with the starter plan as the quest catalogue). A damaged file is
    /// moved aside and replaced ([`Rider::recovery`] says so).
    pub fn open(path: &Path, now_ms: i64) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::Folder {
                path: dir.to_owned(),
                reason: e.to_string(),
            })?;
        }
        let opened = Store::open(path, now_ms)?;
        Self::with_store(opened.store, opened.recovery)
    }

    /// The demo garage: a Street 750 with a few days of work ending on the
    /// day of `now_ms`, in a database in memory (recorded and folded like
    /// the rider's own, never saved, never synced).
    pub fn demo(now_ms: i64) -> Result<Self> {
        const DAY: i64 = 86_400_000;
        // The demo log is written in UTC+1; start two local days ago at 09:00.
        let today = (now_ms + 3_600_000).div_euclid(DAY);
        let start = (today - 2) * DAY - 3_600_000 + 9 * 3_600_000;
        let (catalog, events) = demo::garage(start)?;
        // Continue the demo device's chain, as if this were its phone.
        let device = events
            .last()
            .map_or_else(|| DeviceId(Uuid::now_v7()), |e| e.device);
        let mut store = Store::in_memory(device, now_ms)?;
        store.set_catalog(&catalog)?;
        // Stored as already sent: the demo has no server to send them to.
        store.store_remote(&events)?;
        Self::with_store(store, None)
    }

    /// Whether this is the demo garage.
    pub fn is_demo(&self) -> bool {
        lock(&self.store).is_in_memory()
    }

    /// Adds the zones and quests of a plan the rider follows to the
    /// catalogue (ids already there keep their old definition) and folds
    /// progress again over the bigger catalogue. Returns whether anything was
    /// new, so a plan's ticked tasks are recorded only when it is first added.
    pub fn add_quests(&mut self, plan: &Catalog) -> Result<bool> {
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
        self.set_catalog(zones, quests)?;
        Ok(true)
    }

    /// Keeps a new catalogue and folds progress again over it.
    fn set_catalog(&mut self, zones: Vec<Zone>, quests: Vec<Quest>) -> Result<()> {
        let catalog = Catalog::new(zones, quests)?;
        let mut store = lock(&self.store);
        store.set_catalog(&catalog)?;
        self.progress = store.progress()?;
        drop(store);
        self.catalog = catalog;
        Ok(())
    }

    /// Like [`Rider::add_quests`], but a zone or quest already there takes
    /// the plan's definition (a rider's own plan edited since: a place
    /// moved, a task now `#onsite`, steps added). Whether anything changed.
    pub fn put_quests(&mut self, plan: &Catalog) -> Result<bool> {
        let mut zones: Vec<Zone> = self.catalog.zones().cloned().collect();
        let mut quests: Vec<Quest> = self.catalog.quests().cloned().collect();
        let zones_changed = put(&mut zones, plan.zones(), |a, b| a.id == b.id);
        let quests_changed = put(&mut quests, plan.quests(), |a, b| a.id == b.id);
        let changed = zones_changed || quests_changed;
        if changed {
            self.set_catalog(zones, quests)?;
        }
        Ok(changed)
    }

    /// Takes the quests of the rider's own plans into the catalogue (those
    /// that came from another device: at start-up and after a round).
    /// Whether the catalogue changed.
    pub fn adopt_own_plans(&mut self) -> Result<bool> {
        let catalogs = crate::plan_list::own_catalogs(&lock(&self.store))?;
        let mut changed = false;
        for catalog in &catalogs {
            changed |= self.put_quests(catalog)?;
        }
        Ok(changed)
    }

    /// Progress folded from every event.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Every event, in the engine's canonical order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The device this app writes events as.
    pub fn device(&self) -> DeviceId {
        lock(&self.store).device()
    }

    /// Where the data lives, for the settings screen.
    pub fn storage(&self) -> String {
        let store = lock(&self.store);
        if store.is_in_memory() {
            "demo garage (in memory, not saved)".into()
        } else {
            store.path().display().to_string()
        }
    }

    /// The database file; `None` for the demo garage.
    pub fn database(&self) -> Option<PathBuf> {
        let store = lock(&self.store);
        (!store.is_in_memory()).then(|| store.path().to_path_buf())
    }

    /// Records what the rider did at `at_ms` and folds it into progress.
    pub fn record(&mut self, kind: EventKind, at_ms: i64, utc_offset_min: i16) -> Outcome {
        self.record_with(|store, random| store.record(kind, at_ms, utc_offset_min, random))
    }

    /// Records a photo proof for `quest`: the JPEG and the
    /// `PhotoSubmitted` event that names it (`photo`) commit together.
    pub fn record_photo(
        &mut self,
        quest: QuestId,
        jpeg: &[u8],
        photo: PhotoProof,
        at_ms: i64,
        utc_offset_min: i16,
    ) -> Outcome {
        self.record_with(|store, random| {
            store.record_photo(quest, jpeg, photo, at_ms, utc_offset_min, random)
        })
    }

    /// Records one event through `write` (given the store and fresh
    /// randomness for its id) and folds it in.
    fn record_with(
        &mut self,
        write: impl FnOnce(&mut Store, [u8; 10]) -> ridewire_offline_store::Result<Recorded>,
    ) -> Outcome {
        let xp_before = self.progress.xp();
        let unlocked_before = self.progress.achievements().len();
        let recorded = write(&mut lock(&self.store), fresh_random());
        let recorded = match recorded {
            Ok(recorded) => recorded,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        self.progress = recorded.progress;
        let id = recorded.event.id;
        self.take_own(recorded.event);
        if let Some(r) = self
            .progress
            .rejections()
            .iter()
            .rev()
            .find(|r| r.event == id)
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

    /// Records a diagnostic run: the run's full record and its
    /// `DiagnosticRun` event commit together.
    pub fn record_diagnosis(
        &mut self,
        id: Uuid,
        request: &DiagnosticRequest,
        result: &GatedDiagnosis,
        at_ms: i64,
        utc_offset_min: i16,
    ) -> Outcome {
        let random = fresh_random();
        let recorded =
            lock(&self.store).record_diagnosis(id, request, result, at_ms, utc_offset_min, random);
        match recorded {
            Ok((record, recorded)) => {
                self.progress = recorded.progress;
                self.take_own(recorded.event);
                Outcome::Counted {
                    xp: record.xp,
                    achievements: record.achievements,
                }
            }
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    /// Keeps an event this session just recorded (it extends this device's
    /// checked chain and is the newest of the log).
    fn take_own(&mut self, event: Event) {
        if self.integrity.is_ok()
            && let Err(kind) = self.verifier.check(&event)
        {
            let broken = chain::ChainBreak {
                index: self.events.len(),
                device: event.device,
                seq: event.seq,
                kind,
            };
            self.integrity = Err(broken.to_string());
        }
        self.known.insert(event.id);
        let in_order = self
            .events
            .last()
            .is_none_or(|last| canonical(last) <= canonical(&event));
        self.events.push(event);
        if !in_order {
            self.events.sort_by_key(canonical);
        }
    }

    /// Reads events, catalogue and progress again from the database and
    /// checks every chain again: after a pull reset, or to recover from
    /// anything a merge could not take.
    pub fn reload(&mut self) -> Result<()> {
        let mut store = lock(&self.store);
        if let Some(catalog) = store.catalog()? {
            self.catalog = catalog;
        }
        let events = store.events()?;
        self.progress = store.progress()?;
        drop(store);
        (self.verifier, self.integrity) = check_all(&events);
        self.known = events.iter().map(|e| e.id).collect();
        self.events = events;
        Ok(())
    }

    /// Takes in what a sync round brought: other devices' events (each
    /// chain checked from where it stood), a new catalogue, progress as the
    /// store folded it. Reads everything again only when the round says so.
    pub fn merge(&mut self, brought: &Brought) -> Result<Merged> {
        let mut merged = Merged {
            history_changed: brought.history_changed,
            ..Merged::default()
        };
        if brought.reread_all || brought.records_changed {
            let before = (self.bike.clone(), self.vehicle.clone());
            self.refresh_garage()?;
            merged.garage_changed =
                before != (self.bike.clone(), self.vehicle.clone()) || brought.records_changed;
        }
        if brought.reread_all {
            self.reload()?;
            merged.reread = true;
            return Ok(merged);
        }
        let mut new: Vec<&Event> = brought
            .events
            .iter()
            .filter(|e| !self.known.contains(&e.id))
            .collect();
        merged.events_added = new.len();
        // A mechanic's answer to one of the rider's runs shows in its history.
        merged.history_changed |= new
            .iter()
            .any(|e| matches!(e.kind, EventKind::DiagnosisReviewed { .. }));
        if !new.is_empty() {
            new.sort_by_key(|e| (e.device, e.seq));
            let all_checked =
                self.integrity.is_ok() && new.iter().all(|e| self.verifier.check(e).is_ok());
            let first_new = new.iter().map(|e| canonical(e)).min();
            let in_order = match (self.events.last(), first_new) {
                (Some(last), Some(first)) => canonical(last) <= first,
                _ => true,
            };
            self.known.extend(new.iter().map(|e| e.id));
            self.events.extend(new.into_iter().cloned());
            if !in_order {
                // Another device's work from before this device's newest:
                // the log is almost sorted, which the sort is quick on.
                self.events.sort_by_key(canonical);
            } else {
                let from = self.events.len() - merged.events_added;
                self.events[from..].sort_by_key(canonical);
            }
            if !all_checked {
                // A break here, or an older one a late event may mend: the
                // whole check, as at start-up.
                (self.verifier, self.integrity) = check_all(&self.events);
            }
        }
        if let Some(catalog) = &brought.catalog
            && *catalog != self.catalog
        {
            self.catalog = catalog.clone();
            merged.catalog_changed = true;
        }
        if merged.events_added > 0 || merged.catalog_changed {
            // The syncer's fold, unless this session recorded since.
            self.progress = match &brought.progress {
                Some(p) if p.event_count() == self.events.len() as u64 => p.clone(),
                _ => lock(&self.store).progress()?,
            };
            merged.progress_changed = true;
        }
        // Plans from other devices bring their quests (after a catalogue
        // the round brought, which would not have them).
        if (brought.records_changed || merged.catalog_changed) && self.adopt_own_plans()? {
            merged.catalog_changed = true;
            merged.progress_changed = true;
        }
        Ok(merged)
    }

    /// Keeps the rider's note on a run, written at `at_ms`; `Ok(false)` when
    /// there is no such run.
    pub fn save_feedback(&mut self, run: Uuid, text: &str, at_ms: i64) -> Result<bool> {
        Ok(lock(&self.store).set_feedback(run, text, at_ms)?)
    }

    /// The overlay pack the server sent for `vehicle`, as the store keeps
    /// it for offline use (`None` when none came).
    pub fn cached_overlay_pack(&self, vehicle: &str) -> Option<serde_json::Value> {
        lock(&self.store).overlay_pack(vehicle).ok().flatten()
    }

    /// The rider's latest diagnostic runs, newest first.
    pub fn recent_diagnoses(&self, limit: usize) -> Result<Vec<DiagnosisRecord>> {
        Ok(lock(&self.store).diagnoses(None, limit)?)
    }

    /// The runs recorded before `after` (from the newest without it),
    /// newest first, at most `limit`.
    pub fn diagnoses_after(
        &self,
        after: Option<&DiagnosisRecord>,
        limit: usize,
    ) -> Result<Vec<DiagnosisRecord>> {
        Ok(lock(&self.store).diagnoses(after, limit)?)
    }

    /// A setting saved on this device (`None` if never saved).
    pub fn setting(&self, key: &str) -> Option<String> {
        lock(&self.store).setting(key).ok().flatten()
    }

    /// The store, for the app layer's own modules.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Reads the current bike again (after the garage changed here or a
    /// sync round brought records).
    pub fn refresh_garage(&mut self) -> Result<()> {
        let (bike, vehicle) = crate::bikes::current_in(&lock(&self.store))?;
        self.bike = bike;
        self.vehicle = vehicle;
        Ok(())
    }

    /// Saves a setting on this device (the demo keeps it until it closes).
    pub fn save_setting(&mut self, key: &str, value: &str) -> Result<()> {
        Ok(lock(&self.store).set_setting(key, value)?)
    }

    /// Forgets a setting on this device.
    pub fn forget_setting(&mut self, key: &str) -> Result<()> {
        Ok(lock(&self.store).remove_setting(key)?)
    }

    /// This device's whole file as JSON, but the settings named in
    /// `leave_out` (see `Store::export`); `progress(done, total)` counts
    /// rows.
    pub fn export(
        &self,
        leave_out: &[&str],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<serde_json::Value> {
        Ok(lock(&self.store).export(leave_out, progress)?)
    }

    /// Whether every device's hash chain is intact as far as this session
    /// has read it; the message names the first break.
    pub fn verify(&self) -> std::result::Result<(), String> {
        self.integrity.clone()
    }
}
