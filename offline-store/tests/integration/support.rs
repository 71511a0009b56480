//! Fixtures shared by the store's tests and the sync client's (which
//! include this file by path).

use ridewire_engine::demo;
use ridewire_engine::diagnostics::codes::CodeDatabase;
use ridewire_engine::diagnostics::gate::{self, GatedDiagnosis};
use ridewire_engine::diagnostics::offline;
use ridewire_engine::diagnostics::request::{DiagnosticRequest, VehicleInfo};
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::QuestId;
use ridewire_offline_store::Store;
use uuid::Uuid;

pub const T0: i64 = 1_772_438_400_000;

/// Opens (or creates) a store that knows the demo catalogue.
pub fn store(path: &std::path::Path) -> Store {
    let mut store = Store::open(path, T0).expect("open").store;
    store
        .set_catalog(&demo::catalog().expect("catalog"))
        .expect("catalog");
    store
}

pub fn diagnosis(n: u128) -> EventKind {
    EventKind::DiagnosticRun {
        diagnostic_id: Uuid::from_u128(n),
        vehicle: None,
        quest: None,
        evidence: None,
    }
}

pub fn step(quest: &str, step: &str) -> EventKind {
    EventKind::StepChecked {
        quest: QuestId::new(quest).expect("id"),
        step: step.into(),
    }
}

pub fn random(n: u64) -> [u8; 10] {
    let mut r = [0u8; 10];
    r[..8].copy_from_slice(&n.to_le_bytes());
    r
}

/// A diagnosis of `code` on the demo bike, gated with the offline agent.
pub fn run(code: &str) -> (DiagnosticRequest, GatedDiagnosis) {
    let request = DiagnosticRequest {
        query: format!("Check engine light on, code {code}"),
        vehicle: VehicleInfo {
            make: "Harley-Davidson".into(),
            model: "Street 750".into(),
            year: 2022,
        },
        symptoms: vec!["rough_idle".into(), "check_engine_light".into()],
        codes: vec![code.parse().unwrap()],
    };
    let db = CodeDatabase::bundled().unwrap();
    let result = gate::diagnose(&request, vec![offline::answer(&request, &db)]).unwrap();
    (request, result)
}
