//! The real `ridewire-server` binary on loopback: it prints its address,
//! serves HTTP, stops cleanly on SIGTERM, and explains what stops it from
//! starting.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use ridewire_engine::sync::PullResponse;
use serde_json::Value;

use crate::common::{BINARY, Device, pull_at, push_at, register_at, spawn_listening};

fn command(database: &Path, listen: &str) -> Command {
    let mut cmd = Command::new(BINARY);
    cmd.arg("--listen")
        .arg(listen)
        .arg("--database")
        .arg(format!("sqlite://{}", database.display()))
        .env("RIDEWIRE_ARGON2_MEMORY_KIB", "64")
        .env_remove("RIDEWIRE_LISTEN")
        .env_remove("RIDEWIRE_DATABASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the server and reads the address from its first line.
fn start(database: &Path) -> (Child, String) {
    spawn_listening(&mut command(database, "127.0.0.1:0"))
}

/// Runs the server expecting it to fail at start-up; returns stderr.
fn fails(cmd: &mut Command) -> String {
    let output = cmd.output().expect("run server");
    assert!(!output.status.success(), "the server started");
    assert!(output.stdout.is_empty(), "it claimed to listen");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn the_binary_serves_sync_over_loopback_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("data").join("server.db");
    let (mut child, addr) = start(&database);
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();

    let ready: Value = http
        .get(format!("{base}/ready"))
        .send()
        .await
        .expect("ready")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["status"], "ready");

    let token = register_at(&http, &base, "rider@ridewire.test")
        .await
        .access_token;

    let mut phone = Device::new(1);
    let events = phone.steps(3);
    let pushed = push_at(&http, &base, &token, phone.id(), &events).await;
    assert_eq!(pushed.acked_through, 3);

    let pulled: PullResponse = pull_at(&http, &base, &token, "").await;
    assert_eq!(pulled.progress.events, 3);

    let unauthorised = http
        .get(format!("{base}/api/v1/sync/pull"))
        .send()
        .await
        .expect("pull");
    assert_eq!(unauthorised.status(), 401);

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "did not stop cleanly: {exit:?}");

    // The data is still there after a restart on the same file.
    let (mut child, addr) = start(&database);
    let pulled: PullResponse = http
        .get(format!("http://{addr}/api/v1/sync/pull"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("pull")
        .json()
        .await
        .expect("pull response");
    assert_eq!(pulled.progress.events, 3);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn help_documents_every_option_and_its_environment_variable() {
    let output = Command::new(BINARY).arg("--help").output().expect("help");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--listen",
        "RIDEWIRE_LISTEN",
        "--database",
        "RIDEWIRE_DATABASE",
        "--admin",
        "RIDEWIRE_ADMIN_EMAILS",
        "--rate-per-ip",
        "--rate-auth-per-ip",
        "--max-body-bytes",
    ] {
        assert!(help.contains(option), "--help lacks {option}:\n{help}");
    }
}

#[test]
fn a_bad_address_is_explained() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = command(&dir.path().join("s.db"), "not-an-address");
    let stderr = fails(&mut cmd);
    assert!(stderr.contains("--listen"), "{stderr}");
}

#[test]
fn an_address_in_use_is_explained() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = command(&dir.path().join("s.db"), &addr.to_string());
    let stderr = fails(&mut cmd);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

#[test]
fn an_unusable_database_path_is_explained() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").expect("write");
    let stderr = fails(&mut command(&file.join("server.db"), "127.0.0.1:0"));
    assert!(stderr.contains("error:"), "{stderr}");
    assert!(stderr.contains("a-file"), "{stderr}");
}

#[test]
fn an_unreachable_or_keyless_postgresql_is_explained_without_its_password() {
    // Nothing listens on port 1.
    let mut cmd = Command::new(BINARY);
    cmd.args(["--listen", "127.0.0.1:0", "--database"])
        .arg("postgres://rider:hunter2@127.0.0.1:1/ridewire")
        .args(["--email-key", &"5a".repeat(32)])
        .env_remove("RIDEWIRE_DATABASE");
    let stderr = fails(&mut cmd);
    assert!(
        stderr.contains("cannot open the database postgres://rider:***@127.0.0.1:1/ridewire"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    // Replicas must share the e-mail key: a PostgreSQL server without one
    // does not start.
    let Some(pg) = crate::postgres::Postgres::shared() else {
        return;
    };
    let mut cmd = Command::new(BINARY);
    cmd.args([
        "--listen",
        "127.0.0.1:0",
        "--database",
        &pg.fresh_database(),
    ])
    .env_remove("RIDEWIRE_DATABASE")
    .env_remove("RIDEWIRE_EMAIL_KEY");
    let stderr = fails(&mut cmd);
    assert!(stderr.contains("--email-key"), "{stderr}");
}

#[test]
fn a_database_from_a_newer_server_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("server.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", 999)
            .expect("version");
    }
    let stderr = fails(&mut command(&path, "127.0.0.1:0"));
    assert!(
        stderr.contains("newer version of ridewire-server"),
        "{stderr}"
    );
    let conn = rusqlite::Connection::open(&path).expect("open");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, 999);
}
