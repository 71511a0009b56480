//! The rider's garage, from the Settings screen's Garage card (drawn from
//! the shared [`GarageForm`]): adding bikes, choosing the current one,
//! removing one, taking the VIN tail read from the bike, and settling a
//! change that crossed another device's. The work is the app layer's
//! [`ridewire_app::garage`]; each change goes to the server with the next
//! round.

use bevy::prelude::*;
use ridewire_app::garage::{self, KNOWN_MODELS};

use crate::AppSystems;
use crate::player::{Clock, Player};
use crate::shared::SyncLink;
pub use crate::shared::{GarageAsk, GarageForm};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<GarageForm>()
        .add_message::<GarageAsk>()
        .add_message::<crate::shared::Synced>()
        .add_systems(Update, (act, refresh).chain().after(AppSystems::Record));
}

/// Reads the garage again after a change here or a sync round.
fn refresh(
    mut form: ResMut<GarageForm>,
    mut synced: MessageReader<crate::shared::Synced>,
    player: Option<Res<Player>>,
) {
    let Some(player) = player else { return };
    if synced.read().count() > 0 || form.stale || player.is_added() {
        form.bikes = garage::bikes(&player).unwrap_or_default();
        form.conflicts = garage::conflicts(&player).unwrap_or_default();
        form.refused = garage::refused(&player).unwrap_or_default();
        form.stale = false;
    }
}

fn act(
    mut asks: MessageReader<GarageAsk>,
    mut form: ResMut<GarageForm>,
    player: Option<ResMut<Player>>,
    link: Res<SyncLink>,
    clock: Res<Clock>,
) {
    let Some(mut player) = player else { return };
    let now = clock.now().0;
    let mut changed = false;
    for ask in asks.read() {
        form.stale = true;
        if !matches!(ask, GarageAsk::Remove(_)) {
            form.confirming_removal = None;
        }
        let done = match ask {
            GarageAsk::Add => add(&mut form, &mut player, now),
            GarageAsk::Choose(id) => garage::choose(&mut player, id).map(|()| {
                let v = &player.vehicle;
                format!("The {} {} is your current bike.", v.make, v.model)
            }),
            GarageAsk::Remove(id) if form.confirming_removal.as_ref() != Some(id) => {
                form.confirming_removal = Some(id.clone());
                continue;
            }
            GarageAsk::Remove(id) => {
                form.confirming_removal = None;
                garage::remove(&mut player, id, now).map(|()| "Removed from the garage.".into())
            }
            GarageAsk::UseReadVin => use_read_vin(&mut player, now),
            GarageAsk::Discard(edit) => garage::discard(&mut player, *edit, now)
                .map(|()| "The refused change is dropped.".to_owned()),
            GarageAsk::Settle { edit, keep_mine } => {
                garage::settle(&mut player, *edit, *keep_mine, now).map(|()| {
                    if *keep_mine {
                        "Your change goes to the server again.".into()
                    } else {
                        "The other device's change stands.".into()
                    }
                })
            }
        };
        changed |= done.is_ok();
        form.message = Some(done.map_err(|e| e.to_string()));
    }
    if changed {
        link.sync_now();
    }
}

fn add(form: &mut GarageForm, player: &mut Player, now: i64) -> ridewire_app::Result<String> {
    let (make, model, year) = match form.known.and_then(|i| KNOWN_MODELS.get(i)) {
        Some(known) => (known.make.to_owned(), known.model.to_owned(), known.year),
        None => {
            let year = form.year.trim().parse::<u16>().map_err(|_| {
                ridewire_app::Error::Input(format!(
                    "{:?} is not a model year: enter it as four digits, e.g. 2019",
                    form.year.trim()
                ))
            })?;
            (form.make.clone(), form.model.clone(), year)
        }
    };
    let vin = Some(form.vin.as_str());
    let bike = garage::add(player, &make, &model, year, vin, now)?;
    form.vin.clear();
    form.make.clear();
    form.model.clear();
    form.year.clear();
    Ok(format!(
        "Added the {}; it is your current bike.",
        bike.title()
    ))
}

fn use_read_vin(player: &mut Player, now: i64) -> ridewire_app::Result<String> {
    let tail = garage::read_vin_tail(player)
        .ok_or_else(|| ridewire_app::Error::Input("no VIN has been read from a bike".into()))?;
    let id = player
        .bike
        .clone()
        .ok_or_else(|| ridewire_app::Error::Input("add your bike to the garage first".into()))?;
    garage::set_vin_tail(player, &id, &tail, now)?;
    Ok(format!("VIN …{} kept for the current bike.", tail.as_str()))
}
