//! `cargo xtask assets`: draws the overworld tileset, `assets/tiles/overworld.png`.
//!
//! Every pixel comes from the code below (a fixed-seed PRNG for dithering and
//! tufts), so the checked-in file is exactly what this produces; a test
//! regenerates it in memory and compares bytes. The layout (8 columns × 4
//! rows of 16×16 tiles) is documented in `assets/tiles/README.md` and read by
//! the client's `ridewire plan --png`.

use std::path::Path;

/// Side of one tile, in pixels.
pub const TILE: u32 = 16;
/// Tiles per row of the sheet.
pub const COLUMNS: u32 = 8;
/// Rows of the sheet.
pub const ROWS: u32 = 4;

/// Road pieces start here; piece `ROAD + mask` joins the sides in `mask`
/// (north 1, east 2, south 4, west 8).
pub const ROAD: u32 = 8;
/// Node markers: locked, available, active, done.
pub const MARKERS: u32 = 24;
/// The zone-border overlay.
pub const ZONE_BORDER: u32 = 28;

type Rgba = [u8; 4];

const CLEAR: Rgba = [0, 0, 0, 0];
const OUTLINE: Rgba = [24, 20, 28, 255];
const WATER: Rgba = [40, 92, 196, 255];
const WATER_LIGHT: Rgba = [72, 132, 228, 255];
const FOAM: Rgba = [188, 220, 252, 255];
const SAND: Rgba = [228, 204, 136, 255];
const SAND_DARK: Rgba = [196, 164, 100, 255];
const GRASS: Rgba = [76, 164, 60, 255];
const GRASS_DARK: Rgba = [52, 124, 44, 255];
const GRASS_LIGHT: Rgba = [112, 196, 84, 255];
const LEAF: Rgba = [28, 100, 44, 255];
const LEAF_LIGHT: Rgba = [60, 144, 60, 255];
const TRUNK: Rgba = [104, 64, 36, 255];
const HILL: Rgba = [148, 156, 72, 255];
const HILL_DARK: Rgba = [104, 112, 48, 255];
const ROCK: Rgba = [120, 112, 104, 255];
const PEAK: Rgba = [164, 160, 168, 255];
const PEAK_SHADE: Rgba = [92, 88, 96, 255];
const SNOW: Rgba = [244, 244, 252, 255];
/// The road's surface (the client's tests look for it).
pub const ROAD_SURFACE: Rgba = [204, 172, 116, 255];
const ROAD_EDGE: Rgba = [140, 108, 68, 255];
const ROAD_MARK: Rgba = [236, 220, 168, 255];
const PLANK: Rgba = [156, 108, 60, 255];
const PLANK_DARK: Rgba = [104, 68, 36, 255];
/// Marker fills: locked, available, active, done.
pub const MARKER_FILLS: [Rgba; 4] = [
    [128, 128, 136, 255],
    [248, 208, 48, 255],
    [232, 88, 40, 255],
    [64, 200, 96, 255],
];
const BORDER: Rgba = [255, 244, 200, 200];

/// A tiny xorshift generator: fixed seed, same dither every run.
struct Dither(u64);

impl Dither {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as u32
    }

    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

/// One 16×16 tile being drawn.
struct Tile([Rgba; (TILE * TILE) as usize]);

impl Tile {
    fn filled(colour: Rgba) -> Self {
        Self([colour; (TILE * TILE) as usize])
    }

    fn set(&mut self, x: i32, y: i32, colour: Rgba) {
        if (0..TILE as i32).contains(&x) && (0..TILE as i32).contains(&y) {
            self.0[(y * TILE as i32 + x) as usize] = colour;
        }
    }

    fn rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, colour: Rgba) {
        for y in y0..y1 {
            for x in x0..x1 {
                self.set(x, y, colour);
            }
        }
    }

    fn speckle(&mut self, rng: &mut Dither, count: u32, colour: Rgba) {
        for _ in 0..count {
            let (x, y) = (rng.below(TILE) as i32, rng.below(TILE) as i32);
            self.set(x, y, colour);
        }
    }

    /// A filled disc with a one-pixel outline, centre `(cx, cy)` in half pixels.
    fn disc(&mut self, cx: i32, cy: i32, r: i32, fill: Rgba, outline: Rgba) {
        for y in 0..TILE as i32 {
            for x in 0..TILE as i32 {
                let (dx, dy) = (2 * x + 1 - cx, 2 * y + 1 - cy);
                let d2 = dx * dx + dy * dy;
                if d2 <= 4 * r * r {
                    let inner = 2 * (r - 1);
                    self.set(x, y, if d2 <= inner * inner { fill } else { outline });
                }
            }
        }
    }
}

