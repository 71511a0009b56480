//! Many riders syncing at once (issue 16): simulated clients with their
//! own accounts against the real `ridewire-server` binary on loopback.
//!
//! `cargo xtask bench load`, or `cargo bench -p ridewire-server --bench
//! load` (`RIDEWIRE_LOAD_CLIENTS=1000,10000` picks the sizes,
//! `RIDEWIRE_LOAD_REPLICAS=1,2` the server processes on the one database,
//! `RIDEWIRE_LOAD_BACKENDS=sqlite,postgres` the databases,
//! `RIDEWIRE_LOAD_SECONDS` the length of each run).
//!
//! Each client is one rider with two devices. The phone pushes one event
//! every 10 s (the first at a random moment of the first 10 s) and pulls
//! right after, as the app does after recording something; the tablet
//! keeps a long-poll pull open (`wait=25`) and so hears of the phone's
//! event as soon as it is committed. Measured: the push and the pull
//! requests (p50/p95/p99), how long after the push was sent the tablet
//! has the event ("wake"), requests answered per second, errors, events
//! lost or seen twice (each tablet drains its log at the end and must
//! hold each pushed event exactly once), the server's peak memory, and
//! the CPU time the server and the load generator used (on this 2-core
//! machine both share the cores: the split says which one limits the
//! figure).
//!
//! With several replicas a rider's phone and tablet talk to different
//! ones, so the tablet hears of the phone's event through the database
//! (on SQLite each replica looks for other replicas' commits every 50 ms;
//! on PostgreSQL the committing replica notifies the others). PostgreSQL
//! runs on a cluster of its own that the bench starts (Debian's
//! `postgresql`; as the `postgres` user when run as root), flushing its
//! commits to disk like SQLite's `synchronous=FULL`; its sessions' CPU
//! time is counted apart ("db").
//! Prints a Markdown table row and a JSON line per run.

// A bench's set-up that fails is the bench failing.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

// The tests' PostgreSQL harness: a cluster in a temporary folder.
#[allow(dead_code)]
#[path = "../tests/integration/postgres.rs"]
mod postgres;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ridewire_engine::event::{DeviceChain, DeviceId, EventId, EventKind};
use ridewire_engine::quest::QuestId;
use serde_json::{Value, json};
use support::Server;
use tokio::sync::{Mutex, Semaphore};

const PASSWORD: &str = "correct horse battery staple";
/// How often each phone pushes.
const PUSH_EVERY: Duration = Duration::from_secs(10);
/// The tablets' long-poll.
const WAIT_S: u64 = 25;

/// What the bench reads of a server process from `/proc`.
trait Measured {
    fn peak_mib(&self) -> f64;
    fn cpu_s(&self) -> f64;
}

impl Measured for Server {
    /// Peak resident memory, MiB.
    fn peak_mib(&self) -> f64 {
        status_kib(&format!("/proc/{}/status", self.0.id()), "VmHWM:") / 1024.0
    }

    /// CPU seconds used so far.
    fn cpu_s(&self) -> f64 {
        cpu_seconds(&format!("/proc/{}/stat", self.0.id()))
    }
}

fn status_kib(path: &str, field: &str) -> f64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// User and system CPU time of a process, from `/proc/PID/stat`.
fn cpu_seconds(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // The fields after the command name (which may hold spaces).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here;
    // the kernel counts in 100 Hz ticks.
    (ticks(11) + ticks(12)) / 100.0
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Latencies of one kind, in ms.
#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl Samples {
    async fn add(&self, d: Duration) {
        self.0.lock().await.push(d.as_secs_f64() * 1000.0);
    }

    async fn summary(&self) -> (f64, f64, f64, usize) {
        let mut all = self.0.lock().await.clone();
        all.sort_by(f64::total_cmp);
        if all.is_empty() {
            return (0.0, 0.0, 0.0, 0);
        }
        let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize];
        (at(0.5), at(0.95), at(0.99), all.len())
    }
}

#[derive(Default)]
struct Tally {
    push: Samples,
    pull: Samples,
    wake: Samples,
    requests: AtomicU64,
    errors: AtomicU64,
}

