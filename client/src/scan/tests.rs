use std::time::Duration;

use super::*;
use bevy::state::app::StatesPlugin;
use ridewire_ar::frames::Replay;
use ridewire_engine::event::EventKind;

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

/// The scanner's start-up on its own: choose the source, wait for the
/// camera, take frames (no 3D view: no renderer here).
fn camera_app(choice: CameraChoice, driver: CameraDriver) -> App {
    let mut app = app();
    app.init_resource::<crate::shared::Settings>()
        .insert_resource(CameraOverride(Some(choice)))
        .insert_resource(driver)
        .init_resource::<super::HostFeed>()
        .init_resource::<Assets<Image>>()
        .add_systems(
            Update,
            (
                open_scan.run_if(
                    not(resource_exists::<ScanSession>)
                        .and_then(not(resource_exists::<ScanProblem>))
                        .and_then(not(resource_exists::<CameraStarting>)),
                ),
                camera::await_camera.run_if(resource_exists::<CameraStarting>),
                next_frame.run_if(resource_exists::<ScanSession>),
            )
                .chain(),
        );
    app
}

/// Updates until the scanner has a session (the camera answered or gave up).
fn until_session(app: &mut App) {
    let deadline = std::time::Instant::now() + CAMERA_START_TIMEOUT * 3;
    while !app.world().contains_resource::<ScanSession>() {
        assert!(
            std::time::Instant::now() < deadline,
            "no session, problem: {:?}",
            app.world().get_resource::<ScanProblem>()
        );
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_camera_that_is_not_there_falls_back_to_the_demo_and_says_why() {
    let mut app = camera_app(CameraChoice::Device(99), CameraDriver::default());
    until_session(&mut app);
    let session = app.world().resource::<ScanSession>();
    assert_eq!(session.source_name, "Demo recording");
    assert!(!session.live);
    let why = session.fallback.as_deref().expect("a reason");
    assert!(why.starts_with("Showing the demo recording"), "{why}");
    // Either this build cannot use webcams, or camera 99 does not exist.
    assert!(
        why.contains("no webcam support") || why.contains("camera 99"),
        "{why}"
    );
    // The demo still tracks the marker: the scanner is usable.
    assert!(session.marker.is_some());
}

#[test]
fn choosing_the_demo_never_touches_a_camera() {
    // A driver that fails the test if anything asks it for a camera.
    let mut app = camera_app(
        CameraChoice::Demo,
        CameraDriver(|camera| panic!("camera {} was opened", camera.device)),
    );
    until_session(&mut app);
    let session = app.world().resource::<ScanSession>();
    assert_eq!(session.fallback, None);
    assert!(!session.live);
}

/// A "camera" that streams the demo recording from its own thread, as
/// fast as it can: what the webcam does, without hardware.
/// What the scanner last asked the recorded camera for.
static ASKED: std::sync::Mutex<Option<ridewire_ar::frames::WebcamSettings>> =
    std::sync::Mutex::new(None);

fn recorded_camera(
    camera: ridewire_ar::frames::WebcamSettings,
) -> ridewire_ar::Result<ridewire_ar::frames::InBackground> {
    *ASKED.lock().unwrap() = Some(camera);
    ridewire_ar::frames::InBackground::spawn("test-camera", || {
        Ok(Replay::open(&assets_root().join("ar").join("demo"), DEMO_FPS)?.looping(true))
    })
}

#[test]
fn a_live_camera_is_tracked_frame_by_frame() {
    let mut app = camera_app(CameraChoice::Device(3), CameraDriver(recorded_camera));
    app.world_mut()
        .resource_mut::<crate::shared::Settings>()
        .camera_size = (640, 480);
    until_session(&mut app);
    let asked = ASKED.lock().unwrap().clone().expect("the camera was asked");
    assert_eq!((asked.device, asked.width, asked.height), (3, 640, 480));
    {
        let session = app.world().resource::<ScanSession>();
        assert!(session.live);
        assert_eq!(session.fallback, None);
        assert!(
            session.source_name.starts_with("Camera 3"),
            "{}",
            session.source_name
        );
        assert!(session.marker.is_some(), "marker in the first frame");
    }
    // Frames keep coming from the camera thread into the tracker.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.world().resource::<ScanSession>().frames < 10 {
        assert!(std::time::Instant::now() < deadline, "frames stopped");
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    let session = app.world().resource::<ScanSession>();
    assert_eq!(session.problem, None);
    assert!(session.marker.is_some(), "the marker stays tracked");
}

#[test]
fn camera_choices_read_and_write_the_same_way() {
    for choice in [
        CameraChoice::Auto,
        CameraChoice::Demo,
        CameraChoice::Device(2),
        CameraChoice::Phone,
    ] {
        assert_eq!(choice.to_string().parse::<CameraChoice>(), Ok(choice));
    }
    assert_eq!(" DEMO ".parse::<CameraChoice>(), Ok(CameraChoice::Demo));
    let bad = "webcam".parse::<CameraChoice>().unwrap_err();
    assert!(
        bad.contains("auto, demo, phone or a camera number"),
        "{bad}"
    );
    assert!("-1".parse::<CameraChoice>().is_err());
}

/// Where Bevy's projection of the lens puts a point in camera space, in
/// image pixels (pixel centres at whole numbers).
fn bevy_pixel(lens: &Lens, image: UVec2, point: Vec3) -> Vec2 {
    use bevy::camera::CameraProjection;
    let projection = PerspectiveProjection {
        fov: lens.fov_y,
        aspect_ratio: lens.sub_view.full_size.x as f32 / lens.sub_view.full_size.y as f32,
        near: 0.02,
        far: 100.0,
        ..default()
    };
    let clip = projection.get_clip_from_view_for_sub(&lens.sub_view) * point.extend(1.0);
    let ndc = clip.truncate() / clip.w;
    Vec2::new(
        (ndc.x + 1.0) / 2.0 * image.x as f32 - 0.5,
        (1.0 - ndc.y) / 2.0 * image.y as f32 - 0.5,
    )
}

#[test]
fn the_3d_view_projects_like_the_calibrated_camera_even_off_centre() {
    let image = UVec2::new(1280, 720);
    // A calibration whose principal point is well off the image centre.
    let k = Intrinsics {
        fx: 900.0,
        fy: 900.0,
        cx: 700.0,
        cy: 300.0,
        ..Intrinsics::from_fov(1280, 720, 60.0).expect("intrinsics")
    };
    let lens = Lens::of(&k, image);
    for opencv in [[0.0, 0.0, 1.0], [0.3, -0.2, 1.5], [-0.5, 0.25, 2.0]] {
        let [x, y, z] = opencv;
        let expected = Vec2::new((k.fx * x / z + k.cx) as f32, (k.fy * y / z + k.cy) as f32);
        // OpenCV's camera (y down, z forward) in Bevy's (y up, looking at −z).
        let got = bevy_pixel(&lens, image, Vec3::new(x as f32, -y as f32, -z as f32));
        assert!(
            (got - expected).length() < 0.05,
            "{opencv:?}: Bevy draws it at {got}, the camera sees it at {expected}"
        );
    }
    // The backdrop puts pixel (cx, cy) on the optical axis: the image's
    // centre sits off the axis by the principal point's offset.
    let px_per_m = k.fy as f32 / BACKDROP_M;
    let axis_pixel = Vec2::new(
        image.x as f32 / 2.0 - 0.5 - lens.backdrop_centre.x * px_per_m,
        image.y as f32 / 2.0 - 0.5 + lens.backdrop_centre.y * px_per_m,
    );
    assert!(
        (axis_pixel - Vec2::new(700.0, 300.0)).length() < 0.01,
        "{axis_pixel}"
    );
}

#[test]
fn a_centred_lens_is_the_plain_image() {
    let image = UVec2::new(960, 540);
    let k = Intrinsics::from_fov(960, 540, DEFAULT_FOV_DEG).expect("intrinsics");
    let lens = Lens::of(&k, image);
    assert_eq!(lens.sub_view.full_size, image);
    assert!(lens.sub_view.offset.length() < 1e-3);
    assert!(lens.backdrop_centre.truncate().length() < 1e-4);
}

#[test]
fn the_phones_camera_is_what_its_host_pushes() {
    use ridewire_app::scan::HostCamera;
    use ridewire_ar::frames::FrameSource as _;
    // A phone's camera callback: pushes the demo recording's frames from a
    // thread of its own through the host camera, as the bindings do.
    let camera = HostCamera::default();
    let mut app = camera_app(
        CameraChoice::Phone,
        CameraDriver(|camera| panic!("webcam {} was opened for the phone's camera", camera.device)),
    );
    app.insert_resource(super::HostFeed(camera.clone()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let host = {
        let (camera, stop) = (camera.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut replay = Replay::open(&assets_root().join("ar").join("demo"), DEMO_FPS)
                .unwrap()
                .looping(true);
            let mut frame = ridewire_ar::frames::Frame::default();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                replay.next_frame(&mut frame).unwrap();
                let (w, h) = (frame.image.width() as u32, frame.image.height() as u32);
                camera
                    .offer(w, h, frame.image.pixels(), frame.timestamp)
                    .unwrap();
                std::thread::sleep(Duration::from_millis(15));
            }
        })
    };
    until_session(&mut app);
    {
        let session = app.world().resource::<ScanSession>();
        assert!(session.live);
        assert_eq!(session.fallback, None);
        assert_eq!(session.source_name, super::PHONE_CAMERA);
        assert!(session.marker.is_some(), "marker in the first frame");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.world().resource::<ScanSession>().frames < 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "pushed frames stopped"
        );
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    host.join().unwrap();
    let session = app.world().resource::<ScanSession>();
    assert_eq!(session.problem, None);
    assert!(session.marker.is_some(), "the marker stays tracked");
    assert!(camera.is_read());
}

/// A finger on a part of the overlay opens it, through the same picking the
/// app runs (touches are pointers to `bevy_picking`), without a renderer:
/// the camera's projection and target size are set by hand.
#[test]
fn tapping_a_part_with_a_finger_selects_it() {
    use bevy::camera::primitives::Aabb;
    use bevy::camera::{CameraProjection, ComputedCameraValues, RenderTargetInfo};
    use bevy::input::touch::{TouchInput, TouchPhase};
    use bevy::picking::mesh_picking::{MeshPickingSettings, ray_cast::RayCastVisibility};
    use bevy::window::PrimaryWindow;

    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        bevy::input::InputPlugin,
        bevy::window::WindowPlugin::default(),
        bevy::transform::TransformPlugin,
        bevy::asset::AssetPlugin::default(),
        bevy::picking::DefaultPickingPlugins,
        MeshPickingPlugin,
    ))
    .init_asset::<Mesh>()
    .init_resource::<SelectedComponent>()
    .insert_resource(MeshPickingSettings {
        require_markers: false,
        ray_cast_visibility: RayCastVisibility::Any,
    });
    app.update();
    let window = app
        .world_mut()
        .query_filtered::<Entity, With<PrimaryWindow>>()
        .single(app.world())
        .expect("a primary window");
    let size = UVec2::new(1280, 720);
    let projection = PerspectiveProjection {
        aspect_ratio: size.x as f32 / size.y as f32,
        ..default()
    };
    app.world_mut().spawn((
        Camera3d::default(),
        Camera {
            computed: ComputedCameraValues {
                clip_from_view: projection.get_clip_from_view(),
                target_info: Some(RenderTargetInfo {
                    physical_size: size,
                    scale_factor: 1.0,
                }),
                ..default()
            },
            ..default()
        },
        Transform::default(),
    ));
    let cube = app
        .world_mut()
        .resource_mut::<Assets<Mesh>>()
        .add(Cuboid::new(0.5, 0.5, 0.5));
    // The part as the scanner spawns it: an overlay whose mesh is a child.
    app.world_mut()
        .spawn((
            Overlay {
                id: "spark_plugs".into(),
                highlighted: true,
            },
            Transform::from_xyz(0.0, 0.0, -2.0),
            Visibility::default(),
        ))
        .with_child((
            Mesh3d(cube),
            Aabb::from_min_max(Vec3::splat(-0.25), Vec3::splat(0.25)),
            Transform::default(),
            Visibility::default(),
        ))
        .observe(super::highlight::tapped);
    let finger = |app: &mut App, phase, x: f32| {
        // What winit sends for a finger: the window event (which picking
        // reads) and the input message.
        let touch = TouchInput {
            phase,
            position: Vec2::new(x, 360.0),
            window,
            force: None,
            id: 1,
        };
        app.world_mut()
            .write_message(bevy::window::WindowEvent::TouchInput(touch));
        app.world_mut().write_message(touch);
        app.update();
        app.update();
    };
    // A tap beside the part selects nothing; on it, the part.
    finger(&mut app, TouchPhase::Started, 100.0);
    finger(&mut app, TouchPhase::Ended, 100.0);
    assert_eq!(app.world().resource::<SelectedComponent>().0, None);
    finger(&mut app, TouchPhase::Started, 640.0);
    finger(&mut app, TouchPhase::Ended, 640.0);
    assert_eq!(
        app.world().resource::<SelectedComponent>().0.as_deref(),
        Some("spark_plugs")
    );
}

