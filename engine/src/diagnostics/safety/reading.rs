//! How [`super::check`] reads text: sentences of clauses of lower-case
//! words, patterns matched against them, and the negation and warning cues
//! around a match. The module documentation of [`super`] describes the
//! rules of reading.

/// Words that negate what follows them.
const NEGATORS: &[&str] = &[
    "not", "never", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "shouldnt",
    "mustnt", "cant", "cannot", "couldnt", "wont", "wouldnt", "no", "nor", "neither",
];
/// Warning words: they negate advice that follows, and mark advice before
/// them as a warning.
const WARNING_WORDS: &[&str] = &[
    "unsafe",
    "dangerous",
    "avoid",
    "stop",
    "refrain",
    "prohibited",
    "forbidden",
    "risky",
    "inadvisable",
    "unwise",
    "illegal",
];
/// What, after a trigger, turns it into a warning.
const WARNINGS_AFTER: &[&str] = &[
    "unsafe|dangerous|risky|inadvisable|unwise|illegal",
    "not|isnt safe|recommended|advised|advisable",
    "bad idea",
    "damage|damages|damaging|destroy*|seize*|ruin*|risk*|warp*",
    "avoid*",
];
/// Words that, just before a warning after a trigger, cancel it.
const MITIGATORS: &[&str] = &["without", "little", "minimal"];
/// A cue followed by one of these is reassurance, not negation.
const REASSURANCE: &[&str] = &["worr*|panic*|problem*|concern*|fear*|alarm*|fuss"];
/// Words that end a clause.
const CLAUSE_WORDS: &[&str] = &[
    "but",
    "however",
    "instead",
    "then",
    "otherwise",
    "although",
    "though",
];

const GAP: usize = 4;
const WIDE_GAP: usize = 8;
/// How far a negator reaches to cancel a warning word or meet reassurance.
const REACH: usize = 3;

pub(super) struct Sentence {
    pub(super) clauses: Vec<Vec<String>>,
    pub(super) question: bool,
}

impl Sentence {
    pub(super) fn words(&self) -> Vec<String> {
        self.clauses.concat()
    }
}

/// Abbreviations whose full stop ends no sentence unless a capital letter
/// (or the end of the text or line) follows: "approx. 5 km", "e.g. the fuse".
const ABBREVIATIONS: &[&str] = &[
    "approx", "appr", "ca", "cf", "eg", "esp", "etc", "ie", "incl", "max", "min", "nr", "resp",
    "std", "viz", "vs", "wrt",
];

/// Splits text into sentences of clauses of lower-case words.
///
/// A full stop inside a word ("1.5", "a.b.s") ends nothing; letters between
/// single-letter dots make one word ("A.B.S." reads `abs`, "e.g." reads
/// `eg`). After such an acronym or an [`ABBREVIATIONS`] entry, the stop
/// ends the sentence only where a capital letter, a line break or the end of
/// the text follows.
pub(super) fn read(text: &str) -> Vec<Sentence> {
    let chars: Vec<char> = text.chars().chain(['\n']).collect();
    let mut reader = Reader::default();
    for (i, &ch) in chars.iter().enumerate() {
        if ch.is_alphanumeric() {
            reader.word.extend(ch.to_lowercase());
            reader.segment += 1;
            continue;
        }
        if matches!(ch, '\'' | '\u{2019}' | '\u{2018}' | '`') {
            continue;
        }
        let rest = &chars[i + 1..];
        let next = rest.first().copied().unwrap_or('\n');
        let segment = std::mem::take(&mut reader.segment);
        if ch == '.' && !reader.word.is_empty() && next.is_alphanumeric() {
            if segment == 1 && next.is_alphabetic() {
                // "a.b.s", "e.g": one word.
                reader.dotted = true;
                continue;
            }
            if next.is_numeric() && reader.word.ends_with(char::is_numeric) {
                // "1.5"
                continue;
            }
            if next.is_lowercase() {
                // "file.txt": two words in one sentence.
                reader.end_word();
                continue;
            }
        }
        reader.end_word();
        let ends_sentence = match ch {
            '.' if reader.after_abbreviation() => {
                // The next character that is not a space on the same line.
                let following = rest.iter().find(|c| **c == '\n' || !c.is_whitespace());
                following.is_none_or(|c| *c == '\n' || c.is_uppercase())
            }
            '.' | '!' | '?' | ';' | '\n' | '\r' => true,
            _ => false,
        };
        if ends_sentence {
            reader.end_sentence(ch == '?');
        } else if matches!(
            ch,
            ',' | ':'
                | '('
                | ')'
                | '['
                | ']'
                | '"'
                | '\u{201C}'
                | '\u{201D}'
                | '\u{2013}'
                | '\u{2014}'
        ) {
            reader.end_clause();
        }
    }
    reader.sentences
}

