//! Making a photo proof ready (`Prepared::from_bytes`: read the EXIF block,
//! decode, turn upright, fit to 1600 px, encode afresh within 512 KiB) for
//! a phone-sized picture: `cargo xtask bench photo` (or `cargo bench
//! --profile dev -p ridewire-app --bench photo`, the profile `cargo xtask
//! run` builds). The picture is drawn here: smooth gradients with a
//! pattern of fine detail, the kind of content that keeps a JPEG large.
//! (The 48 MP one at quality 70.) Each size is timed `RUNS` times; the median, fastest and slowest are
//! printed with the JPEG's size in and out.
//!
//! Plain timing loops: criterion's dependencies would turn on features of
//! crates Bevy shares, and this crate is built with the app.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use ridewire_app::photos::Prepared;

const RUNS: usize = 7;

/// A `w`×`h` JPEG at `quality`, as a phone saves one.
fn photo(w: u16, h: u16, quality: u8) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
    for y in 0..u32::from(h) {
        for x in 0..u32::from(w) {
            let fine = ((x * 7 + y * 13) % 23) as u8 * 4;
            rgb.extend_from_slice(&[
                (x * 255 / u32::from(w)) as u8 ^ fine,
                (y * 255 / u32::from(h)) as u8,
                ((x + y) % 256) as u8 / 2 + fine,
            ]);
        }
    }
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, quality)
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    jpeg
}

fn main() {
    println!(
        "{:<12} {:>9} {:>9}  {:>10} {:>10} {:>10}",
        "picture", "in KiB", "out KiB", "median ms", "min ms", "max ms"
    );
    // Phones save their largest pictures at a lower quality; this pattern
    // at 90 would make a 48 MP file of 42 MiB, past what is read.
    for (w, h, quality, name) in [
        (1280, 720, 90, "0.9 MP"),
        (4000, 3000, 90, "12 MP"),
        (8000, 6000, 70, "48 MP"),
    ] {
        let source = photo(w, h, quality);
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        let mut out = 0;
        for _ in 0..RUNS {
            let start = Instant::now();
            let prepared = Prepared::from_bytes(&source, 0).unwrap();
            times.push(start.elapsed());
            out = prepared.jpeg.len();
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name:<12} {:>9} {:>9}  {:>10.1} {:>10.1} {:>10.1}",
            source.len() / 1024,
            out / 1024,
            ms(times[RUNS / 2]),
            ms(times[0]),
            ms(times[RUNS - 1])
        );
    }
}
