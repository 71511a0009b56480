//! What a photo's own EXIF block says that the app may keep or use: when
//! and where it was taken (kept only when the rider allows it) and which
//! way up it is (applied to the pixels, since the metadata goes). Nothing
//! else of it is read. A block that does not read is ignored: the photo
//! still goes, without its time and place.

use chrono::{FixedOffset, NaiveDateTime, TimeZone};
use ridewire_engine::geo::GeoPoint;

/// The facts read from a photo's EXIF block.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Facts {
    /// When it was taken (Unix ms).
    pub taken_ms: Option<i64>,
    /// Where it was taken.
    pub at: Option<GeoPoint>,
    /// EXIF orientation, 1 (upright) to 8; 1 when not given.
    pub orientation: u16,
}

const ORIENTATION: u16 = 0x0112;
const DATE_TIME: u16 = 0x0132;
const EXIF_IFD: u16 = 0x8769;
const GPS_IFD: u16 = 0x8825;
const DATE_TIME_ORIGINAL: u16 = 0x9003;
const OFFSET_TIME_ORIGINAL: u16 = 0x9011;
const GPS_LATITUDE_REF: u16 = 1;
const GPS_LATITUDE: u16 = 2;
const GPS_LONGITUDE_REF: u16 = 3;
const GPS_LONGITUDE: u16 = 4;

/// Reads the facts of the first EXIF block in `jpeg`; the local time of a
/// date without its own offset is taken at `utc_offset_min`.
pub fn read(jpeg: &[u8], utc_offset_min: i16) -> Facts {
    let mut facts = Facts {
        orientation: 1,
        ..Facts::default()
    };
    let Some(tiff) = exif_block(jpeg) else {
        return facts;
    };
    let Some(tiff) = Tiff::new(tiff) else {
        return facts;
    };
    let Some(ifd0) = tiff.u32_at(4).map(|o| o as usize) else {
        return facts;
    };
    let mut date = None;
    let mut offset = None;
    for entry in tiff.entries(ifd0) {
        match entry.tag {
            ORIENTATION => {
                if let Some(o) = tiff.short(&entry).filter(|o| (1..=8).contains(o)) {
                    facts.orientation = o;
                }
            }
            DATE_TIME if date.is_none() => date = tiff.ascii(&entry),
            EXIF_IFD => {
                for inner in tiff.entries(entry.value as usize) {
                    match inner.tag {
                        DATE_TIME_ORIGINAL => date = tiff.ascii(&inner).or(date),
                        OFFSET_TIME_ORIGINAL => offset = tiff.ascii(&inner),
                        _ => {}
                    }
                }
            }
            GPS_IFD => facts.at = gps(&tiff, entry.value as usize),
            _ => {}
        }
    }
    facts.taken_ms = date.and_then(|d| taken_ms(&d, offset.as_deref(), utc_offset_min));
    facts
}

/// The TIFF data of the first APP1 `Exif` segment before the image data.
fn exif_block(jpeg: &[u8]) -> Option<&[u8]> {
    if jpeg.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        let marker = *jpeg.get(at + 1)?;
        if *jpeg.get(at)? != 0xFF || marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
        let body = jpeg.get(at + 4..at + 2 + len)?;
        if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
            return body.get(6..);
        }
        at += 2 + len;
    }
}

/// One IFD entry: its tag, type, count and the 4 bytes of its value or
/// offset (as read in the block's byte order).
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    value: u32,
    /// Where the 4 value bytes are, for values that fit in them.
    value_at: usize,
}

struct Tiff<'a> {
    data: &'a [u8],
    little: bool,
}

