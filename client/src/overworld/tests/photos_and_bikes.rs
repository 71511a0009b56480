//! A `#photo` quest on the Map (a picked file, the scanner's shutter, the
//! code to vouch) and the Map following the current bike's plan, through
//! the real systems like the rest of the Map's tests.

use super::*;

/// Runs the app until the photo being made ready is done (a worker thread).
pub(super) fn until_photo_done(app: &mut App) {
    for _ in 0..500 {
        app.update();
        if app
            .world()
            .resource::<crate::photo::PhotoForm>()
            .working
            .is_none()
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the photo was not ready in 5 s");
}

/// The newest photo proof the rider recorded.
pub(super) fn last_photo(app: &App) -> Option<ridewire_engine::proof::PhotoProof> {
    app.world()
        .resource::<Player>()
        .events()
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::PhotoSubmitted { photo, .. } => Some(photo.clone()),
            _ => None,
        })
}

#[test]
fn a_photo_quest_takes_a_picked_photo_or_the_cameras_and_shows_the_code_to_vouch() {
    use super::plans::{PlanAsk, PlanForm};
    use crate::photo::{PhotoAsk, PhotoForm};
    use ridewire_app::photos::Share;
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("brakes.md");
    std::fs::write(
        &plan,
        "# Brakes\n\n## Front\n\n- [ ] New front pads #photo\n- [ ] New rear pads #photo\n",
    )
    .expect("plan");
    let mut app = app();
    app.world_mut().resource_mut::<PlanForm>().path = plan.display().to_string();
    app.world_mut().write_message(PlanAsk::OpenFile);
    app.update();
    app.update();
    app.world_mut().write_message(MapAction::Enter(vec![0]));
    app.update();
    app.update();
    let node = |app: &App, title: &str| {
        app.world()
            .resource::<LevelMap>()
            .map
            .nodes
            .iter()
            .position(|n| n.title == title)
            .expect("quest node")
    };
    let front = node(&app, "New front pads");
    let info = info_of(&app, front);
    let (quest, _, _) = info.quest.clone().expect("a quest");
    assert_eq!(info.photo.as_ref().map(|p| p.kept), Some(false));

    // Pick a file: the browser opens; a picture from it completes the quest.
    let asked = click_in_panel(&info, "Pick a photo…");
    assert_eq!(asked, vec![MapAction::Photo(PhotoAsk::Pick(quest.clone()))]);
    app.world_mut().write_message_batch(asked);
    app.update();
    assert!(app.world().resource::<PhotoForm>().browsing.is_some());
    let asked = click_in_panel(&info, "Share when it was taken");
    let share = Share {
        time: true,
        place: false,
    };
    assert_eq!(asked, vec![MapAction::Photo(PhotoAsk::Share(share))]);
    app.world_mut().write_message_batch(asked);
    let picture = dir.path().join("pads.png");
    let png = ridewire_app::maps::render_png(&app.world().resource::<LevelMap>().map).expect("png");
    std::fs::write(&picture, png).expect("picture");
    app.world_mut().write_message(PhotoAsk::File(picture));
    app.update();
    until_photo_done(&mut app);
    let info = info_of(&app, front);
    assert_eq!(
        info.quest.as_ref().map(|q| q.1),
        Some(QuestState::Completed)
    );
    let code = info.photo.and_then(|p| p.code).expect("a code to vouch");
    let completion = app
        .world()
        .resource::<Player>()
        .counted_completion(&quest)
        .expect("a completion");
    assert_eq!(code, format!("ridewire:vouch/{completion}"));
    let toasts = &app.world().resource::<crate::toasts::Toasts>().0;
    assert!(
        toasts
            .iter()
            .any(|t| t.title == "Photo added" && t.text.contains("completed with a photo")),
        "{toasts:?}"
    );
    // The photo went with its time shared: a picture from a file has none.
    let described = last_photo(&app);
    assert_eq!(described.map(|p| (p.taken_ms, p.at)), Some((None, None)));

    // The camera: the scanner opens with a shutter; its colour picture
    // completes the other quest, with its time shared, and the Map is back.
    let rear = node(&app, "New rear pads");
    let info = info_of(&app, rear);
    let rear_quest = info.quest.clone().expect("a quest").0;
    let asked = click_in_panel(&info, "Take with the camera");
    app.world_mut().write_message_batch(asked);
    app.update();
    app.update();
    assert_eq!(*app.world().resource::<State<Screen>>().get(), Screen::Scan);
    app.insert_resource(crate::scan::ScanSession::demo("harley-street-750-2022").expect("demo"));
    app.world_mut().write_message(PhotoAsk::Shutter);
    app.update();
    until_photo_done(&mut app);
    app.update();
    assert_eq!(
        *app.world().resource::<State<Screen>>().get(),
        Screen::Overworld
    );
    let player = app.world().resource::<Player>();
    assert_eq!(
        player.progress().quest_state(&player.catalog, &rear_quest),
        Some(QuestState::Completed)
    );
    assert_eq!(
        last_photo(&app).map(|p| p.taken_ms),
        Some(Some(1_772_438_400_000))
    );
}

