//! The safety gate (SPEC, "Diagnostics"): from the agents' outcomes to a
//! decision a rider may see.
//!
//! - **approved** when score ≥ 0.70 and confidence ≥ 0.70;
//! - **escalated** (to a person) when score ≥ 0.40;
//! - otherwise **rejected**.
//!
//! An unsafe recommendation ([`super::safety`]) in any answer that went into
//! the consensus, or in the consensus itself, forces **rejected** with the
//! flag `unsafe_recommendation`, whatever the scores. So does having no
//! valid answer at all. An answer in a language the rules do not read
//! ([`super::safety::reads_language`]) adds the flag `language_not_covered`
//! and turns an approval into **escalated**. Only approved diagnoses highlight components in AR.
//!
//! The server asks the agents and feeds their outcomes in; nothing here waits,
//! calls out or reads a clock.

use serde::{Deserialize, Serialize};

use super::consensus::{Consensus, consensus};
use super::outcome::sort_outcomes;
pub use super::outcome::{AgentOutcome, AgentReport, AgentStatus};
use super::request::{DiagnosticRequest, RequestError};
use super::safety::{self, SafetyFinding};

/// Lowest score that can be approved.
pub const APPROVE_SCORE: f64 = 0.70;
/// Lowest confidence that can be approved.
pub const APPROVE_CONFIDENCE: f64 = 0.70;
/// Lowest score that is escalated rather than rejected.
pub const ESCALATE_SCORE: f64 = 0.40;

/// What the gate decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Shown to the rider; components are highlighted in AR.
    Approved,
    /// Held for a person to review.
    Escalated,
    /// Not shown as advice.
    Rejected,
}

/// Why the gate raised its hand.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum SafetyFlag {
    /// A recommendation that could hurt the rider or the bike.
    UnsafeRecommendation {
        /// The agent whose answer it was in; `None` for the consensus text.
        agent: Option<String>,
        /// The safety rule that fired, and where.
        finding: SafetyFinding,
    },
    /// No agent gave a usable answer.
    NoValidAnswers,
    /// An answer is in a language the safety rules do not read (they read
    /// English), so nothing vouches for it: the run is escalated to a person
    /// at best, never approved.
    LanguageNotCovered {
        /// The agent whose answer it was.
        agent: String,
    },
    /// Only one agent's answer was used (typically offline), so its score
    /// was discounted.
    SingleAgent,
}

/// A gated diagnosis: what is stored per run and shown to the rider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatedDiagnosis {
    /// The consensus of the used answers; `None` when there were none.
    pub consensus: Option<Consensus>,
    /// The gate's decision.
    pub decision: Decision,
    /// Why the gate flagged the run, sorted.
    pub flags: Vec<SafetyFlag>,
    /// Components to highlight in AR: the consensus's, and only if approved.
    pub highlighted_components: Vec<String>,
    /// One report per outcome, sorted by agent.
    pub answers: Vec<AgentReport>,
}

/// The decision for a score and confidence, before safety flags.
/// NaN never passes a threshold.
pub fn decide(score: f64, confidence: f64) -> Decision {
    if score >= APPROVE_SCORE && confidence >= APPROVE_CONFIDENCE {
        Decision::Approved
    } else if score >= ESCALATE_SCORE {
        Decision::Escalated
    } else {
        Decision::Rejected
    }
}

