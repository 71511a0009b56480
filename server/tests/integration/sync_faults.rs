//! The real sync client (`ridewire-offline-store`) against the real router,
//! through a network that loses requests, loses answers after the server
//! committed, delivers twice and delivers late (out of order); with server
//! restarts (the database reopened) and app restarts (the store reopened,
//! sometimes after the app died in the middle of a sync round),
//! over many seeded runs with two or three devices of one rider, against one
//! server or two replicas on one database. Afterwards
//! every device's events are on the server exactly once, in order, and
//! every device shows the server's progress.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use proptest::prelude::*;
use ridewire_engine::demo;
use ridewire_engine::event::{DeviceId, Event, EventKind};
use ridewire_engine::quest::QuestId;
use ridewire_engine::sync::record::Edit;
use ridewire_engine::sync::{Cursor, PullResponse, PushRequest};
use ridewire_offline_store::Store;
use ridewire_server::email::EmailKey;
use ridewire_server::{AppState, Db, ManualClock, Source, app};
use ridewire_sync_client::{
    EditAnswer, Error, HeldFeedback, HistoryPage, Pushed, RemoteRun, Result, Transport, sync_once,
};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use crate::common::{NOW, test_config};
use crate::postgres::Postgres;

/// xorshift64: every run is repeatable from its seed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn bytes(&mut self) -> [u8; 10] {
        let mut r = [0u8; 10];
        r[..8].copy_from_slice(&self.below(u64::MAX).to_le_bytes());
        r[8..].copy_from_slice(&(self.below(u64::from(u16::MAX)) as u16).to_le_bytes());
        r
    }
}

/// A sync round that the app's death cuts off after `polls_left` steps
/// (`None`), unless it finished before.
struct CutAfter<F> {
    round: std::pin::Pin<Box<F>>,
    polls_left: usize,
}

impl<F: std::future::Future> std::future::Future for CutAfter<F> {
    type Output = Option<F::Output>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        if self.polls_left == 0 {
            return std::task::Poll::Ready(None);
        }
        self.polls_left -= 1;
        self.round.as_mut().poll(cx).map(Some)
    }
}

/// A request as it travels: the device's token and what it asks.
#[derive(Clone)]
struct Delivery {
    token: String,
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
}

/// What a delivery came back with.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

#[derive(Default, Debug)]
struct Tally {
    dropped_requests: u32,
    dropped_answers: u32,
    duplicated: u32,
    late: u32,
    server_restarts: u32,
    app_restarts: u32,
    rounds_cut: u32,
}

/// The network and the server behind it: one replica or several over one
/// database, each request to one of them at random.
struct Wire {
    routers: Mutex<Vec<Router>>,
    database: Source,
    clock: Arc<ManualClock>,
    dice: Mutex<Dice>,
    faults: AtomicBool,
    held_back: Mutex<Vec<Delivery>>,
    tally: Mutex<Tally>,
}

fn server(database: &Source, clock: &Arc<ManualClock>) -> Router {
    let db = Db::connect(database).expect("open server db");
    let mut config = test_config();
    // Replicas on PostgreSQL share their e-mail key.
    config.email_key = Some(EmailKey::from_hex(&"5a".repeat(32)).expect("key"));
    app(AppState::new(db, config, clock.clone()).expect("state"))
}

/// What the faulty network does with one delivery.
enum Fate {
    Drop,
    LoseAnswer,
    Twice,
    HoldCopy,
    Deliver,
}

impl Wire {
    fn new(database: Source, seed: u64, replicas: usize) -> Self {
        let clock = Arc::new(ManualClock::new(NOW));
        Wire {
            routers: Mutex::new((0..replicas).map(|_| server(&database, &clock)).collect()),
            database,
            clock,
            dice: Mutex::new(Dice(seed | 1)),
            faults: AtomicBool::new(true),
            held_back: Mutex::new(Vec::new()),
            tally: Mutex::new(Tally::default()),
        }
    }

