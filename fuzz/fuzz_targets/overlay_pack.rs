//! Feeds arbitrary text to the overlay-pack and camera-calibration readers
//! (both arrive from the server or from files a rider picks): they must
//! never panic, whatever they are given.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ridewire_ar::overlay::OverlayPack;
use ridewire_ar::pose::Intrinsics;

fuzz_target!(|text: &str| {
    let _ = OverlayPack::parse(text);
    let _ = Intrinsics::parse(text);
});
