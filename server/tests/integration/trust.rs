//! The attacker's scenarios of the trust review (issue 11), each against the
//! real `ridewire-server` binary on loopback: what a client may push, claim
//! or keep after it should have lost it, and what it gains by trying.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use ridewire_engine::diagnostics::evidence::RunEvidence;
use ridewire_engine::diagnostics::gate::Decision;
use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use ridewire_engine::quest::QuestId;
use ridewire_engine::vehicle::ModelKey;
use serde_json::{Value, json};

use crate::common::{BINARY, PASSWORD, login_at, register_at, spawn_listening};
const DAY: i64 = 86_400_000;

/// The real server on a fresh database; killed when dropped.
struct Server {
    child: Child,
    base: String,
    http: reqwest::Client,
    database: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_command(database: &Path) -> Command {
    let mut cmd = Command::new(BINARY);
    cmd.arg("--database")
        .arg(format!("sqlite://{}", database.display()))
        .env("RIDEWIRE_ARGON2_MEMORY_KIB", "64")
        .env("RIDEWIRE_RATE_PER_IP", "0")
        .env("RIDEWIRE_RATE_PER_USER", "0")
        .env("RIDEWIRE_RATE_AUTH_PER_IP", "0")
        .env("RIDEWIRE_RATE_LOGIN_PER_ACCOUNT", "0")
        .env_remove("RIDEWIRE_LISTEN")
        .env_remove("RIDEWIRE_DATABASE")
        .env_remove("RIDEWIRE_ADMIN_EMAILS")
        .env_remove("RIDEWIRE_AGENTS");
    cmd
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        Server::start_on(dir, extra)
    }

