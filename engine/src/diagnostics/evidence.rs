//! What a `DiagnosticRun` event carries so the server can account for it:
//! the request and the gate's decision. A run answered on the device by the
//! offline agent is re-run by the server with the same bundled code database
//! and counts only when it reaches the same decision; a run the server's own
//! agents answered is recorded by the server itself.

use serde::{Deserialize, Serialize};

use super::codes::CodeDatabase;
use super::gate::{self, Decision, GatedDiagnosis};
use super::offline;
use super::request::{DiagnosticRequest, RequestError};

/// The request a run answered and what the safety gate decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEvidence {
    /// What was asked.
    pub request: DiagnosticRequest,
    /// The gate's decision on the answers.
    pub decision: Decision,
}

/// Asks only the offline agent (the bundled code database) and gates its
/// answer: what a device without signal does, and what the server repeats to
/// check such a run.
pub fn gate_offline(
    request: &DiagnosticRequest,
    db: &CodeDatabase,
) -> Result<GatedDiagnosis, RequestError> {
    gate::diagnose(request, vec![offline::answer(request, db)])
}

impl RunEvidence {
    /// The evidence of a gated run.
    pub fn of(request: &DiagnosticRequest, gated: &GatedDiagnosis) -> Self {
        RunEvidence {
            request: request.clone(),
            decision: gated.decision,
        }
    }

    /// Whether the offline agent, asked the same request, reaches the same
    /// decision. A request that is not valid never does.
    pub fn reproduces_offline(&self, db: &CodeDatabase) -> bool {
        gate_offline(&self.request, db).is_ok_and(|g| g.decision == self.decision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::request::VehicleInfo;

    fn request(codes: &[&str]) -> DiagnosticRequest {
        DiagnosticRequest {
            query: "Check engine light on".into(),
            vehicle: VehicleInfo {
                make: "Harley-Davidson".into(),
                model: "Street 750".into(),
                year: 2022,
            },
            symptoms: vec!["rough_idle".into()],
            codes: codes.iter().map(|c| c.parse().expect("code")).collect(),
        }
    }

    #[test]
    fn an_honest_offline_run_reproduces_and_a_claimed_approval_does_not() {
        let db = CodeDatabase::bundled().expect("bundled database");
        let asked = request(&["P0300"]);
        let gated = gate_offline(&asked, &db).expect("gated");
        let honest = RunEvidence::of(&asked, &gated);
        assert!(honest.reproduces_offline(&db));
        for other in [Decision::Approved, Decision::Escalated, Decision::Rejected] {
            if other != gated.decision {
                let forged = RunEvidence {
                    decision: other,
                    ..honest.clone()
                };
                assert!(!forged.reproduces_offline(&db), "{other:?} accepted");
            }
        }
    }

    #[test]
    fn an_invalid_request_never_reproduces() {
        let db = CodeDatabase::bundled().expect("bundled database");
        let mut empty = request(&[]);
        empty.query.clear();
        empty.symptoms.clear();
        for decision in [Decision::Approved, Decision::Escalated, Decision::Rejected] {
            let evidence = RunEvidence {
                request: empty.clone(),
                decision,
            };
            assert!(!evidence.reproduces_offline(&db));
        }
    }
}
