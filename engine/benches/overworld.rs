//! How fast a level becomes a map:
//! `cargo bench -p ridewire-engine --bench overworld`.
//! Targets: 50 milestones ≤ 1 ms, 5,000 ≤ 20 ms, 50,000 ≤ 200 ms.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ridewire_engine::demo::milestones;
use ridewire_engine::overworld;

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
