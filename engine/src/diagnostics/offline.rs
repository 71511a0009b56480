//! The offline agent: answers from the bundled code database alone, in the
//! same shape as every hosted agent, so a rider without signal still gets a
//! gated answer.
//!
//! How it answers:
//! - Codes it knows are weighed by rank: the first component a code lists
//!   counts 1.0, the next 0.7, then 0.5 and 0.35; components are summed over
//!   all codes, and symptoms add a smaller weight. The top four are named.
//! - The cause key is the category of the strongest component
//!   ([`cause_key`]), the vocabulary hosted agents are asked to use too.
//! - Confidence starts at 0.90 for codes that agree on their system, drops
//!   0.02 for each further candidate component a code lists, 0.25 when the
//!   codes point at different systems and 0.10 for each code it does not
//!   know, and rises 0.03 for each of up to two symptoms that point where the
//!   codes point. Symptoms alone give 0.45: enough to escalate to a
//!   mechanic, never to approve.
//! - Advice is the checks of the most serious code, led by "Do not ride
//!   until this is fixed." when any code is a stop-riding code.

use std::collections::BTreeMap;

use crate::diagnostics::Dtc;
use crate::diagnostics::answer::{AgentAnswer, CostRange};
use crate::diagnostics::codes::{CodeDatabase, CodeEntry, Severity};
use crate::diagnostics::outcome::AgentOutcome;
use crate::diagnostics::request::DiagnosticRequest;
use crate::vehicle::{self, ComponentCategory};

/// The offline agent's name in reports.
pub const AGENT: &str = "offline_rules";

/// Weights of a code's components by their rank.
const RANK_WEIGHTS: [f64; 4] = [1.0, 0.7, 0.5, 0.35];
/// Weight a symptom adds to each component it points at.
const SYMPTOM_WEIGHT: f64 = 0.4;

/// The symptom keys the offline agent understands, for pickers in the app.
pub fn known_symptoms() -> impl Iterator<Item = &'static str> {
    SYMPTOMS.iter().map(|(key, _)| *key)
}

/// Symptom keys the offline agent understands, and the components they point at.
const SYMPTOMS: &[(&str, &[&str])] = &[
    (
        "rough_idle",
        &[
            "spark_plugs",
            "idle_air_control",
            "throttle_body",
            "fuel_injectors",
        ],
    ),
    (
        "misfire",
        &["spark_plugs", "ignition_coil", "fuel_injectors"],
    ),
    (
        "stalling",
        &["idle_air_control", "fuel_pump", "throttle_position_sensor"],
    ),
    (
        "hard_start",
        &["battery", "starter_motor", "fuel_pump", "spark_plugs"],
    ),
    (
        "no_start",
        &["battery", "starter_motor", "fuel_pump", "crank_sensor"],
    ),
    (
        "loss_of_power",
        &["air_filter", "fuel_pump", "fuel_injectors", "throttle_body"],
    ),
    (
        "hesitation",
        &["throttle_position_sensor", "fuel_injectors", "map_sensor"],
    ),
    (
        "backfire",
        &["o2_sensor_front", "fuel_injectors", "air_filter"],
    ),
    (
        "poor_fuel_economy",
        &["o2_sensor_front", "fuel_injectors", "air_filter"],
    ),
    (
        "overheating",
        &["radiator_fan", "thermostat", "coolant_temp_sensor"],
    ),
    (
        "battery_light",
        &["regulator_rectifier", "stator", "battery"],
    ),
    (
        "dim_lights",
        &["regulator_rectifier", "battery", "headlight"],
    ),
    ("oil_pressure_light", &["oil_pressure_sensor", "oil_filter"]),
    (
        "abs_light",
        &[
            "abs_module",
            "wheel_speed_sensor_front",
            "wheel_speed_sensor_rear",
        ],
    ),
    (
        "brake_noise",
        &["brake_caliper_front", "brake_caliper_rear"],
    ),
    ("chain_noise", &["chain"]),
    (
        "speedometer_dead",
        &["vehicle_speed_sensor", "wiring_harness"],
    ),
    (
        "gear_indicator_wrong",
        &["gear_position_sensor", "wiring_harness"],
    ),
];

/// The cause key for a component category; hosted agents use the same keys.
pub fn cause_key(category: ComponentCategory) -> &'static str {
    match category {
        ComponentCategory::Ignition => "ignition_fault",
        ComponentCategory::Electrical => "electrical_fault",
        ComponentCategory::Fuel => "fuel_delivery_fault",
        ComponentCategory::Intake => "air_intake_fault",
        ComponentCategory::Brakes => "brake_fault",
        ComponentCategory::Drivetrain => "drivetrain_fault",
        ComponentCategory::Lubrication => "lubrication_fault",
        ComponentCategory::Lighting => "lighting_fault",
        ComponentCategory::Cooling => "cooling_fault",
        ComponentCategory::Exhaust => "exhaust_sensor_fault",
        ComponentCategory::Suspension => "suspension_fault",
        ComponentCategory::Wheels => "wheel_sensor_fault",
    }
}

