//! `cargo xtask bench phones`: the cost of one `push_camera_frame` of a
//! 1280×720 frame through the Python bindings next to the same call in
//! Rust, on the same build of the library (the one the tests and hosts
//! load), best of several passes each. One JSON line per figure.
//!
//! Needs the library and `uniffi-bindgen` built (`cargo xtask bench phones`
//! builds them first) and `python3`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use ridewire_ar::synthetic::{Background, PlacedMarker, Scene, render};
use ridewire_ar::{Intrinsics, LumaImage, Pose};
use ridewire_ffi::RideWire;

const W: usize = 1280;
const H: usize = 720;
const FRAMES: u32 = 60;
const PASSES: u32 = 5;

fn frame() -> Option<(LumaImage, Intrinsics)> {
    let camera = Intrinsics::from_fov(W, H, 60.0).ok()?;
    let scene = Scene {
        width: W,
        height: H,
        intrinsics: camera,
        background: Background::Blotches,
        markers: vec![PlacedMarker {
            id: 7,
            size: 0.05,
            pose: Pose {
                rvec: [std::f64::consts::PI + 0.3, 0.1, 0.0],
                tvec: [0.02, -0.01, 0.35],
            },
        }],
        blur_sigma: 0.6,
        noise_sigma: 2.0,
        effects: Default::default(),
        seed: 1,
    };
    let mut image = LumaImage::default();
    render(&scene, &mut image)[0]?;
    Some((image, camera))
}

fn main() {
    let Some((image, camera)) = frame() else {
        eprintln!("bench phones: the synthetic frame could not be drawn");
        std::process::exit(1);
    };
    let dir = std::env::temp_dir().join(format!("ridewire-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let rust_ms = match rust_ms(&dir, &image, camera) {
        Ok(ms) => ms,
        Err(e) => {
            eprintln!("bench phones: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "{}",
        serde_json::json!({"figure": "push_camera_frame_1280x720_rust_ms", "value": rust_ms})
    );
    match python_ms(&dir, &image, camera) {
        Ok(py_ms) => println!(
            "{}",
            serde_json::json!({"figure": "push_camera_frame_1280x720_python_ms", "value": py_ms,
                "rust_ms": rust_ms, "ratio": py_ms / rust_ms, "binding_overhead_ms": py_ms - rust_ms})
        ),
        Err(e) => println!(
            "{}",
            serde_json::json!({"figure": "push_camera_frame_1280x720_python_ms", "value": null,
                "note": format!("skipped: {e}")})
        ),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn rust_ms(dir: &std::path::Path, image: &LumaImage, k: Intrinsics) -> Result<f64, String> {
    let rw = RideWire::open(dir.join("rust").display().to_string()).map_err(|e| e.to_string())?;
    rw.set_camera(k.fx, k.fy, k.cx, k.cy)
        .map_err(|e| e.to_string())?;
    rw.set_marker_size(0.05).map_err(|e| e.to_string())?;
    let mut best = f64::MAX;
    let mut ts = 0u64;
    for _ in 0..PASSES {
        let start = Instant::now();
        for _ in 0..FRAMES {
            ts += 33;
            // The same call a host makes: the buffer is handed over by value.
            let seen = rw
                .push_camera_frame(W as u32, H as u32, image.pixels().to_vec(), ts)
                .map_err(|e| e.to_string())?;
            std::hint::black_box(seen);
        }
        best = best.min(start.elapsed().as_secs_f64() * 1000.0 / f64::from(FRAMES));
    }
    Ok(best)
}

/// The build directory beside this benchmark (`…/debug/deps/push-HASH`).
fn build_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.to_path_buf())
}

fn python_ms(dir: &std::path::Path, image: &LumaImage, k: Intrinsics) -> Result<f64, String> {
    let build = build_dir().ok_or("no build directory")?;
    let (library, bindgen) = (
        build.join("libridewire_ffi.so"),
        build.join("uniffi-bindgen"),
    );
    if !library.is_file() || !bindgen.is_file() {
        return Err(
            "build ridewire-ffi and uniffi-bindgen first (cargo xtask bench phones)".into(),
        );
    }
    let module = dir.join("python");
    let out = Command::new(&bindgen)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .arg("generate")
        .arg(&library)
        .args(["--language", "python", "--no-format", "--out-dir"])
        .arg(&module)
        .output()
        .map_err(|e| format!("cannot run uniffi-bindgen: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    std::fs::copy(&library, module.join("libridewire_ffi.so")).map_err(|e| e.to_string())?;
    let frame = dir.join("frame.y");
    std::fs::write(&frame, image.pixels()).map_err(|e| e.to_string())?;
    let script = format!(
        r#"
import os, sys, time
import ridewire
rw = ridewire.RideWire.open({data:?})
rw.set_camera({fx}, {fy}, {cx}, {cy})
rw.set_marker_size(0.05)
luma = open({frame:?}, "rb").read()
best, ts = float("inf"), 0
for _ in range({passes}):
    start = time.perf_counter()
    for _ in range({frames}):
        ts += 33
        rw.push_camera_frame({w}, {h}, luma, ts)
    best = min(best, (time.perf_counter() - start) * 1000 / {frames})
print(best)
sys.stdout.flush()
os._exit(0)
"#,
        data = dir.join("python-data").display().to_string(),
        fx = k.fx,
        fy = k.fy,
        cx = k.cx,
        cy = k.cy,
        frame = frame.display().to_string(),
        passes = PASSES,
        frames = FRAMES,
        w = W,
        h = H,
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .env("PYTHONPATH", &module)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| {
            format!(
                "python said {:?}: {e}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
}
