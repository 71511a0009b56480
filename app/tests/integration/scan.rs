//! The scan session on the demo recording, as the scanner screen and the
//! phones drive it: the marker found, the recording's pace kept, the scan
//! earned only with the marker in view, the server's overlay pack taken
//! only when it is sound.

use std::time::Duration;

use ridewire_app::Error;
use ridewire_app::scan::{DEMO_FPS, DEMO_NAME, MIN_SCAN_SECONDS, Session, assets_root, pack_for};
use ridewire_ar::frames::{Frame, FrameSource, Next};
use ridewire_engine::event::EventKind;
use uuid::Uuid;

const BIKE: &str = "harley-street-750-2022";

fn demo() -> Session {
    let root = assets_root();
    let chosen = pack_for(&root, BIKE, None).unwrap();
    Session::demo(&root, chosen.pack, None).unwrap()
}

#[test]
fn the_demo_recording_shows_the_demo_bikes_marker_at_its_distance() {
    let session = demo();
    assert_eq!(session.source_name, DEMO_NAME);
    assert!(!session.live);
    let marker = session.marker.as_ref().expect("marker in the first frame");
    assert_eq!(marker.id, session.pack.marker.id);
    let distance = marker.pose.tvec.iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!((distance - 1.1).abs() < 0.05, "{distance} m");
    let (w, h) = session.frame_size;
    assert_eq!(
        (
            session.frame().image.width(),
            session.frame().image.height()
        ),
        (w as usize, h as usize)
    );
}

#[test]
fn a_recording_keeps_its_own_pace_whatever_the_callers_frame_rate() {
    // One second of a 60 Hz loop takes the recording's 12 frames, not 60.
    let mut session = demo();
    let mut changed: u32 = 0;
    for _ in 0..60 {
        if session.advance(Duration::from_secs_f64(1.0 / 60.0)) {
            changed += 1;
        }
    }
    let expected = DEMO_FPS as i64;
    assert!(
        (i64::from(changed) - expected).abs() <= 1,
        "{changed} new frames in a second at {DEMO_FPS} fps"
    );
    assert_eq!(session.frames, 1 + u64::from(changed));
    assert_eq!(session.problem, None);
    // The marker stays in view in the demo: the second counts.
    assert!(
        (session.tracked_seconds - 1.0).abs() < 0.05,
        "{}",
        session.tracked_seconds
    );
}

#[test]
fn a_scan_is_earned_only_with_the_marker_in_view_long_enough() {
    let mut session = demo();
    let run = Uuid::from_u128(7);
    session.tracked_seconds = MIN_SCAN_SECONDS - 0.6;
    assert_eq!(
        session.scan_event(Some(run)),
        None,
        "a glance earns nothing"
    );
    session.tracked_seconds = 3.4;
    match session.scan_event(Some(run)) {
        Some(EventKind::ArScan {
            diagnostic_id,
            duration_seconds,
            vehicle,
            quest,
        }) => {
            assert_eq!(diagnostic_id, Some(run));
            assert_eq!(duration_seconds, 3);
            assert_eq!(vehicle.map(|v| v.to_string()), Some(BIKE.to_owned()));
            assert_eq!(quest, None);
        }
        other => panic!("expected a scan, got {other:?}"),
    }
}

/// A camera that gives a few frames of the demo, then breaks.
struct Breaking {
    inner: Session,
    left: u32,
}

impl FrameSource for Breaking {
    fn next_frame(&mut self, frame: &mut Frame) -> ridewire_ar::Result<Next> {
        if self.left == 0 {
            return Err(ridewire_ar::Error::SourceFailed("unplugged".into()));
        }
        self.left -= 1;
        self.inner.advance(Duration::from_secs_f64(1.0 / DEMO_FPS));
        *frame = self.inner.frame().clone();
        Ok(Next::Frame)
    }
}

#[test]
fn a_source_that_breaks_is_reported_and_the_session_stands_still() {
    let pack = demo().pack.clone();
    let source = Breaking {
        inner: demo(),
        left: 3,
    };
    let mut session = Session::start(Box::new(source), "Camera 0".into(), pack).unwrap();
    let mut frames = 0;
    for _ in 0..20 {
        if session.advance(Duration::from_secs_f64(1.0 / DEMO_FPS)) {
            frames += 1;
        }
    }
    assert_eq!(frames, 2, "the frames it gave after the first");
    let problem = session.problem.clone().expect("a problem");
    assert!(problem.contains("unplugged"), "{problem}");
    let seen = session.tracked_seconds;
    assert!(!session.advance(Duration::from_secs(1)));
    assert_eq!(
        session.tracked_seconds, seen,
        "nothing moves after it stopped"
    );
}

