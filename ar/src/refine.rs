//! Sub-pixel corners: each side of the marker's black border is located
//! along its length from the grey image's edge profile, a straight line is
//! fitted through those edge points, and neighbouring lines are intersected.
//! Fitting whole sides uses every edge pixel, so it is steadier under noise
//! and blur than looking at the corner pixels alone.

use crate::geometry::Point;
use crate::image::LumaImage;

/// Edge points per side at most (more adds time, not accuracy).
const MAX_SAMPLES: usize = 40;
/// Fewest edge points a side needs for a line.
const MIN_SAMPLES: usize = 4;
/// Weakest edge (grey levels per pixel) taken as the border's edge.
const MIN_EDGE: f64 = 4.0;

/// A fitted side: a point on it and its unit direction.
#[derive(Debug, Clone, Copy)]
struct Line {
    point: Point,
    dir: Point,
}

/// Moves screen-clockwise `corners` onto the intersections of lines fitted
/// to the dark-to-light edges of the quad's sides. Two passes: the second
/// searches a narrower band around the first pass's lines. Returns `None`
/// when a side shows no clear edge.
pub(crate) fn refine_corners(image: &LumaImage, corners: &[Point; 4]) -> Option<[Point; 4]> {
    let mut current = *corners;
    for pass in 0..2 {
        let mut lines = [Line {
            point: Point::default(),
            dir: Point::default(),
        }; 4];
        for (k, line) in lines.iter_mut().enumerate() {
            let a = current[k];
            let b = current[(k + 1) % 4];
            let len = a.distance(b);
            // Search far enough to cover the rough corners' error, but stay
            // inside one border cell so the data cells' edges are never seen.
            let cell = len / 6.0;
            let reach = if pass == 0 {
                (len * 0.05).clamp(2.5, 6.0).min(cell * 0.8)
            } else {
                1.5_f64.min(cell * 0.8)
            };
            *line = fit_side(image, a, b, reach.max(1.0))?;
        }
        let mut next = current;
        for (k, corner) in next.iter_mut().enumerate() {
            // Corner k joins the side arriving (k-1 → k) and leaving (k → k+1).
            *corner = intersect(lines[(k + 3) % 4], lines[k])?;
        }
        // A refinement that moves a corner far has latched onto something
        // else: keep the quad honest.
        let moved = (0..4)
            .map(|k| next[k].distance(current[k]))
            .fold(0.0, f64::max);
        let side = (0..4)
            .map(|k| current[k].distance(current[(k + 1) % 4]))
            .fold(f64::INFINITY, f64::min);
        if moved > (side * 0.25).max(3.0) {
            return None;
        }
        current = next;
    }
    Some(current)
}

