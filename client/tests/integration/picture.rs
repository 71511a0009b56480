//! Reading rendered PNGs and finding things in them by colour.

use std::path::Path;
use std::process::{Command, Output};

/// An RGBA picture.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// An inclusive pixel rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
    pub count: usize,
}

impl Bounds {
    pub fn width(&self) -> u32 {
        self.x1 - self.x0 + 1
    }
    pub fn height(&self) -> u32 {
        self.y1 - self.y0 + 1
    }
}

impl Picture {
    pub fn load(path: &Path) -> Picture {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let decoder = png::Decoder::new(std::io::BufReader::new(file));
        let mut reader = decoder.read_info().expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
        let info = reader.next_frame(&mut buf).expect("PNG data");
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let rgba = match info.color_type {
            png::ColorType::Rgba => buf[..info.buffer_size()].to_vec(),
            png::ColorType::Rgb => buf[..info.buffer_size()]
                .chunks(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            other => panic!("unexpected PNG colour type {other:?}"),
        };
        Picture {
            width: info.width,
            height: info.height,
            rgba,
        }
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 4) as usize;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]]
    }

    /// Bounding box of the pixels within `tolerance` of `colour` in every channel.
    pub fn find(&self, colour: [u8; 3], tolerance: u8) -> Option<Bounds> {
        self.find_in_rows(colour, tolerance, 0, self.height - 1)
    }

    /// Like [`Picture::find`], but only in rows `y0..=y1`.
    pub fn find_in_rows(&self, colour: [u8; 3], tolerance: u8, y0: u32, y1: u32) -> Option<Bounds> {
        let mut b: Option<Bounds> = None;
        for y in y0..=y1.min(self.height - 1) {
            for x in 0..self.width {
                let p = self.pixel(x, y);
                if p.iter()
                    .zip(colour)
                    .all(|(a, c)| a.abs_diff(c) <= tolerance)
                {
                    let nb = b.get_or_insert(Bounds {
                        x0: x,
                        y0: y,
                        x1: x,
                        y1: y,
                        count: 0,
                    });
                    nb.x0 = nb.x0.min(x);
                    nb.y0 = nb.y0.min(y);
                    nb.x1 = nb.x1.max(x);
                    nb.y1 = nb.y1.max(y);
                    nb.count += 1;
                }
            }
        }
        b
    }

    /// Number of distinct colours.
    pub fn distinct_colours(&self) -> usize {
        let mut seen = std::collections::HashSet::new();
        for p in self.rgba.chunks(4) {
            seen.insert([p[0], p[1], p[2]]);
        }
        seen.len()
    }
}

/// Runs the app binary with arguments.
pub fn ridewire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ridewire"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("start ridewire")
}

/// Renders a screen off-screen and loads the picture; fails with the app's
/// own output when rendering does not work (e.g. no Vulkan driver).
pub fn render(screen: &str, size: &str, dir: &Path) -> Picture {
    let path = dir.join(format!("{screen}.png"));
    let out = ridewire(&[
        "--demo",
        "--screenshot",
        path.to_str().expect("utf-8 path"),
        "--screen",
        screen,
        "--size",
        size,
    ]);
    assert!(
        out.status.success(),
        "ridewire --screenshot failed ({}). A Vulkan driver is needed: on Debian/Ubuntu \
         `apt-get install mesa-vulkan-drivers` (cargo xtask test installs it).\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    if let Ok(keep) = std::env::var("RIDEWIRE_KEEP_SCREENSHOTS") {
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(&path, Path::new(&keep).join(format!("{screen}.png")));
    }
    Picture::load(&path)
}

/// How far two pictures are apart: the mean absolute difference per
/// channel, and the share of pixels where some channel differs by more than 32.
fn difference(a: &Picture, b: &Picture) -> (f64, f64) {
    let mut sum = 0u64;
    let mut off = 0usize;
    for (p, q) in a.rgba.chunks(4).zip(b.rgba.chunks(4)) {
        let d: Vec<u8> = p[..3]
            .iter()
            .zip(&q[..3])
            .map(|(x, y)| x.abs_diff(*y))
            .collect();
        sum += d.iter().map(|&v| u64::from(v)).sum::<u64>();
        if d.iter().any(|&v| v > 32) {
            off += 1;
        }
    }
    let pixels = (a.width * a.height) as f64;
    (sum as f64 / (pixels * 3.0), off as f64 / pixels)
}

/// Compares the picture at `rendered` with the checked-in `golden` one
/// (a mean difference under 2 per channel, under 1 % of pixels far off).
/// With `RIDEWIRE_BLESS=1` it writes the golden file instead: look at it,
/// then commit it.
pub fn assert_matches_golden(rendered: &Path, golden: &str) {
    let golden = Path::new(golden);
    if std::env::var_os("RIDEWIRE_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().expect("folder")).expect("golden folder");
        std::fs::copy(rendered, golden).expect("write golden");
        return;
    }
    let (pic, expected) = (Picture::load(rendered), Picture::load(golden));
    assert_eq!(
        (expected.width, expected.height),
        (pic.width, pic.height),
        "{} has another size",
        golden.display()
    );
    let (mean, off) = difference(&pic, &expected);
    if mean >= 2.0 || off >= 0.01 {
        let name = golden.file_name().expect("file name").to_string_lossy();
        let keep = std::env::temp_dir().join(format!("actual-{name}"));
        let _ = std::fs::copy(rendered, &keep);
        panic!(
            "the picture differs from {}: mean difference {mean:.2} per channel, \
             {:.2} % of pixels off by more than 32; the picture is at {} \
             (RIDEWIRE_BLESS=1 accepts it)",
            golden.display(),
            off * 100.0,
            keep.display()
        );
    }
}
