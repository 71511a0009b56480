//! Maps of plans: reads a Markdown plan, draws one level as an overworld and
//! exports it (`ridewire plan PLAN.md [--png MAP.png] [--json MAP.json]
//! [--seed N] [--level PATH]`), and the tileset the Map screen draws with.
//!
//! The PNG is drawn with the checked-in tileset (`assets/tiles/overworld.png`,
//! layout in `assets/tiles/README.md`), built into the binary so the command
//! works from any folder. Maps wider than [`MAX_PNG_SIDE`] px at 16 px per
//! tile are drawn at 8 or 4 px per tile, each tile box-averaged down.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::task::Progress;
use ridewire_engine::overworld::{self, Overworld, Terrain};
use ridewire_engine::plan;

/// The tileset, drawn by `cargo xtask assets`.
pub const TILESET: &[u8] = include_bytes!("../../assets/tiles/overworld.png");
/// Side of a tile in the tileset, in pixels.
pub const TILE: usize = 16;
/// Tiles per row of the tileset.
pub const COLUMNS: usize = 8;
/// First road piece; `ROAD + mask` joins the sides in mask (N 1, E 2, S 4, W 8).
const ROAD: usize = 8;
const BRIDGE_ACROSS: usize = 6;
const BRIDGE_DOWN: usize = 7;
const MARKER_AVAILABLE: usize = 25;
const MARKER_DONE: usize = 27;
pub const ZONE_BORDER: usize = 28;

/// Widest PNG drawn at full tile size; larger maps use smaller tiles.
pub const MAX_PNG_SIDE: u32 = 4096;

/// What the rider asked for.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The Markdown plan.
    pub plan: PathBuf,
    /// Section index path (`2/1`, 1-based); `None` for the top level.
    pub level: Option<String>,
    /// Map seed.
    pub seed: u64,
}

/// A generated map and how long it took.
#[derive(Debug)]
pub struct Run {
    /// The map.
    pub map: Overworld,
    /// Time spent in `overworld::generate`.
    pub took: Duration,
}

/// Why the command failed, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file, plan, level or arguments are wrong (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// Something else went wrong, such as writing an output (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl PlanError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BadInput(_) => 2,
            Self::Failed(_) => 1,
        }
    }
}

/// Reads and parses the plan, selects the level and generates its map.
pub fn run(ask: &Ask) -> Result<Run, PlanError> {
    let name = ask.plan.display();
    let bytes = std::fs::read(&ask.plan)
        .map_err(|e| PlanError::BadInput(format!("cannot read {name}: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        PlanError::BadInput(format!(
            "{name} is not UTF-8 text: invalid byte at offset {at} (line {line})"
        ))
    })?;
    map_of(text, &name.to_string(), ask.level.as_deref(), ask.seed)
}

/// Parses a plan's Markdown (`name` says which in messages), selects the
/// level (`2/1`, 1-based; `None` for the top) and generates its map: what
/// [`run`] does once the file is read, for hosts that hold the text.
pub fn map_of(
    markdown: &str,
    name: &str,
    level: Option<&str>,
    seed: u64,
) -> Result<Run, PlanError> {
    let plan = plan::parse(markdown).map_err(|e| PlanError::BadInput(format!("{name}: {e}")))?;
    let path = match level {
        Some(level) => level_path(&plan, level)?,
        None => Vec::new(),
    };
    let milestones = plan.milestones(&path);
    let start = Instant::now();
    let map = overworld::generate(&milestones, seed)
        .map_err(|e| PlanError::BadInput(format!("{name}: {e}")))?;
    Ok(Run {
        map,
        took: start.elapsed(),
    })
}

/// Turns `2/1` (1-based section numbers) into a 0-based index path that exists.
fn level_path(plan: &plan::Plan, level: &str) -> Result<Vec<usize>, PlanError> {
    let mut path = Vec::new();
    let mut count = plan.sections.len();
    let mut here = String::from("the plan");
    let mut kind = "section";
    for part in level.split('/') {
        let n: usize = part.trim().parse().map_err(|_| {
            PlanError::BadInput(format!(
                "--level {level:?}: {part:?} is not a section number; write e.g. 2/1"
            ))
        })?;
        if n == 0 || n > count {
            return Err(PlanError::BadInput(format!(
                "--level {level}: {here} has {count} {kind}{} (numbered from 1), so there is no {kind} {n}",
                if count == 1 { "" } else { "s" }
            )));
        }
        path.push(n - 1);
        let section = plan
            .section(&path)
            .ok_or_else(|| PlanError::Failed(format!("--level {level}: section lookup failed")))?;
        count = section.children.len();
        here = format!("section {:?}", section.title);
        kind = "subsection";
    }
    Ok(path)
}

