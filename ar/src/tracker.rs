//! Detection, pose and filtering per marker id, frame after frame: what
//! the AR screen calls once per camera frame.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::detect::{Detector, DetectorSettings, Marker};
use crate::filter::{OneEuro, OneEuroSettings};
use crate::geometry::{Point, rotation_angle_between};
use crate::image::LumaImage;
use crate::pose::{Intrinsics, Pose, PoseCandidate, solve_square};

/// How the tracker behaves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackerSettings {
    /// Side of the printed marker's black square, metres.
    pub marker_size: f64,
    /// The camera.
    pub intrinsics: Intrinsics,
    /// Corner jitter filter.
    pub filter: OneEuroSettings,
    /// Frames a marker may go unseen before its history is dropped.
    pub max_missed_frames: u32,
    /// A pose that continues the previous frame's is kept over a better
    /// fitting one unless its reprojection error exceeds the best one's by
    /// more than this many pixels (and by more than double).
    pub flip_tolerance_px: f64,
    /// Detector tuning.
    pub detector: DetectorSettings,
}

impl TrackerSettings {
    /// Defaults for a marker of `marker_size` metres seen by `intrinsics`.
    pub fn new(marker_size: f64, intrinsics: Intrinsics) -> Self {
        Self {
            marker_size,
            intrinsics,
            filter: OneEuroSettings::default(),
            max_missed_frames: 10,
            flip_tolerance_px: 1.0,
            detector: DetectorSettings::default(),
        }
    }
}

/// A marker as the tracker reports it for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackedMarker {
    /// `DICT_4X4_50` id.
    pub id: u16,
    /// Filtered corners (OpenCV order), pixels.
    pub corners: [Point; 4],
    /// Corners as detected in this frame, before filtering.
    pub raw_corners: [Point; 4],
    /// Pose from the filtered corners, continuing the previous frame's.
    pub pose: Pose,
    /// Reprojection error of that pose, pixels RMS.
    pub reprojection_rms: f64,
}

#[derive(Debug, Default)]
struct History {
    filters: [OneEuro; 8],
    pose: Option<Pose>,
    last_seen: Duration,
    missed: u32,
}

/// Detects, solves and filters markers frame after frame.
#[derive(Debug)]
pub struct Tracker {
    settings: TrackerSettings,
    detector: Detector,
    detections: Vec<Marker>,
    histories: BTreeMap<u16, History>,
    out: Vec<TrackedMarker>,
}

impl Tracker {
    /// A tracker with the given settings.
    pub fn new(settings: TrackerSettings) -> Self {
        Self {
            detector: Detector::new(settings.detector),
            settings,
            detections: Vec::new(),
            histories: BTreeMap::new(),
            out: Vec::new(),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &TrackerSettings {
        &self.settings
    }

    /// Changes the camera (e.g. the frame size changed); poses restart.
    pub fn set_intrinsics(&mut self, intrinsics: Intrinsics) {
        self.settings.intrinsics = intrinsics;
        self.histories.clear();
    }

    /// Processes one frame taken at `timestamp`; returns the markers in view.
    pub fn update(&mut self, image: &LumaImage, timestamp: Duration) -> &[TrackedMarker] {
        self.detector.detect_into(image, &mut self.detections);
        self.out.clear();
        let s = self.settings;
        for h in self.histories.values_mut() {
            h.missed += 1;
        }
        for m in &self.detections {
            let h = self.histories.entry(m.id).or_default();
            h.missed = 0;
            let dt = timestamp.saturating_sub(h.last_seen).as_secs_f64();
            h.last_seen = timestamp;
            let mut corners = m.corners;
            for (k, c) in corners.iter_mut().enumerate() {
                c.x = h.filters[2 * k].filter(&s.filter, c.x, dt);
                c.y = h.filters[2 * k + 1].filter(&s.filter, c.y, dt);
            }
            let Some(candidates) = solve_square(&corners, s.marker_size, &s.intrinsics) else {
                continue;
            };
            let chosen = choose(&candidates, h.pose.as_ref(), s.flip_tolerance_px);
            h.pose = Some(chosen.pose);
            self.out.push(TrackedMarker {
                id: m.id,
                corners,
                raw_corners: m.corners,
                pose: chosen.pose,
                reprojection_rms: chosen.reprojection_rms,
            });
        }
        // Forget markers long gone, so their filters do not drag a marker
        // that reappears elsewhere.
        self.histories
            .retain(|_, h| h.missed <= s.max_missed_frames);
        &self.out
    }
}

/// Picks the IPPE solution that continues `previous` when it fits nearly
/// as well as the best one; otherwise the best-fitting one.
pub fn choose(
    candidates: &[PoseCandidate; 2],
    previous: Option<&Pose>,
    tolerance_px: f64,
) -> PoseCandidate {
    let [best, other] = *candidates;
    let Some(prev) = previous else {
        return best;
    };
    let r = prev.rotation();
    let near_best = rotation_angle_between(&r, &best.pose.rotation());
    let near_other = rotation_angle_between(&r, &other.pose.rotation());
    let plausible = other.reprojection_rms <= best.reprojection_rms + tolerance_px
        || other.reprojection_rms <= 2.0 * best.reprojection_rms;
    if near_other < near_best && plausible {
        other
    } else {
        best
    }
}