/// Answers a request from the code database.
pub fn answer(request: &DiagnosticRequest, db: &CodeDatabase) -> AgentOutcome {
    let mut codes: Vec<Dtc> = request.codes.clone();
    codes.sort_unstable();
    codes.dedup();
    let (known, unknown): (Vec<&CodeEntry>, Vec<Dtc>) =
        codes
            .iter()
            .fold((Vec::new(), Vec::new()), |(mut k, mut u), c| {
                match db.get(c) {
                    Some(entry) => k.push(entry),
                    None => u.push(*c),
                }
                (k, u)
            });
    let symptoms: Vec<&[&str]> = request
        .symptoms
        .iter()
        .filter_map(|s| SYMPTOMS.iter().find(|(key, _)| key == s).map(|(_, c)| *c))
        .collect();

    let mut weights: BTreeMap<&str, f64> = BTreeMap::new();
    for entry in &known {
        for (component, w) in entry.components.iter().zip(RANK_WEIGHTS) {
            *weights.entry(component.as_str()).or_default() += w;
        }
    }
    for components in &symptoms {
        for c in *components {
            *weights.entry(c).or_default() += SYMPTOM_WEIGHT;
        }
    }
    let mut ranked: Vec<(&str, f64)> = weights.into_iter().collect();
    // Heaviest first; ties by id so the answer never depends on order.
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.truncate(4);
    let Some(&(top, _)) = ranked.first() else {
        let reason = if unknown.is_empty() {
            "no trouble code or known symptom to go on".to_owned()
        } else {
            format!("no entry for {} in the code database", list(&unknown))
        };
        return AgentOutcome::Failed {
            agent: AGENT.into(),
            reason,
        };
    };
    let Some(top_component) = vehicle::component(top) else {
        return AgentOutcome::Failed {
            agent: AGENT.into(),
            reason: format!("code database names unknown component {top}"),
        };
    };
    let components: Vec<String> = ranked.iter().map(|(c, _)| (*c).to_owned()).collect();

    let confidence = if known.is_empty() {
        0.45
    } else {
        let mains: Vec<&str> = known
            .iter()
            .filter_map(|e| e.components.first())
            .map(String::as_str)
            .collect();
        let systems_agree = mains
            .iter()
            .all(|m| vehicle::component(m).map(|c| c.category) == Some(top_component.category));
        // A code that names many candidates is less certain of each.
        let spread = known.iter().map(|e| e.components.len()).max().unwrap_or(1);
        let mut c = 0.90 - 0.02 * (spread.saturating_sub(1) as f64);
        // Symptoms that point where the codes point corroborate them.
        let corroborating = symptoms
            .iter()
            .filter(|cs| {
                cs.iter()
                    .any(|c| known.iter().any(|e| e.components.iter().any(|k| k == c)))
            })
            .count();
        c += 0.03 * corroborating.min(2) as f64;
        if !systems_agree {
            c -= 0.25;
        }
        c - 0.10 * unknown.len() as f64
    }
    .clamp(0.05, 0.95);

    // The most serious code leads (ties: the lowest code).
    let lead = known
        .iter()
        .max_by(|a, b| a.severity.cmp(&b.severity).then(b.code.cmp(&a.code)));
    let diagnosis = match known.as_slice() {
        [] => format!(
            "No trouble code to go on; the symptoms point at the {}.",
            top_component.name.to_lowercase()
        ),
        [one] => format!("{} ({}): {}", one.code, one.title, one.description),
        many => format!(
            "{} codes point at the {}: {}.",
            many.len(),
            top_component.name.to_lowercase(),
            many.iter()
                .map(|e| format!("{} ({})", e.code, e.title))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut action = String::new();
    if known.iter().any(|e| e.severity == Severity::Stop) {
        action.push_str("Do not ride until this is fixed. ");
    }
    match lead {
        Some(entry) => {
            for (i, check) in entry.checks.iter().enumerate() {
                action.push_str(&format!("{}. {check}. ", i + 1));
            }
        }
        None => action.push_str(&format!(
            "Have the {} inspected and read the trouble codes with an OBD-II adapter.",
            top_component.name.to_lowercase()
        )),
    }
    if !unknown.is_empty() {
        action.push_str(&format!(
            "Look up {} in the maker's manual.",
            list(&unknown)
        ));
    }
    let estimated_cost = lead.map(|e| CostRange {
        min: f64::from(e.cost_eur[0]),
        max: f64::from(e.cost_eur[1]),
        currency: "EUR".into(),
    });
    AgentOutcome::Answered(AgentAnswer {
        agent: AGENT.into(),
        diagnosis,
        cause: cause_key(top_component.category).into(),
        components,
        recommended_action: action.trim_end().to_owned(),
        estimated_cost,
        confidence: (confidence * 100.0).round() / 100.0,
    })
}

fn list(codes: &[Dtc]) -> String {
    codes
        .iter()
        .map(Dtc::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::gate::{Decision, SafetyFlag, diagnose};
    use crate::diagnostics::request::VehicleInfo;

    fn request(codes: &[&str], symptoms: &[&str]) -> DiagnosticRequest {
        DiagnosticRequest {
            query: String::new(),
            vehicle: VehicleInfo {
                make: "Harley-Davidson".into(),
                model: "Street 750".into(),
                year: 2022,
            },
            symptoms: symptoms.iter().map(|s| (*s).into()).collect(),
            codes: codes.iter().map(|c| c.parse().expect("code")).collect(),
        }
    }

    fn run(codes: &[&str], symptoms: &[&str]) -> crate::diagnostics::gate::GatedDiagnosis {
        let db = CodeDatabase::bundled().expect("bundled");
        let req = request(codes, symptoms);
        diagnose(&req, vec![answer(&req, &db)]).expect("valid request")
    }

    #[test]
    fn a_single_misfire_code_is_approved_offline_and_lights_the_plugs() {
        let g = run(&["P0300"], &["rough_idle", "check_engine_light"]);
        assert_eq!(g.decision, Decision::Approved, "{g:?}");
        assert!(g.highlighted_components.contains(&"spark_plugs".to_owned()));
        let c = g.consensus.expect("consensus");
        assert_eq!(c.cause, "ignition_fault");
        assert!(c.diagnosis.starts_with("P0300"));
        assert_eq!(c.estimated_cost.expect("cost").currency, "EUR");
    }

    #[test]
    fn codes_from_different_systems_are_escalated_not_approved() {
        let g = run(&["P0300", "P0562", "P0117"], &[]);
        assert_ne!(g.decision, Decision::Approved, "{g:?}");
        assert!(g.highlighted_components.is_empty());
    }

    #[test]
    fn symptoms_alone_never_approve() {
        let g = run(&[], &["battery_light"]);
        assert_ne!(g.decision, Decision::Approved);
        let c = g.consensus.expect("consensus");
        assert!(
            c.highlighted_components
                .contains(&"regulator_rectifier".to_owned())
        );
        assert!(
            g.highlighted_components.is_empty(),
            "nothing lights up unless approved"
        );
    }

    #[test]
    fn a_stop_code_says_do_not_ride_and_is_not_flagged_unsafe() {
        let g = run(&["P0524"], &[]);
        let c = g.consensus.expect("consensus");
        assert!(
            c.recommended_action.starts_with("Do not ride"),
            "{}",
            c.recommended_action
        );
        assert!(
            !g.flags.iter().any(|f| matches!(
                f,
                crate::diagnostics::gate::SafetyFlag::UnsafeRecommendation { .. }
            )),
            "{:?}",
            g.flags
        );
    }

    #[test]
    fn unknown_codes_fail_cleanly_and_lower_confidence() {
        let db = CodeDatabase::bundled().expect("bundled");
        let req = request(&["P1ABC"], &[]);
        match answer(&req, &db) {
            AgentOutcome::Failed { reason, .. } => assert!(reason.contains("P1ABC"), "{reason}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        let alone = match answer(&request(&["P0300"], &[]), &db) {
            AgentOutcome::Answered(a) => a.confidence,
            other => panic!("{other:?}"),
        };
        let with_unknown = match answer(&request(&["P0300", "P1ABC"], &[]), &db) {
            AgentOutcome::Answered(a) => a.confidence,
            other => panic!("{other:?}"),
        };
        assert!(with_unknown < alone);
    }

    #[test]
    fn every_bundled_code_gets_a_valid_answer() {
        let db = CodeDatabase::bundled().expect("bundled");
        let mut flagged = Vec::new();
        for entry in db.entries() {
            let req = request(&[&entry.code.to_string()], &[]);
            let g = diagnose(&req, vec![answer(&req, &db)]).expect("valid request");
            assert!(g.consensus.is_some(), "{}: {g:?}", entry.code);
            for f in &g.flags {
                match f {
                    SafetyFlag::UnsafeRecommendation { finding, .. } => flagged.push(format!(
                        "{}: {} ({})",
                        entry.code, finding.rule, finding.matched
                    )),
                    SafetyFlag::LanguageNotCovered { .. } => {
                        flagged.push(format!("{}: not read as English", entry.code));
                    }
                    SafetyFlag::NoValidAnswers | SafetyFlag::SingleAgent => {}
                }
            }
        }
        assert!(
            flagged.is_empty(),
            "the database's own advice was flagged:\n{}",
            flagged.join("\n")
        );
    }
}
