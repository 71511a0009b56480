//! Frame sources: replay of folders and recordings, pushed frames, the
//! webcam's error path, and clear errors for bad input.

use std::path::Path;
use std::time::Duration;

use ridewire_ar::frames::{
    Frame, FrameSource, Next, Pushed, Recorder, Replay, Webcam, WebcamSettings,
};
use ridewire_ar::{Error, LumaImage};

fn write_png(path: &Path, w: u32, h: u32, shade: u8, colour: bool) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(if colour {
        png::ColorType::Rgb
    } else {
        png::ColorType::Grayscale
    });
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().unwrap();
    let channels = if colour { 3 } else { 1 };
    let data: Vec<u8> = (0..w * h * channels)
        .map(|i| shade.wrapping_add((i % 7) as u8))
        .collect();
    writer.write_image_data(&data).unwrap();
}

fn all_frames(source: &mut impl FrameSource) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut frame = Frame::default();
    while source.next_frame(&mut frame).unwrap() == Next::Frame {
        out.push(frame.clone());
    }
    out
}

#[test]
fn replay_plays_a_folder_in_name_order_at_the_given_rate() {
    let dir = tempfile::tempdir().unwrap();
    for (name, shade) in [("b.png", 20), ("a.png", 10), ("c.png", 30)] {
        write_png(&dir.path().join(name), 8, 6, shade, false);
    }
    std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();
    let mut replay = Replay::open(dir.path(), 10.0).unwrap();
    let frames = all_frames(&mut replay);
    let firsts: Vec<u8> = frames.iter().map(|f| f.image.pixels()[0]).collect();
    assert_eq!(firsts, vec![10, 20, 30]);
    let times: Vec<_> = frames.iter().map(|f| f.timestamp).collect();
    assert_eq!(
        times,
        vec![
            Duration::ZERO,
            Duration::from_millis(100),
            Duration::from_millis(200)
        ]
    );
}

#[test]
fn replay_takes_timestamps_from_the_sidecar_files() {
    let dir = tempfile::tempdir().unwrap();
    write_png(&dir.path().join("f1.png"), 4, 4, 0, false);
    write_png(&dir.path().join("f2.png"), 4, 4, 0, true);
    std::fs::write(
        dir.path().join("timestamps.txt"),
        "# name seconds\nf1.png 1.5\nf2.png 1.55\n",
    )
    .unwrap();
    let frames = all_frames(&mut Replay::open(dir.path(), 30.0).unwrap());
    assert_eq!(frames[1].timestamp, Duration::from_secs_f64(1.55));

    std::fs::remove_file(dir.path().join("timestamps.txt")).unwrap();
    std::fs::write(
        dir.path().join("timestamps.json"),
        r#"{"f1.png": 0.25, "f2.png": 0.5}"#,
    )
    .unwrap();
    let frames = all_frames(&mut Replay::open(dir.path(), 30.0).unwrap());
    assert_eq!(frames[0].timestamp, Duration::from_millis(250));

    std::fs::write(dir.path().join("timestamps.json"), r#"{"f1.png": 0.25}"#).unwrap();
    let err = Replay::open(dir.path(), 30.0).err().unwrap();
    assert!(err.to_string().contains("no timestamp for f2.png"), "{err}");
}

#[test]
fn colour_pngs_are_read_as_luma() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rgb.png");
    write_png(&path, 3, 2, 100, true);
    let img = ridewire_ar::frames::load_png_luma(&path).unwrap();
    assert_eq!((img.width(), img.height()), (3, 2));
    // First pixel is (100, 101, 102): Rec. 601 luma ≈ 100.7.
    assert_eq!(img.pixels()[0], 101);
}

/// An RGBA PNG whose pixel `i` is `(i, 2i, 3i, alpha)` (wrapping).
fn write_rgba_png(path: &Path, w: u32, h: u32, alpha: u8) -> Vec<u8> {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let data: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let i = i as u8;
            [i, i.wrapping_mul(2), i.wrapping_mul(3), alpha]
        })
        .collect();
    enc.write_header().unwrap().write_image_data(&data).unwrap();
    data
}

