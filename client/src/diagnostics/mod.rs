//! The diagnostics screen: type trouble codes and pick symptoms, or read
//! the codes from an OBD-II adapter; see every agent's answer, the
//! consensus, the gate's decision and its safety flags. Each run is
//! recorded (10 XP) at once and syncs later with the other events.
//!
//! Offline, the rule-based agent over the bundled code database answers
//! alone, and the screen says so. Only an approved diagnosis names the
//! components the AR view highlights ([`ApprovedHighlights`]).

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::task::Pending;
use ridewire_engine::diagnostics::gate::{Decision, GatedDiagnosis, SafetyFlag};
use ridewire_engine::diagnostics::offline;
use ridewire_engine::diagnostics::outcome::AgentStatus;
use ridewire_engine::diagnostics::request::{DiagnosticRequest, VehicleInfo};
use ridewire_engine::diagnostics::review::Review;
use ridewire_engine::vehicle;
use ridewire_offline_store::DiagnosisRecord;
use ridewire_sync_client::OnlineDiagnosis;
use uuid::Uuid;

use crate::player::{Clock, Outcome, Player};
use crate::screens::{ContentArea, Screen, show_content};
pub use crate::shared::{ApprovedHighlights, Finding};
use crate::shared::{SyncLink, Synced};
use crate::{AppSystems, UiSystems, theme};
use ridewire_app::diagnosis::{self, Ask, DiagnoseError};
use ridewire_app::obd::{self, Link};

mod panel;
#[cfg(test)]
mod tests;

use panel::draw;
pub use panel::verdict;

pub(super) fn plugin(app: &mut App) {
    add_runs(app);
    app.add_systems(OnEnter(Screen::Diagnostics), load_history)
        .add_systems(
            EguiPrimaryContextPass,
            draw.in_set(UiSystems::Screen)
                .run_if(in_state(Screen::Diagnostics)),
        );
}

/// Everything but the drawing: runs, adapter reads, history, highlights.
pub(crate) fn add_runs(app: &mut App) {
    app.init_resource::<DiagnosisForm>()
        .add_message::<Synced>()
        .init_resource::<LatestDiagnosis>()
        .init_resource::<ApprovedHighlights>()
        .init_resource::<History>()
        .add_message::<RunDiagnosis>()
        .add_message::<ReadAdapter>()
        .add_message::<SaveFeedback>()
        .add_systems(
            Update,
            (
                run_diagnosis,
                finish_online,
                save_feedback,
                load_history.run_if(resource_changed::<LatestDiagnosis>),
                load_history.run_if(history_synced),
                start_adapter_read,
                finish_adapter_read,
            )
                .chain()
                .in_set(AppSystems::Record),
        );
}

/// What the rider has typed and picked so far.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct DiagnosisForm {
    /// Trouble codes as typed: separated by spaces or commas.
    pub codes: String,
    /// Picked symptom keys (see [`offline::known_symptoms`]).
    pub symptoms: Vec<String>,
    /// A Wi-Fi adapter's `HOST:PORT`.
    pub adapter: String,
    /// What the adapter read, or why it could not.
    pub adapter_status: Option<Result<String, String>>,
    /// The rider's note on the latest run (did the fix work?).
    pub feedback: String,
    /// Whether the note was saved, or why not.
    pub feedback_status: Option<Result<String, String>>,
}

