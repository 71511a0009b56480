//! The rider's own plans on a real SQLite file: opened from a Markdown
//! file, ticked in an editor and opened again (only what changed is
//! recorded), started from a template, refused clearly when the file is
//! not a plan.

use ridewire_app::plans::{self, Source};
use ridewire_app::rider::Rider;

const NOW: i64 = 1_800_000_000_000;

const PLAN: &str = "# My MT-07\n\n## Chain\n\n- [ ] Clean the chain #easy\n    - [ ] Degrease\n    - [ ] Lube\n- [ ] Adjust the slack #medium\n\n## Brakes\n\n- [ ] Check the pads #easy\n";

#[test]
fn a_plan_file_is_opened_and_what_is_ticked_later_is_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mt07.md");
    std::fs::write(&file, PLAN).unwrap();
    let db = dir.path().join("rider.db");
    let mut rider = Rider::open(&db, NOW).unwrap();
    let opened = plans::open_file(&mut rider, &file, NOW, 60).unwrap();
    assert!(opened.new);
    assert_eq!(opened.recorded, 0, "nothing ticked yet");
    assert_eq!(opened.plan.title, "My MT-07");
    assert!(matches!(
        opened.plan.source,
        Source::Own { waiting: true, .. }
    ));
    assert_eq!(
        plans::current(&rider).unwrap().map(|p| p.id),
        Some(opened.plan.id.clone())
    );
    let quests_before = rider.catalog.quests().count();

    // Ticked in an editor: a step and a whole task.
    let ticked = PLAN
        .replace("    - [ ] Degrease", "    - [x] Degrease")
        .replace("- [ ] Check the pads", "- [x] Check the pads");
    std::fs::write(&file, &ticked).unwrap();
    let again = plans::open_file(&mut rider, &file, NOW + 1_000, 60).unwrap();
    assert!(!again.new);
    assert_eq!(
        again.plan.id, opened.plan.id,
        "the same plan, not a second one"
    );
    assert_eq!(again.recorded, 2);
    assert!(again.xp > 0);
    assert_eq!(again.plan.markdown, ticked, "the new text is kept");
    assert_eq!(rider.catalog.quests().count(), quests_before);
    let events = rider.events().len();
    // Opened once more, unchanged: nothing recorded twice.
    let third = plans::open_file(&mut rider, &file, NOW + 2_000, 60).unwrap();
    assert_eq!(third.recorded, 0);
    assert_eq!(rider.events().len(), events);
    assert_eq!(plans::plans(&rider).unwrap().len(), 1);
    drop(rider);

    // Kept across a restart, with the file it came from.
    let rider = Rider::open(&db, NOW).unwrap();
    let listed = plans::plans(&rider).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        matches!(&listed[0].source, Source::Own { file: Some(f), .. } if f.ends_with("mt07.md"))
    );
    assert_eq!(rider.verify(), Ok(()));
}

#[test]
fn templates_start_a_new_file_and_plans_can_be_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut rider = Rider::open(&dir.path().join("rider.db"), NOW).unwrap();
    let first = plans::from_template(&mut rider, "spring-service", dir.path(), NOW, 0).unwrap();
    let second = plans::from_template(&mut rider, "spring-service", dir.path(), NOW, 0).unwrap();
    assert!(dir.path().join("spring-service.md").is_file());
    assert!(
        dir.path().join("spring-service-2.md").is_file(),
        "never over a file"
    );
    assert_ne!(first.plan.id, second.plan.id);
    assert_eq!(plans::plans(&rider).unwrap().len(), 2);
    let err = plans::from_template(&mut rider, "nope", dir.path(), NOW, 0).unwrap_err();
    assert!(err.to_string().contains("spring-service"), "{err}");
    plans::remove(&mut rider, &second.plan.id, NOW).unwrap();
    assert_eq!(plans::plans(&rider).unwrap().len(), 1);
    assert_eq!(
        plans::current(&rider).unwrap(),
        None,
        "the starter plan again"
    );
    plans::choose(&mut rider, Some(&first.plan.id)).unwrap();
    assert_eq!(
        plans::current(&rider).unwrap().map(|p| p.id),
        Some(first.plan.id)
    );
}

