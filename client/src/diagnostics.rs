//! The diagnostics screen: type trouble codes and pick symptoms, or read
//! the codes from an OBD-II adapter; see every agent's answer, the
//! consensus, the gate's decision and its safety flags. Each run is
//! recorded (10 XP) at once and syncs later with the other events.
//!
//! Offline, the rule-based agent over the bundled code database answers
//! alone, and the screen says so. Only an approved diagnosis names the
//! components the AR view highlights ([`ApprovedHighlights`]).

use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, TryRecvError};

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_engine::diagnostics::gate::{Decision, GatedDiagnosis, SafetyFlag};
use ridewire_engine::diagnostics::offline;
use ridewire_engine::diagnostics::outcome::AgentStatus;
use ridewire_engine::diagnostics::request::{DiagnosticRequest, VehicleInfo};
use ridewire_engine::vehicle;
use ridewire_offline_store::DiagnosisRecord;
use uuid::Uuid;

use crate::commands::diagnose::{self, Ask, DiagnoseError};
use crate::commands::obd::{self, LinkArgs};
use crate::player::{Clock, Outcome, Player};
use crate::screens::{ContentArea, Screen, show_content};
use crate::{AppSystems, UiSystems, theme};

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
fn add_runs(app: &mut App) {
    app.init_resource::<DiagnosisForm>()
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

/// Components of the latest APPROVED diagnosis, for the AR view to
/// highlight. Escalated and rejected runs never fill it.
#[derive(Resource, Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovedHighlights {
    /// The run they come from.
    pub diagnosis: Option<Uuid>,
    /// Component ids from the shared vocabulary.
    pub components: Vec<String>,
    /// What the run found, what to do and what it may cost, for the
    /// component panel.
    pub finding: Option<Finding>,
}

/// An approved diagnosis in the rider's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub diagnosis: String,
    pub action: String,
    pub cost: Option<String>,
}

impl ApprovedHighlights {
    /// The highlights a run gives: its components if it was approved,
    /// nothing otherwise.
    pub fn of(id: Uuid, result: &GatedDiagnosis) -> Self {
        match (&result.consensus, result.decision) {
            (Some(c), Decision::Approved) => ApprovedHighlights {
                diagnosis: Some(id),
                components: result.highlighted_components.clone(),
                finding: Some(Finding {
                    diagnosis: c.diagnosis.clone(),
                    action: c.recommended_action.clone(),
                    cost: c
                        .estimated_cost
                        .as_ref()
                        .map(|cost| format!("{:.0}–{:.0} {}", cost.min, cost.max, cost.currency)),
                }),
            },
            _ => ApprovedHighlights::default(),
        }
    }
}

/// Earlier runs, newest first, read when the screen opens and after each
/// run (not every frame).
#[derive(Resource, Debug)]
pub struct History(pub Result<Vec<DiagnosisRecord>, String>);

impl Default for History {
    fn default() -> Self {
        History(Ok(Vec::new()))
    }
}

/// How many earlier runs the screen lists.
const HISTORY_SHOWN: usize = 10;

fn load_history(player: Option<Res<Player>>, mut history: ResMut<History>) {
    if let Some(player) = player {
        history.0 = player.recent_diagnoses(HISTORY_SHOWN);
    }
}

/// The adapter read running on its own thread (it blocks on the network).
#[derive(Resource)]
struct AdapterJob(Mutex<Receiver<Result<Vec<String>, String>>>);

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
    let (request, result) = match diagnose::gate_offline(ask) {
        Ok(gated) => gated,
        Err(DiagnoseError::BadInput(e) | DiagnoseError::Failed(e)) => {
            latest.0 = Some(Err(e));
            return;
        }
    };
    form.feedback.clear();
    form.feedback_status = None;
    // Signed in to a server: its agents answer on a worker thread (the
    // network may be slow); the offline answer waits as the fallback.
    if let Some(database) = player.database()
        && player.setting(crate::sync::SERVER_KEY).is_some()
    {
        let (send, receive) = mpsc::channel();
        let clock = *clock;
        let asked = request.clone();
        std::thread::spawn(move || {
            let online = crate::sync::diagnose_online(&database, &asked, &clock);
            let _ = send.send(online);
        });
        commands.insert_resource(OnlineJob {
            answer: Mutex::new(receive),
            request,
            offline: result,
        });
        latest.0 = None;
        return;
    }
    finish_offline(
        &mut player,
        &clock,
        request,
        result,
        None,
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
    answer: Mutex<Receiver<Option<Result<crate::commands::diagnose::Run, String>>>>,
    request: DiagnosticRequest,
    offline: GatedDiagnosis,
}

