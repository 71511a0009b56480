//! Photo proofs on a real SQLite file: a phone's photo made ready (upright,
//! small, without its metadata), a quest tagged `#photo` completed with it,
//! and what goes with the proof only when the rider allows it.

use ridewire_app::photos::{self, PhotoAttempt, Prepared, Share};
use ridewire_app::plans;
use ridewire_app::rider::Rider;
use ridewire_engine::event::EventKind;
use ridewire_engine::proof::{MAX_PHOTO_BYTES, MAX_PHOTO_SIDE};
use ridewire_engine::quest::QuestId;
use ridewire_offline_store::Store;

const NOW: i64 = 1_800_000_000_000;

const PLAN: &str = "# Winter\n\n## Brakes\n\n- [ ] New front pads #photo\n    - [ ] Fit the pads\n- [ ] Check the fluid\n";

/// An APP1 `Exif` segment as a phone writes one: big-endian TIFF with
/// orientation 6 (turn clockwise to view), the time it was taken at
/// +01:00, and the place (48° 8' 13.75" N, 1° 34' 30" W), plus a camera
/// make that must not survive.
fn phone_exif() -> Vec<u8> {
    // Offsets from the TIFF start: IFD0 at 8 (4 entries: 8 + 2 + 48 + 4 =
    // 62), Exif IFD at 62 (2 entries, to 92), GPS IFD at 92 (4 entries, to
    // 146), then the date (20 bytes) at 146, the offset (7) at 166, the
    // latitude (24) at 173, the longitude (24) at 197, the make (16) at 221.
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        for field in [
            &tag.to_be_bytes()[..],
            &kind.to_be_bytes(),
            &count.to_be_bytes(),
            &value.to_be_bytes(),
        ] {
            t.extend_from_slice(field);
        }
    };
    t.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut t, 0x010F, 2, 16, 221);
    entry(&mut t, 0x0112, 3, 1, 6 << 16);
    entry(&mut t, 0x8769, 4, 1, 62);
    entry(&mut t, 0x8825, 4, 1, 92);
    t.extend_from_slice(&[0; 4]);
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x9003, 2, 20, 146);
    entry(&mut t, 0x9011, 2, 7, 166);
    t.extend_from_slice(&[0; 4]);
    t.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut t, 1, 2, 2, u32::from_be_bytes(*b"N\0\0\0"));
    entry(&mut t, 2, 5, 3, 173);
    entry(&mut t, 3, 2, 2, u32::from_be_bytes(*b"W\0\0\0"));
    entry(&mut t, 4, 5, 3, 197);
    t.extend_from_slice(&[0; 4]);
    assert_eq!(t.len(), 146);
    t.extend_from_slice(b"2026:11:28 14:30:05\0+01:00\0");
    for (n, d) in [(48u32, 1u32), (8, 1), (1375, 100), (1, 1), (34, 1), (30, 1)] {
        t.extend_from_slice(&n.to_be_bytes());
        t.extend_from_slice(&d.to_be_bytes());
    }
    t.extend_from_slice(b"SecretPhone Pro\0");
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((2 + 6 + t.len()) as u16).to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&t);
    segment
}