    fn roll(&self, n: u64) -> u64 {
        self.dice.lock().unwrap().below(n)
    }

    /// A server process ends and starts again on the same database.
    fn restart_server(&self) {
        let fresh = server(&self.database, &self.clock);
        let mut routers = self.routers.lock().unwrap();
        let which = self.roll(routers.len() as u64) as usize;
        routers[which] = fresh;
        self.tally.lock().unwrap().server_restarts += 1;
    }

    async fn send(&self, d: &Delivery) -> Answer {
        let router = {
            let routers = self.routers.lock().unwrap();
            routers[self.roll(routers.len() as u64) as usize].clone()
        };
        let mut request = Request::builder()
            .method(d.method.clone())
            .uri(&d.path)
            .header(header::AUTHORIZATION, format!("Bearer {}", d.token));
        if d.body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Body::from(d.body.clone().unwrap_or_default()))
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Answer { status, body }
    }

    async fn deliver(&self, d: Delivery) -> Result<Answer> {
        if !self.faults.load(Ordering::SeqCst) {
            return Ok(self.send(&d).await);
        }
        // An earlier request, held back in the network, arrives now.
        if self.roll(100) < 20 {
            let late = {
                let mut held = self.held_back.lock().unwrap();
                if held.is_empty() {
                    None
                } else {
                    let i = self.roll(held.len() as u64) as usize;
                    Some(held.swap_remove(i))
                }
            };
            if let Some(late) = late {
                self.tally.lock().unwrap().late += 1;
                self.send(&late).await;
            }
        }
        let fate = match self.roll(100) {
            0..10 => Fate::Drop,
            10..20 => Fate::LoseAnswer,
            20..28 => Fate::Twice,
            28..36 => Fate::HoldCopy,
            _ => Fate::Deliver,
        };
        let lost = || Error::Network("connection reset (injected)".into());
        match fate {
            Fate::Drop => {
                self.tally.lock().unwrap().dropped_requests += 1;
                Err(lost())
            }
            Fate::LoseAnswer => {
                self.send(&d).await;
                self.tally.lock().unwrap().dropped_answers += 1;
                Err(lost())
            }
            Fate::Twice => {
                self.send(&d).await;
                self.tally.lock().unwrap().duplicated += 1;
                Ok(self.send(&d).await)
            }
            Fate::HoldCopy => {
                self.held_back.lock().unwrap().push(d.clone());
                Ok(self.send(&d).await)
            }
            Fate::Deliver => Ok(self.send(&d).await),
        }
    }
}

/// One device's line to the server.
struct Link {
    wire: Arc<Wire>,
    token: String,
}

fn refused(answer: &Answer) -> Error {
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    let message = body["error"]["message"].as_str().unwrap_or("").to_owned();
    match answer.status.as_u16() {
        401 => Error::Auth(message),
        429 => Error::RateLimited {
            retry_after: std::time::Duration::from_secs(1),
        },
        s if s >= 500 => Error::Server { status: s, message },
        s => Error::Refused {
            status: s,
            code: body["error"]["code"].as_str().unwrap_or("").to_owned(),
            message,
        },
    }
}

fn parse<T: serde::de::DeserializeOwned>(answer: &Answer) -> Result<T> {
    serde_json::from_slice(&answer.body).map_err(|e| Error::Server {
        status: answer.status.as_u16(),
        message: e.to_string(),
    })
}

impl Link {
    fn delivery(&self, method: Method, path: String, body: Option<Vec<u8>>) -> Delivery {
        Delivery {
            token: self.token.clone(),
            method,
            path,
            body,
        }
    }
}

impl Transport for Link {
    async fn push(&self, request: &PushRequest) -> Result<Pushed> {
        let body = serde_json::to_vec(request).unwrap();
        let d = self.delivery(Method::POST, "/api/v1/sync/push".into(), Some(body));
        let answer = self.wire.deliver(d).await?;
        match answer.status {
            StatusCode::OK => Ok(Pushed::Acked(parse(&answer)?)),
            StatusCode::CONFLICT => Ok(Pushed::Gap(parse(&answer)?)),
            _ => Err(refused(&answer)),
        }
    }

