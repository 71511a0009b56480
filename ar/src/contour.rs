//! Outer borders of ink blobs in a binary image (Suzuki–Abe border
//! following), and their reduction to quadrilaterals.

use crate::geometry::Point;
use crate::threshold::INK;

/// A border pixel already walked by the tracer.
const TRACED: u8 = 1;

/// The eight neighbours, clockwise as seen on screen (y grows downwards),
/// starting east.
const DIRS: [(isize, isize); 8] = [
    (1, 0),
    (1, 1),
    (0, 1),
    (-1, 1),
    (-1, 0),
    (-1, -1),
    (0, -1),
    (1, -1),
];
const WEST: usize = 4;

/// Outer borders found in one frame, stored back to back to avoid
/// per-border allocations.
#[derive(Debug, Default)]
pub(crate) struct Borders {
    points: Vec<(i32, i32)>,
    spans: Vec<(usize, usize)>,
}

impl Borders {
    /// The borders, each a closed chain of pixel positions.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[(i32, i32)]> {
        self.spans.iter().map(|&(a, b)| &self.points[a..b])
    }

    /// Finds the outer border of every ink blob whose border is between
    /// `min_len` and `max_len` pixels long. `binary` must have a clear
    /// one-pixel frame; traced pixels are marked in it.
    pub(crate) fn trace(
        &mut self,
        binary: &mut [u8],
        width: usize,
        height: usize,
        min_len: usize,
        max_len: usize,
    ) {
        self.points.clear();
        self.spans.clear();
        if width < 3 || height < 3 {
            return;
        }
        let offsets = DIRS.map(|(dx, dy)| dy * width as isize + dx);
        for y in 1..height - 1 {
            let row = y * width;
            let mut x = 0;
            loop {
                x = next_ink(&binary[row..row + width], x + 1);
                if x >= width - 1 {
                    break;
                }
                let i = row + x;
                // A border starts wherever an untraced ink pixel has
                // background to its left: either a blob's outer border or
                // the border of a hole in it; the winding tells them apart.
                if binary[i - 1] != 0 {
                    continue;
                }
                let start = self.points.len();
                let area2 = follow(binary, width, i, &offsets, &mut self.points);
                let len = self.points.len() - start;
                // Outer borders wind one way, hole borders the other.
                if area2 < 0 && len >= min_len && len <= max_len {
                    self.spans.push((start, self.points.len()));
                } else {
                    self.points.truncate(start);
                }
            }
        }
    }
}

/// The first untraced ink pixel in `row` at or after `from` (the row's
/// length when there is none). Most of a frame is background, so it is
/// skipped eight pixels at a time: of the values in the binary image
/// (0, [`TRACED`], [`INK`]) only ink has its top bit set.
fn next_ink(row: &[u8], from: usize) -> usize {
    let mut x = from;
    while let Some(eight) = row.get(x..).and_then(<[u8]>::first_chunk::<8>) {
        if u64::from_ne_bytes(*eight) & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        x += 8;
    }
    row.get(x..)
        .and_then(|rest| rest.iter().position(|&b| b == INK))
        .map_or(row.len(), |k| x + k)
}

/// Walks one border from pixel `start` (background on its west), marking its
/// pixels and appending them to `out`. Returns twice the signed area.
fn follow(
    binary: &mut [u8],
    width: usize,
    start: usize,
    offsets: &[isize; 8],
    out: &mut Vec<(i32, i32)>,
) -> i64 {
    let at = |i: usize| ((i % width) as i32, (i / width) as i32);
    let step = |i: usize, d: usize| (i as isize + offsets[d]) as usize;
    // Step 3.1: first ink neighbour clockwise from the west.
    let Some(first_dir) = (0..8)
        .map(|k| (WEST + k) % 8)
        .find(|&d| binary[step(start, d)] != 0)
    else {
        binary[start] = TRACED;
        out.push(at(start));
        return 0;
    };
    let first = step(start, first_dir);
    let mut current = start;
    // Direction from `current` back to the previous pixel.
    let mut back = first_dir;
    let mut area2 = 0i64;
    loop {
        binary[current] = TRACED;
        let p = at(current);
        out.push(p);
        // Step 3.3: counter-clockwise from the one after the previous pixel.
        let mut d = (back + 7) % 8;
        let mut next = step(current, d);
        for _ in 0..8 {
            if binary[next] != 0 {
                break;
            }
            d = (d + 7) % 8;
            next = step(current, d);
        }
        let q = at(next);
        area2 += p.0 as i64 * q.1 as i64 - q.0 as i64 * p.1 as i64;
        if next == start && current == first {
            return area2;
        }
        back = (d + 4) % 8;
        current = next;
    }
}