fn finish_online(
    mut commands: Commands,
    job: Option<Res<OnlineJob>>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
    mut latest: ResMut<LatestDiagnosis>,
    mut highlights: ResMut<ApprovedHighlights>,
) {
    let Some(job) = job else { return };
    let answer = match job.answer.lock() {
        Ok(receiver) => receiver.try_recv(),
        Err(_) => Err(TryRecvError::Disconnected),
    };
    let answer = match answer {
        Err(TryRecvError::Empty) => return,
        Err(TryRecvError::Disconnected) => Some(Err("the request stopped unexpectedly".into())),
        Ok(answer) => answer,
    };
    commands.remove_resource::<OnlineJob>();
    let Some(mut player) = player else { return };
    match answer {
        Some(Ok(run)) => {
            // The server recorded the run and the pull brought it here.
            if let Err(e) = player.reload() {
                warn!("could not re-read the rider's data: {e}");
            }
            *highlights = ApprovedHighlights::of(run.id, &run.result);
            latest.0 = Some(Ok(Finished {
                id: run.id,
                request: run.request,
                result: run.result,
                earned: Outcome::Counted {
                    xp: run.xp,
                    achievements: run.achievements,
                },
                offline_only: false,
                note: Some(format!("Recorded {}.", run.recorded)),
            }));
        }
        other => {
            let note = other.and_then(Result::err).map(|e| {
                format!("The server's agents could not be asked ({e}); the built-in code database answered.")
            });
            finish_offline(
                &mut player,
                &clock,
                job.request.clone(),
                job.offline.clone(),
                note,
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
) {
    let Some(SaveFeedback { run, text }) = saves.read().last().cloned() else {
        return;
    };
    let Some(mut player) = player else { return };
    form.feedback_status = Some(match player.save_feedback(run, text.trim()) {
        Ok(true) => Ok("feedback saved".to_owned()),
        Ok(false) => Err("that run is not in your data".to_owned()),
        Err(e) => Err(e),
    });
    history.0 = player.recent_diagnoses(HISTORY_SHOWN);
}

fn start_adapter_read(mut commands: Commands, mut reads: MessageReader<ReadAdapter>) {
    let Some(ReadAdapter(address)) = reads.read().last().cloned() else {
        return;
    };
    let (send, receive) = mpsc::channel();
    let link = LinkArgs {
        serial: None,
        tcp: Some(address),
        timeout_ms: 2_000,
        baud: 38_400,
    };
    std::thread::spawn(move || {
        let result = obd::read(&link)
            .map(|reading| obd::all_codes(&reading))
            .map_err(|e| e.to_string());
        // The screen may be gone; then nobody wants the answer.
        let _ = send.send(result);
    });
    commands.insert_resource(AdapterJob(Mutex::new(receive)));
}

fn finish_adapter_read(
    mut commands: Commands,
    job: Option<Res<AdapterJob>>,
    mut form: ResMut<DiagnosisForm>,
) {
    let Some(job) = job else { return };
    let answer = match job.0.lock() {
        Ok(receiver) => receiver.try_recv(),
        Err(_) => Err(TryRecvError::Disconnected),
    };
    let status = match answer {
        Err(TryRecvError::Empty) => return,
        Err(TryRecvError::Disconnected) => Err("the adapter read stopped unexpectedly".into()),
        Ok(Ok(codes)) if codes.is_empty() => {
            Ok("the adapter reports no stored or pending codes".into())
        }
        Ok(Ok(codes)) => {
            form.codes = codes.join(" ");
            Ok(format!("read {} code(s) from the adapter", codes.len()))
        }
        Ok(Err(e)) => Err(e),
    };
    form.adapter_status = Some(status);
    commands.remove_resource::<AdapterJob>();
}

#[allow(clippy::too_many_arguments)]
fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    mut form: ResMut<DiagnosisForm>,
    latest: Res<LatestDiagnosis>,
    history: Res<History>,
    reading: Option<Res<AdapterJob>>,
    asking: Option<Res<OnlineJob>>,
    mut run: MessageWriter<RunDiagnosis>,
    mut read: MessageWriter<ReadAdapter>,
    mut feedback: MessageWriter<SaveFeedback>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    show_content(ctx, &area, "diagnostics", |ui| {
        ui.label(RichText::new("Diagnose").size(24.0).strong());
        ui.add_space(6.0);
        theme::card().show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label("Trouble codes:");
                ui.add(
                    egui::TextEdit::singleline(&mut form.codes)
                        .hint_text("e.g. P0300 P0171")
                        .desired_width(260.0),
                );
            });
            ui.add_space(4.0);
            ui.label("Symptoms:");
            ui.horizontal_wrapped(|ui| {
                for key in offline::known_symptoms() {
                    let mut on = form.symptoms.iter().any(|s| s == key);
                    if ui.toggle_value(&mut on, key.replace('_', " ")).changed() {
                        if on {
                            form.symptoms.push(key.to_owned());
                        } else {
                            form.symptoms.retain(|s| s != key);
                        }
                    }
                }
            });
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label("Wi-Fi adapter:");
                ui.add(
                    egui::TextEdit::singleline(&mut form.adapter)
                        .hint_text("192.168.0.10:35000")
                        .desired_width(200.0),
                );
                let busy = reading.is_some();
                let can_read = !busy && !form.adapter.trim().is_empty();
                if ui
                    .add_enabled(can_read, egui::Button::new("Read codes"))
                    .clicked()
                {
                    read.write(ReadAdapter(form.adapter.trim().to_owned()));
                }
                if busy {
                    ui.label(RichText::new("reading…").color(theme::MUTED));
                }
            });
            match &form.adapter_status {
                Some(Ok(s)) => {
                    ui.label(RichText::new(s).color(theme::OK));
                }
                Some(Err(e)) => {
                    ui.label(RichText::new(format!("Adapter: {e}")).color(theme::WARN));
                }
                None => {}
            }
            ui.add_space(6.0);
            if ui
                .button(RichText::new("Diagnose").size(18.0).strong())
                .clicked()
            {
                run.write(RunDiagnosis);
            }
        });
        ui.add_space(10.0);
        match &latest.0 {
            Some(Ok(done)) => {
                result_card(ui, done);
                feedback_box(ui, done.id, &mut form, &mut feedback);
            }
            Some(Err(e)) => {
                ui.label(RichText::new(e).color(theme::WARN));
            }
            None if asking.is_some() => {
                ui.label(RichText::new("Asking the server's agents…").color(theme::MUTED));
            }
            None => {
                ui.label(
                    RichText::new("Enter codes or pick symptoms, then Diagnose.")
                        .color(theme::MUTED),
                );
            }
        }
        ui.add_space(10.0);
        history_list(ui, &history);
    });
    Ok(())
}