/// One line about the run, e.g. `12 milestones, map 45×45 tiles, generated in 0.4 ms`.
pub fn report(run: &Run) -> String {
    let n = run.map.nodes.len();
    format!(
        "{n} milestone{}, map {}×{} tiles, generated in {:.1} ms\n",
        if n == 1 { "" } else { "s" },
        run.map.width,
        run.map.height,
        run.took.as_secs_f64() * 1000.0
    )
}

/// The map as the pretty JSON `ridewire plan --json` writes.
pub fn to_json(map: &Overworld) -> Result<String, PlanError> {
    serde_json::to_string_pretty(map)
        .map_err(|e| PlanError::Failed(format!("cannot encode the map as JSON: {e}")))
}

/// Writes the map as pretty JSON.
pub fn write_json(map: &Overworld, to: &Path) -> Result<(), PlanError> {
    let text = to_json(map)?;
    std::fs::write(to, text)
        .map_err(|e| PlanError::Failed(format!("cannot write {}: {e}", to.display())))
}

/// Writes the map as PNG drawn with the tileset.
pub fn write_png(map: &Overworld, to: &Path) -> Result<(), PlanError> {
    write_png_with(map, to, &Progress::default())
}

/// Writes the map as PNG, saying how far it is in `progress` (a big plan's
/// map takes seconds), through a temporary file beside `to` moved into
/// place when complete.
pub fn write_png_with(map: &Overworld, to: &Path, progress: &Progress) -> Result<(), PlanError> {
    let bytes = render_png_with(map, progress)?;
    let part = to.with_extension("png.part");
    std::fs::write(&part, bytes)
        .and_then(|()| std::fs::rename(&part, to))
        .map_err(|e| {
            let _ = std::fs::remove_file(&part);
            PlanError::Failed(format!("cannot write {}: {e}", to.display()))
        })?;
    progress.set(1.0);
    Ok(())
}

/// Pixels per tile for a map `width` tiles wide: 16, or less for big maps.
pub fn tile_size(width: u32) -> u32 {
    [16, 8, 4]
        .into_iter()
        .find(|&s| width * s <= MAX_PNG_SIDE)
        .unwrap_or(4)
}

/// The tileset decoded, with each tile scaled to `size` px (the PNG export
/// draws with it; the Map screen makes its array texture from it at full
/// size).
pub struct Sheet {
    size: usize,
    /// RGBA, tile after tile, `size × size` each.
    tiles: Vec<[u8; 4]>,
}

impl Sheet {
    /// Decodes the built-in tileset, each tile averaged down to `size` px
    /// (a divisor of [`TILE`]).
    pub fn load(size: usize) -> Result<Self, PlanError> {
        let broken = |e: String| PlanError::Failed(format!("the built-in tileset is damaged: {e}"));
        let mut reader = png::Decoder::new(std::io::Cursor::new(TILESET))
            .read_info()
            .map_err(|e| broken(e.to_string()))?;
        let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
        let info = reader
            .next_frame(&mut buf)
            .map_err(|e| broken(e.to_string()))?;
        if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
            return Err(broken("not 8-bit RGBA".into()));
        }
        let width = info.width as usize;
        let count = width / TILE * (info.height as usize / TILE);
        let step = TILE / size;
        let mut tiles = Vec::with_capacity(count * size * size);
        for t in 0..count {
            let (tx, ty) = (t % COLUMNS * TILE, t / COLUMNS * TILE);
            for y in 0..size {
                for x in 0..size {
                    let mut sum = [0u32; 4];
                    for dy in 0..step {
                        for dx in 0..step {
                            let i = ((ty + y * step + dy) * width + tx + x * step + dx) * 4;
                            for (c, s) in sum.iter_mut().enumerate() {
                                *s += u32::from(buf.get(i + c).copied().unwrap_or(0));
                            }
                        }
                    }
                    let n = (step * step) as u32;
                    tiles.push(sum.map(|s| ((s + n / 2) / n) as u8));
                }
            }
        }
        Ok(Self { size, tiles })
    }

    /// Tiles in the sheet.
    pub fn len(&self) -> usize {
        self.tiles.len() / (self.size * self.size).max(1)
    }

    /// Whether the sheet holds no tile.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tile `index`'s pixels, row by row (empty past the last tile).
    pub fn tile(&self, index: usize) -> &[[u8; 4]] {
        let n = self.size * self.size;
        self.tiles.get(index * n..(index + 1) * n).unwrap_or(&[])
    }
}

