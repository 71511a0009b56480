//! The diagnosis a rider asks for: the rider's input checked, the
//! rule-based agent over the bundled code database asked, its answer gated
//! ([`gate_offline`], no network); then [`answer`] asks the server's agents
//! when the rider has signed in and records the run. The command line, the
//! Diagnose screen and the phones start here; [`of_current_bike`] is the
//! history of the bike in hand.

use std::fmt::Write as _;

use ridewire_engine::diagnostics::codes::CodeDatabase;
use ridewire_engine::diagnostics::gate::{self, GatedDiagnosis, SafetyFlag};
use ridewire_engine::diagnostics::outcome::AgentStatus;
use ridewire_engine::diagnostics::request::{DiagnosticRequest, VehicleInfo};
use ridewire_engine::diagnostics::review::Review;
use ridewire_engine::diagnostics::{Dtc, offline};
use ridewire_engine::event::EventKind;

use ridewire_offline_store::DiagnosisRecord;
use ridewire_sync_client::{OnlineDiagnosis, SyncHandle};

use crate::bikes;
use crate::rider::{Outcome, Rider};

/// A finished run: the gated diagnosis and what recording it earned.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Run {
    pub id: uuid::Uuid,
    pub request: DiagnosticRequest,
    pub result: GatedDiagnosis,
    /// XP the run earned (10 per run).
    pub xp: u64,
    /// Achievements the run unlocked.
    pub achievements: Vec<String>,
    /// Where the run was recorded, or why it was not.
    pub recorded: String,
}

/// What the rider asked.
#[derive(Debug, Clone)]
pub struct Ask {
    pub codes: Vec<String>,
    pub symptoms: Vec<String>,
    pub query: Option<String>,
    pub vehicle: VehicleInfo,
}

/// Why a diagnosis could not be made, with the exit code the command line
/// maps it to.
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    /// The rider's input is wrong (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// Something the rider cannot fix by retyping (exit 1).
    #[error("{0}")]
    Failed(String),
}

