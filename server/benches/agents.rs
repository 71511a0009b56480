//! Time from request to gated answer with three hosted agents answering in
//! 50, 200 and 800 ms (mock providers on loopback, one per wire format).
//!
//! `cargo xtask bench agents`, or
//! `cargo bench --profile dev -p ridewire-server --bench agents`.
//! Prints one JSON line per figure:
//! - `total_ms`: request to gated answer;
//! - `beyond_slowest_ms`: total minus the slowest agent that answered before
//!   its deadline (what asking in parallel, the offline agent, consensus and
//!   the gate add; the target is < 5 ms);
//! - `consensus_and_gate_us`: `gate::diagnose` alone over four answers;
//! - `beyond_deadline_ms`: with a fourth agent that never answers in time,
//!   total minus its deadline (the answer waits for nobody longer).
//!
//! `RIDEWIRE_BENCH_RUNS` sets the number of timed runs (default 20).

#[path = "../tests/integration/mock_providers.rs"]
mod mock_providers;

use std::time::{Duration, Instant};

use mock_providers::{Behaviour, MockProvider};
use ridewire_engine::diagnostics::codes::CodeDatabase;
use ridewire_engine::diagnostics::gate::{self, AgentOutcome};
use ridewire_engine::diagnostics::offline;
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_server::agents::{Agents, ProviderConfig, ProviderKind};
use serde_json::json;

const DELAYS_MS: [u64; 3] = [50, 200, 800];
const DEADLINE: Duration = Duration::from_millis(2_000);
const SHORT_DEADLINE: Duration = Duration::from_millis(1_000);

fn request() -> DiagnosticRequest {
    ridewire_engine::demo::diagnosis_request().unwrap_or_else(|e| panic!("{e}"))
}

/// Percentiles of `samples` (sorted here), as a JSON line.
fn report(figure: &str, unit_scale: f64, mut samples: Vec<f64>, extra: serde_json::Value) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        (samples[i] * unit_scale * 1000.0).round() / 1000.0
    };
    let mut line = json!({
        "bench": "agents",
        "figure": figure,
        "runs": samples.len(),
        "min": at(0.0),
        "p50": at(0.5),
        "p95": at(0.95),
        "max": at(1.0),
    });
    if let (Some(line), Some(extra)) = (line.as_object_mut(), extra.as_object()) {
        line.extend(extra.clone());
    }
    println!("{line}");
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("RIDEWIRE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .max(1);
    let codes = CodeDatabase::bundled().unwrap_or_else(|e| panic!("{e}"));
    let AgentOutcome::Answered(offline_answer) = offline::answer(&request(), &codes) else {
        panic!("the offline agent answers P0300");
    };
    let answer = json!({
        "diagnosis": "Random misfire, most likely worn spark plugs.",
        "cause": offline_answer.cause,
        "components": offline_answer.components,
        "recommended_action": "Replace the spark plugs and test the ignition coil.",
        "estimated_cost": {"min": 60, "max": 220, "currency": "EUR"},
        "confidence": 0.85,
    });

    let kinds = [
        ("openai", ProviderKind::OpenAiCompatible, "gpt-4o-mini"),
        ("anthropic", ProviderKind::Anthropic, "claude-sonnet-4-5"),
        ("gemini", ProviderKind::Gemini, "gemini-2.5-flash"),
    ];
    let mut mocks = Vec::new();
    for ((_, kind, model), delay) in kinds.iter().zip(DELAYS_MS) {
        let behaviour = Behaviour::slow_answer(&answer, Duration::from_millis(delay));
        mocks.push(MockProvider::start(*kind, model, Some("bench-key"), behaviour).await);
    }
    let providers: Vec<ProviderConfig> = kinds
        .iter()
        .zip(&mocks)
        .map(|((name, _, _), mock)| mock.config(name, DEADLINE))
        .collect();
    let agents = Agents::new(providers.clone(), codes.clone()).unwrap_or_else(|e| panic!("{e}"));

    // Warm-up: connections, TLS-free loopback, lazily built prompts.
    for _ in 0..2 {
        agents
            .ask_all(&request())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (mut totals, mut beyond) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let start = Instant::now();
        let panel = agents
            .ask_all(&request())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let total = start.elapsed().as_secs_f64() * 1e3;
        assert_eq!(panel.used().len(), 4, "{:?}", panel.left_out());
        let slowest = panel.slowest_answer_ms().unwrap_or(0.0);
        totals.push(total);
        beyond.push(total - slowest);
    }
    let agents_ms = json!({"agents_ms": DELAYS_MS, "unit": "ms"});
    report("total_ms", 1.0, totals, agents_ms.clone());
    report("beyond_slowest_ms", 1.0, beyond, agents_ms);

    // The engine's part alone: four valid answers through consensus and gate.
    let outcomes: Vec<AgentOutcome> = ["anthropic", "gemini", "offline_rules", "openai"]
        .iter()
        .map(|agent| {
            let mut a = offline_answer.clone();
            a.agent = (*agent).to_owned();
            AgentOutcome::Answered(a)
        })
        .collect();
    let mut gate_times = Vec::new();
    for _ in 0..(runs * 50) {
        let start = Instant::now();
        let gated = gate::diagnose(&request(), outcomes.clone());
        gate_times.push(start.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(gated).unwrap_or_else(|e| panic!("{e}"));
    }
    report(
        "consensus_and_gate_us",
        1.0,
        gate_times,
        json!({"answers": 4, "unit": "us"}),
    );

    // A fourth agent that never answers in time: the answer comes at its
    // deadline, not later.
    let stuck = MockProvider::start(
        ProviderKind::OpenAiCompatible,
        "llama3.1:8b",
        None,
        Behaviour::slow_answer(&answer, Duration::from_secs(30)),
    )
    .await;
    let mut with_stuck = providers;
    with_stuck.push(stuck.config("router", SHORT_DEADLINE));
    let agents = Agents::new(with_stuck, codes).unwrap_or_else(|e| panic!("{e}"));
    let mut beyond_deadline = Vec::new();
    for _ in 0..runs.div_ceil(4) {
        let start = Instant::now();
        let panel = agents
            .ask_all(&request())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let total = start.elapsed().as_secs_f64() * 1e3;
        assert_eq!(panel.left_out().len(), 1, "{:?}", panel.left_out());
        beyond_deadline.push(total - SHORT_DEADLINE.as_secs_f64() * 1e3);
    }
    report(
        "beyond_deadline_ms",
        1.0,
        beyond_deadline,
        json!({"agents_ms": [50, 200, 800, 30_000], "deadline_ms": SHORT_DEADLINE.as_millis(), "unit": "ms"}),
    );
}
