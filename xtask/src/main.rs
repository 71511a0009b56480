//! `cargo xtask …`: the project's build automation.
//!
//! - `cargo xtask run [-- ARGS]`: set up the machine and start the app.
//! - `cargo xtask test`: set up the machine, then formatting, clippy (warnings
//!   are errors) and every test, including the screenshot tests.
//! - `cargo xtask assets`: redraw the overworld tileset
//!   (`assets/tiles/overworld.png`), the component models
//!   (`assets/models/*.glb`) and the overlay packs (`assets/overlays/*.json`).
//! - `cargo xtask api-check`: schemathesis over the server's OpenAPI document
//!   (also part of `test`).
//! - `cargo xtask bindings [--out DIR]`: the phones' bindings (Kotlin, Swift,
//!   Python) of `ridewire-ffi`, with the library beside the Python module.
//! - `cargo xtask ios`, `cargo xtask android`: the phones' native libraries
//!   with the platforms' tools (they stop, naming what is missing, without).
//! - `cargo xtask bench engine`: the engine's benchmarks.
//! - `cargo xtask bench sync`: sync over loopback (push, cold pull, 1,000
//!   clients), one JSON line per figure.
//! - `cargo xtask bench overworld`: map generation and the Map screen's frame cost.
//! - `cargo xtask bench ar`: the AR tracker's figures (detection rate, corner
//!   error, false positives, jitter, time per 1280×720 frame next to OpenCV's,
//!   also on plain frames OpenCV drew itself), in the dev profile the app is
//!   built in.
//! - `cargo xtask bench agents`: request to gated answer with mock
//!   providers answering in 50/200/800 ms (one JSON line per figure).
//! - `cargo xtask bench leaderboard`: a leaderboard page (top 100 and the
//!   asker's rank) and the refresh a push does, with 1,000 and 100,000
//!   riders (one JSON line per figure).
//! - `cargo xtask bench photo`: a phone photo (0.9, 12 and 48 MP) made
//!   ready for a photo proof, in the dev profile the app is built in.
//! - `cargo xtask bench startup`: start to first frame and resident memory
//!   with the scanner playing the demo, in a window on Xvfb, for the release
//!   and the dev build.
//!
//! Every cargo call uses one build directory outside the checkout (see
//! [`target_dir`]), so the app, the tests and CI share one warm Bevy build.

mod api_check;
mod assets;
mod bindings;
mod marker_sheet;
mod models;
mod phones;
mod scan_demo;
mod startup;
mod system;

use std::collections::{BTreeMap, BTreeSet};
use std::env;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  run [-- ARGS]     install what the app needs, then run it (ARGS go to `ridewire`)
  test              install what the tests need, then fmt, clippy and all tests
  assets            redraw the overworld tileset, the component models (glTF),
                    the overlay packs, the AR demo sequence and the
                    printable marker sheet under assets/
  bench engine      benchmark the engine (progress fold, chain verification)
  bench sync        benchmark sync over loopback (push 10k, cold pull 100k, 1,000 clients)
  bench overworld   map generation and the Map screen's frame time
  bench ar          AR tracker figures in the app's (dev) build, side by side with OpenCV
                    when Python can be set up (also on plain frames OpenCV draws);
                    frame-to-overlay latency
  bench agents      time request → gated answer with agents answering in 50/200/800 ms
  bench leaderboard
                    a leaderboard page (top 100 + own rank) and a push's refresh,
                    1,000 vs 100,000 riders
  bench bookings    200 customers booking at once against the real server on loopback:
                    throughput, p50/p95/p99 of a booking, slots lost to a faster client
  bench load        1,000 and 10,000 simulated riders (push, pull, long-poll) against one and
                    two replicas of the real server on loopback, on SQLite and PostgreSQL:
                    latencies, throughput, errors, lost events, memory, CPU
  bench refresh     the app's main-thread time after a sync round (empty, 1,000 events), before and after
  bench photo       a phone photo (0.9 / 12 / 48 MP) made ready for a photo proof
  bench phones      one push_camera_frame (1280x720) through the Python bindings vs in Rust
  bench startup     start to first frame and resident memory with the scanner on the
                    demo, in a window on Xvfb, release and dev builds
  api-check         build the server, then run schemathesis (every check) over
                    its OpenAPI document on loopback, as `test` does
  bindings [--out DIR]
                    build ridewire-ffi and write its Kotlin, Swift and Python
                    bindings to DIR (default TARGET/bindings), the library
                    beside the Python module
  ios               on macOS with Xcode: the XCFramework of ridewire-ffi (device +
                    simulator) and the Swift bindings in ios/; elsewhere it says
                    so and lists its commands
  android           with the Android SDK, NDK, cargo-ndk and Gradle: the native
                    libraries (arm64-v8a, x86_64), the Kotlin bindings in
                    android/core, then the debug APK; otherwise it names what
                    is missing
  android-check     compile the Android build's Rust (bindings + the Bevy app
                    behind android_main) for aarch64-linux-android, no NDK needed
  target-dir        print the build directory every command uses

