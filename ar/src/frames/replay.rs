//! Replay of recorded frames: a folder of PNG images (with optional
//! timestamps), single PNG files, or a recording made by [`super::Recorder`].
//! Demos and tests run on these when there is no camera. Colour images
//! give their colour as well as their luma; grey ones and recordings give
//! luma only.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::recording::RecordingReader;
use super::{Frame, FrameSource, Next};
use crate::error::{Error, Result};
use crate::image::{LumaImage, RgbaImage, rec601_luma};

/// Frames per second assumed when images come without timestamps.
pub const DEFAULT_FPS: f64 = 30.0;

enum Item {
    Image { path: PathBuf, timestamp: Duration },
    Recording(PathBuf),
}

/// Replays images and recordings in order.
pub struct Replay {
    items: Vec<Item>,
    next: usize,
    recording: Option<RecordingReader>,
    scratch: Vec<u8>,
    colour: bool,
    looping: bool,
    loop_offset: Duration,
    last_timestamp: Duration,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("items", &self.items.len())
            .field("next", &self.next)
            .finish()
    }
}

impl Replay {
    /// Replays a folder, a PNG file or a recording. A folder's PNG images play
    /// in file-name order; their timestamps come from `timestamps.txt` (lines
    /// `NAME SECONDS`) or `timestamps.json` (`{"NAME": SECONDS, …}`) when the
    /// folder has one, else from `fps`. Recordings (`*.rwluma`) in the folder
    /// play after the images.
    pub fn open(path: &Path, fps: f64) -> Result<Self> {
        Self::open_all(&[path.to_path_buf()], fps)
    }

    /// Replays several files and folders one after the other.
    pub fn open_all(paths: &[PathBuf], fps: f64) -> Result<Self> {
        let step = if fps > 0.0 && fps.is_finite() {
            1.0 / fps
        } else {
            1.0 / DEFAULT_FPS
        };
        let mut items = Vec::new();
        for path in paths {
            let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
            if meta.is_dir() {
                let before = items.len();
                folder_items(path, step, &mut items)?;
                if items.len() == before {
                    return Err(Error::NoImages(path.clone()));
                }
            } else if is_recording(path) {
                items.push(Item::Recording(path.clone()));
            } else {
                let timestamp = Duration::from_secs_f64(step * items.len() as f64);
                items.push(Item::Image {
                    path: path.clone(),
                    timestamp,
                });
            }
        }
        if items.is_empty() {
            let what = paths
                .first()
                .cloned()
                .unwrap_or_else(|| PathBuf::from("(no files given)"));
            return Err(Error::NoImages(what));
        }
        Ok(Self {
            items,
            next: 0,
            recording: None,
            scratch: Vec::new(),
            colour: true,
            looping: false,
            loop_offset: Duration::ZERO,
            last_timestamp: Duration::ZERO,
        })
    }

    /// Whether colour images give their colour too (they do unless told
    /// otherwise); without, every frame is luma only, which saves a JPEG's
    /// colour decoding when nothing shows the picture.
    pub fn colour(mut self, colour: bool) -> Self {
        self.colour = colour;
        self
    }

    /// Starts again from the first frame after the last (for demos);
    /// timestamps keep increasing.
    pub fn looping(mut self, looping: bool) -> Self {
        self.looping = looping;
        self
    }

    /// The image files and recordings, in play order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.items.iter().map(|i| match i {
            Item::Image { path, .. } | Item::Recording(path) => path.as_path(),
        })
    }

    /// Path of the item the last frame came from.
    pub fn current_path(&self) -> Option<&Path> {
        let i = if self.recording.is_some() {
            self.next
        } else {
            self.next.checked_sub(1)?
        };
        self.items.get(i).map(|i| match i {
            Item::Image { path, .. } | Item::Recording(path) => path.as_path(),
        })
    }
}

