//! `cargo xtask bench sync`: the sync figures, each printed as one JSON line
//! on stdout (progress goes to stderr).
//!
//! The server is this crate's router served over real loopback HTTP from
//! this process, on a fresh SQLite file, with rate limits off (every
//! simulated client shares 127.0.0.1, which the per-IP limit would
//! throttle) and cheap password hashing (so 1,000 registrations do not
//! dominate the setup). Clients are `ridewire-offline-store`'s sync client.
//!
//! - `push_10000`: one device pushes 10,000 recorded events until all are
//!   acknowledged.
//! - `cold_pull_100000`: a fresh device pulls 100,000 rows, in a separate
//!   process so its peak memory (VmHWM) is the client's alone; then folds
//!   its progress once.
//! - `clients_1000`: 1,000 concurrent clients, each with its own account
//!   and connection, start within the first 10 s, then push a batch of 10
//!   events and pull, three rounds, pausing 0–10 s between rounds; latency of
//!   every push and pull (p50/p95/p99), the request rate, and errors.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use ridewire_engine::sync::{MAX_PULL_CHANGES, MAX_PUSH_EVENTS, PushRequest};
use ridewire_offline_store::Store;
use ridewire_server::{AppState, Config, Db, Rate, SystemClock, app};
use ridewire_sync_client::{Account, HttpTransport, Pushed, Transport, push_outbox};
use serde_json::json;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";
const PUSH_EVENTS: usize = 10_000;
const PULL_ROWS: usize = 100_000;
const CLIENTS: usize = 1_000;
const CLIENT_ROUNDS: usize = 3;
const CLIENT_BATCH: usize = 10;
/// Longest pause of a simulated rider between two syncs (uniform from 0).
const THINK_MS: u64 = 10_000;

type BenchResult<T> = Result<T, String>;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn account(email: &str) -> Account {
    Account {
        email: email.into(),
        password: Some(PASSWORD.into()),
    }
}

fn diagnosis(n: u64) -> EventKind {
    EventKind::DiagnosticRun {
        diagnostic_id: Uuid::from_u128(u128::from(n)),
        vehicle: None,
        quest: None,
        evidence: Some(offline_evidence()),
    }
}

fn random(n: u64) -> [u8; 10] {
    let mut r = [0x5a; 10];
    r[..8].copy_from_slice(&n.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
    r
}

/// `n` events of a device made here (not through a store), for seeding.
fn chain_of(device: u128, n: usize, start_ms: i64) -> BenchResult<Vec<Event>> {
    let mut chain = DeviceChain::new(DeviceId(Uuid::from_u128(device)));
    (0..n as u64)
        .map(|i| {
            let at = start_ms + i as i64;
            chain
                .append(
                    EventId::v7(at, random(i ^ (device as u64) << 32)),
                    at,
                    0,
                    diagnosis(i),
                )
                .map_err(err)
        })
        .collect()
}

/// Peak resident memory of this process, in KiB (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn serve(dir: &Path) -> BenchResult<String> {
    let db = Db::open(&dir.join("server.db")).map_err(err)?;
    let config = Config {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        per_ip: Rate::OFF,
        per_user: Rate::OFF,
        auth_per_ip: Rate::OFF,
        login_per_account: Rate::OFF,
        ..Config::default()
    };
    let state = AppState::new(db, config, Arc::new(SystemClock)).map_err(err)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(err)?;
    let addr = listener.local_addr().map_err(err)?;
    tokio::spawn(async move {
        let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            eprintln!("server stopped: {e}");
        }
    });
    Ok(format!("http://{addr}"))
}

/// A transport that adds up the time spent waiting for the server (the
/// request on the wire, the server's work, the answer read back).
struct Timed<T> {
    inner: T,
    waiting: std::sync::Mutex<Duration>,
}