    async fn pull(&self, cursor: &Cursor, limit: usize) -> Result<PullResponse> {
        let path = format!("/api/v1/sync/pull?cursor={cursor}&limit={limit}");
        let answer = self
            .wire
            .deliver(self.delivery(Method::GET, path, None))
            .await?;
        match answer.status {
            StatusCode::OK => parse(&answer),
            _ => Err(refused(&answer)),
        }
    }

    async fn send_edit(&self, edit: &Edit) -> Result<EditAnswer> {
        let path = "/api/v1/records".to_owned();
        let body = serde_json::to_vec(edit).unwrap();
        let answer = self
            .wire
            .deliver(self.delivery(Method::PUT, path, Some(body)))
            .await?;
        match answer.status {
            StatusCode::OK => Ok(EditAnswer::Saved(parse(&answer)?)),
            StatusCode::CONFLICT => Ok(EditAnswer::Conflict(parse(&answer)?)),
            _ => Err(refused(&answer)),
        }
    }

    async fn diagnosis_history(&self, before: Option<Uuid>, limit: usize) -> Result<HistoryPage> {
        let mut path = format!("/api/v1/diagnostics?limit={limit}");
        if let Some(before) = before {
            path.push_str(&format!("&before={before}"));
        }
        let answer = self
            .wire
            .deliver(self.delivery(Method::GET, path, None))
            .await?;
        match answer.status {
            StatusCode::OK => parse(&answer),
            _ => Err(refused(&answer)),
        }
    }

    async fn diagnosis(&self, id: Uuid) -> Result<RemoteRun> {
        let path = format!("/api/v1/diagnostics/{id}");
        let answer = self
            .wire
            .deliver(self.delivery(Method::GET, path, None))
            .await?;
        match answer.status {
            StatusCode::OK => parse(&answer),
            _ => Err(refused(&answer)),
        }
    }

    async fn send_feedback(&self, id: Uuid, feedback: &str, at_ms: i64) -> Result<HeldFeedback> {
        let path = format!("/api/v1/diagnostics/{id}/feedback");
        let body = json!({"feedback": feedback, "at_ms": at_ms}).to_string();
        let answer = self
            .wire
            .deliver(self.delivery(Method::PUT, path, Some(body.into_bytes())))
            .await?;
        match answer.status {
            StatusCode::OK => parse(&answer),
            _ => Err(refused(&answer)),
        }
    }
}

