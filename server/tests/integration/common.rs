//! A server on a temporary database with a hand-moved clock, and helpers to
//! call it and to make events the way a device does.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use ridewire_engine::diagnostics::evidence::RunEvidence;
use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use ridewire_engine::quest::QuestId;
use ridewire_engine::sync::PushResponse;
use ridewire_engine::sync::api::{Credentials, Session};
use ridewire_server::email::EmailKey;
use ridewire_server::{AppState, Config, Db, ManualClock, Rate, Source, app};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::postgres::Postgres;

/// The real server binary, for the tests that run it on loopback.
pub const BINARY: &str = env!("CARGO_BIN_EXE_ridewire-server");

/// Every test account's password.
pub const PASSWORD: &str = "correct horse battery";

/// Starts a server command that listens on `127.0.0.1:0` and reads the
/// address from its first line ("listening on ADDR").
pub fn spawn_listening(cmd: &mut Command) -> (Child, String) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("spawn server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, addr)
}

/// Pulls from the server at `base` (`query`: `cursor=…&limit=…&wait=…`);
/// the answer read as a `T` (`PullResponse`, or the JSON as sent).
pub async fn pull_at<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
) -> T {
    http.get(format!("{base}/api/v1/sync/pull?{query}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("pull")
        .json()
        .await
        .expect("pull response")
}

/// Pushes `events` of `device` to the server at `base`; its answer.
pub async fn push_at(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    device: DeviceId,
    events: &[Event],
) -> PushResponse {
    http.post(format!("{base}/api/v1/sync/push"))
        .bearer_auth(token)
        .json(&json!({"device": device, "events": events}))
        .send()
        .await
        .expect("push")
        .json()
        .await
        .expect("push response")
}

/// Registers `email` with [`PASSWORD`] on the server at `base`; its session.
pub async fn register_at(http: &reqwest::Client, base: &str, email: &str) -> Session {
    sign_in_at(http, base, "register", email).await
}

/// Logs `email` in with [`PASSWORD`] on the server at `base`; its session.
pub async fn login_at(http: &reqwest::Client, base: &str, email: &str) -> Session {
    sign_in_at(http, base, "login", email).await
}

async fn sign_in_at(http: &reqwest::Client, base: &str, how: &str, email: &str) -> Session {
    let response = http
        .post(format!("{base}/api/v1/auth/{how}"))
        .json(&Credentials {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("{how}: {e}"));
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(status.is_success(), "{how} {email}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{how}: {e}: {text}"))
}

/// 2026-05-28, well inside what the server accepts as an event time.
pub const NOW: i64 = 1_780_000_000_000;

/// A server for one test.
pub struct TestServer {
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub _dir: tempfile::TempDir,
    /// The PostgreSQL cluster its database is on, kept running while it is.
    pub _cluster: Option<Arc<Postgres>>,
}

/// The database backend a test server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend for tests that do not name one: SQLite, or PostgreSQL
    /// with `RIDEWIRE_TEST_BACKEND=postgres` (to run the whole suite on
    /// it).
    pub fn from_env() -> Backend {
        match std::env::var("RIDEWIRE_TEST_BACKEND").as_deref() {
            Ok("postgres") => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

/// Settings for tests: cheap password hashing, no rate limits.
pub fn test_config() -> Config {
    Config {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        per_ip: Rate::OFF,
        per_user: Rate::OFF,
        auth_per_ip: Rate::OFF,
        login_per_account: Rate::OFF,
        diagnoses_per_user: Rate::OFF,
        admin_emails: ["admin@ridewire.test".to_owned()].into_iter().collect(),
        ..Config::default()
    }
}

/// A reply: status, JSON body (`Null` when empty or not JSON), headers.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: HeaderMap,
}

impl Reply {
    /// The stable error code of an error reply.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl TestServer {
    pub fn new() -> Self {
        Self::with_config(test_config())
    }

    pub fn with_config(config: Config) -> Self {
        Self::on(Backend::from_env(), config).expect("PostgreSQL for RIDEWIRE_TEST_BACKEND")
    }

    /// A server on a new database of `backend`; `None` (having said why)
    /// when PostgreSQL cannot be started here.
    pub fn on(backend: Backend, config: Config) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let db = Db::open(&dir.path().join("server.db")).expect("open db");
                Some(Self::serving(db, config, dir, None))
            }
            Backend::Postgres => {
                let pg = Postgres::shared()?;
                let mut server = Self::on_database(&pg.fresh_database(), config);
                server._cluster = Some(pg);
                Some(server)
            }
        }
    }

    /// A server (a replica: several may share it) on the PostgreSQL
    /// database at `url`.
    pub fn on_database(url: &str, mut config: Config) -> Self {
        // Replicas share the key.
        if config.email_key.is_none() {
            config.email_key = Some(EmailKey::from_hex(&"5a".repeat(32)).expect("key"));
        }
        let db = Db::connect(&Source::parse(url).expect("url")).expect("open PostgreSQL");
        Self::serving(db, config, tempfile::tempdir().expect("temp dir"), None)
    }

    fn serving(
        db: Db,
        config: Config,
        dir: tempfile::TempDir,
        cluster: Option<Arc<Postgres>>,
    ) -> Self {
        let clock = Arc::new(ManualClock::new(NOW));
        let state = AppState::new(db, config, clock.clone()).expect("state");
        TestServer {
            state,
            clock,
            _dir: dir,
            _cluster: cluster,
        }
    }

    pub fn app(&self) -> Router {
        app(self.state.clone())
    }

    /// Sends a prepared request.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            headers,
        }
    }

    /// Sends `body` (raw bytes, JSON content type) with an optional token.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if !body.is_empty() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        self.send(builder.body(Body::from(body)).expect("request"))
            .await
    }

    /// Sends a JSON body (or none) with an optional token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.raw(method, path, token, bytes).await
    }

    /// Registers an account and returns its access token.
    pub async fn user(&self, email: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        assert_eq!(
            reply.body["user"]["role"], "user",
            "registering makes no admin"
        );
        if self.state.config.admin_emails.contains(email) {
            self.promote(email);
        }
        reply.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// What the operator does: `ridewire-server admin grant EMAIL`.
    pub fn promote(&self, email: &str) {
        let email = email.to_owned();
        let key = self.state.email_key.clone();
        let promoted = self
            .state
            .db
            .write_blocking(move |tx| {
                ridewire_server::auth::set_role_by_email(
                    tx,
                    &key,
                    &email,
                    ridewire_server::auth::Role::Admin,
                )
            })
            .expect("promote");
        assert!(promoted);
        self.state.tokens.revoked();
    }

    /// Pushes a batch of events from `device`.
    pub async fn push(&self, token: &str, device: DeviceId, events: &[Event]) -> Reply {
        self.call(
            Method::POST,
            "/api/v1/sync/push",
            Some(token),
            Some(json!({"device": device, "events": events})),
        )
        .await
    }

    /// Pulls one page after `cursor`.
    pub async fn pull(&self, token: &str, cursor: &str, limit: Option<usize>) -> Reply {
        let mut path = format!("/api/v1/sync/pull?cursor={cursor}");
        if let Some(limit) = limit {
            path.push_str(&format!("&limit={limit}"));
        }
        self.call(Method::GET, &path, Some(token), None).await
    }

    /// Counts rows of a table, straight from the database.
    pub fn count(&self, table: &str) -> i64 {
        let table = table.to_owned();
        self.state
            .db
            .write_blocking(move |conn| {
                Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
            })
            .expect("count")
    }

    /// Row counts of every table: "nothing changed" is these being equal.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        [
            "users",
            "token_families",
            "access_tokens",
            "refresh_tokens",
            "devices",
            "events",
            "changes",
            "catalog",
            "plans",
            "overlay_packs",
            "records",
            "photos",
        ]
        .into_iter()
        .map(|t| (t.to_owned(), self.count(t)))
        .collect()
    }
}

