//! Feeds arbitrary text to everything that reads an OBD-II adapter's
//! replies (codes, clearing, the VIN, and the session that drives them):
//! an adapter is another party's firmware, so none of it may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ridewire_engine::diagnostics::elm327::{
    CodeKind, Request, Session, parse_clear, parse_codes, parse_vin,
};

fuzz_target!(|text: &str| {
    let _ = parse_codes(CodeKind::Stored, text);
    let _ = parse_codes(CodeKind::Pending, text);
    let _ = parse_clear(text);
    let _ = parse_vin(text);
    // The session, answered with the input's lines one reply at a time.
    let mut session = Session::new();
    let mut replies = text.split('>');
    for _ in 0..64 {
        if session.next_command().is_none() {
            if session.is_ready() && session.request(Request::ReadCodes(CodeKind::Stored)).is_err() {
                break;
            }
            if session.next_command().is_none() {
                break;
            }
        }
        match replies.next() {
            Some(reply) => {
                let _ = session.on_reply(reply);
            }
            None => {
                let _ = session.on_timeout();
                break;
            }
        }
    }
});
