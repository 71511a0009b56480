//! Side by side with OpenCV on the same synthetic frames: same ids, same
//! corner order, corners as close to the truth. Skipped (with a message)
//! where Python with `opencv-contrib-python-headless` cannot be set up;
//! `RIDEWIRE_REQUIRE_OPENCV=1` turns the skip into a failure.

use ridewire_ar::Detector;

use crate::common::{draw, inside, one_marker_scene};
use crate::opencv_support::{opencv_python, run_opencv, write_png};

#[test]
fn ids_and_corners_agree_with_opencv() {
    let required = std::env::var("RIDEWIRE_REQUIRE_OPENCV").as_deref() == Ok("1");
    let python = match opencv_python() {
        Ok(p) => p,
        Err(why) if required => panic!("RIDEWIRE_REQUIRE_OPENCV=1 but {why}"),
        Err(why) => {
            eprintln!("skipping the OpenCV comparison: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (640, 480);
    let mut pngs = Vec::new();
    let mut truths = Vec::new();
    let mut ours = Vec::new();
    let mut detector = Detector::default();
    for seed in 0..60u64 {
        let scene = one_marker_scene(seed + 5000, w, h, 50.0, 200.0, 55.0);
        let (img, truth) = draw(&scene);
        if !inside(&truth[0], w, h, 8.0) {
            continue;
        }
        let path = dir.path().join(format!("{seed:03}.png"));
        write_png(&path, &img).unwrap();
        pngs.push(path);
        truths.push((scene.markers[0].id, truth[0]));
        ours.push(detector.detect(&img));
    }
    let cv = run_opencv(&python, 0, &pngs).unwrap();
    assert_eq!(cv.frames.len(), pngs.len());
    let (mut both, mut agree_sq, mut ours_sq, mut cv_sq, mut cv_found, mut our_found) =
        (0usize, 0.0, 0.0, 0.0, 0usize, 0usize);
    let mut cv_stray = 0usize;
    for ((frame, (id, truth)), mine) in cv.frames.iter().zip(&truths).zip(&ours) {
        let theirs = frame.markers.iter().find(|m| m.id == *id);
        let mine_all = mine;
        let mine = mine.iter().find(|m| m.id == *id);
        cv_found += usize::from(theirs.is_some());
        our_found += usize::from(mine.is_some());
        // We must not see a marker that is not there (OpenCV sometimes does).
        assert!(
            mine_all.iter().all(|m| m.id == *id),
            "{}: we saw {mine_all:?}",
            frame.file
        );
        cv_stray += frame.markers.iter().filter(|m| m.id != *id).count();
        let (Some(t), Some(m)) = (theirs, mine) else {
            continue;
        };
        both += 1;
        for k in 0..4 {
            let c = ridewire_ar::Point::new(t.corners[k][0], t.corners[k][1]);
            let d = c.distance(m.corners[k]);
            // Same order: a corner off by a quarter turn would be a side away.
            assert!(
                d < 1.5,
                "{}: corner {k} ours {:?} OpenCV {c:?}",
                frame.file,
                m.corners[k]
            );
            agree_sq += d * d;
            ours_sq += m.corners[k].distance(truth[k]).powi(2);
            cv_sq += c.distance(truth[k]).powi(2);
        }
    }
    let n = (4 * both).max(1) as f64;
    eprintln!(
        "OpenCV {}: {} frames; found by OpenCV {cv_found} (+{cv_stray} stray), by us {our_found}; \
         corner RMS vs truth: ours {:.3} px, OpenCV {:.3} px; ours vs OpenCV {:.3} px",
        cv.version,
        pngs.len(),
        (ours_sq / n).sqrt(),
        (cv_sq / n).sqrt(),
        (agree_sq / n).sqrt()
    );
    assert!(
        both * 10 >= pngs.len() * 9,
        "only {both} frames found by both"
    );
    assert!(
        our_found >= cv_found,
        "OpenCV found {cv_found}, we found {our_found}"
    );
    assert!((ours_sq / n).sqrt() <= (cv_sq / n).sqrt() + 0.05);
}
