//! The workshop terminal's day (issue 15): today's bays with their slots
//! and bookings, the customers behind them, and the runs waiting for a
//! mechanic's review — fetched from the server in one go through the
//! device's syncer, and the last copy kept in the settings, so a terminal
//! that loses its connection still shows the board it had (with its age).
//! The terminal's screens (`client::workshop`) and `ridewire workshop
//! board` draw it; booking and reviewing are [`WorkshopCall`]s.

mod bay;
mod demo;

pub use bay::{BAY_KEY, InBay, set_terminal_bay, terminal_bay};

use std::path::Path;

use ridewire_engine::sync::workshops::{
    Bay, Booking, Customer, Membership, ReviewItem, SentPlan, Slot, Template, WorkshopAnswer,
    WorkshopCall,
};
use ridewire_sync_client::SyncHandle;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::account::{Saved, start_syncer};
use crate::rider::Rider;
use crate::task::Pending;
use crate::{Error, Result};

/// Setting: the last board fetched, as JSON.
pub const KEPT_KEY: &str = "workshop.board";
/// Setting: the workshop the terminal shows (its id).
pub const WORKSHOP_KEY: &str = "workshop.current";

/// What the terminal shows of one workshop, as fetched at `fetched_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub workshop: Membership,
    pub fetched_ms: i64,
    pub bays: Vec<Bay>,
    /// Today's and tomorrow's bookings (the server's two-day window).
    pub bookings: Vec<Booking>,
    /// Staff only; empty for a customer.
    pub customers: Vec<Customer>,
    /// Mechanics and the owner only; empty otherwise.
    pub reviews: Vec<ReviewItem>,
    /// The plans the workshop sent its customers, with their progress
    /// (staff only; a board kept before plans were fetched has none).
    #[serde(default)]
    pub plans: Vec<SentPlan>,
    /// The workshop's own plan templates.
    #[serde(default)]
    pub templates: Vec<Template>,
}

/// One slot of a bay on the board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardSlot {
    pub slot: Slot,
    /// The live booking that holds it.
    pub booking: Option<Booking>,
}

/// Sends `call` through the syncer and waits for the answer.
pub(crate) fn ask(handle: &SyncHandle, call: WorkshopCall) -> Result<WorkshopAnswer> {
    Ok(Pending::from("the sync thread", handle.workshop(call)?).wait()??)
}

pub(crate) fn unexpected(answer: &WorkshopAnswer) -> Error {
    Error::Input(format!("the server answered something else: {answer:?}"))
}

impl Board {
    /// Fetches `workshop`'s board through the syncer (blocking: call it off
    /// the main thread, as [`Board::fetching_for`] does).
    pub fn fetch(handle: &SyncHandle, workshop: Membership, now_ms: i64) -> Result<Board> {
        let id = workshop.workshop;
        let bays = match ask(handle, WorkshopCall::Bays { workshop: id })? {
            WorkshopAnswer::Bays(bays) => bays,
            other => return Err(unexpected(&other)),
        };
        let bookings = match ask(
            handle,
            WorkshopCall::Bookings {
                workshop: id,
                days: 2,
            },
        )? {
            WorkshopAnswer::Bookings(list) => list,
            other => return Err(unexpected(&other)),
        };
        let staff = workshop.role.staff();
        let customers = if staff {
            match ask(handle, WorkshopCall::Customers { workshop: id })? {
                WorkshopAnswer::Customers(list) => list,
                other => return Err(unexpected(&other)),
            }
        } else {
            Vec::new()
        };
        let reviews = if workshop.role.reviews() {
            match ask(handle, WorkshopCall::Reviews { workshop: id })? {
                WorkshopAnswer::Reviews(list) => list,
                other => return Err(unexpected(&other)),
            }
        } else {
            Vec::new()
        };
        let plans = if staff {
            match ask(handle, WorkshopCall::Plans { workshop: id })? {
                WorkshopAnswer::SentPlans(list) => list,
                other => return Err(unexpected(&other)),
            }
        } else {
            Vec::new()
        };
        let templates = match ask(handle, WorkshopCall::Templates { workshop: id })? {
            WorkshopAnswer::Templates(list) => list,
            other => return Err(unexpected(&other)),
        };
        Ok(Board {
            workshop,
            fetched_ms: now_ms,
            bays,
            bookings,
            customers,
            reviews,
            plans,
            templates,
        })
    }

