//! Photo proofs between two riders through a real `ridewire-server`: Ana
//! completes a `#photo` task with `ridewire quest photo`, her next sync
//! uploads the picture with the completion, Bo looks at it with the code
//! she gave him (`ridewire vouch CODE --save-photo`) and vouches, and her
//! next sync brings the community bonus.

use std::path::Path;

use ridewire_app::plans;
use ridewire_app::rider::Rider;
use ridewire_engine::event::EventKind;
use ridewire_engine::progress::AwardReason;
use ridewire_offline_store::Store;

use crate::picture::ridewire;
use crate::sync::{start_server, sync};

const PASSWORD: &str = "correct horse battery staple";
const NOW: i64 = 1_800_000_000_000;

/// `ridewire ARGS --database DB`: exit code and everything it printed.
fn run(db: &Path, args: &[&str]) -> (i32, String) {
    let mut all = args.to_vec();
    all.extend(["--database", db.to_str().expect("utf-8")]);
    let out = ridewire(&all);
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_photo_proof_reaches_another_rider_who_vouches_and_the_bonus_comes_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let (ana, bo) = (dir.path().join("ana.db"), dir.path().join("bo.db"));
    let plan = dir.path().join("brakes.md");
    std::fs::write(
        &plan,
        "# Brakes\n\n## Front\n\n- [ ] New front pads #photo #hard\n",
    )
    .expect("plan");
    let quest = {
        let mut rider = Rider::open(&ana, NOW).expect("ana's data");
        plans::open_file(&mut rider, &plan, NOW, 60).expect("plan opens");
        rider
            .catalog
            .quests()
            .find(|q| q.title == "New front pads")
            .expect("quest")
            .id
            .clone()
    };
    for (db, email) in [(&ana, "ana@example.com"), (&bo, "bo@example.com")] {
        let (code, text) = sync(
            db,
            &["--server", &server.url, "--email", email, "--register"],
            Some(PASSWORD),
        );
        assert_eq!(code, 0, "{text}");
    }

    // Ana takes a picture of the work (a PNG here) and completes the task.
    let picture = dir.path().join("pads.png");
    let drawn = ridewire_app::maps::map_of(
        &std::fs::read_to_string(&plan).expect("plan"),
        "brakes.md",
        None,
        0,
    )
    .expect("a map to photograph");
    std::fs::write(
        &picture,
        ridewire_app::maps::render_png(&drawn.map).expect("png"),
    )
    .expect("picture");
    let (code, out) = run(
        &ana,
        &[
            "quest",
            "photo",
            quest.as_str(),
            picture.to_str().expect("utf-8"),
            "--share-time",
        ],
    );
    assert_eq!(code, 0, "{out}");
    // A PNG says nothing of when or where it was taken.
    assert!(
        out.contains("no metadata; time not in the photo, place not in the photo"),
        "{out}"
    );
    assert!(
        out.contains("New front pads: completed with a photo"),
        "{out}"
    );
    let code_at = out.find("ridewire:vouch/").expect("a code to vouch");
    let vouch_code: String = out[code_at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let (code, out) = run(&ana, &["quest", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("vouch code: {vouch_code}")), "{out}");

    // Before Ana syncs, the server does not know the completion.
    let (code, out) = run(&bo, &["vouch", &vouch_code]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("404"), "{out}");

    let (code, text) = sync(&ana, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let xp_before = Rider::open(&ana, NOW).expect("ana").progress().xp();

    // Bo sees the very picture Ana's device kept, then vouches.
    let seen = dir.path().join("seen.jpg");
    let (code, out) = run(
        &bo,
        &[
            "vouch",
            &vouch_code,
            "--save-photo",
            seen.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("Quest {quest} completed")), "{out}");
    assert!(out.contains("Nobody has vouched for it yet."), "{out}");
    assert!(
        out.contains("To vouch for it, run this again with --yes."),
        "{out}"
    );
    let kept_by_ana = {
        let store = Store::open(&ana, NOW).expect("ana's store").store;
        let sha = store
            .events()
            .expect("events")
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::PhotoSubmitted { photo, .. } => Some(photo.sha256.clone()),
                _ => None,
            })
            .expect("a photo event");
        assert!(
            store.photos_to_upload().expect("photos").is_empty(),
            "uploaded with the sync"
        );
        store.photo(&sha).expect("read").expect("kept")
    };
    assert_eq!(std::fs::read(&seen).expect("saved photo"), kept_by_ana);
    let (code, out) = run(&bo, &["vouch", &vouch_code, "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Vouched for"), "{out}");
    let (code, out) = run(&bo, &["vouch", &vouch_code, "--yes"]);
    assert_eq!(code, 1, "vouching twice: {out}");
    assert!(out.contains("already"), "{out}");
    // Ana cannot vouch for herself.
    let (code, out) = run(&ana, &["vouch", &vouch_code, "--yes"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cannot vouch for their own completion"),
        "{out}"
    );

    // Her next sync brings the validation and its bonus.
    let (code, text) = sync(&ana, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let rider = Rider::open(&ana, NOW).expect("ana");
    assert!(
        rider.progress().xp() > xp_before,
        "{} vs {xp_before}",
        rider.progress().xp()
    );
    assert!(rider.progress().awards().iter().any(|a| matches!(
        &a.reason,
        AwardReason::CommunityValidation { quest: q } if *q == quest
    )));
    assert_eq!(
        rider.progress().quest(&quest).map(|r| r.validators.len()),
        Some(1)
    );
}

/// The checked-in picture of a `#photo` quest's panel on the Map.
const PANEL_GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/photo-panel-1280x720.png"
);

#[test]
fn a_photo_quests_panel_offers_a_file_and_the_camera() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("brakes.md");
    std::fs::write(
        &plan,
        "# Brakes\n\n- [ ] New front pads #photo\n    - [ ] Fit the pads\n- [ ] Bleed the brakes\n",
    )
    .expect("plan");
    let shot = dir.path().join("panel.png");
    let db = dir.path().join("rider.db");
    let out = ridewire(&[
        "--database",
        db.to_str().expect("utf-8"),
        "--plan",
        plan.to_str().expect("utf-8"),
        "--screenshot",
        shot.to_str().expect("utf-8"),
        "--open-node",
        "1",
        "--size",
        "1280x720",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let picture = crate::picture::Picture::load(&shot);
    // The panel stands on the right, over the map: the window's fill
    // (theme::PANEL, also the small cards on the left) reaches the right
    // edge and covers a large block.
    let panel = picture
        .find([0x1f, 0x23, 0x2b], 2)
        .expect("no panel in the picture");
    assert!(panel.x1 > 1200 && panel.count > 40_000, "{panel:?}");
    crate::picture::assert_matches_golden(&shot, PANEL_GOLDEN);
}

/// The checked-in picture of the scanner opened to take a photo.
const SHUTTER_GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/photo-shutter-1280x720.png"
);

#[test]
fn the_scanner_opens_with_a_shutter_bar_for_a_photo_quest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("rider.db");
    let plan = dir.path().join("brakes.md");
    std::fs::write(
        &plan,
        "# Brakes\n\n## Front\n\n- [ ] New front pads #photo\n- [ ] Bleed the brakes\n",
    )
    .expect("plan");
    let (pads, bleed) = {
        let mut rider = Rider::open(&db, NOW).expect("rider");
        plans::open_file(&mut rider, &plan, NOW, 60).expect("plan opens");
        let id = |title: &str| {
            rider
                .catalog
                .quests()
                .find(|q| q.title == title)
                .expect("quest")
                .id
                .to_string()
        };
        (id("New front pads"), id("Bleed the brakes"))
    };
    // A quest that takes no photo, or none at all, is refused up front.
    let (code, out) = run(&db, &["--photo-for", &bleed, "--screenshot", "x.png"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("quest {bleed} takes no photo")),
        "{out}"
    );
    let (code, out) = run(
        &db,
        &["--photo-for", "no-such-quest", "--screenshot", "x.png"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--photo-for: quest no-such-quest:"), "{out}");

    let shot = dir.path().join("shutter.png");
    let (code, out) = run(
        &db,
        &[
            "--photo-for",
            &pads,
            "--camera",
            "demo",
            "--screenshot",
            shot.to_str().expect("utf-8"),
            "--size",
            "1280x720",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let picture = crate::picture::Picture::load(&shot);
    // The shutter bar: a card framed in the accent colour near the bottom
    // middle, over the camera image.
    let accent = ridewire_client::theme::ACCENT;
    let frame = picture
        .find_in_rows([accent.r(), accent.g(), accent.b()], 2, 560, 719)
        .expect("no shutter bar in the picture");
    assert!(
        frame.y1 > 600 && frame.x0 > 100 && frame.x1 < 1180,
        "{frame:?}"
    );
    crate::picture::assert_matches_golden(&shot, SHUTTER_GOLDEN);
}
