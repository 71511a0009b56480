//! Whether a text is in the language the rules read: English.
//!
//! The rules only understand English; advice in another language would pass
//! them unread. A text counts as English when at least
//! [`MIN_KNOWN_PERCENT`] of its words are English words the reader knows:
//! common function words, the workshop words below, the words of the known
//! components' names and ids, and every word the rule table itself uses. Words with digits (codes, figures) are not counted, and
//! a text without words has nothing to read and counts as covered.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::rules::RULES;
use crate::vehicle::COMPONENTS;

/// Share of a text's words, in percent, that must be known English words.
/// English advice, even terse ("Replace spark plugs"), scores well above
/// 60; German, French, Spanish, Italian, Dutch, Polish or Turkish advice
/// scores under 20.
pub const MIN_KNOWN_PERCENT: usize = 40;

/// Function words and the everyday words of workshop advice, as read
/// (lower case, apostrophes dropped).
const ENGLISH: &[&str] = &[
    // Function words.
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "arent",
    "around",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "cant",
    "could",
    "couldnt",
    "did",
    "didnt",
    "do",
    "does",
    "doesnt",
    "doing",
    "dont",
    "down",
    "during",
    "each",
    "either",
    "enough",
    "even",
    "ever",
    "every",
    "few",
    "first",
    "for",
    "from",
    "further",
    "had",
    "has",
    "hasnt",
    "have",
    "havent",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "isnt",
    "it",
    "its",
    "itself",
    "just",
    "last",
    "least",
    "less",
    "let",
    "lets",
    "like",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "mustnt",
    "my",
    "near",
    "need",
    "needs",
    "neither",
    "never",
    "new",
    "next",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "often",
    "old",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "per",
    "please",
    "rather",
    "same",
    "several",
    "shall",
    "she",
    "should",
    "shouldnt",
    "since",
    "so",
    "some",
    "still",
    "such",
    "than",
    "that",
    "thats",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "two",
    "three",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "via",
    "was",
    "wasnt",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "within",
    "without",
    "wont",
    "would",
    "wouldnt",
    "yet",
    "you",
    "your",
    "youre",
    "yours",
    "eg",
    "ie",
    "etc",
    "approx",
    "yes",
    "ok",
    "okay",
    // Workshop words.
    "adapter",
    "adjust",
    "air",
    "amp",
    "amps",
    "battery",
    "bearing",
    "bike",
    "bleed",
    "bolt",
    "bolts",
    "brake",
    "brakes",
    "bulb",
    "cable",
    "cables",
    "caliper",
    "calipers",
    "cap",
    "chain",
    "change",
    "charge",
    "charging",
    "check",
    "checked",
    "clean",
    "clear",
    "clutch",
    "code",
    "codes",
    "coil",
    "cold",
    "connector",
    "connectors",
    "coolant",
    "corroded",
    "corrosion",
    "cylinder",
    "damaged",
    "dealer",
    "disc",
    "discs",
    "engine",
    "faulty",
    "fault",
    "filter",
    "fit",
    "fix",
    "fixed",
    "fluid",
    "fork",
    "fuel",
    "fuse",
    "gauge",
    "ground",
    "have",
    "hose",
    "hoses",
    "idle",
    "ignition",
    "inspect",
    "inspected",
    "inspection",
    "issue",
    "lever",
    "light",
    "likely",
    "line",
    "lines",
    "loose",
    "low",
    "manual",
    "measure",
    "meter",
    "mileage",
    "misfire",
    "module",
    "motor",
    "motorcycle",
    "multimeter",
    "oil",
    "pad",
    "pads",
    "part",
    "parts",
    "plug",
    "plugs",
    "possible",
    "pressure",
    "probably",
    "problem",
    "pump",
    "read",
    "rear",
    "front",
    "relay",
    "repair",
    "replace",
    "replaced",
    "resistance",
    "ride",
    "rider",
    "riding",
    "rpm",
    "seal",
    "sensor",
    "sensors",
    "service",
    "shop",
    "short",
    "sign",
    "signal",
    "spark",
    "speed",
    "start",
    "starter",
    "stator",
    "switch",
    "system",
    "tank",
    "test",
    "tested",
    "tighten",
    "tire",
    "tires",
    "torque",
    "tyre",
    "tyres",
    "valve",
    "voltage",
    "warning",
    "wheel",
    "wire",
    "wires",
    "wiring",
    "workshop",
    "worn",
];

