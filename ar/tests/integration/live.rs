//! Tracking on a thread of its own: every frame of a live source is tracked
//! there, the newest result is taken, and a failing source is reported.

use std::time::{Duration, Instant};

use ridewire_ar::frames::{Frame, FrameSource, Next};
use ridewire_ar::live::TrackingThread;
use ridewire_ar::{Error, RgbaImage, Tracker, TrackerSettings};

use crate::common::{SIZE, draw, one_marker_scene};

/// A camera that shows `left` copies of one synthetic picture, a few ms
/// apart (in colour when it has one), then fails like an unplugged one.
struct Camera {
    picture: ridewire_ar::LumaImage,
    colour: Option<RgbaImage>,
    left: u32,
    shown: u32,
}

impl FrameSource for Camera {
    fn next_frame(&mut self, frame: &mut Frame) -> ridewire_ar::Result<Next> {
        if self.left == 0 {
            return Err(Error::NoCamera("unplugged".into()));
        }
        std::thread::sleep(Duration::from_millis(3));
        self.left -= 1;
        self.shown += 1;
        frame.image.clone_from(&self.picture);
        frame.colour.clone_from(&self.colour);
        frame.timestamp = Duration::from_millis(33 * u64::from(self.shown));
        Ok(Next::Frame)
    }
}

#[test]
fn frames_are_tracked_off_the_callers_thread_and_a_failure_is_reported() {
    let scene = one_marker_scene(11, 640, 480, 120.0, 160.0, 30.0);
    let (picture, truth) = draw(&scene);
    let id = scene.markers[0].id;
    let tracker = Tracker::new(TrackerSettings::new(SIZE, scene.intrinsics));
    let camera = Camera {
        picture,
        colour: None,
        left: 40,
        shown: 0,
    };
    let thread = TrackingThread::spawn("test-tracker", camera, tracker).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut taken = 0;
    let failure = loop {
        assert!(Instant::now() < deadline, "the thread never finished");
        match thread.take() {
            Ok(Some(tracked)) => {
                taken += 1;
                let marker = tracked
                    .markers
                    .iter()
                    .find(|m| m.id == id)
                    .expect("the marker is tracked in every frame");
                for (c, t) in marker.corners.iter().zip(&truth[0]) {
                    assert!((c.x - t.x).hypot(c.y - t.y) < 1.0, "{c:?} vs {t:?}");
                }
                assert!(tracked.ready >= tracked.arrived);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => break e,
        }
    };
    assert!(failure.to_string().contains("unplugged"), "{failure}");
    // Taken every 10 ms from frames every ~3 ms: the newest won, the rest
    // were skipped, none lost without being counted.
    assert!(taken >= 1);
    assert_eq!(taken + thread.skipped(), 40);
}

#[test]
fn the_colour_picture_reaches_the_app_and_given_back_frames_are_refilled() {
    let scene = one_marker_scene(12, 320, 240, 80.0, 120.0, 20.0);
    let (picture, _) = draw(&scene);
    let mut colour = RgbaImage::new(320, 240);
    colour.pixels_mut().fill(200);
    let camera = Camera {
        picture,
        colour: Some(colour.clone()),
        left: 30,
        shown: 0,
    };
    let tracker = Tracker::new(TrackerSettings::new(SIZE, scene.intrinsics));
    let thread = TrackingThread::spawn("test-tracker", camera, tracker).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut taken = 0;
    loop {
        assert!(Instant::now() < deadline, "the thread never finished");
        match thread.take() {
            Ok(Some(tracked)) => {
                taken += 1;
                assert_eq!(tracked.frame.colour.as_ref(), Some(&colour));
                assert!(!tracked.markers.is_empty());
                // Done with it: its buffers carry a later frame.
                thread.recycle(tracked.frame);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                assert!(e.to_string().contains("unplugged"), "{e}");
                break;
            }
        }
    }
    assert!(taken >= 1);
}