impl<'a> Tiff<'a> {
    fn new(data: &'a [u8]) -> Option<Self> {
        let little = match data.get(..2)? {
            b"II" => true,
            b"MM" => false,
            _ => return None,
        };
        let tiff = Tiff { data, little };
        (tiff.u16_at(2)? == 42).then_some(tiff)
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let b = [*self.data.get(at)?, *self.data.get(at + 1)?];
        Some(if self.little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(at..at + 4)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// The entries of the IFD at `at` (none when it does not read).
    fn entries(&self, at: usize) -> Vec<Entry> {
        let Some(count) = self.u16_at(at) else {
            return Vec::new();
        };
        (0..usize::from(count))
            .map_while(|i| {
                let e = at + 2 + 12 * i;
                Some(Entry {
                    tag: self.u16_at(e)?,
                    kind: self.u16_at(e + 2)?,
                    count: self.u32_at(e + 4)?,
                    value: self.u32_at(e + 8)?,
                    value_at: e + 8,
                })
            })
            .collect()
    }

    fn short(&self, entry: &Entry) -> Option<u16> {
        (entry.kind == 3 && entry.count >= 1).then(|| self.u16_at(entry.value_at))?
    }

    fn ascii(&self, entry: &Entry) -> Option<String> {
        if entry.kind != 2 {
            return None;
        }
        let len = entry.count as usize;
        let at = if len <= 4 {
            entry.value_at
        } else {
            entry.value as usize
        };
        let bytes = self.data.get(at..at.checked_add(len)?)?;
        let text = bytes.split(|&b| b == 0).next()?;
        std::str::from_utf8(text).ok().map(|t| t.trim().to_owned())
    }

    /// Three unsigned rationals (degrees, minutes, seconds) as degrees.
    fn degrees(&self, entry: &Entry) -> Option<f64> {
        if entry.kind != 5 || entry.count != 3 {
            return None;
        }
        let at = entry.value as usize;
        let mut total = 0.0;
        for (i, scale) in [1.0, 60.0, 3600.0].into_iter().enumerate() {
            let num = f64::from(self.u32_at(at + 8 * i)?);
            let den = f64::from(self.u32_at(at + 8 * i + 4)?);
            if den == 0.0 {
                return None;
            }
            total += num / den / scale;
        }
        Some(total)
    }
}

fn gps(tiff: &Tiff<'_>, at: usize) -> Option<GeoPoint> {
    let (mut lat, mut lon, mut north, mut east) = (None, None, None, None);
    for entry in tiff.entries(at) {
        match entry.tag {
            GPS_LATITUDE_REF => north = tiff.ascii(&entry).map(|r| r != "S"),
            GPS_LATITUDE => lat = tiff.degrees(&entry),
            GPS_LONGITUDE_REF => east = tiff.ascii(&entry).map(|r| r != "W"),
            GPS_LONGITUDE => lon = tiff.degrees(&entry),
            _ => {}
        }
    }
    let sign = |positive: bool| if positive { 1.0 } else { -1.0 };
    let point = GeoPoint {
        lat: lat? * sign(north?),
        lon: lon? * sign(east?),
    };
    point.is_valid().then_some(point)
}

/// `YYYY:MM:DD HH:MM:SS` at the offset `±HH:MM` (or `fallback_min`).
fn taken_ms(date: &str, offset: Option<&str>, fallback_min: i16) -> Option<i64> {
    let local = NaiveDateTime::parse_from_str(date, "%Y:%m:%d %H:%M:%S").ok()?;
    let offset_min = match offset {
        Some(text) => {
            let sign = match text.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let hours: i32 = text.get(1..3)?.parse().ok()?;
            let minutes: i32 = text.get(4..6)?.parse().ok()?;
            sign * (hours * 60 + minutes)
        }
        None => i32::from(fallback_min),
    };
    let zone = FixedOffset::east_opt(offset_min * 60)?;
    zone.from_local_datetime(&local)
        .single()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_without_offset_is_the_riders_local_time_and_junk_is_ignored() {
        assert_eq!(
            taken_ms("2026:11:28 14:30:05", None, 120),
            Some(1_795_869_005_000)
        );
        assert_eq!(taken_ms("2026:13:28 14:30:05", None, 0), None);
        for junk in [
            &b""[..],
            b"\xff\xd8",
            b"\xff\xd8\xff\xe1\x00\x10Exif\0\0MM\0\x2a\xff\xff\xff\xff",
            b"\xff\xd8\xff\xe1\xff\xffExif",
            b"not a jpeg at all",
        ] {
            let facts = read(junk, 0);
            assert_eq!(
                facts,
                Facts {
                    orientation: 1,
                    ..Facts::default()
                }
            );
        }
    }
}
