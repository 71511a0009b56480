//! `ridewire garage`: the rider's bikes from the command line — list them,
//! add one, choose the current one, remove one, keep a VIN tail. Each change
//! reaches the server (and the rider's other devices) with the next sync.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use ridewire_app::garage::{self, KNOWN_MODELS};
use ridewire_app::rider::Rider;

/// What to do in the garage.
#[derive(Debug, Clone, Subcommand)]
pub enum GarageAction {
    /// List the bikes (the current one marked with `*`) and the models
    /// with a bundled overlay pack.
    List,
    /// Add a bike and make it current.
    Add {
        /// The make, e.g. Yamaha.
        #[arg(long)]
        make: String,
        /// The model, e.g. MT-07.
        #[arg(long)]
        model: String,
        /// The model year.
        #[arg(long)]
        year: u16,
        /// The VIN (only its last six characters are kept).
        #[arg(long)]
        vin: Option<String>,
    },
    /// Make a bike (by its id, or the start of it) current on this device.
    Use {
        #[arg(value_name = "BIKE")]
        bike: String,
    },
    /// Take a bike out of the garage, on every device once synced.
    Remove {
        #[arg(value_name = "BIKE")]
        bike: String,
    },
}

/// The bike whose id is `given` or starts with it.
fn find(rider: &Rider, given: &str) -> Result<String, String> {
    let bikes = garage::bikes(rider).map_err(|e| e.to_string())?;
    let matching: Vec<_> = bikes.iter().filter(|b| b.id.starts_with(given)).collect();
    match matching[..] {
        [one] => Ok(one.id.clone()),
        [] => Err(format!(
            "no bike {given:?} in the garage (`ridewire garage list` shows them)"
        )),
        _ => Err(format!("{given:?} fits several bikes: give more of the id")),
    }
}

/// Runs `action` on the rider's database.
pub fn run(action: GarageAction, database: &Path) -> ExitCode {
    let now = ridewire_app::clock::now().0;
    let mut rider = match Rider::open(database, now) {
        Ok(rider) => rider,
        Err(e) => {
            eprintln!("ridewire garage: {e}");
            return ExitCode::FAILURE;
        }
    };
    let done: Result<String, String> = match action {
        GarageAction::List => {
            garage::bikes(&rider)
                .map_err(|e| e.to_string())
                .map(|bikes| -> String {
                    let mut out = String::new();
                    if bikes.is_empty() {
                        out.push_str("No bike yet (the starter Street 750 stands in).\n");
                    }
                    for bike in &bikes {
                        let mark = if rider.bike.as_ref() == Some(&bike.id) {
                            '*'
                        } else {
                            ' '
                        };
                        let vin = bike
                            .vehicle
                            .vin_tail
                            .as_ref()
                            .map(|t| format!("  VIN …{}", t.as_str()))
                            .unwrap_or_default();
                        let waiting = if bike.waiting {
                            "  (waiting to sync)"
                        } else {
                            ""
                        };
                        out.push_str(&format!(
                            "{mark} {}  {}{vin}{waiting}\n",
                            &bike.id,
                            bike.title()
                        ));
                    }
                    out.push_str("Models with overlays: ");
                    let known: Vec<String> = KNOWN_MODELS
                        .iter()
                        .map(|k| format!("{} {} ({})", k.make, k.model, k.year))
                        .collect();
                    out.push_str(&known.join(", "));
                    out.push_str(
                        "; any other bike scans on the marker sheet's \"any other bike\" marker.",
                    );
                    out
                })
        }
        GarageAction::Add {
            make,
            model,
            year,
            vin,
        } => garage::add(&mut rider, &make, &model, year, vin.as_deref(), now)
            .map(|bike| {
                format!(
                    "Added {} ({}); it is your current bike.",
                    bike.title(),
                    bike.id
                )
            })
            .map_err(|e| e.to_string()),
        GarageAction::Use { bike } => find(&rider, &bike).and_then(|id| {
            garage::choose(&mut rider, &id).map_err(|e| e.to_string())?;
            let v = &rider.vehicle;
            Ok(format!(
                "The {} {} ({}) is your current bike.",
                v.make, v.model, v.year
            ))
        }),
        GarageAction::Remove { bike } => find(&rider, &bike).and_then(|id| {
            garage::remove(&mut rider, &id, now).map_err(|e| e.to_string())?;
            Ok("Removed from the garage.".to_owned())
        }),
    };
    match done {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ridewire garage: {e}");
            ExitCode::FAILURE
        }
    }
}