#[test]
fn a_source_without_a_first_picture_is_a_clear_error() {
    struct Empty;
    impl FrameSource for Empty {
        fn next_frame(&mut self, _: &mut Frame) -> ridewire_ar::Result<Next> {
            Ok(Next::Ended)
        }
    }
    let pack = demo().pack.clone();
    let err = Session::start(Box::new(Empty), "Camera 0".into(), pack)
        .err()
        .expect("no session");
    assert!(matches!(err, Error::NoPicture), "{err}");
    assert_eq!(err.to_string(), "the camera gave no picture");
}

#[test]
fn a_pack_from_the_server_is_used_when_sound_else_the_bundled_one() {
    let root = assets_root();
    let bundled: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("overlays").join(format!("{BIKE}.json"))).unwrap(),
    )
    .unwrap();
    // The workshop moved the battery and published version 2.
    let mut newer = bundled.clone();
    newer["version"] = 2.into();
    newer["components"][3]["translation"] = serde_json::json!([0.3, 0.0, -0.1]);
    let chosen = pack_for(&root, BIKE, Some(newer)).unwrap();
    assert_eq!(chosen.pack.version, 2);
    assert_eq!(chosen.passed_over, None);
    // A broken one (a model this app does not have) falls back, saying why.
    let mut broken = bundled.clone();
    broken["components"][0]["model"] = "models/not-here.glb".into();
    let chosen = pack_for(&root, BIKE, Some(broken)).unwrap();
    assert_eq!(chosen.pack.version, 1);
    let why = chosen.passed_over.expect("a reason");
    assert!(why.contains("not-here.glb"), "{why}");
    // So does another bike's pack.
    let other: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("overlays/yamaha-mt-07-2021.json")).unwrap(),
    )
    .unwrap();
    let chosen = pack_for(&root, BIKE, Some(other)).unwrap();
    assert_eq!(chosen.pack.vehicle, BIKE);
    assert!(chosen.passed_over.expect("a reason").contains("yamaha"));
}

#[test]
fn a_bike_without_a_model_set_scans_on_the_any_bike_marker() {
    let chosen = pack_for(&assets_root(), "ural-gear-up-2020", None).expect("a bare pack");
    assert_eq!(chosen.pack.vehicle, "ural-gear-up-2020");
    assert!(chosen.pack.components.is_empty());
    assert_eq!(
        chosen.pack.marker.id,
        ridewire_ar::overlay::ANY_BIKE_MARKER_ID
    );
    // A bundled pack that is damaged is still an error, not a bare pack.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("overlays")).unwrap();
    std::fs::write(dir.path().join("overlays/ural-gear-up-2020.json"), "{").unwrap();
    let err = pack_for(dir.path(), "ural-gear-up-2020", None).expect_err("damaged");
    assert!(matches!(err, Error::OverlayPack(_)), "{err}");
}

#[test]
fn pushed_frames_are_tracked_at_once_and_a_wrong_buffer_is_refused() {
    use ridewire_app::scan::PushedFrames;
    // The demo recording's frames, pushed as a phone would push Y planes.
    let mut recording = demo();
    let expected = recording.marker.expect("marker").pose;
    let k = recording.intrinsics;
    let mut phone = PushedFrames::default();
    phone.set_camera(k.fx, k.fy, k.cx, k.cy).unwrap();
    phone.set_marker_size(recording.pack.marker.size_m).unwrap();
    let (w, h) = recording.frame_size;
    let seen = phone
        .push(w, h, recording.frame().image.pixels(), 0)
        .unwrap();
    let marker = seen
        .iter()
        .find(|m| m.id == recording.pack.marker.id)
        .expect("the pack's marker");
    for (got, want) in marker.pose.tvec.iter().zip(expected.tvec) {
        assert!(
            (got - want).abs() < 1e-6,
            "{:?} vs {:?}",
            marker.pose,
            expected
        );
    }
    // The next frame of the recording is tracked too.
    recording.advance(Duration::from_secs(1));
    let seen = phone
        .push(w, h, recording.frame().image.pixels(), 1_000)
        .unwrap();
    assert!(seen.iter().any(|m| m.id == recording.pack.marker.id));

    let err = phone
        .push(w, h, &recording.frame().image.pixels()[1..], 2_000)
        .expect_err("short buffer");
    assert!(err.to_string().contains("needs"), "{err}");
    assert!(phone.push(0, 0, &[], 2_000).is_err(), "an empty frame");
    assert!(phone.set_marker_size(0.0).is_err());
    assert!(phone.set_marker_size(f64::NAN).is_err());
    assert!(phone.set_camera(-1.0, 900.0, 640.0, 360.0).is_err());
}

