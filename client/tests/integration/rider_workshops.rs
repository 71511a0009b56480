//! The rider's Workshops screen against the real server (issue 15),
//! driven as the screen drives it: the rider joins with the workshop's
//! code, books a free slot, cancels it, books again without a connection
//! (queued on the device, sent after the next sync round that works,
//! booked once), and leaves.

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use ridewire_app::booking_queue;
use ridewire_client::player::{Clock, DataSource, Player};
use ridewire_client::screens::Screen;
use ridewire_client::shared::SyncLink;
use ridewire_client::workshops::{Workshops, WorkshopsAsk, add_workshops};

use crate::sync::{start_server, start_server_at, update_until};
use crate::workshop::{shop_with_code, signed_up, workshop as cli};

fn rider_app(db: &std::path::Path) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .insert_resource(DataSource::Database(db.to_owned()))
        .insert_resource(Clock::System)
        .insert_state(Screen::Home);
    ridewire_client::headless_features(&mut app);
    add_workshops(&mut app);
    app
}

/// Asks `ask` of the screen and waits for what it says.
fn ask(app: &mut App, ask: WorkshopsAsk) -> Result<String, String> {
    app.world_mut().resource_mut::<Workshops>().message = None;
    app.world_mut().write_message(ask);
    update_until(app, "the screen's answer", |w| {
        let s = w.resource::<Workshops>();
        !s.busy() && s.message.is_some()
    });
    app.world()
        .resource::<Workshops>()
        .message
        .clone()
        .expect("a message")
}

fn fetched(app: &mut App, what: &str, done: impl Fn(&Workshops) -> bool) {
    update_until(app, what, |w| {
        let s = w.resource::<Workshops>();
        !s.fetching() && done(s)
    });
}

/// Chooses the `n`th free slot of the rider's one workshop and a service.
fn choose_slot(app: &mut App, n: usize, service: &str) -> (uuid::Uuid, i64) {
    let now = ridewire_app::clock::now().0;
    let mut state = app.world_mut().resource_mut::<Workshops>();
    let visit = state.mine.as_ref().expect("fetched").visits[0].clone();
    let slot = visit.free_by_day(now)[0].1[n];
    let workshop = visit.workshop.workshop;
    state.form.slot = Some((workshop, slot));
    state.form.service = Some(service.to_owned());
    state.form.notes = "Rear tyre worn".to_owned();
    (workshop, slot.start_ms)
}

#[test]
fn a_rider_joins_books_cancels_books_offline_and_leaves_on_the_workshops_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let owner = signed_up(dir.path(), &server.url, "owner@moto.test");
    let rider = signed_up(dir.path(), &server.url, "rider@ridewire.test");
    let (shop, code) = shop_with_code(&owner);

    let mut app = rider_app(&rider);
    update_until(&mut app, "the rider's syncer", |w| {
        w.get_resource::<Player>().is_some() && w.resource::<SyncLink>().syncer().is_some()
    });
    app.world_mut()
        .resource_mut::<NextState<Screen>>()
        .set(Screen::Workshops);
    fetched(&mut app, "no workshops yet", |s| s.mine.is_some());

    // A code that is not one is refused, and nothing is joined.
    app.world_mut().resource_mut::<Workshops>().form.code = "NOT-A-CODE".into();
    let said = ask(&mut app, WorkshopsAsk::Join);
    assert!(said.is_err(), "{said:?}");

    {
        let mut state = app.world_mut().resource_mut::<Workshops>();
        state.form.code = code;
        state.form.share_bikes = true;
    }
    let said = ask(&mut app, WorkshopsAsk::Join);
    assert_eq!(
        said,
        Ok("You joined Moto Müller as a customer, sharing bikes.".into())
    );
    fetched(&mut app, "the workshop's free slots", |s| {
        s.mine
            .as_ref()
            .is_some_and(|m| m.visits.len() == 1 && !m.visits[0].free.is_empty())
    });

    // Without a service nothing is sent.
    choose_slot(&mut app, 1, "Tyres");
    app.world_mut().resource_mut::<Workshops>().form.service = None;
    let said = ask(
        &mut app,
        WorkshopsAsk::Book {
            workshop: shop.parse().expect("id"),
        },
    );
    assert_eq!(said, Err("Choose what is to be done.".into()));

    let (workshop, start) = choose_slot(&mut app, 1, "Tyres");
    let said = ask(&mut app, WorkshopsAsk::Book { workshop });
    assert!(
        matches!(&said, Ok(t) if t.starts_with("Booked: Tyres on ")),
        "{said:?}"
    );
    let booking = {
        let state = app.world().resource::<Workshops>();
        let visit = &state.mine.as_ref().expect("mine").visits[0];
        let live = visit.live_bookings(ridewire_app::clock::now().0);
        assert_eq!(live.len(), 1, "{live:?}");
        assert_eq!(live[0].start_ms, start);
        assert_eq!(live[0].notes, "Rear tyre worn");
        assert!(
            !visit.free.iter().any(|s| s.start_ms == start),
            "the slot is no longer offered"
        );
        live[0].id
    };
    let (_, bookings, _) = cli(&owner, &["bookings", &shop]);
    assert!(bookings.contains("Tyres"), "{bookings}");

    let said = ask(&mut app, WorkshopsAsk::Cancel { workshop, booking });
    assert!(
        matches!(&said, Ok(t) if t.starts_with("Cancelled: Tyres")),
        "{said:?}"
    );
    fetched(&mut app, "no live booking", |s| {
        s.mine.as_ref().is_some_and(|m| {
            m.visits[0]
                .live_bookings(ridewire_app::clock::now().0)
                .is_empty()
        })
    });

    // No connection: the booking is queued on the device.
    let listen = server.url.trim_start_matches("http://").to_owned();
    drop(server);
    let (_, start) = choose_slot(&mut app, 2, "Brakes");
    let said = ask(&mut app, WorkshopsAsk::Book { workshop });
    assert!(
        matches!(&said, Ok(t) if t.contains("is queued on this device")),
        "{said:?}"
    );
    let queued = booking_queue::queued(app.world().resource::<Player>());
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].booking.start_ms, start);

    // Back: the next round that works sends it.
    let Some(_server) = start_server_at(dir.path(), &listen) else {
        return;
    };
    app.world().resource::<SyncLink>().sync_now();
    update_until(&mut app, "the queue sent", |w| {
        booking_queue::queued(w.resource::<Player>()).is_empty()
    });
    update_until(&mut app, "the queue's answer", |w| {
        w.resource::<Workshops>().message.is_some()
    });
    let said = app.world().resource::<Workshops>().message.clone();
    assert!(
        matches!(&said, Some(Ok(t)) if t.starts_with("Queued booking confirmed: Brakes")),
        "{said:?}"
    );
    let (_, bookings, _) = cli(&owner, &["bookings", &shop]);
    assert_eq!(bookings.matches("Brakes").count(), 1, "{bookings}");

    let (_, customers, _) = cli(&owner, &["customers", &shop]);
    assert!(customers.contains("shares bikes"), "{customers}");

    // Leaving: the workshop is gone from the screen, and its list.
    let said = ask(&mut app, WorkshopsAsk::Leave { workshop });
    assert_eq!(
        said,
        Ok("You left Moto Müller: it sees nothing of yours any more.".into())
    );
    fetched(&mut app, "no workshops", |s| {
        s.mine.as_ref().is_some_and(|m| m.memberships.is_empty())
    });
    let (_, customers, _) = cli(&owner, &["customers", &shop]);
    assert_eq!(customers, "No customers yet.\n");
}
