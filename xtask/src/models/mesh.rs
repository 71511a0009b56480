//! Low-poly shapes for the component models: boxes and prisms with flat
//! normals (the faceted look of the overlays), built in metres.

/// A surface finish, written as a glTF PBR material.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Material {
    pub name: &'static str,
    /// Linear RGBA.
    pub color: [f32; 4],
    pub metallic: f32,
    pub roughness: f32,
}

/// Triangles of one material.
#[derive(Debug, Clone)]
pub struct Part {
    pub material: Material,
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub indices: Vec<u32>,
}

type V = [f32; 3];

fn sub(a: V, b: V) -> V {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn cross(a: V, b: V) -> V {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: V, b: V) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn normalise(a: V) -> V {
    let len = dot(a, a).sqrt();
    if len == 0.0 {
        a
    } else {
        [a[0] / len, a[1] / len, a[2] / len]
    }
}

/// Which way a prism's axis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    X,
    Y,
    Z,
}

/// Turns a point built around the Y axis so that axis becomes `axis`
/// (proper rotations, so windings stay counter-clockwise).
fn orient(p: V, axis: Axis) -> V {
    match axis {
        Axis::Y => p,
        // -90° about Z: +Y goes to +X.
        Axis::X => [p[1], -p[0], p[2]],
        // +90° about X: +Y goes to +Z.
        Axis::Z => [p[0], -p[2], p[1]],
    }
}

impl Part {
    /// An empty part in `material`.
    pub fn new(material: Material) -> Self {
        Part {
            material,
            positions: Vec::new(),
            normals: Vec::new(),
            indices: Vec::new(),
        }
    }

    /// A flat polygon (convex, in order around its edge), facing away from
    /// `inside`.
    fn face(&mut self, corners: &[V], inside: V) {
        let mut n = normalise(cross(
            sub(corners[1], corners[0]),
            sub(corners[2], corners[0]),
        ));
        let centre = corners.iter().fold([0.0; 3], |acc, c| {
            [acc[0] + c[0], acc[1] + c[1], acc[2] + c[2]]
        });
        let centre = centre.map(|c| c / corners.len() as f32);
        let flip = dot(n, sub(centre, inside)) < 0.0;
        if flip {
            n = n.map(|c| -c);
        }
        let base = self.positions.len() as u32;
        for c in corners {
            self.positions.push(*c);
            self.normals.push(n);
        }
        for i in 1..corners.len() as u32 - 1 {
            if flip {
                self.indices.extend([base, base + i + 1, base + i]);
            } else {
                self.indices.extend([base, base + i, base + i + 1]);
            }
        }
    }

    /// A box centred at `centre`, turned `angle` radians about the Z axis.
    pub fn cuboid(mut self, centre: V, size: V, angle: f32) -> Self {
        let (s, c) = angle.sin_cos();
        let h = size.map(|v| v / 2.0);
        let corner = |x: f32, y: f32, z: f32| -> V {
            let (lx, ly) = (x * h[0], y * h[1]);
            [
                centre[0] + lx * c - ly * s,
                centre[1] + lx * s + ly * c,
                centre[2] + z * h[2],
            ]
        };
        let p: Vec<V> = [
            (-1., -1., -1.),
            (1., -1., -1.),
            (1., 1., -1.),
            (-1., 1., -1.),
            (-1., -1., 1.),
            (1., -1., 1.),
            (1., 1., 1.),
            (-1., 1., 1.),
        ]
        .iter()
        .map(|&(x, y, z)| corner(x, y, z))
        .collect();
        for quad in [
            [0, 3, 2, 1],
            [4, 5, 6, 7],
            [0, 1, 5, 4],
            [2, 3, 7, 6],
            [1, 2, 6, 5],
            [0, 4, 7, 3],
        ] {
            self.face(&quad.map(|i| p[i]), centre);
        }
        self
    }

    /// A prism with `sides` flat sides (a faceted cylinder), its axis along
    /// `axis` through `centre`.
    pub fn prism(mut self, centre: V, radius: f32, length: f32, sides: u32, axis: Axis) -> Self {
        let ring = |y: f32| -> Vec<V> {
            (0..sides)
                .map(|k| {
                    let a = std::f32::consts::TAU * k as f32 / sides as f32;
                    let local = orient([radius * a.cos(), y, radius * a.sin()], axis);
                    [
                        centre[0] + local[0],
                        centre[1] + local[1],
                        centre[2] + local[2],
                    ]
                })
                .collect()
        };
        let (bottom, top) = (ring(-length / 2.0), ring(length / 2.0));
        for k in 0..sides as usize {
            let j = (k + 1) % sides as usize;
            self.face(&[bottom[k], bottom[j], top[j], top[k]], centre);
        }
        self.face(&bottom, centre);
        self.face(&top, centre);
        self
    }

    /// Smallest and largest coordinates, for the glTF accessor.
    pub fn bounds(&self) -> (V, V) {
        let mut min = [f32::INFINITY; 3];
        let mut max = [f32::NEG_INFINITY; 3];
        for p in &self.positions {
            for i in 0..3 {
                min[i] = min[i].min(p[i]);
                max[i] = max[i].max(p[i]);
            }
        }
        (min, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GREY: Material = Material {
        name: "grey",
        color: [0.5, 0.5, 0.5, 1.0],
        metallic: 0.0,
        roughness: 0.5,
    };

    /// Every triangle's winding agrees with its normal, and normals point
    /// away from the shape's centre (what back-face culling relies on).
    fn outward(part: &Part, centre: V) {
        for t in part.indices.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|i| part.positions[t[i] as usize]);
            let n = part.normals[t[0] as usize];
            let wound = cross(sub(b, a), sub(c, a));
            assert!(dot(wound, n) > 0.0, "winding disagrees with the normal");
            assert!(dot(n, sub(a, centre)) > -1e-6, "normal points inwards");
        }
    }

    #[test]
    fn boxes_and_prisms_face_outwards_in_every_orientation() {
        outward(
            &Part::new(GREY).cuboid([1.0, 2.0, 3.0], [0.2, 0.4, 0.6], 0.7),
            [1.0, 2.0, 3.0],
        );
        for axis in [Axis::X, Axis::Y, Axis::Z] {
            let part = Part::new(GREY).prism([0.5, 0.0, -0.5], 0.1, 0.3, 7, axis);
            outward(&part, [0.5, 0.0, -0.5]);
            let (min, max) = part.bounds();
            let extent = sub(max, min);
            let long = match axis {
                Axis::X => 0,
                Axis::Y => 1,
                Axis::Z => 2,
            };
            assert!((extent[long] - 0.3).abs() < 1e-5, "{axis:?}: {extent:?}");
        }
    }
}