/// The tile drawn for one map tile (the overworld screen draws the same).
pub fn base_tile(map: &Overworld, x: u32, y: u32) -> usize {
    let road_at = |dx: i64, dy: i64| {
        let (nx, ny) = (i64::from(x) + dx, i64::from(y) + dy);
        nx >= 0 && ny >= 0 && map.tile(nx as u32, ny as u32).is_some_and(Terrain::is_road)
    };
    let mask = usize::from(road_at(0, -1))
        | usize::from(road_at(1, 0)) << 1
        | usize::from(road_at(0, 1)) << 2
        | usize::from(road_at(-1, 0)) << 3;
    match map.tile(x, y) {
        Some(Terrain::Water) | None => 0,
        Some(Terrain::Sand) => 1,
        Some(Terrain::Grass) => 2,
        Some(Terrain::Forest) => 3,
        Some(Terrain::Hills) => 4,
        Some(Terrain::Mountains) => 5,
        Some(Terrain::Road) => ROAD + mask,
        // Planks run along the road: north–south only when it goes that way.
        Some(Terrain::Bridge) if mask & 0b1010 == 0 && mask != 0 => BRIDGE_DOWN,
        Some(Terrain::Bridge) => BRIDGE_ACROSS,
    }
}

/// Draws the map as PNG bytes (deterministic for a given map).
pub fn render_png(map: &Overworld) -> Result<Vec<u8>, PlanError> {
    render_png_with(map, &Progress::default())
}

/// [`render_png`], saying how far it is: the tiles take the first 60 %,
/// borders and markers the next 20 %, compression the rest.
pub fn render_png_with(map: &Overworld, progress: &Progress) -> Result<Vec<u8>, PlanError> {
    let (w, h, pixels) = render_rgba(map, progress)?;
    let png = encode(&pixels, w, h)?;
    progress.set(0.99);
    Ok(png)
}

/// Draws the map as RGBA pixels, width and height first (what
/// [`render_png`] encodes; a live preview shows them as they are).
pub fn render_rgba(map: &Overworld, progress: &Progress) -> Result<(u32, u32, Vec<u8>), PlanError> {
    let size = tile_size(map.width) as usize;
    let sheet = Sheet::load(size)?;
    let (w, h) = (map.width as usize * size, map.height as usize * size);
    let mut pixels = vec![0u8; w * h * 4];
    let mut blit = |tx: u32, ty: u32, tile: &[[u8; 4]], keep: &dyn Fn(usize, usize) -> bool| {
        for (j, src) in tile.iter().enumerate() {
            let (px, py) = (j % size, j / size);
            if !keep(px, py) {
                continue;
            }
            let i = ((ty as usize * size + py) * w + tx as usize * size + px) * 4;
            let Some(dst) = pixels.get_mut(i..i + 4) else {
                continue;
            };
            let a = u32::from(src[3]);
            for c in 0..3 {
                dst[c] =
                    ((u32::from(src[c]) * a + u32::from(dst[c]) * (255 - a) + 127) / 255) as u8;
            }
            dst[3] = 255;
        }
    };
    let all = |_: usize, _: usize| true;
    let rows = f32::from(u16::try_from(map.height.max(1)).unwrap_or(u16::MAX));
    for y in 0..map.height {
        for x in 0..map.width {
            blit(x, y, sheet.tile(base_tile(map, x, y)), &all);
        }
        if y % 16 == 0 {
            progress.set(0.6 * y as f32 / rows);
        }
    }
    // Zone borders: only the overlay's edges that face another zone.
    let edge = size / 8;
    for y in 0..map.height {
        for x in 0..map.width {
            if !map.is_zone_border(x, y) {
                continue;
            }
            let here = map.zone_at(x, y);
            let differs = |nx: Option<u32>, ny: Option<u32>| match (nx, ny) {
                (Some(nx), Some(ny)) => map.zone_at(nx, ny).is_some_and(|z| Some(z) != here),
                _ => false,
            };
            let sides = [
                differs(Some(x), y.checked_sub(1)),
                differs(Some(x + 1), Some(y)),
                differs(Some(x), Some(y + 1)),
                differs(x.checked_sub(1), Some(y)),
            ];
            let keep = |px: usize, py: usize| {
                sides[0] && py < edge.max(1)
                    || sides[1] && px >= size - edge.max(1)
                    || sides[2] && py >= size - edge.max(1)
                    || sides[3] && px < edge.max(1)
            };
            blit(x, y, sheet.tile(ZONE_BORDER), &keep);
        }
    }
    for node in &map.nodes {
        let marker = if node.done {
            MARKER_DONE
        } else {
            MARKER_AVAILABLE
        };
        blit(node.tile.0, node.tile.1, sheet.tile(marker), &all);
    }
    progress.set(0.8);
    // Node numbers, where a tile is big enough to read them.
    if size >= 16 {
        for node in &map.nodes {
            let centre_x = node.tile.0 as usize * size + size / 2;
            let top = (node.tile.1 as usize * size).saturating_sub(7);
            draw_number(&mut pixels, w, h, node.index, centre_x, top);
        }
    }
    Ok((w as u32, h as u32, pixels))
}

