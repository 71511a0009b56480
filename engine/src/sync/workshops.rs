//! The wire contract of workshops (issue 15): an organisation on the
//! server with its owner, mechanics and front desk, and its customers,
//! riders who joined with an invitation code and share what they choose.
//! The server answers these bodies (`/api/v1/workshops…`,
//! `/api/v1/invitations/accept`); the device side asks with a
//! [`WorkshopCall`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::diagnostics::consensus::Consensus;
use crate::diagnostics::gate::SafetyFlag;
use crate::diagnostics::request::DiagnosticRequest;
pub use crate::diagnostics::review::{Review, ReviewInput, Verdict};
use crate::sync::record::Record;

/// What a member is in a workshop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Mechanic,
    FrontDesk,
    Customer,
}

impl Role {
    /// The word on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Mechanic => "mechanic",
            Role::FrontDesk => "front_desk",
            Role::Customer => "customer",
        }
    }

    /// Owner, mechanic or front desk.
    pub fn staff(self) -> bool {
        self != Role::Customer
    }

    /// Whether the role answers escalated runs: mechanics and the owner
    /// (the front desk books; it does not diagnose).
    pub fn reviews(self) -> bool {
        matches!(self, Role::Owner | Role::Mechanic)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(word: &str) -> Result<Self, String> {
        match word {
            "owner" => Ok(Role::Owner),
            "mechanic" => Ok(Role::Mechanic),
            "front_desk" => Ok(Role::FrontDesk),
            "customer" => Ok(Role::Customer),
            other => Err(format!(
                "{other:?} is no role in a workshop: owner, mechanic, front_desk or customer"
            )),
        }
    }
}

/// What a customer lets the workshop's staff see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Share {
    /// The bikes in their garage (vehicle records).
    Bikes,
    /// Their diagnoses (the newest runs).
    Diagnoses,
}

impl Share {
    /// The word on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Share::Bikes => "bikes",
            Share::Diagnoses => "diagnoses",
        }
    }
}

impl FromStr for Share {
    type Err = String;

    fn from_str(word: &str) -> Result<Self, String> {
        match word {
            "bikes" => Ok(Share::Bikes),
            "diagnoses" => Ok(Share::Diagnoses),
            other => Err(format!(
                "{other:?} cannot be shared with a workshop: bikes or diagnoses"
            )),
        }
    }
}

/// One's place in a workshop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub workshop: Uuid,
    pub name: String,
    pub role: Role,
    /// What a customer shares (empty for staff).
    pub shares: Vec<Share>,
    pub since_ms: i64,
}

/// The workshops one belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memberships {
    pub workshops: Vec<Membership>,
}

/// `POST /api/v1/workshops`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWorkshop {
    pub name: String,
}

/// `POST /api/v1/workshops/{workshop}/invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    pub role: Role,
}

/// A code to join a workshop, given by hand or in a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub code: String,
    pub workshop: Uuid,
    pub role: Role,
    pub expires_ms: i64,
}

/// `POST /api/v1/invitations/accept`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub code: String,
    /// What a customer shares (the server's default: bikes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<Vec<Share>>,
}

/// `PUT /api/v1/workshops/{workshop}/sharing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sharing {
    pub shares: Vec<Share>,
}

/// A diagnosis as a workshop sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: Uuid,
    pub created_ms: i64,
    /// approved, escalated or rejected.
    pub decision: String,
    pub request: DiagnosticRequest,
}

/// One customer as the workshop's staff see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// The account (stable while it exists).
    pub customer: i64,
    /// Their leaderboard name, if they chose one.
    pub display_name: Option<String>,
    pub since_ms: i64,
    pub shares: Vec<Share>,
    /// Shared bikes: their vehicle records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bikes: Option<Vec<Record>>,
    /// Shared diagnoses: the newest runs, newest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnoses: Option<Vec<RunSummary>>,
}

/// A workshop's customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customers {
    pub customers: Vec<Customer>,
}

/// A bay of a workshop: where one bike is worked on at a time, open on
/// some weekdays between two times of the workshop's local day, booked in
/// slots of one length from its opening time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bay {
    pub id: Uuid,
    pub name: String,
    /// Opening time, minutes after local midnight.
    pub opens_min: u16,
    /// Closing time, minutes after local midnight (1440: midnight).
    pub closes_min: u16,
    /// Days open, Monday 1 to Sunday 7.
    pub days: Vec<u8>,
    pub slot_minutes: u16,
    /// The workshop's offset from UTC, in minutes.
    pub utc_offset_min: i16,
}

const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

/// Monday 1 … Sunday 7 of a local day (days since 1970-01-01, which was a
/// Thursday).
pub fn weekday(day: i64) -> u8 {
    (day + 3).rem_euclid(7) as u8 + 1
}