/// A `w`×`h` JPEG, its left half red and its right half blue, with the
/// phone's EXIF segment right after SOI.
fn phone_photo(w: u16, h: u16) -> Vec<u8> {
    let mut rgb = Vec::new();
    for _ in 0..h {
        for x in 0..w {
            rgb.extend_from_slice(if x < w / 2 {
                &[220, 30, 30]
            } else {
                &[30, 30, 220]
            });
        }
    }
    let mut plain = Vec::new();
    jpeg_encoder::Encoder::new(&mut plain, 90)
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend(phone_exif());
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

/// Whether `jpeg` has any segment besides APP0 (JFIF) before its image
/// data: EXIF, XMP, ICC, comments.
fn has_metadata(jpeg: &[u8]) -> bool {
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
        let marker = jpeg[at + 1];
        if (0xE1..=0xEF).contains(&marker) || marker == 0xFE {
            return true;
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    false
}

fn windows(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_phone_photo_comes_out_upright_small_and_without_its_metadata() {
    let source = phone_photo(2400, 1200);
    assert!(has_metadata(&source) && windows(&source, b"SecretPhone"));
    let prepared = Prepared::from_bytes(&source, 0).unwrap();
    // Turned clockwise: 1200 wide, 2400 tall, fitted to 800×1600.
    assert_eq!(
        (prepared.width, prepared.height),
        (MAX_PHOTO_SIDE / 2, MAX_PHOTO_SIDE)
    );
    assert!(prepared.jpeg.len() <= MAX_PHOTO_BYTES as usize);
    assert!(!has_metadata(&prepared.jpeg));
    assert!(!windows(&prepared.jpeg, b"SecretPhone") && !windows(&prepared.jpeg, b"Exif"));
    // The source's left half (red) is now on top.
    let mut luma = ridewire_ar::image::LumaImage::default();
    let mut colour = ridewire_ar::image::RgbaImage::default();
    ridewire_ar::frames::mjpeg_to_rgba(&prepared.jpeg, &mut luma, &mut colour).unwrap();
    let top = colour.get(400, 200);
    let bottom = colour.get(400, 1400);
    assert!(top[0] > 180 && top[2] < 80, "top {top:?}");
    assert!(bottom[2] > 180 && bottom[0] < 80, "bottom {bottom:?}");
    // What the source said, read before it went: 14:30:05 at +01:00.
    assert_eq!(prepared.found.taken_ms, Some(1_795_872_605_000));
    let at = prepared.found.at.unwrap();
    assert!((at.lat - 48.137_152_777).abs() < 1e-6, "{at:?}");
    assert!((at.lon + 1.575).abs() < 1e-9, "{at:?}");
}

#[test]
fn a_photo_task_is_completed_with_a_photo_sharing_only_what_the_rider_allows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("winter.md");
    std::fs::write(&file, PLAN).unwrap();
    let db = dir.path().join("rider.db");
    let mut rider = Rider::open(&db, NOW).unwrap();
    plans::open_file(&mut rider, &file, NOW, 60).unwrap();
    let quest_titled = |rider: &Rider, title: &str| -> QuestId {
        rider
            .catalog
            .quests()
            .find(|q| q.title == title)
            .unwrap()
            .id
            .clone()
    };
    let pads = quest_titled(&rider, "New front pads");
    let fluid = quest_titled(&rider, "Check the fluid");
    let photo = Prepared::from_bytes(&phone_photo(640, 480), 0).unwrap();

    // A task without #photo takes none.
    let none = photos::complete_with_photo(&mut rider, &fluid, &photo, Share::default(), NOW, 60);
    assert_eq!(none, PhotoAttempt::NoPhotoNeeded);

    // The step first: the photo is kept, the quest waits for the step.
    let kept =
        photos::complete_with_photo(&mut rider, &pads, &photo, Share::default(), NOW + 1_000, 60);
    assert!(matches!(kept, PhotoAttempt::PhotoKept { .. }), "{kept:?}");
    assert!(
        kept.words("New front pads")
            .contains("1 step(s) still to tick off")
    );
    let step = rider.catalog.quest(&pads).unwrap().steps[0].id.clone();
    rider.record(
        EventKind::StepChecked {
            quest: pads.clone(),
            step,
        },
        NOW + 2_000,
        60,
    );
    let share = Share {
        time: true,
        place: false,
    };
    let done = photos::complete_with_photo(&mut rider, &pads, &photo, share, NOW + 3_000, 60);
    let PhotoAttempt::Completed { xp, completion, .. } = done else {
        panic!("{done:?}");
    };
    assert!(xp > 0);
    assert_eq!(rider.counted_completion(&pads), Some(completion));
    // The first photo went without time or place; the second with its time only.
    let described: Vec<_> = rider
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::PhotoSubmitted { photo, .. } => Some(photo.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(described.len(), 2);
    assert_eq!((described[0].taken_ms, described[0].at), (None, None));
    assert_eq!(described[1].taken_ms, Some(1_795_872_605_000));
    assert_eq!(described[1].at, None);
    // Done: a second photo is refused; the picture waits for upload once.
    let again = photos::complete_with_photo(&mut rider, &pads, &photo, share, NOW + 4_000, 60);
    assert!(matches!(again, PhotoAttempt::Refused(_)), "{again:?}");
    drop(rider);
    let store = Store::open(&db, NOW + 5_000).unwrap().store;
    let waiting = store.photos_to_upload().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].jpeg, photo.jpeg);
    assert_eq!(waiting[0].sha256, described[0].sha256);
}

#[test]
fn what_is_not_a_picture_is_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "pads: 4 mm left").unwrap();
    let err = Prepared::from_file(&text, 0).unwrap_err().to_string();
    assert!(err.contains("take a JPEG or a PNG"), "{err}");
    let broken = dir.path().join("broken.jpg");
    std::fs::write(&broken, b"\xff\xd8\xff\xe0\x00\x10JFIF\0").unwrap();
    let err = Prepared::from_file(&broken, 0).unwrap_err().to_string();
    assert!(err.starts_with("the JPEG does not read"), "{err}");
    let err = Prepared::from_file(&dir.path().join("gone.jpg"), 0)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("cannot read the picture"), "{err}");
    assert!(photos::parse_completion("ridewire:vouch/not-an-id").is_err());
    assert!(
        photos::parse_completion(" ridewire:vouch/0193a4c2-7d1e-7b3a-9f00-1c2d3e4f5a6b ").is_ok()
    );
}
