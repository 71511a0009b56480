//! What `ridewire detect` prints: per frame, each marker's id, corners and
//! pose and the time the detection took, as JSON or as text.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::detect::{Detector, DetectorSettings};
use crate::error::Result;
use crate::frames::{Frame, FrameSource, Next, Replay};
use crate::pose::{Intrinsics, solve_square};

/// Horizontal field of view assumed for uncalibrated cameras, degrees.
pub const DEFAULT_FOV_DEG: f64 = 60.0;
/// Marker side assumed when none is given, metres (a 5 cm sticker).
pub const DEFAULT_MARKER_SIZE: f64 = 0.05;

/// The whole report: `{"frames": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// One entry per image, in order.
    pub frames: Vec<FrameReport>,
}

/// One image's markers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameReport {
    /// The image's file name (or path, for files given one by one).
    pub file: String,
    /// Detection and pose time, milliseconds.
    pub ms: f64,
    /// The markers found.
    pub markers: Vec<MarkerReport>,
}

/// One marker in one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerReport {
    /// `DICT_4X4_50` id.
    pub id: u16,
    /// Corners in pixels, OpenCV order (top-left, top-right, bottom-right,
    /// bottom-left of the marker), pixel centres at integers.
    pub corners: [[f64; 2]; 4],
    /// Rotation marker → camera, Rodrigues vector (radians).
    pub rvec: [f64; 3],
    /// Marker centre in camera coordinates, metres (x right, y down, z forward).
    pub tvec: [f64; 3],
}

/// What to detect with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportOptions {
    /// Camera intrinsics; `None` assumes [`DEFAULT_FOV_DEG`] for each image's size.
    pub intrinsics: Option<Intrinsics>,
    /// Printed marker side, metres.
    pub marker_size: f64,
    /// Detector tuning.
    pub detector: DetectorSettings,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            intrinsics: None,
            marker_size: DEFAULT_MARKER_SIZE,
            detector: DetectorSettings::default(),
        }
    }
}

/// Detects markers in every image of `inputs` (PNG files, folders of them,
/// or `.rwluma` recordings). Each frame's pose is solved independently
/// (best-fitting IPPE solution), so frames can be compared one by one.
pub fn detect_files(inputs: &[PathBuf], options: &ReportOptions) -> Result<Report> {
    // Only the luma is detected in: colour would be decoded for nothing.
    let mut replay = Replay::open_all(inputs, crate::frames::replay_fps())?.colour(false);
    let mut detector = Detector::new(options.detector);
    let mut frame = Frame::default();
    let mut markers = Vec::new();
    let mut frames = Vec::new();
    let mut index = 0usize;
    while replay.next_frame(&mut frame)? == Next::Frame {
        let name = replay.current_path().map(display_name).unwrap_or_default();
        let start = Instant::now();
        detector.detect_into(&frame.image, &mut markers);
        let k = match options.intrinsics {
            Some(k) => k,
            None => {
                Intrinsics::from_fov(frame.image.width(), frame.image.height(), DEFAULT_FOV_DEG)?
            }
        };
        let mut found = Vec::with_capacity(markers.len());
        for m in &markers {
            let Some([best, _]) = solve_square(&m.corners, options.marker_size, &k) else {
                continue;
            };
            found.push(MarkerReport {
                id: m.id,
                corners: m.corners.map(|c| [c.x, c.y]),
                rvec: best.pose.rvec,
                tvec: best.pose.tvec,
            });
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        // Frames inside a recording share its file name; number them.
        let file = if replay
            .current_path()
            .is_some_and(|p| p.extension().is_some_and(|e| e == "rwluma"))
        {
            format!("{name}#{index}")
        } else {
            name
        };
        frames.push(FrameReport {
            file,
            ms,
            markers: found,
        });
        index += 1;
    }
    Ok(Report { frames })
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

impl Report {
    /// The report as one JSON object (the shape `--json` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report for people: one block per frame.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.frames {
            let _ = writeln!(
                out,
                "{}: {} marker{} in {:.1} ms",
                f.file,
                f.markers.len(),
                if f.markers.len() == 1 { "" } else { "s" },
                f.ms
            );
            for m in &f.markers {
                let corners: Vec<String> = m
                    .corners
                    .iter()
                    .map(|c| format!("({:.1}, {:.1})", c[0], c[1]))
                    .collect();
                let distance = (m.tvec[0].powi(2) + m.tvec[1].powi(2) + m.tvec[2].powi(2)).sqrt();
                let _ = writeln!(
                    out,
                    "  marker {:>2}  corners {}\n             {:.2} m away  t = [{:.3}, {:.3}, {:.3}] m  r = [{:.3}, {:.3}, {:.3}]",
                    m.id,
                    corners.join(" "),
                    distance,
                    m.tvec[0],
                    m.tvec[1],
                    m.tvec[2],
                    m.rvec[0],
                    m.rvec[1],
                    m.rvec[2]
                );
            }
        }
        out
    }
}