environment:
  RIDEWIRE_TARGET_DIR   build directory (default: $XDG_CACHE_HOME/ridewire/target
                        or ~/.cache/ridewire/target; CARGO_TARGET_DIR also works)
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("assets") => {
            let root = workspace_root();
            assets::write(&root)
                .and_then(|()| models::write(&root))
                .and_then(|()| scan_demo::write(&root))
                .and_then(|()| marker_sheet::write(&root))
        }
        Some("bench") => bench(&args[1..]),
        Some("api-check") => api_check(),
        Some("bindings") => make_bindings(&args[1..]),
        Some("ios") => phones::ios(&workspace_root(), &target_dir()),
        Some("android") => phones::android(&workspace_root(), &target_dir()),
        Some("android-check") => phones::android_check(&workspace_root(), &target_dir()),
        Some("target-dir") => {
            println!("{}", target_dir().display());
            Ok(())
        }
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!(
            "unknown command {:?}\n\n{USAGE}",
            other.unwrap_or("")
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The shared build directory: kept outside the checkout so a fresh clone
/// (as CI makes) still finds Bevy already built.
fn target_dir() -> PathBuf {
    for var in ["RIDEWIRE_TARGET_DIR", "CARGO_TARGET_DIR"] {
        if let Some(dir) = env::var_os(var).filter(|v| !v.is_empty()) {
            return PathBuf::from(dir);
        }
    }
    let cache = env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| env::temp_dir().join("ridewire-cache"));
    cache.join("ridewire").join("target")
}

/// The workspace root (xtask lives one level below it). `cargo run` says
/// where xtask's manifest is at run time; that wins over the path built in,
/// because checkouts that share one build directory (a CI clone beside a
/// working copy) share one xtask binary.
fn workspace_root() -> PathBuf {
    let manifest = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args)
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", target_dir());
    // `cargo xtask` runs this program with xtask's own package variables
    // set. Build scripts (ring's, for one) ask to rerun when such a variable
    // changes, so passing them on would make every build from here and every
    // plain `cargo build` rebuild those crates for each other.
    for (name, _) in env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || matches!(
                &*name,
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "OUT_DIR"
            )
        {
            cmd.env_remove(&*name);
        }
    }
    cmd
}

/// Runs a step, printing its name and how long it took.
fn step(name: &str, mut cmd: Command) -> Result<(), String> {
    eprintln!("==> {name}");
    let start = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("{name}: could not start: {e}"))?;
    eprintln!("==> {name}: {:.1} s", start.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
    }
}

fn run(args: &[String]) -> Result<(), String> {
    system::ensure(system::Purpose::Run)?;
    let mut cmd = cargo(&[
        "run",
        "--locked",
        "--package",
        "ridewire-client",
        "--bin",
        "ridewire",
        "--",
    ]);
    cmd.args(args.iter().skip_while(|a| *a == "--"));
    step("ridewire", cmd)
}

/// The workspace is checked and tested in three cargo invocations. The
/// server's dependencies, and the phones' (uniffi), turn on features of
/// crates Bevy shares; built together with the client, cargo would unify
/// those features and rebuild all of Bevy. Built apart, each group keeps its
/// own warm build in the same directory.
///
/// The server goes first: its tests build `ridewire-server`, which the app's
/// sync test and the phones' scenarios then run on loopback.
const GROUPS: [(&str, &[&str]); 3] = [
    ("server", &["--package", "ridewire-server"]),
    (
        "app",
        &[
            "--workspace",
            "--exclude",
            "ridewire-server",
            "--exclude",
            "ridewire-ffi",
            "--exclude",
            "uniffi-bindgen",
        ],
    ),
    ("phones", &bindings::PACKAGES),
];