#[test]
fn colour_images_replay_in_colour_and_grey_ones_and_recordings_without() {
    let dir = tempfile::tempdir().unwrap();
    write_png(&dir.path().join("a-rgb.png"), 3, 2, 100, true);
    let rgba = write_rgba_png(&dir.path().join("b-rgba.png"), 4, 3, 128);
    write_png(&dir.path().join("c-grey.png"), 3, 2, 50, false);
    let mut data = Vec::new();
    jpeg_encoder::Encoder::new(&mut data, 95)
        .encode(
            &[30, 90, 200].repeat(16 * 8),
            16,
            8,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    std::fs::write(dir.path().join("d-colour.jpg"), &data).unwrap();
    let mut rec = Recorder::create(&dir.path().join("e.rwluma")).unwrap();
    rec.record(&Frame {
        image: LumaImage::new(3, 2),
        colour: None,
        timestamp: Duration::ZERO,
    })
    .unwrap();
    rec.finish().unwrap();

    let frames = all_frames(&mut Replay::open(dir.path(), 30.0).unwrap());
    assert_eq!(frames.len(), 5);
    // RGB: (100, 101, 102) first, as written; the luma as before.
    let rgb = frames[0].colour.as_ref().expect("colour");
    assert_eq!((rgb.width(), rgb.height()), (3, 2));
    assert_eq!(rgb.get(0, 0), [100, 101, 102, 255]);
    assert_eq!(frames[0].image.pixels()[0], 101);
    // RGBA: the colours as written, shown opaque.
    let shown = frames[1].colour.as_ref().expect("colour");
    let opaque: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    assert_eq!(shown.pixels(), opaque.as_slice());
    assert_eq!(
        frames[1].image,
        ridewire_ar::frames::load_png_luma(&dir.path().join("b-rgba.png")).unwrap()
    );
    // Grey images and recordings have no colour.
    assert_eq!(frames[2].colour, None);
    assert_eq!(frames[4].colour, None);
    // A colour JPEG does, close to what was encoded.
    let jpeg = frames[3].colour.as_ref().expect("colour");
    let [r, g, b, a] = jpeg.get(8, 4);
    assert!(r.abs_diff(30) <= 4 && g.abs_diff(90) <= 4 && b.abs_diff(200) <= 4 && a == 255);

    // Told not to, nothing has colour; the luma is the same.
    let grey = all_frames(&mut Replay::open(dir.path(), 30.0).unwrap().colour(false));
    assert!(grey.iter().all(|f| f.colour.is_none()));
    for (a, b) in grey.iter().zip(&frames) {
        assert_eq!(a.image, b.image);
    }
}

#[test]
fn replay_reuses_one_buffer_for_same_sized_frames() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        write_png(&dir.path().join(format!("{i}.png")), 64, 48, i, false);
    }
    let mut replay = Replay::open(dir.path(), 30.0).unwrap();
    let mut frame = Frame::default();
    replay.next_frame(&mut frame).unwrap();
    let buffer = frame.image.pixels().as_ptr();
    while replay.next_frame(&mut frame).unwrap() == Next::Frame {
        assert_eq!(frame.image.pixels().as_ptr(), buffer);
    }

    // Colour frames reuse their colour buffer too.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        write_png(&dir.path().join(format!("{i}.png")), 64, 48, i, true);
    }
    let mut replay = Replay::open(dir.path(), 30.0).unwrap();
    replay.next_frame(&mut frame).unwrap();
    let colour = |f: &Frame| f.colour.as_ref().map(|c| c.pixels().as_ptr());
    let buffers = (frame.image.pixels().as_ptr(), colour(&frame));
    assert!(buffers.1.is_some());
    while replay.next_frame(&mut frame).unwrap() == Next::Frame {
        assert_eq!((frame.image.pixels().as_ptr(), colour(&frame)), buffers);
    }
}

