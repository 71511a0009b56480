//! `cargo xtask bench ar`: the tracker against its targets, and OpenCV's
//! `ArucoDetector` (CORNER_REFINE_SUBPIX) on the same 1280×720 frames in
//! the same run when Python with `opencv-contrib-python-headless` can be set
//! up: our synthetic frames, and plain frames OpenCV draws itself; and what
//! a camera's thread spends turning a YUYV, NV12 or MJPEG frame into luma
//! and colour. Prints one JSON line per figure. xtask runs it in the dev
//! profile, the build the app runs in
//! (`cargo bench --profile dev -p ridewire-ar --bench ar`).

// Index loops over the four corners read clearer than zipped iterators here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::needless_range_loop)]

#[path = "../tests/opencv/support.rs"]
mod opencv_support;

#[path = "support/colour.rs"]
mod colour;

use std::time::{Duration, Instant};

use ridewire_ar::pose::solve_square;
use ridewire_ar::synthetic::{self, Background, CameraEffects, PlacedMarker, Rng, Scene, render};
use ridewire_ar::{Detector, Intrinsics, LumaImage, Marker, Point, Pose, Tracker, TrackerSettings};
use serde_json::json;

const W: usize = 1280;
const H: usize = 720;
const SIZE: f64 = 0.05;
const BACKGROUNDS: [Background; 5] = [
    Background::Flat(140),
    Background::Gradient,
    Background::Blotches,
    Background::Text,
    Background::Squares,
];

fn camera() -> Intrinsics {
    Intrinsics::from_fov(W, H, 60.0).unwrap()
}

/// A frame with one marker ≥ 40 px wide (face-on), tilted ≤ 60°, mild blur
/// and noise; `None` when the marker's corners fall outside the frame.
fn marker_frame(seed: u64, effects: CameraEffects) -> Option<(LumaImage, u16, [Point; 4])> {
    let k = camera();
    let mut rng = Rng::new(seed);
    let id = (rng.next_u64() % 50) as u16;
    let pose = synthetic::random_pose(&mut rng, &k, W, H, SIZE, 40.0, 240.0, 60.0);
    let scene = Scene {
        width: W,
        height: H,
        intrinsics: k,
        background: BACKGROUNDS[(seed % 5) as usize],
        markers: vec![PlacedMarker {
            id,
            size: SIZE,
            pose,
        }],
        blur_sigma: rng.range(0.0, 1.0),
        noise_sigma: rng.range(0.0, 4.0),
        effects,
        seed,
    };
    let mut img = LumaImage::default();
    let truth = render(&scene, &mut img)[0]?;
    let inside = truth
        .iter()
        .all(|p| p.x >= 8.0 && p.y >= 8.0 && p.x <= (W - 9) as f64 && p.y <= (H - 9) as f64);
    inside.then_some((img, id, truth))
}

/// What a hand-held camera adds, the same for a seed in every run.
fn real_camera_effects(seed: u64) -> CameraEffects {
    CameraEffects::hand_held(&mut Rng::new(seed ^ 0x5eed_cafe))
}

/// Markers found and corner RMS of a set of detections against the truth.
fn score<'a>(
    frames: &[(LumaImage, u16, [Point; 4])],
    detections: impl Iterator<Item = Vec<(u16, [Point; 4])>> + 'a,
) -> (usize, f64) {
    let (mut hits, mut sq) = (0usize, 0.0);
    for (found, (_, id, truth)) in detections.zip(frames) {
        if let Some((_, corners)) = found.iter().find(|(i, _)| i == id) {
            hits += 1;
            sq += (0..4)
                .map(|c| corners[c].distance(truth[c]).powi(2))
                .sum::<f64>();
        }
    }
    (hits, (sq / (4 * hits.max(1)) as f64).sqrt())
}