/// A device making events the way the app does.
pub struct Device {
    pub chain: DeviceChain,
    pub made: u32,
    pub tag: u8,
}

impl Device {
    pub fn new(n: u128) -> Self {
        Device {
            chain: DeviceChain::new(DeviceId(uuid::Uuid::from_u128(n))),
            made: 0,
            tag: n as u8,
        }
    }

    pub fn id(&self) -> DeviceId {
        self.chain.device
    }

    /// The next event of this device's chain, a minute after the last.
    pub fn next(&mut self, kind: EventKind) -> Event {
        self.made += 1;
        let at = NOW - 86_400_000 + i64::from(self.made) * 60_000;
        let mut random = [self.tag; 10];
        random[..4].copy_from_slice(&self.made.to_be_bytes());
        self.chain
            .append(EventId::v7(at, random), at, 60, kind)
            .expect("append")
    }

    /// `n` step ticks on the demo catalogue's tyre-pressure quest.
    pub fn steps(&mut self, n: usize) -> Vec<Event> {
        (0..n)
            .map(|i| {
                self.next(EventKind::StepChecked {
                    quest: QuestId::new("tyre-pressure").expect("id"),
                    step: format!("s{}", i % 2 + 1),
                })
            })
            .collect()
    }
}

/// A diagnostic run event kind (10 XP, first unlocks an achievement).
pub fn diagnosis(n: u128) -> EventKind {
    EventKind::DiagnosticRun {
        diagnostic_id: uuid::Uuid::from_u128(n),
        vehicle: None,
        quest: None,
        evidence: Some(Box::new(offline_evidence())),
    }
}

