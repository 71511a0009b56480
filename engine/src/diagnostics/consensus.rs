//! The consensus of several agents' answers.
//!
//! # Method
//!
//! Answers are first put in one canonical order (agent name, then every other
//! field), and every sum below runs in that order, so the same answers in any
//! order give the same consensus, bit for bit.
//!
//! - **Similarity** of two answers: `0.6 × J + 0.4 × C`, where `J` is the
//!   Jaccard similarity of their component sets (|A ∩ B| / |A ∪ B|) and `C`
//!   is 1 when their cause keys are equal, else 0. Components weigh more
//!   because they come from a closed vocabulary, while two agents may name
//!   the same cause with different keys. When neither answer names a
//!   component, there is nothing to compare there and similarity is `C`.
//! - **Support** of an answer: its mean similarity to every other answer.
//! - **Score** (agreement): the mean pairwise similarity, which is also the
//!   mean support. One dissenting agent among three drops it to about 0.5,
//!   which the gate escalates to a person.
//! - **Confidence**: the agents' confidences averaged with their support as
//!   weights, so a dissenter's certainty counts for little. When no two
//!   answers agree at all, the plain mean (the score is then 0 anyway).
//! - **Representative**: the answer with the highest support (then the
//!   highest confidence, then the canonical order). The diagnosis, cause and
//!   recommended action are taken from it verbatim: text is never blended.
//! - **Highlighted components**: those named by more than half of the
//!   agents, each agent counting with its confidence (by head count when
//!   every confidence is 0). Listed in vocabulary order.
//! - **Cost**: over the agents agreeing with the representative (similarity
//!   ≥ 0.5) that quoted the representative's currency (or, when it quoted
//!   none, the currency most of them used), the median of their minimums to
//!   the median of their maximums. Medians ignore one wild quote.
//!
//! # One agent
//!
//! Offline, only the rule-based agent answers. A single voice has nobody to
//! agree with, so its score is its confidence discounted:
//! `score = 0.85 × confidence`. A confident answer on an unambiguous code
//! (confidence ≥ about 0.83) can still be approved; a vague one is escalated
//! or rejected.
//!
//! Score and confidence are rounded to four decimals, and the gate judges the
//! rounded figures, so a score shown as 0.7000 is treated as 0.70.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::answer::{AgentAnswer, CostRange, ValidAnswer};
use crate::vehicle::COMPONENTS;

/// Weight of component overlap in the similarity of two answers.
pub const COMPONENT_WEIGHT: f64 = 0.6;
/// Weight of an equal cause key in the similarity of two answers.
pub const CAUSE_WEIGHT: f64 = 0.4;
/// A lone answer's score is its confidence times this.
pub const SINGLE_AGENT_DISCOUNT: f64 = 0.85;
/// Answers at least this similar to the representative count as agreeing
/// with it when the cost is estimated.
pub const AGREEING_SIMILARITY: f64 = 0.5;

/// What the agents jointly say (SPEC: score, confidence, diagnosis,
/// highlighted components, recommended action, estimated cost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consensus {
    /// How much the agents agree, 0 to 1.
    pub score: f64,
    /// How sure the agreeing agents are, 0 to 1.
    pub confidence: f64,
    /// The representative answer's diagnosis.
    pub diagnosis: String,
    /// The representative answer's cause key.
    pub cause: String,
    /// Which agent's answer was the representative one.
    pub representative: String,
    /// Components a (confidence-weighted) majority named. Candidates only:
    /// the AR view highlights the gate's list, which is empty unless approved.
    pub highlighted_components: Vec<String>,
    /// The representative answer's recommended action.
    pub recommended_action: String,
    /// The agreeing agents' cost estimate, when any gave one.
    pub estimated_cost: Option<CostRange>,
    /// How many answers the consensus was drawn from.
    pub agents: usize,
}

/// Similarity of two answers, 0 to 1 (see the module documentation).
pub fn similarity(a: &AgentAnswer, b: &AgentAnswer) -> f64 {
    let cause = if a.cause == b.cause { 1.0 } else { 0.0 };
    if a.components.is_empty() && b.components.is_empty() {
        return cause;
    }
    let shared = a
        .components
        .iter()
        .filter(|id| b.components.contains(id))
        .count();
    // Components are unique within a valid answer, so this is |A ∪ B|.
    let union = a.components.len() + b.components.len() - shared;
    let jaccard = shared as f64 / union as f64;
    COMPONENT_WEIGHT * jaccard + CAUSE_WEIGHT * cause
}