    fn start_on(dir: tempfile::TempDir, extra: &[&str]) -> Server {
        let database = dir.path().join("server.db");
        let (child, addr) = spawn_listening(
            server_command(&database)
                .args(["--listen", "127.0.0.1:0"])
                .args(extra)
                .stderr(Stdio::null()),
        );
        Server {
            child,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            database,
            _dir: dir,
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Registers an account; returns its session.
    async fn register(&self, email: &str) -> Value {
        let (status, session) = self
            .call(
                "POST",
                "/api/v1/auth/register",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, 201, "{session}");
        session
    }

    async fn token(&self, email: &str) -> String {
        self.register(email).await["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    async fn push(&self, token: &str, device: DeviceId, events: &[Event]) -> (u16, Value) {
        self.call(
            "POST",
            "/api/v1/sync/push",
            Some(token),
            Some(json!({"device": device, "events": events})),
        )
        .await
    }

    /// The server's progress for the account, from a pull.
    async fn progress(&self, token: &str) -> Value {
        let (status, page) = self
            .call("GET", "/api/v1/sync/pull", Some(token), None)
            .await;
        assert_eq!(status, 200, "{page}");
        page["progress"].clone()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// A device making events the way the app does, at the times given.
struct Phone {
    chain: DeviceChain,
    made: u32,
}

impl Phone {
    fn new(n: u128) -> Phone {
        Phone {
            chain: DeviceChain::new(DeviceId(uuid::Uuid::from_u128(n))),
            made: 0,
        }
    }

    fn at(&mut self, at_ms: i64, kind: EventKind) -> Event {
        self.made += 1;
        let mut random = [7u8; 10];
        random[..4].copy_from_slice(&self.made.to_be_bytes());
        self.chain
            .append(EventId::v7(at_ms, random), at_ms, 0, kind)
            .expect("append")
    }
}

fn reasons(answer: &Value) -> Vec<String> {
    answer["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn run(n: u128, evidence: Option<RunEvidence>) -> EventKind {
    EventKind::DiagnosticRun {
        diagnostic_id: uuid::Uuid::from_u128(n),
        vehicle: Some(ModelKey::new("harley-street-750-2022").expect("key")),
        quest: None,
        evidence: evidence.map(Box::new),
    }
}

#[tokio::test]
async fn five_hundred_self_made_diagnostic_runs_earn_at_most_the_daily_allowance() {
    let server = Server::start(&[]);
    let token = server.token("cheat@ridewire.test").await;
    let honest = crate::common::offline_evidence();
    let forged_decision = if honest.decision == Decision::Approved {
        Decision::Escalated
    } else {
        Decision::Approved
    };
    let start = now_ms() - 600_000;
    let mut phone = Phone::new(1);
    // 100 runs with no evidence, 100 claiming a decision the offline agent
    // does not reach, 300 honest offline runs of the same request.
    let events: Vec<Event> = (0..500u32)
        .map(|i| {
            let evidence = match i {
                0..100 => None,
                100..200 => Some(RunEvidence {
                    decision: forged_decision,
                    ..honest.clone()
                }),
                _ => Some(honest.clone()),
            };
            phone.at(start + i64::from(i) * 1_000, run(u128::from(i), evidence))
        })
        .collect();
    let (status, answer) = server.push(&token, phone.chain.device, &events).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["acked_through"], 500);
    let refused = reasons(&answer);
    assert_eq!(refused.len(), 200, "{refused:?}");
    assert!(refused.iter().all(|r| r == "unverified_diagnosis"));
    // The honest runs span one UTC day, or two when midnight falls in them.
    let days = events[200..]
        .iter()
        .map(|e| e.at_ms.div_euclid(DAY))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let progress = server.progress(&token).await;
    assert_eq!(
        progress["xp"],
        50 * days,
        "only five runs a day per bike earn 10 XP: {progress}"
    );
    assert_eq!(progress["events"], 300, "the honest runs are all kept");
}

#[tokio::test]
async fn back_dated_scans_make_no_seven_day_streak() {
    let server = Server::start(&[]);
    let token = server.token("streaker@ridewire.test").await;
    let now = now_ms();
    let scan = || EventKind::ArScan {
        diagnostic_id: None,
        duration_seconds: 30,
        quest: None,
        vehicle: Some(ModelKey::new("harley-street-750-2022").expect("key")),
    };
    let mut phone = Phone::new(2);
    let today = phone.at(now - 60_000, scan());
    let (status, answer) = server.push(&token, phone.chain.device, &[today]).await;
    assert_eq!((status, reasons(&answer).len()), (200, 0), "{answer}");
    // Six more scans, one a day, dated back over the past week; and one
    // dated tomorrow.
    let mut later: Vec<Event> = (1..=6).map(|d| phone.at(now - d * DAY, scan())).collect();
    later.push(phone.at(now + DAY, scan()));
    let (status, answer) = server.push(&token, phone.chain.device, &later).await;
    assert_eq!(status, 200, "{answer}");
    let refused = reasons(&answer);
    assert_eq!(refused[..6], ["clock_went_back"; 6]);
    assert_eq!(refused[6], "from_the_future");
    let progress = server.progress(&token).await;
    assert_eq!(progress["events"], 1, "{progress}");
    assert_eq!(progress["xp"], 5, "one scan today: {progress}");
    assert!(
        !progress["achievements"]
            .as_array()
            .expect("achievements")
            .iter()
            .any(|a| a == "ACH-STREAK-7"),
        "{progress}"
    );
    // A scan of a bike the account has no pack or garage record for.
    let unknown = phone.at(
        now,
        EventKind::ArScan {
            diagnostic_id: None,
            duration_seconds: 30,
            quest: None,
            vehicle: Some(ModelKey::new("made-up-bike-1999").expect("key")),
        },
    );
    let (_, answer) = server.push(&token, phone.chain.device, &[unknown]).await;
    assert_eq!(reasons(&answer), ["unknown_vehicle"]);
}

#[tokio::test]
async fn only_another_account_validates_a_completion_and_only_once() {
    let server = Server::start(&[]);
    let rider = server.token("rider@ridewire.test").await;
    let friend = server.token("friend@ridewire.test").await;
    let now = now_ms() - 60_000;
    let quest = || QuestId::new("tyre-pressure").expect("quest");
    let mut phone = Phone::new(3);
    let events = vec![
        phone.at(
            now,
            EventKind::StepChecked {
                quest: quest(),
                step: "s1".into(),
            },
        ),
        phone.at(
            now + 1_000,
            EventKind::StepChecked {
                quest: quest(),
                step: "s2".into(),
            },
        ),
        phone.at(now + 2_000, EventKind::QuestCompleted { quest: quest() }),
        // The rider vouching for themselves from their own phone.
        phone.at(
            now + 3_000,
            EventKind::ProofValidated {
                quest: quest(),
                validator: "my-alt".into(),
            },
        ),
    ];
    let completion = events[2].id;
    let (status, answer) = server.push(&rider, phone.chain.device, &events).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(reasons(&answer), ["server_only"]);
    let before = server.progress(&rider).await;
    assert_eq!(before["events"], 3, "{before}");

    let body = json!({"completion": completion});
    let (status, answer) = server
        .call(
            "POST",
            "/api/v1/validations",
            Some(&rider),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("self_validation"))
    );
    let (status, answer) = server
        .call(
            "POST",
            "/api/v1/validations",
            Some(&friend),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = server
        .call("POST", "/api/v1/validations", Some(&friend), Some(body))
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("already_validated"))
    );

    let after = server.progress(&rider).await;
    assert_eq!(after["events"], 4, "one validation was recorded: {after}");
    let gained = after["xp"].as_u64().expect("xp") - before["xp"].as_u64().expect("xp");
    assert!(
        gained > 0,
        "the community multiplier tops the completion up: {after}"
    );

    // The validation is on the rider's server device, which no phone may write.
    let (_, page) = server
        .call("GET", "/api/v1/sync/pull", Some(&rider), None)
        .await;
    let server_device: DeviceId = page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["event"]["kind"] == "proof_validated")
        .map(|c| serde_json::from_value(c["event"]["device"].clone()).expect("device"))
        .expect("the validation event");
    let mut impostor = Phone {
        chain: DeviceChain {
            device: server_device,
            last_seq: 1,
            last_hash: Default::default(),
        },
        made: 0,
    };
    let forged = impostor.at(
        now_ms(),
        EventKind::ProofValidated {
            quest: quest(),
            validator: "x".into(),
        },
    );
    let (status, answer) = server.push(&rider, server_device, &[forged]).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("server_device"))
    );
}

