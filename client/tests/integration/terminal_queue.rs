//! The workshop terminal without a connection (issue 15): the front desk
//! books two slots while the server is down; both are queued on the
//! terminal and held on its Board; meanwhile a rider takes one of the two
//! slots from their phone; when the server is back, the terminal's next
//! fetch sends the queue — one booking confirmed, the other refused with
//! the next free slots — and nothing is booked twice.

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use ridewire_app::booking_queue;
use ridewire_client::player::{Clock, DataSource, Player};
use ridewire_client::screens::Screen;
use ridewire_client::workshop::{Terminal, TerminalAsk, add_terminal};
use ridewire_engine::sync::workshops::{NewBooking, WorkshopCall};

use crate::sync::{start_server, start_server_at, update_until};
use crate::workshop::{free_slot, shop_with_rider, signed_up, workshop};

fn terminal_app(db: &std::path::Path) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .insert_resource(DataSource::Database(db.to_owned()))
        .insert_resource(Clock::System)
        .insert_state(Screen::Board);
    ridewire_client::headless_features(&mut app);
    add_terminal(&mut app);
    app
}

fn book(app: &mut App, shop: uuid::Uuid, bay: uuid::Uuid, start_ms: i64, customer: i64) {
    app.world_mut()
        .write_message(TerminalAsk(WorkshopCall::Book {
            workshop: shop,
            booking: NewBooking {
                bay,
                start_ms,
                service: "Tyres".into(),
                bike: None,
                notes: String::new(),
                customer: Some(customer),
                id: Some(uuid::Uuid::now_v7()),
            },
        }));
}

fn millis(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("a time")
        .timestamp_millis()
}

#[test]
fn bookings_made_on_an_offline_terminal_are_queued_and_answered_when_the_server_is_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let owner = signed_up(dir.path(), &server.url, "owner@moto.test");
    let rider = signed_up(dir.path(), &server.url, "rider@ridewire.test");
    let shop = shop_with_rider(&owner, &rider, None);
    let (bay, first) = free_slot(&owner, &shop, 2);
    let (_, second) = free_slot(&owner, &shop, 3);

    let mut app = terminal_app(&owner);
    update_until(&mut app, "the board", |w| {
        w.resource::<Terminal>()
            .board
            .as_ref()
            .is_some_and(|b| !b.customers.is_empty())
    });
    let customer = app
        .world()
        .resource::<Terminal>()
        .board
        .as_ref()
        .expect("board")
        .customers[0]
        .customer;

    // The server goes away; the front desk books two slots all the same.
    let listen = server.url.trim_start_matches("http://").to_owned();
    drop(server);
    let (shop_id, bay_id) = (shop.parse().expect("id"), bay.parse().expect("id"));
    for start in [&first, &second] {
        app.world_mut().resource_mut::<Terminal>().message = None;
        book(&mut app, shop_id, bay_id, millis(start), customer);
        update_until(&mut app, "the booking queued", |w| {
            let t = w.resource::<Terminal>();
            !t.busy() && t.message.is_some()
        });
        let message = app.world().resource::<Terminal>().message.clone();
        assert!(
            matches!(&message, Some(Ok(m)) if m.contains("cannot be reached")),
            "{message:?}"
        );
    }
    let queued = booking_queue::queued(app.world().resource::<Player>());
    assert_eq!(queued.len(), 2, "kept on the terminal: {queued:?}");
    assert_eq!(app.world().resource::<Terminal>().queued, queued);

    // Back, but before the terminal's next fetch the rider takes the second
    // slot from their phone.
    let Some(_server) = start_server_at(dir.path(), &listen) else {
        return;
    };
    let (code, _, err) = workshop(
        &rider,
        &[
            "book",
            &shop,
            "--bay",
            &bay,
            "--start",
            &second,
            "--service",
            "Brakes",
        ],
    );
    assert_eq!(code, 0, "{err}");

    // The next fetch (every 30 s; asked for at once here) sends the queue.
    app.world_mut().resource_mut::<Terminal>().refetch();
    update_until(&mut app, "the queue answered", |w| {
        booking_queue::queued(w.resource::<Player>()).is_empty()
            && w.resource::<Terminal>().message.is_some()
    });
    let terminal = app.world().resource::<Terminal>();
    let Some(Err(words)) = terminal.message.clone() else {
        panic!("a refusal is shown: {:?}", terminal.message);
    };
    assert!(words.contains("Queued booking confirmed: Tyres"), "{words}");
    assert!(words.contains("Queued booking refused: Tyres"), "{words}");
    assert!(words.contains("Next free:"), "{words}");
    assert!(terminal.queued.is_empty());

    let (_, bookings, _) = workshop(&owner, &["bookings", &shop]);
    assert_eq!(
        bookings.matches(&first).count(),
        1,
        "booked once: {bookings}"
    );
    assert_eq!(
        bookings.matches(&second).count(),
        1,
        "the rider's: {bookings}"
    );
    assert!(bookings.contains("Brakes"), "{bookings}");

    // The terminal's next fetch shows the confirmed booking on the Board.
    update_until(&mut app, "the board with the booking", |w| {
        w.resource::<Terminal>()
            .board
            .as_ref()
            .is_some_and(|b| b.bookings.iter().any(|x| x.start_ms == millis(&first)))
    });
}
