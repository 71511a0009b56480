//! `cargo xtask ios` and `cargo xtask android`: the phones' native
//! libraries of `ridewire-ffi`, built with the platforms' own tools. Each
//! first checks that the tools are there and otherwise stops, naming what
//! is missing and how to get it; the commands themselves are plain lists,
//! so a test checks them on any machine.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Apple targets: devices, and the simulator on both kinds of Mac.
pub const IOS_TARGETS: [&str; 3] = [
    "aarch64-apple-ios",
    "aarch64-apple-ios-sim",
    "x86_64-apple-ios",
];

/// The Android ABIs the app ships: phones, and the emulator on a PC.
pub const ANDROID_ABIS: [&str; 2] = ["arm64-v8a", "x86_64"];

/// One command as words (program first).
pub type Words = Vec<String>;

fn words(parts: &[&str]) -> Words {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// What `cargo xtask ios` runs, in order: the static library for every
/// target, one fat simulator library, the Swift bindings (header and
/// module map), and the XCFramework of device + simulator.
pub fn ios_commands(root: &Path, target: &Path) -> Vec<Words> {
    let mut commands = Vec::new();
    for triple in IOS_TARGETS {
        commands.push(words(&[
            "cargo",
            "build",
            "--locked",
            "--release",
            "--package",
            "ridewire-ffi",
            "--target",
            triple,
        ]));
    }
    let lib = |triple: &str| target.join(triple).join("release/libridewire_ffi.a");
    let simulator = target.join("ios-simulator/libridewire_ffi.a");
    let mut lipo = words(&["lipo", "-create"]);
    lipo.extend([lib("aarch64-apple-ios-sim"), lib("x86_64-apple-ios")].map(|p| path(&p)));
    lipo.extend(["-output".to_owned(), path(&simulator)]);
    commands.push(words(&[
        "mkdir",
        "-p",
        &path(&target.join("ios-simulator")),
    ]));
    commands.push(lipo);
    let headers = target.join("ios-headers");
    // The bindings depend only on the API: generated from the Mac's own
    // build of the library (built with the generator first).
    commands.push(vec![
        path(&target.join("release/uniffi-bindgen")),
        "generate".into(),
        path(&target.join("release/libridewire_ffi.dylib")),
        "--language".into(),
        "swift".into(),
        "--no-format".into(),
        "--out-dir".into(),
        path(&headers),
    ]);
    // The Swift file is compiled with the app; the header directory keeps
    // the C header and a module map under the name Xcode looks for.
    let generated = root.join("ios/Generated");
    commands.push(words(&["mkdir", "-p", &path(&generated)]));
    commands.push(words(&[
        "mv",
        &path(&headers.join("ridewire.swift")),
        &path(&generated.join("ridewire.swift")),
    ]));
    commands.push(words(&[
        "mv",
        &path(&headers.join("ridewireFFI.modulemap")),
        &path(&headers.join("module.modulemap")),
    ]));
    let framework = root.join("ios/RideWireCore.xcframework");
    commands.push(words(&["rm", "-rf", &path(&framework)]));
    commands.push(vec![
        "xcodebuild".into(),
        "-create-xcframework".into(),
        "-library".into(),
        path(&lib("aarch64-apple-ios")),
        "-headers".into(),
        path(&headers),
        "-library".into(),
        path(&simulator),
        "-headers".into(),
        path(&headers),
        "-output".into(),
        path(&framework),
    ]);
    commands
}

/// The APK `cargo xtask android` leaves.
pub const ANDROID_APK: &str = "android/app/build/outputs/apk/debug/app-debug.apk";

/// What `cargo xtask android` runs: the shared library (the bindings and
/// the Bevy app in one) for each ABI into the core module's `jniLibs`, the
/// Kotlin bindings into the core module, then Gradle's debug APK.
pub fn android_commands(root: &Path, target: &Path) -> Vec<Words> {
    let mut build = words(&["cargo", "ndk"]);
    for abi in ANDROID_ABIS {
        build.extend(["-t".to_owned(), abi.to_owned()]);
    }
    build.extend([
        "-o".to_owned(),
        path(&root.join("android/core/src/main/jniLibs")),
    ]);
    build.extend(words(&[
        "build",
        "--locked",
        "--release",
        "--package",
        "ridewire-ffi",
    ]));
    vec![
        build,
        vec![
            path(&target.join("debug/uniffi-bindgen")),
            "generate".into(),
            path(&target.join("debug/libridewire_ffi.so")),
            "--language".into(),
            "kotlin".into(),
            "--no-format".into(),
            "--out-dir".into(),
            path(&root.join("android/core/build/generated/uniffi")),
        ],
        words(&[
            "gradle",
            "--project-dir",
            &path(&root.join("android")),
            ":app:assembleDebug",
        ]),
    ]
}

/// What the Android build needs that is not here, each with how to get it.
pub fn android_missing(
    sdk: Option<&Path>,
    ndk: Option<&Path>,
    has_cargo_ndk: bool,
    has_gradle: bool,
) -> Vec<String> {
    let mut missing = Vec::new();
    if sdk.is_none_or(|p| !p.is_dir()) {
        missing.push(
            "the Android SDK: install Android Studio or the command-line tools and set ANDROID_HOME"
                .to_owned(),
        );
    }
    if ndk.is_none_or(|p| !p.is_dir()) {
        missing.push(
            "the Android NDK: `sdkmanager ndk;27.2.12479018`, then set ANDROID_NDK_HOME".to_owned(),
        );
    }
    if !has_cargo_ndk {
        missing.push("cargo-ndk: `cargo install cargo-ndk`".to_owned());
    }
    if !has_gradle {
        missing.push(
            "Gradle 8.9 or newer on the PATH (or Android Studio: open android/ and build there)"
                .to_owned(),
        );
    }
    missing
}

fn env_dir(names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .find_map(|n| std::env::var_os(n).filter(|v| !v.is_empty()))
        .map(PathBuf::from)
}

fn have(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run_all(root: &Path, commands: &[Words]) -> Result<(), String> {
    for command in commands {
        let (program, args) = command.split_first().ok_or("an empty command")?;
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(root);
        crate::step(&command.join(" "), cmd)?;
    }
    Ok(())
}

/// `cargo xtask ios`.
pub fn ios(root: &Path, target: &Path) -> Result<(), String> {
    if !cfg!(target_os = "macos") || !have("xcodebuild", &["-version"]) {
        return Err(format!(
            "cargo xtask ios builds the XCFramework with Xcode's xcodebuild and lipo: run it on \
             macOS with Xcode installed (and `rustup target add {}`). The commands it runs:\n  {}",
            IOS_TARGETS.join(" "),
            ios_commands(root, target)
                .iter()
                .map(|c| c.join(" "))
                .collect::<Vec<_>>()
                .join("\n  ")
        ));
    }
    let mut host = Command::new("cargo");
    host.args(["build", "--locked", "--release"])
        .args(crate::bindings::PACKAGES)
        .current_dir(root);
    crate::step("build (phones, this Mac)", host)?;
    run_all(root, &ios_commands(root, target))
}

/// `cargo xtask android`.
pub fn android(root: &Path, target: &Path) -> Result<(), String> {
    let sdk = env_dir(&["ANDROID_HOME", "ANDROID_SDK_ROOT"]);
    let ndk = env_dir(&["ANDROID_NDK_HOME", "ANDROID_NDK_ROOT"]);
    let has_cargo_ndk = have("cargo", &["ndk", "--version"]);
    let has_gradle = have("gradle", &["--version"]);
    let missing = android_missing(sdk.as_deref(), ndk.as_deref(), has_cargo_ndk, has_gradle);
    if !missing.is_empty() {
        return Err(format!(
            "cargo xtask android needs:\n  - {}",
            missing.join("\n  - ")
        ));
    }
    let mut bindgen = Command::new("cargo");
    bindgen
        .args(["build", "--locked"])
        .args(crate::bindings::PACKAGES)
        .current_dir(root);
    crate::step("build (phones)", bindgen)?;
    run_all(root, &android_commands(root, target))?;
    eprintln!(
        "==> {}; install it with: adb install -r {ANDROID_APK}",
        root.join(ANDROID_APK).display()
    );
    Ok(())
}

/// The Android target's standard library, which `cargo xtask
/// android-check` needs.
pub const ANDROID_CHECK_TARGET: &str = "aarch64-linux-android";

/// A stand-in C and C++ compiler for type-checking the Android build
/// without the NDK: `cargo check` links nothing, so the C parts of
/// dependencies (SQLite, ring, GameActivity's glue) only have to leave an
/// object file behind; every line of Rust is really compiled. It answers
/// the `cc` crate's probes as clang does (and refuses `-?`, which only
/// MSVC-style compilers take).
const STAND_IN_CC: &str = r#"#!/bin/sh
out=""
prev=""
for a in "$@"; do
  [ "$prev" = "-o" ] && out="$a"
  prev="$a"
done
case " $* " in *" -? "*) exit 1;; esac
case " $* " in *" --version "*) echo "clang version 18 (ridewire stand-in)"; exit 0;; esac
case " $* " in *" -E "*) echo '"clang"'; echo '"gcc"'; exit 0;; esac
[ -n "$out" ] && : > "$out"
exit 0
"#;

