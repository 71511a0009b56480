//! A booking as the customer's devices hold it: a `booking` record the
//! server writes into the customer's records whenever one of their
//! bookings is made, moved or cancelled (devices may not write these), so
//! every device of theirs learns of it on the next pull — and the rider is
//! told when the workshop moved or cancelled it.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use uuid::Uuid;

use super::workshops::Booking;

/// What last happened to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Booked,
    Moved,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Moved => "moved",
            Status::Cancelled => "cancelled",
        }
    }

    fn of(word: &str) -> Option<Self> {
        match word {
            "booked" => Some(Status::Booked),
            "moved" => Some(Status::Moved),
            "cancelled" => Some(Status::Cancelled),
            _ => None,
        }
    }
}

/// A customer's booking, read from its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingView {
    pub id: Uuid,
    pub workshop: Uuid,
    pub workshop_name: String,
    pub bay_name: String,
    pub start_ms: i64,
    pub end_ms: i64,
    /// The bay's offset from UTC, for the times in the workshop's day.
    pub utc_offset_min: i16,
    pub service: String,
    pub status: Status,
    /// The last change was the workshop's (not the rider's own).
    pub by_workshop: bool,
    pub changed_ms: i64,
}

/// The record's fields for `booking` after a change `status`.
#[allow(clippy::too_many_arguments)]
pub fn fields(
    booking: &Booking,
    workshop_name: &str,
    bay_name: &str,
    utc_offset_min: i16,
    status: Status,
    by_workshop: bool,
    changed_ms: i64,
) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("workshop".to_owned(), json!(booking.workshop)),
        ("workshop_name".to_owned(), json!(workshop_name)),
        ("bay_name".to_owned(), json!(bay_name)),
        ("start_ms".to_owned(), json!(booking.start_ms)),
        ("end_ms".to_owned(), json!(booking.end_ms)),
        ("utc_offset_min".to_owned(), json!(utc_offset_min)),
        ("service".to_owned(), json!(booking.service)),
        ("status".to_owned(), json!(status.as_str())),
        ("by_workshop".to_owned(), json!(by_workshop)),
        ("changed_ms".to_owned(), json!(changed_ms)),
    ])
}

impl BookingView {
    /// The booking a record `key` with `fields` holds; `None` for a record
    /// that is not one.
    pub fn read(key: &str, fields: &BTreeMap<String, Value>) -> Option<Self> {
        let text = |f: &str| fields.get(f).and_then(Value::as_str).map(str::to_owned);
        let number = |f: &str| fields.get(f).and_then(Value::as_i64);
        Some(BookingView {
            id: key.parse().ok()?,
            workshop: text("workshop")?.parse().ok()?,
            workshop_name: text("workshop_name")?,
            bay_name: text("bay_name")?,
            start_ms: number("start_ms")?,
            end_ms: number("end_ms")?,
            utc_offset_min: i16::try_from(number("utc_offset_min").unwrap_or(0)).ok()?,
            service: text("service")?,
            status: Status::of(&text("status")?)?,
            by_workshop: fields.get("by_workshop").and_then(Value::as_bool)?,
            changed_ms: number("changed_ms")?,
        })
    }
}
