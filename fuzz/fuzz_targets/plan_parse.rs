//! Feeds arbitrary UTF-8 to the plan parser: it must never panic, and a plan
//! it accepts must survive rendering and parsing again unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ridewire_engine::plan;

fuzz_target!(|text: &str| {
    let Ok(parsed) = plan::parse(text) else {
        return;
    };
    let markdown = parsed.to_markdown();
    let again = match plan::parse(&markdown) {
        Ok(again) => again,
        Err(e) => panic!("the rendering of an accepted plan was refused: {e}\n{markdown:?}"),
    };
    assert_eq!(again.to_markdown(), markdown, "rendering is not canonical");
    assert_eq!(
        again.forget_lines(),
        parsed.forget_lines(),
        "round trip changed the plan; input {text:?}"
    );
});