fn water(rng: &mut Dither) -> Tile {
    let mut t = Tile::filled(WATER);
    for y in 0..TILE as i32 {
        for x in 0..TILE as i32 {
            // Ordered dither in diagonal bands: the 16-bit look of a sea.
            if (x + y) % 2 == 0 && ((x + 2 * y) / 4) % 3 == 0 {
                t.set(x, y, WATER_LIGHT);
            }
        }
    }
    for _ in 0..2 {
        let (x, y) = (rng.below(11) as i32 + 1, rng.below(14) as i32 + 1);
        t.rect(x, y, x + 3, y + 1, FOAM);
        t.set(x + 1, y - 1, FOAM);
    }
    t
}

fn sand(rng: &mut Dither) -> Tile {
    let mut t = Tile::filled(SAND);
    t.speckle(rng, 18, SAND_DARK);
    t
}

fn grass(rng: &mut Dither) -> Tile {
    let mut t = Tile::filled(GRASS);
    for _ in 0..7 {
        let (x, y) = (rng.below(TILE) as i32, rng.below(15) as i32 + 1);
        t.set(x, y, GRASS_DARK);
        t.set(x + 1, y - 1, GRASS_DARK);
    }
    t.speckle(rng, 6, GRASS_LIGHT);
    t
}

fn forest(rng: &mut Dither) -> Tile {
    let mut t = Tile::filled(GRASS_DARK);
    t.speckle(rng, 10, GRASS);
    for (cx, cy) in [(9, 9), (23, 7), (15, 21), (27, 23)] {
        t.rect(cx / 2, cy / 2 + 2, cx / 2 + 1, cy / 2 + 5, TRUNK);
        t.disc(cx, cy, 4, LEAF, OUTLINE);
        t.set(cx / 2 - 1, cy / 2 - 1, LEAF_LIGHT);
        t.set(cx / 2, cy / 2 - 2, LEAF_LIGHT);
    }
    t
}

fn hills(rng: &mut Dither) -> Tile {
    let mut t = Tile::filled(GRASS);
    t.speckle(rng, 6, GRASS_DARK);
    for (x0, y0, w) in [(1, 7, 8), (7, 13, 8)] {
        for dx in 0..w {
            // A rounded hump: its height follows a parabola.
            let h = (w * w / 4 - (2 * dx - w + 1) * (2 * dx - w + 1) / 4) / 3;
            for dy in 0..=h {
                let colour = if dx * 2 >= w { HILL_DARK } else { HILL };
                t.set(x0 + dx, y0 - dy, colour);
            }
            t.set(x0 + dx, y0 - h - 1, OUTLINE);
        }
    }
    t
}

fn mountains(rng: &mut Dither) -> Tile {
    let mut t = Tile::filled(ROCK);
    t.speckle(rng, 12, PEAK_SHADE);
    for (apex, base, half) in [(5, 13, 6), (11, 15, 5)] {
        let top = base - half - 3;
        for y in top..=base {
            let spread = (y - top) * half / (base - top);
            for x in apex - spread..=apex + spread {
                let colour = if y < top + 3 {
                    SNOW
                } else if x > apex {
                    PEAK_SHADE
                } else {
                    PEAK
                };
                t.set(x, y, colour);
            }
            t.set(apex - spread - 1, y, OUTLINE);
            t.set(apex + spread + 1, y, OUTLINE);
        }
        t.set(apex, top - 1, OUTLINE);
    }
    t
}

/// A road piece over grass joining the sides in `mask` (N 1, E 2, S 4, W 8).
fn road(mask: u32, rng: &mut Dither) -> Tile {
    let mut t = grass(rng);
    let (lo, hi) = (5, 11);
    // Centre square, then one arm per joined side.
    let mut arms = vec![(lo, lo, hi, hi)];
    if mask & 1 != 0 {
        arms.push((lo, 0, hi, hi));
    }
    if mask & 2 != 0 {
        arms.push((lo, lo, 16, hi));
    }
    if mask & 4 != 0 {
        arms.push((lo, lo, hi, 16));
    }
    if mask & 8 != 0 {
        arms.push((0, lo, hi, hi));
    }
    for &(x0, y0, x1, y1) in &arms {
        t.rect(x0 - 1, y0 - 1, x1 + 1, y1 + 1, ROAD_EDGE);
    }
    for &(x0, y0, x1, y1) in &arms {
        t.rect(x0, y0, x1, y1, ROAD_SURFACE);
    }
    // Dashed centre line on the arms.
    for i in (0..16).step_by(4) {
        if mask & 1 != 0 && i < 6 || mask & 4 != 0 && i > 8 {
            t.rect(7, i, 9, i + 2, ROAD_MARK);
        }
        if mask & 8 != 0 && i < 6 || mask & 2 != 0 && i > 8 {
            t.rect(i, 7, i + 2, 9, ROAD_MARK);
        }
    }
    t
}

