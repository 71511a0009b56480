//! `ridewire diagnose CODE... [--symptom S]... [--json]`: ask the agents,
//! gate their consensus, record the run, print the result.
//!
//! Signed in, the server's agents answer through a syncer of the app layer
//! (`ridewire_app::account::diagnose_once`); otherwise, or when the server
//! cannot be asked, the offline agent (the bundled code database) answers.

use std::fmt::Write as _;

use ridewire_engine::diagnostics::Dtc;
use ridewire_engine::diagnostics::gate::{Decision, GatedDiagnosis, SafetyFlag};
use ridewire_engine::diagnostics::outcome::AgentStatus;
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use uuid::Uuid;

use crate::player::{Clock, DataSource, Outcome, Player};
pub use ridewire_app::diagnosis::{Ask, DiagnoseError, Run, gate_offline};

/// Runs the diagnosis and records it as a `DiagnosticRun` event. When the
/// rider has signed in to a server, the server's agents answer (with the
/// offline one among them) through the syncer, and the server records the
/// run, which the same syncer then pulls; when the server cannot be reached
/// the offline agent answers here and the run is recorded locally, to sync
/// later.
pub fn run(ask: Ask, data: &DataSource, clock: &Clock) -> Result<Run, DiagnoseError> {
    // Bad input is refused before anything goes over the network.
    let (request, result) = gate_offline(ask)?;
    let mut note = None;
    if let DataSource::Database(path) = data {
        let (_, offset) = clock.now();
        match ridewire_app::account::diagnose_once(path, request.clone(), offset) {
            Some(Ok((server, online))) => {
                let recorded = match online.not_synced {
                    None => format!("on {server}, and on this device"),
                    Some(e) => {
                        format!("on {server}; reaches this device with the next sync ({e})")
                    }
                };
                let run = online.run;
                return Ok(Run {
                    id: run.id,
                    request: run.request,
                    result: run.panel.diagnosis,
                    xp: run.xp_earned,
                    achievements: run.achievements,
                    recorded,
                });
            }
            Some(Err(e)) => {
                note = Some(format!(
                    "the server's agents could not be asked ({e}); the offline agent answered"
                ));
            }
            None => {}
        }
    }
    let id = Uuid::now_v7();
    let (xp, achievements, mut recorded) = record(id, &request, &result, data, clock);
    if let Some(note) = note {
        recorded = format!("{recorded}; {note}");
    }
    Ok(Run {
        id,
        request,
        result,
        xp,
        achievements,
        recorded,
    })
}

/// Records the run in the rider's data; a failure to record is reported,
/// never hidden, but does not withhold the diagnosis.
fn record(
    id: Uuid,
    request: &DiagnosticRequest,
    result: &GatedDiagnosis,
    data: &DataSource,
    clock: &Clock,
) -> (u64, Vec<String>, String) {
    let player = match data {
        DataSource::Demo => Player::demo(clock),
        DataSource::Database(path) => Player::open(path, clock),
    };
    let mut player = match player {
        Ok(p) => p,
        Err(e) => return (0, vec![], format!("not recorded: {e}")),
    };
    let (at, offset) = clock.now();
    match player.record_diagnosis(id, request, result, at, offset) {
        Outcome::Counted { xp, achievements } => (xp, achievements, player.storage()),
        Outcome::NotCounted(reason) => (0, vec![], format!("recorded, not counted: {reason:?}")),
        Outcome::Failed(e) => (0, vec![], format!("not recorded: {e}")),
    }
}