/// Signs in (without faults) and returns an access token.
async fn sign_in(wire: &Wire, register: bool) -> String {
    let path = if register {
        "/api/v1/auth/register"
    } else {
        "/api/v1/auth/login"
    };
    let body = json!({"email": "rider@ridewire.test", "password": "correct horse battery"});
    let d = Delivery {
        token: String::new(),
        method: Method::POST,
        path: path.into(),
        body: Some(body.to_string().into_bytes()),
    };
    let answer = wire.send(&d).await;
    assert!(answer.status.is_success(), "{path}: {}", answer.status);
    let body: Value = serde_json::from_slice(&answer.body).unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// A rider's device: its database file and, while the app runs, the store.
struct Phone {
    path: PathBuf,
    store: Option<Store>,
    link: Link,
    made: i64,
}

impl Phone {
    fn store(&mut self) -> &mut Store {
        if self.store.is_none() {
            let opened = Store::open(&self.path, NOW).expect("reopen store");
            assert!(opened.recovery.is_none(), "store damaged by a restart");
            self.store = Some(opened.store);
        }
        self.store.as_mut().unwrap()
    }

    fn record(&mut self, dice: &mut Dice) {
        self.made += 1;
        let kind = match dice.below(4) {
            0 => EventKind::DiagnosticRun {
                diagnostic_id: Uuid::from_u128(u128::from(dice.below(u64::MAX))),
                vehicle: None,
                quest: None,
                evidence: Some(Box::new(crate::common::offline_evidence())),
            },
            1 => EventKind::StepChecked {
                quest: QuestId::new("tyre-pressure").unwrap(),
                step: format!("s{}", dice.below(3) + 1),
            },
            2 => EventKind::QuestCompleted {
                quest: QuestId::new("tyre-pressure").unwrap(),
            },
            _ => EventKind::ArScan {
                diagnostic_id: None,
                duration_seconds: 30,
                quest: None,
                vehicle: None,
            },
        };
        let at = NOW - 3 * 86_400_000 + self.made * 1_000 + dice.below(500) as i64;
        let random = dice.bytes();
        self.store().record(kind, at, 60, random).expect("record");
    }
}

async fn one_run(seed: u64, devices: usize, replicas: usize, on: Option<&Postgres>) {
    let dir = tempfile::tempdir().unwrap();
    let database = match on {
        Some(pg) => Source::parse(&pg.fresh_database()).unwrap(),
        None => Source::Sqlite(dir.path().join("server.db")),
    };
    let wire = Arc::new(Wire::new(database, seed, replicas));
    let mut dice = Dice(seed.rotate_left(17) | 1);
    let catalog = demo::catalog().unwrap();
    let mut phones = Vec::new();
    for n in 0..devices {
        let token = sign_in(&wire, n == 0).await;
        let path = dir.path().join(format!("device-{n}.db"));
        let mut store = Store::open(&path, NOW).unwrap().store;
        store.set_catalog(&catalog).unwrap();
        phones.push(Phone {
            path,
            store: Some(store),
            link: Link {
                wire: Arc::clone(&wire),
                token,
            },
            made: 0,
        });
    }
    let mut unexpected = Vec::new();
    for _ in 0..40 {
        let i = dice.below(devices as u64) as usize;
        let phone = &mut phones[i];
        match dice.below(20) {
            0..8 => {
                for _ in 0..=dice.below(25) {
                    phone.record(&mut dice);
                }
            }
            8..17 => {
                let link = &phone.link;
                let store = phone
                    .store
                    .get_or_insert_with(|| Store::open(&phone.path, NOW).expect("reopen").store);
                if let Err(e) = sync_once(store, link, NOW, NOW + 1_000).await
                    && !e.is_transient()
                {
                    unexpected.push(e.to_string());
                }
            }
            17..19 => {
                // The app is killed at some point of a sync round (or while
                // idle, when the cut comes before the first step), then
                // started again.
                let link = &phone.link;
                let store = phone
                    .store
                    .get_or_insert_with(|| Store::open(&phone.path, NOW).expect("reopen").store);
                let cut = dice.below(12) as usize;
                let round = sync_once(store, link, NOW, NOW + 1_000);
                let outcome = CutAfter {
                    round: Box::pin(round),
                    polls_left: cut,
                }
                .await;
                match outcome {
                    None => wire.tally.lock().unwrap().rounds_cut += 1,
                    Some(Err(e)) if !e.is_transient() => unexpected.push(e.to_string()),
                    Some(_) => {}
                }
                phone.store = None;
                wire.tally.lock().unwrap().app_restarts += 1;
            }
            _ => wire.restart_server(),
        }
    }
    assert!(unexpected.is_empty(), "seed {seed:#x}: {unexpected:?}");

    // The network heals: every device syncs until nothing is left, then
    // once more to take in what the others sent.
    wire.faults.store(false, Ordering::SeqCst);
    for _ in 0..2 {
        for phone in &mut phones {
            let link = &phone.link;
            let store = phone
                .store
                .get_or_insert_with(|| Store::open(&phone.path, NOW).expect("reopen").store);
            sync_once(store, link, NOW, NOW + 1_000)
                .await
                .unwrap_or_else(|e| panic!("seed {seed:#x}: clean sync failed: {e}"));
            assert_eq!(store.pending_count().unwrap(), 0, "seed {seed:#x}");
            assert_eq!(store.wedged_count().unwrap(), 0, "seed {seed:#x}");
        }
    }

    // What the server holds, as a new device of the rider sees it.
    let mut observer = Store::open(dir.path().join("observer.db"), NOW)
        .unwrap()
        .store;
    let observer_link = Link {
        wire: Arc::clone(&wire),
        token: sign_in(&wire, false).await,
    };
    sync_once(&mut observer, &observer_link, NOW, NOW)
        .await
        .unwrap();
    let on_server = observer.events().unwrap();
    let server_progress = observer.server_progress().unwrap().expect("progress");
    let mut by_device: BTreeMap<DeviceId, Vec<&Event>> = BTreeMap::new();
    for e in &on_server {
        by_device.entry(e.device).or_default().push(e);
    }
    let tally = format!("{:?}", wire.tally.lock().unwrap());
    eprintln!(
        "seed {seed:#x}, {devices} devices, {} events: {tally}",
        on_server.len()
    );
    for phone in &mut phones {
        let store = phone.store();
        let device = store.device();
        let mut own: Vec<Event> = store
            .events()
            .unwrap()
            .into_iter()
            .filter(|e| e.device == device)
            .collect();
        own.sort_by_key(|e| e.seq);
        let mut held: Vec<Event> = by_device
            .remove(&device)
            .unwrap_or_default()
            .into_iter()
            .cloned()
            .collect();
        held.sort_by_key(|e| e.seq);
        let seqs: Vec<u64> = held.iter().map(|e| e.seq).collect();
        let expected: Vec<u64> = (1..=own.len() as u64).collect();
        assert_eq!(
            seqs, expected,
            "seed {seed:#x}: not exactly once, in order ({tally})"
        );
        assert_eq!(held, own, "seed {seed:#x}: the server holds other events");
        assert_eq!(
            store.server_progress().unwrap().as_ref(),
            Some(&server_progress),
            "seed {seed:#x}"
        );
        assert_eq!(
            store.progress_summary().unwrap(),
            server_progress,
            "seed {seed:#x}: the device's own fold differs"
        );
        assert_eq!(store.events().unwrap().len(), on_server.len());
    }
    assert!(
        by_device.is_empty(),
        "seed {seed:#x}: events of unknown devices"
    );
    assert_eq!(server_progress.events, on_server.len() as u64);
}

/// [`one_run`] on a runtime of its own (a property test's case is sync).
fn run_blocking(seed: u64, devices: usize, replicas: usize, on: Option<&Postgres>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(one_run(seed, devices, replicas, on));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_event_arrives_once_and_every_device_shows_the_servers_progress(
        seed in any::<u64>(),
        devices in 2usize..=3,
    ) {
        run_blocking(seed, devices, 1, None);
    }

    /// The same over two server replicas on one database (issue 16), each
    /// request to either at random: exactly-once, order and progress are
    /// the database's, not a process's.
    #[test]
    fn two_replicas_on_one_database_keep_every_event_once_and_in_order(
        seed in any::<u64>(),
        devices in 2usize..=3,
    ) {
        run_blocking(seed, devices, 2, None);
    }
}

/// The same over two replicas on one PostgreSQL database (issue 16): the
/// advisory write turn, the database's unique keys and `LISTEN/NOTIFY`
/// instead of SQLite's one file. 12 seeded runs on one cluster.
#[test]
fn two_replicas_on_one_postgresql_database_keep_every_event_once_and_in_order() {
    let Some(pg) = Postgres::shared() else {
        return;
    };
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    });
    runner
        .run(&(any::<u64>(), 2usize..=3), |(seed, devices)| {
            run_blocking(seed, devices, 2, Some(&pg));
            Ok(())
        })
        .unwrap();
}
