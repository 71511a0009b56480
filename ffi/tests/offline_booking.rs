//! A phone without signal books all the same: the booking is queued in the
//! rider's data and `send_queued_bookings` sends it once the workshop can
//! be reached — confirmed, and still one booking. Through the real library
//! against a real `ridewire-server` on loopback, stopped and started again.

// Test helpers panic on broken fixtures; that is the point of a test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use ridewire_app::workshops::ask_once;
use ridewire_engine::sync::workshops::{NewBay, Role, WorkshopAnswer, WorkshopCall};
use ridewire_ffi::RideWire;

const PASSWORD: &str = "correct horse battery staple";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ridewire-server` on `listen` over `dir`'s database: it and its address.
fn serve(dir: &Path, listen: &str) -> Option<(Server, String)> {
    let exe = std::env::current_exe().ok()?;
    let bin: PathBuf = exe.parent()?.parent()?.join("ridewire-server");
    if !bin.is_file() {
        assert!(
            std::env::var("RIDEWIRE_REQUIRE_SERVER").as_deref() != Ok("1"),
            "RIDEWIRE_REQUIRE_SERVER=1 but ridewire-server is not built"
        );
        eprintln!("skipping: ridewire-server is not built (cargo build -p ridewire-server)");
        return None;
    }
    let mut child = Command::new(bin)
        .args(["--listen", listen, "--database"])
        .arg(format!("sqlite://{}", dir.join("server.db").display()))
        .env("RIDEWIRE_ARGON2_MEMORY_KIB", "64")
        .env_remove("RIDEWIRE_AGENTS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ridewire-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Some((Server(child), addr))
}

fn ask(db: &Path, call: WorkshopCall) -> WorkshopAnswer {
    ask_once(db, call).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_booking_made_offline_is_queued_and_confirmed_when_the_workshop_is_back() {
    // The host's side: the library's async calls on a runtime, its
    // blocking ones (and the app layer's) outside it.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((server, addr)) = serve(dir.path(), "127.0.0.1:0") else {
        return;
    };
    let url = format!("http://{addr}");

    // The workshop, through the app layer: founded, a bay, a code.
    let owner = dir.path().join("owner.db");
    ridewire_app::account::sync_once_now(
        &owner,
        Some(&url),
        Some("owner@moto.test"),
        Some(PASSWORD.into()),
        true,
    )
    .expect("owner signs up");
    let WorkshopAnswer::Membership(shop) = ask(
        &owner,
        WorkshopCall::Found {
            name: "Moto Müller".into(),
        },
    ) else {
        panic!("no workshop");
    };
    let bay = NewBay {
        name: "Lift 1".into(),
        opens_min: 0,
        closes_min: 1440,
        days: vec![1, 2, 3, 4, 5, 6, 7],
        slot_minutes: 60,
        utc_offset_min: 0,
    };
    ask(
        &owner,
        WorkshopCall::AddBay {
            workshop: shop.workshop,
            bay,
        },
    );
    let WorkshopAnswer::Invitation(code) = ask(
        &owner,
        WorkshopCall::Invite {
            workshop: shop.workshop,
            role: Role::Customer,
        },
    ) else {
        panic!("no code");
    };

    // The rider's phone joins and looks at the free slots.
    let phone_dir = dir.path().join("phone");
    std::fs::create_dir_all(&phone_dir).expect("phone folder");
    let phone = RideWire::open(phone_dir.display().to_string()).expect("open");
    phone
        .sign_in(url.clone(), "rider@moto.test".into(), PASSWORD.into(), true)
        .expect("rider signs up");
    rt.block_on(phone.join_workshop(code.code, Vec::new()))
        .expect("join");
    let id = shop.workshop.to_string();
    let slots = rt
        .block_on(phone.workshop_slots(id.clone(), 2))
        .expect("slots");
    let slot = slots[1].clone();

    // No signal: the booking is queued, not lost.
    drop(server);
    let attempt = rt
        .block_on(phone.book_slot(
            id.clone(),
            slot.bay.clone(),
            slot.start_ms,
            "Tyres".into(),
            String::new(),
        ))
        .expect("queued, not an error");
    assert!(attempt.queued, "{attempt:?}");
    assert!(attempt.booked.is_none());
    let still = rt.block_on(phone.send_queued_bookings()).expect("tried");
    assert_eq!(still.len(), 1);
    assert_eq!(still[0].outcome, "waiting", "{still:?}");

    // Signal again: sent, confirmed, and only once.
    let Some((_server, _)) = serve(dir.path(), &addr) else {
        return;
    };
    let sent = rt.block_on(phone.send_queued_bookings()).expect("sent");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].outcome, "confirmed", "{sent:?}");
    assert!(
        sent[0]
            .words
            .starts_with("Queued booking confirmed: Tyres at "),
        "{sent:?}"
    );
    let booked = sent[0].booked.clone().expect("the booking");
    assert_eq!(
        (booked.start_ms, booked.service.as_str()),
        (slot.start_ms, "Tyres")
    );
    let again = rt.block_on(phone.send_queued_bookings()).expect("nothing");
    assert!(again.is_empty(), "{again:?}");
    let mine = rt.block_on(phone.my_bookings(id, 2)).expect("bookings");
    assert_eq!(mine.len(), 1, "{mine:?}");
    phone.shutdown();
}
