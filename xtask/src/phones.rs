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

/// What `cargo xtask android` runs: the shared library for each ABI into
/// the app's `jniLibs`, and the Kotlin bindings into the core module.
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
    ]
}

/// What the Android build needs that is not here, each with how to get it.
pub fn android_missing(sdk: Option<&Path>, ndk: Option<&Path>, has_cargo_ndk: bool) -> Vec<String> {
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
    let missing = android_missing(sdk.as_deref(), ndk.as_deref(), has_cargo_ndk);
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
    Err(
        "the native libraries and Kotlin bindings are in android/core; the Gradle app that \
         packages them into an APK is not written yet (issue 13)"
            .into(),
    )
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
    }

    #[test]
    fn a_missing_android_tool_is_named_with_how_to_get_it() {
        let here = std::env::temp_dir();
        assert!(android_missing(Some(&here), Some(&here), true).is_empty());
        let all = android_missing(None, Some(Path::new("/no/such/ndk")), false);
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all[0].contains("ANDROID_HOME"));
        assert!(all[1].contains("ANDROID_NDK_HOME"));
        assert!(all[2].contains("cargo install cargo-ndk"));
    }
}
