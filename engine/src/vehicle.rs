//! Bikes and the components an overlay or a diagnosis can point at.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A vehicle model key such as `harley-street-750-2022`: lower-case ASCII
/// letters, digits and single dashes. Overlay packs and quests are keyed by it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ModelKey(String);

impl ModelKey {
    /// Checks and wraps a model key.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        let bad = |reason| Error::InvalidId {
            kind: "vehicle model",
            value: key.clone(),
            reason,
        };
        if key.is_empty() || key.len() > 96 {
            return Err(bad("must be 1 to 96 characters"));
        }
        if !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad("only a-z, 0-9 and '-' are allowed"));
        }
        if key.starts_with('-') || key.ends_with('-') || key.contains("--") {
            return Err(bad("dashes must separate words"));
        }
        Ok(Self(key))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ModelKey {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        Self::new(value)
    }
}

impl From<ModelKey> for String {
    fn from(key: ModelKey) -> Self {
        key.0
    }
}

impl fmt::Display for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The last six characters of a VIN. RideWire never stores the full number
/// (privacy): it is cut at the edge, as soon as it is read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VinTail(String);

impl VinTail {
    /// Number of characters kept.
    pub const LEN: usize = 6;

    /// Validates a full 17-character VIN and keeps only its last six characters.
    pub fn from_vin(vin: &str) -> Result<Self> {
        let vin = vin.trim().to_ascii_uppercase();
        if vin.len() != 17 {
            return Err(Error::InvalidVin(format!(
                "expected 17 characters, got {}",
                vin.chars().count()
            )));
        }
        check_vin_chars(&vin)?;
        Ok(Self(vin[17 - Self::LEN..].to_owned()))
    }

    /// Wraps an already-cut tail (for data read back from storage).
    pub fn new(tail: &str) -> Result<Self> {
        let tail = tail.trim().to_ascii_uppercase();
        if tail.len() != Self::LEN {
            return Err(Error::InvalidVin(format!(
                "a VIN tail has {} characters, got {}",
                Self::LEN,
                tail.chars().count()
            )));
        }
        check_vin_chars(&tail)?;
        Ok(Self(tail))
    }

    /// The six characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_vin_chars(s: &str) -> Result<()> {
    // ISO 3779: digits and capital letters except I, O and Q.
    match s
        .chars()
        .find(|c| !(c.is_ascii_digit() || c.is_ascii_uppercase()) || matches!(c, 'I' | 'O' | 'Q'))
    {
        Some(c) => Err(Error::InvalidVin(format!("{c:?} is not allowed in a VIN"))),
        None => Ok(()),
    }
}

impl TryFrom<String> for VinTail {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        Self::new(&value)
    }
}

impl From<VinTail> for String {
    fn from(tail: VinTail) -> Self {
        tail.0
    }
}

/// A rider's or a workshop's bike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vehicle {
    /// Which model it is; selects overlay packs and quests.
    pub model_key: ModelKey,
    /// Manufacturer, e.g. "Harley-Davidson".
    pub make: String,
    /// Model name, e.g. "Street 750".
    pub model: String,
    /// Model year.
    pub year: u16,
    /// Last six characters of the VIN, when the rider gave one.
    pub vin_tail: Option<VinTail>,
}

impl Vehicle {
    /// Builds a vehicle, checking the year. A full VIN is cut to its tail here.
    pub fn new(
        model_key: ModelKey,
        make: impl Into<String>,
        model: impl Into<String>,
        year: u16,
        vin: Option<&str>,
    ) -> Result<Self> {
        if !(1885..=2100).contains(&year) {
            return Err(Error::InvalidYear(year));
        }
        Ok(Self {
            model_key,
            make: make.into(),
            model: model.into(),
            year,
            vin_tail: vin.map(VinTail::from_vin).transpose()?,
        })
    }
}

/// What kind of part a component is; used for grouping and for the code database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentCategory {
    Ignition,
    Electrical,
    Fuel,
    Intake,
    Brakes,
    Drivetrain,
    Lubrication,
    Lighting,
    Cooling,
    Exhaust,
    Suspension,
    Wheels,
}

/// A part of a bike that an overlay can show and a diagnosis can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// Stable id, e.g. `spark_plugs` or `brake_caliper_front`.
    pub id: String,
    /// Name shown to the rider.
    pub name: String,
    /// Kind of part.
    pub category: ComponentCategory,
}

/// One entry of the component vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownComponent {
    pub id: &'static str,
    pub name: &'static str,
    pub category: ComponentCategory,
}