/// The run as a rider reads it.
pub fn report(run: &Run) -> String {
    let mut out = String::new();
    let r = &run.result;
    let v = &run.request.vehicle;
    let _ = writeln!(
        out,
        "RideWire diagnosis: {} {} ({})",
        v.make, v.model, v.year
    );
    if !run.request.codes.is_empty() {
        let codes: Vec<String> = run.request.codes.iter().map(Dtc::to_string).collect();
        let _ = writeln!(out, "Codes:      {}", codes.join(" "));
    }
    if !run.request.symptoms.is_empty() {
        let _ = writeln!(out, "Symptoms:   {}", run.request.symptoms.join(", "));
    }
    let verdict = match r.decision {
        Decision::Approved => "APPROVED",
        Decision::Escalated => "ESCALATED: have a mechanic confirm before acting on it",
        Decision::Rejected => "REJECTED: not safe to act on",
    };
    match &r.consensus {
        Some(c) => {
            let _ = writeln!(
                out,
                "Decision:   {verdict} (agreement {:.2}, confidence {:.2})",
                c.score, c.confidence
            );
            let _ = writeln!(out, "Diagnosis:  {}", c.diagnosis);
            let _ = writeln!(out, "Do:         {}", c.recommended_action);
            if let Some(cost) = &c.estimated_cost {
                let _ = writeln!(
                    out,
                    "Cost:       {:.0}-{:.0} {}",
                    cost.min, cost.max, cost.currency
                );
            }
            if !r.highlighted_components.is_empty() {
                let _ = writeln!(out, "Highlight:  {}", r.highlighted_components.join(", "));
            }
        }
        None => {
            let _ = writeln!(out, "Decision:   {verdict}");
        }
    }
    for report in &r.answers {
        let status = match &report.status {
            AgentStatus::Used { .. } => "used".to_owned(),
            AgentStatus::InvalidOutput { error, .. } => format!("left out: {error}"),
            AgentStatus::TimedOut => "left out: timed out".to_owned(),
            AgentStatus::Failed { reason } => format!("left out: {reason}"),
            AgentStatus::DuplicateAgent { .. } => "left out: answered twice".to_owned(),
        };
        let _ = writeln!(out, "Agent:      {} ({status})", report.agent);
    }
    for flag in &r.flags {
        let text = match flag {
            SafetyFlag::UnsafeRecommendation { finding, .. } => {
                format!("unsafe_recommendation: {}", finding.reason)
            }
            SafetyFlag::LanguageNotCovered { agent } => {
                format!("language_not_covered: {agent}'s answer is not in English")
            }
            SafetyFlag::NoValidAnswers => "no agent gave a usable answer".to_owned(),
            SafetyFlag::SingleAgent => "single agent (offline): agreement is discounted".to_owned(),
        };
        let _ = writeln!(out, "Flag:       {text}");
    }
    let unlocked = if run.achievements.is_empty() {
        String::new()
    } else {
        format!(", unlocked {}", run.achievements.join(", "))
    };
    let _ = writeln!(
        out,
        "Earned:     +{} XP{unlocked} ({})",
        run.xp, run.recorded
    );
    out
}

#[cfg(test)]
mod tests {
    use ridewire_engine::diagnostics::request::VehicleInfo;

    use super::*;

    fn ask(codes: &[&str]) -> Ask {
        Ask {
            codes: codes.iter().map(|c| (*c).into()).collect(),
            symptoms: vec!["rough_idle".into()],
            query: None,
            vehicle: VehicleInfo {
                make: "Harley-Davidson".into(),
                model: "Street 750".into(),
                year: 2022,
            },
        }
    }

    const CLOCK: Clock = Clock::Fixed {
        at_ms: 1_772_438_400_000,
        utc_offset_min: 60,
    };

    #[test]
    fn a_run_is_gated_recorded_and_earns_10_xp() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = DataSource::Database(dir.path().join("rider.db"));
        let run = run(ask(&["P0300"]), &data, &CLOCK).expect("run");
        assert_eq!(run.result.decision, Decision::Approved);
        assert_eq!(
            (run.xp, run.achievements.as_slice()),
            (10, &["ACH-FIRST-DIAG".to_owned()][..])
        );
        let text = report(&run);
        assert!(
            text.contains("APPROVED") && text.contains("spark_plugs"),
            "{text}"
        );
        let player = Player::open(&dir.path().join("rider.db"), &CLOCK).expect("reopen");
        assert_eq!(player.progress().stats().diagnostics_run, 1);
        // The whole run is kept, not only its XP.
        let store = ridewire_offline_store::Store::open(dir.path().join("rider.db"), CLOCK.now().0)
            .expect("store")
            .store;
        let stored = store.diagnosis(run.id).expect("read").expect("run stored");
        assert_eq!(stored.result, run.result);
    }

    #[test]
    fn bad_codes_are_refused_before_anything_is_recorded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = DataSource::Database(dir.path().join("rider.db"));
        let err = run(ask(&["P03OO"]), &data, &CLOCK).expect_err("bad code");
        assert!(
            matches!(err, DiagnoseError::BadInput(ref m) if m.contains("P03OO")),
            "{err}"
        );
        assert!(!dir.path().join("rider.db").exists());
    }
}