#[tokio::test]
async fn registering_an_admins_email_makes_no_admin_the_operator_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("server.db");
    let server = Server::start_on(dir, &["--admin", "boss@ridewire.test"]);
    let squatter = server.token("boss@ridewire.test").await;
    let (_, me) = server
        .call("GET", "/api/v1/me", Some(&squatter), None)
        .await;
    assert_eq!(me["role"], "user");
    let plan = json!({"markdown": "# Winter prep\n\n- [ ] Drain the carb\n"});
    let (status, answer) = server
        .call("PUT", "/api/v1/plans/winter", Some(&squatter), Some(plan))
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("admin_only"))
    );

    // The operator, on the server's machine, makes an account an admin.
    let output = server_command(&database)
        .args(["admin", "grant", "BOSS@ridewire.test"])
        .output()
        .expect("run admin grant");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("boss@ridewire.test is now admin"));
    let (status, session) = server
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "boss@ridewire.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(session["user"]["role"], "admin");
    let missing = server_command(&database)
        .args(["admin", "grant", "nobody@ridewire.test"])
        .output()
        .expect("run admin grant");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no account has the e-mail"));
    drop(server);
    let _ = &database;
}

#[tokio::test]
async fn a_900_kb_step_name_pushed_in_a_loop_stores_almost_nothing() {
    let server = Server::start(&[]);
    let token = server.token("filler@ridewire.test").await;
    let mut phone = Phone::new(4);
    let start = now_ms() - 60_000;
    let huge = "x".repeat(900 * 1024);
    for i in 0..10 {
        let event = phone.at(
            start + i * 1_000,
            EventKind::StepChecked {
                quest: QuestId::new("tyre-pressure").expect("quest"),
                step: huge.clone(),
            },
        );
        let (status, answer) = server.push(&token, phone.chain.device, &[event]).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(reasons(&answer), ["field_too_long"]);
    }
    // Ten refused 900 KB events are ten small tombstones, not 9 MB.
    let (status, export) = server
        .call("GET", "/api/v1/me/export", Some(&token), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        export["rejected_events"]
            .as_array()
            .expect("rejected")
            .len(),
        10
    );
    assert!(
        export.to_string().len() < 20_000,
        "{} bytes",
        export.to_string().len()
    );
    let file = std::fs::metadata(&server.database).expect("database").len()
        + std::fs::metadata(server.database.with_extension("db-wal")).map_or(0, |m| m.len());
    assert!(file < 2 * 1024 * 1024, "the database holds {file} bytes");
}