impl<T> Timed<T> {
    fn waited(&self) -> Duration {
        *self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add(&self, d: Duration) {
        *self.waiting.lock().unwrap_or_else(|p| p.into_inner()) += d;
    }
}

impl<T: Transport> Transport for Timed<T> {
    async fn push(&self, request: &PushRequest) -> ridewire_sync_client::Result<Pushed> {
        let t = Instant::now();
        let answer = self.inner.push(request).await;
        self.add(t.elapsed());
        answer
    }

    async fn pull(
        &self,
        cursor: &ridewire_engine::sync::Cursor,
        limit: usize,
    ) -> ridewire_sync_client::Result<ridewire_engine::sync::PullResponse> {
        let t = Instant::now();
        let answer = self.inner.pull(cursor, limit).await;
        self.add(t.elapsed());
        answer
    }

    async fn send_edit(
        &self,
        edit: &ridewire_engine::sync::record::Edit,
    ) -> ridewire_sync_client::Result<ridewire_sync_client::EditAnswer> {
        let t = Instant::now();
        let answer = self.inner.send_edit(edit).await;
        self.add(t.elapsed());
        answer
    }

    async fn diagnosis_history(
        &self,
        before: Option<Uuid>,
        limit: usize,
    ) -> ridewire_sync_client::Result<ridewire_sync_client::HistoryPage> {
        let t = Instant::now();
        let answer = self.inner.diagnosis_history(before, limit).await;
        self.add(t.elapsed());
        answer
    }

    async fn diagnosis(
        &self,
        id: Uuid,
    ) -> ridewire_sync_client::Result<ridewire_sync_client::RemoteRun> {
        let t = Instant::now();
        let answer = self.inner.diagnosis(id).await;
        self.add(t.elapsed());
        answer
    }

