//! A workshop's day end to end, through the real `ridewire` and
//! `ridewire-server` binaries: the owner invites a rider and the front
//! desk; the rider books a bay; the owner's terminal and the front desk
//! race for the same slot and exactly one wins; the owner reviews the
//! rider's escalated diagnosis and the rider's app shows the approval and
//! lights the parts; a plan the owner writes reaches the rider's Map.
//! (The race is run 100 times, with a phone too, by the server's
//! `bookings` tests; the terminal's taps by `client::workshop`'s tests.)

use std::process::Command;

use ridewire_app::rider::Rider;

use crate::picture::ridewire;
use crate::sync::{start_server, sync};
use crate::workshop::{free_slot, shop_with_rider, signed_up, word_after, workshop};

const PASSWORD: &str = "correct horse battery staple";

const PLAN: &str = "# Before the tour\n\nChecks for the Alps.\n\n## The bike\n\n\
- [ ] Oil level #easy\n- [ ] Chain tension and lube #easy\n    - [ ] Slack measured\n    - [ ] Lubed\n\
- [ ] Lights and horn #easy\n";

#[test]
fn a_workshop_day_from_invitation_to_the_riders_map() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let owner = signed_up(dir.path(), &server.url, "owner@moto.test");
    let desk = signed_up(dir.path(), &server.url, "desk@moto.test");
    let rider = signed_up(dir.path(), &server.url, "rider@ridewire.test");
    let db = |p: &std::path::Path| p.to_str().expect("utf-8").to_owned();

    // The rider's bike reaches the server; the owner founds the workshop
    // with a bay and invites the rider, who shares bikes and diagnoses, and
    // the front desk.
    let added = ridewire(&[
        "garage",
        "add",
        "--make",
        "Yamaha",
        "--model",
        "MT-07",
        "--year",
        "2021",
        "--database",
        &db(&rider),
    ]);
    assert!(added.status.success(), "{added:?}");
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let shop = shop_with_rider(&owner, &rider, Some("bikes,diagnoses"));
    let (_, out, _) = workshop(&owner, &["invite", &shop, "--role", "front_desk"]);
    let (code, _, err) = workshop(&desk, &["join", word_after(&out, "front desk: ")]);
    assert_eq!(code, 0, "{err}");
    let (_, customers, _) = workshop(&owner, &["customers", &shop]);
    let customer = word_after(&customers, "customer ")
        .trim_end_matches(':')
        .to_owned();

    // The rider books the first free slot.
    let (bay, start) = free_slot(&rider, &shop, 0);
    let (code, out, err) = workshop(
        &rider,
        &[
            "book",
            &shop,
            "--bay",
            &bay,
            "--start",
            &start,
            "--service",
            "Annual service",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Booked: Annual service"), "{out}");

    // The owner's terminal and the front desk book the next slot for the
    // rider at the same moment: the database lets exactly one have it.
    let (bay, next) = free_slot(&rider, &shop, 0);
    let race: Vec<_> = [&owner, &desk]
        .iter()
        .map(|who| {
            Command::new(env!("CARGO_BIN_EXE_ridewire"))
                .args(["workshop", "book", &shop, "--bay", &bay, "--start", &next])
                .args([
                    "--service",
                    "Tyres",
                    "--for",
                    &customer,
                    "--database",
                    &db(who),
                ])
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start ridewire")
        })
        .collect();
    let codes: Vec<i32> = race
        .into_iter()
        .map(|child| {
            child
                .wait_with_output()
                .expect("ridewire")
                .status
                .code()
                .unwrap_or(-1)
        })
        .collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [0, 1],
        "exactly one terminal gets the slot: {codes:?}"
    );
    let (_, bookings, _) = workshop(&owner, &["bookings", &shop]);
    assert_eq!(bookings.matches(&next).count(), 1, "{bookings}");

    // The rider's diagnosis is escalated; the owner approves it.
    let asked = ridewire(&[
        "diagnose",
        "P0300",
        "P0171",
        "--make",
        "Yamaha",
        "--model",
        "MT-07",
        "--year",
        "2021",
        "--database",
        &db(&rider),
    ]);
    assert!(
        String::from_utf8_lossy(&asked.stdout).contains("ESCALATED"),
        "{asked:?}"
    );
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let (_, queue, _) = workshop(&owner, &["reviews", &shop]);
    let run = word_after(&queue, "run ").to_owned();
    let (code, out, err) = workshop(
        &owner,
        &[
            "review",
            &shop,
            &run,
            "approved",
            "--text",
            "Check the spark plugs and the injectors.",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Approved by The workshop's owner at Moto Müller"),
        "{out}"
    );

    // A plan for the rider's bike.
    let bike = Rider::open(&rider, ridewire_app::clock::now().0)
        .expect("rider")
        .bike
        .clone()
        .expect("the MT-07 is the current bike");
    let plan_file = dir.path().join("tour.md");
    std::fs::write(&plan_file, PLAN).expect("plan file");
    let (code, out, err) = workshop(
        &owner,
        &[
            "send-plan",
            &shop,
            plan_file.to_str().expect("utf-8"),
            "--for",
            &customer,
            "--bike",
            &bike,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Sent \"Before the tour\" (3 quests)"),
        "{out}"
    );
    let (_, plans, _) = workshop(&owner, &["plans", &shop]);
    assert!(plans.contains("“Before the tour”: 0 of 3 done"), "{plans}");

    // The rider's next sync brings both: the approval lights the parts the
    // agents named, and the plan joins their Map.
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let mut me = Rider::open(&rider, ridewire_app::clock::now().0).expect("rider");
    let runs = ridewire_app::diagnosis::of_current_bike(&me, 1).expect("runs");
    let latest = runs.first().expect("the run");
    assert_eq!(latest.id.to_string(), run);
    let review = ridewire_app::diagnosis::review_of(&me, latest.id).expect("the approval");
    let lit = ridewire_app::diagnosis::lit_components(latest, Some(review));
    assert!(!lit.is_empty());
    assert!(lit.iter().any(|c| c == "spark_plugs"), "{lit:?}");
    let offered = ridewire_app::plans::workshop_plan_to_offer(&mut me).expect("plans");
    let id = offered.expect("the workshop's plan goes on the Map");
    let shown = ridewire_app::plans::choose(&mut me, Some(&id))
        .expect("chosen")
        .expect("a plan");
    assert_eq!(shown.title, "Before the tour");
    assert_eq!(shown.from.as_deref(), Some("Moto Müller"));
    assert_eq!(shown.bike.as_deref(), Some(bike.as_str()));
    drop(me);
    // The Map draws it.
    let shot = dir.path().join("map.png");
    let drawn = ridewire(&[
        "--screenshot",
        shot.to_str().expect("utf-8"),
        "--screen",
        "overworld",
        "--database",
        &db(&rider),
    ]);
    assert!(drawn.status.success(), "{drawn:?}");
    let again = Rider::open(&rider, ridewire_app::clock::now().0).expect("rider");
    let current = ridewire_app::plans::current(&again)
        .expect("plans")
        .expect("current");
    assert_eq!(current.title, "Before the tour");
}
