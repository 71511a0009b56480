//! Two `ridewire-server` processes on one database (issue 16): any replica
//! answers any request. A pull waiting on one hears of a push to the
//! other; the same event pushed to both at once is stored once; both
//! serve the same change log and progress. On SQLite (one file) and on
//! PostgreSQL (one database).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ridewire_engine::sync::PullResponse;

use crate::common::{
    BINARY, Backend, Device, conformance, pull_at, push_at, register_at, spawn_listening,
};
use crate::postgres::Postgres;

conformance! {
    any_replica_answers_and_a_pull_waiting_on_one_hears_of_a_push_to_the_other,
}

/// A replica on `database`, killed when the test ends.
struct Replica(Child, String);

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the replicas' database is, kept for the test.
struct Database {
    address: String,
    _dir: tempfile::TempDir,
    _cluster: Option<std::sync::Arc<Postgres>>,
}

/// A new database on `backend`; `None` where PostgreSQL cannot start.
fn database(backend: Backend) -> Option<Database> {
    let dir = tempfile::tempdir().expect("temp dir");
    Some(match backend {
        Backend::Sqlite => Database {
            address: format!("sqlite://{}", dir.path().join("server.db").display()),
            _dir: dir,
            _cluster: None,
        },
        Backend::Postgres => {
            let pg = Postgres::shared()?;
            Database {
                address: pg.fresh_database(),
                _dir: dir,
                _cluster: Some(pg),
            }
        }
    })
}

fn replica(database: &Database) -> Replica {
    let mut cmd = Command::new(BINARY);
    cmd.args(["--listen", "127.0.0.1:0", "--database", &database.address])
        // Every replica seals e-mail addresses with the same key.
        .args(["--email-key", &"5a".repeat(32)])
        .env("RIDEWIRE_ARGON2_MEMORY_KIB", "64")
        .env_remove("RIDEWIRE_LISTEN")
        .env_remove("RIDEWIRE_DATABASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (child, addr) = spawn_listening(&mut cmd);
    Replica(child, format!("http://{addr}"))
}

async fn any_replica_answers_and_a_pull_waiting_on_one_hears_of_a_push_to_the_other(
    backend: Backend,
) {
    let Some(database) = database(backend) else {
        return;
    };
    let a = replica(&database);
    let b = replica(&database);
    let http = reqwest::Client::new();
    // Signed up on one, signed in on the other: one account.
    let token = register_at(&http, &a.1, "rider@ridewire.test")
        .await
        .access_token;
    let first = pull_at::<PullResponse>(&http, &b.1, &token, "").await;
    let cursor = first.cursor.to_string();

    // The tablet waits on B; the phone pushes to A.
    let waiting = {
        let (http, base, token, cursor) =
            (http.clone(), b.1.clone(), token.clone(), cursor.clone());
        tokio::spawn(async move {
            let began = Instant::now();
            let page =
                pull_at::<PullResponse>(&http, &base, &token, &format!("cursor={cursor}&wait=30"))
                    .await;
            (page, began.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut phone = Device::new(1);
    let events = phone.steps(2);
    let device = phone.id();
    let push = |base: String, events: Vec<ridewire_engine::event::Event>| {
        let (http, token) = (http.clone(), token.clone());
        async move { push_at(&http, &base, &token, device, &events).await }
    };
    let pushed = push(a.1.clone(), events.clone()).await;
    assert_eq!(pushed.acked_through, 2);
    let (page, waited) = waiting.await.expect("the waiting pull");
    assert_eq!(page.changes.len(), 2, "{:?}", page.changes);
    // Woken by A's commit (on SQLite B looks for other replicas' commits
    // every 50 ms; on PostgreSQL A's commit notifies B), long before its
    // 30 s were over.
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");

    // The same next event sent to both replicas at once: stored once.
    let next = phone.steps(1);
    let (on_a, on_b) = tokio::join!(push(a.1.clone(), next.clone()), push(b.1.clone(), next));
    assert_eq!((on_a.acked_through, on_b.acked_through), (3, 3));
    assert!(on_a.rejected.is_empty() && on_b.rejected.is_empty());
    // Both serve one log: three events, once each, and the same progress.
    let from_a = pull_at::<PullResponse>(&http, &a.1, &token, &format!("cursor={cursor}")).await;
    let from_b = pull_at::<PullResponse>(&http, &b.1, &token, &format!("cursor={cursor}")).await;
    assert_eq!(from_a.changes.len(), 3, "{:?}", from_a.changes);
    assert_eq!(from_a.changes, from_b.changes);
    assert_eq!(from_a.cursor, from_b.cursor);
    assert_eq!(from_a.progress, from_b.progress);
    assert_eq!(from_a.progress.events, 3);

    // Signed out on A: B, which has the token cached, refuses it too.
    let me = |base: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            http.get(format!("{base}/api/v1/me"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("me")
                .status()
                .as_u16()
        }
    };
    assert_eq!(me(b.1.clone()).await, 200);
    let out = http
        .post(format!("{}/api/v1/auth/logout", a.1))
        .bearer_auth(&token)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status().as_u16(), 204);
    let began = Instant::now();
    let mut on_b = me(b.1.clone()).await;
    while on_b == 200 && began.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        on_b = me(b.1.clone()).await;
    }
    assert_eq!(on_b, 401, "B still takes a token A revoked");
    // Within about one watch period (SQLite) or at once (PostgreSQL).
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
}