fn feedback_box(
    ui: &mut egui::Ui,
    run: Uuid,
    form: &mut DiagnosisForm,
    feedback: &mut MessageWriter<SaveFeedback>,
) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.label("Did it help?");
        ui.add(
            egui::TextEdit::singleline(&mut form.feedback)
                .hint_text("e.g. new plugs fixed it, 60 EUR")
                .desired_width(320.0),
        );
        let has_text = !form.feedback.trim().is_empty();
        if ui
            .add_enabled(has_text, egui::Button::new("Save note"))
            .clicked()
        {
            feedback.write(SaveFeedback {
                run,
                text: form.feedback.clone(),
            });
        }
    });
    match &form.feedback_status {
        Some(Ok(m)) => {
            ui.label(RichText::new(m).color(theme::OK));
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(theme::WARN));
        }
        None => {}
    }
}

fn history_list(ui: &mut egui::Ui, history: &History) {
    match &history.0 {
        Err(e) => {
            ui.label(
                RichText::new(format!("Earlier runs could not be read: {e}")).color(theme::WARN),
            );
        }
        Ok(runs) if runs.is_empty() => {}
        Ok(runs) => {
            ui.label(RichText::new("Earlier runs").strong());
            for run in runs {
                let (label, colour) = verdict(run.result.decision);
                let when = chrono::DateTime::from_timestamp_millis(run.at_ms)
                    .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M").to_string());
                let codes: Vec<String> =
                    run.request.codes.iter().map(ToString::to_string).collect();
                let what = if codes.is_empty() {
                    run.request.symptoms.join(", ").replace('_', " ")
                } else {
                    codes.join(" ")
                };
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(when).color(theme::MUTED));
                    ui.label(what);
                    ui.label(RichText::new(label).color(colour));
                    if let Some(c) = &run.result.consensus {
                        ui.label(RichText::new(&c.diagnosis).color(theme::MUTED));
                    }
                });
                if let Some(note) = &run.feedback {
                    ui.label(RichText::new(format!("  Your note: {note}")).color(theme::GOLD));
                }
            }
        }
    }
}

