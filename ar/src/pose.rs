//! Camera intrinsics and the marker's pose from its four corners with an
//! IPPE-style planar solver (Collins & Bartoli, "Infinitesimal Plane-based
//! Pose Estimation", 2014). A square seen at an angle can look almost the
//! same tilted either way; IPPE returns both poses so the tracker can keep
//! the one that continues the previous frame instead of flipping.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::geometry::{
    IDENTITY, Mat3, Point, apply_homography, cross3, homography_from_4, mul, mul_vec,
    rodrigues_from_rotation, rotation_about, rotation_from_rodrigues,
};

/// Pinhole camera intrinsics in pixels (no lens distortion).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Intrinsics {
    /// Focal length along x, in pixels.
    pub fx: f64,
    /// Focal length along y, in pixels.
    pub fy: f64,
    /// Principal point x (pixel centres at integers).
    pub cx: f64,
    /// Principal point y.
    pub cy: f64,
}

impl Intrinsics {
    /// Intrinsics checked for sense (positive finite focal lengths).
    pub fn new(fx: f64, fy: f64, cx: f64, cy: f64) -> Result<Self> {
        let k = Self { fx, fy, cx, cy };
        k.validate()?;
        Ok(k)
    }

    /// A guess for an uncalibrated camera: square pixels, the principal point
    /// in the middle and the given horizontal field of view in degrees.
    pub fn from_fov(width: usize, height: usize, horizontal_fov_deg: f64) -> Result<Self> {
        if !(1.0..179.0).contains(&horizontal_fov_deg) || width == 0 || height == 0 {
            return Err(Error::BadIntrinsics(format!(
                "field of view {horizontal_fov_deg}° for {width}×{height}"
            )));
        }
        let f = (width as f64 / 2.0) / (horizontal_fov_deg.to_radians() / 2.0).tan();
        Self::new(
            f,
            f,
            (width as f64 - 1.0) / 2.0,
            (height as f64 - 1.0) / 2.0,
        )
    }

    /// Reads a calibration file: JSON `{"fx":…, "fy":…, "cx":…, "cy":…}`
    /// in pixels of the frames it will be used with.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let k: Intrinsics = serde_json::from_str(&text)
            .map_err(|e| Error::bad_file(path, format!("not a calibration: {e}")))?;
        k.validate()
            .map_err(|e| Error::bad_file(path, e.to_string()))?;
        Ok(k)
    }

    /// Parses `FX,FY,CX,CY` (the CLI's `--intrinsics`).
    pub fn parse(text: &str) -> Result<Self> {
        let values: Vec<f64> = text
            .split(',')
            .map(|v| v.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::BadIntrinsics(format!("{text:?}: {e}")))?;
        match values[..] {
            [fx, fy, cx, cy] => Self::new(fx, fy, cx, cy),
            _ => Err(Error::BadIntrinsics(format!(
                "{text:?}: expected four numbers FX,FY,CX,CY"
            ))),
        }
    }

    fn validate(&self) -> Result<()> {
        let ok = [self.fx, self.fy, self.cx, self.cy]
            .iter()
            .all(|v| v.is_finite())
            && self.fx > 0.0
            && self.fy > 0.0;
        if ok {
            Ok(())
        } else {
            Err(Error::BadIntrinsics(format!("{self:?}")))
        }
    }

    /// Pixel to normalised image coordinates (z = 1 plane).
    pub fn normalise(&self, p: Point) -> Point {
        Point::new((p.x - self.cx) / self.fx, (p.y - self.cy) / self.fy)
    }

    /// Projects a point in camera coordinates to pixels; `None` behind the camera.
    pub fn project(&self, x: [f64; 3]) -> Option<Point> {
        (x[2] > 1e-9).then(|| {
            Point::new(
                self.fx * x[0] / x[2] + self.cx,
                self.fy * x[1] / x[2] + self.cy,
            )
        })
    }
}

/// Where a marker is relative to the camera, in OpenCV's convention: camera
/// x right, y down, z forward; the marker's z axis points towards the camera.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pose {
    /// Rotation (marker → camera) as a Rodrigues vector, radians.
    pub rvec: [f64; 3],
    /// The marker centre in camera coordinates, metres.
    pub tvec: [f64; 3],
}

impl Pose {
    /// The rotation matrix (marker → camera).
    pub fn rotation(&self) -> Mat3 {
        rotation_from_rodrigues(self.rvec)
    }

    /// Transforms a point from marker to camera coordinates.
    pub fn to_camera(&self, p: [f64; 3]) -> [f64; 3] {
        let r = mul_vec(&self.rotation(), p);
        [
            r[0] + self.tvec[0],
            r[1] + self.tvec[1],
            r[2] + self.tvec[2],
        ]
    }
}

/// One pose and how well it explains the corners.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoseCandidate {
    /// The pose.
    pub pose: Pose,
    /// Root-mean-square distance in pixels between the detected corners and
    /// the marker's corners projected with this pose.
    pub reprojection_rms: f64,
}

