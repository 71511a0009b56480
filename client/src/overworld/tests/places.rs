//! An `#onsite` quest on the Map: "I'm here" reads the position from a
//! real gpsd (fed an NMEA log like a network receiver, as in the app
//! layer's tests) and completes the quest there, or the panel says how far
//! the zone is; the scanner's photo takes its place from the same gpsd.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::gpsd_support::{feed, gpsd_or_skip, stages, start_gpsd};
use super::*;
use crate::position::{GpsdAt, PositionAsk, PositionForm};

/// A plan with one task done at the demo workshop (the log's last stage
/// is there; its second 342 m south).
const PLAN: &str = "# Service\n\n## At the workshop\n\nWhere: 48.137154, 11.576124 within 30 m\n\n\
                    - [ ] Check the bike in #onsite\n- [ ] New front pads #photo\n";

fn arrival_log() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/tests/data/arrival.nmea"),
    )
    .expect("NMEA log")
}

/// The Map with [`PLAN`] open at its section's level; the node of `title`.
fn map_with_plan(dir: &std::path::Path) -> App {
    use super::plans::{PlanAsk, PlanForm};
    let plan = dir.join("service.md");
    std::fs::write(&plan, PLAN).expect("plan");
    let mut app = app();
    app.world_mut().resource_mut::<PlanForm>().path = plan.display().to_string();
    app.world_mut().write_message(PlanAsk::OpenFile);
    app.update();
    app.update();
    app.world_mut().write_message(MapAction::Enter(vec![0]));
    app.update();
    app.update();
    app
}

fn node(app: &App, title: &str) -> usize {
    app.world()
        .resource::<LevelMap>()
        .map
        .nodes
        .iter()
        .position(|n| n.title == title)
        .expect("quest node")
}

/// Runs the app until the position asked for is read and used.
fn until_read(app: &mut App) {
    for _ in 0..2000 {
        app.update();
        if app.world().resource::<PositionForm>().working.is_none() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no answer about the position in 20 s");
}

/// Feeds one stage of the log to gpsd again and again until stopped
/// (gpsd reports what arrives after the app connects).
fn keep_feeding(receiver: &std::net::TcpStream, stage: &[&str]) -> impl FnOnce() {
    let mut receiver = receiver.try_clone().expect("receiver");
    let stage: Vec<String> = stage.iter().map(|s| (*s).to_owned()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let feeder = std::thread::spawn(move || {
        let lines: Vec<&str> = stage.iter().map(String::as_str).collect();
        while !stopping.load(Ordering::Relaxed) {
            feed(&mut receiver, &lines);
        }
    });
    move || {
        stop.store(true, Ordering::Relaxed);
        feeder.join().expect("feeder");
    }
}

/// Takes the scanner's photo for the `#photo` task, its place shared.
fn shutter_with_place(app: &mut App) {
    use crate::photo::PhotoAsk;
    let info = info_of(app, node(app, "New front pads"));
    app.world_mut()
        .write_message_batch(click_in_panel(&info, "Take with the camera"));
    app.world_mut()
        .write_message(PhotoAsk::Share(ridewire_app::photos::Share {
            time: true,
            place: true,
        }));
    app.update();
    app.update();
    app.insert_resource(crate::scan::ScanSession::demo("harley-street-750-2022").expect("demo"));
    app.world_mut().write_message(PhotoAsk::Shutter);
    super::photos_and_bikes::until_photo_done(app);
}

fn last_words(app: &App) -> Result<String, String> {
    app.world()
        .resource::<PositionForm>()
        .last
        .clone()
        .map(|(_, words)| words)
        .expect("an answer")
}

#[test]
fn an_onsite_quest_is_completed_at_the_place_with_a_fix_from_gpsd() {
    let Some(program) = gpsd_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let log = arrival_log();
    let stages = stages(&log);
    let (_daemon, at, receiver) = start_gpsd(&program, dir.path());
    let mut app = map_with_plan(dir.path());
    app.insert_resource(GpsdAt(at));
    let check_in = node(&app, "Check the bike in");
    let info = info_of(&app, check_in);
    let (quest, _, _) = info.quest.clone().expect("a quest");
    assert_eq!(info.place, Some(super::panel::PlaceLine::default()));

    // Far away: nothing recorded, the answer says how far.
    let asked = click_in_panel(&info, "I'm here: check my position");
    assert_eq!(
        asked,
        vec![MapAction::Position(PositionAsk::Prove(quest.clone()))]
    );
    let events = app.world().resource::<Player>().events().len();
    let stop = keep_feeding(&receiver, &stages[1]);
    app.world_mut().write_message_batch(asked.clone());
    app.update();
    assert!(app.world().resource::<PositionForm>().working.is_some());
    until_read(&mut app);
    stop();
    let words = last_words(&app).expect_err("not there yet");
    assert!(
        words.contains("Check the bike in: not completed: 312 m from the zone"),
        "{words}"
    );
    assert_eq!(app.world().resource::<Player>().events().len(), events);

    // At the workshop: the proof and the completion are recorded.
    let stop = keep_feeding(&receiver, &stages[3]);
    app.world_mut().write_message_batch(asked);
    until_read(&mut app);
    stop();
    let words = last_words(&app).expect("completed");
    assert!(words.contains("completed at the zone, +"), "{words}");
    let player = app.world().resource::<Player>();
    assert_eq!(
        player.progress().quest_state(&player.catalog, &quest),
        Some(QuestState::Completed)
    );
    assert!(player.events().iter().any(|e| matches!(
        &e.kind,
        EventKind::ProofSubmitted { quest: q, .. } if *q == quest
    )));
    let toasts = &app.world().resource::<crate::toasts::Toasts>().0;
    assert!(
        toasts.iter().any(|t| t.title == "Location proof"),
        "{toasts:?}"
    );

    // The scanner's photo, with its place shared, is stamped where gpsd
    // says the rider is.
    let stop = keep_feeding(&receiver, &stages[3]);
    shutter_with_place(&mut app);
    stop();
    let placed = super::photos_and_bikes::last_photo(&app)
        .expect("the photo's event")
        .at
        .expect("a place");
    // The log's last stage is 3 m south of the workshop (1e-4° is 11 m).
    assert!(
        (placed.lat - 48.137154).abs() < 1e-4 && (placed.lon - 11.576124).abs() < 1e-4,
        "{placed:?}"
    );
}

#[test]
fn without_gpsd_the_panel_says_how_to_start_it_and_the_photo_goes_without_a_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("port")
        .to_string();
    let mut app = map_with_plan(dir.path());
    app.insert_resource(GpsdAt(closed.clone()));
    let info = info_of(&app, node(&app, "Check the bike in"));
    app.world_mut()
        .write_message_batch(click_in_panel(&info, "I'm here: check my position"));
    until_read(&mut app);
    let words = last_words(&app).expect_err("no position");
    assert!(
        words.starts_with(&format!("No position: no gpsd at {closed}: ")),
        "{words}"
    );
    assert!(words.contains("sudo systemctl start gpsd"), "{words}");

    shutter_with_place(&mut app);
    let last = app
        .world()
        .resource::<crate::photo::PhotoForm>()
        .last
        .clone();
    let words = last.expect("an outcome").1.expect("the photo is added");
    assert!(
        words.contains("taken without its place: no gpsd at"),
        "{words}"
    );
    let placed = super::photos_and_bikes::last_photo(&app).map(|p| p.at);
    assert_eq!(placed, Some(None));
}