/// What `cargo xtask android-check` runs: `cargo check` of the library for
/// Android, with `cc` as its C compiler.
pub fn android_check_command(cc: &Path) -> (Words, Vec<(String, String)>) {
    let triple = ANDROID_CHECK_TARGET.replace('-', "_");
    let env = vec![
        (format!("CC_{triple}"), path(cc)),
        (format!("CXX_{triple}"), path(cc)),
        (format!("AR_{triple}"), "ar".to_owned()),
    ];
    let command = words(&[
        "cargo",
        "check",
        "--locked",
        "--target",
        ANDROID_CHECK_TARGET,
        "--package",
        "ridewire-ffi",
    ]);
    (command, env)
}

/// `cargo xtask android-check`: compiles the Android build's Rust (the
/// bindings, and the Bevy client behind `android_main`) for
/// `aarch64-linux-android` on any machine, without the NDK.
pub fn android_check(root: &Path, target: &Path) -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == ANDROID_CHECK_TARGET) {
        return Err(format!(
            "cargo xtask android-check needs the Android target's standard library:              rustup target add {ANDROID_CHECK_TARGET}"
        ));
    }
    let cc = target.join("android-check").join("cc");
    write_executable(&cc, STAND_IN_CC)?;
    let (command, env) = android_check_command(&cc);
    let (program, args) = command.split_first().ok_or("an empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(args).envs(env).current_dir(root);
    crate::step("check (android, stand-in C compiler)", cmd)
}

