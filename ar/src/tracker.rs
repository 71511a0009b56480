//! Detection, pose and filtering per marker id, frame after frame: what
//! the AR screen calls once per camera frame.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::detect::{Detector, DetectorSettings, Marker};
use crate::filter::{OneEuro, OneEuroSettings};
use crate::geometry::{
    Mat3, Point, mul, rodrigues_from_rotation, rotation_angle_between, rotation_from_rodrigues,
    transpose,
};
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
            flip_tolerance_px: 0.1,
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
    /// The pose before `pose`, and the time between them: with it the next
    /// rotation is predicted at constant angular speed.
    older: Option<(Pose, f64)>,
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
            let expected = predict(h.pose.as_ref(), h.older.as_ref(), dt);
            let chosen = choose(&candidates, expected.as_ref(), s.flip_tolerance_px);
            h.older = h.pose.map(|p| (p, dt));
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

/// The rotation expected `dt` seconds after `last`, continuing the turn
/// from `older` to `last` at the same angular speed. Near a face-on view the
/// two IPPE poses meet and part again, one carrying on the turn and the
/// other bouncing back; only the turn's direction tells them apart.
pub fn predict(last: Option<&Pose>, older: Option<&(Pose, f64)>, dt: f64) -> Option<Mat3> {
    let last = last?;
    let r_last = last.rotation();
    let Some((older, older_dt)) = older else {
        return Some(r_last);
    };
    // Turn per step, in the camera frame: Δ = R_last · R_olderᵀ.
    let delta = mul(&r_last, &transpose(&older.rotation()));
    let ratio = if *older_dt > 0.0 && dt > 0.0 {
        (dt / older_dt).clamp(0.0, 3.0)
    } else {
        1.0
    };
    let step = rodrigues_from_rotation(&delta).map(|v| v * ratio);
    Some(mul(&rotation_from_rodrigues(step), &r_last))
}

/// Picks the IPPE solution nearest the `expected` rotation when it fits
/// nearly as well as the best one; otherwise the best-fitting one.
pub fn choose(
    candidates: &[PoseCandidate; 2],
    expected: Option<&Mat3>,
    tolerance_px: f64,
) -> PoseCandidate {
    let [best, other] = *candidates;
    let Some(r) = expected else {
        return best;
    };
    let near_best = rotation_angle_between(r, &best.pose.rotation());
    let near_other = rotation_angle_between(r, &other.pose.rotation());
    let plausible = other.reprojection_rms <= best.reprojection_rms + tolerance_px
        || other.reprojection_rms <= 2.0 * best.reprojection_rms;
    if near_other < near_best && plausible {
        other
    } else {
        best
    }
}