#[tokio::test]
async fn an_account_over_its_quota_is_refused_and_nothing_of_the_push_is_kept() {
    let server = Server::start(&["--quota-rows", "50"]);
    let token = server.token("hoarder@ridewire.test").await;
    let other = server.token("neighbour@ridewire.test").await;
    let mut phone = Phone::new(5);
    let start = now_ms() - 600_000;
    let tick = |phone: &mut Phone, i: i64| {
        phone.at(
            start + i * 1_000,
            EventKind::StepChecked {
                quest: QuestId::new("tyre-pressure").expect("quest"),
                step: "s1".into(),
            },
        )
    };
    let first: Vec<Event> = (0..40).map(|i| tick(&mut phone, i)).collect();
    let (status, _) = server.push(&token, phone.chain.device, &first).await;
    assert_eq!(status, 200);
    let more: Vec<Event> = (40..60).map(|i| tick(&mut phone, i)).collect();
    let (status, answer) = server.push(&token, phone.chain.device, &more).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (413, Some("quota_exceeded")),
        "{answer}"
    );
    assert_eq!(server.progress(&token).await["events"], 40);
    // Another account is not affected.
    let mut theirs = Phone::new(6);
    let event = theirs.at(
        start,
        EventKind::StepChecked {
            quest: QuestId::new("tyre-pressure").expect("quest"),
            step: "s1".into(),
        },
    );
    let (status, _) = server.push(&other, theirs.chain.device, &[event]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_old_access_token_stops_working_after_a_refresh() {
    let server = Server::start(&[]);
    let session = server.register("rider@ridewire.test").await;
    let old = session["access_token"].as_str().expect("token").to_owned();
    let (status, _) = server.call("GET", "/api/v1/me", Some(&old), None).await;
    assert_eq!(status, 200);
    let (status, fresh) = server
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": session["refresh_token"]})),
        )
        .await;
    assert_eq!(status, 200, "{fresh}");
    let (status, answer) = server.call("GET", "/api/v1/me", Some(&old), None).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (401, Some("invalid_token"))
    );
    let new = fresh["access_token"].as_str().expect("token");
    let (status, _) = server.call("GET", "/api/v1/me", Some(new), None).await;
    assert_eq!(status, 200);
}

/// Whether any of the database's files holds `needle`.
fn files_hold(database: &Path, needle: &str) -> bool {
    ["", "-wal", "-shm", "-journal"].iter().any(|suffix| {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        std::fs::read(std::path::PathBuf::from(name))
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
    })
}

#[tokio::test]
async fn a_stolen_database_does_not_list_e_mail_addresses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("server.db");
    let key = "3f".repeat(32);
    let with_key = |mut cmd: Command| {
        cmd.env("RIDEWIRE_EMAIL_KEY", &key);
        cmd
    };
    let start = |extra: &[&str]| {
        let (child, addr) = spawn_listening(
            with_key(server_command(&database))
                .args(["--listen", "127.0.0.1:0"])
                .args(extra)
                .stderr(Stdio::null()),
        );
        (child, format!("http://{addr}"))
    };
    let http = reqwest::Client::new();
    let (mut server, base) = start(&[]);
    let session = register_at(&http, &base, "Rider@RideWire.test").await;
    assert_eq!(session.user.email, "rider@ridewire.test");
    let me: Value = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&session.access_token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "rider@ridewire.test", "its owner sees it");
    server.kill().expect("stop");
    server.wait().expect("stopped");
    assert!(!files_hold(&database, "rider@ridewire.test"));
    assert!(!files_hold(&database, "ridewire.test"));

    // A row from before this version, address in clear text.
    {
        let conn = rusqlite::Connection::open(&database).expect("open");
        conn.execute(
            "INSERT INTO users (email, password_hash, role, created_ms)
             SELECT 'old@legacy.example', password_hash, 'user', 0 FROM users LIMIT 1",
            [],
        )
        .expect("legacy row");
    }
    assert!(files_hold(&database, "old@legacy.example"));
    let (mut server, base) = start(&[]);
    let login = login_at(&http, &base, "old@legacy.example").await;
    assert_eq!(login.user.email, "old@legacy.example");
    server.kill().expect("stop");
    server.wait().expect("stopped");
    assert!(
        !files_hold(&database, "old@legacy.example"),
        "rewritten at start-up"
    );
}
