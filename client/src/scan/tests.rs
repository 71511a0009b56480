use super::*;
use bevy::state::app::StatesPlugin;

fn app() -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin));
    app.configure_sets(Update, crate::AppSystems::Record);
    crate::player::plugin(&mut app);
    let clock = crate::player::Clock::Fixed {
        at_ms: 1_772_438_400_000,
        utc_offset_min: 60,
    };
    app.insert_resource(clock);
    app.insert_resource(Player::demo(&clock).expect("demo"));
    app.init_resource::<ApprovedHighlights>()
        .init_resource::<SelectedComponent>()
        .insert_state(Screen::Scan)
        .add_systems(OnExit(Screen::Scan), close_scan);
    app.add_message::<crate::screens::Navigate>();
    app
}

fn leave(app: &mut App) {
    app.world_mut()
        .resource_mut::<NextState<Screen>>()
        .set(Screen::Home);
    app.update();
    app.update();
}

fn scans(app: &App) -> Vec<u32> {
    app.world()
        .resource::<Player>()
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ArScan {
                duration_seconds, ..
            } => Some(duration_seconds),
            _ => None,
        })
        .collect()
}

#[test]
fn the_demo_recording_shows_the_demo_bikes_marker() {
    let session = ScanSession::demo("harley-street-750-2022").expect("demo");
    let marker = session.marker.as_ref().expect("marker in the first frame");
    assert_eq!(marker.id, session.pack.marker.id);
    let distance = marker.pose.tvec.iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!((distance - 1.1).abs() < 0.05, "{distance} m");
}

#[test]
fn a_scan_with_the_marker_in_view_is_recorded_when_leaving() {
    let mut app = app();
    let before = scans(&app).len();
    let mut session = ScanSession::demo("harley-street-750-2022").expect("demo");
    session.tracked_seconds = 3.4;
    app.insert_resource(session);
    app.update();
    leave(&mut app);
    let after = scans(&app);
    assert_eq!(after.len(), before + 1, "one scan recorded");
    assert_eq!(after.last(), Some(&3));
    assert!(!app.world().contains_resource::<ScanSession>());
}

#[test]
fn a_glance_without_the_marker_records_nothing() {
    let mut app = app();
    let before = scans(&app).len();
    let mut session = ScanSession::demo("harley-street-750-2022").expect("demo");
    session.tracked_seconds = 0.4;
    app.insert_resource(session);
    app.update();
    leave(&mut app);
    assert_eq!(scans(&app).len(), before);
}

#[test]
fn the_anchor_puts_opencv_forward_in_front_of_the_bevy_camera() {
    // A marker 1 m straight ahead, facing the camera.
    let pose = Pose {
        rvec: [std::f64::consts::PI, 0.0, 0.0],
        tvec: [0.1, 0.2, 1.0],
    };
    let t = anchor_transform(&pose);
    // Bevy looks down −z with y up: ahead is −z, OpenCV's +y (down) is −y.
    assert!((t.translation - Vec3::new(0.1, -0.2, -1.0)).length() < 1e-5);
    // The marker's z (out of its face) points back at the camera: +z.
    let out = t.rotation * Vec3::Z;
    assert!((out - Vec3::Z).length() < 1e-5, "{out}");
}

#[test]
fn the_view_keeps_the_image_shape_inside_the_content_area() {
    let content = egui::Rect::from_min_max(egui::pos2(0.0, 50.0), egui::pos2(1280.0, 720.0));
    let (pos, size) = view_rect(content, 1.0, UVec2::new(960, 540));
    assert_eq!(size.y, 670);
    assert_eq!(size.x, (670.0f32 * 960.0 / 540.0).round() as u32);
    assert_eq!(pos.y, 50);
    assert!((pos.x * 2 + size.x).abs_diff(1280) <= 1, "centred");
}

#[test]
fn a_pack_from_the_server_is_used_when_sound_else_the_bundled_one() {
    let root = assets_root();
    let bundled: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("overlays/harley-street-750-2022.json")).expect("pack"),
    )
    .expect("json");
    // The workshop moved the battery and published version 2.
    let mut newer = bundled.clone();
    newer["version"] = 2.into();
    newer["components"][3]["translation"] = serde_json::json!([0.3, 0.0, -0.1]);
    let pack = pack_for("harley-street-750-2022", Some(newer)).expect("pack");
    assert_eq!(pack.version, 2);
    // A broken one (a model this app does not have) falls back, never fails.
    let mut broken = bundled.clone();
    broken["components"][0]["model"] = "models/not-here.glb".into();
    let pack = pack_for("harley-street-750-2022", Some(broken)).expect("pack");
    assert_eq!(pack.version, 1);
    // So does another bike's pack.
    let other: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("overlays/yamaha-mt-07-2021.json")).expect("pack"),
    )
    .expect("json");
    let pack = pack_for("harley-street-750-2022", Some(other)).expect("pack");
    assert_eq!(pack.vehicle, "harley-street-750-2022");
}