/// The marker's corners in its own frame (OpenCV's order and axes), for a
/// marker of side `size` metres.
pub fn marker_corners(size: f64) -> [[f64; 3]; 4] {
    let h = size / 2.0;
    [[-h, h, 0.0], [h, h, 0.0], [h, -h, 0.0], [-h, -h, 0.0]]
}

/// Both IPPE poses of a square marker of side `size` metres whose corners
/// (OpenCV order) were seen at `corners`; the better-fitting one first.
/// `None` when the corners are degenerate.
pub fn solve_square(
    corners: &[Point; 4],
    size: f64,
    intrinsics: &Intrinsics,
) -> Option<[PoseCandidate; 2]> {
    if size.is_nan() || size <= 0.0 {
        return None;
    }
    let model = marker_corners(size);
    let plane = model.map(|m| Point::new(m[0], m[1]));
    let image = corners.map(|c| intrinsics.normalise(c));
    // Homography from the marker plane to normalised image coordinates.
    let h = homography_from_4(&plane, &image)?;
    // Where the marker's centre (the plane's origin) is seen, and the
    // Jacobian of the plane-to-image map there.
    let v = apply_homography(&h, Point::default())?;
    let (p, q) = (v.x, v.y);
    let w = h[2][2];
    let j = [
        [(h[0][0] - h[2][0] * p) / w, (h[0][1] - h[2][1] * p) / w],
        [(h[1][0] - h[2][0] * q) / w, (h[1][1] - h[2][1] * q) / w],
    ];
    // Rv turns the camera's z axis onto the line of sight through the centre.
    let sight = [p, q, 1.0];
    let sight_len = (p * p + q * q + 1.0).sqrt();
    let rv = if p.hypot(q) < 1e-12 {
        IDENTITY
    } else {
        let axis_len = p.hypot(q);
        rotation_about(
            [-q / axis_len, p / axis_len, 0.0],
            1.0 / sight_len,
            axis_len / sight_len,
        )
    };
    debug_assert!({
        let z = mul_vec(&rv, [0.0, 0.0, 1.0]);
        (z[0] * sight_len - sight[0]).abs() < 1e-9
    });
    // B = ([I | -v] · Rv) restricted to its first two columns.
    let b = [
        [rv[0][0] - p * rv[2][0], rv[0][1] - p * rv[2][1]],
        [rv[1][0] - q * rv[2][0], rv[1][1] - q * rv[2][1]],
    ];
    let det_b = b[0][0] * b[1][1] - b[0][1] * b[1][0];
    if det_b.abs() < 1e-12 {
        return None;
    }
    let b_inv = [
        [b[1][1] / det_b, -b[0][1] / det_b],
        [-b[1][0] / det_b, b[0][0] / det_b],
    ];
    let a = [
        [
            b_inv[0][0] * j[0][0] + b_inv[0][1] * j[1][0],
            b_inv[0][0] * j[0][1] + b_inv[0][1] * j[1][1],
        ],
        [
            b_inv[1][0] * j[0][0] + b_inv[1][1] * j[1][0],
            b_inv[1][0] * j[0][1] + b_inv[1][1] * j[1][1],
        ],
    ];
    // A = R22 / depth: the largest singular value of A is 1 / depth.
    let (a00, a01, a10, a11) = (a[0][0], a[0][1], a[1][0], a[1][1]);
    let sum = a00 * a00 + a01 * a01 + a10 * a10 + a11 * a11;
    let diff = ((a00 * a00 + a01 * a01 - a10 * a10 - a11 * a11).powi(2)
        + 4.0 * (a00 * a10 + a01 * a11).powi(2))
    .sqrt();
    let gamma = (0.5 * (sum + diff)).sqrt();
    if gamma.is_nan() || gamma <= 1e-12 {
        return None;
    }
    let r22 = [[a00 / gamma, a01 / gamma], [a10 / gamma, a11 / gamma]];
    // Complete the 2×2 block to a rotation; the third row's sign is the
    // two-fold ambiguity IPPE is about.
    let b1 = (1.0 - r22[0][0] * r22[0][0] - r22[1][0] * r22[1][0])
        .max(0.0)
        .sqrt();
    let mut b2 = (1.0 - r22[0][1] * r22[0][1] - r22[1][1] * r22[1][1])
        .max(0.0)
        .sqrt();
    if r22[0][0] * r22[0][1] + r22[1][0] * r22[1][1] > 0.0 {
        b2 = -b2;
    }
    let mut out = [None, None];
    for (slot, sign) in out.iter_mut().zip([1.0, -1.0]) {
        let c1 = [r22[0][0], r22[1][0], sign * b1];
        let c2 = [r22[0][1], r22[1][1], sign * b2];
        let c3 = cross3(c1, c2);
        let local = [
            [c1[0], c2[0], c3[0]],
            [c1[1], c2[1], c3[1]],
            [c1[2], c2[2], c3[2]],
        ];
        let r = orthonormalise(&mul(&rv, &local));
        let t = translation_for(&r, &model, &image)?;
        let pose = Pose {
            rvec: rodrigues_from_rotation(&r),
            tvec: t,
        };
        *slot = Some(PoseCandidate {
            pose,
            reprojection_rms: reprojection_rms(&pose, size, corners, intrinsics),
        });
    }
    let [Some(first), Some(second)] = out else {
        return None;
    };
    Some(if first.reprojection_rms <= second.reprojection_rms {
        [first, second]
    } else {
        [second, first]
    })
}

