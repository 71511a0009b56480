//! On a phone the bindings and the app are one library: the frames a host
//! pushes through `push_camera_frame` reach the app's scanner (its "phone"
//! camera), with the calibration the host set.

use std::time::Duration;

use ridewire_app::scan::HostCamera;
use ridewire_ar::frames::{Frame, FrameSource, Next};
use ridewire_ffi::RideWire;

#[test]
fn pushed_frames_reach_the_scanner_only_while_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let phone = RideWire::open(dir.path().display().to_string()).unwrap();
    let (w, h) = (64u32, 48u32);
    let plane = |v: u8| vec![v; (w * h) as usize];
    // The scanner closed: the frame is tracked, nothing is handed over.
    phone.push_camera_frame(w, h, plane(1), 0).unwrap();
    let camera = HostCamera::shared();
    assert!(!camera.is_read());

    let mut scanner = camera.reader();
    phone.set_camera(50.0, 50.0, 32.0, 24.0).unwrap();
    phone.push_camera_frame(w, h, plane(9), 40).unwrap();
    let mut frame = Frame::default();
    assert_eq!(scanner.next_frame(&mut frame).unwrap(), Next::Frame);
    assert_eq!(frame.timestamp, Duration::from_millis(40));
    assert!(frame.image.pixels().iter().all(|&p| p == 9));
    let k = camera.calibration().expect("the host's calibration");
    assert_eq!((k.fx, k.fy, k.cx, k.cy), (50.0, 50.0, 32.0, 24.0));
    // A bad buffer reaches neither.
    assert!(phone.push_camera_frame(w, h, vec![0; 10], 80).is_err());
    assert_eq!(scanner.next_frame(&mut frame).unwrap(), Next::Waiting);
    drop(scanner);
    assert!(!camera.is_read());
    phone.shutdown();
}