/// Checks the request, sorts the agents' outcomes into used and left out,
/// computes the consensus and gates it.
pub fn diagnose(
    request: &DiagnosticRequest,
    outcomes: Vec<AgentOutcome>,
) -> Result<GatedDiagnosis, RequestError> {
    request.validate()?;
    let situation = request.situation();

    let (used, answers) = sort_outcomes(outcomes);

    let mut flags = Vec::new();
    for v in &used {
        let answer = v.answer();
        if !safety::reads_language(&format!(
            "{}\n{}",
            answer.diagnosis, answer.recommended_action
        )) {
            flags.push(SafetyFlag::LanguageNotCovered {
                agent: answer.agent.clone(),
            });
        }
        for finding in safety::check_answer(answer, &situation) {
            flags.push(SafetyFlag::UnsafeRecommendation {
                agent: Some(answer.agent.clone()),
                finding,
            });
        }
    }
    let consensus = consensus(&used);
    match &consensus {
        None => flags.push(SafetyFlag::NoValidAnswers),
        Some(c) => {
            // The consensus text is one agent's; flag it again only where it
            // says something that agent's flags do not already cover.
            let text = format!("{}\n{}", c.diagnosis, c.recommended_action);
            for finding in safety::check(&text, &situation) {
                let covered = flags.iter().any(|f| {
                    matches!(f, SafetyFlag::UnsafeRecommendation { agent: Some(a), finding: g }
                        if *a == c.representative && g.rule == finding.rule)
                });
                if !covered {
                    flags.push(SafetyFlag::UnsafeRecommendation {
                        agent: None,
                        finding,
                    });
                }
            }
        }
    }
    if used.len() == 1 {
        flags.push(SafetyFlag::SingleAgent);
    }
    flags.sort();
    flags.dedup();

    let unsafe_advice = flags
        .iter()
        .any(|f| matches!(f, SafetyFlag::UnsafeRecommendation { .. }));
    let unread = flags
        .iter()
        .any(|f| matches!(f, SafetyFlag::LanguageNotCovered { .. }));
    let decision = match &consensus {
        Some(c) if !unsafe_advice => match decide(c.score, c.confidence) {
            Decision::Approved if unread => Decision::Escalated,
            decision => decision,
        },
        _ => Decision::Rejected,
    };
    let highlighted_components = match (&consensus, decision) {
        (Some(c), Decision::Approved) => c.highlighted_components.clone(),
        _ => Vec::new(),
    };

    Ok(GatedDiagnosis {
        consensus,
        decision,
        flags,
        highlighted_components,
        answers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::answer::{AgentAnswer, CostRange};
    use crate::diagnostics::consensus::tests::{answer, answers_strategy};
    use crate::vehicle::COMPONENTS;
    use proptest::prelude::*;

    fn request() -> DiagnosticRequest {
        crate::demo::diagnosis_request().expect("request")
    }

    fn gate(answers: Vec<AgentAnswer>) -> GatedDiagnosis {
        let outcomes = answers.into_iter().map(AgentOutcome::Answered).collect();
        diagnose(&request(), outcomes).expect("valid request")
    }

    fn is_unsafe_flag(flag: &SafetyFlag) -> bool {
        matches!(flag, SafetyFlag::UnsafeRecommendation { .. })
    }

    #[test]
    fn thresholds_are_the_specs() {
        assert_eq!(decide(0.70, 0.70), Decision::Approved);
        assert_eq!(decide(1.0, 1.0), Decision::Approved);
        assert_eq!(decide(0.69, 0.95), Decision::Escalated);
        assert_eq!(decide(0.95, 0.69), Decision::Escalated);
        assert_eq!(decide(0.40, 0.0), Decision::Escalated);
        assert_eq!(decide(0.39, 1.0), Decision::Rejected);
        assert_eq!(decide(f64::NAN, 1.0), Decision::Rejected);
        assert_eq!(decide(1.0, f64::NAN), Decision::Escalated);
    }

    #[test]
    fn a_lone_agent_meets_each_threshold_edge() {
        // score = 0.85 × confidence, rounded to four decimals.
        for (confidence, score, decision) in [
            (0.82353, 0.70, Decision::Approved),
            (0.8117647, 0.69, Decision::Escalated),
            (0.4705883, 0.40, Decision::Escalated),
            (0.4588235, 0.39, Decision::Rejected),
        ] {
            let run = gate(vec![answer(
                "offline_rules",
                "ignition_misfire",
                &["spark_plugs"],
                confidence,
            )]);
            let c = run.consensus.as_ref().expect("consensus");
            assert_eq!(c.score, score, "confidence {confidence}");
            assert_eq!(run.decision, decision, "confidence {confidence}");
            assert!(run.flags.contains(&SafetyFlag::SingleAgent));
        }
    }

    #[test]
    fn an_answer_the_rules_cannot_read_is_escalated_never_approved() {
        let english = answer("anthropic", "ignition_misfire", &["spark_plugs"], 0.9);
        let mut german = answer("openai", "ignition_misfire", &["spark_plugs"], 0.9);
        german.diagnosis = "Zündaussetzer im Zylinder eins".into();
        german.recommended_action =
            "Sie können weiterfahren, die Zündkerzen später tauschen.".into();
        let read = gate(vec![
            english.clone(),
            answer("openai", "ignition_misfire", &["spark_plugs"], 0.9),
        ]);
        assert_eq!(read.decision, Decision::Approved);
        let run = gate(vec![english, german]);
        assert_eq!(run.decision, Decision::Escalated, "{run:?}");
        assert!(run.flags.contains(&SafetyFlag::LanguageNotCovered {
            agent: "openai".into()
        }));
        assert!(run.highlighted_components.is_empty());
        // A run that would be rejected stays rejected.
        let mut unsafe_german = answer("openai", "ignition_misfire", &["spark_plugs"], 0.9);
        unsafe_german.recommended_action =
            "Weiterfahren. You can keep riding with the ABS light on.".into();
        unsafe_german.diagnosis = "Bremsen".into();
        let run = gate(vec![unsafe_german]);
        assert_eq!(run.decision, Decision::Rejected);
        // The flag is stored with the run as `language_not_covered`.
        let json = serde_json::to_string(&SafetyFlag::LanguageNotCovered {
            agent: "openai".into(),
        })
        .expect("serialise");
        assert_eq!(json, r#"{"flag":"language_not_covered","agent":"openai"}"#);
    }

    #[test]
    fn pairs_of_agents_meet_the_edges() {
        let pair = |confidence| {
            gate(vec![
                answer(
                    "anthropic",
                    "ignition_misfire",
                    &["spark_plugs"],
                    confidence,
                ),
                answer("openai", "ignition_misfire", &["spark_plugs"], confidence),
            ])
        };
        assert_eq!(pair(0.70).decision, Decision::Approved);
        assert_eq!(pair(0.69).decision, Decision::Escalated);
        // Same cause, half the components shared: 0.6 × 0.5 + 0.4 = 0.70.
        let run = gate(vec![
            answer(
                "anthropic",
                "ignition_misfire",
                &["spark_plugs", "ignition_coil"],
                0.7,
            ),
            answer("openai", "ignition_misfire", &["spark_plugs"], 0.7),
        ]);
        assert_eq!(run.consensus.as_ref().map(|c| c.score), Some(0.7));
        assert_eq!(run.decision, Decision::Approved);
        // Different causes, two of three components shared: 0.6 × 2/3 is a
        // hair below 0.4 in floating point; it reads 0.4000 and is escalated.
        let run = gate(vec![
            answer(
                "anthropic",
                "ignition_misfire",
                &["spark_plugs", "ignition_coil", "crank_sensor"],
                0.9,
            ),
            answer(
                "openai",
                "sensor_fault",
                &["spark_plugs", "ignition_coil"],
                0.9,
            ),
        ]);
        assert_eq!(run.consensus.as_ref().map(|c| c.score), Some(0.4));
        assert_eq!(run.decision, Decision::Escalated);
    }

    #[test]
    fn the_spec_example_is_approved_and_highlights_components() {
        let mut a = answer(
            "anthropic",
            "ignition_misfire",
            &["spark_plugs", "ignition_coil"],
            0.86,
        );
        a.estimated_cost = Some(CostRange {
            min: 60.0,
            max: 220.0,
            currency: "USD".into(),
        });
        let b = answer(
            "google",
            "ignition_misfire",
            &["spark_plugs", "ignition_coil"],
            0.8,
        );
        let c = answer("openai", "ignition_misfire", &["spark_plugs"], 0.9);
        let run = gate(vec![c, a, b]);
        assert_eq!(run.decision, Decision::Approved);
        assert!(run.flags.is_empty(), "{:?}", run.flags);
        assert_eq!(run.highlighted_components, ["spark_plugs", "ignition_coil"]);
        let consensus = run.consensus.as_ref().expect("consensus");
        assert_eq!(consensus.representative, "anthropic");
        assert_eq!(
            consensus.estimated_cost.as_ref().map(|c| c.max),
            Some(220.0)
        );
        let agents: Vec<&str> = run.answers.iter().map(|r| r.agent.as_str()).collect();
        assert_eq!(agents, ["anthropic", "google", "openai"]);
        assert!(run.answers.iter().all(|r| r.status.is_used()));
        // The run is stored as JSON and read back unchanged.
        let json = serde_json::to_string(&run).expect("json");
        assert!(json.contains(r#""decision":"approved""#), "{json}");
        assert_eq!(
            serde_json::from_str::<GatedDiagnosis>(&json).expect("back"),
            run
        );
    }

    #[test]
    fn unsafe_advice_is_rejected_with_the_flag_even_when_all_agree() {
        let mut answers: Vec<AgentAnswer> = ["anthropic", "google", "openai"]
            .into_iter()
            .map(|agent| answer(agent, "ignition_misfire", &["spark_plugs"], 0.95))
            .collect();
        answers[1].recommended_action =
            "Replace the plugs. Until then, bypass the kill switch relay.".into();
        let run = gate(answers);
        assert_eq!(run.decision, Decision::Rejected);
        assert!(run.highlighted_components.is_empty());
        let flagged: Vec<&SafetyFlag> = run.flags.iter().filter(|f| is_unsafe_flag(f)).collect();
        assert_eq!(flagged.len(), 1, "{flagged:?}");
        assert!(
            matches!(flagged[0], SafetyFlag::UnsafeRecommendation { agent: Some(a), finding }
            if a == "google" && finding.rule == "safety_circuit_bypassed")
        );
        let json = serde_json::to_string(&run.flags).expect("json");
        assert!(json.contains(r#""flag":"unsafe_recommendation""#), "{json}");
    }

    #[test]
    fn riding_on_is_unsafe_when_the_rider_reported_the_warning() {
        let mut req = request();
        req.symptoms = vec!["oil_pressure_light".into()];
        let mut a = answer(
            "offline_rules",
            "faulty_sender",
            &["oil_pressure_sensor"],
            0.95,
        );
        a.recommended_action =
            "The switch is probably faulty; you can keep riding and replace it later.".into();
        let run = diagnose(&req, vec![AgentOutcome::Answered(a.clone())]).expect("run");
        assert_eq!(run.decision, Decision::Rejected);
        assert!(run.flags.iter().any(is_unsafe_flag));
        // Without that symptom the same words are not about a warning.
        let run = gate(vec![a]);
        assert_eq!(run.decision, Decision::Approved);
    }

    #[test]
    fn left_out_answers_are_reported_with_their_reason() {
        let mut bad = answer("google", "ignition_misfire", &["spark_plugs"], 0.9);
        bad.confidence = 1.3;
        let run = diagnose(
            &request(),
            vec![
                AgentOutcome::Answered(answer(
                    "anthropic",
                    "ignition_misfire",
                    &["spark_plugs"],
                    0.9,
                )),
                AgentOutcome::Answered(bad),
                AgentOutcome::TimedOut {
                    agent: "openai".into(),
                },
                AgentOutcome::Failed {
                    agent: "router".into(),
                    reason: "HTTP 503".into(),
                },
            ],
        )
        .expect("run");
        let status = |agent: &str| {
            run.answers
                .iter()
                .find(|r| r.agent == agent)
                .map(|r| r.status.clone())
                .expect("reported")
        };
        assert!(status("anthropic").is_used());
        assert!(
            matches!(status("google"), AgentStatus::InvalidOutput { error, .. } if error.contains("confidence"))
        );
        assert_eq!(status("openai"), AgentStatus::TimedOut);
        assert_eq!(
            status("router"),
            AgentStatus::Failed {
                reason: "HTTP 503".into()
            }
        );
        // One used answer: the single-agent rule applies, 0.85 × 0.9.
        assert_eq!(run.consensus.as_ref().map(|c| c.score), Some(0.765));
        assert_eq!(run.decision, Decision::Approved);
    }

    #[test]
    fn no_valid_answer_is_rejected() {
        let run = diagnose(
            &request(),
            vec![
                AgentOutcome::TimedOut {
                    agent: "openai".into(),
                },
                AgentOutcome::Answered(answer("anthropic", "Misfire", &["spark_plugs"], 0.9)),
            ],
        )
        .expect("run");
        assert_eq!(run.consensus, None);
        assert_eq!(run.decision, Decision::Rejected);
        assert_eq!(run.flags, [SafetyFlag::NoValidAnswers]);
        assert_eq!(run.answers.len(), 2);
    }

    #[test]
    fn an_agent_answering_twice_is_left_out() {
        let run = gate(vec![
            answer("openai", "ignition_misfire", &["spark_plugs"], 0.9),
            answer("openai", "charging_fault", &["stator"], 0.9),
            answer("anthropic", "ignition_misfire", &["spark_plugs"], 0.9),
        ]);
        let duplicates = run
            .answers
            .iter()
            .filter(|r| matches!(r.status, AgentStatus::DuplicateAgent { .. }))
            .count();
        assert_eq!(duplicates, 2);
        assert_eq!(run.consensus.as_ref().map(|c| c.agents), Some(1));
    }

    #[test]
    fn an_invalid_request_is_refused() {
        let mut req = request();
        req.symptoms = vec!["Rough Idle".into()];
        assert!(matches!(
            diagnose(&req, Vec::new()),
            Err(RequestError::InvalidSymptom { .. })
        ));
    }

    const CAUSES: &[&str] = &[
        "ignition_misfire",
        "lean_mixture",
        "charging_fault",
        "sensor_fault",
        "fuel_starvation",
    ];

    const UNSAFE: &[&str] = &[
        "You can keep riding with the ABS light on.",
        "Bypass the side stand switch with a jumper.",
        "Disable the ABS and ride it home.",
        "Open the radiator cap while the engine is hot.",
        "Unplug the tip-over sensor.",
    ];

    /// Two to five answers with pairwise disjoint components and causes.
    fn disagreeing() -> impl Strategy<Value = Vec<AgentAnswer>> {
        (
            2..=5usize,
            Just(COMPONENTS.to_vec()).prop_shuffle(),
            proptest::collection::vec((0..=2usize, 0u32..=100), 5),
        )
            .prop_map(|(n, pool, picks)| {
                let mut pool = pool.into_iter();
                (0..n)
                    .map(|i| {
                        let (take, confidence) = picks[i];
                        let ids: Vec<&str> = pool.by_ref().take(take).map(|c| c.id).collect();
                        answer(
                            &format!("agent_{i}"),
                            CAUSES[i],
                            &ids,
                            f64::from(confidence) / 100.0,
                        )
                    })
                    .collect()
            })
    }

    /// Any mix of answers, or a unanimous confident panel that would be
    /// approved but for what is injected.
    fn panels() -> impl Strategy<Value = Vec<AgentAnswer>> {
        prop_oneof![
            answers_strategy(),
            (1..=4usize, 80u32..=100).prop_map(|(n, c)| {
                (0..n)
                    .map(|i| {
                        answer(
                            &format!("agent_{i}"),
                            "ignition_misfire",
                            &["spark_plugs"],
                            f64::from(c) / 100.0,
                        )
                    })
                    .collect()
            }),
        ]
    }

    proptest! {
        #[test]
        fn disagreeing_agents_are_never_approved(answers in disagreeing()) {
            let run = gate(answers);
            prop_assert_ne!(run.decision, Decision::Approved);
            prop_assert_eq!(run.consensus.as_ref().map(|c| c.score), Some(0.0));
            prop_assert!(run.highlighted_components.is_empty());
        }

        #[test]
        fn unsafe_advice_is_never_approved(
            mut answers in panels(),
            pick in any::<prop::sample::Index>(),
            advice in prop::sample::select(UNSAFE),
            in_diagnosis in any::<bool>(),
        ) {
            let i = pick.index(answers.len());
            if in_diagnosis {
                answers[i].diagnosis = advice.to_owned();
            } else {
                answers[i].recommended_action = advice.to_owned();
            }
            let run = gate(answers);
            prop_assert_eq!(run.decision, Decision::Rejected);
            prop_assert!(run.flags.iter().any(is_unsafe_flag));
            prop_assert!(run.highlighted_components.is_empty());
        }

        #[test]
        fn highlights_are_named_components_and_only_when_approved(answers in panels()) {
            let named: Vec<String> = answers.iter().flat_map(|a| a.components.clone()).collect();
            let run = gate(answers);
            prop_assert!(run.highlighted_components.iter().all(|id| named.contains(id)));
            if run.decision != Decision::Approved {
                prop_assert!(run.highlighted_components.is_empty());
            }
        }

        #[test]
        fn the_run_does_not_depend_on_outcome_order(
            (outcomes, shuffled) in (answers_strategy(), 0..3usize).prop_flat_map(|(answers, missing)| {
                let mut outcomes: Vec<AgentOutcome> = answers.into_iter().map(AgentOutcome::Answered).collect();
                outcomes.extend((0..missing).map(|i| AgentOutcome::TimedOut { agent: format!("late_{i}") }));
                (Just(outcomes.clone()), Just(outcomes).prop_shuffle())
            })
        ) {
            prop_assert_eq!(
                diagnose(&request(), outcomes).expect("run"),
                diagnose(&request(), shuffled).expect("run")
            );
        }
    }
}
