//! System packages the app and its tests need on Debian/Ubuntu, installed
//! when we may (root), otherwise named in the exact command to run.

use std::env;
use std::process::{Command, Stdio};

/// What the packages are for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A window on a desktop (or Xvfb), drawn with Vulkan.
    Run,
    /// Off-screen rendering on a software Vulkan driver for screenshot tests.
    Test,
}

/// Vulkan loader and Mesa's drivers (lavapipe renders without a GPU).
const VULKAN: &[&str] = &["libvulkan1", "mesa-vulkan-drivers"];
/// The X11 libraries winit loads at run time.
const X11: &[&str] = &[
    "libx11-6",
    "libxcursor1",
    "libxi6",
    "libxrandr2",
    "libxkbcommon-x11-0",
];
/// The API check runs schemathesis from a Python virtual environment.
const PYTHON: &[&str] = &["python3", "python3-venv"];
/// The location-proof tests drive a real GPS daemon (fed NMEA over TCP, so
/// no `gpsd-clients`: its gpsfake would bring GTK and SciPy along).
const GPSD: &str = "gpsd";
/// The phones' Kotlin scenario runs on the host JVM through JNA.
const JNA: &str = "libjna-java";
/// The server's tests start a PostgreSQL cluster of their own (issue 16).
const POSTGRES: &str = "postgresql";

/// Whether Debian's PostgreSQL server tools are there (any version).
fn has_postgres() -> bool {
    std::fs::read_dir("/usr/lib/postgresql").is_ok_and(|versions| {
        versions
            .flatten()
            .any(|v| v.path().join("bin").join("initdb").is_file())
    })
}

/// A Java runtime for the Kotlin compiler and the scenario, when none is
/// installed.
const JAVA: &str = "default-jre-headless";
/// npm installs the Kotlin compiler (Maven repositories may be out of
/// reach), when no npm is installed.
const NPM: &str = "npm";
/// The Kotlin compiler's npm package (it carries kotlinx-coroutines too).
const KOTLIN_COMPILER: &str = "kotlin-compiler@2.4";

/// Building the webcam support (nokhwa's V4L2 binding is generated with
/// bindgen) needs libclang; any installed version will do.
const LIBCLANG: &str = "libclang-dev";

/// Whether bindgen will find a libclang: `LIBCLANG_PATH`, or a
/// `libclang*.so*` in the usual library folders.
fn has_libclang() -> bool {
    let mut dirs: Vec<std::path::PathBuf> = env::var_os("LIBCLANG_PATH")
        .map(std::path::PathBuf::from)
        .into_iter()
        .collect();
    for dir in [
        "/usr/lib",
        "/usr/lib64",
        "/usr/local/lib",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
    ] {
        dirs.push(dir.into());
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        dirs.extend(
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("llvm-"))
                .map(|e| e.path().join("lib")),
        );
    }
    dirs.iter().any(|dir| {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("libclang")
                    && name.contains(".so")
                    && !name.starts_with("libclang-cpp")
            })
        })
    })
}

fn wanted(purpose: Purpose) -> Vec<&'static str> {
    match purpose {
        // The tests render off-screen: no window, so no X11.
        Purpose::Test => VULKAN.iter().chain(PYTHON).copied().collect(),
        Purpose::Run => VULKAN.iter().chain(X11).copied().collect(),
    }
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Makes sure the packages for `purpose` are there.
pub fn ensure(purpose: Purpose) -> Result<(), String> {
    if env::var_os("RIDEWIRE_SKIP_SYSTEM_PACKAGES").is_some() {
        // Not a system package: the Kotlin compiler goes in the user's cache.
        return if have("npm") {
            ensure_kotlin(purpose)
        } else {
            Ok(())
        };
    }
    if !have("dpkg-query") {
        eprintln!(
            "==> not a Debian/Ubuntu system: make sure libclang and a Vulkan driver{} are installed",
            if purpose == Purpose::Run {
                " and X11 libraries"
            } else {
                ""
            }
        );
        return Ok(());
    }
    let mut missing: Vec<&str> = wanted(purpose)
        .into_iter()
        .filter(|p| !installed(p))
        .collect();
    if purpose == Purpose::Test {
        if !installed(JNA) {
            missing.push(JNA);
        }
        if !installed(GPSD) {
            missing.push(GPSD);
        }
        if !has_postgres() {
            missing.push(POSTGRES);
        }
        if !have("java") {
            missing.push(JAVA);
        }
        if !have("npm") && !kotlin_home().join("bin/kotlinc").is_file() {
            missing.push(NPM);
        }
    }
    if !has_libclang() {
        missing.push(LIBCLANG);
    }
    if missing.is_empty() {
        return ensure_kotlin(purpose);
    }
    let line = format!(
        "apt-get update && apt-get install -y --no-install-recommends {}",
        missing.join(" ")
    );
    if !is_root() {
        return Err(format!(
            "missing system packages: {}\nrun this, then try again:\n  sudo sh -c '{line}'",
            missing.join(" ")
        ));
    }
    eprintln!("==> installing {}", missing.join(" "));
    let status = Command::new("sh")
        .args(["-c", &line])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("could not run apt-get: {e}"))?;
    if !status.success() {
        return Err(format!(
            "installing packages failed ({status}); the command was:\n  {line}"
        ));
    }
    ensure_kotlin(purpose)
}

/// Where the Kotlin compiler lives: `ridewire/kotlin` in the user's cache
/// folder (the phones' tests look there too).
pub fn kotlin_home() -> std::path::PathBuf {
    let cache = env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache")))
        .unwrap_or_else(env::temp_dir);
    cache
        .join("ridewire")
        .join("kotlin")
        .join("node_modules")
        .join("kotlin-compiler")
}

/// Installs the Kotlin compiler with npm (no root needed) for the tests.
fn ensure_kotlin(purpose: Purpose) -> Result<(), String> {
    if purpose != Purpose::Test || kotlin_home().join("bin/kotlinc").is_file() {
        return Ok(());
    }
    let prefix = kotlin_home()
        .parent()
        .and_then(|p| p.parent())
        .map(std::path::Path::to_path_buf)
        .ok_or("no folder for the Kotlin compiler")?;
    eprintln!("==> installing {KOTLIN_COMPILER} into {}", prefix.display());
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(KOTLIN_COMPILER)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("could not run npm: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "installing the Kotlin compiler failed ({status}); the command was:\n  npm install --prefix {} {KOTLIN_COMPILER}",
            prefix.display()
        ))
    }
}
