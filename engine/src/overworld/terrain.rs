//! Tiles: the base terrain from fractal noise, then the road painted over it
//! (bridges over water), clearings under nodes, and each tile's zone.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::noise::fractal_rows;
use super::spline::Point;

/// What one map tile is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Terrain {
    /// Lakes and sea; the road crosses it only as a bridge.
    Water,
    /// Shore.
    Sand,
    /// Open land.
    Grass,
    /// Woods.
    Forest,
    /// Rolling high ground.
    Hills,
    /// Peaks.
    Mountains,
    /// The road between milestones.
    Road,
    /// The road where it crosses water.
    Bridge,
}

impl Terrain {
    /// Whether the road runs on this tile (road or bridge).
    pub fn is_road(self) -> bool {
        matches!(self, Self::Road | Self::Bridge)
    }
}

/// Noise octaves: enough for ragged coasts, few enough to stay fast.
const OCTAVES: u32 = 4;

/// Height thresholds, in noise units `[0, 1)`, from low to high.
const WATER_BELOW: f64 = 0.36;
const SAND_BELOW: f64 = 0.40;
const GRASS_BELOW: f64 = 0.56;
const FOREST_BELOW: f64 = 0.64;
const HILLS_BELOW: f64 = 0.72;

/// The terrain for a height.
fn classify(height: f64) -> Terrain {
    if height < WATER_BELOW {
        Terrain::Water
    } else if height < SAND_BELOW {
        Terrain::Sand
    } else if height < GRASS_BELOW {
        Terrain::Grass
    } else if height < FOREST_BELOW {
        Terrain::Forest
    } else if height < HILLS_BELOW {
        Terrain::Hills
    } else {
        Terrain::Mountains
    }
}

/// Base terrain of a `side`×`side` map, row-major. Features are about a
/// third of a small map across and at most 64 tiles on a large one, so large
/// maps get more lakes and ranges rather than bigger ones.
pub fn base(side: u32, seed: u64) -> Vec<Terrain> {
    let wavelength = (f64::from(side) / 3.0).clamp(12.0, 64.0);
    let freq = 1.0 / wavelength;
    let mut tiles = Vec::with_capacity((side as usize) * (side as usize));
    fractal_rows(seed, side, freq, OCTAVES, |_, row| {
        tiles.extend(row.iter().map(|&h| classify(h)));
    });
    tiles
}

/// Paints the polyline onto the tiles: every tile a segment passes through
/// becomes road, or bridge where it was water.
pub fn paint_road(tiles: &mut [Terrain], side: u32, road: &[Point]) {
    let mut mark = |p: Point| {
        let (x, y) = (p[0].floor(), p[1].floor());
        if x < 0.0 || y < 0.0 || x >= f64::from(side) || y >= f64::from(side) {
            return;
        }
        let i = y as usize * side as usize + x as usize;
        tiles[i] = match tiles[i] {
            Terrain::Water | Terrain::Bridge => Terrain::Bridge,
            _ => Terrain::Road,
        };
    };
    if let Some(&first) = road.first() {
        mark(first);
    }
    for pair in road.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        // Steps of at most a quarter tile: no tile the chord crosses is skipped
        // except corner clips, which leave the road 8-connected.
        let steps = ((len * 4.0).ceil() as usize).max(1);
        for k in 1..=steps {
            let w = k as f64 / steps as f64;
            mark([a[0] + (b[0] - a[0]) * w, a[1] + (b[1] - a[1]) * w]);
        }
    }
}

/// Makes a node's tile road (bridge over water) and turns its four
/// neighbours that are neither road nor water into grass, so that a node is
/// never drawn on a peak or in a wood and can always be stepped onto.
pub fn clear_node(tiles: &mut [Terrain], side: u32, tile: (u32, u32)) {
    let (x, y) = tile;
    let at = |x: u32, y: u32| y as usize * side as usize + x as usize;
    let own = at(x, y);
    tiles[own] = match tiles[own] {
        Terrain::Water | Terrain::Bridge => Terrain::Bridge,
        _ => Terrain::Road,
    };
    let neighbours = [
        (x.checked_sub(1), Some(y)),
        (x.checked_add(1).filter(|&v| v < side), Some(y)),
        (Some(x), y.checked_sub(1)),
        (Some(x), y.checked_add(1).filter(|&v| v < side)),
    ];
    for (nx, ny) in neighbours {
        if let (Some(nx), Some(ny)) = (nx, ny) {
            let i = at(nx, ny);
            if !tiles[i].is_road() && tiles[i] != Terrain::Water {
                tiles[i] = Terrain::Grass;
            }
        }
    }
}

