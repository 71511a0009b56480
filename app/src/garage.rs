//! The rider's garage: their bikes, one of them current.
//!
//! Each bike is a versioned record ([`RecordKind::Vehicle`], keyed by the
//! bike's id) that syncs like every record: this device's additions and
//! changes wait as edits until the server takes them, and a change that
//! crosses another device's comes back as a conflict the rider settles
//! ([`conflicts`], [`settle`]); nothing is overwritten unseen. Which bike is
//! current is this device's choice (a setting), so a workshop terminal and
//! the rider's phone can each look at another bike.
//!
//! The scanner takes the current bike's overlay pack; a bike with none
//! still scans (the marker and its axes, and a line saying no model set
//! exists for it yet).

use std::collections::BTreeMap;

use ridewire_engine::sync::record::{Edit, RecordKind};
use ridewire_engine::vehicle::{Vehicle, VinTail};
use ridewire_offline_store::Store;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::rider::Rider;
use crate::{Error, Result};

pub use crate::bikes::{
    Bike, BikeConflict, CURRENT_KEY, KNOWN_MODELS, KnownModel, bikes_in, current_in, model_key,
    starter,
};

/// The rider's bikes.
pub fn bikes(rider: &Rider) -> Result<Vec<Bike>> {
    bikes_in(&rider.store())
}

/// Adds a bike and makes it current. A full VIN is cut to its last six
/// characters before anything is stored. Returns the bike.
pub fn add(
    rider: &mut Rider,
    make: &str,
    model: &str,
    year: u16,
    vin: Option<&str>,
    now_ms: i64,
) -> Result<Bike> {
    let (make, model) = (make.trim(), model.trim());
    if make.is_empty() || model.is_empty() {
        return Err(Error::Input("enter the bike's make and model".into()));
    }
    let vin = vin.map(str::trim).filter(|v| !v.is_empty());
    let vehicle = Vehicle::new(model_key(make, model, year)?, make, model, year, vin)?;
    let id = Uuid::now_v7().to_string();
    let mut changes = BTreeMap::from([
        ("make".to_owned(), json!(vehicle.make)),
        ("model".to_owned(), json!(vehicle.model)),
        ("year".to_owned(), json!(vehicle.year)),
        ("model_key".to_owned(), json!(vehicle.model_key)),
        (crate::records::ADDED.to_owned(), json!(now_ms)),
    ]);
    if let Some(tail) = &vehicle.vin_tail {
        changes.insert("vin_tail".to_owned(), json!(tail));
    }
    rider.store().edit_record(
        &Edit {
            kind: RecordKind::Vehicle,
            key: id.clone(),
            base_version: 0,
            changes,
        },
        now_ms,
    )?;
    rider.save_setting(CURRENT_KEY, &id)?;
    rider.refresh_garage()?;
    Ok(Bike {
        id,
        vehicle,
        waiting: true,
    })
}

/// The version this device last saw of bike `id` (0 before the server has
/// it).
fn base_version(store: &Store, id: &str) -> Result<u64> {
    Ok(store
        .shared_record(RecordKind::Vehicle, id)?
        .map_or(0, |r| r.version))
}

fn change(
    rider: &mut Rider,
    id: &str,
    changes: BTreeMap<String, Value>,
    now_ms: i64,
) -> Result<()> {
    if !bikes(rider)?.iter().any(|b| b.id == id) {
        return Err(Error::Input(format!("there is no bike {id} in the garage")));
    }
    let base_version = base_version(&rider.store(), id)?;
    rider.store().edit_record(
        &Edit {
            kind: RecordKind::Vehicle,
            key: id.to_owned(),
            base_version,
            changes,
        },
        now_ms,
    )?;
    rider.refresh_garage()
}

/// Setting: the VIN tail last read from a bike's ECU (`ridewire obd
/// read`), offered for the current bike.
pub const READ_VIN_KEY: &str = "garage.read_vin_tail";

/// Keeps the last six characters of `vin` for bike `id`.
pub fn set_vin(rider: &mut Rider, id: &str, vin: &str, now_ms: i64) -> Result<()> {
    set_vin_tail(rider, id, &VinTail::from_vin(vin)?, now_ms)
}