/// What [`read`] has read so far.
#[derive(Default)]
struct Reader {
    sentences: Vec<Sentence>,
    clauses: Vec<Vec<String>>,
    clause: Vec<String>,
    /// The word being read.
    word: String,
    /// Letters and digits since the word began or since a dot inside it.
    segment: usize,
    /// Whether the word being read joins single letters across dots.
    dotted: bool,
    /// Whether the last word read was a dotted acronym.
    last_dotted: bool,
}

impl Reader {
    fn end_word(&mut self) {
        if self.word.is_empty() {
            return;
        }
        self.last_dotted = std::mem::take(&mut self.dotted);
        if CLAUSE_WORDS.contains(&self.word.as_str()) {
            self.word.clear();
            self.end_clause();
        } else {
            self.clause.push(std::mem::take(&mut self.word));
        }
    }

    /// Whether the clause ends in an acronym or an abbreviation.
    fn after_abbreviation(&self) -> bool {
        self.clause
            .last()
            .is_some_and(|w| self.last_dotted || ABBREVIATIONS.contains(&w.as_str()))
    }

    fn end_clause(&mut self) {
        self.clauses.push(std::mem::take(&mut self.clause));
    }

    fn end_sentence(&mut self, question: bool) {
        self.end_clause();
        self.clauses.retain(|c| !c.is_empty());
        if !self.clauses.is_empty() {
            self.sentences.push(Sentence {
                clauses: std::mem::take(&mut self.clauses),
                question,
            });
        }
        self.last_dotted = false;
    }
}

fn word_matches(pattern: &str, word: &str) -> bool {
    pattern.split('|').any(|alt| match alt.strip_suffix('*') {
        Some(prefix) => word.starts_with(prefix),
        None => alt == word,
    })
}

fn any_of(patterns: &[&str], word: &str) -> bool {
    patterns.iter().any(|p| word_matches(p, word))
}

fn is_cue(word: &str) -> bool {
    NEGATORS.contains(&word) || WARNING_WORDS.contains(&word)
}

/// Every `(start, end)` where `pattern` matches `words`.
pub(super) fn find<'a>(
    pattern: &'a str,
    words: &'a [String],
) -> impl Iterator<Item = (usize, usize)> + 'a {
    let parts: Vec<&str> = pattern.split_whitespace().collect();
    (0..words.len()).filter_map(move |start| match_at(&parts, words, start).map(|end| (start, end)))
}

/// Where a match of `pattern` starting at `words[at]` ends, if there is one.
fn match_at(pattern: &[&str], words: &[String], at: usize) -> Option<usize> {
    let Some((first, rest)) = pattern.split_first() else {
        return Some(at);
    };
    let gap = match *first {
        "~" => GAP,
        "~~" => WIDE_GAP,
        _ => {
            return match words.get(at) {
                Some(w) if word_matches(first, w) => match_at(rest, words, at + 1),
                _ => None,
            };
        }
    };
    for skip in 0..=gap {
        if let Some(end) = match_at(rest, words, at + skip) {
            return Some(end);
        }
        // A gap never steps over a negation: "can be dangerous to ride" is
        // not "can ... ride".
        match words.get(at + skip) {
            Some(w) if !is_cue(w) => {}
            _ => break,
        }
    }
    None
}

/// Whether a cue before `start` in the clause negates what starts there.
pub(super) fn negated_before(clause: &[String], start: usize) -> bool {
    let before = &clause[..start];
    let mut spent = vec![false; before.len()];
    for j in 0..before.len() {
        if spent[j] || !is_cue(&before[j]) {
            continue;
        }
        let reach = j + 1..(j + 1 + REACH).min(before.len());
        if before[reach.clone()].iter().any(|w| any_of(REASSURANCE, w)) {
            spent[j] = true;
            continue;
        }
        if NEGATORS.contains(&before[j].as_str())
            && let Some(k) = reach
                .clone()
                .find(|&k| !spent[k] && WARNING_WORDS.contains(&before[k].as_str()))
        {
            // "not dangerous", "don't stop": the two cancel out.
            spent[j] = true;
            spent[k] = true;
        }
    }
    (0..before.len()).any(|j| !spent[j] && is_cue(&before[j]))
}