fn test() -> Result<(), String> {
    let start = Instant::now();
    eprintln!("==> build directory: {}", target_dir().display());
    system::ensure(system::Purpose::Test)?;
    step("rustfmt", cargo(&["fmt", "--all", "--check"]))?;
    one_build_for_test_and_run()?;
    for (name, packages) in GROUPS {
        let mut clippy = cargo(&["clippy", "--all-targets", "--locked"]);
        clippy.args(packages).args(["--", "-D", "warnings"]);
        step(&format!("clippy ({name})"), clippy)?;
    }
    for (name, packages) in GROUPS {
        let mut tests = cargo(&["test", "--locked"]);
        tests
            .args(packages)
            .env("RIDEWIRE_REQUIRE_SERVER", "1")
            .env("RIDEWIRE_REQUIRE_BINDINGS", "1")
            .env("RIDEWIRE_REQUIRE_ELM_EMULATOR", "1")
            .env("RIDEWIRE_REQUIRE_GPSD", "1")
            .env("RIDEWIRE_REQUIRE_POSTGRES", "1")
            .env("RIDEWIRE_KOTLIN_HOME", system::kotlin_home());
        step(&format!("tests ({name})"), tests)?;
        if name == "server" {
            // Every in-process server test again, on PostgreSQL: the rules
            // beyond the conformance suite (bookings, workshops, photos,
            // reviews, …) hold on both backends.
            let mut on_postgres = cargo(&[
                "test",
                "--locked",
                "--package",
                "ridewire-server",
                "--test",
                "integration",
            ]);
            on_postgres
                .env("RIDEWIRE_TEST_BACKEND", "postgres")
                .env("RIDEWIRE_REQUIRE_POSTGRES", "1")
                .env("RIDEWIRE_REQUIRE_SERVER", "1");
            step("tests (server on PostgreSQL)", on_postgres)?;
            // The OpenAPI document against the server the tests just built.
            step(
                "api check (schemathesis)",
                api_check::command(&workspace_root(), &target_dir())?,
            )?;
        }
    }
    eprintln!(
        "==> all checks passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn make_bindings(args: &[String]) -> Result<(), String> {
    let target = target_dir();
    let out = bindings::out_dir(args, &target)?;
    let mut build = cargo(&["build", "--locked"]);
    build.args(bindings::PACKAGES);
    step("build (phones)", build)?;
    let root = workspace_root();
    for language in ["kotlin", "swift", "python"] {
        step(
            &format!("bindings ({language})"),
            bindings::generate(&root, &target, language, &out.join(language)),
        )?;
    }
    bindings::place_library(&target, &out.join("python"))?;
    eprintln!(
        "==> bindings in {}; try: cd {} && python3 -c 'import ridewire'",
        out.display(),
        out.join("python").display()
    );
    Ok(())
}

fn api_check() -> Result<(), String> {
    system::ensure(system::Purpose::Test)?;
    step(
        "build (server)",
        cargo(&["build", "--locked", "--package", "ridewire-server"]),
    )?;
    step(
        "api check (schemathesis)",
        api_check::command(&workspace_root(), &target_dir())?,
    )
}

/// Each package's features as cargo resolves them for `args`.
fn resolved(args: &[&str]) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut cmd = cargo(&[
        "tree", "--locked", "--prefix", "none", "--format", "{p}|{f}",
    ]);
    let out = cmd
        .args(args)
        .output()
        .map_err(|e| format!("could not run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // A package seen before ends its line with " (*)".
        let line = line.trim_end().trim_end_matches(" (*)");
        let Some((package, features)) = line.split_once('|') else {
            continue;
        };
        // "name v1.2.3 (/path) (*)" → "name v1.2.3"
        let package = package.split(" (").next().unwrap_or(package).trim();
        packages.entry(package.to_owned()).or_default().extend(
            features
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned),
        );
    }
    Ok(packages)
}

/// The app (`cargo xtask run`) must resolve every package it shares with
/// the tests with the same features, or running the app after the tests
/// rebuilds half of Bevy (the pins in `client/Cargo.toml` keep it so).
fn one_build_for_test_and_run() -> Result<(), String> {
    let run = resolved(&["--package", "ridewire-client", "--edges", "normal,build"])?;
    let (_, app_group) = GROUPS[1];
    let tests = resolved(app_group)?;
    let differ: Vec<String> = run
        .iter()
        .filter_map(|(package, features)| {
            let tested = tests.get(package)?;
            (tested != features).then(|| {
                let only_tests: Vec<&String> = tested.difference(features).collect();
                let only_run: Vec<&String> = features.difference(tested).collect();
                format!("  {package}: the tests add {only_tests:?}, the app adds {only_run:?}")
            })
        })
        .collect();
    if differ.is_empty() {
        eprintln!("==> the app and the tests resolve the same features: one build");
        Ok(())
    } else {
        Err(format!(
            "the app and the tests resolve these packages with other features, so \
             `cargo xtask run` would rebuild them (and what depends on them) after \
             `cargo xtask test`; pin the features in client/Cargo.toml:\n{}",
            differ.join("\n")
        ))
    }
}