/// Planks over water, running east–west (`across`) or north–south.
fn bridge(across: bool, rng: &mut Dither) -> Tile {
    let mut t = water(rng);
    for a in 0..TILE as i32 {
        for b in 4..12 {
            let colour = if b == 4 || b == 11 || a % 4 == 3 {
                PLANK_DARK
            } else {
                PLANK
            };
            if across {
                t.set(a, b, colour);
            } else {
                t.set(b, a, colour);
            }
        }
    }
    t
}

fn marker(fill: Rgba) -> Tile {
    let mut t = Tile::filled(CLEAR);
    t.disc(16, 16, 6, fill, OUTLINE);
    // A highlight keeps it readable on any terrain.
    t.set(6, 5, [255, 255, 255, 255]);
    t.set(5, 6, [255, 255, 255, 255]);
    t
}

fn zone_border() -> Tile {
    let mut t = Tile::filled(CLEAR);
    for i in 0..TILE as i32 {
        if i % 4 < 2 {
            for (x, y) in [(i, 0), (i, 15), (0, i), (15, i)] {
                t.set(x, y, BORDER);
            }
        }
    }
    t
}

/// The whole sheet as RGBA pixels, `COLUMNS·16 × ROWS·16`.
pub fn tileset_pixels() -> Vec<u8> {
    let mut rng = Dither(0x5249_4445_5749_5245);
    let mut tiles = vec![
        water(&mut rng),
        sand(&mut rng),
        grass(&mut rng),
        forest(&mut rng),
        hills(&mut rng),
        mountains(&mut rng),
        bridge(true, &mut rng),
        bridge(false, &mut rng),
    ];
    debug_assert_eq!(tiles.len(), ROAD as usize);
    for mask in 0..16 {
        tiles.push(road(mask, &mut rng));
    }
    debug_assert_eq!(tiles.len(), MARKERS as usize);
    tiles.extend(MARKER_FILLS.map(marker));
    debug_assert_eq!(tiles.len(), ZONE_BORDER as usize);
    tiles.push(zone_border());
    while tiles.len() < (COLUMNS * ROWS) as usize {
        tiles.push(Tile::filled(CLEAR));
    }
    let width = (COLUMNS * TILE) as usize;
    let mut pixels = vec![0; width * (ROWS * TILE) as usize * 4];
    for (i, tile) in tiles.iter().enumerate() {
        let (tx, ty) = (i % COLUMNS as usize, i / COLUMNS as usize);
        for (j, px) in tile.0.iter().enumerate() {
            let (x, y) = (tx * 16 + j % 16, ty * 16 + j / 16);
            let at = (y * width + x) * 4;
            pixels[at..at + 4].copy_from_slice(px);
        }
    }
    pixels
}

/// The sheet encoded as PNG (fixed encoder settings, so bytes are stable).
pub fn tileset_png() -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, COLUMNS * TILE, ROWS * TILE);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("tileset: {e}"))?;
    writer
        .write_image_data(&tileset_pixels())
        .map_err(|e| format!("tileset: {e}"))?;
    writer.finish().map_err(|e| format!("tileset: {e}"))?;
    Ok(out)
}

/// Writes `assets/tiles/overworld.png` under `root`.
pub fn write(root: &Path) -> Result<(), String> {
    let path = root.join("assets").join("tiles").join("overworld.png");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, tileset_png()?).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_tileset_is_what_xtask_assets_draws() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let path = root.join("assets/tiles/overworld.png");
        let on_disk = std::fs::read(&path).unwrap_or_default();
        assert!(
            on_disk == tileset_png().unwrap_or_default(),
            "{} is stale: run `cargo xtask assets`",
            path.display()
        );
    }

    #[test]
    fn markers_are_opaque_at_the_centre_and_clear_at_the_corner() {
        let pixels = tileset_pixels();
        let width = (COLUMNS * TILE) as usize;
        let at = |tile: u32, x: usize, y: usize| {
            let (tx, ty) = ((tile % COLUMNS) as usize, (tile / COLUMNS) as usize);
            let i = ((ty * 16 + y) * width + tx * 16 + x) * 4;
            [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]]
        };
        for (k, fill) in MARKER_FILLS.iter().enumerate() {
            assert_eq!(at(MARKERS + k as u32, 8, 9), *fill);
            assert_eq!(at(MARKERS + k as u32, 0, 0)[3], 0);
        }
        assert_eq!(at(ROAD + 0b1010, 3, 7), ROAD_SURFACE);
    }
}