#[test]
fn a_recording_plays_back_exactly_what_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.rwluma");
    let mut rec = Recorder::create(&path).unwrap();
    let mut recorded = Vec::new();
    for i in 0..3u8 {
        let pixels: Vec<u8> = (0..40).map(|p| p * 3 + i).collect();
        let frame = Frame {
            image: LumaImage::from_pixels(8, 5, pixels).unwrap(),
            colour: None,
            timestamp: Duration::from_millis(33 * i as u64),
        };
        rec.record(&frame).unwrap();
        recorded.push(frame);
    }
    rec.finish().unwrap();
    // A recording plays on its own and from its folder.
    assert_eq!(
        all_frames(&mut Replay::open(&path, 30.0).unwrap()),
        recorded
    );
    assert_eq!(
        all_frames(&mut Replay::open(dir.path(), 30.0).unwrap()),
        recorded
    );

    // Cut it short: the error says so instead of playing garbage.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    let mut replay = Replay::open(&path, 30.0).unwrap();
    let mut frame = Frame::default();
    assert_eq!(replay.next_frame(&mut frame).unwrap(), Next::Frame);
    assert_eq!(replay.next_frame(&mut frame).unwrap(), Next::Frame);
    let err = replay.next_frame(&mut frame).unwrap_err();
    assert!(
        err.to_string().contains("ends in the middle of a frame"),
        "{err}"
    );
}

#[test]
fn looping_replay_starts_over_with_rising_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    write_png(&dir.path().join("only.png"), 4, 4, 0, false);
    let mut replay = Replay::open(dir.path(), 30.0).unwrap().looping(true);
    let mut frame = Frame::default();
    let mut last = None;
    for _ in 0..4 {
        assert_eq!(replay.next_frame(&mut frame).unwrap(), Next::Frame);
        assert!(last.is_none_or(|t| frame.timestamp > t));
        last = Some(frame.timestamp);
    }
}