fn bench(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("engine") => step(
            "bench engine",
            cargo(&[
                "bench",
                "--locked",
                "--package",
                "ridewire-engine",
                "--bench",
                "fold",
            ]),
        ),
        // The dev profile: the build `cargo xtask run` makes and riders
        // use (ridewire-ar at opt-level 3, its own profile settings), so the
        // times beside OpenCV's are the app's.
        Some("ar") => step(
            "bench ar",
            cargo(&[
                "bench",
                "--locked",
                "--profile",
                "dev",
                "--package",
                "ridewire-ar",
                "--bench",
                "ar",
            ]),
        ),
        // The sync figures need the server and a client process of their
        // own; the example prints one JSON line per figure on stdout. It is
        // built in the dev profile, like everything else here (dependencies
        // at opt-level 2).
        Some("sync") => step(
            "bench sync",
            cargo(&[
                "run",
                "--locked",
                "--package",
                "ridewire-server",
                "--example",
                "sync_bench",
            ]),
        ),
        // Map generation (engine, criterion), then the Map screen's frame
        // cost: its bench runs in the dev profile, where Bevy is already
        // built, rather than rebuilding all of Bevy for `bench`.
        Some("overworld") => {
            step(
                "bench overworld: generation",
                cargo(&[
                    "bench",
                    "--locked",
                    "--package",
                    "ridewire-engine",
                    "--bench",
                    "overworld",
                ]),
            )?;
            step(
                "bench overworld: frames",
                cargo(&[
                    "bench",
                    "--locked",
                    "--profile",
                    "dev",
                    "--package",
                    "ridewire-client",
                    "--bench",
                    "overworld",
                ]),
            )
        }
        // The dev profile, whose dependencies are optimised too: the figure
        // is time spent waiting on sockets and in the gate, and the server's
        // test build is already warm in it.
        Some("agents") => step(
            "bench agents",
            cargo(&[
                "bench",
                "--locked",
                "--profile",
                "dev",
                "--package",
                "ridewire-server",
                "--bench",
                "agents",
            ]),
        ),
        // The server's build (the dev profile it runs in, dependencies and
        // SQLite optimised) over a database file like the server's.
        Some("leaderboard") => step(
            "bench leaderboard",
            cargo(&[
                "bench",
                "--locked",
                "--profile",
                "dev",
                "--package",
                "ridewire-server",
                "--bench",
                "leaderboard",
            ]),
        ),
        // 200 customers booking at once against the real server binary on
        // loopback, in the profile it runs in.
        Some("bookings") => step(
            "bench bookings",
            cargo(&[
                "bench",
                "--locked",
                "--profile",
                "dev",
                "--package",
                "ridewire-server",
                "--bench",
                "bookings",
            ]),
        ),
        // Simulated riders syncing at once (push, pull, long-poll) against
        // the real server binary on loopback: RIDEWIRE_LOAD_CLIENTS sizes,
        // RIDEWIRE_LOAD_REPLICAS, RIDEWIRE_LOAD_BACKENDS (sqlite,postgres).
        Some("load") => step(
            "bench load",
            cargo(&[
                "bench",
                "--locked",
                "--profile",
                "dev",
                "--package",
                "ridewire-server",
                "--bench",
                "load",
            ]),
        ),
        // The main thread's work after a sync round, before and after
        // issue 12; a phone photo made ready for a photo proof. Both in the
        // profile the app runs in.
        Some(name @ ("refresh" | "photo")) => step(
            &format!("bench {name}"),
            cargo(&[
                "bench",
                "--locked",
                "--profile",
                "dev",
                "--package",
                "ridewire-app",
                "--bench",
                name,
            ]),
        ),
        // One push_camera_frame through the Python bindings vs in Rust, on
        // the library the hosts load (the dev profile's).
        Some("phones") => {
            let mut build = cargo(&["build", "--locked"]);
            build.args(bindings::PACKAGES);
            step("build (phones)", build)?;
            let mut bench = cargo(&["bench", "--locked", "--profile", "dev", "--bench", "push"]);
            bench.args(bindings::PACKAGES);
            step("bench phones", bench)
        }
        // A real window on Xvfb, the release build and the dev build
        // `cargo xtask run` makes, started in turns.
        Some("startup") => {
            system::ensure(system::Purpose::Run)?;
            for profile in [&["--release"][..], &[][..]] {
                let mut build = cargo(&["build", "--locked"]);
                build
                    .args(profile)
                    .args(["--package", "ridewire-client", "--bin", "ridewire"]);
                step("build ridewire", build)?;
            }
            eprintln!("==> bench startup");
            startup::run(&workspace_root(), &target_dir())
        }
        other => Err(format!(
            "unknown benchmark {:?}; available: engine, ar, sync, overworld, agents, leaderboard, bookings, load, refresh, photo, phones, startup",
            other.unwrap_or("")
        )),
    }
}
