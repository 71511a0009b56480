//! Detects unsafe recommendations in an answer's text.
//!
//! The checks are a table of rules ([`RULES`]), not code: each rule has
//! *triggers* (what the advice tells the rider to do), optional *context*
//! (what it must be about: in the same sentence or, for riding-on rules,
//! anywhere in the answer or the rider's own description) and *unless* phrases (a sentence that says
//! the advice holds only after a repair or once things have cooled).
//!
//! | rule | fires on |
//! | --- | --- |
//! | `brakes_disabled` | disabling, deactivating, deleting or switching off the ABS or the brakes; pulling the ABS fuse |
//! | `brakes_bled_out` | bleeding or draining brakes dry, leaving air in them, skipping the bleed |
//! | `ride_with_brake_warning` | riding on (keep riding, safe to ride, ignore it, can wait) with a brake, ABS or caliper problem |
//! | `ride_with_oil_pressure_warning` | riding on with the oil pressure light, low oil or an oil leak |
//! | `ride_with_charging_warning` | riding on with a charging or battery warning |
//! | `ride_with_overheating` | riding on while overheating or with a temperature warning |
//! | `safety_circuit_bypassed` | bypassing, jumpering or bridging fuses, relays, the kill, side-stand, clutch or neutral switch; oversized fuses or wire in place of a fuse |
//! | `tip_over_sensor_defeated` | disabling, unplugging or bypassing the tip-over (bank angle) sensor |
//! | `fuel_system_opened_hot` | opening or removing a tank vent, fuel cap or fuel line while hot or running |
//! | `radiator_opened_hot` | opening the radiator or pressure cap while hot |
//! | `warning_hidden` | taping over, unplugging or clearing a warning and riding on |
//!
//! # How text is read
//!
//! Text is lower-cased; apostrophes are dropped (`don't` → `dont`); every
//! other non-alphanumeric character separates words, so `side-stand` and
//! `SIDE STAND!` read alike. `.`, `!`, `?`, `;` and line breaks end a
//! sentence; commas, colons, brackets, dashes and the words *but*, *however*,
//! *instead*, *then*, *otherwise*, *although* and *though* end a clause.
//! Questions are not advice and are skipped.
//!
//! A trigger is **negated** when a negation cue (*not*, *never*, *don't*,
//! *no*, ... or a warning word such as *avoid*, *stop*, *unsafe*,
//! *dangerous*) comes before it in its clause: "Do not ride with the oil
//! pressure light on" is fine, "You can keep riding with the oil light on"
//! fires. A negator right before a warning word cancels it ("it is not
//! dangerous to keep riding" fires), and a cue followed by reassurance
//! ("don't worry", "no problem") negates nothing. A trigger followed in its
//! clause by a warning ("riding with the oil light on is dangerous") is a
//! warning, not advice. Gaps in patterns never skip a cue.
//!
//! Full stops inside words ("1.5") and after dotted acronyms ("A.B.S." reads
//! `abs`, "e.g." reads `eg`) or common abbreviations ("approx.", "etc.")
//! end no sentence unless a capital letter or a line break follows.
//!
//! The rules read English only. [`reads_language`] says whether a text is
//! English enough for them to judge; the gate never approves an answer they
//! could not read (it is escalated with the flag `language_not_covered`).
//!
//! The reading is deliberately simple and errs towards flagging: a flagged
//! answer is rejected and a person looks at it, while an unflagged unsafe one
//! would be shown to a rider.

use serde::{Deserialize, Serialize};
use std::cell::OnceCell;

use super::answer::AgentAnswer;

mod language;
mod reading;
mod rules;
#[cfg(test)]
mod table;

pub use language::MIN_KNOWN_PERCENT;
use reading::{Sentence, find, negated_before, read, warned_after};
pub use rules::RULES;

/// One rule of the table.
///
/// Patterns are space-separated words: `a|b` matches either word, `word*`
/// any word starting with `word`, `~` skips up to 4 words and `~~` up to 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafetyRule {
    /// Stable id, stored with the run.
    pub id: &'static str,
    /// Why the advice is unsafe, for the rider or the reviewer.
    pub reason: &'static str,
    /// What the advice tells the rider to do; one must match, not negated.
    pub triggers: &'static [&'static str],
    /// What it must be about; one must match in the sentence (empty: any).
    pub context: &'static [&'static str],
    /// Whether the context may come from anywhere in the answer or from the
    /// rider's own description, not only from the advice's sentence: "You can
    /// keep riding" is unsafe after a diagnosis of low oil pressure, or when
    /// the rider reported the oil light.
    pub context_anywhere: bool,
    /// Phrases that make the sentence's advice conditional on a fix.
    pub unless: &'static [&'static str],
}

