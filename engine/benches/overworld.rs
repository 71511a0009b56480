//! How fast a level becomes a map:
//! `cargo bench -p ridewire-engine --bench overworld`.
//! Targets: 50 milestones ≤ 1 ms, 5,000 ≤ 20 ms, 50,000 ≤ 200 ms.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ridewire_engine::overworld;
use ridewire_engine::plan::{Milestone, MilestoneKind};

/// A level of `n` milestones: a section every 25, quests between.
fn milestones(n: usize) -> Vec<Milestone> {
    (0..n)
        .map(|i| {
            let section = i % 25 == 0;
            Milestone {
                kind: if section {
                    MilestoneKind::Section
                } else {
                    MilestoneKind::Quest
                },
                id: format!("{:012x}", i * 2_654_435_761 % (1 << 48)),
                quest: None,
                path: section.then(|| vec![i / 25]),
                title: format!("Milestone {i}"),
                level: 1,
                has_children: section,
                done: i % 3 == 0,
                line: i + 1,
            }
        })
        .collect()
}

fn generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("overworld_generate");
    for n in [50usize, 5_000, 50_000] {
        let level = milestones(n);
        group.throughput(Throughput::Elements(n as u64));
        if n >= 50_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), &level, |b, level| {
            b.iter(|| overworld::generate(std::hint::black_box(level), 42))
        });
    }
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