/// Our detections and, when it can run, OpenCV's on the same frames.
fn both_detectors(
    frames: &[(LumaImage, u16, [Point; 4])],
) -> ((usize, f64), Result<(usize, f64), String>) {
    let mut detector = Detector::default();
    let mut found = Vec::new();
    let ours = score(
        frames,
        frames.iter().map(|(img, _, _)| {
            detector.detect_into(img, &mut found);
            found.iter().map(|m| (m.id, m.corners)).collect()
        }),
    );
    let opencv = opencv_support::opencv_python().and_then(|python| {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut pngs = Vec::new();
        for (i, (img, _, _)) in frames.iter().enumerate() {
            let p = dir.path().join(format!("{i:03}.png"));
            opencv_support::write_png(&p, img)?;
            pngs.push(p);
        }
        let run = opencv_support::run_opencv(&python, 1, &pngs)?;
        Ok(score(
            frames,
            run.frames.iter().map(|f| {
                f.markers
                    .iter()
                    .map(|m| (m.id, m.corners.map(|[x, y]| Point::new(x, y))))
                    .collect()
            }),
        ))
    });
    (ours, opencv)
}

fn line(value: serde_json::Value) {
    println!("{value}");
}

fn main() {
    // `cargo bench` passes `--bench`; `-- colour` after it runs only the
    // camera frame conversions (a quick look while working on them).
    if std::env::args().skip(1).any(|a| a == "colour") {
        colour::colour_conversion();
        return;
    }
    let k = camera();
    let mut detector = Detector::default();
    let mut found: Vec<Marker> = Vec::new();

    // Accuracy: 500 frames.
    let mut frames = Vec::new();
    let mut seed = 0u64;
    while frames.len() < 500 {
        if let Some(f) = marker_frame(seed, CameraEffects::default()) {
            frames.push(f);
        }
        seed += 1;
    }
    let (mut hits, mut wrong, mut sq, mut n) = (0usize, 0usize, 0.0, 0usize);
    for (img, id, truth) in &frames {
        detector.detect_into(img, &mut found);
        wrong += found.iter().filter(|m| m.id != *id).count();
        if let Some(m) = found.iter().find(|m| m.id == *id) {
            hits += 1;
            for c in 0..4 {
                sq += m.corners[c].distance(truth[c]).powi(2);
                n += 1;
            }
        }
    }
    let rate = hits as f64 / frames.len() as f64;
    let rms = (sq / n.max(1) as f64).sqrt();
    line(
        json!({"figure": "detection_rate", "frames": frames.len(), "value": rate, "target": ">= 0.99", "met": rate >= 0.99, "wrong_ids": wrong}),
    );
    line(json!({"figure": "corner_rms_px", "value": rms, "target": "<= 0.3", "met": rms <= 0.3}));

    // Speed: detector + pose per frame, best of 5 passes over 100 frames.
    let timed = &frames[..100];
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for (img, _, _) in timed {
            detector.detect_into(img, &mut found);
            for m in &found {
                std::hint::black_box(solve_square(&m.corners, SIZE, &k));
            }
        }
        best = best.min(start.elapsed());
    }
    let ours_ms = best.as_secs_f64() * 1000.0 / timed.len() as f64;

    // OpenCV on the same 100 frames.
    let opencv = opencv_support::opencv_python().and_then(|python| {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut pngs = Vec::new();
        for (i, (img, _, _)) in timed.iter().enumerate() {
            let p = dir.path().join(format!("{i:03}.png"));
            opencv_support::write_png(&p, img)?;
            pngs.push(p);
        }
        opencv_support::run_opencv(&python, 5, &pngs)
    });
    match &opencv {
        Ok(cv) => {
            let ratio = ours_ms / cv.ms_per_frame;
            line(
                json!({"figure": "ms_per_frame_1280x720", "ours": ours_ms, "opencv": cv.ms_per_frame, "opencv_version": cv.version, "ratio": ratio, "target": "<= 1.0x OpenCV", "met": ratio <= 1.0}),
            );
            let (mut cv_hits, mut cv_sq, mut cv_n) = (0usize, 0.0, 0usize);
            for (frame, (_, id, truth)) in cv.frames.iter().zip(timed) {
                if let Some(m) = frame.markers.iter().find(|m| m.id == *id) {
                    cv_hits += 1;
                    for c in 0..4 {
                        cv_sq += Point::new(m.corners[c][0], m.corners[c][1])
                            .distance(truth[c])
                            .powi(2);
                        cv_n += 1;
                    }
                }
            }
            let (mut our_hits, mut our_sq) = (0usize, 0.0);
            for (img, id, truth) in timed {
                detector.detect_into(img, &mut found);
                if let Some(m) = found.iter().find(|m| m.id == *id) {
                    our_hits += 1;
                    our_sq += (0..4)
                        .map(|c| m.corners[c].distance(truth[c]).powi(2))
                        .sum::<f64>();
                }
            }
            line(
                json!({"figure": "same_frames_vs_opencv", "frames": timed.len(),
                "ours_found": our_hits, "opencv_found": cv_hits,
                "ours_corner_rms_px": (our_sq / (4 * our_hits.max(1)) as f64).sqrt(),
                "opencv_corner_rms_px": (cv_sq / cv_n.max(1) as f64).sqrt()}),
            );
        }
        Err(why) => {
            line(
                json!({"figure": "ms_per_frame_1280x720", "ours": ours_ms, "opencv": null, "note": format!("OpenCV comparison skipped: {why}")}),
            );
        }
    }

    // Frames closer to real footage: motion smear, rolling shutter, JPEG.
    let mut rough = Vec::new();
    let mut seed = 0u64;
    while rough.len() < 200 {
        if let Some(f) = marker_frame(seed, real_camera_effects(seed)) {
            rough.push(f);
        }
        seed += 1;
    }
    let ((hits, rms), opencv) = both_detectors(&rough);
    let rate = hits as f64 / rough.len() as f64;
    let (cv_rate, cv_rms, note) = match opencv {
        Ok((cv_hits, cv_rms)) => (
            Some(cv_hits as f64 / rough.len() as f64),
            Some(cv_rms),
            None,
        ),
        Err(why) => (
            None,
            None,
            Some(format!("OpenCV comparison skipped: {why}")),
        ),
    };
    line(json!({"figure": "camera_effects", "frames": rough.len(),
        "effects": "motion 0-6 px, rolling shutter ±8 px, JPEG q50-90",
        "detection_rate": rate, "corner_rms_px": rms,
        "opencv_detection_rate": cv_rate, "opencv_corner_rms_px": cv_rms, "note": note,
        "target": ">= 0.99, <= 0.3 px", "met": rate >= 0.99 && rms <= 0.3}));

    // False positives: 500 frames without a marker.
    let mut img = LumaImage::default();
    let mut false_positives = 0;
    for seed in 0..500u64 {
        let scene = Scene {
            width: W,
            height: H,
            intrinsics: k,
            background: BACKGROUNDS[1 + (seed % 4) as usize],
            markers: Vec::new(),
            blur_sigma: (seed % 3) as f64 * 0.5,
            noise_sigma: (seed % 4) as f64 * 2.0,
            effects: Default::default(),
            seed: 1_000_000 + seed,
        };
        render(&scene, &mut img);
        detector.detect_into(&img, &mut found);
        false_positives += found.len();
    }
    line(
        json!({"figure": "false_positives_in_500_empty_frames", "value": false_positives, "target": "0", "met": false_positives == 0}),
    );

    // Jitter: a still 60 px marker, 300 noisy frames through the tracker.
    let scene = Scene {
        width: W,
        height: H,
        intrinsics: k,
        background: Background::Blotches,
        markers: vec![PlacedMarker {
            id: 7,
            size: SIZE,
            pose: Pose {
                rvec: [2.6, 0.5, 0.3],
                tvec: [0.02, -0.01, k.fx * SIZE / 60.0],
            },
        }],
        blur_sigma: 0.8,
        noise_sigma: 0.0,
        effects: Default::default(),
        seed: 3,
    };
    let mut clean = LumaImage::default();
    render(&scene, &mut clean);
    let mut noisy = clean.clone();
    let mut rng = Rng::new(1);
    let mut tracker = Tracker::new(TrackerSettings::new(SIZE, k));
    let mut raw: [Vec<f64>; 8] = Default::default();
    let mut filtered: [Vec<f64>; 8] = Default::default();
    for i in 0..300 {
        for (o, &c) in noisy.pixels_mut().iter_mut().zip(clean.pixels()) {
            *o = (c as f64 + 4.0 * rng.normal()).round().clamp(0.0, 255.0) as u8;
        }
        let seen = tracker.update(&noisy, Duration::from_secs_f64(i as f64 / 30.0));
        if let Some(m) = seen.first().filter(|_| i >= 30) {
            for c in 0..4 {
                raw[2 * c].push(m.raw_corners[c].x);
                raw[2 * c + 1].push(m.raw_corners[c].y);
                filtered[2 * c].push(m.corners[c].x);
                filtered[2 * c + 1].push(m.corners[c].y);
            }
        }
    }
    let sd = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt()
    };
    let worst = |v: &[Vec<f64>; 8]| v.iter().map(|s| sd(s)).fold(0.0, f64::max);
    let jitter = worst(&filtered);
    line(
        json!({"figure": "still_marker_jitter_px", "frames_seen": filtered[0].len(), "raw": worst(&raw), "filtered": jitter, "target": "<= 0.5", "met": jitter <= 0.5 && filtered[0].len() == 270}),
    );

    opencv_drawn_frames(&k);
    frame_to_overlay(&k);
    colour::colour_conversion();
}