#[test]
fn a_host_camera_copies_only_while_read_and_hands_over_the_newest_frame() {
    use ridewire_app::scan::HostCamera;
    let camera = HostCamera::default();
    let plane = |v: u8| vec![v; 64 * 48];
    // Nobody reads: nothing is copied, and the host is told so.
    assert!(!camera.offer(64, 48, &plane(1), Duration::ZERO).unwrap());
    assert!(!camera.is_read());

    let mut reader = camera.reader();
    assert!(camera.is_read());
    let mut frame = Frame::default();
    assert_eq!(reader.next_frame(&mut frame).unwrap(), Next::Waiting);
    assert!(
        camera
            .offer(64, 48, &plane(10), Duration::from_millis(33))
            .unwrap()
    );
    assert!(
        camera
            .offer(64, 48, &plane(20), Duration::from_millis(66))
            .unwrap()
    );
    // A reader that fell behind gets the newest frame, once.
    assert_eq!(reader.next_frame(&mut frame).unwrap(), Next::Frame);
    assert_eq!(frame.timestamp, Duration::from_millis(66));
    assert_eq!((frame.image.width(), frame.image.height()), (64, 48));
    assert!(frame.image.pixels().iter().all(|&p| p == 20));
    assert_eq!(reader.next_frame(&mut frame).unwrap(), Next::Waiting);
    // A new size is taken as it comes; a buffer of the wrong size is refused.
    assert!(
        camera
            .offer(32, 24, &vec![5; 32 * 24], Duration::from_millis(99))
            .unwrap()
    );
    assert_eq!(reader.next_frame(&mut frame).unwrap(), Next::Frame);
    assert_eq!((frame.image.width(), frame.image.height()), (32, 24));
    let err = camera
        .offer(64, 48, &plane(1)[1..], Duration::ZERO)
        .expect_err("short buffer");
    assert!(matches!(err, Error::Camera { .. }), "{err}");
    assert!(camera.offer(0, 0, &[], Duration::ZERO).is_err());

    drop(reader);
    assert!(!camera.is_read());
    assert!(!camera.offer(64, 48, &plane(1), Duration::ZERO).unwrap());
}

