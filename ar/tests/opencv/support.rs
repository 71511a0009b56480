//! Running OpenCV's ArUco detector (through Python) on the frames the Rust
//! detector sees, for the comparison test and the benchmark. Shared by both
//! with `#[path]`; everything here may fail with a reason instead of
//! panicking, so callers can skip with a message when OpenCV is missing.

// The test uses the results, the benchmark also the timing.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ridewire_ar::LumaImage;
use serde::Deserialize;

/// What the Python script reports.
#[derive(Debug, Deserialize)]
pub struct OpenCvRun {
    /// OpenCV's version.
    pub version: String,
    /// Mean detection time per frame, milliseconds (best of the repeats).
    pub ms_per_frame: f64,
    /// Per frame, the markers found.
    pub frames: Vec<OpenCvFrame>,
}

/// One frame's markers as OpenCV found them.
#[derive(Debug, Deserialize)]
pub struct OpenCvFrame {
    /// The PNG path.
    pub file: String,
    /// The markers.
    pub markers: Vec<OpenCvMarker>,
}

/// One marker as OpenCV found it.
#[derive(Debug, Deserialize)]
pub struct OpenCvMarker {
    /// Marker id.
    pub id: u16,
    /// Corners, OpenCV order.
    pub corners: [[f64; 2]; 4],
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/opencv/aruco_opencv.py")
}

/// A frame OpenCV drew: its PNG and the markers in it, with their true
/// corners (OpenCV order, pixel centres at integers).
#[derive(Debug, Deserialize)]
pub struct DrawnFrame {
    /// The PNG path.
    pub file: PathBuf,
    /// The markers drawn.
    pub markers: Vec<OpenCvMarker>,
}

#[derive(Debug, Deserialize)]
struct Drawn {
    frames: Vec<DrawnFrame>,
}

/// Has OpenCV draw `count` plain 1280×720 frames into `dir` (grey
/// background, one to four markers 40–300 px wide tilted up to 60°, mild
/// blur and noise; see `draw_plain_frames.py`); the same seed draws the
/// same frames.
pub fn draw_plain_frames(
    python: &Path,
    seed: u64,
    count: usize,
    dir: &Path,
) -> Result<Vec<DrawnFrame>, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/opencv/draw_plain_frames.py");
    let out = run_bounded(
        Command::new(python)
            .arg(script)
            .arg(seed.to_string())
            .arg(count.to_string())
            .arg(dir),
        Duration::from_secs(600),
    )?;
    let drawn: Drawn =
        serde_json::from_str(&out).map_err(|e| format!("unreadable drawing output: {e}"))?;
    Ok(drawn.frames)
}

/// The virtual environment holding OpenCV: `RIDEWIRE_OPENCV_VENV`, else
/// `ridewire/opencv-venv` in the user's cache folder.
fn venv() -> PathBuf {
    if let Some(dir) = std::env::var_os("RIDEWIRE_OPENCV_VENV").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("ridewire").join("opencv-venv")
}

/// Runs a command with a time limit, returning its stdout.
pub fn run_bounded(command: &mut Command, limit: Duration) -> Result<String, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    // Read stdout on a thread so a chatty child never blocks on a full pipe.
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        if let Some(pipe) = stdout.as_mut() {
            let _ = pipe.read_to_string(&mut out);
        }
        out
    });
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let out = reader.join().unwrap_or_default();
                if status.success() {
                    return Ok(out);
                }
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
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// A Python with `cv2.aruco`, setting up the venv with
/// `opencv-contrib-python-headless` on first use; or why there is none.
pub fn opencv_python() -> Result<PathBuf, String> {
    let has_cv2 = |python: &Path| {
        run_bounded(
            Command::new(python).args(["-c", "import cv2; cv2.aruco.ArucoDetector"]),
            Duration::from_secs(30),
        )
        .is_ok()
    };
    let venv = venv();
    let python = venv.join("bin").join("python");
    if python.exists() && has_cv2(&python) {
        return Ok(python);
    }
    run_bounded(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        Duration::from_secs(120),
    )
    .map_err(|e| format!("no usable python3 venv: {e}"))?;
    run_bounded(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "opencv-contrib-python-headless",
            "numpy",
        ]),
        Duration::from_secs(600),
    )
    .map_err(|e| format!("pip could not install opencv-contrib-python-headless: {e}"))?;
    if has_cv2(&python) {
        Ok(python)
    } else {
        Err("OpenCV installed but `cv2.aruco` is missing".to_owned())
    }
}

/// Runs OpenCV's detector on the PNG files; `repeats` timed passes (0 to
/// skip timing).
pub fn run_opencv(python: &Path, repeats: usize, pngs: &[PathBuf]) -> Result<OpenCvRun, String> {
    let out = run_bounded(
        Command::new(python)
            .arg(script())
            .arg(repeats.to_string())
            .args(pngs),
        Duration::from_secs(600),
    )?;
    serde_json::from_str(&out).map_err(|e| format!("unreadable OpenCV output: {e}"))
}

/// Writes a grey PNG.
pub fn write_png(path: &Path, img: &LumaImage) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(file),
        img.width() as u32,
        img.height() as u32,
    );
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .and_then(|mut w| w.write_image_data(img.pixels()))
        .map_err(|e| format!("{}: {e}", path.display()))
}
