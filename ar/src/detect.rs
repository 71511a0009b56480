//! The marker detector: threshold → borders → quads → refined corners →
//! decoded ids. One [`Detector`] keeps its buffers between frames, so a
//! steady stream of same-sized frames allocates nothing.

use serde::{Deserialize, Serialize};

use crate::contour::{Borders, quad_corners};
use crate::decode::{DecodeRules, decode};
use crate::dictionary::MAX_CORRECTION_BITS;
use crate::geometry::Point;
use crate::image::LumaImage;
use crate::refine::refine_corners;
use crate::threshold::AdaptiveThreshold;

/// A marker found in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Its `DICT_4X4_50` id (0–49).
    pub id: u16,
    /// Corners in pixels (pixel centres at integer coordinates), in OpenCV's
    /// order: the marker's own top-left, top-right, bottom-right, bottom-left.
    pub corners: [Point; 4],
}

impl Marker {
    /// The marker's centre (where its diagonals cross, approximately).
    pub fn centre(&self) -> Point {
        let s = self.corners.iter().fold(Point::default(), |a, p| a.add(*p));
        s.scale(0.25)
    }

    /// Side length in pixels, averaged over the four sides.
    pub fn side_px(&self) -> f64 {
        (0..4)
            .map(|k| self.corners[k].distance(self.corners[(k + 1) % 4]))
            .sum::<f64>()
            / 4.0
    }
}

/// Tuning of the detector. The defaults follow OpenCV's `DetectorParameters`
/// where the meaning is the same.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectorSettings {
    /// Adaptive-threshold window in pixels (odd, at most 2,001); `0` picks
    /// one from the frame size (about a thirtieth of the shorter side).
    pub threshold_window: usize,
    /// How much darker than its neighbourhood a pixel must be to count as ink.
    pub threshold_offset: u8,
    /// Shortest marker outline, as a fraction of the frame's longer side
    /// (OpenCV's `minMarkerPerimeterRate`, 0.03).
    pub min_perimeter_rate: f64,
    /// Longest marker outline, as a fraction of the frame's longer side.
    pub max_perimeter_rate: f64,
    /// Douglas–Peucker tolerance as a fraction of the outline's length
    /// (OpenCV's `polygonalApproxAccuracyRate`, 0.03).
    pub polygon_accuracy: f64,
    /// Border cells allowed to read white (of 20).
    pub max_border_errors: usize,
    /// Share of the dictionary's correctable bits (1 for `DICT_4X4_50`)
    /// actually corrected, rounded down: OpenCV's `errorCorrectionRate`.
    /// The default 0.6, as in OpenCV, corrects none: with 50 codes in 4
    /// turns, correcting one bit would accept 17 times as many patterns
    /// and so 17 times as many look-alikes. Set 1.0 to correct one bit.
    pub error_correction_rate: f64,
    /// Cells (of 36) whose samples may straddle the black/white threshold.
    pub max_mixed_cells: usize,
    /// Smallest black/white difference (grey levels) inside a marker.
    pub min_contrast: f64,
    /// Refine corners to sub-pixel precision from the grey image.
    pub refine_corners: bool,
}

impl Default for DetectorSettings {
    fn default() -> Self {
        Self {
            threshold_window: 0,
            threshold_offset: 7,
            min_perimeter_rate: 0.03,
            max_perimeter_rate: 4.0,
            polygon_accuracy: 0.03,
            max_border_errors: 1,
            error_correction_rate: 0.6,
            max_mixed_cells: 1,
            min_contrast: 20.0,
            refine_corners: true,
        }
    }
}

/// Finds `DICT_4X4_50` markers in grey frames.
#[derive(Debug, Default)]
pub struct Detector {
    settings: DetectorSettings,
    threshold: AdaptiveThreshold,
    binary: Vec<u8>,
    borders: Borders,
    found: Vec<(Marker, f64)>,
}

impl Detector {
    /// A detector with the given settings.
    pub fn new(settings: DetectorSettings) -> Self {
        Self {
            settings,
            ..Self::default()
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &DetectorSettings {
        &self.settings
    }

    /// Finds the markers in `image`, replacing the contents of `out`
    /// (sorted by id; one entry per visible marker).
    pub fn detect_into(&mut self, image: &LumaImage, out: &mut Vec<Marker>) {
        out.clear();
        self.found.clear();
        let (w, h) = (image.width(), image.height());
        if w < 16 || h < 16 {
            return;
        }
        let s = self.settings;
        let window = if s.threshold_window == 0 {
            (w.min(h) / 30).clamp(7, 41) | 1
        } else {
            s.threshold_window | 1
        };
        self.threshold
            .apply(image, window, s.threshold_offset, &mut self.binary);
        let longer = w.max(h) as f64;
        let min_len = (s.min_perimeter_rate * longer).max(24.0) as usize;
        let max_len = (s.max_perimeter_rate * longer) as usize;
        self.borders.trace(&mut self.binary, w, h, min_len, max_len);
        let rules = DecodeRules {
            max_border_errors: s.max_border_errors,
            max_correction_bits: (MAX_CORRECTION_BITS as f64
                * s.error_correction_rate.clamp(0.0, 1.0)) as u32,
            min_contrast: s.min_contrast,
            max_mixed_cells: s.max_mixed_cells,
        };
        for border in self.borders.iter() {
            let Some(quad) = quad_corners(border, s.polygon_accuracy) else {
                continue;
            };
            let perimeter = border.len() as f64;
            // OpenCV's minCornerDistanceRate: no side shorter than 5 % of the outline.
            let shortest = (0..4)
                .map(|k| quad[k].distance(quad[(k + 1) % 4]))
                .fold(f64::INFINITY, f64::min);
            if shortest < 0.05 * perimeter || shortest < 6.0 {
                continue;
            }
            // Markers touching the frame's edge cannot be refined or trusted.
            let near_edge = quad
                .iter()
                .any(|p| p.x < 3.0 || p.y < 3.0 || p.x > (w - 4) as f64 || p.y > (h - 4) as f64);
            // A first, lenient read on the rough corners weeds out most
            // candidates before the costlier refinement. Rough corners can
            // be a pixel or two off, so cells may look mixed here.
            let lenient = DecodeRules {
                max_mixed_cells: usize::MAX,
                ..rules
            };
            if near_edge || decode(image, &quad, &lenient).is_none() {
                continue;
            }
            let corners = if s.refine_corners {
                match refine_corners(image, &quad) {
                    Some(c) => c,
                    None => continue,
                }
            } else {
                quad
            };
            // Read again on the refined corners: they sample the cells better.
            if let Some(d) = decode(image, &corners, &rules) {
                self.found.push((
                    Marker {
                        id: d.id,
                        corners: d.corners,
                    },
                    perimeter,
                ));
            }
        }
        // One marker can show up twice (e.g. the outline of its border and
        // of a blob inside); keep the larger of two close ones with one id.
        self.found
            .sort_by(|a, b| a.0.id.cmp(&b.0.id).then(b.1.total_cmp(&a.1)));
        for &(m, _) in &self.found {
            let duplicate = out.iter().any(|k: &Marker| {
                k.id == m.id && k.centre().distance(m.centre()) < k.side_px().max(m.side_px())
            });
            if !duplicate {
                out.push(m);
            }
        }
    }

    /// Finds the markers in `image` (allocates the result; see
    /// [`Detector::detect_into`] for a reusable buffer).
    pub fn detect(&mut self, image: &LumaImage) -> Vec<Marker> {
        let mut out = Vec::new();
        self.detect_into(image, &mut out);
        out
    }
}