struct Rider {
    token: String,
    /// The tablet's cursor.
    cursor: String,
    /// When each pushed event was sent, by event id.
    sent: Mutex<Vec<(String, Instant)>>,
    /// The events the server acknowledged.
    acked: Mutex<Vec<String>>,
}

async fn request(
    http: &reqwest::Client,
    tally: &Tally,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Option<Value> {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    tally.requests.fetch_add(1, Ordering::Relaxed);
    let answer = match request.send().await {
        Ok(response) if response.status().is_success() => response.json::<Value>().await.ok(),
        _ => None,
    };
    if answer.is_none() {
        tally.errors.fetch_add(1, Ordering::Relaxed);
    }
    answer
}

/// The phone: a pushed event every [`PUSH_EVERY`], a pull after each.
async fn phone(
    http: reqwest::Client,
    base: Arc<str>,
    rider: Arc<Rider>,
    n: usize,
    tally: Arc<Tally>,
    until: Instant,
) -> usize {
    let mut chain = DeviceChain::new(DeviceId(uuid::Uuid::from_u128(n as u128 + 1)));
    let quest = QuestId::new("tyre-pressure").expect("quest id");
    let mut cursor = String::new();
    let mut pushed = 0;
    let mut last_at = 0;
    tokio::time::sleep_until(
        (Instant::now() + PUSH_EVERY.mul_f64(fastrand_unit(n)))
            .min(until)
            .into(),
    )
    .await;
    while Instant::now() < until {
        let at = (now_ms() - 1_000).max(last_at + 1);
        last_at = at;
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&(n as u64).to_be_bytes());
        random[8..].copy_from_slice(&(pushed as u16).to_be_bytes());
        let event = chain
            .append(
                EventId::v7(at, random),
                at,
                0,
                EventKind::StepChecked {
                    quest: quest.clone(),
                    step: format!("s{}", pushed % 2 + 1),
                },
            )
            .expect("append");
        let (id, event_seq) = (event.id.0.to_string(), event.seq);
        let began = Instant::now();
        rider.sent.lock().await.push((id.clone(), began));
        let body = json!({"device": chain.device, "events": [event]});
        let answer = request(
            &http,
            &tally,
            reqwest::Method::POST,
            &format!("{base}/api/v1/sync/push"),
            Some(&rider.token),
            Some(body),
        )
        .await;
        if let Some(answer) = answer {
            tally.push.add(began.elapsed()).await;
            // Held, and not refused.
            let held = answer["acked_through"].as_u64() == Some(event_seq)
                && answer["rejected"].as_array().is_none_or(Vec::is_empty);
            if held {
                rider.acked.lock().await.push(id);
            }
            pushed += 1;
        }
        let began = Instant::now();
        if let Some(page) = request(
            &http,
            &tally,
            reqwest::Method::GET,
            &format!("{base}/api/v1/sync/pull?cursor={cursor}"),
            Some(&rider.token),
            None,
        )
        .await
        {
            tally.pull.add(began.elapsed()).await;
            cursor = page["cursor"].as_str().unwrap_or_default().to_owned();
        }
        tokio::time::sleep_until((Instant::now() + PUSH_EVERY).min(until).into()).await;
    }
    pushed
}

/// The tablet: a long-poll open all the time until `until`, then (with
/// `until` passed, once the phones are done) a drain of what is left;
/// each event it hears of while waiting is timed from when the phone sent
/// it. Returns the event ids it saw and its cursor.
async fn tablet(
    http: reqwest::Client,
    base: Arc<str>,
    rider: Arc<Rider>,
    tally: Arc<Tally>,
    until: Instant,
    mut cursor: String,
) -> (Vec<String>, String) {
    let mut seen = Vec::new();
    loop {
        // Long-polls that end by `until`; a drain pulls without waiting.
        let left = until.saturating_duration_since(Instant::now()).as_secs();
        let waiting = left > 0;
        let wait = left.min(WAIT_S);
        let Some(page) = request(
            &http,
            &tally,
            reqwest::Method::GET,
            &format!("{base}/api/v1/sync/pull?cursor={cursor}&wait={wait}"),
            Some(&rider.token),
            None,
        )
        .await
        else {
            if !waiting {
                return (seen, cursor);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let arrived = Instant::now();
        for change in page["changes"].as_array().into_iter().flatten() {
            if change["type"] != "event" {
                continue;
            }
            let id = change["event"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if waiting
                && let Some((_, sent)) = rider.sent.lock().await.iter().find(|(e, _)| *e == id)
            {
                tally.wake.add(arrived.duration_since(*sent)).await;
            }
            seen.push(id);
        }
        cursor = page["cursor"].as_str().unwrap_or_default().to_owned();
        if !waiting && page["more"] != true {
            return (seen, cursor);
        }
    }
}

/// A number in [0, 1) from `n`, the same on every run.
fn fastrand_unit(n: usize) -> f64 {
    let mut x = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % 10_000) as f64 / 10_000.0
}

/// CPU seconds of the postmaster `pid`'s children (its sessions).
fn sessions_cpu(pid: u32) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            after.split_whitespace().nth(1) == Some(&pid.to_string())
        })
        .map(|child| cpu_seconds(&format!("/proc/{child}/stat")))
        .sum()
}