/// Digits 0–9 as 3×5 pixel glyphs, one row of three bits per entry.
const DIGITS: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b011, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

/// Writes `number` in white pixel digits with a dark outline, centred on
/// `centre_x`, its top at `top` (clipped to the picture).
fn draw_number(pixels: &mut [u8], w: usize, h: usize, number: u32, centre_x: usize, top: usize) {
    let text = number.to_string();
    let width = text.len() * 4 - 1;
    let left = centre_x.saturating_sub(width / 2);
    let mut put = |x: usize, y: usize, rgb: [u8; 3]| {
        if x < w && y < h {
            let i = (y * w + x) * 4;
            pixels[i..i + 4].copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
        }
    };
    // Outline first (every neighbour of a lit pixel), then the digits.
    for pass in 0..2 {
        for (k, ch) in text.bytes().enumerate() {
            let glyph = DIGITS[usize::from(ch - b'0')];
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..3 {
                    if bits & (0b100 >> col) == 0 {
                        continue;
                    }
                    let (x, y) = (left + k * 4 + col + 1, top + row + 1);
                    if pass == 0 {
                        for (dx, dy) in [
                            (0, 1),
                            (2, 1),
                            (1, 0),
                            (1, 2),
                            (0, 0),
                            (2, 2),
                            (0, 2),
                            (2, 0),
                        ] {
                            put(
                                (x + dx).saturating_sub(1),
                                (y + dy).saturating_sub(1),
                                [24, 20, 28],
                            );
                        }
                    } else {
                        put(x, y, [255, 255, 255]);
                    }
                }
            }
        }
    }
}

fn encode(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlanError> {
    let failed = |e: png::EncodingError| PlanError::Failed(format!("cannot encode the PNG: {e}"));
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(pixels).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_numbers_are_drawn_white_on_a_dark_outline() {
        let (w, h) = (20, 10);
        let mut pixels = vec![0u8; w * h * 4];
        draw_number(&mut pixels, w, h, 17, 10, 2);
        let at = |x: usize, y: usize| [pixels[(y * w + x) * 4], pixels[(y * w + x) * 4 + 1]];
        // "1" then "7", inside a one-pixel outline margin from x = 7.
        assert_eq!(at(9, 3), [255, 255], "top of the 1");
        assert_eq!(at(12, 3), [255, 255], "top-left of the 7");
        assert_eq!(at(13, 5), [255, 255], "stem of the 7");
        assert_eq!(at(12, 5), [24, 20], "outline beside the stem");
        assert_eq!(at(0, 0), [0, 0], "far pixels untouched");
    }

    #[test]
    fn big_maps_get_smaller_tiles() {
        assert_eq!(tile_size(45), 16);
        assert_eq!(tile_size(256), 16);
        assert_eq!(tile_size(257), 8);
        assert_eq!(tile_size(1024), 4);
    }

    #[test]
    fn the_built_in_tileset_decodes_at_every_size() {
        for size in [16, 8, 4] {
            let sheet = Sheet::load(size).unwrap();
            assert_eq!(sheet.tile(ZONE_BORDER).len(), size * size);
        }
    }
}