#[test]
fn files_that_are_not_plans_are_refused_and_nothing_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let mut rider = Rider::open(&dir.path().join("rider.db"), NOW).unwrap();
    let missing = plans::open_file(&mut rider, &dir.path().join("nope.md"), NOW, 0).unwrap_err();
    assert!(missing.to_string().contains("cannot open"), "{missing}");
    let binary = dir.path().join("photo.md");
    std::fs::write(&binary, [0xff, 0xd8, 0xff, 0xe0, 0x00]).unwrap();
    let err = plans::open_file(&mut rider, &binary, NOW, 0).unwrap_err();
    assert!(err.to_string().contains("not a text file"), "{err}");
    let huge = dir.path().join("huge.md");
    std::fs::write(&huge, "- [ ] x\n".repeat(100_000)).unwrap();
    let err = plans::open_file(&mut rider, &huge, NOW, 0).unwrap_err();
    assert!(err.to_string().contains("KiB"), "{err}");
    assert!(plans::plans(&rider).unwrap().is_empty());
    assert_eq!(plans::current(&rider).unwrap(), None);
}

#[test]
fn the_map_picture_is_written_whole_with_its_progress_to_the_end() {
    use ridewire_app::maps::{render_png, write_png_with};
    use ridewire_app::task::Progress;
    let plan = ridewire_engine::plan::parse(ridewire_app::plans::TEMPLATES[0].1).unwrap();
    let map = ridewire_engine::overworld::generate(&plan.milestones(&[]), 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("map.png");
    let progress = Progress::default();
    write_png_with(&map, &to, &progress).unwrap();
    assert_eq!(progress.fraction(), 1.0);
    assert_eq!(std::fs::read(&to).unwrap(), render_png(&map).unwrap());
    assert!(!dir.path().join("map.png.part").exists());
    // A folder that is not there: a clear error, no file.
    let err = write_png_with(&map, &dir.path().join("no/map.png"), &Progress::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot write"), "{err}");
}

#[test]
fn an_edited_place_takes_effect_and_a_ticked_onsite_task_waits_for_its_proof() {
    use ridewire_engine::quest::ProofRequirement;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chain.md");
    let first = "# Chain\n\n## Workshop\n\nWhere: 48.0, 11.0\n\n- [x] Fit the chain #onsite\n- [ ] Lube it\n";
    std::fs::write(&file, first).unwrap();
    let mut rider = Rider::open(&dir.path().join("rider.db"), NOW).unwrap();
    let opened = plans::open_file(&mut rider, &file, NOW, 0).unwrap();
    assert_eq!(opened.recorded, 0, "a tick is no location proof");
    let zone = |rider: &Rider| {
        rider
            .catalog
            .zones()
            .find(|z| z.name == "Workshop")
            .unwrap()
            .clone()
    };
    assert_eq!(zone(&rider).location.unwrap().lat, 48.0);
    // The place was mistyped: fixed in the file, it moves.
    std::fs::write(
        &file,
        first.replace("48.0, 11.0", "48.137154, 11.576124 within 40 m"),
    )
    .unwrap();
    let again = plans::open_file(&mut rider, &file, NOW + 1_000, 0).unwrap();
    assert_eq!(again.recorded, 0);
    let moved = zone(&rider);
    assert_eq!(moved.location.unwrap().lat, 48.137154);
    assert_eq!(moved.radius_m, 40.0);
    // A task made #onsite later needs its proof from then on.
    std::fs::write(
        &file,
        first.replace("- [ ] Lube it", "- [ ] Lube it #onsite"),
    )
    .unwrap();
    plans::open_file(&mut rider, &file, NOW + 2_000, 0).unwrap();
    let lube = rider
        .catalog
        .quests()
        .find(|q| q.title == "Lube it")
        .unwrap();
    assert_eq!(lube.proofs, [ProofRequirement::Location]);
    assert!(rider.events().is_empty(), "nothing recorded from the ticks");
}

#[test]
fn each_bike_has_its_own_plans_and_its_own_current_plan() {
    use ridewire_app::garage;
    let dir = tempfile::tempdir().unwrap();
    let mut rider = Rider::open(&dir.path().join("rider.db"), NOW).unwrap();
    // Opened before any bike: it belongs to none and stays current for the
    // first bike, which has no plan of its own yet.
    let (spring, mt07_file, street_file) = (
        dir.path().join("spring.md"),
        dir.path().join("mt07.md"),
        dir.path().join("street.md"),
    );
    std::fs::write(&spring, "# Spring\n\n- [ ] Wash\n").unwrap();
    std::fs::write(&mt07_file, PLAN).unwrap();
    std::fs::write(
        &street_file,
        "# Street 750\n\n## Belt\n\n- [ ] Check the belt\n",
    )
    .unwrap();
    let spring = plans::open_file(&mut rider, &spring, NOW, 60).unwrap().plan;
    assert_eq!(spring.bike, None);
    let mt07 = garage::add(&mut rider, "Yamaha", "MT-07", 2021, None, NOW).unwrap();
    assert_eq!(plans::current_id(&rider), Some(spring.id.clone()));
    let mt07_plan = plans::open_file(&mut rider, &mt07_file, NOW + 1, 60)
        .unwrap()
        .plan;
    assert_eq!(mt07_plan.bike.as_deref(), Some(mt07.id.as_str()));
    assert_eq!(mt07_plan.bike_name.as_deref(), Some("Yamaha MT-07 (2021)"));

    // Another bike: it does not take the MT-07's plan; it gets its own.
    let street = garage::add(
        &mut rider,
        "Harley-Davidson",
        "Street 750",
        2022,
        None,
        NOW + 2,
    )
    .unwrap();
    assert_eq!(
        plans::current_id(&rider),
        Some(spring.id.clone()),
        "the plan of no bike"
    );
    let street_plan = plans::open_file(&mut rider, &street_file, NOW + 3, 60)
        .unwrap()
        .plan;
    assert_eq!(street_plan.bike.as_deref(), Some(street.id.as_str()));

    // Back and forth: each bike comes back to its own current plan.
    garage::choose(&mut rider, &mt07.id).unwrap();
    assert_eq!(
        plans::current(&rider).unwrap().map(|p| p.id),
        Some(mt07_plan.id.clone())
    );
    garage::choose(&mut rider, &street.id).unwrap();
    assert_eq!(
        plans::current(&rider).unwrap().map(|p| p.id),
        Some(street_plan.id.clone())
    );
    // The starter plan chosen for one bike leaves the other's alone.
    plans::choose(&mut rider, None).unwrap();
    assert_eq!(plans::current_id(&rider), None);
    garage::choose(&mut rider, &mt07.id).unwrap();
    assert_eq!(plans::current_id(&rider), Some(mt07_plan.id));
    // Every plan is still listed, with the bike it belongs to.
    let listed = plans::plans(&rider).unwrap();
    assert_eq!(listed.len(), 3);

    // The quest log of the MT-07 leaves out the Street 750's quests (their
    // zones), and keeps its own and those of the plan of no bike.
    let zone_of = |rider: &Rider, title: &str| {
        let quest = rider
            .catalog
            .quests()
            .find(|q| q.title == title)
            .unwrap_or_else(|| panic!("no quest {title}"));
        quest.zone.clone()
    };
    let elsewhere = plans::other_bikes_zones(&rider).unwrap();
    let belt = zone_of(&rider, "Check the belt");
    assert!(elsewhere.contains(&belt));
    assert!(!elsewhere.contains(&zone_of(&rider, "Wash")));
    let own = rider
        .catalog
        .quests()
        .filter(|q| !elsewhere.contains(&q.zone))
        .count();
    assert!(own > 1, "the MT-07's quests and the spring wash stay");
    garage::choose(&mut rider, &street.id).unwrap();
    let elsewhere = plans::other_bikes_zones(&rider).unwrap();
    assert!(!elsewhere.contains(&belt));
    assert!(!elsewhere.is_empty(), "the MT-07's plan is left out");
}

#[test]
fn the_same_plan_opened_twice_keeps_its_progress_apart() {
    use ridewire_engine::quest::QuestState;
    let dir = tempfile::tempdir().unwrap();
    let mut rider = Rider::open(&dir.path().join("rider.db"), NOW).unwrap();
    let text = "# Chain care\n\n## Chain\n\n- [ ] Clean the chain\n- [ ] Lube the chain\n";
    let (one, two) = (dir.path().join("mt07.md"), dir.path().join("street.md"));
    std::fs::write(&one, text).unwrap();
    std::fs::write(&two, text).unwrap();
    let first = plans::open_file(&mut rider, &one, NOW, 60).unwrap().plan;
    let second = plans::open_file(&mut rider, &two, NOW + 1, 60)
        .unwrap()
        .plan;
    assert_ne!(first.id, second.id);
    // Cleaned the chain of the first bike only, ticked in its file.
    std::fs::write(&one, text.replace("- [ ] Clean", "- [x] Clean")).unwrap();
    let again = plans::open_file(&mut rider, &one, NOW + 2, 60).unwrap();
    assert_eq!(again.recorded, 1);
    let state_of = |rider: &Rider, listed: &plans::ListedPlan| {
        let parsed = listed.parsed().unwrap();
        let clean = parsed.sections[0].tasks[0].id.clone();
        let quest = ridewire_engine::quest::QuestId::new(clean).unwrap();
        rider.progress().quest_state(&rider.catalog, &quest)
    };
    let listed = plans::plans(&rider).unwrap();
    let find = |id: &str| listed.iter().find(|p| p.id == id).unwrap();
    assert_eq!(
        state_of(&rider, find(&first.id)),
        Some(QuestState::Completed)
    );
    assert_eq!(
        state_of(&rider, find(&second.id)),
        Some(QuestState::Available)
    );
}

#[test]
fn a_workshop_template_kept_on_the_device_starts_a_plan_offline() {
    use ridewire_app::my_workshops::{MyWorkshops, Visit};
    use ridewire_engine::sync::workshops::{Membership, Role, Template};

    let dir = tempfile::tempdir().unwrap();
    let mut rider = Rider::open(&dir.path().join("rider.db"), NOW).unwrap();
    let folder = dir.path().join("plans");
    // Nothing fetched yet: the rider is told how to get the templates.
    let err = plans::from_workshop_template(&mut rider, "before-the-tour", &folder, NOW, 60)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Workshops screen"), "{err}");

    let mine = MyWorkshops {
        fetched_ms: NOW,
        memberships: Vec::new(),
        visits: vec![Visit {
            workshop: Membership {
                workshop: uuid::Uuid::from_u128(9),
                name: "Moto Müller".into(),
                role: Role::Customer,
                shares: Vec::new(),
                since_ms: NOW,
            },
            bays: Vec::new(),
            free: Vec::new(),
            bookings: Vec::new(),
            templates: vec![Template {
                name: "before-the-tour".into(),
                title: "Before the tour".into(),
                markdown: "# Before the tour\n\n## Checks\n\n- [ ] Tyre pressure #easy\n".into(),
                updated_ms: NOW,
            }],
        }],
    };
    mine.keep(&mut rider).unwrap();
    let listed = ridewire_app::my_workshops::templates(&rider);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, "Moto Müller");

    let opened =
        plans::from_workshop_template(&mut rider, "before-the-tour", &folder, NOW, 60).unwrap();
    assert!(opened.new);
    assert_eq!(opened.plan.title, "Before the tour");
    assert_eq!(
        plans::current(&rider).unwrap().map(|p| p.id),
        Some(opened.plan.id.clone())
    );
    assert!(folder.join("before-the-tour.md").exists());
    // Started twice: a second plan in a second file, the first untouched.
    let again =
        plans::from_workshop_template(&mut rider, "before-the-tour", &folder, NOW, 60).unwrap();
    assert_ne!(again.plan.id, opened.plan.id);
    assert!(folder.join("before-the-tour-2.md").exists());
}
