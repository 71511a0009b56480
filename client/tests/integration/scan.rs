//! The AR scanner as a rider sees it: the demo recording behind, the
//! bike's components where the marker's pose puts them, the parts of an
//! approved diagnosis in red.

use std::path::Path;

use ridewire_ar::frames::load_png_luma;
use ridewire_ar::overlay::OverlayPack;
use ridewire_ar::pose::Intrinsics;
use ridewire_ar::{Tracker, TrackerSettings};
use ridewire_client::scan::{DEFAULT_FOV_DEG, assets_root};

use crate::picture::{Picture, ridewire};

/// Where a point of the marker's frame lands in the camera image.
fn project(pack: &OverlayPack, id: &str) -> [f64; 2] {
    let frame = load_png_luma(&assets_root().join("ar/demo/frame-000.png")).expect("demo frame");
    let k = Intrinsics::from_fov(frame.width(), frame.height(), DEFAULT_FOV_DEG).expect("k");
    let mut tracker = Tracker::new(TrackerSettings::new(pack.marker.size_m, k));
    let marker = tracker
        .update(&frame, std::time::Duration::ZERO)
        .iter()
        .find(|m| m.id == pack.marker.id)
        .cloned()
        .expect("the demo frame shows the marker");
    let at = pack.component(id).expect("component").translation;
    let p = k
        .project(marker.pose.to_camera(at))
        .expect("in front of the camera");
    [p.x, p.y]
}

/// The 3D view is letterboxed into the content area: find it by its black
/// side bars and map camera pixels onto the picture.
fn to_picture(pic: &Picture, image: [f64; 2], camera_size: [f64; 2]) -> (u32, u32) {
    let row = pic.height - 2;
    let is_bar = |x: u32| pic.pixel(x, row).iter().all(|c| *c < 4);
    let x0 = (0..pic.width).find(|x| !is_bar(*x)).expect("a view");
    let x1 = (0..pic.width).rev().find(|x| !is_bar(*x)).expect("a view");
    let scale = f64::from(x1 - x0 + 1) / camera_size[0];
    let y0 = f64::from(pic.height) - camera_size[1] * scale;
    (
        (f64::from(x0) + image[0] * scale).round() as u32,
        (y0 + image[1] * scale).round() as u32,
    )
}

/// Pixels around `(x, y)` that pass `test`.
fn count_near(
    pic: &Picture,
    (x, y): (u32, u32),
    radius: u32,
    test: impl Fn([u8; 3]) -> bool,
) -> usize {
    let mut n = 0;
    for yy in y.saturating_sub(radius)..=(y + radius).min(pic.height - 1) {
        for xx in x.saturating_sub(radius)..=(x + radius).min(pic.width - 1) {
            if test(pic.pixel(xx, yy)) {
                n += 1;
            }
        }
    }
    n
}

fn red([r, g, b]: [u8; 3]) -> bool {
    r > 150 && r > g.saturating_add(60) && r > b.saturating_add(60)
}

fn grey([r, g, b]: [u8; 3]) -> bool {
    r.abs_diff(g) <= 6 && g.abs_diff(b) <= 6
}

#[test]
fn components_sit_where_the_marker_puts_them_and_the_diagnosis_glows_red() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("rider.db");
    let db_arg = db.to_str().expect("utf-8 path");
    // An approved misfire diagnosis names the spark plugs and the coil.
    let out = ridewire(&[
        "diagnose",
        "P0300",
        "--symptom",
        "rough_idle",
        "--symptom",
        "misfire",
        "--database",
        db_arg,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("APPROVED"));

    let shot = dir.path().join("scan.png");
    let out = ridewire(&[
        "--screenshot",
        shot.to_str().expect("utf-8"),
        "--screen",
        "scan",
        "--size",
        "1280x720",
        "--database",
        db_arg,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pic = Picture::load(&shot);
    if let Ok(keep) = std::env::var("RIDEWIRE_KEEP_SCREENSHOTS") {
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(&shot, Path::new(&keep).join("scan.png"));
    }

    let root = assets_root();
    let pack =
        OverlayPack::load(&root.join("overlays/harley-street-750-2022.json"), &root).expect("pack");
    let camera = [960.0, 540.0];
    let coil = to_picture(&pic, project(&pack, "ignition_coil"), camera);
    let battery = to_picture(&pic, project(&pack, "battery"), camera);
    let oil_filter = to_picture(&pic, project(&pack, "oil_filter"), camera);

    let coil_red = count_near(&pic, coil, 8, red);
    assert!(
        coil_red > 60,
        "the diagnosed coil at {coil:?} is not red ({coil_red} px)"
    );
    let battery_red = count_near(&pic, battery, 8, red);
    let battery_drawn = count_near(&pic, battery, 8, |p| p.iter().all(|c| *c < 125));
    assert_eq!(
        battery_red, 0,
        "the battery at {battery:?} glows but was not diagnosed"
    );
    assert!(
        battery_drawn > 100,
        "no battery drawn at {battery:?} ({battery_drawn} dark px)"
    );
    let orange = count_near(&pic, oil_filter, 6, |[r, g, b]| {
        r > 150 && g > 70 && g < 160 && b < 90
    });
    assert!(
        orange > 40,
        "no oil filter at {oil_filter:?} ({orange} orange px)"
    );
    // Between the parts the camera image shows through, in colour: the
    // demo recording's first frame: the blue tank, the warm workshop wall.
    let frame = Picture::load(&root.join("ar/demo/frame-000.png"));
    for at in [[200.0, 120.0], [800.0, 60.0]] {
        let seen = to_picture(&pic, at, camera);
        let recorded = frame.pixel(at[0] as u32, at[1] as u32);
        let same = count_near(&pic, seen, 6, |p| {
            p.iter().zip(recorded).all(|(a, b)| a.abs_diff(b) <= 10)
        });
        assert_eq!(
            same,
            13 * 13,
            "the camera image at {at:?} is not the recording's {recorded:?}"
        );
    }
    let [tank, wall] = [frame.pixel(200, 120), frame.pixel(800, 60)];
    assert!(
        tank[2] > tank[0].saturating_add(60),
        "the recording's tank is not blue: {tank:?}"
    );
    assert!(
        !grey(wall) && wall[0] > wall[2].saturating_add(30),
        "the recording's wall is not warm: {wall:?}"
    );
}