#[test]
fn switching_bikes_shows_each_bikes_own_current_plan() {
    use ridewire_app::{garage, plans};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("rider.db");
    let clock = *app().world().resource::<Clock>();
    let mt07 = {
        let mut rider = ridewire_app::rider::Rider::open(&db, clock.now().0).expect("rider");
        let mt07 = garage::add(&mut rider, "Yamaha", "MT-07", 2021, None, 1).expect("bike");
        let file = dir.path().join("mt07.md");
        std::fs::write(&file, "# My MT-07\n\n## Chain\n\n- [ ] Lube the chain\n").expect("plan");
        plans::open_file(&mut rider, &file, 2, 60).expect("plan opens");
        garage::add(&mut rider, "Harley-Davidson", "Street 750", 2022, None, 3).expect("bike");
        mt07
    };
    let mut app = app();
    app.insert_resource(Player::open(&db, &clock).expect("player"));
    app.update();
    app.update();
    // The Street 750 is current and has no plan of its own: the starter plan.
    assert_eq!(
        app.world().resource::<MapPlan>().plan.title,
        "Street 750 service plan"
    );
    {
        let mut player = app.world_mut().resource_mut::<Player>();
        garage::choose(&mut player, &mt07.id).expect("switch");
        player.refresh_garage().expect("garage");
    }
    app.update();
    app.update();
    assert_eq!(app.world().resource::<MapPlan>().plan.title, "My MT-07");
    let map = app.world().resource::<LevelMap>();
    assert_eq!(map.path, Vec::<usize>::new());
    assert!(map.milestones.iter().any(|m| m.title == "Chain"));
}

#[test]
fn a_plan_the_server_refused_stays_on_the_menu_until_the_rider_discards_it() {
    use super::plans::{PlanAsk, PlanForm};
    use ridewire_app::plans::{self, Source, Trouble};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("rider.db");
    let clock = *app().world().resource::<Clock>();
    let id = {
        let mut rider = ridewire_app::rider::Rider::open(&db, clock.now().0).expect("rider");
        let file = dir.path().join("huge.md");
        std::fs::write(&file, "# Big rebuild\n\n- [ ] Strip the engine\n").expect("plan");
        plans::open_file(&mut rider, &file, 2, 60)
            .expect("opens")
            .plan
            .id
    };
    // What a sync round records when the server refuses the plan for good.
    let mut store = ridewire_offline_store::Store::open(&db, 3)
        .expect("store")
        .store;
    let edit = store.pending_edits().expect("edits")[0].id;
    store
        .edit_failed(edit, "storage quota reached: 10 MiB", true)
        .expect("refused");
    drop(store);
    let mut app = app();
    app.insert_resource(Player::open(&db, &clock).expect("player"));
    app.world_mut()
        .write_message(PlanAsk::Choose(Some(id.clone())));
    app.update();
    app.update();
    assert_eq!(app.world().resource::<MapPlan>().plan.title, "Big rebuild");
    let listed = &app.world().resource::<PlanForm>().listed;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let Source::Own {
        trouble: Some(trouble @ Trouble::Refused { .. }),
        ..
    } = &listed[0].source
    else {
        panic!("{:?}", listed[0].source);
    };
    assert!(trouble.to_string().contains("storage quota reached"));

    app.world_mut().write_message(PlanAsk::Discard(id));
    app.update();
    app.update();
    let form = app.world().resource::<PlanForm>();
    assert!(form.listed.is_empty(), "{:?}", form.listed);
    assert!(
        matches!(&form.message, Some(Ok(t)) if t.contains("dropped")),
        "{:?}",
        form.message
    );
    assert_eq!(
        app.world().resource::<MapPlan>().plan.title,
        "Street 750 service plan",
        "the starter plan is back on the Map"
    );
}