impl FrameSource for Replay {
    fn next_frame(&mut self, frame: &mut Frame) -> Result<Next> {
        loop {
            if let Some(rec) = &mut self.recording {
                if rec.read(frame)? {
                    frame.colour = None;
                    frame.timestamp += self.loop_offset;
                    self.last_timestamp = frame.timestamp;
                    return Ok(Next::Frame);
                }
                self.recording = None;
                self.next += 1;
                continue;
            }
            let Some(item) = self.items.get(self.next) else {
                if self.looping && !self.items.is_empty() {
                    self.next = 0;
                    self.loop_offset =
                        self.last_timestamp + Duration::from_secs_f64(1.0 / DEFAULT_FPS);
                    continue;
                }
                return Ok(Next::Ended);
            };
            match item {
                Item::Image { path, timestamp } => {
                    load_image_into(path, frame, self.colour, &mut self.scratch)?;
                    frame.timestamp = *timestamp + self.loop_offset;
                    self.last_timestamp = frame.timestamp;
                    self.next += 1;
                    return Ok(Next::Frame);
                }
                Item::Recording(path) => {
                    self.recording = Some(RecordingReader::open(path)?);
                }
            }
        }
    }
}

fn is_recording(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("rwluma"))
}

/// PNG and JPEG images are replayed (footage is mostly JPEG).
fn is_image(path: &Path) -> bool {
    path.extension().is_some_and(|e| {
        ["png", "jpg", "jpeg"]
            .iter()
            .any(|known| e.eq_ignore_ascii_case(known))
    })
}

fn is_jpeg(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
}

fn folder_items(dir: &Path, step: f64, items: &mut Vec<Item>) -> Result<()> {
    let mut images = Vec::new();
    let mut recordings = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if is_image(&path) {
            images.push(path);
        } else if is_recording(&path) {
            recordings.push(path);
        }
    }
    images.sort();
    recordings.sort();
    let stamps = read_timestamps(dir)?;
    for (i, path) in images.into_iter().enumerate() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let seconds = match &stamps {
            Some(map) => *map.get(&name).ok_or_else(|| {
                Error::bad_file(dir.join("timestamps"), format!("no timestamp for {name}"))
            })?,
            None => step * i as f64,
        };
        items.push(Item::Image {
            path,
            timestamp: Duration::from_secs_f64(seconds),
        });
    }
    items.extend(recordings.into_iter().map(Item::Recording));
    Ok(())
}

/// The folder's timestamps sidecar, if it has one: file name → seconds.
fn read_timestamps(dir: &Path) -> Result<Option<HashMap<String, f64>>> {
    let txt = dir.join("timestamps.txt");
    let json = dir.join("timestamps.json");
    let check = |path: &Path, name: &str, s: f64| {
        if s.is_finite() && s >= 0.0 {
            Ok(s)
        } else {
            Err(Error::bad_file(
                path,
                format!("{name}: timestamp {s} is not a time"),
            ))
        }
    };
    if txt.is_file() {
        let text = std::fs::read_to_string(&txt).map_err(|e| Error::io(&txt, e))?;
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, secs) = line.rsplit_once(char::is_whitespace).ok_or_else(|| {
                Error::bad_file(&txt, format!("line {}: expected `NAME SECONDS`", n + 1))
            })?;
            let secs: f64 = secs.parse().map_err(|_| {
                Error::bad_file(&txt, format!("line {}: {secs:?} is not a number", n + 1))
            })?;
            map.insert(name.trim().to_owned(), check(&txt, name, secs)?);
        }
        return Ok(Some(map));
    }
    if json.is_file() {
        let text = std::fs::read_to_string(&json).map_err(|e| Error::io(&json, e))?;
        let map: HashMap<String, f64> = serde_json::from_str(&text).map_err(|e| {
            Error::bad_file(&json, format!("expected {{\"NAME\": SECONDS, …}}: {e}"))
        })?;
        for (name, s) in &map {
            check(&json, name, *s)?;
        }
        return Ok(Some(map));
    }
    Ok(None)
}