impl Bay {
    /// The local day (days since 1970-01-01 in the bay's time) of `ms`.
    pub fn local_day(&self, ms: i64) -> i64 {
        (ms + i64::from(self.utc_offset_min) * MINUTE_MS).div_euclid(DAY_MS)
    }

    /// When local day `day` starts, Unix ms.
    pub fn midnight(&self, day: i64) -> i64 {
        day * DAY_MS - i64::from(self.utc_offset_min) * MINUTE_MS
    }

    /// The bay's slots on local day `day` (none on a day it is closed).
    pub fn slots_on(&self, day: i64) -> Vec<Slot> {
        if !self.days.contains(&weekday(day)) || self.slot_minutes == 0 {
            return Vec::new();
        }
        let midnight = self.midnight(day);
        let (slot, closes) = (self.slot_minutes, self.closes_min);
        (0..)
            .map(|k| self.opens_min + k * slot)
            .take_while(|start| start + slot <= closes)
            .map(|start| Slot {
                bay: self.id,
                start_ms: midnight + i64::from(start) * MINUTE_MS,
                end_ms: midnight + i64::from(start + slot) * MINUTE_MS,
            })
            .collect()
    }

    /// The bay's slots starting at or after `from_ms`, on `days` local days.
    pub fn slots(&self, from_ms: i64, days: i64) -> Vec<Slot> {
        let first = self.local_day(from_ms);
        (first..first + days)
            .flat_map(|day| self.slots_on(day))
            .filter(|s| s.start_ms >= from_ms)
            .collect()
    }

    /// The slot that starts at `start_ms`, if one does.
    pub fn slot_at(&self, start_ms: i64) -> Option<Slot> {
        self.slots_on(self.local_day(start_ms))
            .into_iter()
            .find(|s| s.start_ms == start_ms)
    }
}

/// `POST /api/v1/workshops/{workshop}/bays`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBay {
    pub name: String,
    pub opens_min: u16,
    pub closes_min: u16,
    pub days: Vec<u8>,
    pub slot_minutes: u16,
    pub utc_offset_min: i16,
}

/// A slot of a bay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub bay: Uuid,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// `POST /api/v1/workshops/{workshop}/bookings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    pub bay: Uuid,
    pub start_ms: i64,
    /// What is to be done, e.g. "Annual service".
    pub service: String,
    /// The customer's bike (its garage record key), if they name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bike: Option<String>,
    #[serde(default)]
    pub notes: String,
    /// Staff booking for a customer: the customer's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<i64>,
    /// The booking's id, made by the device: the same booking sent again
    /// (a queue sent after a lost reply) answers the booking it made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
}

/// `PUT /api/v1/workshops/{workshop}/bookings/{booking}`: move a booking
/// to another slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBooking {
    pub bay: Uuid,
    pub start_ms: i64,
}

/// A booking as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: Uuid,
    pub workshop: Uuid,
    pub bay: Uuid,
    pub customer: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    pub service: String,
    pub bike: Option<String>,
    pub notes: String,
    pub created_ms: i64,
    /// When it was cancelled, if it was.
    pub cancelled_ms: Option<i64>,
}

/// What a device asks the server about workshops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkshopCall {
    /// Found a workshop named so; the caller owns it.
    Found { name: String },
    /// The workshops the caller belongs to.
    List,
    /// A code to join `workshop` as `role`.
    Invite { workshop: Uuid, role: Role },
    /// Join with a code.
    Accept {
        code: String,
        shares: Option<Vec<Share>>,
    },
    /// What the caller, a customer, shares with `workshop`.
    Share { workshop: Uuid, shares: Vec<Share> },
    /// Leave `workshop`.
    Leave { workshop: Uuid },
    /// `workshop`'s customers (staff only).
    Customers { workshop: Uuid },
    /// Add a bay to `workshop` (its owner).
    AddBay { workshop: Uuid, bay: NewBay },
    /// Change a bay's name or hours (its owner).
    EditBay {
        workshop: Uuid,
        bay: Uuid,
        hours: NewBay,
    },
    /// `workshop`'s free slots over `days` days from now.
    Slots { workshop: Uuid, days: u8 },
    /// Book a slot.
    Book { workshop: Uuid, booking: NewBooking },
    /// Bookings over `days` days from now (staff: all; a customer: theirs).
    Bookings { workshop: Uuid, days: u8 },
    /// Cancel a booking.
    Cancel { workshop: Uuid, booking: Uuid },
    /// Move a booking to another slot.
    Move {
        workshop: Uuid,
        booking: Uuid,
        to: MoveBooking,
    },
    /// `workshop`'s bays (any member).
    Bays { workshop: Uuid },
    /// Send a plan to a customer's bike (mechanics and the owner).
    SendPlan {
        workshop: Uuid,
        plan: PlanForCustomer,
    },
    /// The plans `workshop` sent, with how far each customer is (staff).
    Plans { workshop: Uuid },
    /// `workshop`'s own plan templates (any member).
    Templates { workshop: Uuid },
    /// Keep a plan as one of `workshop`'s templates (mechanics and owner).
    SaveTemplate {
        workshop: Uuid,
        name: String,
        markdown: String,
    },
    /// `workshop`'s review queue (its mechanics and owner).
    Reviews { workshop: Uuid },
    /// A mechanic's answer to one escalated run.
    Review {
        workshop: Uuid,
        run: Uuid,
        input: ReviewInput,
    },
}

