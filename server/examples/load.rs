//! Load figures for the sync endpoints, against an in-process server on
//! loopback (rate limits off, cheap password hashing):
//!
//! - push 10,000 events from one device (batches of 500) until acked;
//! - a cold pull of 100,000 changes, page by page;
//! - N concurrent clients (default 1,000), each pushing and pulling three
//!   times: p50/p95/p99 latency and errors. With a pace (default 1,000 ms)
//!   each client waits that long between its requests, starting at a random
//!   moment within the first pace, as riders' apps do; with pace 0 they all
//!   fire at once and the figures measure a queue, not a request.
//!
//! `cargo run -p ridewire-server --example load -- [CLIENTS] [PACE_MS]`
//! prints one JSON line per figure on stdout.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use ridewire_engine::sync::api::{Credentials, Session};
use ridewire_engine::sync::{MAX_PUSH_EVENTS, PullResponse, PushResponse};
use ridewire_server::{AppState, Config, Db, Rate, SystemClock, app};
use serde_json::json;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn figure(name: &str, value: f64, unit: &str) {
    println!(
        "{}",
        json!({"figure": name, "value": (value * 10.0).round() / 10.0, "unit": unit})
    );
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn events(device: u128, count: usize, start_ms: i64) -> Result<Vec<Event>, Error> {
    let mut chain = DeviceChain::new(DeviceId(uuid::Uuid::from_u128(device)));
    (0..count)
        .map(|i| {
            let at = start_ms + i as i64;
            let mut random = [0u8; 10];
            random[..8].copy_from_slice(&(device as u64).to_be_bytes());
            random[8..].copy_from_slice(&(i as u16).to_be_bytes());
            let kind = EventKind::DiagnosticRun {
                diagnostic_id: uuid::Uuid::from_u128(device << 32 | i as u128),
                vehicle: None,
                quest: None,
                evidence: Some(offline_evidence()),
            };
            Ok(chain.append(EventId::v7(at, random), at, 0, kind)?)
        })
        .collect()
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn register(&self, email: &str) -> Result<String, Error> {
        let session: Session = self
            .http
            .post(format!("{}/api/v1/auth/register", self.base))
            .json(&Credentials {
                email: email.to_owned(),
                password: "load test password".to_owned(),
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(session.access_token)
    }

    async fn push(
        &self,
        token: &str,
        device: DeviceId,
        events: &[Event],
    ) -> Result<PushResponse, Error> {
        Ok(self
            .http
            .post(format!("{}/api/v1/sync/push", self.base))
            .bearer_auth(token)
            .json(&json!({"device": device, "events": events}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    async fn pull(&self, token: &str, cursor: &str) -> Result<PullResponse, Error> {
        Ok(self
            .http
            .get(format!("{}/api/v1/sync/pull", self.base))
            .query(&[("cursor", cursor)])
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let clients: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000);
    let pace_ms: u64 = std::env::args()
        .nth(2)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000);
    let dir = tempfile::tempdir()?;
    let db = Db::open(&dir.path().join("load.db"))?;
    let config = Config {
        per_ip: Rate::OFF,
        per_user: Rate::OFF,
        auth_per_ip: Rate::OFF,
        login_per_account: Rate::OFF,
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        ..Config::default()
    };
    let state = AppState::new(db, config, Arc::new(SystemClock))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            eprintln!("server stopped: {e}");
        }
    });
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(clients + 16)
            .build()?,
        base,
    });
    let start_ms = now_ms() - 3_600_000;

    // Push 10,000 events from one device.
    let token = client.register("bulk@ridewire.test").await?;
    let bulk = events(1, 100_000, start_ms - 200_000)?;
    let device = bulk[0].device;
    let t = Instant::now();
    for batch in bulk[..10_000].chunks(MAX_PUSH_EVENTS) {
        client.push(&token, device, batch).await?;
    }
    figure("push_10000_events_s", t.elapsed().as_secs_f64(), "s");

    // Cold pull of 100,000 changes.
    for batch in bulk[10_000..].chunks(MAX_PUSH_EVENTS) {
        client.push(&token, device, batch).await?;
    }
    let t = Instant::now();
    let mut cursor = String::new();
    let mut pulled = 0;
    loop {
        let page = client.pull(&token, &cursor).await?;
        pulled += page.changes.len();
        cursor = page.cursor.to_string();
        if !page.more {
            break;
        }
    }
    figure("cold_pull_changes", pulled as f64, "changes");
    figure("cold_pull_100000_s", t.elapsed().as_secs_f64(), "s");

    // Many clients at once.
    let mut setup = Vec::new();
    for i in 0..clients {
        let client = Arc::clone(&client);
        setup.push(tokio::spawn(async move {
            let token = client.register(&format!("rider{i}@ridewire.test")).await?;
            Ok::<_, Error>((token, events(1_000 + i as u128, 9, start_ms)?))
        }));
    }
    let mut riders = Vec::new();
    for task in setup {
        riders.push(task.await??);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(clients));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (n, (token, events)) in riders.into_iter().enumerate() {
        let client = Arc::clone(&client);
        let barrier = Arc::clone(&barrier);
        // Spread the clients' first requests evenly over one pace.
        let offset = Duration::from_millis(pace_ms * n as u64 / clients.max(1) as u64);
        let pace = Duration::from_millis(pace_ms);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            tokio::time::sleep(offset).await;
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut cursor = String::new();
            for batch in events.chunks(3) {
                let t = Instant::now();
                match client.push(&token, batch[0].device, batch).await {
                    Ok(_) => latencies.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
                let t = Instant::now();
                match client.pull(&token, &cursor).await {
                    Ok(page) => {
                        cursor = page.cursor.to_string();
                        latencies.push(t.elapsed());
                    }
                    Err(_) => errors += 1,
                }
                tokio::time::sleep(pace).await;
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    let wall = t.elapsed();
    latencies.sort();
    figure("clients", clients as f64, "clients");
    figure("pace_ms", pace_ms as f64, "ms");
    figure(
        "requests",
        latencies.len() as f64 + errors as f64,
        "requests",
    );
    figure("errors", errors as f64, "requests");
    figure("latency_p50_ms", percentile(&latencies, 0.50), "ms");
    figure("latency_p95_ms", percentile(&latencies, 0.95), "ms");
    figure("latency_p99_ms", percentile(&latencies, 0.99), "ms");
    figure("wall_s", wall.as_secs_f64(), "s");
    Ok(())
}

/// What an honest device's offline run carries (the server re-runs it).
/// A benchmark fixture: a broken bundled database is a bug to stop at.
#[allow(clippy::expect_used)]
fn offline_evidence() -> Box<ridewire_engine::diagnostics::evidence::RunEvidence> {
    Box::new(ridewire_engine::demo::offline_run_evidence().expect("the bundled code database"))
}
