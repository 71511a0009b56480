//! Small fixed-size linear algebra: points, 3×3 matrices, homographies and
//! Rodrigues rotation vectors. Everything the tracker needs and nothing more,
//! so the crate carries no linear-algebra dependency.

use serde::{Deserialize, Serialize};

/// A point in image pixels (pixel centres at integer coordinates) or in a plane.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal coordinate (to the right).
    pub x: f64,
    /// Vertical coordinate (downwards in images).
    pub y: f64,
}

impl Point {
    /// A point from its two coordinates.
    pub const fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    /// Euclidean distance to another point.
    pub fn distance(self, other: Point) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    pub(crate) fn sub(self, o: Point) -> Point {
        Point::new(self.x - o.x, self.y - o.y)
    }

    pub(crate) fn add(self, o: Point) -> Point {
        Point::new(self.x + o.x, self.y + o.y)
    }

    pub(crate) fn scale(self, k: f64) -> Point {
        Point::new(self.x * k, self.y * k)
    }

    pub(crate) fn cross(self, o: Point) -> f64 {
        self.x * o.y - self.y * o.x
    }

    pub(crate) fn norm(self) -> f64 {
        self.x.hypot(self.y)
    }
}

/// A 3×3 matrix, row-major.
pub type Mat3 = [[f64; 3]; 3];

/// The 3×3 identity.
pub const IDENTITY: Mat3 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// Matrix product `a · b`.
pub fn mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut out = [[0.0; 3]; 3];
    for (r, row) in out.iter_mut().enumerate() {
        for (c, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[r][k] * b[k][c]).sum();
        }
    }
    out
}

/// Transpose.
pub fn transpose(a: &Mat3) -> Mat3 {
    let mut out = [[0.0; 3]; 3];
    for (r, row) in a.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            out[c][r] = *v;
        }
    }
    out
}

/// Matrix times column vector.
pub fn mul_vec(a: &Mat3, v: [f64; 3]) -> [f64; 3] {
    [
        a[0][0] * v[0] + a[0][1] * v[1] + a[0][2] * v[2],
        a[1][0] * v[0] + a[1][1] * v[1] + a[1][2] * v[2],
        a[2][0] * v[0] + a[2][1] * v[1] + a[2][2] * v[2],
    ]
}

/// Cross product of two 3-vectors.
pub fn cross3(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Inverse of a 3×3 matrix, or `None` when it is (numerically) singular.
pub fn invert(m: &Mat3) -> Option<Mat3> {
    let c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1];
    let c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2];
    let c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0];
    let det = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02;
    let scale = m.iter().flatten().fold(0.0_f64, |a, v| a.max(v.abs()));
    if !det.is_finite() || det.abs() <= 1e-12 * scale.powi(3) {
        return None;
    }
    let inv = 1.0 / det;
    Some([
        [
            c00 * inv,
            (m[0][2] * m[2][1] - m[0][1] * m[2][2]) * inv,
            (m[0][1] * m[1][2] - m[0][2] * m[1][1]) * inv,
        ],
        [
            c01 * inv,
            (m[0][0] * m[2][2] - m[0][2] * m[2][0]) * inv,
            (m[0][2] * m[1][0] - m[0][0] * m[1][2]) * inv,
        ],
        [
            c02 * inv,
            (m[0][1] * m[2][0] - m[0][0] * m[2][1]) * inv,
            (m[0][0] * m[1][1] - m[0][1] * m[1][0]) * inv,
        ],
    ])
}

/// Applies a homography to a point; `None` when it maps to infinity.
pub fn apply_homography(h: &Mat3, p: Point) -> Option<Point> {
    let w = h[2][0] * p.x + h[2][1] * p.y + h[2][2];
    if w.abs() < 1e-12 {
        return None;
    }
    Some(Point::new(
        (h[0][0] * p.x + h[0][1] * p.y + h[0][2]) / w,
        (h[1][0] * p.x + h[1][1] * p.y + h[1][2]) / w,
    ))
}

