//! What the app's main thread spends after a sync round:
//! `cargo xtask bench refresh` (or `cargo bench --profile dev -p
//! ridewire-app --bench refresh`, the profile `cargo xtask run` builds).
//!
//! Before (issue 12): after every round, even an empty or failed one, the
//! app re-read every event, the catalogue and progress and checked every
//! chain again ([`Rider::reload`], which is still what a reset does). Now
//! the syncer reports what the round brought, read on its own thread
//! ([`Store::events_after`], the store's folded progress), and the main
//! thread only merges it ([`Rider::merge`]). Both are timed in the same run
//! on the same log, for a round that brought nothing and one that brought
//! 1,000 events from another device, over a log of `BASE` events.
//!
//! Plain timing loops: criterion's dependencies would turn on features of
//! crates Bevy shares, and this crate is built with the app.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use ridewire_app::rider::Rider;
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::QuestId;
use ridewire_offline_store::Store;
use ridewire_sync_client::Brought;
use uuid::Uuid;

/// Events already in the log before the measured rounds.
const BASE: u64 = 10_000;
/// Events one busy round brings.
const ROUND: u64 = 1_000;
/// Measured rounds of each kind.
const ROUNDS: usize = 7;
const NOW: i64 = 1_772_438_400_000;

fn kind(i: u64) -> EventKind {
    if i.is_multiple_of(3) {
        EventKind::DiagnosticRun {
            diagnostic_id: Uuid::from_u128(u128::from(i)),
            vehicle: None,
            quest: None,
            evidence: None,
        }
    } else {
        EventKind::StepChecked {
            quest: QuestId::new("lights").unwrap(),
            step: format!("s{}", i % 3 + 1),
        }
    }
}

fn random(i: u64) -> [u8; 10] {
    let mut r = [0u8; 10];
    r[..8].copy_from_slice(&i.to_le_bytes());
    r
}

/// Another device's next `n` events, stored in the rider's file as a pull
/// would store them; the mark moves past them.
fn arrive(other: &mut Store, file: &mut Store, next: &mut u64, n: u64) {
    let items: Vec<_> = (*next..*next + n)
        .map(|i| {
            (
                kind(i),
                NOW - 30 * 86_400_000 + i as i64 * 1_000,
                60,
                random(i),
            )
        })
        .collect();
    *next += n;
    let events = other.record_all(&items).unwrap();
    file.store_remote(&events).unwrap();
}

/// What the syncer reads on its thread after a round.
fn brought(file: &mut Store, mark: &mut i64) -> Brought {
    let (events, last) = file.events_after(*mark).unwrap();
    *mark = last;
    let progress = (!events.is_empty()).then(|| file.progress().unwrap());
    Brought {
        events,
        progress,
        ..Brought::default()
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut other = Store::open(dir.path().join("other.db"), NOW).unwrap().store;
    let mut file = Store::open(&path, NOW).unwrap().store;
    file.set_catalog(&ridewire_engine::demo::catalog().unwrap())
        .unwrap();
    let mut next = 0;
    arrive(&mut other, &mut file, &mut next, BASE);
    let mut mark = file.event_mark().unwrap();
    // The session as the app holds it, and one that re-reads everything.
    let mut merging = Rider::open(&path, NOW).unwrap();
    let mut rereading = Rider::open(&path, NOW).unwrap();

    let (mut empty_old, mut empty_new) = (Vec::new(), Vec::new());
    let (mut busy_old, mut busy_new, mut busy_sync) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        // A round that brought nothing.
        let nothing = brought(&mut file, &mut mark);
        let t = Instant::now();
        let merged = merging.merge(&nothing).unwrap();
        empty_new.push(t.elapsed());
        assert!(!merged.changed_anything());
        let t = Instant::now();
        rereading.reload().unwrap();
        empty_old.push(t.elapsed());

        // A round that brought 1,000 events from another device.
        arrive(&mut other, &mut file, &mut next, ROUND);
        let t = Instant::now();
        let round = brought(&mut file, &mut mark);
        busy_sync.push(t.elapsed());
        let t = Instant::now();
        let merged = merging.merge(&round).unwrap();
        busy_new.push(t.elapsed());
        assert_eq!(merged.events_added, ROUND as usize);
        let t = Instant::now();
        rereading.reload().unwrap();
        busy_old.push(t.elapsed());
        assert_eq!(merging.events().len(), rereading.events().len());
        assert_eq!(merging.progress(), rereading.progress());
    }
    assert_eq!(merging.verify(), Ok(()));
    let (eo, en) = (median(empty_old), median(empty_new));
    let (bo, bn, bs) = (median(busy_old), median(busy_new), median(busy_sync));
    println!(
        "main-thread time after a sync round, log of {}–{} events, median of {ROUNDS}:",
        BASE,
        BASE + ROUND * ROUNDS as u64
    );
    println!(
        "  round that brought nothing:   before {:8.3} ms   now {:8.4} ms   ({:.0}× less)",
        ms(eo),
        ms(en),
        eo.as_secs_f64() / en.as_secs_f64().max(1e-9)
    );
    println!(
        "  round that brought {ROUND} events: before {:8.3} ms   now {:8.3} ms   ({:.1}× less)",
        ms(bo),
        ms(bn),
        bo.as_secs_f64() / bn.as_secs_f64().max(1e-9)
    );
    println!(
        "  read on the sync thread for that round (events after the mark, folded progress): {:.3} ms",
        ms(bs)
    );
}