/// RMS pixel distance between `corners` and the marker's corners projected with `pose`.
pub fn reprojection_rms(
    pose: &Pose,
    size: f64,
    corners: &[Point; 4],
    intrinsics: &Intrinsics,
) -> f64 {
    let r = pose.rotation();
    let mut sum = 0.0;
    for (m, c) in marker_corners(size).iter().zip(corners) {
        let x = mul_vec(&r, *m);
        let x = [
            x[0] + pose.tvec[0],
            x[1] + pose.tvec[1],
            x[2] + pose.tvec[2],
        ];
        match intrinsics.project(x) {
            Some(p) => sum += p.distance(*c).powi(2),
            None => return f64::INFINITY,
        }
    }
    (sum / 4.0).sqrt()
}

/// Least-squares translation for a known rotation: each corner gives two
/// equations linear in t (x·(r3·X + t3) = r1·X + t1, likewise for y).
fn translation_for(r: &Mat3, model: &[[f64; 3]; 4], image: &[Point; 4]) -> Option<[f64; 3]> {
    let mut ata = [[0.0; 3]; 3];
    let mut atb = [0.0; 3];
    for (m, u) in model.iter().zip(image) {
        let x = mul_vec(r, *m);
        for (row, rhs) in [
            ([1.0, 0.0, -u.x], u.x * x[2] - x[0]),
            ([0.0, 1.0, -u.y], u.y * x[2] - x[1]),
        ] {
            for i in 0..3 {
                for k in 0..3 {
                    ata[i][k] += row[i] * row[k];
                }
                atb[i] += row[i] * rhs;
            }
        }
    }
    let t = crate::geometry::solve(ata, atb)?;
    (t[2] > 0.0).then_some(t)
}

/// Gram–Schmidt on the columns, removing rounding drift.
fn orthonormalise(r: &Mat3) -> Mat3 {
    let col = |k: usize| [r[0][k], r[1][k], r[2][k]];
    let unit = |v: [f64; 3]| {
        let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        v.map(|x| x / n)
    };
    let c1 = unit(col(0));
    let c2 = col(1);
    let d = c1[0] * c2[0] + c1[1] * c2[1] + c1[2] * c2[2];
    let c2 = unit([c2[0] - d * c1[0], c2[1] - d * c1[1], c2[2] - d * c1[2]]);
    let c3 = cross3(c1, c2);
    [
        [c1[0], c2[0], c3[0]],
        [c1[1], c2[1], c3[1]],
        [c1[2], c2[2], c3[2]],
    ]
}

/// Projects the marker's corners with a pose: the corners a camera with
/// these intrinsics would see.
pub fn project_corners(pose: &Pose, size: f64, intrinsics: &Intrinsics) -> Option<[Point; 4]> {
    let c = marker_corners(size).map(|m| intrinsics.project(pose.to_camera(m)));
    Some([c[0]?, c[1]?, c[2]?, c[3]?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::rotation_angle_between;

    fn camera() -> Intrinsics {
        Intrinsics::from_fov(1280, 720, 60.0).unwrap()
    }

    #[test]
    fn exact_corners_give_back_the_pose() {
        let k = camera();
        for (rvec, tvec) in [
            ([0.3, -0.2, 0.1], [0.05, -0.02, 0.5]),
            ([std::f64::consts::PI * 0.9, 0.1, 0.0], [-0.1, 0.05, 0.8]),
            ([0.0, 0.0, 0.0], [0.0, 0.0, 0.3]),
            ([0.0, 0.9, 0.0], [0.1, 0.1, 1.2]),
        ] {
            let truth = Pose { rvec, tvec };
            let corners = project_corners(&truth, 0.1, &k).unwrap();
            let [best, other] = solve_square(&corners, 0.1, &k).unwrap();
            assert!(best.reprojection_rms < 1e-6, "{best:?}");
            assert!(other.reprojection_rms >= best.reprojection_rms);
            let angle = rotation_angle_between(&best.pose.rotation(), &truth.rotation());
            assert!(angle < 1e-6, "{rvec:?}: {:?}", best.pose);
            for (got, want) in best.pose.tvec.iter().zip(tvec) {
                assert!((got - want).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn fov_default_puts_the_principal_point_in_the_middle() {
        let k = Intrinsics::from_fov(640, 480, 90.0).unwrap();
        assert!((k.fx - 320.0).abs() < 1e-9);
        assert_eq!((k.cx, k.cy), (319.5, 239.5));
        assert!(Intrinsics::from_fov(640, 480, 0.0).is_err());
    }

    #[test]
    fn intrinsics_parse_and_refuse_nonsense() {
        let k = Intrinsics::parse("900, 900,640,360").unwrap();
        assert_eq!(k.fy, 900.0);
        assert!(Intrinsics::parse("900,900,640").is_err());
        assert!(Intrinsics::parse("-1,900,640,360").is_err());
        assert!(Intrinsics::parse("a,b,c,d").is_err());
    }
}
