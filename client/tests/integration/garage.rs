//! The garage across devices, through a real `ridewire-server`: a bike
//! added on the phone reaches the workshop terminal, each device keeps its
//! own current bike, and two changes to the same field meet as a conflict
//! the rider settles (nothing is overwritten unseen). The running app adds
//! a bike through the Garage card's messages.

use bevy::prelude::*;
use ridewire_app::garage;
use ridewire_app::rider::Rider;
use ridewire_client::garage::{GarageAsk, GarageForm};
use ridewire_client::player::{Clock, DataSource, Player};
use ridewire_engine::vehicle::VinTail;

use crate::sync::{start_server, sync};

const PASSWORD: &str = "correct horse battery staple";

fn tail(text: &str) -> VinTail {
    VinTail::try_from(text.to_owned()).expect("tail")
}

#[test]
fn bikes_sync_between_devices_and_crossed_changes_are_settled_not_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = start_server(dir.path()) else {
        return;
    };
    let (phone, terminal) = (dir.path().join("phone.db"), dir.path().join("terminal.db"));
    let email = "rider@example.com";
    let url = server.url.as_str();
    let (code, text) = sync(
        &phone,
        &["--server", url, "--email", email, "--register"],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{text}");
    let (code, text) = sync(
        &terminal,
        &["--server", url, "--email", email],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{text}");

    // The phone adds two bikes; the Yamaha is its current one.
    let (harley, yamaha) = {
        let mut rider = Rider::open(&phone, 0).expect("phone");
        let h = garage::add(&mut rider, "Harley-Davidson", "Street 750", 2022, None, 1).unwrap();
        let y = garage::add(&mut rider, "Yamaha", "MT-07", 2021, None, 2).unwrap();
        (h.id, y.id)
    };
    let (code, text) = sync(&phone, &[], None);
    assert_eq!(code, 0, "{text}");
    let (code, text) = sync(&terminal, &[], None);
    assert_eq!(code, 0, "{text}");
    {
        let mut rider = Rider::open(&terminal, 0).expect("terminal");
        let titles: Vec<String> = garage::bikes(&rider)
            .unwrap()
            .iter()
            .map(|b| b.title())
            .collect();
        assert_eq!(
            titles,
            ["Harley-Davidson Street 750 (2022)", "Yamaha MT-07 (2021)"]
        );
        assert!(garage::bikes(&rider).unwrap().iter().all(|b| !b.waiting));
        // The terminal works on the Harley; the phone keeps the Yamaha.
        garage::choose(&mut rider, &harley).unwrap();
        assert_eq!(rider.vehicle.model, "Street 750");
        // Both give the Harley a VIN tail, each from the same version.
        garage::set_vin_tail(&mut rider, &harley, &tail("111111"), 3).unwrap();
    }
    {
        let mut rider = Rider::open(&phone, 0).expect("phone");
        assert_eq!(rider.bike.as_deref(), Some(yamaha.as_str()));
        garage::set_vin_tail(&mut rider, &harley, &tail("222222"), 4).unwrap();
    }
    let (code, text) = sync(&phone, &[], None);
    assert_eq!(code, 0, "{text}");
    let (code, text) = sync(&terminal, &[], None);
    assert_eq!(code, 0, "{text}");

    // The terminal's change crossed the phone's: shown, not applied.
    let mut rider = Rider::open(&terminal, 0).expect("terminal");
    let conflicts = garage::conflicts(&rider).unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let conflict = &conflicts[0];
    assert_eq!(conflict.bike, harley);
    assert_eq!(conflict.fields[0].0, "vin_tail");
    assert_eq!(conflict.fields[0].1, "111111");
    assert_eq!(conflict.fields[0].2, "222222");
    let shown = garage::bikes(&rider).unwrap();
    let shown = shown.iter().find(|b| b.id == harley).expect("harley");
    assert_eq!(
        shown.vehicle.vin_tail,
        Some(tail("222222")),
        "the server's, until settled"
    );
    // The rider keeps the terminal's; it goes to the server and the phone.
    garage::settle(&mut rider, conflict.edit, true, 5).unwrap();
    drop(rider);
    let (code, text) = sync(&terminal, &[], None);
    assert_eq!(code, 0, "{text}");
    let (code, text) = sync(&phone, &[], None);
    assert_eq!(code, 0, "{text}");
    for db in [&phone, &terminal] {
        let rider = Rider::open(db, 0).expect("device");
        assert!(garage::conflicts(&rider).unwrap().is_empty());
        let bikes = garage::bikes(&rider).unwrap();
        let h = bikes.iter().find(|b| b.id == harley).expect("harley");
        assert_eq!(h.vehicle.vin_tail, Some(tail("111111")), "{}", db.display());
    }
}

#[test]
fn the_garage_card_adds_a_bike_and_the_app_takes_it_as_current() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("rider.db");
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(DataSource::Database(db.clone()))
        .insert_resource(Clock::System);
    ridewire_client::headless_features(&mut app);
    app.update();
    assert_eq!(app.world().resource::<Player>().vehicle.model, "Street 750");

    // "Other…" with a year that is not one: refused, nothing added.
    {
        let mut form = app.world_mut().resource_mut::<GarageForm>();
        form.known = None;
        form.make = "Moto Guzzi".into();
        form.model = "V7 Stone".into();
        form.year = "20x3".into();
        form.vin = "ZGUKDB00XNM123456".into();
    }
    app.world_mut().write_message(GarageAsk::Add);
    app.update();
    let message = app.world().resource::<GarageForm>().message.clone();
    assert!(
        matches!(&message, Some(Err(e)) if e.contains("model year")),
        "{message:?}"
    );
    assert!(
        garage::bikes(app.world().resource::<Player>())
            .unwrap()
            .is_empty()
    );

    app.world_mut().resource_mut::<GarageForm>().year = "2023".into();
    app.world_mut().write_message(GarageAsk::Add);
    app.update();
    let player = app.world().resource::<Player>();
    assert_eq!(player.vehicle.model, "V7 Stone");
    assert_eq!(
        player.vehicle.model_key.as_str(),
        "moto-guzzi-v7-stone-2023"
    );
    assert_eq!(player.vehicle.vin_tail, Some(tail("123456")));
    let form = app.world().resource::<GarageForm>();
    assert!(form.vin.is_empty(), "the VIN field is cleared");
    let listed: Vec<String> = form.bikes.iter().map(|b| b.title()).collect();
    assert_eq!(
        listed,
        ["Moto Guzzi V7 Stone (2023)"],
        "the card's list follows"
    );

    // Removing asks first.
    let id = player.bike.clone().expect("a bike");
    app.world_mut().write_message(GarageAsk::Remove(id.clone()));
    app.update();
    assert_eq!(
        app.world()
            .resource::<GarageForm>()
            .confirming_removal
            .as_deref(),
        Some(id.as_str())
    );
    assert_eq!(
        garage::bikes(app.world().resource::<Player>())
            .unwrap()
            .len(),
        1
    );
    app.world_mut().write_message(GarageAsk::Remove(id));
    app.update();
    let player = app.world().resource::<Player>();
    assert!(garage::bikes(player).unwrap().is_empty());
    assert_eq!(
        player.vehicle.model, "Street 750",
        "back to the starter bike"
    );
}

#[test]
fn a_bike_the_server_refused_shows_on_the_card_until_discarded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("rider.db");
    {
        let mut rider = Rider::open(&db, 0).expect("rider");
        garage::add(&mut rider, "Yamaha", "MT-07", 2021, None, 0).expect("bike");
    }
    let edit = {
        let mut store = ridewire_offline_store::Store::open(&db, 0)
            .expect("store")
            .store;
        let edit = store.pending_edits().expect("edits")[0].id;
        store
            .edit_failed(edit, "the garage is full", true)
            .expect("refused");
        edit
    };
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(DataSource::Database(db.clone()))
        .insert_resource(Clock::System);
    ridewire_client::headless_features(&mut app);
    app.update();
    app.update();
    let form = app.world().resource::<GarageForm>();
    assert!(form.bikes.is_empty());
    assert_eq!(form.refused.len(), 1);
    assert!(form.refused[0].reason.contains("garage is full"));
    app.world_mut().write_message(GarageAsk::Discard(edit));
    app.update();
    let form = app.world().resource::<GarageForm>();
    assert!(form.refused.is_empty(), "{:?}", form.refused);
    assert!(matches!(&form.message, Some(Ok(_))), "{:?}", form.message);
}
