//! The bindings driven from foreign languages, as a phone's host code
//! drives them: the generated Python module and the generated Kotlin on the
//! JVM, each against the real compiled library and a real `ridewire-server`
//! on loopback.
//!
//! What they need comes from the build `cargo xtask test` makes before it
//! runs these tests: `libridewire_ffi.so` and `uniffi-bindgen` (the phones'
//! build), `ridewire-server` (the server's), and for Kotlin the compiler
//! and JNA it installs. A test whose tools are missing says so and passes,
//! unless `RIDEWIRE_REQUIRE_BINDINGS=1` (set by `cargo xtask test`).

// A test's helpers may panic: that is the test failing.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use ridewire_ar::synthetic::{Background, PlacedMarker, Scene, render};
use ridewire_ar::{Intrinsics, LumaImage, Pose};

fn required() -> bool {
    std::env::var("RIDEWIRE_REQUIRE_BINDINGS").as_deref() == Ok("1")
}

/// Skips (or, when required, fails) for a missing tool.
fn missing(what: &str) {
    assert!(!required(), "RIDEWIRE_REQUIRE_BINDINGS=1 but {what}");
    eprintln!("skipping: {what}");
}

/// The build directory holding this test (`…/debug/deps/hosts-HASH`).
fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The library as a host loads it and the generator, built now (cargo
/// test builds the library for its own use, not the host's `.so`): the
/// same package set `cargo xtask test` builds, so this finds it up to date.
fn built() -> Option<(PathBuf, PathBuf)> {
    let dir = build_dir();
    let target = dir.parent().unwrap();
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace())
        .args([
            "build",
            "--package",
            "ridewire-ffi",
            "--package",
            "uniffi-bindgen",
        ])
        .arg("--target-dir")
        .arg(target)
        .status()
        .expect("run cargo build");
    assert!(status.success(), "building the library failed: {status}");
    let library = dir.join("libridewire_ffi.so");
    let bindgen = dir.join("uniffi-bindgen");
    if library.is_file() && bindgen.is_file() {
        Some((library, bindgen))
    } else {
        missing("the library or uniffi-bindgen was not built here (a cross build?)");
        None
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("$ {cmd:?}\n{text}");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{text}",
        out.status
    );
    out
}

/// Generates `language`'s bindings into `out`, the library beside them.
fn generate(language: &str, out: &Path) -> Option<PathBuf> {
    let (library, bindgen) = built()?;
    run(Command::new(bindgen)
        .current_dir(workspace())
        .args(["generate"])
        .arg(&library)
        .args(["--language", language, "--no-format", "--out-dir"])
        .arg(out));
    std::fs::copy(&library, out.join("libridewire_ffi.so")).unwrap();
    Some(out.to_path_buf())
}

/// The `RideWire` methods the phone apps' own code calls (`core.name(` and
/// `RideWire.name(` in the Kotlin and Swift files under `dir`): that code
/// needs the platforms' SDKs and is not compiled here, so the tests check
/// its calls against the generated bindings instead.
fn app_calls(dir: &Path, extension: &str) -> std::collections::BTreeSet<String> {
    let mut calls = std::collections::BTreeSet::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != extension) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for receiver in ["core.", "RideWire."] {
                for (at, _) in text.match_indices(receiver) {
                    let rest = &text[at + receiver.len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && rest[name.len()..].starts_with('(') {
                        calls.insert(name);
                    }
                }
            }
        }
    }
    calls
}