#[test]
fn bad_inputs_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    // An empty folder.
    let err = Replay::open(dir.path(), 30.0).unwrap_err();
    assert!(matches!(err, Error::NoImages(_)), "{err}");
    assert!(err.to_string().contains("no PNG or JPEG images"), "{err}");
    // A missing path.
    let err = Replay::open(&dir.path().join("nope"), 30.0).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    // A corrupt PNG names the file.
    let bad = dir.path().join("broken.png");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\nthis is not really a png").unwrap();
    let mut replay = Replay::open(dir.path(), 30.0).unwrap();
    let err = replay.next_frame(&mut Frame::default()).unwrap_err();
    assert!(matches!(err, Error::BadImage { .. }), "{err}");
    assert!(err.to_string().contains("broken.png"), "{err}");
    // A file that is not a recording.
    let fake = dir.path().join("fake.rwluma");
    std::fs::write(&fake, b"hello").unwrap();
    let mut replay = Replay::open(&fake, 30.0).unwrap();
    let err = replay.next_frame(&mut Frame::default()).unwrap_err();
    assert!(
        err.to_string().contains("not a RideWire recording"),
        "{err}"
    );
    // A frame whose buffer does not match its size.
    let err = LumaImage::from_pixels(10, 10, vec![0; 99]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::FrameSize {
                expected: 100,
                got: 99,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn pushed_frames_latest_wins_and_the_source_ends_with_its_pushers() {
    let (mut source, pusher) = Pushed::new();
    let mut frame = Frame::default();
    assert_eq!(source.next_frame(&mut frame).unwrap(), Next::Waiting);

    let shell = pusher.clone();
    std::thread::spawn(move || {
        // Rows padded to 6 bytes, as camera buffers often are.
        for i in 0..3u8 {
            let plane: Vec<u8> = (0..6 * 3)
                .map(|p| if p % 6 < 4 { i * 10 } else { 255 })
                .collect();
            shell
                .push(4, 3, 6, &plane, Duration::from_millis(i as u64 * 33))
                .unwrap();
        }
    })
    .join()
    .unwrap();

    assert_eq!(source.next_frame(&mut frame).unwrap(), Next::Frame);
    assert_eq!((frame.image.width(), frame.image.height()), (4, 3));
    assert!(
        frame.image.pixels().iter().all(|&p| p == 20),
        "latest frame, padding dropped"
    );
    assert_eq!(frame.timestamp, Duration::from_millis(66));
    assert_eq!(source.skipped(), 2);
    assert_eq!(source.next_frame(&mut frame).unwrap(), Next::Waiting);

    // A plane too short for the stated size is refused, not read past.
    let err = pusher.push(4, 3, 6, &[0; 10], Duration::ZERO).unwrap_err();
    assert!(matches!(err, Error::FrameSize { .. }), "{err}");

    drop(pusher);
    assert_eq!(source.next_frame(&mut frame).unwrap(), Next::Ended);
}

#[test]
fn pushed_frames_alternate_between_two_buffers() {
    let (mut source, pusher) = Pushed::new();
    let mut frame = Frame::default();
    let mut buffers = std::collections::HashSet::new();
    let plane = vec![7u8; 64 * 48];
    for i in 0..10 {
        pusher
            .push(64, 48, 64, &plane, Duration::from_millis(i))
            .unwrap();
        assert_eq!(source.next_frame(&mut frame).unwrap(), Next::Frame);
        buffers.insert(frame.image.pixels().as_ptr() as usize);
    }
    assert!(buffers.len() <= 2, "{} buffers", buffers.len());
}

#[test]
fn whole_frames_are_pushed_with_their_colour_by_swapping_buffers() {
    let (mut source, pusher) = Pushed::new();
    let mut reader = Frame::default();
    let mut camera = Frame::default();
    let mut buffers = std::collections::HashSet::new();
    for i in 0..10u8 {
        let (luma, colour) = camera.pictures_mut();
        luma.resize(8, 4);
        luma.pixels_mut().fill(i);
        colour.resize(8, 4);
        colour.pixels_mut().fill(i);
        camera.timestamp = Duration::from_millis(u64::from(i));
        pusher.push_frame(&mut camera).unwrap();
        assert_eq!(source.next_frame(&mut reader).unwrap(), Next::Frame);
        let colour = reader.colour.as_ref().expect("colour");
        assert!(colour.pixels().iter().all(|&p| p == i));
        assert!(reader.image.pixels().iter().all(|&p| p == i));
        assert_eq!(reader.timestamp, Duration::from_millis(u64::from(i)));
        buffers.insert(colour.pixels().as_ptr() as usize);
    }
    // Camera, slot and reader pass the same few buffers round.
    assert!(buffers.len() <= 3, "{} buffers", buffers.len());
    // A Y plane pushed after a colour frame has no colour.
    pusher
        .push(8, 4, 8, &[1; 32], Duration::from_millis(20))
        .unwrap();
    assert_eq!(source.next_frame(&mut reader).unwrap(), Next::Frame);
    assert_eq!(reader.colour, None);
}

#[test]
fn opening_a_webcam_without_support_or_camera_is_an_error_not_a_panic() {
    match Webcam::open(&WebcamSettings::default()) {
        Err(Error::WebcamUnsupported) => {
            let msg = Error::WebcamUnsupported.to_string();
            assert!(msg.contains("no webcam support"), "{msg}");
        }
        Err(Error::NoCamera(why)) => {
            eprintln!("no camera here: {why}");
            assert!(!why.is_empty());
        }
        Err(other) => panic!("unexpected error {other}"),
        // A machine with a camera and the feature on: fine too.
        Ok(_) => {}
    }
}

#[test]
fn jpeg_footage_replays_and_its_markers_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    for seed in 0..4u64 {
        let scene = crate::common::one_marker_scene(seed, 640, 480, 80.0, 160.0, 40.0);
        let (img, _) = crate::common::draw(&scene);
        let mut data = Vec::new();
        jpeg_encoder::Encoder::new(&mut data, 75)
            .encode(
                img.pixels(),
                img.width() as u16,
                img.height() as u16,
                jpeg_encoder::ColorType::Luma,
            )
            .unwrap();
        // Camera apps name them either way.
        let ext = if seed % 2 == 0 { "jpg" } else { "JPEG" };
        std::fs::write(dir.path().join(format!("frame{seed}.{ext}")), &data).unwrap();
        ids.push(scene.markers[0].id);
    }
    let mut replay = Replay::open(dir.path(), 30.0).unwrap();
    let mut detector = ridewire_ar::Detector::default();
    let mut frame = Frame::default();
    let mut found = Vec::new();
    while replay.next_frame(&mut frame).unwrap() == Next::Frame {
        assert_eq!((frame.image.width(), frame.image.height()), (640, 480));
        found.extend(detector.detect(&frame.image).iter().map(|m| m.id));
    }
    assert_eq!(found, ids);

    // A broken JPEG is a clear error naming the file.
    let broken = dir.path().join("broken.jpg");
    std::fs::write(&broken, b"\xff\xd8 not really").unwrap();
    let mut replay = Replay::open_all(std::slice::from_ref(&broken), 30.0).unwrap();
    let err = replay.next_frame(&mut frame).unwrap_err().to_string();
    assert!(err.contains("broken.jpg") && err.contains("JPEG"), "{err}");
}