#[test]
fn the_scanner_lights_the_newest_diagnosis_of_the_bike_in_hand() {
    use ridewire_app::diagnosis::{answer, gate_offline};
    use ridewire_app::garage;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("rider.db");
    let clock = crate::player::Clock::Fixed {
        at_ms: 1_772_438_400_000,
        utc_offset_min: 60,
    };
    let (street, mt07, run) = {
        let now = clock.now().0;
        let mut rider = ridewire_app::rider::Rider::open(&db, now).expect("rider");
        let street =
            garage::add(&mut rider, "Harley-Davidson", "Street 750", 2022, None, 1).expect("bike");
        let mt07 = garage::add(&mut rider, "Yamaha", "MT-07", 2021, None, 2).expect("bike");
        garage::choose(&mut rider, &street.id).expect("switch");
        let ask = street_750(&["P0351"]);
        let run = answer(&mut rider, gate_offline(ask).expect("valid"), now, 60, None);
        assert!(
            !run.result.highlighted_components.is_empty(),
            "{:?}",
            run.result
        );
        garage::choose(&mut rider, &mt07.id).expect("switch");
        (street, mt07, run)
    };
    let mut app = camera_app(CameraChoice::Demo, CameraDriver::default());
    app.insert_resource(Player::open(&db, &clock).expect("player"));
    // The MT-07 is in hand: the Street 750's coil stays dark.
    until_session(&mut app);
    assert_eq!(
        *app.world().resource::<ApprovedHighlights>(),
        ApprovedHighlights::default()
    );
    app.world_mut().remove_resource::<ScanSession>();
    {
        let mut player = app.world_mut().resource_mut::<Player>();
        garage::choose(&mut player, &street.id).expect("switch");
        player.refresh_garage().expect("garage");
    }
    until_session(&mut app);
    let lit = app.world().resource::<ApprovedHighlights>();
    assert_eq!(lit.diagnosis, Some(run.id));
    assert!(
        lit.components.iter().any(|c| c == "ignition_coil"),
        "{lit:?}"
    );
    let _ = mt07;
}

