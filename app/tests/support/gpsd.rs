//! A real `gpsd` for the tests: found on the machine (or the test is
//! skipped, unless `RIDEWIRE_REQUIRE_GPSD=1`), started on a free port with a
//! TCP receiver of the test's own, and fed an NMEA log stage by stage.
//! Shared by the app's and the client's tests.

// A test's set-up that fails is the test failing.
#![allow(clippy::expect_used)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const INSTALL: &str = "sudo apt-get install gpsd";

/// The gpsd program, or why the real-daemon test cannot run (a skip unless
/// `RIDEWIRE_REQUIRE_GPSD=1`).
pub fn gpsd_or_skip() -> Option<PathBuf> {
    let required = std::env::var("RIDEWIRE_REQUIRE_GPSD").as_deref() == Ok("1");
    let path = std::env::var_os("PATH").unwrap_or_default();
    // Debian puts it in /usr/sbin, which a user's PATH may leave out.
    let found = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("gpsd"))
        .find(|p| p.is_file());
    match found {
        Some(gpsd) => Some(gpsd),
        None if required => {
            panic!("RIDEWIRE_REQUIRE_GPSD=1 but gpsd is not installed: run `{INSTALL}`")
        }
        None => {
            eprintln!("skipping the gpsd test: gpsd is not installed (`{INSTALL}`)");
            None
        }
    }
}

/// Stops gpsd when the test ends, passed or not.
pub struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The log's stages: the NMEA sentences under each `# stage` comment.
pub fn stages(log: &str) -> Vec<Vec<&str>> {
    let mut stages: Vec<Vec<&str>> = Vec::new();
    for line in log.lines() {
        if line.starts_with("# stage") {
            stages.push(Vec::new());
        } else if line.starts_with('$')
            && let Some(stage) = stages.last_mut()
        {
            stage.push(line);
        }
    }
    stages
}

/// Sends one stage to gpsd, an epoch (GGA … RMC) every 50 ms.
pub fn feed(receiver: &mut TcpStream, stage: &[&str]) {
    for sentence in stage {
        receiver
            .write_all(sentence.as_bytes())
            .expect("gpsd test set-up");
        receiver.write_all(b"\r\n").expect("gpsd test set-up");
        if sentence.starts_with("$GPRMC") {
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Starts gpsd on a free port reading `tcp://` from a listener of ours;
/// returns it, its address and our end of the receiver's connection.
pub fn start_gpsd(program: &Path, dir: &Path) -> (Daemon, String, TcpStream) {
    let receiver = TcpListener::bind("127.0.0.1:0").expect("gpsd test set-up");
    let source = format!("tcp://{}", receiver.local_addr().expect("gpsd test set-up"));
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("gpsd test set-up")
        .local_addr()
        .expect("gpsd test set-up")
        .port();
    let log = std::fs::File::create(dir.join("gpsd.log")).expect("gpsd test set-up");
    // -N: stay in the foreground; -n: open the receiver at once.
    let daemon = Daemon(
        Command::new(program)
            .args(["-N", "-n", "-S", &port.to_string()])
            .arg(&source)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("gpsd test set-up"),
    );
    receiver.set_nonblocking(true).expect("gpsd test set-up");
    let deadline = Instant::now() + Duration::from_secs(10);
    let stream = loop {
        match receiver.accept() {
            Ok((stream, _)) => break stream,
            Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!(
                "gpsd did not open {source}: {e}\n{}",
                std::fs::read_to_string(dir.join("gpsd.log")).unwrap_or_default()
            ),
        }
    };
    stream.set_nonblocking(false).expect("gpsd test set-up");
    (daemon, format!("127.0.0.1:{port}"), stream)
}