/// The consensus of the given answers; `None` when there are none.
pub fn consensus(answers: &[ValidAnswer]) -> Option<Consensus> {
    let mut sorted: Vec<&AgentAnswer> = answers.iter().map(ValidAnswer::answer).collect();
    sorted.sort_by(|a, b| canonical_order(a, b));
    let n = sorted.len();
    let lone = match sorted.as_slice() {
        [] => return None,
        [only] => Some(*only),
        _ => None,
    };

    let sim: Vec<Vec<f64>> = sorted
        .iter()
        .map(|a| sorted.iter().map(|b| similarity(a, b)).collect())
        .collect();
    let (score, confidence, representative) = match lone {
        Some(only) => (SINGLE_AGENT_DISCOUNT * only.confidence, only.confidence, 0),
        None => {
            let support: Vec<f64> = (0..n)
                .map(|i| {
                    let others: f64 = (0..n).filter(|&j| j != i).map(|j| sim[i][j]).sum();
                    others / (n - 1) as f64
                })
                .collect();
            let score = support.iter().sum::<f64>() / n as f64;
            let weight: f64 = support.iter().sum();
            let confidence = if weight > 0.0 {
                support
                    .iter()
                    .zip(&sorted)
                    .map(|(s, a)| s * a.confidence)
                    .sum::<f64>()
                    / weight
            } else {
                sorted.iter().map(|a| a.confidence).sum::<f64>() / n as f64
            };
            let mut best = 0;
            for i in 1..n {
                let better = support[i]
                    .total_cmp(&support[best])
                    .then(sorted[i].confidence.total_cmp(&sorted[best].confidence));
                if better == Ordering::Greater {
                    best = i;
                }
            }
            (score, confidence, best)
        }
    };

    let rep = sorted[representative];
    let agreeing: Vec<&AgentAnswer> = (0..n)
        .filter(|&i| i == representative || sim[representative][i] >= AGREEING_SIMILARITY)
        .map(|i| sorted[i])
        .collect();
    Some(Consensus {
        score: round4(score),
        confidence: round4(confidence),
        diagnosis: rep.diagnosis.clone(),
        cause: rep.cause.clone(),
        representative: rep.agent.clone(),
        highlighted_components: majority_components(&sorted),
        recommended_action: rep.recommended_action.clone(),
        estimated_cost: agreed_cost(rep, &agreeing),
        agents: n,
    })
}

/// Components whose namers hold more than half of the total confidence.
fn majority_components(answers: &[&AgentAnswer]) -> Vec<String> {
    let total: f64 = answers.iter().map(|a| a.confidence).sum();
    COMPONENTS
        .iter()
        .filter(|c| {
            let namers = answers
                .iter()
                .filter(|a| a.components.iter().any(|id| id == c.id));
            if total > 0.0 {
                namers.map(|a| a.confidence).sum::<f64>() > 0.5 * total
            } else {
                2 * namers.count() > answers.len()
            }
        })
        .map(|c| c.id.to_owned())
        .collect()
}

/// Median range of the agreeing agents' quotes in one currency.
fn agreed_cost(rep: &AgentAnswer, agreeing: &[&AgentAnswer]) -> Option<CostRange> {
    let quotes: Vec<&CostRange> = agreeing
        .iter()
        .filter_map(|a| a.estimated_cost.as_ref())
        .collect();
    let currency = match &rep.estimated_cost {
        Some(cost) => cost.currency.clone(),
        None => most_common_currency(&quotes)?,
    };
    let in_currency = quotes.iter().filter(|q| q.currency == currency);
    let mins: Vec<f64> = in_currency.clone().map(|q| q.min).collect();
    let maxes: Vec<f64> = in_currency.map(|q| q.max).collect();
    // Each quote has min ≤ max, so the k-th smallest minimum is at most the
    // k-th smallest maximum and the medians stay in order.
    Some(CostRange {
        min: median(mins)?,
        max: median(maxes)?,
        currency,
    })
}