/// Keeps a VIN tail for bike `id`.
pub fn set_vin_tail(rider: &mut Rider, id: &str, tail: &VinTail, now_ms: i64) -> Result<()> {
    change(
        rider,
        id,
        BTreeMap::from([("vin_tail".to_owned(), json!(tail))]),
        now_ms,
    )
}

/// Remembers the VIN tail read from a bike, to offer it for the current
/// bike.
pub fn offer_vin_tail(rider: &mut Rider, tail: &VinTail) -> Result<()> {
    rider.save_setting(READ_VIN_KEY, tail.as_str())
}

/// The VIN tail read from a bike, when it is not the current bike's yet.
pub fn read_vin_tail(rider: &Rider) -> Option<VinTail> {
    let tail: VinTail = serde_json::from_value(json!(rider.setting(READ_VIN_KEY)?)).ok()?;
    (rider.vehicle.vin_tail.as_ref() != Some(&tail)).then_some(tail)
}

/// Takes bike `id` out of the garage (on every device, once synced).
pub fn remove(rider: &mut Rider, id: &str, now_ms: i64) -> Result<()> {
    change(
        rider,
        id,
        BTreeMap::from([(crate::records::REMOVED.to_owned(), json!(true))]),
        now_ms,
    )
}

/// Makes bike `id` this device's current bike.
pub fn choose(rider: &mut Rider, id: &str) -> Result<()> {
    if !bikes(rider)?.iter().any(|b| b.id == id) {
        return Err(Error::Input(format!("there is no bike {id} in the garage")));
    }
    rider.save_setting(CURRENT_KEY, id)?;
    rider.refresh_garage()
}

/// This device's bike changes that crossed another device's, for the rider
/// to settle.
pub fn conflicts(rider: &Rider) -> Result<Vec<BikeConflict>> {
    let store = rider.store();
    Ok(store
        .pending_edits()?
        .into_iter()
        .filter(|p| p.edit.kind == RecordKind::Vehicle)
        .filter_map(|p| {
            let conflict = p.conflict?;
            let fields = conflict
                .fields
                .iter()
                .map(|f| {
                    let mine = p.edit.changes.get(f).cloned().unwrap_or(Value::Null);
                    let theirs = conflict.current.get(f).cloned().unwrap_or(Value::Null);
                    (f.clone(), mine, theirs)
                })
                .collect();
            Some(BikeConflict {
                edit: p.id,
                bike: p.edit.key,
                fields,
            })
        })
        .collect())
}

/// A change of this device's the server will never take, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusedChange {
    /// The waiting edit's id.
    pub edit: i64,
    /// The bike's id.
    pub bike: String,
    /// What the change says the bike is, when it names it.
    pub title: Option<String>,
    /// The server's reason.
    pub reason: String,
}

/// This device's bike changes the server refused for good: shown with the
/// reason until the rider discards them (they are not lost unseen).
pub fn refused(rider: &Rider) -> Result<Vec<RefusedChange>> {
    let store = rider.store();
    Ok(store
        .pending_edits()?
        .into_iter()
        .filter(|p| p.edit.kind == RecordKind::Vehicle && p.refused)
        .map(|p| {
            let text = |f: &str| p.edit.changes.get(f).and_then(Value::as_str);
            let title = match (text("make"), text("model"), p.edit.changes.get("year")) {
                (Some(make), Some(model), Some(year)) => Some(format!("{make} {model} ({year})")),
                _ => None,
            };
            RefusedChange {
                edit: p.id,
                bike: p.edit.key,
                title,
                reason: p
                    .last_error
                    .unwrap_or_else(|| "the server refused it".to_owned()),
            }
        })
        .collect())
}

/// Drops a refused change for good.
pub fn discard(rider: &mut Rider, edit: i64, now_ms: i64) -> Result<()> {
    crate::records::discard(&mut rider.store(), edit, now_ms)?;
    rider.refresh_garage()
}