/// Each tile's zone: the zone of the nearest seeded tile by 4-connected
/// steps (a breadth-first flood from every seed at once; ties go to the
/// seed listed first). `seeds` are `(tile index, zone)`; with no seeds every
/// tile is zone 0.
pub fn flood_zones(side: u32, seeds: &[(usize, u32)]) -> Vec<u32> {
    let count = side as usize * side as usize;
    let mut zone = vec![u32::MAX; count];
    let mut queue = VecDeque::with_capacity(seeds.len());
    for &(i, z) in seeds {
        if i < count && zone[i] == u32::MAX {
            zone[i] = z;
            queue.push_back(i);
        }
    }
    let s = side as usize;
    while let Some(i) = queue.pop_front() {
        let (x, y) = (i % s, i / s);
        let z = zone[i];
        let mut visit = |j: usize| {
            if zone[j] == u32::MAX {
                zone[j] = z;
                queue.push_back(j);
            }
        };
        if x > 0 {
            visit(i - 1);
        }
        if x + 1 < s {
            visit(i + 1);
        }
        if y > 0 {
            visit(i - s);
        }
        if y + 1 < s {
            visit(i + s);
        }
    }
    for z in &mut zone {
        if *z == u32::MAX {
            *z = 0;
        }
    }
    zone
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_cover_low_to_high() {
        assert_eq!(classify(0.0), Terrain::Water);
        assert_eq!(classify(0.38), Terrain::Sand);
        assert_eq!(classify(0.5), Terrain::Grass);
        assert_eq!(classify(0.6), Terrain::Forest);
        assert_eq!(classify(0.7), Terrain::Hills);
        assert_eq!(classify(0.99), Terrain::Mountains);
    }

    #[test]
    fn a_road_over_water_becomes_a_bridge() {
        let side = 8;
        let mut tiles = vec![Terrain::Grass; 64];
        for y in 0..8 {
            tiles[y * 8 + 4] = Terrain::Water;
        }
        paint_road(&mut tiles, side, &[[0.5, 3.5], [7.5, 3.5]]);
        let row: Vec<Terrain> = tiles[24..32].to_vec();
        assert_eq!(row[4], Terrain::Bridge);
        assert!(row.iter().enumerate().all(|(x, t)| if x == 4 {
            *t == Terrain::Bridge
        } else {
            *t == Terrain::Road
        }));
        assert_eq!(tiles[4], Terrain::Water, "water off the road stays water");
    }

    #[test]
    fn clearing_a_node_keeps_water_and_greens_the_rest() {
        let mut tiles = vec![Terrain::Mountains; 9];
        tiles[1] = Terrain::Water;
        clear_node(&mut tiles, 3, (1, 1));
        assert_eq!(tiles[4], Terrain::Road);
        assert_eq!(tiles[1], Terrain::Water);
        assert_eq!(tiles[3], Terrain::Grass);
        assert_eq!(tiles[0], Terrain::Mountains, "diagonals untouched");
    }

    #[test]
    fn zones_flood_from_the_nearest_seed() {
        let zone = flood_zones(5, &[(0, 1), (4, 2)]);
        assert_eq!(zone[0], 1);
        assert_eq!(zone[1], 1);
        assert_eq!(zone[3], 2);
        assert_eq!(zone[20], 1, "bottom-left is nearer the left seed");
        assert_eq!(zone[24], 2, "bottom-right is nearer the right seed");
        assert!(flood_zones(3, &[]).iter().all(|&z| z == 0));
    }
}
