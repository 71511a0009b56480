//! How fast progress folds: `cargo bench -p ridewire-engine --bench fold`
//! (or `cargo xtask bench engine`). Criterion prints events per second.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ridewire_engine::chain;
use ridewire_engine::demo;
use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use ridewire_engine::progress::Progress;
use ridewire_engine::quest::QuestId;
use uuid::Uuid;

/// A realistic mix on three devices: steps, completions of repeatable
/// quests, diagnostics and scans, a few minutes apart over many days.
fn events(n: usize) -> Vec<Event> {
    let mut chains: Vec<DeviceChain> = (1..=3u128)
        .map(|d| DeviceChain::new(DeviceId(Uuid::from_u128(d))))
        .collect();
    let quest = |s: &str| QuestId::new(s).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::with_capacity(n);
    let mut t = 1_772_438_400_000i64;
    for i in 0..n {
        t += 97_000;
        let kind = match i % 8 {
            0 => EventKind::StepChecked {
                quest: quest("chain-lube"),
                step: "s1".into(),
            },
            1 => EventKind::StepChecked {
                quest: quest("chain-lube"),
                step: "s2".into(),
            },
            2 => EventKind::StepChecked {
                quest: quest("chain-lube"),
                step: "s3".into(),
            },
            3 => EventKind::QuestCompleted {
                quest: quest("chain-lube"),
            },
            4 => EventKind::DiagnosticRun {
                diagnostic_id: Uuid::from_u128(i as u128),
                vehicle: None,
                quest: None,
                evidence: None,
            },
            5 => EventKind::ArScan {
                diagnostic_id: None,
                duration_seconds: 30,
                quest: None,
                vehicle: None,
            },
            6 => EventKind::StepChecked {
                quest: quest("tyre-pressure"),
                step: "s1".into(),
            },
            _ => EventKind::QuestStarted {
                quest: quest("tyre-pressure"),
            },
        };
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let chain = &mut chains[i % 3];
        let event = chain
            .append(EventId::v7(t, random), t, 60, kind)
            .unwrap_or_else(|e| panic!("{e}"));
        out.push(event);
    }
    out
}

fn fold(c: &mut Criterion) {
    let catalog = demo::catalog().unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("fold");
    for n in [10_000usize, 100_000] {
        let evs = events(n);
        let mut reversed = evs.clone();
        reversed.reverse();
        group.throughput(Throughput::Elements(n as u64));
        group.sample_size(10);
        group.bench_with_input(BenchmarkId::new("in_order", n), &evs, |b, evs| {
            b.iter(|| Progress::from_events(&catalog, evs))
        });
        group.bench_with_input(BenchmarkId::new("reversed", n), &reversed, |b, evs| {
            b.iter(|| Progress::from_events(&catalog, evs))
        });
        group.bench_with_input(BenchmarkId::new("verify_chain", n), &evs, |b, evs| {
            b.iter(|| chain::verify(evs))
        });
    }
    group.finish();
}

criterion_group!(benches, fold);
criterion_main!(benches);