/// Fits a line to the edge between the dark border (inside) and the light
/// surround (outside) along the side from `a` to `b`.
fn fit_side(image: &LumaImage, a: Point, b: Point, reach: f64) -> Option<Line> {
    let d = b.sub(a);
    let len = d.norm();
    if len < 4.0 {
        return None;
    }
    let dir = d.scale(1.0 / len);
    // Outward normal: sides run screen-clockwise, so the outside is on the left.
    let normal = Point::new(dir.y, -dir.x);
    // Keep clear of the corners, where the neighbouring side's edge crosses.
    let margin = (reach * 1.5 + 1.0).min(len * 0.3);
    let usable = len - 2.0 * margin;
    if usable <= 0.0 {
        return None;
    }
    let count = ((usable / 1.5) as usize).clamp(MIN_SAMPLES, MAX_SAMPLES);
    let steps = (reach.ceil() as usize) * 2 + 1;
    let half = (steps / 2) as f64;
    let mut profile = [0.0f64; 16];
    let steps = steps.min(profile.len());

    // Weighted sums for the line fit (centroid and scatter).
    let (mut sw, mut sx, mut sy, mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut found = 0;
    for i in 0..count {
        let t = margin + usable * (i as f64 + 0.5) / count as f64;
        let base = a.add(dir.scale(t));
        for (s, v) in profile.iter_mut().enumerate().take(steps) {
            let p = base.add(normal.scale(s as f64 - half));
            *v = image.sample(p.x, p.y);
        }
        // Strongest rise (dark → light going outwards).
        let (mut peak, mut peak_v) = (0, 0.0);
        for s in 0..steps - 1 {
            let g = profile[s + 1] - profile[s];
            if g > peak_v {
                peak = s;
                peak_v = g;
            }
        }
        if peak_v < MIN_EDGE {
            continue;
        }
        // The centroid of the rises around the peak is where the edge is:
        // for an area-sampled step it lands exactly on the edge.
        let (mut gw, mut gs) = (0.0, 0.0);
        let lo = peak.saturating_sub(2);
        let hi = (peak + 2).min(steps - 2);
        for s in lo..=hi {
            let g = profile[s + 1] - profile[s];
            if g > 0.0 {
                gw += g;
                gs += g * (s as f64 + 0.5);
            }
        }
        let offset = gs / gw - half;
        let p = base.add(normal.scale(offset));
        let w = peak_v;
        sw += w;
        sx += w * p.x;
        sy += w * p.y;
        sxx += w * p.x * p.x;
        sxy += w * p.x * p.y;
        syy += w * p.y * p.y;
        found += 1;
    }
    if found < MIN_SAMPLES || sw <= 0.0 {
        return None;
    }
    let (cx, cy) = (sx / sw, sy / sw);
    let cxx = sxx / sw - cx * cx;
    let cxy = sxy / sw - cx * cy;
    let cyy = syy / sw - cy * cy;
    // Principal direction of the scatter (closed form for 2×2).
    let angle = 0.5 * (2.0 * cxy).atan2(cxx - cyy);
    let mut fitted = Point::new(angle.cos(), angle.sin());
    if fitted.x * dir.x + fitted.y * dir.y < 0.0 {
        fitted = fitted.scale(-1.0);
    }
    Some(Line {
        point: Point::new(cx, cy),
        dir: fitted,
    })
}

fn intersect(l1: Line, l2: Line) -> Option<Point> {
    let denom = l1.dir.cross(l2.dir);
    if denom.abs() < 1e-6 {
        return None;
    }
    let t = l2.point.sub(l1.point).cross(l2.dir) / denom;
    Some(l1.point.add(l1.dir.scale(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_of_an_area_sampled_square_are_found_to_a_tenth_of_a_pixel() {
        // Dark square with edges at x = 20.3 and 60.3, y = 15.6 and 55.6.
        let (w, h) = (90, 80);
        let mut img = LumaImage::new(w, h);
        for y in 0..h {
            for x in 0..w {
                let cover =
                    |c: f64, lo: f64, hi: f64| ((c + 0.5).min(hi) - (c - 0.5).max(lo)).max(0.0);
                let inside = cover(x as f64, 20.3, 60.3) * cover(y as f64, 15.6, 55.6);
                img.pixels_mut()[y * w + x] = (220.0 - 190.0 * inside).round() as u8;
            }
        }
        let rough = [
            Point::new(21.0, 16.0),
            Point::new(59.0, 17.0),
            Point::new(60.0, 55.0),
            Point::new(21.0, 54.0),
        ];
        let got = refine_corners(&img, &rough).unwrap();
        // Pixel centres at integers: an edge at 20.3 in area terms is the
        // boundary between pixel 20 (covering 19.5..20.5) and beyond, so the
        // corner in pixel-centre coordinates is also 20.3.
        let want = [(20.3, 15.6), (60.3, 15.6), (60.3, 55.6), (20.3, 55.6)];
        for k in 0..4 {
            let e = got[k].distance(Point::new(want[k].0, want[k].1));
            assert!(e < 0.1, "corner {k}: {:?} vs {:?}", got[k], want[k]);
        }
    }
}
