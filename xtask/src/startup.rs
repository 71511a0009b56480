//! `cargo xtask bench startup`: how long the app takes from being started
//! to its first frame on screen, and how much memory it holds while the
//! scanner plays the demo recording, in a real window on Xvfb (Mesa's
//! software Vulkan renders it here). Both the release build and the dev
//! build `cargo xtask run` makes are measured, in turns.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Starts per build.
const RUNS: usize = 5;
/// How long the scanner plays before its memory is read.
const SETTLE: Duration = Duration::from_secs(12);
/// The X display the bench uses.
const DISPLAY: &str = ":97";

/// Stops Xvfb when the bench ends.
struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_xvfb() -> Result<Xvfb, String> {
    let program = ["/usr/bin/Xvfb", "/usr/local/bin/Xvfb"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .ok_or("Xvfb is not installed: run `sudo apt-get install xvfb`, then try again")?;
    let child = Command::new(program)
        .args([DISPLAY, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start Xvfb: {e}"))?;
    let socket = format!("/tmp/.X11-unix/X{}", DISPLAY.trim_start_matches(':'));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !Path::new(&socket).exists() {
        if Instant::now() > deadline {
            return Err(format!("Xvfb did not open {socket}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Xvfb(child))
}

/// A number from `/proc/PID/status` (kB).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// One start: milliseconds to the first frame, and the resident memory
/// (now, peak) in MiB after the scanner has played for [`SETTLE`].
fn one_start(binary: &Path, root: &Path) -> Result<(f64, f64, f64), String> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(["--demo", "--screen", "scan", "--camera", "demo"])
        .current_dir(root)
        .env("DISPLAY", DISPLAY)
        .env("RIDEWIRE_REPORT_FIRST_FRAME", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no standard output")?;
    let (tell, told) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("first frame presented") {
                let _ = tell.send(started.elapsed());
            }
        }
    });
    let first = told.recv_timeout(Duration::from_secs(120));
    let result = match first {
        Ok(first) => {
            std::thread::sleep(SETTLE);
            let pid = child.id();
            match (status_kib(pid, "VmRSS:"), status_kib(pid, "VmHWM:")) {
                (Some(rss), Some(peak)) => Ok((
                    first.as_secs_f64() * 1e3,
                    rss as f64 / 1024.0,
                    peak as f64 / 1024.0,
                )),
                _ => Err("the app ended before its memory could be read".to_owned()),
            }
        }
        Err(_) => Err("no first frame within 120 s".to_owned()),
    };
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs the bench on the two builds of `ridewire` under `target`.
pub fn run(root: &Path, target: &Path) -> Result<(), String> {
    let _xvfb = start_xvfb()?;
    let builds: Vec<(&str, PathBuf)> = ["release", "debug"]
        .into_iter()
        .map(|profile| (profile, target.join(profile).join("ridewire")))
        .collect();
    let mut firsts: Vec<Vec<f64>> = vec![Vec::new(); builds.len()];
    let mut memory: Vec<Vec<(f64, f64)>> = vec![Vec::new(); builds.len()];
    // In turns, so the machine's noise falls on both alike.
    for _ in 0..RUNS {
        for (i, (_, binary)) in builds.iter().enumerate() {
            let (first, rss, peak) = one_start(binary, root)?;
            firsts[i].push(first);
            memory[i].push((rss, peak));
        }
    }
    for (i, (profile, _)) in builds.iter().enumerate() {
        let profile = if *profile == "debug" { "dev" } else { profile };
        let rss = median(memory[i].iter().map(|m| m.0).collect());
        let peak = median(memory[i].iter().map(|m| m.1).collect());
        println!(
            "{{\"figure\":\"start_to_first_frame_ms\",\"profile\":\"{profile}\",\"median\":{:.0},\
             \"runs_ms\":{:?},\"window\":\"Xvfb 1280x720, Mesa software Vulkan\"}}",
            median(firsts[i].clone()),
            firsts[i].iter().map(|v| v.round()).collect::<Vec<_>>()
        );
        println!(
            "{{\"figure\":\"resident_memory_mib\",\"profile\":\"{profile}\",\
             \"scanner_on_demo_after_s\":{},\"rss_median\":{rss:.0},\"peak_median\":{peak:.0}}}",
            SETTLE.as_secs()
        );
    }
    Ok(())
}