/// The currency most quotes use; ties go to the alphabetically first code.
fn most_common_currency(quotes: &[&CostRange]) -> Option<String> {
    let mut codes: Vec<&str> = quotes.iter().map(|q| q.currency.as_str()).collect();
    codes.sort_unstable();
    let mut best: Option<(&str, usize)> = None;
    for chunk in codes.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(_, count)| chunk.len() > count) {
            best = Some((chunk[0], chunk.len()));
        }
    }
    best.map(|(code, _)| code.to_owned())
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        len if len % 2 == 1 => Some(values[mid]),
        _ => Some((values[mid - 1] + values[mid]) / 2.0),
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// A total order over answers, so that sorting removes any trace of the
/// order in which they arrived.
fn canonical_order(a: &AgentAnswer, b: &AgentAnswer) -> Ordering {
    let cost = |c: &Option<CostRange>, d: &Option<CostRange>| match (c, d) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(c), Some(d)) => c
            .min
            .total_cmp(&d.min)
            .then(c.max.total_cmp(&d.max))
            .then_with(|| c.currency.cmp(&d.currency)),
    };
    a.agent
        .cmp(&b.agent)
        .then_with(|| a.cause.cmp(&b.cause))
        .then_with(|| a.components.cmp(&b.components))
        .then(a.confidence.total_cmp(&b.confidence))
        .then_with(|| a.diagnosis.cmp(&b.diagnosis))
        .then_with(|| a.recommended_action.cmp(&b.recommended_action))
        .then_with(|| cost(&a.estimated_cost, &b.estimated_cost))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A valid answer for tests; panics if the arguments make it invalid.
    pub(crate) fn answer(
        agent: &str,
        cause: &str,
        components: &[&str],
        confidence: f64,
    ) -> AgentAnswer {
        AgentAnswer {
            agent: agent.into(),
            diagnosis: format!("{agent} thinks: {cause}"),
            cause: cause.into(),
            components: components.iter().map(|&c| c.to_owned()).collect(),
            recommended_action: format!("Inspect {}", components.join(", ")),
            estimated_cost: None,
            confidence,
        }
    }

    fn valid(answers: Vec<AgentAnswer>) -> Vec<ValidAnswer> {
        answers
            .into_iter()
            .map(|a| a.into_valid().expect("test answer is valid"))
            .collect()
    }

    fn cost(min: f64, max: f64, currency: &str) -> Option<CostRange> {
        Some(CostRange {
            min,
            max,
            currency: currency.into(),
        })
    }

    #[test]
    fn no_answers_no_consensus() {
        assert_eq!(consensus(&[]), None);
    }

    #[test]
    fn unanimous_agents_score_one() {
        let c = consensus(&valid(vec![
            answer(
                "a",
                "ignition_misfire",
                &["spark_plugs", "ignition_coil"],
                0.9,
            ),
            answer(
                "b",
                "ignition_misfire",
                &["ignition_coil", "spark_plugs"],
                0.7,
            ),
        ]))
        .expect("consensus");
        assert_eq!(c.score, 1.0);
        assert_eq!(c.confidence, 0.8);
        assert_eq!(c.highlighted_components, ["spark_plugs", "ignition_coil"]);
        // Equal support: the more confident agent speaks for both.
        assert_eq!(c.representative, "a");
        assert_eq!(c.agents, 2);
    }

    #[test]
    fn similarity_mixes_components_and_cause() {
        let a = answer(
            "a",
            "ignition_misfire",
            &["spark_plugs", "ignition_coil"],
            0.9,
        );
        let b = answer("b", "ignition_misfire", &["spark_plugs"], 0.9);
        let c = answer("c", "lean_mixture", &["fuel_injectors"], 0.9);
        let d = answer("d", "lean_mixture", &[], 0.9);
        let e = answer("e", "lean_mixture", &[], 0.9);
        assert!((similarity(&a, &b) - (0.6 * 0.5 + 0.4)).abs() < 1e-12);
        assert_eq!(similarity(&a, &c), 0.0);
        assert!((similarity(&c, &d) - 0.4).abs() < 1e-12);
        assert_eq!(similarity(&d, &e), 1.0, "no components: cause decides");
        assert_eq!(similarity(&a, &b), similarity(&b, &a));
    }

    #[test]
    fn a_dissenter_lowers_score_and_loses_the_majority() {
        let c = consensus(&valid(vec![
            answer("a", "ignition_misfire", &["spark_plugs"], 0.9),
            answer("b", "ignition_misfire", &["spark_plugs"], 0.9),
            answer("c", "charging_fault", &["stator"], 0.9),
        ]))
        .expect("consensus");
        // Pairs: a-b 1, a-c 0, b-c 0.
        assert_eq!(c.score, 0.3333);
        assert_eq!(c.cause, "ignition_misfire");
        assert_eq!(c.highlighted_components, ["spark_plugs"]);
        // The dissenter has no support, so its confidence carries no weight.
        assert_eq!(c.confidence, 0.9);
    }

    #[test]
    fn confidence_weights_the_majority_of_components() {
        let c = consensus(&valid(vec![
            answer("a", "charging_fault", &["stator", "battery"], 0.9),
            answer("b", "charging_fault", &["stator"], 0.3),
            answer(
                "c",
                "charging_fault",
                &["stator", "regulator_rectifier"],
                0.3,
            ),
        ]))
        .expect("consensus");
        // battery: 0.9 of 1.5 > half; regulator: 0.3 of 1.5 is not.
        assert_eq!(c.highlighted_components, ["battery", "stator"]);
    }

    #[test]
    fn a_single_voice_is_discounted() {
        let c = consensus(&valid(vec![answer(
            "offline_rules",
            "ignition_misfire",
            &["spark_plugs"],
            0.9,
        )]))
        .expect("consensus");
        assert_eq!(c.score, 0.765);
        assert_eq!(c.confidence, 0.9);
        assert_eq!(c.highlighted_components, ["spark_plugs"]);
        assert_eq!(c.representative, "offline_rules");
    }

    #[test]
    fn cost_is_the_median_of_agreeing_quotes_in_one_currency() {
        let mut a = answer("a", "ignition_misfire", &["spark_plugs"], 0.9);
        a.estimated_cost = cost(40.0, 100.0, "EUR");
        let mut b = answer("b", "ignition_misfire", &["spark_plugs"], 0.8);
        b.estimated_cost = cost(60.0, 140.0, "EUR");
        let mut c = answer("c", "ignition_misfire", &["spark_plugs"], 0.7);
        c.estimated_cost = cost(5_000.0, 9_000.0, "EUR"); // one wild quote
        let mut d = answer("d", "ignition_misfire", &["spark_plugs"], 0.7);
        d.estimated_cost = cost(50.0, 90.0, "GBP"); // not comparable
        let mut e = answer("e", "charging_fault", &["stator"], 0.9);
        e.estimated_cost = cost(300.0, 600.0, "EUR"); // disagrees
        let got = consensus(&valid(vec![a, b, c, d, e])).expect("consensus");
        assert_eq!(got.representative, "a");
        assert_eq!(got.estimated_cost, cost(60.0, 140.0, "EUR"));
    }

    #[test]
    fn cost_currency_follows_the_agreeing_majority_when_the_representative_quoted_none() {
        let a = answer("a", "ignition_misfire", &["spark_plugs"], 0.9);
        let mut b = answer("b", "ignition_misfire", &["spark_plugs"], 0.8);
        b.estimated_cost = cost(40.0, 80.0, "USD");
        let mut c = answer("c", "ignition_misfire", &["spark_plugs"], 0.8);
        c.estimated_cost = cost(30.0, 70.0, "EUR");
        let mut d = answer("d", "ignition_misfire", &["spark_plugs"], 0.8);
        d.estimated_cost = cost(50.0, 90.0, "EUR");
        let got = consensus(&valid(vec![a.clone(), b.clone(), c.clone(), d])).expect("consensus");
        assert_eq!(got.estimated_cost, cost(40.0, 80.0, "EUR"));
        // A tie between currencies goes to the first code, not the first arrival.
        let got = consensus(&valid(vec![a.clone(), c, b])).expect("consensus");
        assert_eq!(got.estimated_cost, cost(30.0, 70.0, "EUR"));
        assert_eq!(
            consensus(&valid(vec![a]))
                .expect("consensus")
                .estimated_cost,
            None
        );
    }

    const CAUSES: &[&str] = &["ignition_misfire", "lean_mixture", "charging_fault"];

    /// Up to six answers drawn from a small pool of causes and components,
    /// so that agreement, partial overlap and ties all happen often.
    pub(crate) fn answers_strategy() -> impl Strategy<Value = Vec<AgentAnswer>> {
        let one = (
            0..CAUSES.len(),
            proptest::sample::subsequence(&COMPONENTS[..6], 0..=3),
            0u32..=100,
            proptest::option::of((0u32..500, 0u32..500)),
        );
        proptest::collection::vec(one, 1..=6).prop_map(|drawn| {
            drawn
                .into_iter()
                .enumerate()
                .map(|(i, (cause, comps, conf, quote))| {
                    let ids: Vec<&str> = comps.iter().map(|c| c.id).collect();
                    let mut a = answer(
                        &format!("agent_{i}"),
                        CAUSES[cause],
                        &ids,
                        f64::from(conf) / 100.0,
                    );
                    a.estimated_cost = quote.map(|(x, y)| CostRange {
                        min: f64::from(x.min(y)),
                        max: f64::from(x.max(y)),
                        currency: "EUR".into(),
                    });
                    a
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn consensus_does_not_depend_on_answer_order(
            (answers, shuffled) in answers_strategy()
                .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
        ) {
            prop_assert_eq!(consensus(&valid(answers)), consensus(&valid(shuffled)));
        }

        #[test]
        fn consensus_stays_in_range_and_within_what_agents_named(answers in answers_strategy()) {
            let named: Vec<String> = answers.iter().flat_map(|a| a.components.clone()).collect();
            let c = consensus(&valid(answers.clone())).expect("non-empty");
            prop_assert!((0.0..=1.0).contains(&c.score));
            prop_assert!((0.0..=1.0).contains(&c.confidence));
            prop_assert!(c.highlighted_components.iter().all(|id| named.contains(id)));
            prop_assert!(answers.iter().any(|a| a.agent == c.representative
                && a.diagnosis == c.diagnosis
                && a.recommended_action == c.recommended_action));
            if let Some(cost) = &c.estimated_cost {
                prop_assert!(cost.min <= cost.max);
            }
        }
    }
}