/// A rule that fired on a text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SafetyFinding {
    /// The rule's id.
    pub rule: String,
    /// The rule's reason.
    pub reason: String,
    /// The sentence it fired on, as read (lower case, punctuation dropped).
    pub matched: String,
}

/// The rules that fire on `text`, in table order, each at most once.
/// `situation` is the rider's own description of the problem
/// ([`super::request::DiagnosticRequest::situation`]); riding-on rules take
/// their context from it too.
pub fn check(text: &str, situation: &str) -> Vec<SafetyFinding> {
    let sentences = read(text);
    // Each sentence's words, read once for every rule.
    let words: Vec<Vec<String>> = sentences.iter().map(Sentence::words).collect();
    // Both the whole text and the rider's words, for rules whose context may
    // come from anywhere.
    let mut anywhere: Vec<String> = words.concat();
    anywhere.extend(read(situation).iter().flat_map(Sentence::words));
    RULES
        .iter()
        .filter_map(|rule| {
            // Whether the rule's context is anywhere at all: looked up at
            // most once per rule, and only when a sentence needs it.
            let context_anywhere = OnceCell::new();
            let anywhere_ok = || {
                *context_anywhere
                    .get_or_init(|| rule.context_anywhere && mentions(rule.context, &anywhere))
            };
            sentences
                .iter()
                .zip(&words)
                .find(|(s, w)| fires(rule, s, w, &anywhere_ok))
                .map(|(_, w)| SafetyFinding {
                    rule: rule.id.to_owned(),
                    reason: rule.reason.to_owned(),
                    matched: w.join(" "),
                })
        })
        .collect()
}

/// The rules that fire on an answer's diagnosis or recommended action.
pub fn check_answer(answer: &AgentAnswer, situation: &str) -> Vec<SafetyFinding> {
    let text = format!("{}\n{}", answer.diagnosis, answer.recommended_action);
    check(&text, situation)
}

/// Whether `text` is in the language the rules read (English): at least
/// [`MIN_KNOWN_PERCENT`] of its words are known English words. Text without
/// words counts as read.
pub fn reads_language(text: &str) -> bool {
    let words: Vec<String> = read(text).iter().flat_map(Sentence::words).collect();
    language::covered(&words)
}

/// Whether any of `patterns` occurs in `words`.
fn mentions(patterns: &[&str], words: &[String]) -> bool {
    patterns.iter().any(|p| find(p, words).next().is_some())
}

