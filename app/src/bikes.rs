//! The garage as this device's database holds it: the known models, the
//! bikes (synced `vehicle` records with this device's waiting changes laid
//! over them) and the current one. The app layer's [`crate::garage`] builds
//! the rider's actions on it; the rider's session reads the current bike
//! from here.

use std::collections::BTreeMap;

use ridewire_engine::sync::record::RecordKind;
use ridewire_engine::vehicle::{ModelKey, Vehicle};
use ridewire_offline_store::Store;
use serde_json::{Value, json};

use crate::{Error, Result};

/// Setting: the id of this device's current bike.
pub const CURRENT_KEY: &str = "garage.current";

/// A model the app knows, with a bundled overlay pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownModel {
    pub make: &'static str,
    pub model: &'static str,
    pub year: u16,
    /// The overlay pack's vehicle key.
    pub key: &'static str,
}

/// The models whose overlay packs come with the app (`assets/overlays`).
pub const KNOWN_MODELS: [KnownModel; 2] = [
    KnownModel {
        make: "Harley-Davidson",
        model: "Street 750",
        year: 2022,
        key: "harley-street-750-2022",
    },
    KnownModel {
        make: "Yamaha",
        model: "MT-07",
        year: 2021,
        key: "yamaha-mt-07-2021",
    },
];

/// The bike a garage without bikes shows: the starter plan's Street 750.
pub fn starter() -> Vehicle {
    let m = KNOWN_MODELS[0];
    Vehicle {
        model_key: ModelKey::new(m.key).unwrap_or_else(|_| unreachable!("a checked key")),
        make: m.make.to_owned(),
        model: m.model.to_owned(),
        year: m.year,
        vin_tail: None,
    }
}

/// One bike in the garage.
#[derive(Debug, Clone, PartialEq)]
pub struct Bike {
    /// The record's key.
    pub id: String,
    pub vehicle: Vehicle,
    /// A change to it (or the bike itself) waits to reach the server.
    pub waiting: bool,
}

impl Bike {
    /// "Yamaha MT-07 (2021)".
    pub fn title(&self) -> String {
        let v = &self.vehicle;
        format!("{} {} ({})", v.make, v.model, v.year)
    }
}

/// A change of this device's that crossed another device's.
#[derive(Debug, Clone, PartialEq)]
pub struct BikeConflict {
    /// The waiting edit's id.
    pub edit: i64,
    /// The bike's id.
    pub bike: String,
    /// The fields both changed, with this device's value and the other's.
    pub fields: Vec<(String, Value, Value)>,
}

/// The key a model has in overlay packs: a known model's, else one made
/// from the make, model and year ("other": no pack exists for it).
pub fn model_key(make: &str, model: &str, year: u16) -> Result<ModelKey> {
    if make.trim().is_empty() || model.trim().is_empty() {
        return Err(Error::Input("enter the bike's make and model".into()));
    }
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b);
    if let Some(known) = KNOWN_MODELS
        .iter()
        .find(|k| same(make, k.make) && same(model, k.model) && k.year == year)
    {
        return Ok(ModelKey::new(known.key)?);
    }
    let mut slug = String::new();
    for c in format!("{make} {model} {year}").chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    ModelKey::new(slug).map_err(|_| Error::Input("enter the bike's make and model".into()))
}

fn vehicle_of(record: &BTreeMap<String, Value>) -> Option<Vehicle> {
    let text = |f: &str| record.get(f).and_then(Value::as_str).map(str::to_owned);
    let year = record.get("year").and_then(Value::as_u64)?;
    Some(Vehicle {
        model_key: ModelKey::new(text("model_key")?).ok()?,
        make: text("make")?,
        model: text("model")?,
        year: u16::try_from(year).ok()?,
        vin_tail: text("vin_tail").and_then(|t| serde_json::from_value(json!(t)).ok()),
    })
}

/// The bikes as this device sees them: the server's copies with this
/// device's waiting changes on top, oldest first; removed ones left out.
pub fn bikes_in(store: &Store) -> Result<Vec<Bike>> {
    Ok(crate::records::view(store, RecordKind::Vehicle)?
        .into_iter()
        .filter_map(|seen| {
            Some(Bike {
                vehicle: vehicle_of(&seen.fields)?,
                id: seen.key,
                waiting: seen.waiting,
            })
        })
        .collect())
}

/// This device's current bike: the one chosen here, else the first one,
/// else the starter bike (a garage with no bikes yet).
pub fn current_in(store: &Store) -> Result<(Option<String>, Vehicle)> {
    let bikes = bikes_in(store)?;
    let chosen = store.setting(CURRENT_KEY)?;
    let bike = bikes
        .iter()
        .find(|b| Some(&b.id) == chosen.as_ref())
        .or(bikes.first());
    Ok(match bike {
        Some(b) => (Some(b.id.clone()), b.vehicle.clone()),
        None => (None, starter()),
    })
}