#[test]
fn a_live_session_on_a_host_camera_tracks_what_the_host_pushes() {
    use ridewire_app::scan::HostCamera;
    // The demo recording's frames, offered from another thread as a phone's
    // camera callback would; the scanner's session tracks them on its own.
    let mut recording = demo();
    let expected = recording.marker.expect("marker").pose;
    let calibration = recording.intrinsics;
    let (w, h) = recording.frame_size;
    let mut planes = Vec::new();
    for _ in 0..6 {
        planes.push(recording.frame().image.pixels().to_vec());
        recording.advance(Duration::from_secs_f64(1.0 / DEMO_FPS));
    }
    let camera = HostCamera::default();
    camera.set_calibration(Some(calibration));
    let mut reader = camera.reader();
    camera
        .offer(w, h, &planes[0], Duration::ZERO)
        .expect("first frame");
    let mut first = Frame::default();
    assert_eq!(reader.next_frame(&mut first).unwrap(), Next::Frame);
    let pack = pack_for(&assets_root(), BIKE, None).unwrap().pack;
    let mut session = Session::live(
        Box::new(reader),
        "Phone camera".into(),
        pack,
        first,
        camera.calibration(),
    )
    .unwrap();
    assert!(session.live);
    assert_eq!(session.intrinsics.fx, calibration.fx);
    let marker = session.marker.as_ref().expect("marker in the first frame");
    for (got, want) in marker.pose.tvec.iter().zip(expected.tvec) {
        assert!(
            (got - want).abs() < 1e-6,
            "{:?} vs {expected:?}",
            marker.pose
        );
    }

    let host = {
        let camera = camera.clone();
        std::thread::spawn(move || {
            for (i, plane) in planes.iter().enumerate().skip(1) {
                camera
                    .offer(w, h, plane, Duration::from_millis(83 * i as u64))
                    .expect("offer");
                std::thread::sleep(Duration::from_millis(40));
            }
        })
    };
    let mut newer = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while newer < 3 && std::time::Instant::now() < deadline {
        if session.advance(Duration::from_millis(10)) {
            newer += 1;
            assert!(session.marker.is_some(), "marker lost in a pushed frame");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    host.join().unwrap();
    assert!(newer >= 3, "only {newer} pushed frames reached the session");
    assert!(session.frame().timestamp > Duration::ZERO);
    assert!(session.problem.is_none(), "{:?}", session.problem);
    // The tracking thread stops after its current frame (it is not joined,
    // so a hung source cannot hang the app) and closes the reader then.
    drop(session);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while camera.is_read() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!camera.is_read(), "closing the scanner closes the reader");
}

/// One synthetic frame, shown again and again.
struct Still(Frame);

impl FrameSource for Still {
    fn next_frame(&mut self, frame: &mut Frame) -> ridewire_ar::Result<Next> {
        *frame = self.0.clone();
        Ok(Next::Frame)
    }
}

#[test]
fn a_bike_without_a_model_set_finds_the_any_bike_marker_in_a_frame() {
    use ridewire_ar::overlay::{ANY_BIKE_MARKER_ID, ANY_BIKE_MARKER_SIZE_M};
    use ridewire_ar::pose::{Intrinsics, Pose};
    use ridewire_ar::synthetic::{Background, PlacedMarker, Scene, render};
    let (w, h) = (640, 480);
    let k = Intrinsics::from_fov(w, h, ridewire_app::scan::DEFAULT_FOV_DEG).unwrap();
    let scene = Scene {
        width: w,
        height: h,
        intrinsics: k,
        background: Background::Flat(150),
        markers: vec![PlacedMarker {
            id: ANY_BIKE_MARKER_ID,
            size: ANY_BIKE_MARKER_SIZE_M,
            pose: Pose {
                rvec: [std::f64::consts::PI, 0.0, 0.0],
                tvec: [0.0, 0.0, 0.6],
            },
        }],
        blur_sigma: 0.5,
        noise_sigma: 1.0,
        effects: Default::default(),
        seed: 3,
    };
    let mut frame = Frame::default();
    render(&scene, &mut frame.image);
    let chosen = pack_for(&assets_root(), "ural-gear-up-2020", None).unwrap();
    let session = Session::start(Box::new(Still(frame)), "Camera 0".into(), chosen.pack).unwrap();
    let marker = session
        .marker
        .as_ref()
        .expect("the any-bike marker is found");
    assert_eq!(marker.id, ANY_BIKE_MARKER_ID);
    let distance = marker.pose.tvec.iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!((distance - 0.6).abs() < 0.03, "{distance} m");
}

#[test]
fn a_host_camera_in_nv12_hands_over_colour_and_the_luma_the_tracker_reads() {
    use ridewire_app::scan::HostCamera;
    let camera = HostCamera::default();
    let (w, h) = (64usize, 48usize);
    // Pure red in BT.601 limited range: Y 81, U 90, V 240.
    let mut nv12 = vec![81u8; w * h];
    nv12.extend(std::iter::repeat_n([90u8, 240u8], (w / 2) * (h / 2)).flatten());
    assert!(
        !camera
            .offer_nv12(64, 48, &nv12, false, Duration::ZERO)
            .unwrap()
    );
    let mut reader = camera.reader();
    assert!(
        camera
            .offer_nv12(64, 48, &nv12, false, Duration::from_millis(33))
            .unwrap()
    );
    let mut frame = Frame::default();
    assert_eq!(reader.next_frame(&mut frame).unwrap(), Next::Frame);
    assert!(frame.image.pixels().iter().all(|&p| p == 81));
    let colour = frame.colour.as_ref().expect("colour");
    assert_eq!((colour.width(), colour.height()), (w, h));
    let [r, g, b, a] = colour.get(10, 10);
    assert!(r > 240 && g < 15 && b < 15 && a == 255, "{r} {g} {b} {a}");
    // A luma-only offer after it carries no stale colour.
    assert!(
        camera
            .offer(64, 48, &vec![9; w * h], Duration::from_millis(66))
            .unwrap()
    );
    assert_eq!(reader.next_frame(&mut frame).unwrap(), Next::Frame);
    assert!(frame.colour.is_none());
    // The same bytes from a full-range camera read as a duller red, (238,
    // 14, 14) by JFIF: what the host says its camera sends counts.
    assert!(
        camera
            .offer_nv12(64, 48, &nv12, true, Duration::from_millis(99))
            .unwrap()
    );
    assert_eq!(reader.next_frame(&mut frame).unwrap(), Next::Frame);
    let [r, g, b, _] = frame.colour.as_ref().expect("colour").get(10, 10);
    assert!(
        (236..=240).contains(&r) && (12..=16).contains(&g) && (12..=16).contains(&b),
        "{r} {g} {b}"
    );
    // A buffer of the wrong size is refused.
    let err = camera
        .offer_nv12(64, 48, &nv12[1..], false, Duration::ZERO)
        .expect_err("short");
    assert!(matches!(err, Error::Camera { .. }), "{err}");
    assert!(camera.offer_nv12(0, 0, &[], false, Duration::ZERO).is_err());
}