/// Settles a conflict: `keep_mine` sends this device's change again over
/// the other one; otherwise the other device's stands and this change is
/// dropped.
pub fn settle(rider: &mut Rider, edit: i64, keep_mine: bool, now_ms: i64) -> Result<()> {
    crate::records::settle(&mut rider.store(), edit, keep_mine, now_ms)?;
    rider.refresh_garage()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_model_has_its_bundled_pack_and_every_pack_is_known() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/overlays");
        let mut packs: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".json").map(str::to_owned)
            })
            .collect();
        packs.sort();
        let mut known: Vec<String> = KNOWN_MODELS.iter().map(|k| k.key.to_owned()).collect();
        known.sort();
        assert_eq!(packs, known);
    }

    #[test]
    fn model_keys_are_the_packs_for_known_models_and_slugs_for_others() {
        assert_eq!(
            model_key(" yamaha ", "mt-07", 2021).unwrap().as_str(),
            "yamaha-mt-07-2021"
        );
        assert_eq!(
            model_key("Moto Guzzi", "V7 Stone!", 2023).unwrap().as_str(),
            "moto-guzzi-v7-stone-2023"
        );
        assert!(model_key("", "", 2023).is_err());
    }

    #[test]
    fn bikes_are_added_chosen_removed_and_kept_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rider.db");
        let now = 1_800_000_000_000;
        {
            let mut rider = Rider::open(&path, now).unwrap();
            assert!(bikes(&rider).unwrap().is_empty());
            assert_eq!(
                rider.vehicle,
                starter(),
                "an empty garage shows the starter bike"
            );
            let yamaha = add(
                &mut rider,
                "Yamaha",
                "MT-07",
                2021,
                Some("JYARM321000123456"),
                now,
            )
            .unwrap();
            assert_eq!(rider.vehicle.model_key.as_str(), "yamaha-mt-07-2021");
            assert_eq!(
                yamaha
                    .vehicle
                    .vin_tail
                    .as_ref()
                    .map(|t| t.as_str().to_owned()),
                Some("123456".to_owned()),
                "only the VIN's tail is kept"
            );
            let guzzi = add(&mut rider, "Moto Guzzi", "V7", 2023, None, now + 1).unwrap();
            assert_eq!(rider.vehicle.model_key.as_str(), "moto-guzzi-v7-2023");
            choose(&mut rider, &yamaha.id).unwrap();
            remove(&mut rider, &guzzi.id, now + 2).unwrap();
            assert!(choose(&mut rider, &guzzi.id).is_err());
        }
        let rider = Rider::open(&path, now).unwrap();
        let all = bikes(&rider).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].title(), "Yamaha MT-07 (2021)");
        assert!(all[0].waiting, "not on a server yet");
        assert_eq!(rider.vehicle.model, "MT-07");
        let export =
            serde_json::to_string(&rider.store().pending_edits().unwrap()[0].edit).unwrap();
        assert!(
            !export.contains("JYARM321000"),
            "no full VIN stored: {export}"
        );
    }

    #[test]
    fn a_bike_the_server_refused_is_shown_with_the_reason_until_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let mut rider = Rider::open(&dir.path().join("rider.db"), 0).unwrap();
        add(&mut rider, "Yamaha", "MT-07", 2021, None, 0).unwrap();
        let edit = rider.store().pending_edits().unwrap()[0].id;
        rider
            .store()
            .edit_failed(edit, "the garage is full (20 bikes at most)", true)
            .unwrap();
        rider.refresh_garage().unwrap();
        assert!(
            bikes(&rider).unwrap().is_empty(),
            "not a bike in the garage"
        );
        let shown = refused(&rider).unwrap();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].title.as_deref(), Some("Yamaha MT-07 (2021)"));
        assert!(shown[0].reason.contains("garage is full"));
        discard(&mut rider, edit, 1).unwrap();
        assert!(refused(&rider).unwrap().is_empty());
        assert!(discard(&mut rider, edit, 2).is_err());
    }

    #[test]
    fn bad_input_is_refused_with_what_is_expected() {
        let dir = tempfile::tempdir().unwrap();
        let mut rider = Rider::open(&dir.path().join("rider.db"), 0).unwrap();
        let err = add(&mut rider, "Yamaha", "", 2021, None, 0).unwrap_err();
        assert!(err.to_string().contains("make and model"), "{err}");
        let err = add(&mut rider, "Yamaha", "MT-07", 1700, None, 0).unwrap_err();
        assert!(err.to_string().contains("1700"), "{err}");
        let err = add(&mut rider, "Yamaha", "MT-07", 2021, Some("123"), 0).unwrap_err();
        assert!(err.to_string().contains("17"), "{err}");
        assert!(bikes(&rider).unwrap().is_empty(), "nothing half-added");
    }
}