    async fn send_feedback(
        &self,
        id: Uuid,
        feedback: &str,
        at_ms: i64,
    ) -> ridewire_sync_client::Result<ridewire_sync_client::HeldFeedback> {
        let t = Instant::now();
        let answer = self.inner.send_feedback(id, feedback, at_ms).await;
        self.add(t.elapsed());
        answer
    }
}

async fn push_10000(base: &str, dir: &Path) -> BenchResult<()> {
    let link = HttpTransport::new(base, account("push@bench.test")).map_err(err)?;
    link.register().await.map_err(err)?;
    let mut store = Store::open(dir.join("push.db"), now_ms())
        .map_err(err)?
        .store;
    let start = now_ms() - 86_400_000;
    let items: Vec<_> = (0..PUSH_EVENTS as u64)
        .map(|i| (diagnosis(i), start + i as i64, 60, random(i)))
        .collect();
    store.record_all(&items).map_err(err)?;
    let link = Timed {
        inner: link,
        waiting: std::sync::Mutex::new(Duration::ZERO),
    };
    let t = Instant::now();
    let report = push_outbox(&mut store, &link, now_ms())
        .await
        .map_err(err)?;
    let seconds = t.elapsed().as_secs_f64();
    let waiting = link.waited().as_secs_f64();
    let pending = store.pending_count().map_err(err)?;
    if pending != 0 || report.acknowledged != PUSH_EVENTS {
        return Err(format!(
            "push left {pending} events unacknowledged ({report:?})"
        ));
    }
    println!(
        "{}",
        json!({
            "bench": "sync", "figure": "push_10000",
            "events": PUSH_EVENTS, "requests": report.push_requests,
            "seconds": seconds, "events_per_second": PUSH_EVENTS as f64 / seconds,
            "server_wait_seconds": waiting, "client_seconds": seconds - waiting,
            "target_seconds": 1.0, "met": seconds <= 1.0,
        })
    );
    Ok(())
}

async fn cold_pull_100000(base: &str, dir: &Path) -> BenchResult<()> {
    // Seed the server: twenty devices of one rider, 5,000 events each.
    let seeder = HttpTransport::new(base, account("pull@bench.test")).map_err(err)?;
    seeder.register().await.map_err(err)?;
    let devices = 20;
    let start = now_ms() - 7 * 86_400_000;
    let t = Instant::now();
    for d in 0..devices {
        let events = chain_of(0xB0 + d, PULL_ROWS / devices as usize, start)?;
        for batch in events.chunks(MAX_PUSH_EVENTS) {
            let request = PushRequest {
                device: batch[0].device,
                events: batch.to_vec(),
            };
            match seeder.push(&request).await.map_err(err)? {
                Pushed::Acked(a) if a.rejected.is_empty() => {}
                other => return Err(format!("seeding refused: {other:?}")),
            }
        }
    }
    eprintln!(
        "seeded {PULL_ROWS} events in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let exe = std::env::current_exe().map_err(err)?;
    let output = Command::new(exe)
        .args(["pull-child", base, "pull@bench.test"])
        .arg(dir.join("pull.db"))
        .output()
        .map_err(err)?;
    if !output.status.success() {
        return Err(format!(
            "pull child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    print!("{}", String::from_utf8_lossy(&output.stdout));
    Ok(())
}

/// The separate client process of the cold pull.
async fn pull_child(base: &str, email: &str, db: &Path) -> BenchResult<()> {
    let link = HttpTransport::new(base, account(email)).map_err(err)?;
    link.login().await.map_err(err)?;
    let mut store = Store::open(db, now_ms()).map_err(err)?.store;
    let before = peak_rss_kib();
    let t = Instant::now();
    // The same loop as `pull_changes`, timed in its two halves: waiting for
    // the server (and the JSON), and applying pages to the store.
    let (mut waiting, mut applying, mut pages, mut pulled) = (0.0, 0.0, 0, 0);
    loop {
        let cursor = store.cursor().map_err(err)?;
        let w = Instant::now();
        let page = link.pull(&cursor, MAX_PULL_CHANGES).await.map_err(err)?;
        waiting += w.elapsed().as_secs_f64();
        let a = Instant::now();
        pulled += store.apply_pull(&page, now_ms()).map_err(err)?.events_added;
        applying += a.elapsed().as_secs_f64();
        pages += 1;
        if !page.more {
            break;
        }
    }
    let seconds = t.elapsed().as_secs_f64();
    let after_pull = peak_rss_kib();
    let rows = store.events().map_err(err)?.len();
    if pulled != PULL_ROWS || rows != PULL_ROWS {
        return Err(format!("pulled {rows} rows"));
    }
    let mb = |kib: Option<u64>| kib.map(|k| k as f64 / 1024.0);
    println!(
        "{}",
        json!({
            "bench": "sync", "figure": "cold_pull_100000",
            "rows": rows, "pages": pages, "page_size": MAX_PULL_CHANGES,
            "seconds": seconds, "server_wait_seconds": waiting, "apply_seconds": applying,
            "peak_rss_mb": mb(after_pull),
            "rss_before_pull_mb": mb(before),
            "target_seconds": 10.0, "target_peak_rss_mb": 50.0,
            "met": seconds <= 10.0 && mb(after_pull).is_some_and(|m| m <= 50.0),
        })
    );
    // What the rider waits for next: progress folded once over every row.
    let t = Instant::now();
    let progress = store.progress_summary().map_err(err)?;
    let fold = t.elapsed().as_secs_f64();
    if Some(&progress) != store.server_progress().map_err(err)?.as_ref() {
        return Err("the device's fold differs from the server's".into());
    }
    println!(
        "{}",
        json!({
            "bench": "sync", "figure": "fold_after_pull_100000",
            "seconds": fold, "peak_rss_mb": mb(peak_rss_kib()),
        })
    );
    Ok(())
}

/// One simulated client: its own account, device and connection.
async fn client(base: String, n: usize) -> (Vec<f64>, Vec<String>) {
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    // Riders open the app over the first seconds, not all in one instant.
    let mut dice = n as u64 * 0x9E37_79B9 + 1;
    let mut think = move || {
        dice ^= dice << 13;
        dice ^= dice >> 7;
        dice ^= dice << 17;
        Duration::from_millis(dice % THINK_MS)
    };
    tokio::time::sleep(think()).await;
    let link = match HttpTransport::new(&base, account(&format!("rider{n}@bench.test"))) {
        Ok(l) => l,
        Err(e) => return (latencies, vec![e.to_string()]),
    };
    if let Err(e) = link.register().await {
        return (latencies, vec![format!("register: {e}")]);
    }
    let events = match chain_of(
        0xC000 + n as u128,
        CLIENT_ROUNDS * CLIENT_BATCH,
        now_ms() - 3_600_000,
    ) {
        Ok(e) => e,
        Err(e) => return (latencies, vec![e]),
    };
    let mut cursor = ridewire_engine::sync::Cursor::START;
    for batch in events.chunks(CLIENT_BATCH) {
        // Think time, so the clients do not move in lockstep.
        tokio::time::sleep(think()).await;
        let request = PushRequest {
            device: batch[0].device,
            events: batch.to_vec(),
        };
        let t = Instant::now();
        match link.push(&request).await {
            Ok(Pushed::Acked(a)) if a.rejected.is_empty() => {
                latencies.push(t.elapsed().as_secs_f64() * 1e3)
            }
            Ok(other) => errors.push(format!("push: {other:?}")),
            Err(e) => errors.push(format!("push: {e}")),
        }
        let t = Instant::now();
        match link.pull(&cursor, MAX_PULL_CHANGES).await {
            Ok(page) => {
                latencies.push(t.elapsed().as_secs_f64() * 1e3);
                cursor = page.cursor;
            }
            Err(e) => errors.push(format!("pull: {e}")),
        }
    }
    (latencies, errors)
}

async fn clients_1000(base: &str) -> BenchResult<()> {
    let t = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|n| tokio::spawn(client(base.to_owned(), n)))
        .collect();
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for task in tasks {
        let (l, e) = task.await.map_err(err)?;
        latencies.extend(l);
        errors.extend(e);
    }
    let seconds = t.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let p95 = percentile(&latencies, 95.0);
    if let Some(first) = errors.first() {
        eprintln!("{} errors, first: {first}", errors.len());
    }
    println!(
        "{}",
        json!({
            "bench": "sync", "figure": "clients_1000",
            "clients": CLIENTS, "rounds_each": CLIENT_ROUNDS, "events_per_push": CLIENT_BATCH,
            "requests": latencies.len() + errors.len(), "errors": errors.len(),
            "p50_ms": percentile(&latencies, 50.0), "p95_ms": p95,
            "p99_ms": percentile(&latencies, 99.0),
            "max_ms": latencies.last().copied().unwrap_or(0.0),
            "wall_seconds": seconds, "think_ms_max": THINK_MS,
            "requests_per_second": (latencies.len() + errors.len()) as f64 / seconds,
            "target_p95_ms": 50.0, "met": p95 < 50.0 && errors.is_empty(),
        })
    );
    Ok(())
}

/// Runs every figure, or only the one named (`push`, `pull`, `clients`).
async fn parent(only: Option<&str>) -> BenchResult<()> {
    let dir = tempfile::tempdir().map_err(err)?;
    let base = serve(dir.path()).await?;
    eprintln!("server on {base}");
    let runs = |name: &str| only.is_none_or(|o| o == name);
    if runs("push") {
        push_10000(&base, dir.path()).await?;
    }
    if runs("pull") {
        cold_pull_100000(&base, dir.path()).await?;
    }
    if runs("clients") {
        clients_1000(&base).await?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sync bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("pull-child") if args.len() == 4 => {
            runtime.block_on(pull_child(&args[1], &args[2], Path::new(&args[3])))
        }
        None => runtime.block_on(parent(None)),
        Some(only @ ("push" | "pull" | "clients")) => runtime.block_on(parent(Some(only))),
        Some(other) => Err(format!("unknown argument {other:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What an honest device's offline run carries (the server re-runs it).
/// A benchmark fixture: a broken bundled database is a bug to stop at.
#[allow(clippy::expect_used)]
fn offline_evidence() -> Box<ridewire_engine::diagnostics::evidence::RunEvidence> {
    Box::new(ridewire_engine::demo::offline_run_evidence().expect("the bundled code database"))
}
