//! The road's curve: a centripetal Catmull–Rom spline (alpha = 0.5) through
//! control points, and an arc-length table so that points can be found by
//! distance travelled rather than by the spline's uneven parameter.

/// A point in tile space (x right, y down).
pub type Point = [f64; 2];

/// Alpha of the centripetal variant: no cusps or self-loops within a segment.
const ALPHA: f64 = 0.5;

/// Knot spacing below this is treated as this, so repeated points stay finite.
const MIN_KNOT: f64 = 1e-6;

fn dist(a: Point, b: Point) -> f64 {
    ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt()
}

fn lerp_knots(a: Point, b: Point, ta: f64, tb: f64, t: f64) -> Point {
    let w = (t - ta) / (tb - ta);
    [a[0] + (b[0] - a[0]) * w, a[1] + (b[1] - a[1]) * w]
}

/// A centripetal Catmull–Rom spline that passes through every control point.
#[derive(Debug, Clone)]
pub struct CatmullRom {
    control: Vec<Point>,
}

impl CatmullRom {
    /// A spline through `control`, in order.
    pub fn new(control: Vec<Point>) -> Self {
        Self { control }
    }

    /// The control points.
    pub fn control(&self) -> &[Point] {
        &self.control
    }

    /// Number of segments: one between each pair of consecutive control points.
    pub fn segments(&self) -> usize {
        self.control.len().saturating_sub(1)
    }

    /// Control point `i`, extended past both ends by reflection so the first
    /// and last segments have neighbours.
    fn at(&self, i: isize) -> Point {
        let n = self.control.len() as isize;
        if n == 0 {
            return [0.0, 0.0];
        }
        if n == 1 {
            return self.control[0];
        }
        let get = |k: isize| self.control[k.clamp(0, n - 1) as usize];
        if i < 0 {
            let (a, b) = (get(0), get(1));
            [2.0 * a[0] - b[0], 2.0 * a[1] - b[1]]
        } else if i >= n {
            let (a, b) = (get(n - 1), get(n - 2));
            [2.0 * a[0] - b[0], 2.0 * a[1] - b[1]]
        } else {
            get(i)
        }
    }

    /// The point at parameter `u ∈ [0, 1]` of segment `seg` (from control
    /// point `seg` to `seg + 1`), by the Barry–Goldman pyramid.
    pub fn point(&self, seg: usize, u: f64) -> Point {
        let i = seg as isize;
        let (p0, p1, p2, p3) = (self.at(i - 1), self.at(i), self.at(i + 1), self.at(i + 2));
        let t0 = 0.0;
        let t1 = t0 + dist(p0, p1).powf(ALPHA).max(MIN_KNOT);
        let t2 = t1 + dist(p1, p2).powf(ALPHA).max(MIN_KNOT);
        let t3 = t2 + dist(p2, p3).powf(ALPHA).max(MIN_KNOT);
        let t = t1 + (t2 - t1) * u.clamp(0.0, 1.0);
        let a1 = lerp_knots(p0, p1, t0, t1, t);
        let a2 = lerp_knots(p1, p2, t1, t2, t);
        let a3 = lerp_knots(p2, p3, t2, t3, t);
        let b1 = lerp_knots(a1, a2, t0, t2, t);
        let b2 = lerp_knots(a2, a3, t1, t3, t);
        lerp_knots(b1, b2, t1, t2, t)
    }
}

/// A polyline of samples with the cumulative distance to each: the lookup
/// table that turns an arc length into a point.
#[derive(Debug, Clone, Default)]
pub struct ArcLengthTable {
    points: Vec<Point>,
    cumulative: Vec<f64>,
}

impl ArcLengthTable {
    /// Samples `spline` so that no chord is much longer than `max_step`
    /// (each segment is cut into `ceil(chord / max_step)` pieces, at least 4).
    /// A `map` is applied to every sample (used to keep the road on the map).
    pub fn sample(spline: &CatmullRom, max_step: f64, map: impl Fn(Point) -> Point) -> Self {
        let control = spline.control();
        let mut points = Vec::new();
        match control.first() {
            None => return Self::default(),
            Some(&first) => points.push(map(first)),
        }
        let step = max_step.max(1e-3);
        for seg in 0..spline.segments() {
            // The chord underestimates the curve; the factor 1.5 covers bends.
            let chord = dist(control[seg], control[seg + 1]);
            let pieces = ((chord * 1.5 / step).ceil() as usize).max(4);
            for k in 1..=pieces {
                points.push(map(spline.point(seg, k as f64 / pieces as f64)));
            }
        }
        Self::from_points(points)
    }

