//! The layout of a rider's own plan as a synced `plan` record: its title,
//! map seed, the bike it belongs to and its Markdown split over fields of
//! at most [`MAX_VALUE_BYTES`]. The app writes it for a file or template
//! the rider opens; the server writes the same for a plan a workshop sends
//! a customer, so both read back alike.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::record::MAX_VALUE_BYTES;

/// The plan's title.
pub const TITLE: &str = "title";
/// The map seed (the same plan and seed, the same map).
pub const SEED: &str = "seed";
/// When the record was first written (Unix ms).
pub const ADDED: &str = "added_ms";
/// The field saying how a plan's quest ids are made: [`OWN_IDS`] for plans
/// whose quests have ids of their own (`Plan::in_namespace` with the
/// record's key); absent for plans opened before that.
pub const IDS: &str = "ids";
/// [`IDS`]'s value: within the plan's record key.
pub const OWN_IDS: &str = "own";
/// The garage bike the plan belongs to (its record key).
pub const BIKE: &str = "bike";
/// The workshop that sent the plan (its name), for plans a workshop wrote.
pub const FROM: &str = "from";
/// Fields holding the Markdown: `md.0`, `md.1`, …
pub const MARKDOWN: &str = "md.";
/// The most Markdown fields a plan record has (the rest of the 64 hold the
/// title, seed and dates).
pub const MAX_CHUNKS: usize = 48;

/// A plan too big to sync.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the plan is too big to sync ({kib} KiB; at most about {max_kib} KiB)")]
pub struct TooBig {
    pub kib: usize,
    pub max_kib: usize,
}

/// Splits Markdown into fields of at most [`MAX_VALUE_BYTES`] (as JSON
/// strings, escapes included), on character boundaries.
pub fn chunks(markdown: &str) -> Result<Vec<String>, TooBig> {
    let mut out = Vec::new();
    let mut current = String::new();
    // The JSON string's length so far: its two quotes, then each
    // character as JSON writes it.
    let mut encoded = 2;
    for c in markdown.chars() {
        let mut buf = [0u8; 4];
        let one = json!(&*c.encode_utf8(&mut buf)).to_string().len() - 2;
        if encoded + one > MAX_VALUE_BYTES {
            out.push(std::mem::take(&mut current));
            encoded = 2;
        }
        current.push(c);
        encoded += one;
    }
    out.push(current);
    if out.len() > MAX_CHUNKS {
        return Err(TooBig {
            kib: markdown.len() / 1024,
            max_kib: MAX_CHUNKS * MAX_VALUE_BYTES / 1024,
        });
    }
    Ok(out)
}

/// The Markdown of a plan record's fields, joined back.
pub fn markdown_of(fields: &BTreeMap<String, Value>) -> String {
    (0..)
        .map_while(|i| {
            fields
                .get(&format!("{MARKDOWN}{i}"))
                .and_then(Value::as_str)
        })
        .collect()
}
