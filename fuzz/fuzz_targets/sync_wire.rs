//! Feeds arbitrary bytes to every sync message a device or the server reads
//! from the other: it must never panic, and whatever is accepted must read
//! back the same after writing it out; the checks the server runs on a
//! pushed event must never panic either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ridewire_engine::event::Event;
use ridewire_engine::sync::record::{Edit, Record};
use ridewire_engine::sync::{PullResponse, PushRequest, PushResponse, check_values};

fn round_trip<T>(bytes: &[u8]) -> Option<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let value: T = serde_json::from_slice(bytes).ok()?;
    let written = serde_json::to_vec(&value).expect("an accepted message is written out");
    let again: T = serde_json::from_slice(&written).expect("what was written reads back");
    assert_eq!(again, value, "round trip changed the message");
    Some(value)
}

fuzz_target!(|bytes: &[u8]| {
    if let Some(push) = round_trip::<PushRequest>(bytes) {
        for event in &push.events {
            let _ = event.compute_hash();
            let _ = check_values(event, 1_780_000_000_000, Some(event.at_ms));
            let _ = event.local_day();
        }
    }
    if let Some(event) = round_trip::<Event>(bytes) {
        let _ = event.kind.check_lengths();
        let _ = check_values(&event, 1_780_000_000_000, None);
    }
    let _ = round_trip::<PullResponse>(bytes);
    let _ = round_trip::<PushResponse>(bytes);
    if let Some(record) = round_trip::<Record>(bytes) {
        let _ = record.get("notes");
    }
    if let Some(edit) = round_trip::<Edit>(bytes) {
        let _ = edit.validate();
        let _ = ridewire_engine::sync::record::apply(
            &Record::empty(edit.kind, edit.key.clone()),
            &edit,
        );
    }
});
