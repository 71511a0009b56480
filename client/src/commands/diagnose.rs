//! `ridewire diagnose CODE... [--symptom S]... [--json]`: ask the agents,
//! gate their consensus, record the run, print the result.
//!
//! The use case is the app layer's (`ridewire_app::diagnosis`); this module
//! only words the run for the terminal.

use std::fmt::Write as _;

use ridewire_engine::diagnostics::Dtc;
use ridewire_engine::diagnostics::gate::Decision;

use crate::player::{Clock, DataSource, Player};
pub use ridewire_app::diagnosis::{Ask, DiagnoseError, Run, agent_status, flag_text, gate_offline};

/// Checks the question, then answers and records it
/// ([`ridewire_app::diagnosis::answer`]: the server's agents when signed in,
/// else the offline agent). Bad input is refused before the rider's data is
/// opened or anything goes over the network.
pub fn run(ask: Ask, data: &DataSource, clock: &Clock) -> Result<Run, DiagnoseError> {
    let checked = gate_offline(ask)?;
    let mut player = match data {
        DataSource::Demo => Player::demo(clock),
        DataSource::Database(path) => Player::open(path, clock),
    }
    .map_err(|e| DiagnoseError::Failed(format!("the rider's data cannot be opened: {e}")))?;
    let (at, offset) = clock.now();
    Ok(ridewire_app::diagnosis::answer(
        &mut player,
        checked,
        at,
        offset,
        None,
    ))
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
        let _ = writeln!(
            out,
            "Agent:      {} ({})",
            report.agent,
            agent_status(&report.status)
        );
    }
    for flag in &r.flags {
        let _ = writeln!(out, "Flag:       {}", flag_text(flag));
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