/// Markers found, their corner RMS against the truth, and ids reported
/// that were not drawn, over frames with several markers each.
fn score_drawn(
    drawn: &[opencv_support::DrawnFrame],
    detections: impl Iterator<Item = Vec<(u16, [Point; 4])>>,
) -> (usize, f64, usize) {
    let (mut hits, mut sq, mut stray) = (0usize, 0.0, 0usize);
    for (found, frame) in detections.zip(drawn) {
        for truth in &frame.markers {
            if let Some((_, corners)) = found.iter().find(|(id, _)| *id == truth.id) {
                hits += 1;
                sq += (0..4)
                    .map(|c| {
                        let [x, y] = truth.corners[c];
                        corners[c].distance(Point::new(x, y)).powi(2)
                    })
                    .sum::<f64>();
            }
        }
        stray += found
            .iter()
            .filter(|(id, _)| frame.markers.iter().all(|t| t.id != *id))
            .count();
    }
    (hits, (sq / (4 * hits.max(1)) as f64).sqrt(), stray)
}

/// Frames drawn by OpenCV itself (`draw_plain_frames.py`): one to four
/// markers 40–300 px wide on a plain grey background, tilted up to 60°,
/// mild blur and noise; the frames where OpenCV is quickest. The same PNGs
/// go through both detectors; time per frame is the best of five passes
/// each, one thread, ours with the pose of every marker found.
fn opencv_drawn_frames(k: &Intrinsics) {
    const FRAMES: usize = 100;
    let compare = || -> Result<serde_json::Value, String> {
        let python = opencv_support::opencv_python()?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let drawn = opencv_support::draw_plain_frames(&python, 12, FRAMES, dir.path())?;
        let images = drawn
            .iter()
            .map(|f| ridewire_ar::frames::load_png_luma(&f.file).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let pngs: Vec<_> = drawn.iter().map(|f| f.file.clone()).collect();
        let cv = opencv_support::run_opencv(&python, 5, &pngs)?;

        let mut detector = Detector::default();
        let mut found = Vec::new();
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            for img in &images {
                detector.detect_into(img, &mut found);
                for m in &found {
                    std::hint::black_box(solve_square(&m.corners, SIZE, k));
                }
            }
            best = best.min(start.elapsed());
        }
        let ours_ms = best.as_secs_f64() * 1000.0 / images.len() as f64;
        let (ours_found, ours_rms, ours_stray) = score_drawn(
            &drawn,
            images.iter().map(|img| {
                detector.detect_into(img, &mut found);
                found.iter().map(|m| (m.id, m.corners)).collect()
            }),
        );
        let (cv_found, cv_rms, cv_stray) = score_drawn(
            &drawn,
            cv.frames.iter().map(|f| {
                f.markers
                    .iter()
                    .map(|m| (m.id, m.corners.map(|[x, y]| Point::new(x, y))))
                    .collect()
            }),
        );
        let ratio = ours_ms / cv.ms_per_frame;
        Ok(
            json!({"figure": "opencv_drawn_plain_frames", "frames": images.len(),
            "markers": drawn.iter().map(|f| f.markers.len()).sum::<usize>(),
            "ours_ms": ours_ms, "opencv_ms": cv.ms_per_frame, "opencv_version": cv.version,
            "ratio": ratio, "target": "<= 1.0x OpenCV", "met": ratio <= 1.0,
            "ours_found": ours_found, "opencv_found": cv_found,
            "ours_corner_rms_px": ours_rms, "opencv_corner_rms_px": cv_rms,
            "ours_wrong_ids": ours_stray, "opencv_wrong_ids": cv_stray,
            "debug_assertions": cfg!(debug_assertions)}),
        )
    };
    line(compare().unwrap_or_else(
        |why| json!({"figure": "opencv_drawn_plain_frames", "note": format!("skipped: {why}")}),
    ));
}