/// Whether the clause goes on to call what ends at `end` a danger.
pub(super) fn warned_after(clause: &[String], end: usize) -> bool {
    let after = &clause[end.min(clause.len())..];
    WARNINGS_AFTER.iter().any(|pattern| {
        find(pattern, after).any(|(at, _)| {
            !after[at.saturating_sub(REACH)..at]
                .iter()
                .any(|w| NEGATORS.contains(&w.as_str()) || MITIGATORS.contains(&w.as_str()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clauses(text: &str) -> Vec<Vec<String>> {
        read(text).into_iter().map(|s| s.clauses.concat()).collect()
    }

    #[test]
    fn text_is_read_as_sentences_of_clauses_of_words() {
        let sentences =
            read("Don't ride; it's UNSAFE, but (maybe) check the side-stand switch? Ok.");
        let shape: Vec<(usize, bool)> = sentences
            .iter()
            .map(|s| (s.clauses.len(), s.question))
            .collect();
        assert_eq!(shape, [(1, false), (3, true), (1, false)]);
        assert_eq!(sentences[0].words(), ["dont", "ride"]);
        assert_eq!(
            sentences[1].clauses,
            [
                vec!["its", "unsafe"],
                vec!["maybe"],
                vec!["check", "the", "side", "stand", "switch"]
            ]
            .map(|c| c.into_iter().map(String::from).collect::<Vec<_>>())
        );
        assert_eq!(clauses("   "), Vec::<Vec<String>>::new());
    }

    #[test]
    fn abbreviations_and_dotted_acronyms_end_no_sentence() {
        let read_as = |text: &str| -> Vec<String> {
            read(text).iter().map(|s| s.words().join(" ")).collect()
        };
        assert_eq!(read_as("Pull the A.B.S. fuse."), ["pull the abs fuse"]);
        assert_eq!(
            read_as("Use new pads, e.g. sintered ones, approx. 2 sets."),
            ["use new pads eg sintered ones approx 2 sets"]
        );
        assert_eq!(
            read_as("Set 14.2 V at 5000 rpm."),
            ["set 142 v at 5000 rpm"]
        );
        // A capital letter, a line break or the end after the stop: a new sentence.
        assert_eq!(
            read_as("Check the A.B.S. It may be faulty."),
            ["check the abs", "it may be faulty"]
        );
        assert_eq!(
            read_as("Brakes, pads etc.\nride on"),
            ["brakes pads etc", "ride on"]
        );
        assert_eq!(read_as("Check fuses etc."), ["check fuses etc"]);
        // An ordinary word before a stop ends the sentence, even without a space.
        assert_eq!(
            read_as("Do not stop.Keep riding"),
            ["do not stop", "keep riding"]
        );
        assert_eq!(read_as("Open config.txt now"), ["open config txt now"]);
    }

    #[test]
    fn patterns_match_alternatives_prefixes_and_gaps() {
        let words: Vec<String> = "please disable the rear abs unit"
            .split(' ')
            .map(String::from)
            .collect();
        assert_eq!(find("disabl* ~ abs", &words).collect::<Vec<_>>(), [(1, 5)]);
        assert_eq!(find("rear|front abs", &words).collect::<Vec<_>>(), [(3, 5)]);
        assert_eq!(find("disable abs", &words).count(), 0);
        // A gap reaches four words, and never over a negation.
        let far: Vec<String> = "can a b c d ride".split(' ').map(String::from).collect();
        assert_eq!(find("can ~ ride", &far).count(), 1);
        let farther: Vec<String> = "can a b c d e ride".split(' ').map(String::from).collect();
        assert_eq!(find("can ~ ride", &farther).count(), 0);
        let negated: Vec<String> = "can not ride".split(' ').map(String::from).collect();
        assert_eq!(find("can ~ ride", &negated).count(), 0);
    }

    #[test]
    fn a_consequence_after_riding_on_is_a_warning() {
        let words = |t: &str| -> Vec<String> { t.split(' ').map(String::from).collect() };
        let clause = words("riding on risks warped heads or seizure");
        assert!(warned_after(&clause, 2));
        let clause = words("riding on is fine");
        assert!(!warned_after(&clause, 2));
    }

    #[test]
    fn negators_and_warning_words_pair_up() {
        let words = |t: &str| -> Vec<String> { t.split(' ').map(String::from).collect() };
        let clause = words("it is not dangerous to keep riding");
        assert!(!negated_before(&clause, 5), "not + dangerous cancel");
        let clause = words("it is dangerous to keep riding");
        assert!(negated_before(&clause, 4));
        let clause = words("dont worry and keep riding");
        assert!(!negated_before(&clause, 3), "reassurance negates nothing");
        let clause = words("keep riding it will damage the engine");
        assert!(warned_after(&clause, 2));
        let clause = words("keep riding it will not damage the engine");
        assert!(!warned_after(&clause, 2));
    }
}