impl DiagnosisForm {
    /// The codes as separate words.
    pub fn code_list(&self) -> Vec<String> {
        self.codes
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Ask for a diagnosis of the form's codes and symptoms.
#[derive(Message, Debug, Clone, Default)]
pub struct RunDiagnosis;

/// Keep the rider's note on a run (did the fix work, what it cost).
#[derive(Message, Debug, Clone)]
pub struct SaveFeedback {
    pub run: Uuid,
    pub text: String,
}

/// Read codes from the adapter at this `HOST:PORT`.
#[derive(Message, Debug, Clone)]
pub struct ReadAdapter(pub String);

/// The last run on this screen, or why it could not run.
#[derive(Resource, Debug, Default)]
pub struct LatestDiagnosis(pub Option<Result<Finished, String>>);

/// A run the rider just made.
#[derive(Debug, Clone)]
pub struct Finished {
    pub id: Uuid,
    pub request: DiagnosticRequest,
    pub result: GatedDiagnosis,
    /// XP and achievements it earned, or why it was not counted.
    pub earned: Outcome,
    /// Only the rule-based agent answered (no server configured or reachable).
    pub offline_only: bool,
    /// What the rider should know about where it was answered and kept.
    pub note: Option<String>,
}

/// Earlier runs, newest first, read when the screen opens and after each
/// run (not every frame).
/// The second field holds the mechanics' reviews of the listed runs.
#[derive(Resource, Debug)]
pub struct History(
    pub ridewire_app::Result<Vec<DiagnosisRecord>>,
    pub Vec<(Uuid, Review)>,
);

impl Default for History {
    fn default() -> Self {
        History(Ok(Vec::new()), Vec::new())
    }
}

impl History {
    /// The runs the screen lists and their reviews, read from `player`.
    fn read(player: &Player) -> Self {
        let runs = recent(player);
        let reviews = runs
            .iter()
            .flatten()
            .filter_map(|run| {
                ridewire_app::diagnosis::review_of(player, run.id).map(|r| (run.id, r.clone()))
            })
            .collect();
        History(runs, reviews)
    }

    /// The review of `run`, if a mechanic answered it.
    pub fn review(&self, run: Uuid) -> Option<&Review> {
        self.1.iter().find(|(id, _)| *id == run).map(|(_, r)| r)
    }
}

/// How many earlier runs the screen lists.
pub const HISTORY_SHOWN: usize = 10;

fn load_history(player: Option<Res<Player>>, mut history: ResMut<History>) {
    if let Some(player) = player {
        *history = History::read(&player);
    }
}

/// The runs the screen lists: the current bike's, newest first.
fn recent(player: &Player) -> ridewire_app::Result<Vec<DiagnosisRecord>> {
    ridewire_app::diagnosis::of_current_bike(player, HISTORY_SHOWN)
}

/// A sync round brought runs or notes from elsewhere.
fn history_synced(mut synced: MessageReader<Synced>) -> bool {
    synced.read().fold(false, |any, s| any | s.history_changed)
}

/// The adapter read running on its own thread (it blocks on the network).
#[derive(Resource)]
struct AdapterJob(Pending<Result<Vec<String>, String>>);

fn vehicle_info(player: &Player) -> VehicleInfo {
    VehicleInfo {
        make: player.vehicle.make.clone(),
        model: player.vehicle.model.clone(),
        year: player.vehicle.year,
    }
}

#[allow(clippy::too_many_arguments)]
fn run_diagnosis(
    mut commands: Commands,
    mut asks: MessageReader<RunDiagnosis>,
    mut form: ResMut<DiagnosisForm>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
    mut latest: ResMut<LatestDiagnosis>,
    mut highlights: ResMut<ApprovedHighlights>,
    link: Option<Res<SyncLink>>,
) {
    if asks.read().last().is_none() {
        return;
    }
    let Some(mut player) = player else {
        latest.0 = Some(Err("no rider data is loaded".into()));
        return;
    };
    let ask = Ask {
        codes: form.code_list(),
        symptoms: form.symptoms.clone(),
        query: None,
        vehicle: vehicle_info(&player),
    };
    let (request, result) = match diagnosis::gate_offline(ask) {
        Ok(gated) => gated,
        Err(DiagnoseError::BadInput(e) | DiagnoseError::Failed(e)) => {
            latest.0 = Some(Err(e));
            return;
        }
    };
    form.feedback.clear();
    form.feedback_status = None;
    // Signed in to a server: the syncer asks its agents (the network may be
    // slow); the offline answer waits as the fallback.
    let mut note = None;
    if let Some(syncer) = link.as_ref().and_then(|l| l.syncer())
        && !player.is_demo()
    {
        let (_, offset) = clock.now();
        match syncer.diagnose(request.clone(), offset) {
            Ok(answer) => {
                commands.insert_resource(OnlineJob {
                    answer: Pending::from("the sync thread", answer),
                    request,
                    offline: result,
                });
                latest.0 = None;
                return;
            }
            Err(e) => {
                note = Some(format!(
                    "The server's agents could not be asked ({e}); the built-in code database answered."
                ));
            }
        }
    }
    finish_offline(
        &mut player,
        &clock,
        request,
        result,
        note,
        &mut latest,
        &mut highlights,
    );
}

/// Records a run answered here by the offline agent.
fn finish_offline(
    player: &mut Player,
    clock: &Clock,
    request: DiagnosticRequest,
    result: GatedDiagnosis,
    note: Option<String>,
    latest: &mut LatestDiagnosis,
    highlights: &mut ApprovedHighlights,
) {
    let id = Uuid::now_v7();
    let (at, offset) = clock.now();
    let earned = player.record_diagnosis(id, &request, &result, at, offset);
    // The newest run governs what AR shows: a run that is not approved
    // clears older highlights rather than leaving them lit.
    *highlights = ApprovedHighlights::of(id, &result);
    latest.0 = Some(Ok(Finished {
        id,
        request,
        result,
        earned,
        offline_only: true,
        note,
    }));
}

/// A diagnosis the server's agents are working on.
#[derive(Resource)]
struct OnlineJob {
    answer: Pending<ridewire_sync_client::Result<OnlineDiagnosis>>,
    request: DiagnosticRequest,
    offline: GatedDiagnosis,
}

#[allow(clippy::too_many_arguments)]
fn finish_online(
    mut commands: Commands,
    job: Option<Res<OnlineJob>>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
    link: Option<Res<SyncLink>>,
    mut latest: ResMut<LatestDiagnosis>,
    mut highlights: ResMut<ApprovedHighlights>,
) {
    let Some(job) = job else { return };
    let Some(answer) = job.answer.poll() else {
        return;
    };
    commands.remove_resource::<OnlineJob>();
    let Some(mut player) = player else { return };
    let server = link
        .as_ref()
        .and_then(|l| l.server.clone())
        .unwrap_or_else(|| "the server".into());
    match answer.and_then(|a| Ok(a?)) {
        Ok(OnlineDiagnosis { run, not_synced }) => {
            // The server recorded the run; its event comes with the round
            // the syncer ran after asking, merged like any other.
            *highlights = ApprovedHighlights::of(run.id, &run.panel.diagnosis);
            let recorded = match not_synced {
                None => format!("on {server}, and on this device"),
                Some(e) => format!("on {server}; reaches this device with the next sync ({e})"),
            };
            latest.0 = Some(Ok(Finished {
                id: run.id,
                request: run.request,
                result: run.panel.diagnosis,
                earned: Outcome::Counted {
                    xp: run.xp_earned,
                    achievements: run.achievements,
                },
                offline_only: false,
                note: Some(format!("Recorded {recorded}.")),
            }));
        }
        Err(e) => {
            let note = format!(
                "The server's agents could not be asked ({e}); the built-in code database answered."
            );
            finish_offline(
                &mut player,
                &clock,
                job.request.clone(),
                job.offline.clone(),
                Some(note),
                &mut latest,
                &mut highlights,
            );
        }
    }
}

fn save_feedback(
    mut saves: MessageReader<SaveFeedback>,
    player: Option<ResMut<Player>>,
    mut form: ResMut<DiagnosisForm>,
    mut history: ResMut<History>,
    clock: Res<Clock>,
    link: Option<Res<SyncLink>>,
) {
    let Some(SaveFeedback { run, text }) = saves.read().last().cloned() else {
        return;
    };
    let Some(mut player) = player else { return };
    let (at_ms, _) = clock.now();
    form.feedback_status = Some(match player.save_feedback(run, text.trim(), at_ms) {
        Ok(true) => {
            // Off to the server (when signed in) without waiting for the timer.
            if let Some(link) = &link {
                link.sync_now();
            }
            Ok("feedback saved".to_owned())
        }
        Ok(false) => Err("that run is not in your data".to_owned()),
        Err(e) => Err(e.to_string()),
    });
    *history = History::read(&player);
}

fn start_adapter_read(mut commands: Commands, mut reads: MessageReader<ReadAdapter>) {
    let Some(ReadAdapter(address)) = reads.read().last().cloned() else {
        return;
    };
    let link = Link {
        serial: None,
        tcp: Some(address),
        timeout_ms: 2_000,
        baud: 38_400,
    };
    commands.insert_resource(AdapterJob(Pending::spawn("the adapter read", move || {
        obd::read(&link)
            .map(|reading| obd::all_codes(&reading))
            .map_err(|e| e.to_string())
    })));
}

fn finish_adapter_read(
    mut commands: Commands,
    job: Option<Res<AdapterJob>>,
    mut form: ResMut<DiagnosisForm>,
) {
    let Some(job) = job else { return };
    let Some(answer) = job.0.poll() else { return };
    let status = match answer.map_err(|e| e.to_string()).and_then(|read| read) {
        Ok(codes) if codes.is_empty() => {
            Ok("the adapter reports no stored or pending codes".into())
        }
        Ok(codes) => {
            form.codes = codes.join(" ");
            Ok(format!("read {} code(s) from the adapter", codes.len()))
        }
        Err(e) => Err(e),
    };
    form.adapter_status = Some(status);
    commands.remove_resource::<AdapterJob>();
}
