//! The report `ridewire detect` prints, on PNG files written to disk.

use std::path::PathBuf;

use ridewire_ar::Intrinsics;
use ridewire_ar::report::{ReportOptions, detect_files};
use ridewire_ar::synthetic::{Background, PlacedMarker, Scene, render};
use ridewire_ar::{LumaImage, Pose};

fn write_luma_png(path: &std::path::Path, img: &LumaImage) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(file),
        img.width() as u32,
        img.height() as u32,
    );
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .unwrap()
        .write_image_data(img.pixels())
        .unwrap();
}

#[test]
fn report_gives_ids_corners_and_pose_in_the_issues_json_shape() {
    let (w, h) = (640, 480);
    let k = Intrinsics::from_fov(w, h, 60.0).unwrap();
    let truth = Pose {
        rvec: [2.9, 0.2, -0.1],
        tvec: [0.03, -0.02, 0.4],
    };
    let scene = Scene {
        width: w,
        height: h,
        intrinsics: k,
        background: Background::Gradient,
        markers: vec![PlacedMarker {
            id: 9,
            size: 0.08,
            pose: truth,
        }],
        blur_sigma: 0.6,
        noise_sigma: 2.0,
        effects: Default::default(),
        seed: 1,
    };
    let dir = tempfile::tempdir().unwrap();
    let mut img = LumaImage::default();
    let corners = render(&scene, &mut img)[0].unwrap();
    write_luma_png(&dir.path().join("with.png"), &img);
    img.pixels_mut().fill(128);
    write_luma_png(&dir.path().join("without.png"), &img);

    let options = ReportOptions {
        intrinsics: Some(k),
        marker_size: 0.08,
        ..ReportOptions::default()
    };
    let report = detect_files(&[dir.path().to_path_buf()], &options).unwrap();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let frames = json["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0]["file"], "with.png");
    assert!(frames[0]["ms"].as_f64().unwrap() >= 0.0);
    let m = &frames[0]["markers"][0];
    assert_eq!(m["id"], 9);
    let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["corners", "id", "rvec", "tvec"]);
    for (c, want) in m["corners"].as_array().unwrap().iter().zip(corners) {
        assert!((c[0].as_f64().unwrap() - want.x).abs() < 0.3);
        assert!((c[1].as_f64().unwrap() - want.y).abs() < 0.3);
    }
    for i in 0..3 {
        assert!(
            (m["tvec"][i].as_f64().unwrap() - truth.tvec[i]).abs() < 0.005,
            "{m}"
        );
    }
    assert_eq!(frames[1]["markers"].as_array().unwrap().len(), 0);

    let text = report.to_text();
    assert!(text.contains("with.png: 1 marker in"), "{text}");
    assert!(text.contains("marker  9"), "{text}");
    assert!(text.contains("without.png: 0 markers"), "{text}");
}

#[test]
fn report_on_a_missing_file_is_an_error() {
    let err = detect_files(
        &[PathBuf::from("/no/such/frame.png")],
        &ReportOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("/no/such/frame.png"), "{err}");
}

#[test]
fn calibration_files_are_read_and_bad_ones_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("camera.json");
    std::fs::write(
        &good,
        r#"{"fx": 910.5, "fy": 905.0, "cx": 640.2, "cy": 359.8}"#,
    )
    .unwrap();
    let k = Intrinsics::load(&good).unwrap();
    assert_eq!((k.fx, k.fy, k.cx, k.cy), (910.5, 905.0, 640.2, 359.8));
    assert_eq!(k.distortion, [0.0; 5]);

    let lens = dir.path().join("lens.json");
    std::fs::write(
        &lens,
        r#"{"fx": 910.5, "fy": 905.0, "cx": 640.2, "cy": 359.8, "distortion": [-0.3, 0.1, 0.001, 0.0, -0.02]}"#,
    )
    .unwrap();
    assert_eq!(Intrinsics::load(&lens).unwrap().distortion[4], -0.02);

    let missing_field = dir.path().join("half.json");
    std::fs::write(&missing_field, r#"{"fx": 910.5, "fy": 905.0}"#).unwrap();
    let err = Intrinsics::load(&missing_field).unwrap_err();
    assert!(
        err.to_string().contains("half.json") && err.to_string().contains("cx"),
        "{err}"
    );

    let negative = dir.path().join("negative.json");
    std::fs::write(&negative, r#"{"fx": -1, "fy": 905.0, "cx": 1, "cy": 1}"#).unwrap();
    let err = Intrinsics::load(&negative).unwrap_err();
    assert!(err.to_string().contains("negative.json"), "{err}");
}