/// Every call in `calls` is declared in `bindings` as `{keyword} name(`.
fn assert_declared(calls: &std::collections::BTreeSet<String>, bindings: &str, keyword: &str) {
    assert!(!calls.is_empty(), "no calls found: the scan is broken");
    for name in calls {
        let declared = bindings.contains(&format!("{keyword} {name}("))
            || bindings.contains(&format!("{keyword} `{name}`("));
        assert!(
            declared,
            "the app calls {name}, which the bindings do not declare"
        );
    }
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path) -> Option<Server> {
    let bin = build_dir().join("ridewire-server");
    if !bin.is_file() {
        missing("ridewire-server is not built (cargo build -p ridewire-server)");
        return None;
    }
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--database"])
        .arg(format!("sqlite://{}", dir.join("server.db").display()))
        .env("RIDEWIRE_ARGON2_MEMORY_KIB", "64")
        .env_remove("RIDEWIRE_LISTEN")
        .env_remove("RIDEWIRE_DATABASE")
        .env_remove("RIDEWIRE_AGENTS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ridewire-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Some(Server {
        child,
        url: format!("http://{addr}"),
    })
}

/// Writes synthetic camera frames of marker 7 at a known pose (raw Y
/// planes) and `frames.json` describing them, for a host to push.
fn write_frames(dir: &Path) -> PathBuf {
    let (w, h) = (1280, 720);
    let camera = Intrinsics::from_fov(w, h, 60.0).unwrap();
    // 40 cm ahead, a little off-centre, tilted 20° about x.
    let pose = Pose {
        rvec: [std::f64::consts::PI + 0.35, 0.0, 0.0],
        tvec: [0.03, -0.02, 0.4],
    };
    let frames = dir.join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    let mut names = Vec::new();
    for i in 0..5u64 {
        let scene = Scene {
            width: w,
            height: h,
            intrinsics: camera,
            background: Background::Flat(128),
            markers: vec![PlacedMarker {
                id: 7,
                size: 0.05,
                pose,
            }],
            blur_sigma: 0.6,
            noise_sigma: 2.0,
            effects: Default::default(),
            seed: i,
        };
        let mut image = LumaImage::default();
        assert!(render(&scene, &mut image)[0].is_some(), "marker in view");
        let name = format!("frame-{i}.y");
        std::fs::write(frames.join(&name), image.pixels()).unwrap();
        names.push(name);
    }
    let meta = serde_json::json!({
        "width": w, "height": h, "id": 7, "marker_size": 0.05,
        "camera": {"fx": camera.fx, "fy": camera.fy, "cx": camera.cx, "cy": camera.cy},
        "rvec": pose.rvec, "tvec": pose.tvec, "frames": names,
    });
    std::fs::write(frames.join("frames.json"), meta.to_string()).unwrap();
    frames
}

#[test]
fn python_drives_the_library_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let Some(module) = generate("python", &dir.path().join("python")) else {
        return;
    };
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let frames = write_frames(dir.path());
    let script = workspace().join("ffi/tests/python/scenario.py");
    let out = run(Command::new("python3")
        .arg(script)
        .env("PYTHONPATH", &module)
        .env("RIDEWIRE_SERVER", &server.url)
        .env("RIDEWIRE_FRAMES", &frames));
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
}

/// The Kotlin compiler, JNA and kotlinx-coroutines: where `cargo xtask
/// test` installs them, or `RIDEWIRE_KOTLIN_HOME` (the npm package's folder).
fn kotlin() -> Option<(PathBuf, String)> {
    let home = std::env::var_os("RIDEWIRE_KOTLIN_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            Some(cache.join("ridewire/kotlin/node_modules/kotlin-compiler"))
        })?;
    let kotlinc = home.join("bin/kotlinc");
    let coroutines = home.join("lib/kotlinx-coroutines-core-jvm.jar");
    let jna = PathBuf::from("/usr/share/java/jna.jar");
    for (what, path) in [
        ("kotlinc", &kotlinc),
        ("kotlinx-coroutines", &coroutines),
        ("JNA (libjna-java)", &jna),
    ] {
        if !path.is_file() {
            missing(&format!("{what} is not installed at {}", path.display()));
            return None;
        }
    }
    Some((
        kotlinc,
        format!("{}:{}", jna.display(), coroutines.display()),
    ))
}

