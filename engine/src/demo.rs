//! A starter garage: a small catalogue and a few days of a rider's events.
//! The app shows it before the rider has any data of their own, and tests
//! and benchmarks use it as realistic input.

use uuid::Uuid;

use crate::diagnostics::codes::CodeDatabase;
use crate::diagnostics::evidence::{RunEvidence, gate_offline};
use crate::diagnostics::request::{DiagnosticRequest, VehicleInfo};
use crate::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use crate::plan::{Milestone, MilestoneKind};
use crate::proof::{GeoPoint, LocationProof};
use crate::quest::{Catalog, Difficulty, ProofRequirement, Quest, QuestId, Step, Zone, ZoneId};
use crate::vehicle::ModelKey;
use crate::{Error, Result};

/// Where the demo workshop is.
pub const WORKSHOP: GeoPoint = GeoPoint {
    lat: 48.137154,
    lon: 11.576124,
};

fn id<T>(make: fn(String) -> Result<T>, s: &str) -> Result<T> {
    make(s.to_owned())
}

fn zone(zid: &str, name: &str, bonus: u32, located: bool) -> Result<Zone> {
    Ok(Zone {
        id: id(ZoneId::new, zid)?,
        name: name.into(),
        location: located.then_some(WORKSHOP),
        radius_m: 30.0,
        bonus_per_mille: bonus,
    })
}

struct QuestSpec<'a> {
    id: &'a str,
    title: &'a str,
    zone: &'a str,
    difficulty: Difficulty,
    xp: u32,
    prereqs: &'a [&'a str],
    steps: &'a [&'a str],
    proofs: &'a [ProofRequirement],
    repeatable: bool,
}

fn quest(spec: QuestSpec<'_>) -> Result<Quest> {
    Ok(Quest {
        id: id(QuestId::new, spec.id)?,
        title: spec.title.into(),
        zone: id(ZoneId::new, spec.zone)?,
        difficulty: spec.difficulty,
        xp_reward: spec.xp,
        prerequisites: spec
            .prereqs
            .iter()
            .map(|p| id(QuestId::new, p))
            .collect::<Result<_>>()?,
        steps: spec
            .steps
            .iter()
            .enumerate()
            .map(|(i, title)| Step {
                id: format!("s{}", i + 1),
                title: (*title).into(),
            })
            .collect(),
        proofs: spec.proofs.to_vec(),
        repeatable: spec.repeatable,
        due: None,
    })
}

/// The demo catalogue: four zones of a Harley-Davidson Street 750's upkeep.
pub fn catalog() -> Result<Catalog> {
    use Difficulty::*;
    use ProofRequirement as P;
    let zones = vec![
        zone("pre-ride", "Pre-ride checks", 1000, false)?,
        zone("drivetrain", "Drivetrain", 1000, false)?,
        zone("engine", "Engine & ignition", 1100, true)?,
        zone("brakes", "Brakes & wheels", 1000, true)?,
    ];
    let q = |id, title, zone, difficulty, xp, prereqs, steps, proofs, repeatable| {
        quest(QuestSpec {
            id,
            title,
            zone,
            difficulty,
            xp,
            prereqs,
            steps,
            proofs,
            repeatable,
        })
    };
    let quests = vec![
        q(
            "tyre-pressure",
            "Check tyre pressure",
            "pre-ride",
            Easy,
            20,
            &[],
            &["Front tyre to 2.0 bar", "Rear tyre to 2.5 bar"],
            &[],
            true,
        )?,
        q(
            "lights",
            "Test lights and horn",
            "pre-ride",
            Easy,
            15,
            &[],
            &[
                "Headlight low and high",
                "Brake light, both levers",
                "Indicators and horn",
            ],
            &[],
            false,
        )?,
        q(
            "chain-lube",
            "Clean and lube the chain",
            "drivetrain",
            Easy,
            25,
            &[],
            &[
                "Clean with chain cleaner",
                "Lube the inner rollers",
                "Wipe off the excess",
            ],
            &[],
            true,
        )?,
        q(
            "chain-tension",
            "Set chain slack",
            "drivetrain",
            Medium,
            40,
            &["chain-lube"],
            &[
                "Measure slack midway",
                "Adjust to 25-35 mm",
                "Check wheel alignment",
            ],
            &[],
            false,
        )?,
        q(
            "spark-plugs",
            "Replace spark plugs",
            "engine",
            Hard,
            80,
            &[],
            &[
                "Remove coil packs",
                "Gap new plugs to 0.8 mm",
                "Torque to 15 Nm",
            ],
            &[P::ArScan],
            false,
        )?,
        q(
            "oil-change",
            "Change engine oil and filter",
            "engine",
            Medium,
            60,
            &[],
            &[
                "Drain warm oil",
                "Replace the filter",
                "Refill 3.3 l 20W-50",
            ],
            &[P::Location],
            false,
        )?,
        q(
            "brake-pads-front",
            "Replace front brake pads",
            "brakes",
            Hard,
            90,
            &[],
            &["Remove caliper", "Fit new pads", "Bed in the pads"],
            &[P::ArScan],
            false,
        )?,
        q(
            "brake-fluid",
            "Flush brake fluid",
            "brakes",
            Expert,
            120,
            &["brake-pads-front"],
            &[
                "Bleed front circuit",
                "Bleed rear circuit",
                "Check lever feel",
            ],
            &[P::Location],
            false,
        )?,
    ];
    Catalog::new(zones, quests)
}

/// The demo bike's model key (its overlay pack is bundled).
const DEMO_MODEL: &str = "harley-street-750-2022";