    /// The board of the workshop `chosen` (the terminal's), or else of the
    /// first one the account is staff of (else a customer of).
    pub fn fetch_for(handle: &SyncHandle, chosen: Option<Uuid>, now_ms: i64) -> Result<Board> {
        let memberships = match ask(handle, WorkshopCall::List)? {
            WorkshopAnswer::Memberships(list) => list,
            other => return Err(unexpected(&other)),
        };
        let pick = chosen
            .and_then(|id| memberships.iter().find(|m| m.workshop == id))
            .or_else(|| memberships.iter().find(|m| m.role.staff()))
            .or_else(|| memberships.first())
            .cloned()
            .ok_or_else(|| {
                Error::Input(
                    "this account belongs to no workshop: found one, or join one with its code"
                        .into(),
                )
            })?;
        Board::fetch(handle, pick, now_ms)
    }

    /// [`Board::fetch_for`] on a thread of its own.
    pub fn fetching_for(
        handle: SyncHandle,
        chosen: Option<Uuid>,
        now_ms: i64,
    ) -> Pending<Result<Board>> {
        Pending::spawn("the board's fetch", move || {
            Board::fetch_for(&handle, chosen, now_ms)
        })
    }

    /// The board kept on this device, if any and readable.
    pub fn kept(rider: &Rider) -> Option<Board> {
        serde_json::from_str(&rider.setting(KEPT_KEY)?).ok()
    }

    /// Keeps this board (and its workshop as the terminal's) on the device.
    pub fn keep(&self, rider: &mut Rider) -> Result<()> {
        let text = serde_json::to_string(self)
            .map_err(|e| Error::Input(format!("the board cannot be kept: {e}")))?;
        rider.save_setting(KEPT_KEY, &text)?;
        rider.save_setting(WORKSHOP_KEY, &self.workshop.workshop.to_string())
    }

    /// The local day of `now_ms` at the workshop (the first bay's offset;
    /// UTC without bays).
    pub fn today(&self, now_ms: i64) -> i64 {
        match self.bays.first() {
            Some(bay) => bay.local_day(now_ms),
            None => now_ms.div_euclid(86_400_000),
        }
    }

    /// `bay`'s slots on local day `day`, each with the live booking that
    /// holds it.
    pub fn day(&self, bay: &Bay, day: i64) -> Vec<BoardSlot> {
        bay.slots_on(day)
            .into_iter()
            .map(|slot| BoardSlot {
                booking: self
                    .bookings
                    .iter()
                    .find(|b| {
                        b.bay == bay.id && b.start_ms == slot.start_ms && b.cancelled_ms.is_none()
                    })
                    .cloned(),
                slot,
            })
            .collect()
    }

    /// A customer as the board names them.
    pub fn customer_name(&self, customer: i64) -> String {
        self.customers
            .iter()
            .find(|c| c.customer == customer)
            .and_then(|c| c.display_name.clone())
            .unwrap_or_else(|| format!("Customer {customer}"))
    }

    /// A booking's bike in words ("Yamaha MT-07 (2021)"), when the
    /// customer named one and shares their bikes.
    pub fn bike_words(&self, booking: &Booking) -> Option<String> {
        let key = booking.bike.as_deref()?;
        let customer = self
            .customers
            .iter()
            .find(|c| c.customer == booking.customer)?;
        let bike = customer.bikes.iter().flatten().find(|r| r.key == key)?;
        let field = |f: &str| {
            bike.fields
                .get(f)
                .map(|v| v.value.to_string().trim_matches('"').to_owned())
                .unwrap_or_default()
        };
        Some(format!(
            "{} {} ({})",
            field("make"),
            field("model"),
            field("year")
        ))
    }

    /// The runs of `customer` waiting for review.
    pub fn open_reviews(&self, customer: i64) -> usize {
        self.reviews
            .iter()
            .filter(|r| r.customer == customer)
            .count()
    }

    /// The newest plan the workshop sent `customer` that they still
    /// follow, with its progress.
    pub fn plan_of(&self, customer: i64) -> Option<&SentPlan> {
        self.plans
            .iter()
            .filter(|p| p.customer == customer && !p.removed)
            .max_by_key(|p| p.sent_ms)
    }

    /// A plan's progress in words: "“Before the tour”: 1 of 3 done, 1
    /// proved" (the proofs said only when there are some).
    pub fn plan_words(plan: &SentPlan) -> String {
        let mut words = format!("“{}”: {} of {} done", plan.title, plan.done, plan.quests);
        if plan.proved > 0 {
            words.push_str(&format!(", {} proved", plan.proved));
        }
        words
    }