/// What an honest device's offline run of P0300 carries: the request and
/// the offline gate's decision, which the server reproduces.
pub fn offline_evidence() -> RunEvidence {
    ridewire_engine::demo::offline_run_evidence().expect("the bundled code database")
}

/// The route's path with its parameters filled in.
pub fn concrete(path: &str) -> String {
    let path = path
        .replace("{kind}", "vehicle")
        .replace("{key}", "bike-1")
        .replace("{id}", "winter")
        .replace("{board}", "xp")
        .replace("{sha256}", &"0".repeat(64))
        .replace("{completion}", "00000000-0000-0000-0000-000000000001")
        .replace("{workshop}", "00000000-0000-0000-0000-000000000002")
        .replace("{booking}", "00000000-0000-0000-0000-000000000003")
        .replace("{run}", "00000000-0000-0000-0000-000000000004")
        .replace("{bay}", "00000000-0000-0000-0000-000000000005")
        .replace("{name}", "spring-service")
        .replace("/users/winter/", "/users/1/");
    if path == "/api/v1/ar/overlay" {
        format!("{path}?vehicle=harley-street-750-2022")
    } else {
        path
    }
}

/// Runs each named test on both backends, as `sqlite::NAME` and
/// `postgres::NAME` (the storage conformance suite, issue 16). Each test is
/// an `async fn NAME(backend: Backend)` that makes its server with
/// [`TestServer::on`] (or [`TestServer::of`]). Where PostgreSQL cannot be
/// started the `postgres::` tests say so and pass, unless
/// `RIDEWIRE_REQUIRE_POSTGRES=1` (as in `cargo xtask test`).
macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            )+
        }
    };
}
pub(crate) use conformance;

impl TestServer {
    /// A server with the test settings on `backend`; `None` when that is
    /// PostgreSQL and it cannot be started here (the test then passes
    /// without running, as [`Postgres::start`] allows).
    pub fn of(backend: Backend) -> Option<Self> {
        Self::on(backend, test_config())
    }
}
