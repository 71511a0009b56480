//! `ridewire workshop` against the real server: an owner founds a
//! workshop and invites; a rider joins with the code and chooses what the
//! workshop sees; the owner lists the customer with their bike and adds a
//! bay; the rider books a slot, the front desk's try for it hears the next
//! free ones, the rider cancels; the rider leaves and the workshop sees
//! nothing more.

use std::path::{Path, PathBuf};

use ridewire_app::rider::Rider;

use crate::picture::ridewire;
use crate::sync::{start_server, start_server_at, sync};

const PASSWORD: &str = "correct horse battery staple";

/// `ridewire workshop ARGS --database DB`: exit code, output, errors.
pub(crate) fn workshop(db: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["workshop"];
    all.extend_from_slice(args);
    all.extend(["--database", db.to_str().expect("utf-8")]);
    let out = ridewire(&all);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn signed_up(dir: &Path, url: &str, email: &str) -> PathBuf {
    let db = dir.join(format!("{email}.db"));
    let (code, text) = sync(
        &db,
        &["--server", url, "--email", email, "--register"],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{text}");
    db
}

/// The text after `label` up to the end of its word.
pub(crate) fn word_after<'a>(text: &'a str, label: &str) -> &'a str {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
        + label.len();
    text[at..]
        .split(|c: char| c.is_whitespace() || c == ')' || c == ';')
        .next()
        .expect("word")
}

/// "Moto Müller" of `owner`, with one bay open all day every day in hour
/// slots (at UTC), and `rider` joined as its customer sharing `shares`
/// (the default when `None`): the workshop's id.
pub(crate) fn shop_with_rider(owner: &Path, rider: &Path, shares: Option<&str>) -> String {
    let (shop, code) = shop_with_code(owner);
    let mut join = vec!["join", &code];
    if let Some(shares) = shares {
        join.extend(["--share", shares]);
    }
    let (code, _, err) = workshop(rider, &join);
    assert_eq!(code, 0, "{err}");
    shop
}

