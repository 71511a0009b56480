//! `ridewire-server migrate-to postgres://…` (issue 16): a SQLite server's
//! riders, events, records and change log copied into PostgreSQL, checked
//! the way a device sees it: pulling from the server on SQLite before and
//! from the server on PostgreSQL after gives the same pages, cursors and
//! progress, and a device's session and cursor go on working.

use std::process::{Child, Command, Output, Stdio};

use ridewire_engine::event::Event;
use ridewire_engine::sync::PullResponse;
use serde_json::{Value, json};

use crate::common::{BINARY, Device, login_at, pull_at, push_at, register_at, spawn_listening};
use crate::postgres::Postgres;

/// A server process, killed when dropped.
struct Running(Child, String);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(database: &str, key: Option<&str>) -> Running {
    let mut cmd = Command::new(BINARY);
    cmd.args(["--listen", "127.0.0.1:0", "--database", database])
        .env("RIDEWIRE_ARGON2_MEMORY_KIB", "64")
        .env_remove("RIDEWIRE_EMAIL_KEY")
        .stderr(Stdio::null());
    if let Some(key) = key {
        cmd.args(["--email-key", key]);
    }
    let (child, addr) = spawn_listening(&mut cmd);
    Running(child, format!("http://{addr}"))
}

fn operator(database: &str, args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(["--database", database])
        .args(args)
        .env_remove("RIDEWIRE_EMAIL_KEY")
        .output()
        .expect("run the operator command")
}

/// Every page after `cursor` (empty: from the start).
async fn pull_all(http: &reqwest::Client, base: &str, token: &str, cursor: &str) -> Vec<Value> {
    let mut cursor = cursor.to_owned();
    let mut pages = Vec::new();
    loop {
        let page: Value = pull_at(http, base, token, &format!("cursor={cursor}&limit=3")).await;
        let parsed: PullResponse = serde_json::from_value(page.clone()).expect("pull response");
        cursor = parsed.cursor.to_string();
        pages.push(page);
        if !parsed.more {
            return pages;
        }
    }
}

async fn push(http: &reqwest::Client, base: &str, token: &str, phone: &Device, events: &[Event]) {
    let answer = push_at(http, base, token, phone.id(), events).await;
    assert!(answer.rejected.is_empty(), "{answer:?}");
}

async fn edit(http: &reqwest::Client, base: &str, token: &str, base_version: u64, notes: &str) {
    let status = http
        .put(format!("{base}/api/v1/records"))
        .bearer_auth(token)
        .json(
            &json!({"kind": "vehicle", "key": "bike-1", "base_version": base_version,
                      "changes": {"notes": notes}}),
        )
        .send()
        .await
        .expect("edit")
        .status();
    assert!(status.is_success(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_server_moves_to_postgresql_and_its_devices_do_not_notice() {
    let Some(pg) = Postgres::shared() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("server.db");
    let sqlite = format!("sqlite://{}", file.display());
    let http = reqwest::Client::new();
    let riders = ["ana@ridewire.test", "ben@ridewire.test"];

    // A season on SQLite: two riders' events, a record edited twice (its
    // newer change replaces the older in the log).
    let (tokens, before, last_cursor) = {
        let server = serve(&sqlite, None);
        let mut tokens = Vec::new();
        for (n, email) in riders.iter().enumerate() {
            let token = register_at(&http, &server.1, email).await.access_token;
            let mut phone = Device::new(n as u128 + 1);
            let events = phone.steps(4 + n);
            push(&http, &server.1, &token, &phone, &events).await;
            tokens.push(token);
        }
        edit(&http, &server.1, &tokens[0], 0, "chain noisy").await;
        edit(&http, &server.1, &tokens[0], 1, "chain adjusted").await;
        let mut before = Vec::new();
        for token in &tokens {
            before.push(pull_all(&http, &server.1, token, "").await);
        }
        let last: PullResponse =
            serde_json::from_value(before[0].last().expect("a page").clone()).expect("page");
        (tokens, before, last.cursor.to_string())
    };

    let url = pg.fresh_database();
    let out = operator(&sqlite, &["migrate-to", &url]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("events"), "{said}");
    assert!(
        said.contains("--email-key"),
        "names the key the replicas need: {said}"
    );
    let key = std::fs::read_to_string(dir.path().join("server.db.email-key")).expect("key file");

    let server = serve(&url, Some(key.trim()));
    // The same pages, cursors and progress, with the tokens issued on
    // SQLite.
    for (token, pages) in tokens.iter().zip(&before) {
        assert_eq!(&pull_all(&http, &server.1, token, "").await, pages);
    }
    // A device that was up to date stays so: no reset, nothing new.
    let next = pull_all(&http, &server.1, &tokens[0], &last_cursor).await;
    let next: PullResponse = serde_json::from_value(next[0].clone()).expect("page");
    assert!(!next.reset && next.changes.is_empty(), "{next:?}");
    // Passwords and the sealed e-mail addresses came along.
    let again = login_at(&http, &server.1, riders[1]).await;
    assert_eq!(again.user.email, riders[1]);
    // New writes continue the log after the copied positions.
    edit(&http, &server.1, &tokens[0], 2, "chain replaced").await;
    let news = pull_all(&http, &server.1, &tokens[0], &last_cursor).await;
    let news: PullResponse = serde_json::from_value(news[0].clone()).expect("page");
    assert_eq!(news.changes.len(), 1, "{news:?}");
    drop(server);

    // A second copy into the now full database is refused and changes
    // nothing.
    let out = operator(&sqlite, &["migrate-to", &url]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("new database only"), "{err}");
    let server = serve(&url, Some(key.trim()));
    let after = pull_all(&http, &server.1, &tokens[1], "").await;
    assert_eq!(after, before[1]);
}