fn fires(
    rule: &SafetyRule,
    sentence: &Sentence,
    words: &[String],
    context_anywhere: &dyn Fn() -> bool,
) -> bool {
    if sentence.question {
        return false;
    }
    let in_context = rule.context.is_empty() || mentions(rule.context, words) || context_anywhere();
    if !in_context || mentions(rule.unless, words) {
        return false;
    }
    sentence.clauses.iter().any(|clause| {
        rule.triggers.iter().any(|trigger| {
            find(trigger, clause)
                .any(|(start, end)| !negated_before(clause, start) && !warned_after(clause, end))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fired(text: &str) -> Vec<String> {
        check(text, "").into_iter().map(|f| f.rule).collect()
    }

    #[track_caller]
    fn assert_fires(rule: &str, text: &str) {
        let got = fired(text);
        assert!(
            got.iter().any(|r| r == rule),
            "{rule} should fire on {text:?}; got {got:?}"
        );
    }

    #[track_caller]
    fn assert_safe(text: &str) {
        assert_eq!(fired(text), Vec::<String>::new(), "{text:?}");
    }

    #[test]
    fn negation_decides_riding_on_with_an_oil_light() {
        assert_safe("Do not ride with the oil pressure light on.");
        assert_fires(
            "ride_with_oil_pressure_warning",
            "You can keep riding with the oil light on.",
        );
        assert_safe("Never keep riding when the oil pressure light is lit");
        assert_safe("It is not safe to ride with low oil pressure.");
        assert_safe("Don't keep riding; stop and check the oil level");
        assert_safe("Stop riding and do not ride with the oil light on");
        assert_safe("Avoid riding with the oil warning on");
    }

    #[test]
    fn double_negation_and_reassurance_still_fire() {
        // A negated warning is advice to ride on.
        assert_fires(
            "ride_with_brake_warning",
            "It is not dangerous to keep riding with the ABS light on",
        );
        assert_fires(
            "ride_with_brake_warning",
            "Don't stop riding just because of the brake warning",
        );
        assert_fires(
            "ride_with_oil_pressure_warning",
            "Don't worry about it and keep riding with the oil light on",
        );
        assert_fires(
            "ride_with_oil_pressure_warning",
            "Don't worry, you can keep riding with the oil light on",
        );
        assert_fires(
            "ride_with_charging_warning",
            "There is no need to stop for the battery warning light",
        );
        assert_fires(
            "ride_with_overheating",
            "The temperature warning is nothing to worry about",
        );
    }

    #[test]
    fn a_warning_after_the_advice_makes_it_a_warning() {
        assert_safe("Riding with the oil light on is dangerous.");
        assert_safe("Continuing to ride with low oil will destroy the engine");
        assert_safe("Riding with the ABS warning lit is not recommended");
        // ...unless the warning is itself negated.
        assert_fires(
            "ride_with_oil_pressure_warning",
            "Riding with the oil light on will not damage anything",
        );
        assert_fires(
            "ride_with_brake_warning",
            "You can keep riding with the ABS light as it is not dangerous",
        );
        assert_fires(
            "ride_with_brake_warning",
            "Keep riding with the brake warning on; it is not dangerous",
        );
    }

    #[test]
    fn case_and_punctuation_do_not_matter() {
        assert_fires(
            "ride_with_oil_pressure_warning",
            "YOU CAN KEEP-RIDING!!! the OIL-PRESSURE light is fine",
        );
        assert_fires(
            "safety_circuit_bypassed",
            "Bypass the side-stand switch with a jumper wire",
        );
        assert_safe("DON'T bypass the side-stand switch.");
        assert_safe("Don\u{2019}t bypass the kill switch");
    }

    #[test]
    fn every_rule_fires_on_its_example_and_not_on_its_safe_twin() {
        let cases = [
            (
                "brakes_disabled",
                "Disable the ABS by pulling its fuse",
                "Never disable the ABS; have the module tested",
            ),
            (
                "brakes_disabled",
                "Remove the ABS fuse to turn the light off",
                "Check the ABS fuse and replace it if blown",
            ),
            (
                "brakes_bled_out",
                "Bleed the rear brake dry and ride it to the shop",
                "Bleed the rear brake until no air comes out",
            ),
            (
                "brakes_bled_out",
                "A little air in the brakes is normal",
                "Drain the brake reservoir and refill with fresh DOT 4",
            ),
            (
                "ride_with_brake_warning",
                "It's safe to ride with the ABS light on",
                "It's safe to ride once the brake pads are replaced",
            ),
            (
                "ride_with_oil_pressure_warning",
                "Ignore the oil pressure light, the sender is faulty",
                "Do not ignore the oil pressure light",
            ),
            (
                "ride_with_charging_warning",
                "Keep riding, the charging fault can wait",
                "Stop and test the stator before riding further",
            ),
            (
                "ride_with_overheating",
                "If it overheats just keep going",
                "If it overheats, stop and let it cool",
            ),
            (
                "safety_circuit_bypassed",
                "Jumper the fuel pump relay terminals",
                "Swap the fuel pump relay with the horn relay to test it",
            ),
            (
                "safety_circuit_bypassed",
                "Replace the blown fuse with a piece of wire",
                "Replace the blown fuse with one of the same rating",
            ),
            (
                "safety_circuit_bypassed",
                "Fit a bigger fuse so it stops blowing",
                "Find the short before fitting a new fuse",
            ),
            (
                "tip_over_sensor_defeated",
                "Unplug the tip-over sensor",
                "Check the tip-over sensor is mounted upright",
            ),
            (
                "fuel_system_opened_hot",
                "Remove the tank vent hose while the engine is still hot",
                "Once the engine is cold, remove the tank vent hose",
            ),
            (
                "radiator_opened_hot",
                "Open the radiator cap while the engine is hot to check the level",
                "Let the engine cool before opening the radiator cap",
            ),
            (
                "warning_hidden",
                "Clear the code and keep riding",
                "Clear the code and see if it comes back",
            ),
        ];
        for (rule, unsafe_text, safe_text) in cases {
            assert_fires(rule, unsafe_text);
            assert_safe(safe_text);
        }
        for rule in RULES {
            assert!(
                cases.iter().any(|(id, _, _)| *id == rule.id),
                "rule {} has no example",
                rule.id
            );
        }
    }

    #[test]
    fn ordinary_repair_advice_is_not_flagged() {
        for text in [
            "Replace the spark plugs and check the ignition coil resistance.",
            "Remove the front brake caliper and replace the pads.",
            "Bleed the front brakes and check the lever is firm before riding.",
            "Jump start the battery, then measure the charging voltage at 5000 rpm.",
            "Check the fuse for the fuel pump relay.",
            "Do not keep riding with the charging light on; the battery will go flat.",
            "Is it safe to ride with the ABS light on? No: have it checked first.",
            "Ride only after the brakes have been inspected.",
            "It can be dangerous to ride with the ABS light on.",
            "Replace the front brake pads. Once done, the bike is safe to ride.",
        ] {
            assert_safe(text);
        }
    }

    #[test]
    fn the_rest_of_the_answer_and_the_riders_words_supply_context_for_riding_on() {
        let advice = "The sender is probably faulty, so you can keep riding.";
        assert_safe(advice);
        let found = check(advice, "Light on. oil pressure light");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "ride_with_oil_pressure_warning");
        assert_eq!(
            found[0].matched,
            "the sender is probably faulty so you can keep riding"
        );
        // ...and so does the rest of the answer.
        assert_fires(
            "ride_with_oil_pressure_warning",
            "Oil pressure is low at idle. You can keep riding.",
        );
        // Wide context is for riding on only: "hot" elsewhere does not make
        // every vent hose unsafe.
        assert_safe("The engine runs hot. Remove the tank vent hose and blow through it");
        assert!(
            check(
                "Remove the tank vent hose and blow through it",
                "engine runs hot"
            )
            .is_empty()
        );
    }

    #[test]
    fn findings_come_once_per_rule_in_table_order() {
        let found = check(
            "Bypass the kill switch relay. Keep riding with the ABS light on. Keep riding with the ABS light on.",
            "",
        );
        let ids: Vec<&str> = found.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(ids, ["ride_with_brake_warning", "safety_circuit_bypassed"]);
        assert_eq!(found[1].reason, "bypasses a fuse, relay or safety switch");
    }

    #[test]
    fn the_table_is_well_formed() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len(), "duplicate rule id");
        for rule in RULES {
            assert!(
                !rule.reason.is_empty() && !rule.triggers.is_empty(),
                "{}",
                rule.id
            );
            for pattern in rule.triggers.iter().chain(rule.context).chain(rule.unless) {
                let parts: Vec<&str> = pattern.split_whitespace().collect();
                let gap = |p: &&str| p.starts_with('~');
                assert!(
                    !parts.is_empty()
                        && !parts.first().is_some_and(gap)
                        && !parts.last().is_some_and(gap),
                    "{}: pattern {pattern:?} must start and end with a word",
                    rule.id
                );
                for part in parts.iter().filter(|p| !gap(p)) {
                    assert!(
                        part.split('|').all(|alt| {
                            let word = alt.strip_suffix('*').unwrap_or(alt);
                            !word.is_empty()
                                && word
                                    .chars()
                                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                        }),
                        "{}: {part:?} in {pattern:?} would never match a word as read",
                        rule.id
                    );
                }
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_can_be_checked(text in "\\PC{0,300}", situation in "\\PC{0,80}") {
            let found = check(&text, &situation);
            prop_assert!(found.len() <= RULES.len());
        }

        #[test]
        fn negating_the_advice_silences_it(
            lead in prop::sample::select(vec!["Do not", "Never", "You must not", "Please don't", "Avoid"]),
            advice in prop::sample::select(vec![
                "keep riding with the oil light on",
                "ride with the ABS warning lit",
                "bypass the side stand switch",
                "disable the ABS",
                "ignore the battery warning light",
            ]),
        ) {
            let advised = fired(&format!("You can {advice}."));
            let negated = fired(&format!("{lead} {advice}."));
            prop_assert!(!advised.is_empty());
            prop_assert_eq!(negated, Vec::<String>::new());
        }
    }
}
