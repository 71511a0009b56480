//! Where things go: the map's size, the road's control points, the nodes
//! evenly spaced by arc length along it, and the zones that group them.

use super::noise::SplitMix64;
use super::spline::{ArcLengthTable, CatmullRom, Point};

/// Smallest map side, in tiles.
pub const MIN_SIDE: u32 = 24;
/// Largest map side, in tiles: 1024² one-byte tiles plus a `u32` zone each
/// is about 5 MiB.
pub const MAX_SIDE: u32 = 1024;
/// Tiles kept clear between the road's control points and the map edge.
const MARGIN: f64 = 2.0;
/// Closest two passes of the serpentine may be, centre to centre.
const MIN_ROW_GAP: f64 = 6.0;
/// Road length aimed for per milestone, so nodes sit about this far apart.
const TARGET_SPACING: f64 = 3.0;
/// Distance between control points along a pass.
const CONTROL_STEP: f64 = 8.0;
/// Largest sideways wobble of a control point, in tiles.
const MAX_WOBBLE: f64 = 4.0;
/// Longest chord of the sampled road: half a tile, fine enough to paint.
pub const SAMPLE_STEP: f64 = 0.5;

/// Map side for `n` milestones: `ceil(24 + 6·√n)`, at least 24 and at most 1024.
pub fn side_for(n: usize) -> u32 {
    let side = (f64::from(MIN_SIDE) + 6.0 * (n as f64).sqrt()).ceil();
    side.clamp(f64::from(MIN_SIDE), f64::from(MAX_SIDE)) as u32
}

/// The road's control points: a serpentine of horizontal passes (enough of
/// them that the road is about `3·n` tiles long, or twice the map side for
/// small maps, but never closer than 6 tiles apart), each wobbling by a
/// seeded jitter, then turned by a seeded choice of transpose and mirrors so
/// that maps start from any corner.
pub fn control_points(side: u32, n: usize, rng: &mut SplitMix64) -> Vec<Point> {
    let side_f = f64::from(side);
    let usable = side_f - 2.0 * MARGIN;
    let max_rows = ((usable / MIN_ROW_GAP).floor() as usize).max(1);
    let target = (TARGET_SPACING * n as f64).max(2.0 * side_f);
    let rows = ((target / usable).ceil() as usize).clamp(1, max_rows);
    let gap = usable / rows as f64;
    // The U-turn between passes bulges past its end points; keep it inside.
    let inset = if rows > 1 {
        (0.4 * gap).min(side_f / 8.0) + 1.0
    } else {
        0.0
    };
    let (x_lo, x_hi) = (MARGIN + inset, side_f - MARGIN - inset);
    let width = x_hi - x_lo;
    let steps = ((width / CONTROL_STEP).ceil() as usize).max(2);
    let dx = width / steps as f64;
    let wobble = (0.2 * gap).min(MAX_WOBBLE);

    let mut points = Vec::with_capacity(rows * (steps + 1));
    for row in 0..rows {
        let y = MARGIN + gap * (row as f64 + 0.5);
        for k in 0..=steps {
            let k = if row % 2 == 0 { k } else { steps - k };
            let end = k == 0 || k == steps;
            let jx = if end { 0.0 } else { rng.signed() * 0.3 * dx };
            // Pass ends stay level so each U-turn is a clean half loop.
            let jy = if end && rows > 1 {
                0.0
            } else {
                rng.signed() * wobble
            };
            points.push([x_lo + dx * k as f64 + jx, y + jy]);
        }
    }

    let bits = rng.next_u64();
    let (transpose, flip_x, flip_y) = (bits & 1 == 1, bits & 2 == 2, bits & 4 == 4);
    for p in &mut points {
        if transpose {
            p.swap(0, 1);
        }
        if flip_x {
            p[0] = side_f - p[0];
        }
        if flip_y {
            p[1] = side_f - p[1];
        }
    }
    points
}

/// The sampled road through `control`, kept half a tile inside the map.
pub fn road(side: u32, control: Vec<Point>) -> ArcLengthTable {
    let hi = f64::from(side) - 0.5;
    let spline = CatmullRom::new(control);
    ArcLengthTable::sample(&spline, SAMPLE_STEP, |p| {
        [p[0].clamp(0.5, hi), p[1].clamp(0.5, hi)]
    })
}

/// Arc length of node `i` (0-based) of `n`: `(i + 0.5)·L / n`, the middle of
/// its equal share of the road.
pub fn node_arc_length(i: usize, n: usize, length: f64) -> f64 {
    (i as f64 + 0.5) * length / n.max(1) as f64
}

/// The tile under a point, clamped onto a `side`-wide map.
pub fn tile_of(p: Point, side: u32) -> (u32, u32) {
    let max = f64::from(side.saturating_sub(1));
    (
        p[0].floor().clamp(0.0, max) as u32,
        p[1].floor().clamp(0.0, max) as u32,
    )
}

/// Zone of each node: a new zone starts at every section node; quest nodes
/// join the zone of the section before them, and quests before the first
/// section share a leading zone of their own. Returns the zone per node and
/// the index of each zone's first node.
pub fn zone_starts(is_section: impl Iterator<Item = bool>) -> (Vec<u32>, Vec<usize>) {
    let mut zone_of_node = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    for (i, section) in is_section.enumerate() {
        if section || starts.is_empty() {
            starts.push(i);
        }
        zone_of_node.push((starts.len() - 1) as u32);
    }
    (zone_of_node, starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_follows_the_rule_and_is_capped() {
        assert_eq!(side_for(0), 24);
        assert_eq!(side_for(1), 30);
        assert_eq!(side_for(100), 84);
        assert_eq!(side_for(50_000), 1024);
        let mut last = 0;
        for n in 0..20_000 {
            let s = side_for(n);
            assert!(s >= last);
            last = s;
        }
    }

    #[test]
    fn control_points_stay_inside_the_margin() {
        for n in [1, 10, 300, 5_000] {
            let side = side_for(n);
            let mut rng = SplitMix64::new(n as u64);
            for p in control_points(side, n, &mut rng) {
                assert!(
                    p[0] >= MARGIN - 1e-9 && p[0] <= f64::from(side) - MARGIN + 1e-9,
                    "{p:?}"
                );
                assert!(
                    p[1] >= MARGIN - 1e-9 && p[1] <= f64::from(side) - MARGIN + 1e-9,
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn the_road_is_long_enough_for_three_tiles_per_node() {
        for n in [1, 50, 300, 5_000, 50_000] {
            let side = side_for(n);
            let table = road(side, control_points(side, n, &mut SplitMix64::new(9)));
            assert!(
                table.length() >= 3.0 * n as f64,
                "n {n}: length {}",
                table.length()
            );
        }
    }

    #[test]
    fn zones_start_at_sections() {
        let (zones, starts) = zone_starts([false, false, true, false, true].into_iter());
        assert_eq!(zones, vec![0, 0, 1, 1, 2]);
        assert_eq!(starts, vec![0, 2, 4]);
        let (zones, starts) = zone_starts([true, false, true].into_iter());
        assert_eq!(zones, vec![0, 0, 1]);
        assert_eq!(starts, vec![0, 2]);
        let (zones, starts) = zone_starts([false, false].into_iter());
        assert_eq!(zones, vec![0, 0]);
        assert_eq!(starts, vec![0]);
    }
}
