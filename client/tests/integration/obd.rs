//! `ridewire obd` against a fake ELM327 adapter served on loopback, and
//! against the `ELM327-emulator` Python package when it can be installed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::picture::ridewire;

/// A VIN whose first eleven characters must never be printed.
const VIN: &str = "1HD4LEK18KC523456";

/// How the fake adapter behaves once a client connects.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Answers from [`transcript`], with `quirks` taking precedence.
    Answers(&'static [(&'static str, &'static str)]),
    /// Reads commands and never answers.
    Silent,
    /// Closes the connection at once.
    HangUp,
}

/// A fake adapter on 127.0.0.1; joining it yields the commands it received.
struct FakeAdapter {
    address: String,
    served: JoinHandle<Vec<String>>,
}

impl FakeAdapter {
    fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("address").to_string();
        let served = thread::spawn(move || {
            let Ok((stream, _)) = listener.accept() else {
                return Vec::new();
            };
            serve(stream, behaviour)
        });
        Self { address, served }
    }

    fn commands(self) -> Vec<String> {
        self.served.join().expect("fake adapter thread")
    }
}

fn serve(mut stream: TcpStream, behaviour: Behaviour) -> Vec<String> {
    let quirks = match behaviour {
        Behaviour::HangUp => return Vec::new(),
        Behaviour::Silent => None,
        Behaviour::Answers(quirks) => Some(quirks),
    };
    // Bounded, so a stuck test ends instead of hanging the suite.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut received = Vec::new();
    let mut line = Vec::new();
    let mut echo = true;
    let mut byte = [0u8; 1];
    while let Ok(1) = stream.read(&mut byte) {
        if byte[0] != b'\r' {
            line.push(byte[0]);
            continue;
        }
        let command = String::from_utf8_lossy(&line).trim().to_ascii_uppercase();
        line.clear();
        received.push(command.clone());
        let Some(quirks) = quirks else { continue };
        let answer = quirks
            .iter()
            .chain(transcript())
            .find(|(c, _)| *c == command)
            .map(|(_, a)| *a)
            .unwrap_or("?");
        if command == "ATE0" {
            echo = false;
        }
        let mut reply = String::new();
        if echo || command == "ATE0" {
            reply.push_str(&command);
            reply.push('\r');
        }
        reply.push_str(answer);
        reply.push_str("\r\r>");
        if stream.write_all(reply.as_bytes()).is_err() {
            break;
        }
    }
    received
}

