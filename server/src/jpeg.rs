//! What the picture of a photo proof must be: a JPEG the app could have
//! made. The app re-encodes every photo, so what it uploads holds pixels
//! and nothing else; a file that carries metadata (EXIF with the place it
//! was taken, XMP, an ICC profile, a comment, bytes after the picture) was
//! not made by it, and the server does not keep what the rider may not know
//! they are sharing.
//!
//! [`inspect`] walks every marker segment of the file, those between the
//! scans of a progressive JPEG included, then decodes it whole.

use ridewire_engine::proof::MAX_PHOTO_SIDE;
use zune_core::bytestream::ZCursor;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Why a picture is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a JPEG, a damaged one, or one of another kind than baseline or
    /// progressive.
    #[error("the photo is not a JPEG the app makes: {0}")]
    NotJpeg(String),
    /// It carries a segment that is not picture data.
    #[error(
        "the photo carries metadata ({0}); the app strips metadata by encoding the picture \
         afresh before upload, so upload the photo the app made"
    )]
    Metadata(String),
    /// A side is 0 or longer than [`MAX_PHOTO_SIDE`].
    #[error("the photo is {width}×{height} pixels; each side must be 1 to {MAX_PHOTO_SIDE}")]
    Size {
        /// Its width in pixels.
        width: u32,
        /// Its height in pixels.
        height: u32,
    },
}

/// A picture that passed: its frame's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
}

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const COM: u8 = 0xFE;

fn not_jpeg(why: impl Into<String>) -> Refusal {
    Refusal::NotJpeg(why.into())
}

/// Checks `jpeg` and returns its frame: it starts with SOI, holds no APP1
/// to APP15 or COM segment anywhere (APP0, JFIF's, is allowed) and nothing
/// after EOI, has one baseline, extended or progressive frame header (SOF0,
/// SOF1, SOF2) of 1 to [`MAX_PHOTO_SIDE`] pixels a side, and decodes.
/// Metadata is reported before a wrong size, a wrong size before the
/// decoder is run.
pub fn inspect(jpeg: &[u8]) -> Result<Frame, Refusal> {
    let frame = walk(jpeg)?;
    let side = 1..=MAX_PHOTO_SIDE;
    if !side.contains(&frame.width) || !side.contains(&frame.height) {
        return Err(Refusal::Size {
            width: frame.width,
            height: frame.height,
        });
    }
    decode(jpeg, frame)?;
    Ok(frame)
}

/// Reads the marker segments from SOI to EOI.
fn walk(jpeg: &[u8]) -> Result<Frame, Refusal> {
    if jpeg.get(..2) != Some(&[0xFF, SOI]) {
        return Err(not_jpeg(
            "it does not start with a JPEG's first marker (FF D8)",
        ));
    }
    let cut = || not_jpeg("it is cut short");
    let mut at = 2;
    let mut frame: Option<Frame> = None;
    let mut scanned = false;
    loop {
        if scanned {
            // Entropy-coded data runs to the next marker.
            at = next_marker(jpeg, at).ok_or_else(cut)?;
        }
        if *jpeg.get(at).ok_or_else(cut)? != 0xFF {
            return Err(not_jpeg(format!("no marker where one belongs (byte {at})")));
        }
        // A marker may be preceded by any number of fill bytes (FF).
        while jpeg.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let marker = *jpeg.get(at + 1).ok_or_else(cut)?;
        at += 2;
        match marker {
            EOI => {
                if !scanned {
                    return Err(not_jpeg("it ends before its picture data"));
                }
                if at != jpeg.len() {
                    return Err(Refusal::Metadata(format!(
                        "{} bytes after the end of the picture",
                        jpeg.len() - at
                    )));
                }
                return frame.ok_or_else(|| not_jpeg("it has no frame header"));
            }
            // Markers without a segment: restart markers and TEM.
            0xD0..=0xD7 | 0x01 => continue,
            0x00 | SOI => return Err(not_jpeg(format!("a stray marker (byte {})", at - 2))),
            _ => {}
        }
        let length = jpeg
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or_else(cut)?;
        if length < 2 {
            return Err(not_jpeg(format!("a segment of length {length}")));
        }
        let segment = jpeg.get(at + 2..at + length).ok_or_else(cut)?;
        match marker {
            0xE1..=0xEF => {
                return Err(Refusal::Metadata(format!(
                    "an APP{} segment{}",
                    marker - 0xE0,
                    known_app(segment)
                )));
            }
            COM => return Err(Refusal::Metadata("a comment (COM) segment".into())),
            0xC0..=0xC2 => {
                if frame.is_some() {
                    return Err(not_jpeg("it has two frame headers"));
                }
                let size = segment.get(1..5).ok_or_else(cut)?;
                frame = Some(Frame {
                    height: u32::from(u16::from_be_bytes([size[0], size[1]])),
                    width: u32::from(u16::from_be_bytes([size[2], size[3]])),
                });
            }
            // The other frames: lossless, hierarchical, arithmetic-coded.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(not_jpeg(
                    "it is neither a baseline nor a progressive JPEG (SOF0, SOF1 or SOF2)",
                ));
            }
            SOS => {
                if frame.is_none() {
                    return Err(not_jpeg("its picture data comes before its frame header"));
                }
                scanned = true;
            }
            _ => {}
        }
        at += length;
    }
}