#[test]
fn a_mechanics_approval_of_an_escalated_run_lights_the_parts_they_name() {
    use ridewire_app::diagnosis::{answer, gate_offline};
    use ridewire_engine::diagnostics::gate::Decision;
    use ridewire_engine::diagnostics::review::{Review, Verdict};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("rider.db");
    let clock = crate::player::Clock::Fixed {
        at_ms: 1_772_438_400_000,
        utc_offset_min: 60,
    };
    let run = {
        let mut rider = ridewire_app::rider::Rider::open(&db, clock.now().0).expect("rider");
        let ask = street_750(&["P0300", "P0171"]);
        answer(
            &mut rider,
            gate_offline(ask).expect("valid"),
            clock.now().0,
            60,
            None,
        )
    };
    assert_eq!(run.result.decision, Decision::Escalated);
    let mut app = camera_app(CameraChoice::Demo, CameraDriver::default());
    app.insert_resource(Player::open(&db, &clock).expect("player"));
    // Held for a person: nothing lights.
    until_session(&mut app);
    assert_eq!(
        *app.world().resource::<ApprovedHighlights>(),
        ApprovedHighlights::default()
    );
    app.world_mut().remove_resource::<ScanSession>();
    // The mechanic's answer arrives (on the rider's server device, in
    // the app by a sync round; recorded here directly).
    let review = Review {
        workshop: uuid::Uuid::from_u128(9),
        workshop_name: "Moto Müller".into(),
        reviewer: 2,
        reviewer_name: "Anna".into(),
        verdict: Verdict::Corrected,
        text: "Replace the ignition coil.".into(),
        components: vec!["ignition_coil".into()],
    };
    {
        let mut player = app.world_mut().resource_mut::<Player>();
        let kind = EventKind::DiagnosisReviewed {
            diagnostic_id: run.id,
            review: Box::new(review),
        };
        player.record(kind, clock.now().0 + 60_000, 60);
    }
    until_session(&mut app);
    let lit = app.world().resource::<ApprovedHighlights>();
    assert_eq!(lit.diagnosis, Some(run.id));
    assert_eq!(lit.components, ["ignition_coil"]);
    let action = lit.finding.as_ref().map(|f| f.action.clone());
    assert_eq!(
        action.as_deref(),
        Some("Replace the ignition coil. (Corrected by Anna at Moto Müller)")
    );
}

