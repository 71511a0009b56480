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