/// What an APPn segment is, when its identifier says.
fn known_app(segment: &[u8]) -> &'static str {
    const KNOWN: &[(&[u8], &str)] = &[
        (b"Exif\0", " (EXIF: camera, time, maybe the place)"),
        (b"http://ns.adobe.com/xap/", " (XMP)"),
        (b"ICC_PROFILE\0", " (an ICC colour profile)"),
        (b"Adobe", " (Adobe)"),
    ];
    KNOWN
        .iter()
        .find(|(id, _)| segment.starts_with(id))
        .map_or("", |(_, what)| what)
}

/// The position of the next marker's first FF at or after `from`, in
/// entropy-coded data: FF 00 is a stuffed data byte and FF D0 to FF D7
/// restart markers belong to the data.
fn next_marker(jpeg: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let ff = at + jpeg.get(at..)?.iter().position(|&b| b == 0xFF)?;
        let mut next = ff + 1;
        while jpeg.get(next) == Some(&0xFF) {
            next += 1;
        }
        match *jpeg.get(next)? {
            0x00 | 0xD0..=0xD7 => at = next + 1,
            _ => return Some(next - 1),
        }
    }
}

/// Decodes the whole picture, strictly: a damaged picture is refused, not
/// filled in.
fn decode(jpeg: &[u8], frame: Frame) -> Result<(), Refusal> {
    let side = usize::try_from(MAX_PHOTO_SIDE).unwrap_or(usize::MAX);
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(side)
        .set_max_height(side);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    decoder
        .decode()
        .map_err(|e| not_jpeg(format!("it does not decode: {e}")))?;
    let decoded = decoder
        .info()
        .map(|i| (u32::from(i.width), u32::from(i.height)));
    if decoded != Some((frame.width, frame.height)) {
        return Err(not_jpeg("its frame header and its picture disagree"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A real JPEG of `w × h` pixels, as the app encodes it.
    fn jpeg(w: u16, h: u16, progressive: bool) -> Vec<u8> {
        let pixels: Vec<u8> = (0..usize::from(w) * usize::from(h))
            .flat_map(|i| [(i % 251) as u8, (i % 13 * 19) as u8, 90])
            .collect();
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
        encoder.set_progressive(progressive);
        encoder
            .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
            .expect("encode");
        out
    }

    /// `jpeg` with `segment` (marker and body) spliced in at `at`.
    fn splice(jpeg: &[u8], at: usize, marker: u8, body: &[u8]) -> Vec<u8> {
        let length = u16::try_from(body.len() + 2).expect("short segment");
        let mut out = jpeg[..at].to_vec();
        out.extend([0xFF, marker]);
        out.extend(length.to_be_bytes());
        out.extend(body);
        out.extend(&jpeg[at..]);
        out
    }

    /// Where the first marker `marker` starts, reading segment by segment.
    fn position_of(jpeg: &[u8], marker: u8) -> usize {
        let mut at = 2;
        while jpeg[at + 1] != marker {
            at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        }
        at
    }

    #[test]
    fn the_apps_jpegs_pass_with_their_size() {
        for progressive in [false, true] {
            let frame = inspect(&jpeg(40, 24, progressive)).expect("clean JPEG");
            assert_eq!((frame.width, frame.height), (40, 24));
        }
        let side = u16::try_from(MAX_PHOTO_SIDE).expect("side");
        let frame = inspect(&jpeg(side, 8, false)).expect("longest side");
        assert_eq!(frame.width, MAX_PHOTO_SIDE);
    }

    #[test]
    fn metadata_anywhere_is_refused() {
        let clean = jpeg(32, 32, true);
        let exif = splice(&clean, 2, 0xE1, b"Exif\0\0MM\0*\0\0\0\x08");
        assert!(matches!(inspect(&exif), Err(Refusal::Metadata(m)) if m.contains("EXIF")));
        let comment = splice(&clean, 2, COM, b"shot on a phone");
        assert!(matches!(inspect(&comment), Err(Refusal::Metadata(_))));
        // Between the scans of a progressive JPEG, after the first SOS.
        let sos = position_of(&clean, SOS);
        let data = sos + 2 + usize::from(u16::from_be_bytes([clean[sos + 2], clean[sos + 3]]));
        let second = next_marker(&clean, data).expect("a marker after the first scan");
        assert_ne!(
            clean[second + 1],
            EOI,
            "a progressive JPEG has several scans"
        );
        let hidden = splice(&clean, second, 0xE1, b"Exif\0\0");
        assert!(matches!(inspect(&hidden), Err(Refusal::Metadata(_))));
        // After the end of the picture.
        let mut trailer = clean.clone();
        trailer.extend(b"GPS 48.85N 2.35E");
        assert!(matches!(inspect(&trailer), Err(Refusal::Metadata(m)) if m.contains("16 bytes")));
        // APP0 (JFIF) is not metadata.
        let jfif = splice(&clean, 2, 0xE0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
        assert!(inspect(&jfif).is_ok());
    }

    #[test]
    fn sizes_beyond_the_limit_are_refused_by_the_frame_header() {
        let wide = jpeg(u16::try_from(MAX_PHOTO_SIDE + 1).expect("side"), 4, false);
        assert_eq!(
            inspect(&wide),
            Err(Refusal::Size {
                width: MAX_PHOTO_SIDE + 1,
                height: 4
            })
        );
        let err = inspect(&wide).expect_err("too wide").to_string();
        assert!(err.contains("1601×4") && err.contains("1600"), "{err}");
        // A frame header that claims no height.
        let mut zero = jpeg(8, 8, false);
        let sof = position_of(&zero, 0xC0);
        zero[sof + 5..sof + 7].copy_from_slice(&[0, 0]);
        assert!(matches!(
            inspect(&zero),
            Err(Refusal::Size { height: 0, .. })
        ));
    }

    #[test]
    fn what_is_not_a_whole_jpeg_is_refused() {
        let clean = jpeg(16, 16, false);
        for (bytes, why) in [
            (b"\x89PNG\r\n\x1a\n".to_vec(), "first marker"),
            (Vec::new(), "first marker"),
            (clean[..clean.len() / 2].to_vec(), "cut short"),
            (clean[..2].to_vec(), "cut short"),
            (vec![0xFF, 0xD8, 0xFF, 0xD9], "ends before"),
        ] {
            let err = inspect(&bytes).expect_err(why);
            assert!(
                matches!(&err, Refusal::NotJpeg(m) if m.contains(why)),
                "{why}: {err}"
            );
        }
        // Every segment reads, but the picture does not: its Huffman
        // tables are gone.
        let dht = position_of(&clean, 0xC4);
        let length = usize::from(u16::from_be_bytes([clean[dht + 2], clean[dht + 3]]));
        let mut no_tables = clean[..dht].to_vec();
        no_tables.extend(&clean[dht + 2 + length..]);
        assert!(walk(&no_tables).is_ok());
        assert!(
            matches!(inspect(&no_tables), Err(Refusal::NotJpeg(m)) if m.contains("does not decode"))
        );
        // A lossless frame.
        let mut lossless = clean.clone();
        let sof = position_of(&clean, 0xC0);
        lossless[sof + 1] = 0xC3;
        assert!(matches!(inspect(&lossless), Err(Refusal::NotJpeg(m)) if m.contains("baseline")));
    }

    proptest! {
        #[test]
        fn any_bytes_are_answered_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = inspect(&bytes);
            let mut jpeg_like = vec![0xFF, 0xD8];
            jpeg_like.extend(&bytes);
            let _ = inspect(&jpeg_like);
        }

        #[test]
        fn any_damage_to_a_real_jpeg_is_answered_without_panicking(
            at in 0usize..600, byte in any::<u8>(), cut in 0usize..600
        ) {
            let mut bytes = jpeg(24, 16, true);
            let len = bytes.len();
            bytes[at % len] = byte;
            bytes.truncate(len - cut % len);
            let _ = inspect(&bytes);
        }
    }
}