/// Whether `words` (as read) are English enough for the rules to judge.
pub(super) fn covered(words: &[String]) -> bool {
    let counted: Vec<&String> = words
        .iter()
        .filter(|w| !w.chars().any(|c| c.is_numeric()))
        .collect();
    if counted.is_empty() {
        return true;
    }
    let known = counted.iter().filter(|w| known(w)).count();
    known * 100 >= counted.len() * MIN_KNOWN_PERCENT
}

/// Every word the reader knows exactly, and the prefixes it knows words
/// by (the rule table's `word*`): built once, since each gated answer asks
/// for every one of its words (the server gates every pushed offline run).
struct Vocabulary {
    words: HashSet<String>,
    prefixes: Vec<&'static str>,
}

fn vocabulary() -> &'static Vocabulary {
    static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
    VOCABULARY.get_or_init(|| {
        let mut words: HashSet<String> = ENGLISH.iter().map(|w| (*w).to_owned()).collect();
        let mut prefixes = Vec::new();
        let alternatives = RULES
            .iter()
            .flat_map(|rule| rule.triggers.iter().chain(rule.context).chain(rule.unless))
            .flat_map(|pattern| pattern.split_whitespace())
            .flat_map(|part| part.split('|'));
        for alt in alternatives {
            match alt.strip_suffix('*') {
                Some(prefix) => prefixes.push(prefix),
                None => {
                    words.insert(alt.to_owned());
                }
            }
        }
        for component in COMPONENTS {
            words.extend(component.id.split('_').map(str::to_owned));
            words.extend(
                component
                    .name
                    .split(|ch: char| !ch.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase),
            );
        }
        Vocabulary { words, prefixes }
    })
}

fn known(word: &str) -> bool {
    let vocabulary = vocabulary();
    vocabulary.words.contains(word) || vocabulary.prefixes.iter().any(|p| word.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::super::reading::read;
    use super::*;

    fn english(text: &str) -> bool {
        let words: Vec<String> = read(text).iter().flat_map(|s| s.words()).collect();
        covered(&words)
    }

    #[test]
    fn english_advice_is_covered_however_terse() {
        for text in [
            "Replace spark plugs.",
            "Misfire on cylinder 1; replace the spark plugs and check the coil.",
            "P0562 (system voltage low): the battery is not being charged.",
            "Do not ride until this is fixed. 1. Check the ABS motor fuse and battery voltage.",
            "OK",
            "P0300",
            "",
        ] {
            assert!(english(text), "{text:?}");
        }
    }

    #[test]
    fn other_languages_are_not() {
        for text in [
            "Sie können mit der Öldruckleuchte weiterfahren.",
            "Vous pouvez continuer à rouler avec le voyant d'huile allumé.",
            "Puede seguir conduciendo con la luz de presión de aceite encendida.",
            "Puoi continuare a guidare con la spia dell'olio accesa.",
            "Je kunt doorrijden met het oliedrukwaarschuwingslampje aan.",
            "Możesz jechać dalej z zapaloną kontrolką ciśnienia oleju.",
            "Yağ basıncı lambası yanarken sürmeye devam edebilirsiniz.",
            "Можно ехать дальше с горящей лампой давления масла.",
            "油圧警告灯が点灯していても走行を続けられます。",
            "Weiterfahren.",
        ] {
            assert!(!english(text), "{text:?}");
        }
    }
}
