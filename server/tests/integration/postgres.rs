//! A real PostgreSQL for the tests (issue 16): a cluster of its own in a
//! temporary folder, on a free port on loopback and a socket in that
//! folder, stopped and removed when the test ends.
//!
//! Debian's PostgreSQL (`/usr/lib/postgresql/N/bin`; `cargo xtask test`
//! installs the `postgresql` package when it may). `initdb` refuses to
//! run as root, so as root the cluster belongs to the `postgres` user
//! (`runuser -u postgres`). When PostgreSQL cannot be started the tests
//! that need it say why and skip — except under
//! `RIDEWIRE_REQUIRE_POSTGRES=1` (the README's test command), where that
//! is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// A running cluster, stopped when dropped.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// Run the server's tools as the `postgres` user (we are root).
    as_postgres: bool,
}

/// The newest PostgreSQL's tools on this machine.
fn binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Postgres {
    /// Starts a cluster; `None` (having said why) when PostgreSQL cannot
    /// be started here and the tests may skip.
    pub fn start() -> Option<Postgres> {
        match Postgres::try_start() {
            Ok(pg) => Some(pg),
            Err(why) => {
                assert!(
                    std::env::var("RIDEWIRE_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "RIDEWIRE_REQUIRE_POSTGRES=1 but PostgreSQL could not be started: {why}"
                );
                eprintln!("skipping: PostgreSQL could not be started: {why}");
                None
            }
        }
    }

    /// A cluster that flushes its commits to disk as a production one does
    /// (the tests' own skip it): for benchmarks, beside SQLite's
    /// `synchronous=FULL`. Used by `benches/load.rs`.
    #[allow(dead_code)]
    pub fn start_durable() -> Result<Postgres, String> {
        Postgres::try_start_with(true)
    }

    fn try_start() -> Result<Postgres, String> {
        Postgres::try_start_with(false)
    }

    fn try_start_with(durable: bool) -> Result<Postgres, String> {
        let bin = binaries()
            .ok_or("no /usr/lib/postgresql/N/bin/initdb (install Debian's `postgresql` package)")?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("ridewire-pg")
            .tempdir()
            .map_err(|e| format!("no temporary folder: {e}"))?;
        if as_postgres {
            let owned = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !owned.success() {
                return Err("the temporary folder cannot be given to `postgres`".into());
            }
        }
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let pg = Postgres {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = pg.data();
        let made = pg.tool(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        if !made.status.success() {
            return Err(format!("initdb failed: {}", words(&made)));
        }
        let options = format!(
            "-k {} -p {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections=200",
            pg.dir.path().display(),
            pg.port,
            if durable { "on" } else { "off" },
        );
        let log = pg.dir.path().join("server.log");
        let started = pg.tool(
            "pg_ctl",
            &[
                "-D",
                &data,
                "-o",
                &options,
                "-l",
                &log.display().to_string(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        if !started.status.success() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("pg_ctl start failed: {}\n{log}", words(&started)));
        }
        Ok(pg)
    }

    /// Stops the cluster (ending every session, as a crash or an
    /// upgrade would) and starts it again with the same settings.
    pub fn restart(&self) {
        let data = self.data();
        let log = self.dir.path().join("server.log").display().to_string();
        let out = self
            .tool(
                "pg_ctl",
                &[
                    "-D", &data, "-l", &log, "-m", "fast", "-w", "-t", "60", "restart",
                ],
            )
            .expect("pg_ctl");
        assert!(out.status.success(), "pg_ctl restart: {}", words(&out));
    }

    /// The postmaster's process id (its children are the sessions). Used
    /// by `benches/load.rs`.
    #[allow(dead_code)]
    pub fn pid(&self) -> Option<u32> {
        let file = self.dir.path().join("data").join("postmaster.pid");
        std::fs::read_to_string(file)
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs one of PostgreSQL's tools (as `postgres` when we are root).
    fn tool(&self, name: &str, args: &[&str]) -> Result<Output, String> {
        let path = self.bin.join(name);
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(&path);
            cmd
        } else {
            Command::new(&path)
        };
        cmd.args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", path.display()))
    }

    /// The address of database `db` on this cluster.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// The folder of its socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `sql` in database `db` with `psql` and returns what it printed
    /// (tuples only, unaligned); panics when it fails.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let out = self
            .tool(
                "psql",
                &[
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-U",
                    "postgres",
                    "-d",
                    db,
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-qAt",
                    "-c",
                    sql,
                ],
            )
            .expect("psql");
        assert!(out.status.success(), "psql: {}", words(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A new, empty database for one test.
    pub fn database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(name)
    }
}

/// The cluster the tests running now share; stopped when the last of them
/// lets go of it.
static SHARED: Mutex<Weak<Postgres>> = Mutex::new(Weak::new());
/// Databases made on shared clusters, for unique names.
static MADE: AtomicUsize = AtomicUsize::new(0);

impl Postgres {
    /// The cluster shared by the tests running now, started when none runs
    /// (`None`, having said why, where PostgreSQL cannot be started).
    pub fn shared() -> Option<Arc<Postgres>> {
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pg) = shared.upgrade() {
            return Some(pg);
        }
        let pg = Arc::new(Postgres::start()?);
        *shared = Arc::downgrade(&pg);
        Some(pg)
    }

    /// A new, empty database with a name of its own; its address.
    pub fn fresh_database(&self) -> String {
        let n = MADE.fetch_add(1, Ordering::Relaxed);
        self.database(&format!("t{}_{n}", std::process::id()))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.tool("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

fn words(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .trim()
    .to_owned()
}

#[test]
fn a_cluster_starts_in_its_own_folder_keeps_what_is_committed_and_stops() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let url = pg.database("conformance_a");
    assert!(
        url.ends_with(&format!(":{}/conformance_a", pg.port)),
        "{url}"
    );
    assert!(
        pg.socket_dir()
            .join(format!(".s.PGSQL.{}", pg.port))
            .exists()
    );
    pg.psql(
        "conformance_a",
        "CREATE TABLE events (id BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL UNIQUE)",
    );
    pg.psql(
        "conformance_a",
        "INSERT INTO events (event_id) VALUES ('e1')",
    );
    // The unique key decides, as it will for pushes through any replica.
    assert_eq!(
        pg.psql(
            "conformance_a",
            "INSERT INTO events (event_id) VALUES ('e1') ON CONFLICT (event_id) DO NOTHING \
             RETURNING id"
        ),
        ""
    );
    assert_eq!(pg.psql("conformance_a", "SELECT count(*) FROM events"), "1");
    assert!(
        pg.psql("postgres", "SHOW server_version")
            .split('.')
            .next()
            .and_then(|major| major.parse::<u32>().ok())
            .is_some_and(|major| major >= 15)
    );
    let data = PathBuf::from(pg.data());
    drop(pg);
    assert!(!data.exists(), "the cluster's folder is gone");
}