async fn run(
    clients: usize,
    replicas: usize,
    seconds: u64,
    pg: Option<&postgres::Postgres>,
) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let address = match pg {
        Some(pg) => pg.fresh_database(),
        None => format!("sqlite://{}", dir.path().join("server.db").display()),
    };
    let db_cpu = || {
        pg.and_then(postgres::Postgres::pid)
            .map_or(0.0, sessions_cpu)
    };
    let (servers, bases): (Vec<Server>, Vec<Arc<str>>) = (0..replicas)
        .map(|_| {
            let (server, base) = Server::start_on(&address, 1024);
            (server, Arc::<str>::from(base))
        })
        .unzip();
    // Set-up goes to the first; a rider's phone and tablet to different
    // replicas when there are several (the tablet hears of the phone's
    // event through the database).
    let base = Arc::clone(&bases[0]);
    let cpu = |servers: &[Server]| servers.iter().map(Server::cpu_s).sum::<f64>();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(2_048)
        .timeout(Duration::from_secs(WAIT_S + 60))
        .build()
        .expect("client");
    // Set-up, not measured: the accounts, and each tablet's first pull.
    let setup = Tally::default();
    let gate = Arc::new(Semaphore::new(64));
    let mut joins = Vec::new();
    for n in 0..clients {
        let (http, base, gate) = (http.clone(), Arc::clone(&base), Arc::clone(&gate));
        joins.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("gate");
            let setup = Tally::default();
            let made = request(
                &http,
                &setup,
                reqwest::Method::POST,
                &format!("{base}/api/v1/auth/register"),
                None,
                Some(json!({"email": format!("rider{n}@load.test"), "password": PASSWORD})),
            )
            .await
            .expect("register");
            let token = made["access_token"].as_str().expect("token").to_owned();
            let mut cursor = String::new();
            loop {
                let page = request(
                    &http,
                    &setup,
                    reqwest::Method::GET,
                    &format!("{base}/api/v1/sync/pull?cursor={cursor}"),
                    Some(&token),
                    None,
                )
                .await
                .expect("first pull");
                cursor = page["cursor"].as_str().expect("cursor").to_owned();
                if page["more"] != true {
                    break;
                }
            }
            Arc::new(Rider {
                token,
                cursor,
                sent: Mutex::new(Vec::new()),
                acked: Mutex::new(Vec::new()),
            })
        }));
    }
    let mut riders = Vec::new();
    for join in joins {
        riders.push(join.await.expect("set-up"));
    }
    drop(setup);

    let tally = Arc::new(Tally::default());
    let (server_cpu, own_cpu, db_began) = (cpu(&servers), cpu_seconds("/proc/self/stat"), db_cpu());
    let began = Instant::now();
    let until = began + Duration::from_secs(seconds);
    let mut phones = Vec::new();
    let mut tablets = Vec::new();
    for (n, rider) in riders.iter().enumerate() {
        let base = Arc::clone(&bases[n % replicas]);
        let tablet_base = Arc::clone(&bases[(n + 1) % replicas]);
        let (http, tally) = (http.clone(), Arc::clone(&tally));
        tablets.push(tokio::spawn(tablet(
            http.clone(),
            tablet_base,
            Arc::clone(rider),
            Arc::clone(&tally),
            until,
            rider.cursor.clone(),
        )));
        phones.push(tokio::spawn(phone(
            http,
            base,
            Arc::clone(rider),
            n,
            tally,
            until,
        )));
    }
    for p in phones {
        p.await.expect("phone");
    }
    let mut waited = Vec::new();
    for t in tablets {
        waited.push(t.await.expect("tablet"));
    }
    let elapsed = began.elapsed().as_secs_f64();
    let db_cpu = db_cpu() - db_began;
    let (server_cpu, own_cpu) = (
        cpu(&servers) - server_cpu,
        cpu_seconds("/proc/self/stat") - own_cpu,
    );
    let peak_mib: f64 = servers.iter().map(Server::peak_mib).sum();
    let requests = tally.requests.load(Ordering::Relaxed);
    let errors = tally.errors.load(Ordering::Relaxed);
    // Every phone is done: each tablet drains what is left, and must then
    // hold each acknowledged event exactly once.
    let (mut lost, mut twice) = (0usize, 0usize);
    let drain = Arc::new(Tally::default());
    for ((mut seen, cursor), rider) in waited.into_iter().zip(&riders) {
        let (rest, _) = tablet(
            http.clone(),
            Arc::clone(&base),
            Arc::clone(rider),
            Arc::clone(&drain),
            began,
            cursor,
        )
        .await;
        seen.extend(rest);
        let unique: HashSet<&String> = seen.iter().collect();
        twice += seen.len() - unique.len();
        let acked = rider.acked.lock().await;
        lost += acked.iter().filter(|id| !unique.contains(id)).count();
    }
    let (push50, push95, push99, pushes) = tally.push.summary().await;
    let (pull50, pull95, pull99, _) = tally.pull.summary().await;
    let (wake50, wake95, wake99, wakes) = tally.wake.summary().await;
    let backend = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
    let line = json!({
        "clients": clients, "backend": backend, "replicas": replicas, "seconds": elapsed,
        "requests_per_s": requests as f64 / elapsed, "pushes": pushes,
        "push_ms": [push50, push95, push99], "pull_ms": [pull50, pull95, pull99],
        "wake_ms": [wake50, wake95, wake99], "wakes": wakes,
        "errors": errors, "lost": lost, "seen_twice": twice,
        "server_peak_mib": peak_mib,
        "server_cpu_s": server_cpu, "load_cpu_s": own_cpu, "db_cpu_s": db_cpu,
    });
    println!("{line}");
    format!(
        "| {clients} | {backend} | {replicas} | {:.0} | {push50:.1} / {push95:.1} / {push99:.1} | \
         {pull50:.1} / {pull95:.1} / {pull99:.1} | {wake50:.1} / {wake95:.1} / {wake99:.1} | \
         {errors} | {lost} | {:.0} | {server_cpu:.0} s / {db_cpu:.0} s / {own_cpu:.0} s |",
        requests as f64 / elapsed,
        peak_mib,
    )
}

fn main() {
    let sizes: Vec<usize> = std::env::var("RIDEWIRE_LOAD_CLIENTS")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let seconds = std::env::var("RIDEWIRE_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let replicas: Vec<usize> = std::env::var("RIDEWIRE_LOAD_REPLICAS")
        .unwrap_or_else(|_| "1,2".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .filter(|&r| r > 0)
        .collect();
    let backends: Vec<String> = std::env::var("RIDEWIRE_LOAD_BACKENDS")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .collect();
    let cluster = backends.iter().any(|b| b == "postgres").then(|| {
        postgres::Postgres::start_durable()
            .unwrap_or_else(|why| panic!("PostgreSQL for the bench: {why}"))
    });
    let mut rows = Vec::new();
    for &clients in &sizes {
        for backend in &backends {
            let pg = if backend == "postgres" {
                cluster.as_ref()
            } else {
                None
            };
            for &r in &replicas {
                rows.push(runtime.block_on(run(clients, r, seconds, pg)));
            }
        }
    }
    println!(
        "\n| clients | backend | replicas | requests/s | push p50/p95/p99 ms | pull p50/p95/p99 ms \
         | wake p50/p95/p99 ms | errors | lost | server peak MiB | CPU server / db / load |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}