#[test]
fn a_terminal_scans_the_bike_booked_in_its_bay_not_its_own() {
    use ridewire_app::diagnosis::{answer, gate_offline};
    use ridewire_app::workshop_board::InBay;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("terminal.db");
    let clock = crate::player::Clock::Fixed {
        at_ms: 1_772_438_400_000,
        utc_offset_min: 60,
    };
    {
        // The terminal account's own Street 750 has an approved run.
        let mut rider = ridewire_app::rider::Rider::open(&db, clock.now().0).expect("rider");
        let ask = street_750(&["P0351"]);
        answer(&mut rider, gate_offline(ask).expect("valid"), 1, 60, None);
    }
    let mut app = camera_app(CameraChoice::Demo, CameraDriver::default());
    app.insert_resource(Player::open(&db, &clock).expect("player"))
        .insert_resource(crate::shared::BayBike(Some(InBay {
            booking: uuid::Uuid::from_u128(1),
            bay: "Lift 1".into(),
            customer: "Jo Rider".into(),
            bike: Some("Yamaha MT-07 (2021)".into()),
            model_key: Some("yamaha-mt-07-2021".into()),
            service: "Tyres".into(),
        })));
    until_session(&mut app);
    let session = app.world().resource::<ScanSession>();
    assert_eq!(session.pack.vehicle, "yamaha-mt-07-2021");
    assert_eq!(
        *app.world().resource::<ApprovedHighlights>(),
        ApprovedHighlights::default(),
        "the account's own diagnosis is not about the customer's bike"
    );

    // No bay: the account's own bike, lit by its own run.
    app.world_mut().resource_mut::<crate::shared::BayBike>().0 = None;
    app.world_mut().remove_resource::<ScanSession>();
    until_session(&mut app);
    let session = app.world().resource::<ScanSession>();
    assert_eq!(session.pack.vehicle, "harley-street-750-2022");
    let lit = app.world().resource::<ApprovedHighlights>();
    assert!(
        lit.components.iter().any(|c| c == "ignition_coil"),
        "{lit:?}"
    );
}

/// A diagnosis asked about a Street 750 with `codes`.
fn street_750(codes: &[&str]) -> ridewire_app::diagnosis::Ask {
    ridewire_app::diagnosis::Ask {
        codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        symptoms: vec![],
        query: None,
        vehicle: ridewire_engine::diagnostics::request::VehicleInfo {
            make: "Harley-Davidson".into(),
            model: "Street 750".into(),
            year: 2022,
        },
    }
}