/// The demo's diagnosis request: a misfire code (P0300) with a rough idle
/// and the check-engine light on the demo bike (tests and benchmarks of the
/// engine, the store and the server ask it).
pub fn diagnosis_request() -> Result<DiagnosticRequest> {
    Ok(DiagnosticRequest {
        query: "Check engine light on, code P0300".into(),
        vehicle: VehicleInfo {
            make: "Harley-Davidson".into(),
            model: "Street 750".into(),
            year: 2022,
        },
        symptoms: vec!["rough_idle".into(), "check_engine_light".into()],
        codes: vec!["P0300".parse()?],
    })
}

/// A synthetic overworld level of `n` milestones: a section every 25 with
/// quests between, every third one done (for the map benchmarks).
pub fn milestones(n: usize) -> Vec<Milestone> {
    (0..n)
        .map(|i| {
            let section = i % 25 == 0;
            Milestone {
                kind: if section {
                    MilestoneKind::Section
                } else {
                    MilestoneKind::Quest
                },
                id: format!("{:012x}", i * 2_654_435_761 % (1 << 48)),
                quest: None,
                path: section.then(|| vec![i / 25]),
                title: format!("Milestone {i}"),
                level: 1,
                has_children: section,
                done: i % 3 == 0,
                line: i + 1,
            }
        })
        .collect()
}

/// The demo's diagnosis as the offline agent answers it: a misfire code on
/// the demo bike, with the request and decision the server checks (what an
/// honest device's offline run carries; tests and benchmarks use it too).
pub fn offline_run_evidence() -> Result<RunEvidence> {
    let request = diagnosis_request()?;
    let db = CodeDatabase::bundled()
        .map_err(|e| Error::Catalogue(format!("the bundled code database: {e}")))?;
    let gated = gate_offline(&request, &db)
        .map_err(|e| Error::Catalogue(format!("demo diagnosis: {e}")))?;
    Ok(RunEvidence::of(&request, &gated))
}

/// A few days of one rider's events on the demo catalogue, starting at
/// `start_ms` (Unix milliseconds).
pub fn events(start_ms: i64) -> Result<Vec<Event>> {
    const MINUTE: i64 = 60_000;
    const DAY: i64 = 86_400_000;
    let q = QuestId::new;
    let diagnosis = Uuid::from_u128(0xD1A6);
    // (when, what): three days of pre-ride checks, a diagnosis, new plugs,
    // a chain service, and an oil change under way at the workshop.
    let mut script: Vec<(i64, EventKind)> = Vec::new();
    let mut steps = |at: i64, quest: &str, steps: &[&str]| -> Result<()> {
        for (i, step) in steps.iter().enumerate() {
            script.push((
                at + i as i64 * MINUTE,
                EventKind::StepChecked {
                    quest: q(quest.to_owned())?,
                    step: (*step).to_owned(),
                },
            ));
        }
        Ok(())
    };
    steps(start_ms, "tyre-pressure", &["s1", "s2"])?;
    steps(start_ms + 5 * MINUTE, "lights", &["s1", "s2", "s3"])?;
    steps(
        start_ms + DAY + 10 * MINUTE,
        "spark-plugs",
        &["s1", "s2", "s3"],
    )?;
    steps(start_ms + 2 * DAY, "chain-lube", &["s1", "s2", "s3"])?;
    steps(start_ms + 2 * DAY + 8 * MINUTE, "chain-lube", &["s1"])?;
    steps(start_ms + 2 * DAY + 12 * MINUTE, "oil-change", &["s1"])?;
    script.extend([
        (
            start_ms + 3 * MINUTE,
            EventKind::QuestCompleted {
                quest: q("tyre-pressure".into())?,
            },
        ),
        (
            start_ms + 9 * MINUTE,
            EventKind::QuestCompleted {
                quest: q("lights".into())?,
            },
        ),
        (
            start_ms + DAY,
            EventKind::DiagnosticRun {
                diagnostic_id: diagnosis,
                vehicle: Some(ModelKey::new(DEMO_MODEL)?),
                quest: None,
                evidence: Some(Box::new(offline_run_evidence()?)),
            },
        ),
        (
            start_ms + DAY + 5 * MINUTE,
            EventKind::ArScan {
                diagnostic_id: Some(diagnosis),
                duration_seconds: 42,
                quest: Some(q("spark-plugs".into())?),
                vehicle: Some(ModelKey::new(DEMO_MODEL)?),
            },
        ),
        (
            start_ms + DAY + 15 * MINUTE,
            EventKind::QuestCompleted {
                quest: q("spark-plugs".into())?,
            },
        ),
        (
            start_ms + 2 * DAY + 4 * MINUTE,
            EventKind::QuestCompleted {
                quest: q("chain-lube".into())?,
            },
        ),
        (
            start_ms + 2 * DAY + 10 * MINUTE,
            EventKind::ProofSubmitted {
                quest: q("oil-change".into())?,
                location: LocationProof {
                    at: WORKSHOP,
                    accuracy_m: 6.0,
                },
            },
        ),
    ]);
    script.sort_by_key(|(at, _)| *at);
    let mut chain = DeviceChain::new(DeviceId(Uuid::from_u128(0x5249_4445_5749_5245)));
    script
        .into_iter()
        .enumerate()
        .map(|(n, (at, kind))| chain.append(EventId::v7(at, [n as u8; 10]), at, 60, kind))
        .collect()
}

/// The demo catalogue with its events folded, as the app's home screen shows it.
pub fn garage(start_ms: i64) -> Result<(Catalog, Vec<Event>)> {
    let catalog = catalog()?;
    let events = events(start_ms)?;
    if events.is_empty() {
        return Err(Error::Catalogue("demo log is empty".into()));
    }
    Ok((catalog, events))
}