/// The four corners of a border that is (nearly) a convex quadrilateral,
/// by Douglas–Peucker simplification with a tolerance of `accuracy` × the
/// border's length; `None` when it simplifies to anything else.
pub(crate) fn quad_corners(border: &[(i32, i32)], accuracy: f64) -> Option<[Point; 4]> {
    let n = border.len();
    if n < 8 {
        return None;
    }
    let pt = |i: usize| {
        let (x, y) = border[i % n];
        Point::new(x as f64, y as f64)
    };
    let far_from = |a: Point| {
        (0..n)
            .max_by(|&i, &j| {
                let di = pt(i).sub(a);
                let dj = pt(j).sub(a);
                (di.x * di.x + di.y * di.y).total_cmp(&(dj.x * dj.x + dj.y * dj.y))
            })
            .unwrap_or(0)
    };
    let a = far_from(pt(0));
    let b = far_from(pt(a));
    if a == b {
        return None;
    }
    let (a, b) = (a.min(b), a.max(b));
    let eps = accuracy * n as f64;
    let mut vertices = [0usize; 5];
    let mut count = 0;
    push_vertex(&mut vertices, &mut count, a)?;
    simplify(&pt, a, b, eps, &mut vertices, &mut count)?;
    push_vertex(&mut vertices, &mut count, b)?;
    simplify(&pt, b, a + n, eps, &mut vertices, &mut count)?;
    if count != 4 {
        return None;
    }
    let mut corners = [0, 1, 2, 3].map(|k| pt(vertices[k]));
    // Screen-clockwise order (positive shoelace sum with y down).
    let area2: f64 = (0..4).map(|k| corners[k].cross(corners[(k + 1) % 4])).sum();
    if area2 < 0.0 {
        corners.swap(1, 3);
    }
    is_convex(&corners).then_some(corners)
}

fn push_vertex(vertices: &mut [usize; 5], count: &mut usize, v: usize) -> Option<()> {
    // More than four vertices: not a quad, stop early.
    *vertices.get_mut(*count)? = v;
    *count += 1;
    (*count <= 4).then_some(())
}

/// Adds the vertices strictly between indices `from` and `to` (which may
/// run past the end: indices wrap).
fn simplify(
    pt: &impl Fn(usize) -> Point,
    from: usize,
    to: usize,
    eps: f64,
    vertices: &mut [usize; 5],
    count: &mut usize,
) -> Option<()> {
    if to <= from + 1 {
        return Some(());
    }
    let (a, b) = (pt(from), pt(to));
    let dir = b.sub(a);
    let len = dir.norm().max(1e-9);
    let (mut best, mut best_d) = (from, -1.0);
    for i in from + 1..to {
        let d = dir.cross(pt(i).sub(a)).abs() / len;
        if d > best_d {
            best = i;
            best_d = d;
        }
    }
    if best_d > eps {
        simplify(pt, from, best, eps, vertices, count)?;
        push_vertex(vertices, count, best)?;
        simplify(pt, best, to, eps, vertices, count)?;
    }
    Some(())
}

/// Whether the quad's turns all go the same way.
pub(crate) fn is_convex(c: &[Point; 4]) -> bool {
    let turns = (0..4).map(|k| {
        let e1 = c[(k + 1) % 4].sub(c[k]);
        let e2 = c[(k + 2) % 4].sub(c[(k + 1) % 4]);
        e1.cross(e2)
    });
    let mut sign = 0.0;
    for t in turns {
        if t == 0.0 || (sign != 0.0 && t.signum() != sign) {
            return false;
        }
        sign = t.signum();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(w: usize, h: usize, x0: usize, y0: usize, s: usize, hole: usize) -> Vec<u8> {
        let mut b = vec![0u8; w * h];
        for y in y0..y0 + s {
            for x in x0..x0 + s {
                let inner =
                    x >= x0 + hole && x < x0 + s - hole && y >= y0 + hole && y < y0 + s - hole;
                if hole == 0 || !inner {
                    b[y * w + x] = INK;
                }
            }
        }
        b
    }

    #[test]
    fn a_ring_gives_one_outer_border_and_its_quad() {
        let mut b = square(50, 50, 10, 12, 20, 4);
        let mut borders = Borders::default();
        borders.trace(&mut b, 50, 50, 8, 1000);
        let all: Vec<_> = borders.iter().collect();
        assert_eq!(all.len(), 1, "hole border must not be reported");
        assert_eq!(all[0].len(), 4 * 19);
        let q = quad_corners(all[0], 0.03).unwrap();
        let mut xs: Vec<_> = q.iter().map(|p| (p.x as i32, p.y as i32)).collect();
        xs.sort();
        assert_eq!(xs, vec![(10, 12), (10, 31), (29, 12), (29, 31)]);
        // Screen-clockwise: positive shoelace sum.
        let area2: f64 = (0..4).map(|k| q[k].cross(q[(k + 1) % 4])).sum();
        assert!(area2 > 0.0);
    }

    #[test]
    fn a_blob_inside_a_hole_has_its_own_border() {
        let mut b = square(60, 60, 5, 5, 50, 6);
        for y in 25..35 {
            for x in 25..35 {
                b[y * 60 + x] = INK;
            }
        }
        let mut borders = Borders::default();
        borders.trace(&mut b, 60, 60, 8, 1000);
        assert_eq!(borders.iter().count(), 2);
    }

    #[test]
    fn a_triangle_is_not_a_quad() {
        let w = 60;
        let mut b = vec![0u8; w * w];
        for y in 10..50 {
            for x in 10..(10 + (y - 10)) {
                b[y * w + x] = INK;
            }
        }
        let mut borders = Borders::default();
        borders.trace(&mut b, w, w, 8, 1000);
        let all: Vec<_> = borders.iter().collect();
        assert_eq!(all.len(), 1);
        assert!(quad_corners(all[0], 0.03).is_none());
    }
}