/// Every component RideWire can name: overlay packs place these, the code
/// database implicates them, and diagnoses highlight them. One vocabulary,
/// so a diagnosis always points at something the AR view can show.
pub const COMPONENTS: &[KnownComponent] = &{
    use ComponentCategory::*;
    const fn c(
        id: &'static str,
        name: &'static str,
        category: ComponentCategory,
    ) -> KnownComponent {
        KnownComponent { id, name, category }
    }
    [
        c("spark_plugs", "Spark plugs", Ignition),
        c("ignition_coil", "Ignition coil", Ignition),
        c("crank_sensor", "Crankshaft position sensor", Ignition),
        c("cam_sensor", "Camshaft position sensor", Ignition),
        c("knock_sensor", "Knock sensor", Ignition),
        c("battery", "Battery", Electrical),
        c("regulator_rectifier", "Regulator/rectifier", Electrical),
        c("stator", "Stator (alternator)", Electrical),
        c("starter_motor", "Starter motor", Electrical),
        c("ecu", "Engine control unit", Electrical),
        c(
            "wiring_harness",
            "Wiring harness and connectors",
            Electrical,
        ),
        c("fuel_pump", "Fuel pump", Fuel),
        c("fuel_injectors", "Fuel injectors", Fuel),
        c("fuel_pressure_regulator", "Fuel pressure regulator", Fuel),
        c(
            "evap_system",
            "EVAP system (tank vent, canister, purge valve)",
            Fuel,
        ),
        c("air_filter", "Air filter", Intake),
        c("throttle_body", "Throttle body", Intake),
        c(
            "throttle_position_sensor",
            "Throttle position sensor",
            Intake,
        ),
        c("map_sensor", "Manifold pressure (MAP) sensor", Intake),
        c("iat_sensor", "Intake air temperature sensor", Intake),
        c("idle_air_control", "Idle air control valve", Intake),
        c(
            "o2_sensor_front",
            "Oxygen sensor (front cylinder / upstream)",
            Exhaust,
        ),
        c(
            "o2_sensor_rear",
            "Oxygen sensor (rear cylinder / downstream)",
            Exhaust,
        ),
        c("catalytic_converter", "Catalytic converter", Exhaust),
        c("coolant_temp_sensor", "Engine temperature sensor", Cooling),
        c("radiator_fan", "Radiator fan", Cooling),
        c("thermostat", "Thermostat", Cooling),
        c("oil_filter", "Oil filter", Lubrication),
        c("oil_pressure_sensor", "Oil pressure switch", Lubrication),
        c("brake_caliper_front", "Front brake caliper", Brakes),
        c("brake_caliper_rear", "Rear brake caliper", Brakes),
        c("abs_module", "ABS module", Brakes),
        c(
            "wheel_speed_sensor_front",
            "Front wheel speed sensor",
            Wheels,
        ),
        c("wheel_speed_sensor_rear", "Rear wheel speed sensor", Wheels),
        c("chain", "Drive chain and sprockets", Drivetrain),
        c("gear_position_sensor", "Gear position sensor", Drivetrain),
        c("clutch_switch", "Clutch switch", Drivetrain),
        c("vehicle_speed_sensor", "Vehicle speed sensor", Drivetrain),
        c("headlight", "Headlight", Lighting),
    ]
};

/// A component of the vocabulary by id.
pub fn component(id: &str) -> Option<Component> {
    COMPONENTS.iter().find(|c| c.id == id).map(|c| Component {
        id: c.id.to_owned(),
        name: c.name.to_owned(),
        category: c.category,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn component_vocabulary_has_unique_snake_case_ids() {
        let mut ids: Vec<&str> = COMPONENTS.iter().map(|c| c.id).collect();
        assert!(ids.iter().all(|id| {
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }));
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "duplicate component id");
        assert_eq!(
            component("chain").map(|c| c.category),
            Some(ComponentCategory::Drivetrain)
        );
        assert!(component("flux_capacitor").is_none());
    }

    use super::*;

    #[test]
    fn vin_keeps_only_last_six() {
        let tail = VinTail::from_vin("1hd1kb4197y123456").expect("valid VIN");
        assert_eq!(tail.as_str(), "123456");
        let v = Vehicle::new(
            ModelKey::new("harley-street-750-2022").expect("key"),
            "Harley-Davidson",
            "Street 750",
            2022,
            Some("5HD1KB4197Y65A3B9"),
        )
        .expect("vehicle");
        let json = serde_json::to_string(&v).expect("json");
        assert!(json.contains("\"65A3B9\""), "{json}");
        assert!(!json.contains("5HD1KB"), "full VIN leaked: {json}");
    }

    #[test]
    fn bad_vins_are_refused() {
        assert!(VinTail::from_vin("SHORT").is_err());
        assert!(VinTail::from_vin("1HD1KB4197Y12345O").is_err()); // letter O
        assert!(VinTail::from_vin("1HD1KB4197Y1234-6").is_err());
        assert!(VinTail::new("12I456").is_err());
    }

    #[test]
    fn model_keys_are_checked() {
        assert!(ModelKey::new("yamaha-mt-07-2021").is_ok());
        for bad in ["", "Yamaha", "a--b", "-a", "a-", "a b", "ä"] {
            assert!(ModelKey::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(serde_json::from_str::<ModelKey>("\"NOPE\"").is_err());
    }

    #[test]
    fn year_is_checked() {
        let key = ModelKey::new("x").expect("key");
        assert_eq!(
            Vehicle::new(key, "a", "b", 1700, None),
            Err(Error::InvalidYear(1700))
        );
    }
}