/// Checks the rider's input, asks the agents reachable without a network
/// (the rule-based agent over the bundled code database) and gates their
/// consensus. Records nothing: the caller does.
pub fn gate_offline(ask: Ask) -> Result<(DiagnosticRequest, GatedDiagnosis), DiagnoseError> {
    let codes = ask
        .codes
        .iter()
        .map(|c| {
            c.parse::<Dtc>()
                .map_err(|e| DiagnoseError::BadInput(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let request = DiagnosticRequest {
        query: ask.query.unwrap_or_else(|| {
            let mut q = String::from("Diagnose");
            for c in &codes {
                let _ = write!(q, " {c}");
            }
            q
        }),
        vehicle: ask.vehicle,
        symptoms: ask.symptoms,
        codes,
    };
    request
        .validate()
        .map_err(|e| DiagnoseError::BadInput(e.to_string()))?;
    let db = CodeDatabase::bundled()
        .map_err(|e| DiagnoseError::Failed(format!("the bundled code database is damaged: {e}")))?;
    let outcomes = vec![offline::answer(&request, &db)];
    let result =
        gate::diagnose(&request, outcomes).map_err(|e| DiagnoseError::BadInput(e.to_string()))?;
    Ok((request, result))
}

/// Answers a checked question ([`gate_offline`]) and records the run, as
/// `ridewire diagnose` and the phones do. Signed in, the server's agents
/// answer (the offline one among them): through the device's running
/// syncer when there is one (`syncer`), else through one started for the
/// question; the server records the run and the syncer brings it here (the
/// rider's session is read again). Not signed in, in the demo garage, or
/// when the server cannot be asked, the offline answer is recorded here and
/// reaches the server with the next sync. A failure to record is reported
/// in [`Run::recorded`], never hidden, and does not withhold the diagnosis.
pub fn answer(
    rider: &mut Rider,
    checked: (DiagnosticRequest, GatedDiagnosis),
    now_ms: i64,
    utc_offset_min: i16,
    syncer: Option<&SyncHandle>,
) -> Run {
    let asked = ask(&Asking::of(rider), &checked.0, utc_offset_min, syncer);
    finish(rider, checked, asked, now_ms, utc_offset_min)
}

/// What asking the server's agents needs from the rider's session, read
/// beforehand so the network wait holds none of it.
#[derive(Debug, Clone)]
pub struct Asking {
    database: Option<std::path::PathBuf>,
    server: Option<String>,
}

impl Asking {
    pub fn of(rider: &Rider) -> Self {
        Asking {
            database: rider.database(),
            server: crate::account::Saved::of(rider).server,
        }
    }
}

/// The network part of [`answer`]: the server's agents through the
/// running syncer, else through one started for the question when the
/// rider has signed in; `None` when there is no server to ask.
pub fn ask(
    asking: &Asking,
    request: &DiagnosticRequest,
    utc_offset_min: i16,
    syncer: Option<&SyncHandle>,
) -> Option<crate::Result<(String, OnlineDiagnosis)>> {
    let database = asking.database.as_ref()?;
    match syncer {
        Some(handle) => {
            let server = asking.server.clone().unwrap_or_default();
            Some(ask_running(handle, request.clone(), utc_offset_min).map(|run| (server, run)))
        }
        None => crate::account::diagnose_once(database, request.clone(), utc_offset_min),
    }
}

/// The recording part of [`answer`]: the server's run read back into the
/// rider's session, or the offline answer recorded (saying why the server's
/// agents were not asked, when they could not be).
pub fn finish(
    rider: &mut Rider,
    checked: (DiagnosticRequest, GatedDiagnosis),
    asked: Option<crate::Result<(String, OnlineDiagnosis)>>,
    now_ms: i64,
    utc_offset_min: i16,
) -> Run {
    let (request, result) = checked;
    let mut note = None;
    match asked {
        Some(Ok((server, online))) => {
            let mut recorded = match online.not_synced {
                None => format!("on {server}, and on this device"),
                Some(e) => {
                    format!("on {server}; reaches this device with the next sync ({e})")
                }
            };
            if let Err(e) = rider.reload() {
                let _ = write!(recorded, "; this device could not read it back ({e})");
            }
            let run = online.run;
            return Run {
                id: run.id,
                request: run.request,
                result: run.panel.diagnosis,
                xp: run.xp_earned,
                achievements: run.achievements,
                recorded,
            };
        }
        Some(Err(e)) => {
            note = Some(format!(
                "the server's agents could not be asked ({e}); the offline agent answered"
            ));
        }
        None => {}
    }
    let id = uuid::Uuid::now_v7();
    let (xp, achievements, mut recorded) =
        match rider.record_diagnosis(id, &request, &result, now_ms, utc_offset_min) {
            Outcome::Counted { xp, achievements } => (xp, achievements, rider.storage()),
            Outcome::NotCounted(reason) => {
                (0, vec![], format!("recorded, not counted: {reason:?}"))
            }
            Outcome::Failed(e) => (0, vec![], format!("not recorded: {e}")),
        };
    if let Some(note) = note {
        recorded = format!("{recorded}; {note}");
    }
    Run {
        id,
        request,
        result,
        xp,
        achievements,
        recorded,
    }
}

/// Asks the server's agents through the running syncer and waits for the
/// answer (the round after it brings the run here).
fn ask_running(
    handle: &SyncHandle,
    request: DiagnosticRequest,
    utc_offset_min: i16,
) -> crate::Result<OnlineDiagnosis> {
    let answer = handle.diagnose(request, utc_offset_min)?;
    Ok(crate::task::Pending::from("the sync thread", answer).wait()??)
}

/// The runs about the current bike, newest first, at most `limit`: those
/// whose make, model and year are the current bike's (a run names its bike
/// by those, as the agents were asked). Two bikes of the same model and
/// year share their runs.
pub fn of_current_bike(rider: &Rider, limit: usize) -> crate::Result<Vec<DiagnosisRecord>> {
    let wanted = &rider.vehicle.model_key;
    let mut found = Vec::new();
    let mut after: Option<DiagnosisRecord> = None;
    loop {
        let page = rider.diagnoses_after(after.as_ref(), 100)?;
        let Some(last) = page.last().cloned() else {
            return Ok(found);
        };
        for run in page {
            let v = &run.request.vehicle;
            if bikes::model_key(&v.make, &v.model, v.year).is_ok_and(|k| k == *wanted) {
                found.push(run);
                if found.len() >= limit {
                    return Ok(found);
                }
            }
        }
        after = Some(last);
    }
}

/// The newest mechanic's review of the run `run`, from the rider's log (a
/// `DiagnosisReviewed` event pulled from the server); `None` while nobody
/// has answered it.
pub fn review_of(rider: &Rider, run: uuid::Uuid) -> Option<&Review> {
    rider
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::DiagnosisReviewed {
                diagnostic_id,
                review,
            } if *diagnostic_id == run => Some((e.at_ms, review.as_ref())),
            _ => None,
        })
        .max_by_key(|(at_ms, _)| *at_ms)
        .map(|(_, review)| review)
}

/// What a run lights in AR: the gate's components when it approved, the
/// reviewing mechanic's when they approved or corrected an escalated run,
/// nothing otherwise.
pub fn lit_components<'a>(run: &'a DiagnosisRecord, review: Option<&'a Review>) -> &'a [String] {
    match (run.result.decision, review) {
        (gate::Decision::Approved, _) => &run.result.highlighted_components,
        (gate::Decision::Escalated, Some(review)) => review.lit_components(),
        _ => &[],
    }
}

/// What became of one agent's answer, in the rider's words ("used", or
/// "left out: …").
pub fn agent_status(status: &AgentStatus) -> String {
    match status {
        AgentStatus::Used { .. } => "used".to_owned(),
        AgentStatus::InvalidOutput { error, .. } => format!("left out: {error}"),
        AgentStatus::TimedOut => "left out: timed out".to_owned(),
        AgentStatus::Failed { reason } => format!("left out: {reason}"),
        AgentStatus::DuplicateAgent { .. } => "left out: answered twice".to_owned(),
    }
}

/// A safety flag of the gate, in the rider's words.
pub fn flag_text(flag: &SafetyFlag) -> String {
    match flag {
        SafetyFlag::UnsafeRecommendation { finding, .. } => {
            format!("unsafe_recommendation: {}", finding.reason)
        }
        SafetyFlag::LanguageNotCovered { agent } => {
            format!("language_not_covered: {agent}'s answer is not in English")
        }
        SafetyFlag::NoValidAnswers => "no agent gave a usable answer".to_owned(),
        SafetyFlag::SingleAgent => "single agent (offline): agreement is discounted".to_owned(),
    }
}