/// Reads a PNG file as a grey image (colour is converted with the Rec. 601
/// luma weights, as camera Y planes are).
pub fn load_png_luma(path: &Path) -> Result<LumaImage> {
    let mut image = LumaImage::default();
    load_png_into(path, &mut image, None, &mut Vec::new())?;
    Ok(image)
}

/// Reads a PNG or (by its extension) JPEG image into `frame`: its luma,
/// and its colour when it has colour and `colour` is wanted (else the
/// frame's colour is `None`).
fn load_image_into(
    path: &Path,
    frame: &mut Frame,
    colour: bool,
    scratch: &mut Vec<u8>,
) -> Result<()> {
    let coloured = if is_jpeg(path) {
        scratch.clear();
        File::open(path)
            .and_then(|mut f| std::io::Read::read_to_end(&mut f, scratch))
            .map_err(|e| Error::io(path, e))?;
        let decoded = if colour {
            let (luma, rgba) = frame.pictures_mut();
            super::mjpeg_to_rgba(scratch, luma, rgba)
        } else {
            super::jpeg_luma(scratch, &mut frame.image).map(|()| false)
        };
        decoded.map_err(|message| Error::BadImage {
            path: path.to_path_buf(),
            message,
        })?
    } else if colour {
        let (luma, rgba) = frame.pictures_mut();
        load_png_into(path, luma, Some(rgba), scratch)?
    } else {
        load_png_into(path, &mut frame.image, None, scratch)?
    };
    if !coloured {
        frame.colour = None;
    }
    Ok(())
}

/// Reads a PNG's luma into `image` and, when it has colour and `colour` is
/// given, its colour (opaque: alpha is dropped) into `colour`. `true` when
/// `colour` was filled.
fn load_png_into(
    path: &Path,
    image: &mut LumaImage,
    colour: Option<&mut RgbaImage>,
    scratch: &mut Vec<u8>,
) -> Result<bool> {
    let bad = |message: String| Error::BadImage {
        path: path.to_path_buf(),
        message,
    };
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| bad(e.to_string()))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| bad("image too large".into()))?;
    scratch.resize(size, 0);
    let info = reader.next_frame(scratch).map_err(|e| bad(e.to_string()))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err(bad("palette left unexpanded".into())),
    };
    if info.line_size < w * channels || scratch.len() < info.line_size * h {
        return Err(bad("truncated image data".into()));
    }
    image.resize(w, h);
    let rows = scratch
        .chunks(info.line_size.max(1))
        .zip(image.pixels_mut().chunks_exact_mut(w.max(1)))
        .map(|(row, dst)| (&row[..w * channels], dst));
    match (channels, colour) {
        (1, _) => rows.for_each(|(row, dst)| dst.copy_from_slice(row)),
        (2, _) => rows.for_each(|(row, dst)| {
            dst.iter_mut()
                .zip(row.chunks_exact(2))
                .for_each(|(d, p)| *d = p[0]);
        }),
        (_, None) => rows.for_each(|(row, dst)| {
            dst.iter_mut()
                .zip(row.chunks_exact(channels))
                .for_each(|(d, p)| *d = rec601_luma(p[0], p[1], p[2]));
        }),
        (_, Some(colour)) => {
            colour.resize(w, h);
            let out = colour.pixels_mut().chunks_exact_mut(4 * w.max(1));
            for ((row, dst), out) in rows.zip(out) {
                let pixels = row.chunks_exact(channels).zip(out.as_chunks_mut::<4>().0);
                for (d, (p, o)) in dst.iter_mut().zip(pixels) {
                    *d = rec601_luma(p[0], p[1], p[2]);
                    *o = [p[0], p[1], p[2], 255];
                }
            }
            return Ok(true);
        }
    }
    Ok(false)
}