fn write_executable(file: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", file.display());
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(file, text).map_err(fail)?;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ios_builds_every_target_and_one_framework_of_device_and_simulator() {
        let (root, target) = (Path::new("/src"), Path::new("/build"));
        let commands = ios_commands(root, target);
        for triple in IOS_TARGETS {
            assert!(
                commands
                    .iter()
                    .any(|c| c.first().is_some_and(|p| p == "cargo")
                        && c.contains(&triple.to_owned())),
                "{triple} is built: {commands:?}"
            );
        }
        let lipo = commands.iter().find(|c| c[0] == "lipo").expect("lipo");
        assert!(lipo.iter().any(|w| w.contains("aarch64-apple-ios-sim")));
        assert!(lipo.iter().any(|w| w.contains("x86_64-apple-ios")));
        let last = commands.last().expect("commands");
        assert_eq!(last[..2], ["xcodebuild", "-create-xcframework"]);
        assert_eq!(last.iter().filter(|w| *w == "-library").count(), 2);
        assert!(last.contains(&"/build/aarch64-apple-ios/release/libridewire_ffi.a".to_owned()));
        assert!(last.contains(&"/build/ios-simulator/libridewire_ffi.a".to_owned()));
        assert_eq!(
            last.last().map(String::as_str),
            Some("/src/ios/RideWireCore.xcframework")
        );
        // The headers come from the generator before the framework is made.
        let generate = commands
            .iter()
            .position(|c| c.contains(&"swift".to_owned()));
        let framework = commands.iter().position(|c| c[0] == "xcodebuild");
        assert!(generate < framework, "{commands:?}");
    }

    #[test]
    fn android_builds_both_abis_into_the_core_module() {
        let commands = android_commands(Path::new("/src"), Path::new("/build"));
        let build = &commands[0];
        assert_eq!(build[..2], ["cargo", "ndk"]);
        for abi in ANDROID_ABIS {
            assert!(
                build.windows(2).any(|w| w[0] == "-t" && w[1] == abi),
                "{abi}"
            );
        }
        assert!(build.contains(&"/src/android/core/src/main/jniLibs".to_owned()));
        assert!(commands[1].contains(&"kotlin".to_owned()));
        let gradle = commands.last().expect("gradle");
        assert_eq!(gradle[0], "gradle");
        assert!(gradle.contains(&"/src/android".to_owned()));
        assert!(gradle.contains(&":app:assembleDebug".to_owned()));
    }

    #[test]
    fn the_stand_in_compiler_leaves_objects_and_answers_probes_as_clang() {
        let dir = std::env::temp_dir().join(format!("ridewire-stand-in-cc-{}", std::process::id()));
        let cc = dir.join("cc");
        write_executable(&cc, STAND_IN_CC).expect("written");
        let object = dir.join("sqlite3.o");
        let compiled = Command::new(&cc)
            .args(["-O2", "-c", "sqlite3.c", "-o"])
            .arg(&object)
            .status()
            .expect("runs");
        assert!(compiled.success() && object.is_file());
        let probe = Command::new(&cc)
            .args(["-E", "detect.c"])
            .output()
            .expect("runs");
        assert!(String::from_utf8_lossy(&probe.stdout).contains("\"clang\""));
        let msvc = Command::new(&cc).arg("-?").status().expect("runs");
        assert!(!msvc.success(), "not taken for an MSVC-style compiler");
        let (command, env) = android_check_command(&cc);
        assert_eq!(command[..2], ["cargo", "check"]);
        assert!(command.contains(&ANDROID_CHECK_TARGET.to_owned()));
        assert!(env.iter().any(|(k, _)| k == "CC_aarch64_linux_android"));
        std::fs::remove_dir_all(&dir).expect("cleaned up");
    }

    #[test]
    fn a_missing_android_tool_is_named_with_how_to_get_it() {
        let here = std::env::temp_dir();
        assert!(android_missing(Some(&here), Some(&here), true, true).is_empty());
        let all = android_missing(None, Some(Path::new("/no/such/ndk")), false, false);
        assert_eq!(all.len(), 4, "{all:?}");
        assert!(all[0].contains("ANDROID_HOME"));
        assert!(all[1].contains("ANDROID_NDK_HOME"));
        assert!(all[2].contains("cargo install cargo-ndk"));
        assert!(all[3].contains("Gradle"));
    }
}