    /// The table of an existing polyline.
    pub fn from_points(points: Vec<Point>) -> Self {
        let mut cumulative = Vec::with_capacity(points.len());
        let mut total = 0.0;
        for (i, &p) in points.iter().enumerate() {
            if i > 0 {
                total += dist(points[i - 1], p);
            }
            cumulative.push(total);
        }
        Self { points, cumulative }
    }

    /// The sampled polyline.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// Cumulative arc length at each sample (non-decreasing, starting at 0).
    pub fn cumulative(&self) -> &[f64] {
        &self.cumulative
    }

    /// Total arc length.
    pub fn length(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    /// The point at arc length `s` (clamped to `[0, length]`).
    pub fn point_at(&self, s: f64) -> Point {
        let n = self.points.len();
        if n == 0 {
            return [0.0, 0.0];
        }
        if n == 1 {
            return self.points[0];
        }
        let s = s.clamp(0.0, self.length());
        // First sample at or beyond s; the point lies on the chord before it.
        let hi = self.cumulative.partition_point(|&c| c < s).clamp(1, n - 1);
        let lo = hi - 1;
        let span = self.cumulative[hi] - self.cumulative[lo];
        let w = if span > 0.0 {
            (s - self.cumulative[lo]) / span
        } else {
            0.0
        };
        let (a, b) = (self.points[lo], self.points[hi]);
        [a[0] + (b[0] - a[0]) * w, a[1] + (b[1] - a[1]) * w]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wiggle() -> CatmullRom {
        CatmullRom::new(vec![
            [0.0, 0.0],
            [4.0, 3.0],
            [9.0, -1.0],
            [10.0, 6.0],
            [10.0, 6.5],
            [2.0, 8.0],
        ])
    }

    #[test]
    fn the_curve_passes_through_every_control_point() {
        let spline = wiggle();
        for (seg, pair) in spline.control().windows(2).enumerate() {
            let start = spline.point(seg, 0.0);
            let end = spline.point(seg, 1.0);
            assert!(
                dist(start, pair[0]) < 1e-9,
                "segment {seg} starts at {start:?}"
            );
            assert!(dist(end, pair[1]) < 1e-9, "segment {seg} ends at {end:?}");
        }
    }

    #[test]
    fn repeated_points_do_not_break_the_curve() {
        let spline = CatmullRom::new(vec![[1.0, 1.0], [1.0, 1.0], [3.0, 1.0]]);
        for seg in 0..spline.segments() {
            for k in 0..=10 {
                let p = spline.point(seg, k as f64 / 10.0);
                assert!(p[0].is_finite() && p[1].is_finite());
            }
        }
    }

    #[test]
    fn the_arc_length_table_is_monotonic_and_ends_at_the_last_point() {
        let table = ArcLengthTable::sample(&wiggle(), 0.25, |p| p);
        assert!(table.cumulative().windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(table.cumulative()[0], 0.0);
        assert!(dist(table.point_at(0.0), [0.0, 0.0]) < 1e-9);
        assert!(dist(table.point_at(table.length()), [2.0, 8.0]) < 1e-9);
    }

    #[test]
    fn the_table_length_matches_a_dense_polyline() {
        let spline = wiggle();
        let table = ArcLengthTable::sample(&spline, 0.5, |p| p);
        let mut dense = Vec::new();
        for seg in 0..spline.segments() {
            for k in 0..=4_000 {
                dense.push(spline.point(seg, k as f64 / 4_000.0));
            }
        }
        let exact = ArcLengthTable::from_points(dense).length();
        let rel = (table.length() - exact).abs() / exact;
        assert!(rel < 0.005, "table {} vs dense {exact}", table.length());
    }

    #[test]
    fn points_found_by_length_are_that_far_along() {
        let table = ArcLengthTable::sample(&wiggle(), 0.1, |p| p);
        let l = table.length();
        let mut previous = table.point_at(0.0);
        let n = 40;
        for i in 1..=n {
            let p = table.point_at(l * i as f64 / n as f64);
            // Each chord is no longer than the arc between its ends.
            assert!(dist(previous, p) <= l / n as f64 + 1e-9);
            previous = p;
        }
    }

    #[test]
    fn empty_and_single_point_splines_are_harmless() {
        let empty = ArcLengthTable::sample(&CatmullRom::new(vec![]), 0.5, |p| p);
        assert_eq!(empty.length(), 0.0);
        assert_eq!(empty.point_at(3.0), [0.0, 0.0]);
        let one = ArcLengthTable::sample(&CatmullRom::new(vec![[2.0, 3.0]]), 0.5, |p| p);
        assert_eq!(one.length(), 0.0);
        assert_eq!(one.point_at(1.0), [2.0, 3.0]);
    }
}
