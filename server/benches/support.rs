//! What the benches that drive the real server binary share: starting it
//! on loopback with its limits raised (so a figure is the measured path's,
//! not the rate limiter's), and stopping it however the bench ends.

// A bench's set-up that fails is the bench failing.
#![allow(clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The server process, killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Starts `ridewire-server` on a free loopback port over the SQLite
    /// database `server.db` in `dir` (several may share it), hashing
    /// passwords with `argon2_kib` KiB; its base URL.
    #[allow(dead_code)]
    pub fn start(dir: &Path, argon2_kib: u32) -> (Server, String) {
        Server::start_on(
            &format!("sqlite://{}", dir.join("server.db").display()),
            argon2_kib,
        )
    }

    /// [`Server::start`] on the database at `address` (`sqlite://…` or
    /// `postgres://…`; replicas share the e-mail key).
    pub fn start_on(address: &str, argon2_kib: u32) -> (Server, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ridewire-server"))
            .args(["--listen", "127.0.0.1:0", "--database", address])
            .args(["--email-key", &"5a".repeat(32)])
            .args([
                "--rate-per-ip",
                "100000000/10000000",
                "--rate-per-user",
                "100000000/10000000",
                "--rate-auth-per-ip",
                "100000000/10000000",
                "--argon2-memory-kib",
                &argon2_kib.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ridewire-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .expect("listening line")
            .to_owned();
        (Server(child), format!("http://{addr}"))
    }
}