    /// The board without the review `run` (answered) and with `booking` in
    /// place of any booking of the same id (made or cancelled), until the
    /// next fetch brings the server's copy.
    pub fn with_answered(&mut self, run: Uuid) {
        self.reviews.retain(|r| r.run != run);
    }

    /// See [`Board::with_answered`].
    pub fn with_booking(&mut self, booking: Booking) {
        match self.bookings.iter_mut().find(|b| b.id == booking.id) {
            Some(old) => *old = booking,
            None => self.bookings.push(booking),
        }
    }

    /// The board as text, for `ridewire workshop board`.
    pub fn text(&self, now_ms: i64) -> String {
        let mut out = format!(
            "{} — {} bays, {} waiting for review\n",
            self.workshop.name,
            self.bays.len(),
            self.reviews.len()
        );
        let today = self.today(now_ms);
        for bay in &self.bays {
            out.push_str(&format!("{}\n", bay.name));
            let slots = self.day(bay, today);
            if slots.is_empty() {
                out.push_str("  closed today\n");
            }
            for s in slots {
                let at = clock_words(s.slot.start_ms, bay.utc_offset_min);
                match &s.booking {
                    Some(b) => {
                        let mut line =
                            format!("  {at}  {}: {}", self.customer_name(b.customer), b.service);
                        if let Some(bike) = self.bike_words(b) {
                            line.push_str(&format!(", {bike}"));
                        }
                        if let Some(plan) = self.plan_of(b.customer) {
                            line.push_str(&format!(", plan {}", Board::plan_words(plan)));
                        }
                        let open = self.open_reviews(b.customer);
                        if open > 0 {
                            line.push_str(&format!(", {open} diagnosis to review"));
                        }
                        out.push_str(&format!("{line}\n"));
                    }
                    None => out.push_str(&format!("  {at}  free\n")),
                }
            }
        }
        out
    }
}

/// `HH:MM` of `ms` at `utc_offset_min`.
pub fn clock_words(ms: i64, utc_offset_min: i16) -> String {
    let minutes = (ms + i64::from(utc_offset_min) * 60_000).div_euclid(60_000);
    let of_day = minutes.rem_euclid(24 * 60);
    format!("{:02}:{:02}", of_day / 60, of_day % 60)
}

/// Fetches `workshop`'s board once with the account kept in `database`,
/// keeps it there and returns it (`ridewire workshop board`).
pub fn fetch_once(database: &Path, workshop: Uuid, now_ms: i64) -> Result<Board> {
    let signed = Saved::read_file(database).signed_in().ok_or_else(|| {
        Error::NotSignedIn(
            "the board lives on the server: sign in first (Settings, or `ridewire sync`)".into(),
        )
    })?;
    let syncer = start_syncer(database, &signed)?;
    let handle = syncer.handle();
    let fetched = Board::fetch_for(&handle, Some(workshop), now_ms);
    syncer.stop();
    let board = fetched?;
    if board.workshop.workshop != workshop {
        return Err(Error::Input(format!(
            "you do not belong to workshop {workshop}"
        )));
    }
    let mut rider = Rider::open(database, now_ms)?;
    board.keep(&mut rider)?;
    Ok(board)
}

/// A plan being written, drawn as the rider's Map will draw it: the top
/// level's overworld as RGBA pixels, with the plan's size.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    /// Quests in the plan.
    pub quests: usize,
    pub title: String,
}

/// Draws `markdown`'s top level as the Map will (seed 0, as a sent plan
/// has); the parser's words when it is not a plan yet.
pub fn preview(markdown: &str) -> std::result::Result<Preview, String> {
    let parsed = ridewire_engine::plan::parse(markdown).map_err(|e| e.to_string())?;
    let quests = parsed
        .to_catalog()
        .map_err(|e| e.to_string())?
        .quests()
        .count();
    let run = crate::maps::map_of(markdown, "the plan", None, 0).map_err(|e| e.to_string())?;
    let (width, height, rgba) =
        crate::maps::render_rgba(&run.map, &crate::task::Progress::default())
            .map_err(|e| e.to_string())?;
    Ok(Preview {
        width,
        height,
        rgba,
        quests,
        title: parsed.title,
    })
}