/// The decision in the rider's words, with its colour.
pub fn verdict(decision: Decision) -> (&'static str, egui::Color32) {
    match decision {
        Decision::Approved => ("Approved", theme::OK),
        Decision::Escalated => ("Escalated: have a mechanic confirm", theme::ACCENT),
        Decision::Rejected => ("Rejected: not safe to act on", theme::WARN),
    }
}

fn component_name(id: &str) -> String {
    vehicle::component(id).map_or_else(|| id.to_owned(), |c| c.name)
}

fn result_card(ui: &mut egui::Ui, done: &Finished) {
    let r = &done.result;
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        let (label, colour) = verdict(r.decision);
        ui.horizontal(|ui| {
            ui.label(RichText::new(label).size(20.0).strong().color(colour));
            if let Some(c) = &r.consensus {
                ui.label(
                    RichText::new(format!(
                        "agreement {:.2} · confidence {:.2}",
                        c.score, c.confidence
                    ))
                    .color(theme::MUTED),
                );
            }
        });
        if let Some(note) = &done.note {
            ui.label(RichText::new(note).color(theme::MUTED));
        }
        if done.offline_only && done.note.is_none() {
            ui.label(
                RichText::new(
                    "Offline: only the built-in code database answered. Online agents join \
                     when a server is set up in Settings.",
                )
                .color(theme::MUTED),
            );
        }
        if let Some(c) = &r.consensus {
            ui.add_space(4.0);
            ui.label(RichText::new(&c.diagnosis).size(16.0));
            ui.label(format!("Do: {}", c.recommended_action));
            if let Some(cost) = &c.estimated_cost {
                ui.label(format!(
                    "Estimated cost: {:.0}–{:.0} {}",
                    cost.min, cost.max, cost.currency
                ));
            }
        }
        if !r.highlighted_components.is_empty() {
            let names: Vec<String> = r
                .highlighted_components
                .iter()
                .map(|c| component_name(c))
                .collect();
            ui.label(
                RichText::new(format!("Highlighted in AR: {}", names.join(", "))).color(theme::OK),
            );
        }
        for flag in &r.flags {
            let text = match flag {
                SafetyFlag::UnsafeRecommendation { finding, .. } => {
                    format!("Unsafe recommendation: {}", finding.reason)
                }
                SafetyFlag::NoValidAnswers => "No agent gave a usable answer".to_owned(),
                SafetyFlag::SingleAgent => {
                    "Single agent: agreement between agents could not be checked".to_owned()
                }
            };
            ui.label(RichText::new(text).color(theme::WARN));
        }
        ui.add_space(4.0);
        ui.label(RichText::new("Agents").strong());
        for report in &r.answers {
            let status = match &report.status {
                AgentStatus::Used { .. } => "answered".to_owned(),
                AgentStatus::InvalidOutput { error, .. } => format!("left out: {error}"),
                AgentStatus::TimedOut => "left out: timed out".to_owned(),
                AgentStatus::Failed { reason } => format!("left out: {reason}"),
                AgentStatus::DuplicateAgent { .. } => "left out: answered twice".to_owned(),
            };
            ui.label(format!("• {}: {status}", report.agent));
        }
        ui.add_space(4.0);
        let earned = match &done.earned {
            Outcome::Counted { xp, achievements } if achievements.is_empty() => {
                format!("+{xp} XP")
            }
            Outcome::Counted { xp, achievements } => {
                format!("+{xp} XP · unlocked {}", achievements.join(", "))
            }
            Outcome::NotCounted(reason) => format!("recorded, not counted: {reason:?}"),
            Outcome::Failed(e) => format!("not recorded: {e}"),
        };
        ui.label(RichText::new(earned).color(theme::GOLD));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridewire_engine::event::EventKind;

    fn app(player: Player) -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins);
        app.configure_sets(Update, AppSystems::Record);
        add_runs(&mut app);
        app.insert_resource(clock());
        app.insert_resource(player);
        app
    }

    fn clock() -> Clock {
        Clock::Fixed {
            at_ms: 1_772_438_400_000,
            utc_offset_min: 60,
        }
    }

    fn diagnose(app: &mut App, codes: &str, symptoms: &[&str]) -> Finished {
        {
            let mut form = app.world_mut().resource_mut::<DiagnosisForm>();
            form.codes = codes.to_owned();
            form.symptoms = symptoms.iter().map(|s| (*s).to_owned()).collect();
        }
        app.world_mut().write_message(RunDiagnosis);
        app.update();
        match &app.world().resource::<LatestDiagnosis>().0 {
            Some(Ok(done)) => done.clone(),
            other => panic!("no diagnosis: {other:?}"),
        }
    }

    #[test]
    fn a_run_is_recorded_at_once_and_earns_the_first_diagnosis_achievement() {
        let dir = tempfile::tempdir().expect("temp dir");
        let player = Player::open(&dir.path().join("rider.db"), &clock()).expect("open");
        let mut app = app(player);
        let done = diagnose(&mut app, "P0300, p0171", &["rough_idle"]);
        assert_eq!(done.request.codes.len(), 2, "both codes were read");
        assert!(done.offline_only);
        assert_eq!(
            done.earned,
            Outcome::Counted {
                xp: 10,
                achievements: vec!["ACH-FIRST-DIAG".into()]
            }
        );
        let history = &app.world().resource::<History>().0;
        let listed: Vec<Uuid> = history
            .as_ref()
            .expect("history")
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(
            listed,
            vec![done.id],
            "the run is listed as soon as it is made"
        );
        let player = app.world().resource::<Player>();
        assert_eq!(player.progress().xp(), 10);
        let last = player.events().last().expect("an event");
        assert!(
            matches!(&last.kind, EventKind::DiagnosticRun { diagnostic_id, .. } if *diagnostic_id == done.id)
        );
    }

    #[test]
    fn only_an_approved_run_lights_up_components_in_ar() {
        let player = Player::demo(&clock()).expect("demo");
        let mut app = app(player);
        let first = diagnose(&mut app, "P0300", &["rough_idle", "misfire"]);
        let highlights = app.world().resource::<ApprovedHighlights>().clone();
        if first.result.decision == Decision::Approved {
            assert_eq!(highlights.diagnosis, Some(first.id));
            assert_eq!(highlights.components, first.result.highlighted_components);
            assert!(!highlights.components.is_empty());
        } else {
            assert_eq!(highlights, ApprovedHighlights::default());
        }
        // A vague symptom alone is never approved, and must not leave the
        // previous run's components lit.
        let second = diagnose(&mut app, "", &["brake_noise"]);
        assert_ne!(second.result.decision, Decision::Approved);
        assert_eq!(
            *app.world().resource::<ApprovedHighlights>(),
            ApprovedHighlights::default()
        );
    }

    #[test]
    fn a_note_on_a_run_is_kept_and_listed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let player = Player::open(&dir.path().join("rider.db"), &clock()).expect("open");
        let mut app = app(player);
        let done = diagnose(&mut app, "P0300", &[]);
        app.world_mut().write_message(SaveFeedback {
            run: done.id,
            text: " new plugs fixed it ".into(),
        });
        app.update();
        let form = app.world().resource::<DiagnosisForm>();
        assert_eq!(form.feedback_status, Some(Ok("feedback saved".into())));
        let history = app
            .world()
            .resource::<History>()
            .0
            .as_ref()
            .expect("history");
        assert_eq!(history[0].feedback.as_deref(), Some("new plugs fixed it"));
        // A run that is not there is said so, not silently dropped.
        app.world_mut().write_message(SaveFeedback {
            run: Uuid::from_u128(42),
            text: "x".into(),
        });
        app.update();
        let form = app.world().resource::<DiagnosisForm>();
        assert!(matches!(form.feedback_status, Some(Err(_))));
    }

    #[test]
    fn bad_codes_say_what_is_wrong_and_record_nothing() {
        let player = Player::demo(&clock()).expect("demo");
        let mut app = app(player);
        let before = app.world().resource::<Player>().events().len();
        app.world_mut().resource_mut::<DiagnosisForm>().codes = "P03X0".into();
        app.world_mut().write_message(RunDiagnosis);
        app.update();
        match &app.world().resource::<LatestDiagnosis>().0 {
            Some(Err(e)) => assert!(e.contains("P03X0"), "{e}"),
            other => panic!("expected an error, got {other:?}"),
        }
        assert_eq!(app.world().resource::<Player>().events().len(), before);
    }

    #[test]
    fn an_unreachable_adapter_is_reported_not_hung_on() {
        let player = Player::demo(&clock()).expect("demo");
        let mut app = app(player);
        // A port nothing listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        app.world_mut()
            .write_message(ReadAdapter(format!("127.0.0.1:{port}")));
        let started = std::time::Instant::now();
        loop {
            app.update();
            if app
                .world()
                .resource::<DiagnosisForm>()
                .adapter_status
                .is_some()
            {
                break;
            }
            assert!(started.elapsed().as_secs() < 30, "the read never finished");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let form = app.world().resource::<DiagnosisForm>();
        assert!(matches!(&form.adapter_status, Some(Err(_))), "{form:?}");
        assert!(form.codes.is_empty(), "no codes were made up");
    }
}
