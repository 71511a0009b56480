//! Feeds arbitrary bytes to the readers of the hosted diagnosis models'
//! replies (each provider's envelope, then the answer object inside): a
//! model's output is another party's text, so none of it may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ridewire_server::agents::{anthropic, gemini, openai, prompt};

fuzz_target!(|bytes: &[u8]| {
    let mut texts = Vec::new();
    if let Ok(reply) = serde_json::from_slice::<openai::Reply>(bytes) {
        texts.extend(openai::text_of(reply).ok());
    }
    if let Ok(reply) = serde_json::from_slice::<anthropic::Reply>(bytes) {
        texts.extend(anthropic::text_of(reply).ok());
    }
    if let Ok(reply) = serde_json::from_slice::<gemini::Reply>(bytes) {
        texts.extend(gemini::text_of(reply).ok());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        texts.push(text.to_owned());
    }
    for text in texts {
        if let Ok(answer) = prompt::read_answer("fuzz", &text) {
            let _ = answer.validate();
        }
    }
});
