//! A sample workshop morning for the demo garage (`ridewire --workshop
//! --demo`): what the terminal looks like before a workshop has its own
//! account — three bays, four customers with their bikes, the day's
//! bookings and two runs waiting for review. Nothing of it is sent.

use std::collections::BTreeMap;

use ridewire_engine::diagnostics::consensus::Consensus;
use ridewire_engine::diagnostics::gate::SafetyFlag;
use ridewire_engine::diagnostics::request::{DiagnosticRequest, VehicleInfo};
use ridewire_engine::sync::record::{Field, Record, RecordKind};
use ridewire_engine::sync::workshops::{
    Bay, Booking, Customer, Membership, ReviewItem, Role, SentPlan, Share,
};
use uuid::Uuid;

use super::Board;

const DAY_MS: i64 = 86_400_000;

fn bay(n: u128, name: &str, slot_minutes: u16, utc_offset_min: i16) -> Bay {
    Bay {
        id: Uuid::from_u128(0xba0 + n),
        name: name.into(),
        opens_min: 8 * 60,
        closes_min: 17 * 60,
        days: vec![1, 2, 3, 4, 5, 6, 7],
        slot_minutes,
        utc_offset_min,
    }
}

fn bike(key: &str, make: &str, model: &str, year: u16) -> Record {
    let field = |value: serde_json::Value| Field {
        value,
        changed_in: 1,
    };
    Record {
        kind: RecordKind::Vehicle,
        key: key.into(),
        version: 1,
        fields: BTreeMap::from([
            ("make".to_owned(), field(make.into())),
            ("model".to_owned(), field(model.into())),
            ("year".to_owned(), field(year.into())),
        ]),
    }
}

fn customer(id: i64, name: &str, bikes: Vec<Record>, now_ms: i64) -> Customer {
    Customer {
        customer: id,
        display_name: Some(name.into()),
        since_ms: now_ms - 40 * DAY_MS,
        shares: vec![Share::Bikes, Share::Diagnoses],
        bikes: Some(bikes),
        diagnoses: Some(Vec::new()),
    }
}

#[allow(clippy::too_many_arguments)]
fn run(
    n: u128,
    customer: i64,
    at_ms: i64,
    (make, model, year): (&str, &str, u16),
    codes: &[&str],
    diagnosis: &str,
    parts: &[&str],
    advice: &str,
) -> ReviewItem {
    ReviewItem {
        run: Uuid::from_u128(0xd1a0 + n),
        customer,
        display_name: None,
        created_ms: at_ms,
        request: DiagnosticRequest {
            query: String::new(),
            vehicle: VehicleInfo {
                make: make.into(),
                model: model.into(),
                year,
            },
            symptoms: vec![],
            codes: codes.iter().filter_map(|c| c.parse().ok()).collect(),
        },
        consensus: Some(Consensus {
            score: 0.5,
            confidence: 0.59,
            diagnosis: diagnosis.into(),
            cause: "demo".into(),
            representative: "offline".into(),
            highlighted_components: parts.iter().map(|p| (*p).to_owned()).collect(),
            recommended_action: advice.into(),
            estimated_cost: None,
            agents: 1,
        }),
        flags: vec![SafetyFlag::SingleAgent],
    }
}

impl Board {
    /// The sample board for `now_ms` at `utc_offset_min`: today's bookings
    /// at fixed times of the workshop's day.
    pub fn demo(now_ms: i64, utc_offset_min: i16) -> Board {
        let bays = vec![
            bay(1, "Lift 1", 90, utc_offset_min),
            bay(2, "Lift 2", 90, utc_offset_min),
            bay(3, "Tyre bay", 60, utc_offset_min),
        ];
        let workshop = Uuid::from_u128(0xd3e0);
        let mut bookings = Vec::new();
        let mut book =
            |bay: &Bay, slot: usize, customer: i64, service: &str, bike: Option<&str>| {
                let slots = bay.slots_on(bay.local_day(now_ms));
                if let Some(s) = slots.get(slot) {
                    bookings.push(Booking {
                        id: Uuid::from_u128(0xb00 + bookings.len() as u128),
                        workshop,
                        bay: bay.id,
                        customer,
                        start_ms: s.start_ms,
                        end_ms: s.end_ms,
                        service: service.into(),
                        bike: bike.map(str::to_owned),
                        notes: String::new(),
                        created_ms: now_ms - 3 * DAY_MS,
                        cancelled_ms: None,
                    });
                }
            };
        book(&bays[0], 0, 11, "Annual service", Some("mt07"));
        book(&bays[0], 2, 12, "Diagnosis", Some("street"));
        book(&bays[1], 1, 13, "Brakes", Some("tenere"));
        book(&bays[1], 4, 14, "Chain and sprockets", None);
        book(&bays[2], 0, 13, "Tyres", Some("tenere"));
        book(&bays[2], 3, 11, "Tyres", Some("mt07"));
        Board {
            workshop: Membership {
                workshop,
                name: "Moto Müller (demo)".into(),
                role: Role::Owner,
                shares: vec![],
                since_ms: now_ms - 400 * DAY_MS,
            },
            fetched_ms: now_ms - 2 * 60_000,
            bays,
            bookings,
            customers: vec![
                customer(
                    11,
                    "Jo Rider",
                    vec![bike("mt07", "Yamaha", "MT-07", 2021)],
                    now_ms,
                ),
                customer(
                    12,
                    "Ana Ortiz",
                    vec![bike("street", "Harley-Davidson", "Street 750", 2022)],
                    now_ms,
                ),
                customer(
                    13,
                    "Sam Lee",
                    vec![bike("tenere", "Yamaha", "Ténéré 700", 2023)],
                    now_ms,
                ),
                customer(14, "Kai Berg", Vec::new(), now_ms),
            ],
            reviews: vec![
                run(
                    1,
                    12,
                    now_ms - 20 * 3_600_000,
                    ("Harley-Davidson", "Street 750", 2022),
                    &["P0300", "P0171"],
                    "Random misfire with a lean mixture",
                    &["spark_plugs", "fuel_injectors"],
                    "Check the spark plugs and the injectors.",
                ),
                run(
                    2,
                    13,
                    now_ms - 3 * 3_600_000,
                    ("Yamaha", "Ténéré 700", 2023),
                    &["P0562"],
                    "System voltage low",
                    &["battery", "regulator_rectifier"],
                    "Test the battery and the regulator/rectifier output.",
                ),
            ],
            plans: vec![SentPlan {
                key: "demo-plan-1".into(),
                customer: 11,
                title: "After the first 1,000 km".into(),
                bike: Some("mt07".into()),
                sent_ms: now_ms - 9 * DAY_MS,
                quests: 6,
                done: 4,
                proved: 2,
                removed: false,
            }],
            templates: Vec::new(),
        }
    }
}

