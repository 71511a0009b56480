//! The diagnosis a rider asks for, answered without a network: the rider's
//! input checked, the rule-based agent over the bundled code database asked,
//! its answer gated. The command line and the Diagnose screen both start
//! here. Recording a run is the rider's session's
//! ([`crate::rider::Rider::record_diagnosis`]); the server's agents are
//! asked through the syncer ([`crate::account`]).

use std::fmt::Write as _;

use ridewire_engine::diagnostics::codes::CodeDatabase;
use ridewire_engine::diagnostics::gate::{self, GatedDiagnosis};
use ridewire_engine::diagnostics::request::{DiagnosticRequest, VehicleInfo};
use ridewire_engine::diagnostics::{Dtc, offline};

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