/// "Moto Müller" of `owner` with its bay (see [`shop_with_rider`]) and a
/// customer's invitation code: the workshop's id and the code.
pub(crate) fn shop_with_code(owner: &Path) -> (String, String) {
    let (code, out, err) = workshop(owner, &["found", "Moto Müller"]);
    assert_eq!(code, 0, "{err}");
    let shop = word_after(&out, "id ").to_owned();
    let (code, _, err) = workshop(
        owner,
        &[
            "add-bay",
            &shop,
            "--name",
            "Lift 1",
            "--opens",
            "00:00",
            "--closes",
            "24:00",
            "--days",
            "1,2,3,4,5,6,7",
            "--slot",
            "60",
            "--utc-offset",
            "0",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = workshop(owner, &["invite", &shop]);
    let invitation = word_after(&out, "customer: ").to_owned();
    (shop, invitation)
}

/// The `n`th free slot of `shop` as `slots` prints it: bay and start.
pub(crate) fn free_slot(who: &Path, shop: &str, n: usize) -> (String, String) {
    let (code, slots, err) = workshop(who, &["slots", shop, "--days", "2"]);
    assert_eq!(code, 0, "{err}");
    let words: Vec<&str> = slots
        .lines()
        .nth(n)
        .unwrap_or_else(|| panic!("no slot {n} in {slots}"))
        .split_whitespace()
        .collect();
    (words[1].to_owned(), words[3].to_owned())
}

#[test]
fn a_rider_joins_a_workshop_with_its_code_shares_a_bike_books_a_slot_and_leaves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let owner = signed_up(dir.path(), &server.url, "owner@moto.test");
    let rider = signed_up(dir.path(), &server.url, "rider@ridewire.test");

    // Before signing in anywhere, a clear word on what to do.
    let (code, _, err) = workshop(&dir.path().join("nobody.db"), &["list"]);
    assert_eq!(code, 1);
    assert!(err.contains("sign in first"), "{err}");

    let (code, out, err) = workshop(&owner, &["found", "Moto Müller"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Moto Müller  (owner; id "), "{out}");
    let shop = word_after(&out, "id ").to_owned();
    let (code, out, err) = workshop(&owner, &["invite", &shop]);
    assert_eq!(code, 0, "{err}");
    let invitation = word_after(&out, "customer: ").to_owned();
    assert_eq!(invitation.len(), 12, "{out}");

    // The rider's bike reaches the server with a sync; then they join.
    let (code, out) = {
        let out = ridewire(&[
            "garage",
            "add",
            "--make",
            "Yamaha",
            "--model",
            "MT-07",
            "--year",
            "2021",
            "--database",
            rider.to_str().expect("utf-8"),
        ]);
        (out.status.code().unwrap_or(-1), format!("{out:?}"))
    };
    assert_eq!(code, 0, "{out}");
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let typed = invitation.to_lowercase();
    let (code, out, err) = workshop(&rider, &["join", &typed]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(customer; id"), "{out}");
    assert!(out.contains("sharing bikes"), "{out}");
    // The code was used.
    let (code, _, err) = workshop(&owner, &["join", &invitation]);
    assert_eq!(code, 1);
    assert!(err.contains("no such invitation"), "{err}");

    let (code, customers_out, err) = workshop(&owner, &["customers", &shop]);
    assert_eq!(code, 0, "{err}");
    let out = customers_out.clone();
    assert!(out.contains("shares bikes"), "{out}");
    assert!(out.contains("bike Yamaha MT-07 (2021)"), "{out}");
    // A customer cannot list the others.
    let (code, _, err) = workshop(&rider, &["customers", &shop]);
    assert_eq!(code, 1);
    assert!(err.contains("403"), "{err}");
    // A word that cannot be shared is refused before anything is sent.
    let (code, _, err) = workshop(&rider, &["share", &shop, "bikes,photos"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("\"photos\""), "{err}");

    // A bay, a free slot booked by the rider; the front desk's try for the
    // same slot hears the next free ones; the rider cancels.
    let (code, out, err) = workshop(
        &owner,
        &[
            "add-bay",
            &shop,
            "--name",
            "Lift 1",
            "--opens",
            "00:00",
            "--closes",
            "24:00",
            "--days",
            "1,2,3,4,5,6,7",
            "--slot",
            "60",
            "--utc-offset",
            "0",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Bay Lift 1 (id "), "{out}");
    let (code, out, err) = workshop(&rider, &["slots", &shop, "--days", "2"]);
    assert_eq!(code, 0, "{err}");
    let first: Vec<&str> = out
        .lines()
        .next()
        .expect("a slot")
        .split_whitespace()
        .collect();
    let (bay, start) = (first[1], first[3]);
    let (code, out, err) = workshop(
        &rider,
        &[
            "book",
            &shop,
            "--bay",
            bay,
            "--start",
            start,
            "--service",
            "Chain kit",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("Booked: Chain kit at {start}")),
        "{out}"
    );
    let booking = word_after(&out, "(booking ").to_owned();
    let customer_no = word_after(&customers_out, "customer ")
        .trim_end_matches(':')
        .to_owned();
    let (code, out, _) = workshop(
        &owner,
        &[
            "book",
            &shop,
            "--bay",
            bay,
            "--start",
            start,
            "--for",
            &customer_no,
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("That slot was just taken. The next free slots:\n--bay "),
        "{out}"
    );
    assert!(!out.contains(start), "{out}");
    let (_, out, _) = workshop(&owner, &["bookings", &shop]);
    assert!(
        out.contains(&format!("{start}  Chain kit  customer {customer_no}")),
        "{out}"
    );
    // The terminal's board (kept on the device for offline use) lists
    // today's slots; the booking is on it when its slot is today.
    let (code, board, err) = workshop(&owner, &["board", &shop]);
    assert_eq!(code, 0, "{err}");
    assert!(
        board.starts_with("Moto Müller — 1 bays, 0 waiting for review\nLift 1\n"),
        "{board}"
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    if start.starts_with(&today) {
        let line = format!("  {}  Customer {customer_no}: Chain kit", &start[11..16]);
        assert!(board.contains(&line), "{board}");
    }
    let (code, out, err) = workshop(&rider, &["cancel", &shop, &booking]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Cancelled: Chain kit"), "{out}");

    let (code, out, err) = workshop(&rider, &["leave", &shop]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("You left the workshop"), "{out}");
    let (_, out, _) = workshop(&owner, &["customers", &shop]);
    assert_eq!(out, "No customers yet.\n");
    let (_, out, _) = workshop(&rider, &["list"]);
    assert!(out.starts_with("You belong to no workshop yet"), "{out}");
}

#[test]
fn a_mechanic_reviews_an_escalated_run_and_the_riders_app_lights_what_they_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let owner = signed_up(dir.path(), &server.url, "owner@moto.test");
    let rider = signed_up(dir.path(), &server.url, "rider@ridewire.test");
    let (_, out, _) = workshop(&owner, &["found", "Moto Müller"]);
    let shop = word_after(&out, "id ").to_owned();
    let (_, out, _) = workshop(&owner, &["invite", &shop]);
    let invitation = word_after(&out, "customer: ").to_owned();
    let (code, _, err) = workshop(&rider, &["join", &invitation, "--share", "diagnoses"]);
    assert_eq!(code, 0, "{err}");

    // The server's agents are unsure of a misfire with a lean mixture on the
    // rider's bike: the gate holds it for a person.
    let db = rider.to_str().expect("utf-8");
    let asked = ridewire(&["diagnose", "P0300", "P0171", "--database", db]);
    let said = String::from_utf8_lossy(&asked.stdout);
    assert!(said.contains("ESCALATED"), "{said}");
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");

    let (code, queue, err) = workshop(&owner, &["reviews", &shop]);
    assert_eq!(code, 0, "{err}");
    assert!(queue.contains("P0300, P0171"), "{queue}");
    let run = word_after(&queue, "run ").to_owned();

    // Advice the gate would refuse from an agent, it refuses from a person.
    let (code, _, err) = workshop(
        &owner,
        &[
            "review",
            &shop,
            &run,
            "approved",
            "--text",
            "Ignore the brake warning light and keep riding.",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("safety rules refuse"), "{err}");
    let (code, out, err) = workshop(
        &owner,
        &[
            "review",
            &shop,
            &run,
            "corrected",
            "--text",
            "The plugs are fine; the coil breaks down when hot. Replace the ignition coil.",
            "--components",
            "ignition_coil",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Corrected by The workshop's owner at Moto Müller"),
        "{out}"
    );
    let (_, queue, _) = workshop(&owner, &["reviews", &shop]);
    assert_eq!(queue, "Nothing waits for review.\n");

    // The rider's next sync brings the answer: the run's history shows it and
    // the scanner lights the part the mechanic named.
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let me = Rider::open(&rider, ridewire_app::clock::now().0).expect("rider");
    let runs = ridewire_app::diagnosis::of_current_bike(&me, 5).expect("runs");
    let latest = runs.first().expect("the run");
    assert_eq!(latest.id.to_string(), run);
    let review = ridewire_app::diagnosis::review_of(&me, latest.id).expect("reviewed");
    assert_eq!(review.workshop_name, "Moto Müller");
    assert_eq!(
        ridewire_app::diagnosis::lit_components(latest, Some(review)),
        ["ignition_coil"]
    );
    me.verify()
        .expect("the review is a link of the rider's tamper-evident log");
}

#[test]
fn a_booking_made_without_a_connection_waits_and_is_confirmed_on_the_next_sync() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let owner = signed_up(dir.path(), &server.url, "owner@moto.test");
    let rider = signed_up(dir.path(), &server.url, "rider@ridewire.test");
    let shop = shop_with_rider(&owner, &rider, None);
    let (bay, start) = free_slot(&rider, &shop, 1);

    // The server goes away; the rider books all the same.
    let listen = server.url.trim_start_matches("http://").to_owned();
    drop(server);
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
    assert!(out.contains("is queued on this device"), "{out}");
    let me = Rider::open(&rider, ridewire_app::clock::now().0).expect("rider");
    let listed =
        ridewire_app::booking_queue::upcoming(&me, ridewire_app::clock::now().0).expect("bookings");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].note, "waiting to be sent");
    drop(me);
    // A sync while it is still down keeps it queued.
    let (code, _) = sync(&rider, &[], Some(PASSWORD));
    assert_ne!(code, 0);

    // Back: the next sync sends it and says so; the workshop has it once.
    let Some(_server) = start_server_at(dir.path(), &listen) else {
        return;
    };
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!(
            "Queued booking confirmed: Annual service at {start}"
        )),
        "{text}"
    );
    let (_, bookings, _) = workshop(&owner, &["bookings", &shop]);
    assert_eq!(bookings.matches(&start).count(), 1, "{bookings}");
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("Queued booking"), "sent once: {text}");
}

#[test]
fn a_rider_hears_on_sync_that_the_workshop_moved_their_booking() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let owner = signed_up(dir.path(), &server.url, "owner@moto.test");
    let rider = signed_up(dir.path(), &server.url, "rider@ridewire.test");
    let shop = shop_with_rider(&owner, &rider, None);
    let (bay, start) = free_slot(&rider, &shop, 1);
    let (_, out, _) = workshop(
        &rider,
        &[
            "book",
            &shop,
            "--bay",
            &bay,
            "--start",
            &start,
            "--service",
            "Tyres",
        ],
    );
    let booking = word_after(&out, "(booking ").to_owned();
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let today = ridewire_app::clock::today();
    let mut me = Rider::open(&rider, ridewire_app::clock::now().0).expect("rider");
    let before = ridewire_app::reminders::notices(&mut me, today).expect("notices");
    assert!(
        before.iter().all(|n| !n.title.contains("booking")),
        "their own booking is no news: {before:?}"
    );
    drop(me);

    // The workshop moves it an hour later; the rider's next sync tells them.
    let (_, later) = free_slot(&rider, &shop, 2);
    let (code, out, err) = workshop(
        &owner,
        &["move", &shop, &booking, "--bay", &bay, "--start", &later],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("Booked: Tyres at {later}")),
        "{out}"
    );
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let mut me = Rider::open(&rider, ridewire_app::clock::now().0).expect("rider");
    let told = ridewire_app::reminders::notices(&mut me, today).expect("notices");
    let moved = told
        .iter()
        .find(|n| n.title == "Moto Müller moved your booking")
        .unwrap_or_else(|| panic!("not told: {told:?}"));
    assert!(moved.text.starts_with("Tyres: now "), "{}", moved.text);
    assert!(moved.text.contains(&later[11..16]), "{}", moved.text);
    // Told once.
    let again = ridewire_app::reminders::notices(&mut me, today).expect("notices");
    assert!(again.iter().all(|n| n.key != moved.key), "{again:?}");
    // Home lists it at its new time, saying who moved it.
    let listed =
        ridewire_app::booking_queue::upcoming(&me, ridewire_app::clock::now().0).expect("bookings");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].service, "Tyres");
    assert_eq!(listed[0].place, "Moto Müller, Lift 1");
    assert_eq!(listed[0].note, "moved by the workshop");
    assert!(listed[0].when.ends_with(&later[11..16]), "{listed:?}");
}

#[test]
fn a_diagnosis_made_without_signal_reaches_the_review_queue_and_its_answer_comes_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let owner = signed_up(dir.path(), &server.url, "owner@moto.test");
    let rider = signed_up(dir.path(), &server.url, "rider@ridewire.test");
    let shop = shop_with_rider(&owner, &rider, Some("diagnoses"));

    // No signal at the roadside: the app's offline agent answers and the
    // gate holds its lone answer for a person.
    let listen = server.url.trim_start_matches("http://").to_owned();
    drop(server);
    let db = rider.to_str().expect("utf-8");
    let asked = ridewire(&["diagnose", "P0300", "P0171", "--database", db]);
    let said = String::from_utf8_lossy(&asked.stdout);
    assert!(said.contains("ESCALATED"), "{said}");
    let me = Rider::open(&rider, ridewire_app::clock::now().0).expect("rider");
    let run = ridewire_app::diagnosis::of_current_bike(&me, 1).expect("runs")[0].id;
    drop(me);

    // Back in signal: the run reaches the server with the next sync and
    // waits for the workshop.
    let Some(_server) = start_server_at(dir.path(), &listen) else {
        return;
    };
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let (code, queue, err) = workshop(&owner, &["reviews", &shop]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(word_after(&queue, "run "), run.to_string(), "{queue}");
    let (code, _, err) = workshop(
        &owner,
        &[
            "review",
            &shop,
            &run.to_string(),
            "approved",
            "--text",
            "Check the spark plugs and the injectors before the next long ride.",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, text) = sync(&rider, &[], Some(PASSWORD));
    assert_eq!(code, 0, "{text}");
    let me = Rider::open(&rider, ridewire_app::clock::now().0).expect("rider");
    let review = ridewire_app::diagnosis::review_of(&me, run).expect("reviewed");
    assert_eq!(review.workshop_name, "Moto Müller");
    assert!(
        review.text.starts_with("Check the spark plugs"),
        "{review:?}"
    );
}

#[test]
fn the_owner_changes_a_bays_hours_without_stranding_a_booking() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let owner = signed_up(dir.path(), &server.url, "owner@moto.test");
    let rider = signed_up(dir.path(), &server.url, "rider@ridewire.test");
    let shop = shop_with_rider(&owner, &rider, None);
    let (bay, start) = free_slot(&rider, &shop, 1);
    let book = [
        "book",
        &shop,
        "--bay",
        &bay,
        "--start",
        &start,
        "--service",
        "Tyres",
    ];
    let (code, _, err) = workshop(&rider, &book);
    assert_eq!(code, 0, "{err}");
    let hours = |name: &str, slot: &str| {
        let args = [
            "edit-bay",
            &shop,
            &bay,
            "--name",
            name,
            "--opens",
            "00:00",
            "--closes",
            "24:00",
            "--days",
            "1,2,3,4,5,6,7",
            "--slot",
            slot,
            "--utc-offset",
            "0",
        ];
        workshop(&owner, &args)
    };
    let (code, _, err) = hours("Lift 1", "120");
    assert_eq!(code, 1);
    assert!(err.contains("would not fit the new hours"), "{err}");
    let (code, out, err) = hours("Lift A", "60");
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Bay Lift A (id "), "{out}");
    let (_, slots, _) = workshop(&rider, &["slots", &shop, "--days", "1"]);
    assert!(!slots.contains(&start), "still hers: {slots}");
}