/// A camera that delivers one picture every 33 ms (30 fps), stamped with
/// the time since `start` at which it was exposed.
struct ClockedCamera {
    picture: LumaImage,
    start: Instant,
    next: Duration,
}

impl ridewire_ar::FrameSource for ClockedCamera {
    fn next_frame(
        &mut self,
        frame: &mut ridewire_ar::Frame,
    ) -> ridewire_ar::Result<ridewire_ar::frames::Next> {
        let due = self.start + self.next;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        frame.image.clone_from(&self.picture);
        frame.timestamp = self.start.elapsed();
        self.next += Duration::from_millis(33);
        Ok(ridewire_ar::frames::Next::Frame)
    }
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// Frame-to-overlay latency as the scanner sees it: a 30 fps camera on its
/// own thread, the app's frame loop at 60 Hz. Before (issue 12) the loop
/// took the newest frame and tracked it itself; now a tracking thread does,
/// and the loop takes the newest tracked frame. Latency is from exposure to
/// the loop holding the pose; "loop busy" is the loop's own time per frame
/// that brought a new picture. Three seconds each.
fn frame_to_overlay(k: &Intrinsics) {
    use ridewire_ar::frames::{FrameSource, InBackground, Next};
    use ridewire_ar::live::TrackingThread;

    let (picture, _, _) = (0..)
        .find_map(|seed| marker_frame(seed, CameraEffects::default()))
        .unwrap();
    let tick = Duration::from_secs_f64(1.0 / 60.0);
    let run = Duration::from_secs(3);
    let camera = |start: Instant| {
        let picture = picture.clone();
        InBackground::spawn("bench-camera", move || {
            Ok(ClockedCamera {
                picture,
                start,
                next: Duration::ZERO,
            })
        })
        .unwrap()
    };
    let mut figures = Vec::new();
    for on_thread in [false, true] {
        let start = Instant::now();
        let mut tracker = Tracker::new(TrackerSettings::new(SIZE, *k));
        let mut frame = ridewire_ar::Frame::default();
        let (mut latency, mut busy) = (Vec::new(), Vec::new());
        let mut source = Some(camera(start));
        let thread = on_thread.then(|| {
            TrackingThread::spawn(
                "bench-tracker",
                source.take().unwrap(),
                Tracker::new(TrackerSettings::new(SIZE, *k)),
            )
            .unwrap()
        });
        let mut next_tick = start;
        while start.elapsed() < run {
            next_tick += tick;
            let began = Instant::now();
            let exposed = match (&thread, &mut source) {
                (Some(thread), _) => thread.take().unwrap().map(|t| t.frame.timestamp),
                (None, Some(source)) => match source.next_frame(&mut frame).unwrap() {
                    Next::Frame => {
                        let _ = tracker.update(&frame.image, frame.timestamp);
                        Some(frame.timestamp)
                    }
                    _ => None,
                },
                (None, None) => None,
            };
            if let Some(exposed) = exposed {
                let held = start.elapsed();
                latency.push((held - exposed).as_secs_f64() * 1e3);
                busy.push(began.elapsed().as_secs_f64() * 1e3);
            }
            if let Some(wait) = next_tick.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        figures.push(json!({
            "tracking": if on_thread { "tracking thread (now)" } else { "app frame loop (before)" },
            "frames": latency.len(),
            "latency_ms_p50": percentile(&mut latency, 0.5),
            "latency_ms_p95": percentile(&mut latency, 0.95),
            "loop_busy_ms_p50": percentile(&mut busy, 0.5),
        }));
    }
    line(
        json!({"figure": "frame_to_overlay_latency", "frame": "1280x720, 30 fps camera, 60 Hz app loop", "runs": figures}),
    );
}

/// Median milliseconds of `runs` calls of `f`.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    percentile(&mut times, 0.5)
}