/// Solves `a · x = b` for a small dense system by Gaussian elimination with
/// partial pivoting; `None` when the system is singular.
pub fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> Option<[f64; N]> {
    for col in 0..N {
        let pivot = (col..N).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-14 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..N {
            let f = a[row][col] / pivot_row[col];
            if f != 0.0 {
                for (cell, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                    *cell -= f * p;
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut x = [0.0; N];
    for row in (0..N).rev() {
        let s: f64 = (row + 1..N).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The homography mapping each `from[i]` exactly onto `to[i]` (four point
/// pairs, no three collinear), normalised so that `h[2][2] = 1`.
pub fn homography_from_4(from: &[Point; 4], to: &[Point; 4]) -> Option<Mat3> {
    // Centre and scale both point sets first: pixel coordinates in the
    // hundreds next to metres would make the 8×8 system badly conditioned.
    let (nf, tf) = normalise(from);
    let (nt, tt) = normalise(to);
    let mut a = [[0.0; 8]; 8];
    let mut b = [0.0; 8];
    for i in 0..4 {
        let (x, y, u, v) = (nf[i].x, nf[i].y, nt[i].x, nt[i].y);
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y];
        b[2 * i] = u;
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y];
        b[2 * i + 1] = v;
    }
    let h = solve(a, b)?;
    let hn = [[h[0], h[1], h[2]], [h[3], h[4], h[5]], [h[6], h[7], 1.0]];
    let full = mul(&invert(&tt)?, &mul(&hn, &tf));
    let w = full[2][2];
    if w.abs() < 1e-15 {
        return None;
    }
    Some(full.map(|row| row.map(|v| v / w)))
}

/// Similarity transform moving the points' centroid to the origin with an
/// average distance of √2, and the moved points.
fn normalise(p: &[Point; 4]) -> ([Point; 4], Mat3) {
    let cx = p.iter().map(|q| q.x).sum::<f64>() / 4.0;
    let cy = p.iter().map(|q| q.y).sum::<f64>() / 4.0;
    let mean = p.iter().map(|q| (q.x - cx).hypot(q.y - cy)).sum::<f64>() / 4.0;
    let s = if mean > 0.0 {
        std::f64::consts::SQRT_2 / mean
    } else {
        1.0
    };
    let t = [[s, 0.0, -s * cx], [0.0, s, -s * cy], [0.0, 0.0, 1.0]];
    (p.map(|q| Point::new(s * (q.x - cx), s * (q.y - cy))), t)
}

/// Rotation matrix from a Rodrigues vector (axis × angle in radians).
pub fn rotation_from_rodrigues(r: [f64; 3]) -> Mat3 {
    let theta = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
    if theta < 1e-12 {
        return IDENTITY;
    }
    let k = [r[0] / theta, r[1] / theta, r[2] / theta];
    rotation_about(k, theta.cos(), theta.sin())
}

/// Rotation about the unit axis `k` by the angle with the given cosine and sine.
pub fn rotation_about(k: [f64; 3], c: f64, s: f64) -> Mat3 {
    let v = 1.0 - c;
    [
        [
            c + k[0] * k[0] * v,
            k[0] * k[1] * v - k[2] * s,
            k[0] * k[2] * v + k[1] * s,
        ],
        [
            k[1] * k[0] * v + k[2] * s,
            c + k[1] * k[1] * v,
            k[1] * k[2] * v - k[0] * s,
        ],
        [
            k[2] * k[0] * v - k[1] * s,
            k[2] * k[1] * v + k[0] * s,
            c + k[2] * k[2] * v,
        ],
    ]
}

/// Rodrigues vector of a rotation matrix (angle in `[0, π]`).
pub fn rodrigues_from_rotation(r: &Mat3) -> [f64; 3] {
    let trace = r[0][0] + r[1][1] + r[2][2];
    let cos = ((trace - 1.0) / 2.0).clamp(-1.0, 1.0);
    let w = [r[2][1] - r[1][2], r[0][2] - r[2][0], r[1][0] - r[0][1]];
    // The antisymmetric part is 2·sin θ·axis. Its length gives sin θ to
    // full relative precision even close to π, where `acos` of the trace
    // leaves π − θ (and so a sine taken from θ) off by a part in 10⁷.
    let w_len = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
    let theta = (w_len / 2.0).atan2(cos);
    if theta < 1e-9 {
        return [w[0] / 2.0, w[1] / 2.0, w[2] / 2.0];
    }
    if std::f64::consts::PI - theta > 1e-5 {
        let k = theta / w_len;
        return [w[0] * k, w[1] * k, w[2] * k];
    }
    // Near π the antisymmetric part vanishes; read the axis from the
    // symmetric part instead, taking the largest diagonal for stability.
    let i = (0..3)
        .max_by(|&a, &b| r[a][a].total_cmp(&r[b][b]))
        .unwrap_or(0);
    let mut axis = [0.0; 3];
    axis[i] = ((r[i][i] - cos) / (1.0 - cos)).max(0.0).sqrt();
    for j in 0..3 {
        if j != i && axis[i] > 0.0 {
            axis[j] = (r[i][j] + r[j][i]) / (2.0 * (1.0 - cos) * axis[i]);
        }
    }
    // Fix the sign with what is left of the antisymmetric part.
    let dot = axis[0] * w[0] + axis[1] * w[1] + axis[2] * w[2];
    let sign = if dot < 0.0 { -1.0 } else { 1.0 };
    let n = (axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]).sqrt();
    if n == 0.0 {
        return [0.0; 3];
    }
    axis.map(|a| sign * a / n * theta)
}

/// Angle in radians of the rotation taking `a` to `b`.
pub fn rotation_angle_between(a: &Mat3, b: &Mat3) -> f64 {
    let d = mul(&transpose(a), b);
    (((d[0][0] + d[1][1] + d[2][2]) - 1.0) / 2.0)
        .clamp(-1.0, 1.0)
        .acos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_just_short_of_a_half_turn_round_trip_exactly() {
        // A marker facing the camera is turned half a turn about an axis in
        // its plane; a slight tilt leaves it 1e-5 rad short of π, where
        // taking the sine from `acos` once lost 6e-7 rad.
        for short in [1.3e-5, 2e-5, 1e-4, 1e-3] {
            let axis: [f64; 3] = [0.9, -0.43, 0.07];
            let n = (axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]).sqrt();
            let theta = std::f64::consts::PI - short;
            let r = rotation_from_rodrigues(axis.map(|a| a / n * theta));
            let back = rotation_from_rodrigues(rodrigues_from_rotation(&r));
            for i in 0..3 {
                for j in 0..3 {
                    assert!(
                        (back[i][j] - r[i][j]).abs() < 1e-10,
                        "{short}: {back:?} vs {r:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn homography_maps_the_four_points() {
        let from = [
            Point::new(-0.05, 0.05),
            Point::new(0.05, 0.05),
            Point::new(0.05, -0.05),
            Point::new(-0.05, -0.05),
        ];
        let to = [
            Point::new(100.0, 120.0),
            Point::new(310.0, 90.0),
            Point::new(330.0, 300.0),
            Point::new(90.0, 280.0),
        ];
        let h = homography_from_4(&from, &to).unwrap();
        for i in 0..4 {
            let p = apply_homography(&h, from[i]).unwrap();
            assert!(p.distance(to[i]) < 1e-8, "{p:?} vs {:?}", to[i]);
        }
    }

    #[test]
    fn rodrigues_round_trips_including_half_turns() {
        for r in [
            [0.1, -0.2, 0.3],
            [0.0, 0.0, 0.0],
            [std::f64::consts::PI, 0.0, 0.0],
            [0.0, -std::f64::consts::PI * 0.999_999_9, 0.0],
            [2.0, 1.0, -0.5],
        ] {
            let back = rodrigues_from_rotation(&rotation_from_rodrigues(r));
            let a = rotation_from_rodrigues(back);
            let b = rotation_from_rodrigues(r);
            assert!(rotation_angle_between(&a, &b) < 1e-6, "{r:?} -> {back:?}");
        }
    }

    #[test]
    fn inverse_times_matrix_is_identity() {
        let m = [[2.0, 1.0, 0.5], [0.0, 3.0, -1.0], [1.0, 0.0, 1.0]];
        let p = mul(&m, &invert(&m).unwrap());
        for (r, row) in p.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                assert!((v - IDENTITY[r][c]).abs() < 1e-12);
            }
        }
        assert!(invert(&[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]]).is_none());
    }
}