impl Board {
    /// What a call does to the demo board (nothing is sent): a booking is
    /// made or cancelled, a review takes the run off the queue. Answers
    /// the words the terminal shows.
    pub fn apply_demo(
        &mut self,
        call: &ridewire_engine::sync::workshops::WorkshopCall,
        now_ms: i64,
    ) -> std::result::Result<String, String> {
        use ridewire_engine::sync::workshops::WorkshopCall;
        match call {
            WorkshopCall::Book { booking, .. } => {
                let end = self
                    .bays
                    .iter()
                    .find(|b| b.id == booking.bay)
                    .and_then(|b| b.slot_at(booking.start_ms))
                    .map(|s| s.end_ms)
                    .ok_or("that is not a slot of the bay")?;
                let made = Booking {
                    id: Uuid::from_u128(0xb00 + self.bookings.len() as u128),
                    workshop: self.workshop.workshop,
                    bay: booking.bay,
                    customer: booking.customer.unwrap_or(0),
                    start_ms: booking.start_ms,
                    end_ms: end,
                    service: booking.service.clone(),
                    bike: booking.bike.clone(),
                    notes: booking.notes.clone(),
                    created_ms: now_ms,
                    cancelled_ms: None,
                };
                let words = format!(
                    "Booked (demo, nothing is sent): {}, {}.",
                    self.customer_name(made.customer),
                    made.service
                );
                self.with_booking(made);
                Ok(words)
            }
            WorkshopCall::Cancel { booking, .. } => {
                let found = self
                    .bookings
                    .iter_mut()
                    .find(|b| b.id == *booking)
                    .ok_or("no such booking")?;
                found.cancelled_ms = Some(now_ms);
                Ok("Cancelled (demo, nothing is sent).".to_owned())
            }
            WorkshopCall::SendPlan { plan, .. } => {
                let parsed =
                    ridewire_engine::plan::parse(&plan.markdown).map_err(|e| e.to_string())?;
                let quests = parsed
                    .to_catalog()
                    .map_err(|e| e.to_string())?
                    .quests()
                    .count();
                let sent = SentPlan {
                    key: format!("demo-plan-{}", self.plans.len() + 1),
                    customer: plan.customer,
                    title: parsed.title.clone(),
                    bike: plan.bike.clone(),
                    sent_ms: now_ms,
                    quests: quests as u32,
                    done: 0,
                    proved: 0,
                    removed: false,
                };
                let words = format!(
                    "Sent (demo, nothing is sent): {} to {}.",
                    sent.title,
                    self.customer_name(sent.customer)
                );
                self.plans.push(sent);
                Ok(words)
            }
            WorkshopCall::SaveTemplate { name, markdown, .. } => {
                let parsed = ridewire_engine::plan::parse(markdown).map_err(|e| e.to_string())?;
                self.templates.retain(|t| t.name != *name);
                self.templates
                    .push(ridewire_engine::sync::workshops::Template {
                        name: name.clone(),
                        title: parsed.title.clone(),
                        markdown: markdown.clone(),
                        updated_ms: now_ms,
                    });
                Ok(format!(
                    "Kept as a template (demo, nothing is sent): {}.",
                    parsed.title
                ))
            }
            WorkshopCall::Review { run, input, .. } => {
                self.with_answered(*run);
                Ok(format!(
                    "Sent (demo, nothing is sent): {}.",
                    input.verdict.as_str()
                ))
            }
            other => Err(format!("the demo board does not answer {other:?}")),
        }
    }
}