#[test]
fn kotlin_drives_the_library_on_the_jvm() {
    let dir = tempfile::tempdir().unwrap();
    let Some((kotlinc, classpath)) = kotlin() else {
        return;
    };
    let Some(bindings) = generate("kotlin", &dir.path().join("kotlin")) else {
        return;
    };
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let frames = write_frames(dir.path());
    let jar = dir.path().join("scenario.jar");
    run(Command::new(kotlinc)
        .arg("-nowarn")
        .arg("-cp")
        .arg(&classpath)
        .arg(bindings.join("uniffi/ridewire/ridewire.kt"))
        // The Android app's view-model and background sync are plain
        // Kotlin: they run here too.
        .arg(workspace().join("android/core/src/main/kotlin/com/ridewire/core/RideWireModel.kt"))
        .arg(workspace().join("android/core/src/main/kotlin/com/ridewire/core/BackgroundSync.kt"))
        .arg(workspace().join("ffi/tests/kotlin/Scenario.kt"))
        .args(["-include-runtime", "-d"])
        .arg(&jar));
    // The Android app's framework glue needs the Android SDK: its calls
    // into the core are checked against these bindings.
    let declared = std::fs::read_to_string(bindings.join("uniffi/ridewire/ridewire.kt")).unwrap();
    let calls = app_calls(&workspace().join("android/app"), "kt");
    // (Sync and notices go through the core module's Kotlin, compiled above.)
    for expected in ["open", "pushCameraFrameNv12", "setCamera", "shutdown"] {
        assert!(
            calls.contains(expected),
            "{expected} not found in {calls:?}"
        );
    }
    assert_declared(&calls, &declared, "fun");
    let out = run(Command::new("java")
        .arg(format!("-Djna.library.path={}", bindings.display()))
        .arg("-cp")
        .arg(format!("{}:{classpath}", jar.display()))
        .arg("ScenarioKt")
        .env("RIDEWIRE_SERVER", &server.url)
        .env("RIDEWIRE_FRAMES", &frames));
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
}

#[test]
fn the_swift_bindings_header_passes_a_c_syntax_check() {
    let dir = tempfile::tempdir().unwrap();
    let Some(swift) = generate("swift", &dir.path().join("swift")) else {
        return;
    };
    for file in ["ridewire.swift", "ridewireFFI.h", "ridewireFFI.modulemap"] {
        assert!(swift.join(file).is_file(), "{file} was written");
    }
    // No Swift compiler here: the C header the Swift module imports is
    // checked with the C compiler (clang's nullability words defined away
    // for gcc).
    let source = dir.path().join("check.c");
    std::fs::write(
        &source,
        "#include \"ridewireFFI.h\"\nint main(void) { return 0; }\n",
    )
    .unwrap();
    run(Command::new("cc")
        .args(["-fsyntax-only", "-std=c11", "-Wall", "-Wextra", "-Werror"])
        .args(["-D_Nonnull=", "-D_Nullable="])
        .arg("-I")
        .arg(&swift)
        .arg(&source));
    // The iOS app's entry point header, and its calls into the core (the
    // Swift code needs Xcode: checked against the bindings instead).
    let entry = dir.path().join("entry.c");
    std::fs::write(
        &entry,
        "#include \"RideWireApp.h\"\nint main(void) { ridewire_run_app(\"/tmp\"); return 0; }\n",
    )
    .unwrap();
    run(Command::new("cc")
        .args([
            "-fsyntax-only",
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
        ])
        .arg(workspace().join("ios/RideWire"))
        .arg(&entry));
    let declared = std::fs::read_to_string(swift.join("ridewire.swift")).unwrap();
    let calls = app_calls(&workspace().join("ios"), "swift");
    for expected in [
        "open",
        "pushCameraFrameNv12",
        "setCamera",
        "notices",
        "syncNow",
    ] {
        assert!(
            calls.contains(expected),
            "{expected} not found in {calls:?}"
        );
    }
    assert_declared(&calls, &declared, "func");
}