/// An ELM327 v2.1 on a CAN bike with two ECUs, headers on.
fn transcript() -> &'static [(&'static str, &'static str)] {
    &[
        ("ATZ", "\rELM327 v2.1"),
        ("ATE0", "OK"),
        ("ATL0", "OK"),
        ("ATS1", "OK"),
        ("ATH1", "OK"),
        ("ATSP0", "OK"),
        (
            "0100",
            "SEARCHING...\r7E8 06 41 00 BE 3E B8 11 \r7E9 06 41 00 80 08 00 01 ",
        ),
        ("ATDPN", "A6"),
        // 1HD4LEK18KC523456 as ISO-TP: first frame, then two consecutive frames.
        (
            "0902",
            "7E8 10 14 49 02 01 31 48 44 \r7E8 21 34 4C 45 4B 31 38 4B \r7E8 22 43 35 32 33 34 35 36 ",
        ),
        ("03", "7E8 06 43 02 03 00 01 71 \r7E9 02 43 00 "),
        ("07", "7E8 04 47 01 04 20 "),
        ("04", "7E8 01 44 \r7E9 01 44 "),
    ]
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `ridewire obd …`, in the demo garage unless a database is given (so no
/// test writes to the rider's own file).
fn obd(args: &[&str]) -> Output {
    let mut all = vec!["obd"];
    all.extend_from_slice(args);
    if !args.contains(&"--database") && !args.contains(&"--demo") {
        all.push("--demo");
    }
    ridewire(&all)
}

#[test]
fn the_vin_tail_read_is_offered_for_the_current_bike() {
    use ridewire_app::garage;
    use ridewire_app::rider::Rider;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("rider.db");
    let adapter = FakeAdapter::start(Behaviour::Answers(&[]));
    let out = obd(&[
        "read",
        "--tcp",
        &adapter.address,
        "--database",
        db.to_str().expect("utf-8"),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("VIN …523456 kept"), "{stdout}");
    let mut rider = Rider::open(&db, 0).expect("rider");
    let offered = garage::read_vin_tail(&rider).expect("offered");
    assert_eq!(offered.as_str(), "523456");
    let bike =
        garage::add(&mut rider, "Harley-Davidson", "Street 750", 2022, None, 0).expect("bike");
    garage::set_vin_tail(&mut rider, &bike.id, &offered, 0).expect("kept");
    assert_eq!(
        rider.vehicle.vin_tail.as_ref().map(|t| t.as_str()),
        Some("523456")
    );
    assert_eq!(garage::read_vin_tail(&rider), None, "not offered again");
    for file in [db.clone(), db.with_extension("db-wal")] {
        let kept = std::fs::read(&file).unwrap_or_default();
        assert!(
            !kept.windows(7).any(|w| w == b"1HD4LEK"),
            "the full VIN never reaches {}",
            file.display()
        );
    }
}

#[test]
fn read_prints_codes_per_ecu_and_only_the_vin_tail() {
    let adapter = FakeAdapter::start(Behaviour::Answers(&[]));
    let out = obd(&["read", "--tcp", &adapter.address]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Adapter:   ELM327 v2.1"), "{stdout}");
    assert!(
        stdout.contains("ISO 15765-4 CAN (11 bit, 500 kbaud)"),
        "{stdout}"
    );
    assert!(stdout.contains("ECU 7E8: P0300 P0171"), "{stdout}");
    assert!(stdout.contains("ECU 7E9: none"), "{stdout}");
    assert!(stdout.contains("ECU 7E8: P0420"), "{stdout}");
    assert!(stdout.contains("...523456"), "{stdout}");
    assert!(
        !stdout.contains(VIN) && !stdout.contains("1HD4LEK"),
        "{stdout}"
    );
    let sent = adapter.commands();
    assert_eq!(
        sent,
        [
            "ATZ", "ATE0", "ATL0", "ATS1", "ATH1", "ATSP0", "0100", "ATDPN", "0902", "03", "07"
        ]
    );
    assert!(!sent.iter().any(|c| c == "04"), "read never clears");
}

#[test]
fn read_as_json_carries_the_tail_not_the_vin() {
    let adapter = FakeAdapter::start(Behaviour::Answers(&[]));
    let out = obd(&["read", "--tcp", &adapter.address, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["vin_tail"], "523456");
    assert_eq!(json["stored"][0]["codes"][1], "P0171");
    assert_eq!(json["pending"][0]["codes"][0], "P0420");
    assert!(!text(&out.stdout).contains(VIN));
}

#[test]
fn read_can_hand_the_codes_to_the_diagnosis() {
    let adapter = FakeAdapter::start(Behaviour::Answers(&[]));
    let out = ridewire(&[
        "--demo",
        "obd",
        "read",
        "--tcp",
        &adapter.address,
        "--diagnose",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("ECU 7E8: P0420"), "{stdout}");
    assert!(stdout.contains("Codes:      P0300 P0171 P0420"), "{stdout}");
    assert!(stdout.contains("Decision:"), "{stdout}");
}

#[test]
fn no_data_for_the_vin_and_pending_codes_is_noted_not_fatal() {
    let adapter = FakeAdapter::start(Behaviour::Answers(&[
        ("0902", "NO DATA"),
        ("07", "NO DATA"),
    ]));
    let out = obd(&["read", "--tcp", &adapter.address]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("VIN:       not reported"), "{stdout}");
    assert!(stdout.contains("ECU 7E8: P0300 P0171"), "{stdout}");
    assert!(stdout.contains("NO DATA"), "{stdout}");
}

#[test]
fn a_bike_with_the_ignition_off_says_so() {
    let adapter = FakeAdapter::start(Behaviour::Answers(&[(
        "0100",
        "SEARCHING...\rUNABLE TO CONNECT",
    )]));
    let out = obd(&["read", "--tcp", &adapter.address]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("UNABLE TO CONNECT") && stderr.contains("ignition"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_silent_adapter_times_out_with_a_clear_error() {
    let adapter = FakeAdapter::start(Behaviour::Silent);
    let started = Instant::now();
    let out = obd(&["read", "--tcp", &adapter.address, "--timeout-ms", "500"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("adapter did not answer within 500 ms (waiting for ATZ)"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn an_adapter_that_hangs_up_is_reported() {
    let adapter = FakeAdapter::start(Behaviour::HangUp);
    let out = obd(&["read", "--tcp", &adapter.address]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("closed the connection"), "{stderr}");
}

#[test]
fn nobody_listening_names_the_address() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let address = format!("127.0.0.1:{port}");
    let out = obd(&["read", "--tcp", &address]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("no adapter at {address}: connection refused")),
        "{stderr}"
    );
}

#[test]
fn clear_refuses_without_yes_and_clears_with_it() {
    let adapter = FakeAdapter::start(Behaviour::Answers(&[]));
    let refused = obd(&["clear", "--tcp", &adapter.address]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("without --yes"));

    let out = obd(&["clear", "--tcp", &adapter.address, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Codes cleared by ECU 7E8, 7E9"));
    // The refused run never connected: the first connection is the confirmed one.
    assert_eq!(adapter.commands().last().map(String::as_str), Some("04"));
}

#[test]
fn bad_link_arguments_exit_2() {
    assert_eq!(obd(&["read"]).status.code(), Some(2));
    let both = obd(&["read", "--tcp", "127.0.0.1:1", "--serial", "/dev/null"]);
    assert_eq!(both.status.code(), Some(2));
    let zero = obd(&["read", "--tcp", "127.0.0.1:1", "--timeout-ms", "0"]);
    assert_eq!(zero.status.code(), Some(2));
}

/// Where the emulator gets installed, shared between runs.
fn emulator_venv() -> PathBuf {
    std::env::temp_dir().join("ridewire-elm327-emulator-venv")
}

/// Runs `command`, killing it after `limit`; `Err` says why it failed.
fn run_bounded(command: &mut Command, limit: Duration) -> Result<(), String> {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut err);
                }
                return Err(format!("{command:?} failed ({status}): {err}"));
            }
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{command:?} took longer than {limit:?}"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The emulator release the tests pin (its `car` scenario and the way it
/// frames trouble codes).
const EMULATOR: &str = "ELM327-emulator==4.0.0";

/// The trouble codes the emulated car stores. The emulator sends them as
/// `43 03 00 01 71 04 20`: no count byte, as some ECUs and adapters do.
const EMULATED_CODES: [&str; 3] = ["P0300", "P0171", "P0420"];

/// Runs the emulator (`python -m elm ARGS`) with [`EMULATED_CODES`] stored:
/// its scenario keeps them in `elm.obd_message.DTC_STORED`, empty unless set.
const WITH_CODES: &str = "import runpy, sys\n\
import elm.obd_message as obd\n\
obd.DTC_STORED[:] = sys.argv[1].split(',')\n\
sys.argv = ['elm'] + sys.argv[2:]\n\
runpy.run_module('elm', run_name='__main__', alter_sys=True)\n";

/// One installation at a time: both emulator tests share the venv.
static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A Python with `ELM327-emulator` installed, or why there is none.
fn emulator_python() -> Result<PathBuf, String> {
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|p| p.into_inner());
    let venv = emulator_venv();
    let python = venv.join("bin").join("python");
    let has_elm = |python: &Path| {
        run_bounded(
            Command::new(python).args([
                "-c",
                "from importlib.metadata import version; import elm.obd_message; \
                 assert version('ELM327-emulator') == '4.0.0'",
            ]),
            Duration::from_secs(10),
        )
        .is_ok()
    };
    if python.exists() && has_elm(&python) {
        return Ok(python);
    }
    run_bounded(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        Duration::from_secs(60),
    )
    .map_err(|e| format!("no usable python3 venv: {e}"))?;
    run_bounded(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            EMULATOR,
        ]),
        Duration::from_secs(300),
    )
    .map_err(|e| format!("pip could not install {EMULATOR}: {e}"))?;
    if has_elm(&python) {
        Ok(python)
    } else {
        Err("ELM327-emulator installed but `import elm` fails".to_owned())
    }
}

/// Kills the emulator when the test ends, passed or not.
struct Emulator(Child);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The emulator's Python, or why the test cannot run (a skip unless
/// `RIDEWIRE_REQUIRE_ELM_EMULATOR=1`).
fn emulator_or_skip() -> Option<PathBuf> {
    let required = std::env::var("RIDEWIRE_REQUIRE_ELM_EMULATOR").as_deref() == Ok("1");
    match emulator_python() {
        Ok(python) => Some(python),
        Err(why) if required => panic!("RIDEWIRE_REQUIRE_ELM_EMULATOR=1 but {why}"),
        Err(why) => {
            eprintln!("skipping the ELM327-emulator test: {why}");
            None
        }
    }
}

/// Starts the emulator's `car` scenario with [`EMULATED_CODES`] stored, in
/// batch mode, with `link` saying how it is reached (`-n PORT` for TCP;
/// nothing for a pseudo-terminal).
fn start_emulator(python: &Path, dir: &Path, link: &[&str]) -> Emulator {
    let script = dir.join("with_codes.py");
    std::fs::write(&script, WITH_CODES).expect("write the emulator's starter");
    let codes: Vec<String> = EMULATED_CODES
        .iter()
        .map(|c| c.trim_start_matches('P').to_owned())
        .collect();
    Emulator(
        Command::new(python)
            .arg(&script)
            .arg(codes.join(","))
            .args(["-s", "car"])
            .args(link)
            .arg("-b")
            .arg(dir.join("batch.txt"))
            // It writes elm.log where it runs: keep that out of the source tree.
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator"),
    )
}

/// What a reading of the emulator's `car` scenario must show.
fn check_emulated_reading(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        json["adapter"]
            .as_str()
            .is_some_and(|a| a.contains("ELM327")),
        "{json}"
    );
    let tail = json["vin_tail"].as_str().unwrap_or_default();
    assert_eq!(tail.len(), 6, "{json}");
    assert!(tail.chars().all(|c| c.is_ascii_alphanumeric()), "{json}");
    assert_eq!(json["stored"][0]["ecu"], "7E8", "{json}");
    // Sent without a count byte: read, not refused as malformed.
    assert_eq!(
        json["stored"][0]["codes"],
        serde_json::json!(EMULATED_CODES),
        "{json}"
    );
    assert_eq!(json["pending"][0]["codes"], serde_json::json!([]), "{json}");
}

#[test]
fn read_works_against_the_elm327_emulator() {
    let Some(python) = emulator_or_skip() else {
        return;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    let _emulator = start_emulator(&python, dir.path(), &["-n", &port.to_string()]);
    let address = format!("127.0.0.1:{port}");
    let started = Instant::now();
    while TcpStream::connect(&address).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the emulator did not listen on {address} within 10 s"
        );
        thread::sleep(Duration::from_millis(100));
    }
    check_emulated_reading(&obd(&["read", "--tcp", &address, "--json"]));
}

#[test]
fn read_works_over_a_serial_port_against_the_elm327_emulator() {
    let Some(python) = emulator_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let _emulator = start_emulator(&python, dir.path(), &[]);
    // In batch mode the emulator writes its pseudo-terminal's path as the
    // first line of the batch file: the same kind of tty a USB adapter is.
    let started = Instant::now();
    let device = loop {
        let first = std::fs::read_to_string(dir.path().join("batch.txt"))
            .ok()
            .and_then(|t| t.lines().next().map(str::trim).map(str::to_owned))
            .filter(|l| l.starts_with("/dev/"));
        if let Some(device) = first {
            break device;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the emulator named no serial device within 10 s"
        );
        thread::sleep(Duration::from_millis(100));
    };
    check_emulated_reading(&obd(&["read", "--serial", &device, "--json"]));
}