/// The server's answer to a [`WorkshopCall`].
#[derive(Debug, Clone, PartialEq)]
pub enum WorkshopAnswer {
    Membership(Membership),
    Memberships(Vec<Membership>),
    Invitation(Invitation),
    Left,
    Customers(Vec<Customer>),
    Bay(Bay),
    Bays(Vec<Bay>),
    Slots(Vec<Slot>),
    Booked(Booking),
    /// The slot was just taken by someone else; the next free slots.
    Taken(Vec<Slot>),
    Bookings(Vec<Booking>),
    Reviews(Vec<ReviewItem>),
    Reviewed(Reviewed),
    SentPlan(SentPlan),
    SentPlans(Vec<SentPlan>),
    Template(Template),
    Templates(Vec<Template>),
}

/// One of a workshop's own plan templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Its slug: lower-case words joined by dashes.
    pub name: String,
    pub title: String,
    pub markdown: String,
    pub updated_ms: i64,
}

/// `PUT /api/v1/workshops/{workshop}/templates/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    pub markdown: String,
}

/// `GET /api/v1/workshops/{workshop}/templates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Templates {
    pub templates: Vec<Template>,
}

/// A template's name from a plan's title: lower-case letters and digits,
/// words joined by dashes, at most 64 characters ("Spring service" →
/// `spring-service`); `None` when nothing is left.
pub fn template_name(title: &str) -> Option<String> {
    let mut name = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !name.is_empty() {
            name.push('-');
        }
        name.push_str(&word.to_ascii_lowercase());
    }
    name.truncate(64);
    let name = name.trim_end_matches('-').to_owned();
    (!name.is_empty()).then_some(name)
}

/// `POST /api/v1/workshops/{workshop}/plans`: a maintenance plan a mechanic
/// wrote for a customer (and one of their bikes, when the customer shares
/// them). It becomes one of the customer's own plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanForCustomer {
    pub customer: i64,
    /// The bike's garage record key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bike: Option<String>,
    /// The plan, in the Markdown `ridewire plan` reads.
    pub markdown: String,
}

/// A plan a workshop sent, and how far its customer is with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentPlan {
    /// Its record key among the customer's plans.
    pub key: String,
    pub customer: i64,
    pub title: String,
    pub bike: Option<String>,
    pub sent_ms: i64,
    /// Quests in the plan (as the customer's copy reads now).
    pub quests: u32,
    /// Quests the customer has completed.
    pub done: u32,
    /// Quests of it the customer has sent a proof for (a photo of the
    /// work or the place it was done).
    #[serde(default)]
    pub proved: u32,
    /// The customer removed it from their plans.
    pub removed: bool,
}

/// `GET /api/v1/workshops/{workshop}/plans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentPlans {
    pub plans: Vec<SentPlan>,
}

/// An escalated run waiting for a mechanic: whose, what was asked, what
/// the agents agreed on and why the gate held it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub run: Uuid,
    pub customer: i64,
    pub display_name: Option<String>,
    pub created_ms: i64,
    pub request: DiagnosticRequest,
    /// `None` when no agent answered usably.
    pub consensus: Option<Consensus>,
    pub flags: Vec<SafetyFlag>,
}

/// `GET /api/v1/workshops/{workshop}/reviews`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewQueue {
    pub runs: Vec<ReviewItem>,
}

/// A review as recorded: the event in the rider's log that carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewed {
    pub run: Uuid,
    pub event_id: Uuid,
    pub reviewed_ms: i64,
    pub review: Review,
}

/// `GET /api/v1/workshops/{workshop}/bays`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bays {
    pub bays: Vec<Bay>,
}

/// `GET /api/v1/workshops/{workshop}/slots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slots {
    pub slots: Vec<Slot>,
}

/// `GET /api/v1/workshops/{workshop}/bookings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bookings {
    pub bookings: Vec<Booking>,
}

/// The body of `409 slot_taken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotTaken {
    pub next_free: Vec<Slot>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_shares_read_back_as_written() {
        for role in [Role::Owner, Role::Mechanic, Role::FrontDesk, Role::Customer] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_value(role).ok(),
                Some(serde_json::json!(role.as_str()))
            );
        }
        for share in [Share::Bikes, Share::Diagnoses] {
            assert_eq!(share.as_str().parse::<Share>(), Ok(share));
        }
        assert!("boss".parse::<Role>().is_err());
        assert!("photos".parse::<Share>().is_err());
    }
}
