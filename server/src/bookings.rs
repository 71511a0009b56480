//! Bays and bookings (issue 15): a workshop's bays open on some weekdays
//! between two times of its local day and are booked in slots of one
//! length counted from the opening time, so two bookings of one bay either
//! start at the same minute or do not overlap at all. Who gets a slot is
//! decided by the database: a unique index over live bookings of a bay and
//! start (server migration 010) refuses the second one, whichever replica,
//! terminal or phone sent it; the loser is told the next free slots.

use std::collections::HashSet;

use crate::store::{Connection, OptionalExtension, params};
use ridewire_engine::sync::workshops::{Bay, Booking, NewBay, NewBooking, Slot};
use uuid::Uuid;

use crate::config::DAY_MS;
use crate::error::{AppError, Result};
use crate::workshops::check_name;

/// Bays one workshop may have.
pub const MAX_BAYS: i64 = 20;
/// Longest service description, in characters.
pub const MAX_SERVICE_CHARS: usize = 120;
/// Longest booking note, in characters.
pub const MAX_NOTES_CHARS: usize = 1_000;
/// Longest bike key named by a booking, in characters.
pub const MAX_BIKE_CHARS: usize = 128;
/// How far ahead a slot may be booked, in days.
pub const HORIZON_DAYS: i64 = 90;
/// Days of slots one listing covers at most.
pub const MAX_LISTED_DAYS: i64 = 14;
/// Free slots offered to the loser of a race for a slot.
pub const NEXT_FREE_SHOWN: usize = 5;
/// Live future bookings one customer may hold at one workshop.
pub const MAX_LIVE_BOOKINGS: i64 = 10;
/// Shortest and longest slot, in minutes.
pub const SLOT_MINUTES: std::ops::RangeInclusive<u16> = 15..=480;
/// UTC offsets a workshop may have, in minutes.
pub const OFFSETS: std::ops::RangeInclusive<i16> = -840..=840;

fn bad(code: &'static str, message: String) -> AppError {
    AppError::bad_request(code, message)
}

/// A bay as asked for, or why it cannot be one.
pub fn check_bay(new: &NewBay) -> Result<()> {
    check_name(&new.name).map_err(|_| {
        bad(
            "invalid_bay",
            "a bay's name has 1 to 80 characters, no control characters and no spaces around it"
                .into(),
        )
    })?;
    if new.opens_min >= new.closes_min || new.closes_min > 1440 {
        return Err(bad(
            "invalid_bay",
            "a bay opens before it closes, within one day (minutes 0 to 1440)".into(),
        ));
    }
    if !SLOT_MINUTES.contains(&new.slot_minutes)
        || new.opens_min + new.slot_minutes > new.closes_min
    {
        return Err(bad(
            "invalid_bay",
            "a slot lasts 15 to 480 minutes and fits between opening and closing".into(),
        ));
    }
    let mut days = new.days.clone();
    days.sort_unstable();
    days.dedup();
    if days.is_empty() || days.len() != new.days.len() || days.iter().any(|d| !(1..=7).contains(d))
    {
        return Err(bad(
            "invalid_bay",
            "the days open are weekdays 1 (Monday) to 7 (Sunday), each once".into(),
        ));
    }
    if !OFFSETS.contains(&new.utc_offset_min) {
        return Err(bad(
            "invalid_bay",
            "a UTC offset is -840 to 840 minutes".into(),
        ));
    }
    Ok(())
}

fn bay_from_row(r: &crate::store::Row) -> crate::store::Result<(String, Bay)> {
    let id: String = r.get(0)?;
    let days: String = r.get(4)?;
    Ok((
        id,
        Bay {
            id: Uuid::nil(),
            name: r.get(1)?,
            opens_min: r.get(2)?,
            closes_min: r.get(3)?,
            days: days.bytes().filter_map(|b| b.checked_sub(b'0')).collect(),
            slot_minutes: r.get(5)?,
            utc_offset_min: r.get(6)?,
        },
    ))
}

fn with_id((id, mut bay): (String, Bay)) -> Result<Bay> {
    bay.id = Uuid::parse_str(&id).map_err(|e| AppError::Internal(format!("stored bay id: {e}")))?;
    Ok(bay)
}

const BAY_COLUMNS: &str = "id, name, opens_min, closes_min, days, slot_minutes, utc_offset_min";

/// The workshop's bays, by name.
pub fn bays_of(conn: &Connection, workshop: Uuid) -> Result<Vec<Bay>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {BAY_COLUMNS} FROM workshop_bays WHERE workshop = ?1 ORDER BY name, id"
    ))?;
    let rows = stmt
        .query_map([workshop.to_string()], bay_from_row)?
        .collect::<crate::store::Result<Vec<_>>>()?;
    rows.into_iter().map(with_id).collect()
}

/// One bay of the workshop; 404 when it has none by that id.
pub fn bay_of(conn: &Connection, workshop: Uuid, bay: Uuid) -> Result<Bay> {
    let row = conn
        .query_row(
            &format!("SELECT {BAY_COLUMNS} FROM workshop_bays WHERE workshop = ?1 AND id = ?2"),
            params![workshop.to_string(), bay.to_string()],
            bay_from_row,
        )
        .optional()?;
    row.map(with_id)
        .transpose()?
        .ok_or_else(|| AppError::NotFound("the workshop has no such bay".into()))
}

/// Adds a bay to the workshop.
pub fn add_bay(tx: &Connection, workshop: Uuid, new: &NewBay, now: i64) -> Result<Bay> {
    let count: i64 = tx.query_row(
        "SELECT count(*) FROM workshop_bays WHERE workshop = ?1",
        [workshop.to_string()],
        |r| r.get(0),
    )?;
    if count >= MAX_BAYS {
        return Err(AppError::conflict(
            "too_many_bays",
            format!("a workshop has at most {MAX_BAYS} bays"),
        ));
    }
    let id = Uuid::now_v7();
    let mut days = new.days.clone();
    days.sort_unstable();
    let days_text: String = days.iter().map(|d| char::from(b'0' + d)).collect();
    tx.execute(
        "INSERT INTO workshop_bays (id, workshop, name, opens_min, closes_min, days,
             slot_minutes, utc_offset_min, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id.to_string(),
            workshop.to_string(),
            new.name,
            new.opens_min,
            new.closes_min,
            days_text,
            new.slot_minutes,
            new.utc_offset_min,
            now
        ],
    )?;
    bay_of(tx, workshop, id)
}

/// Changes a bay's name, hours, days, slot length or offset. Every live
/// booking still to come must keep its slot under the new hours (the same
/// start and end): otherwise 409 `bookings_outside_hours` says which, and
/// nothing changes — the owner moves or cancels them first, and their
/// customers hear of it.
pub fn edit_bay(tx: &Connection, workshop: Uuid, bay: Uuid, new: &NewBay, now: i64) -> Result<Bay> {
    let old = bay_of(tx, workshop, bay)?;
    let mut days = new.days.clone();
    days.sort_unstable();
    days.dedup();
    let edited = Bay {
        id: old.id,
        name: new.name.clone(),
        opens_min: new.opens_min,
        closes_min: new.closes_min,
        days: days.clone(),
        slot_minutes: new.slot_minutes,
        utc_offset_min: new.utc_offset_min,
    };
    let mut stmt = tx.prepare(
        "SELECT start_ms, end_ms FROM bookings
         WHERE bay = ?1 AND cancelled_ms IS NULL AND end_ms > ?2 ORDER BY start_ms",
    )?;
    let coming = stmt
        .query_map(params![bay.to_string(), now], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<crate::store::Result<Vec<_>>>()?;
    let outside: Vec<i64> = coming
        .into_iter()
        .filter(|&(start, end)| {
            edited
                .slot_at(start)
                .is_none_or(|s| s.start_ms != start || s.end_ms != end)
        })
        .map(|(start, _)| start)
        .collect();
    if let Some(first) = outside.first() {
        return Err(AppError::conflict(
            "bookings_outside_hours",
            format!(
                "{} booking(s) to come would not fit the new hours (the first at {}): move or \
                 cancel them first",
                outside.len(),
                crate::clock::local_words(*first, old.utc_offset_min)
            ),
        ));
    }
    let days_text: String = days.iter().map(|d| char::from(b'0' + d)).collect();
    tx.execute(
        "UPDATE workshop_bays SET name = ?1, opens_min = ?2, closes_min = ?3, days = ?4,
             slot_minutes = ?5, utc_offset_min = ?6
         WHERE workshop = ?7 AND id = ?8",
        params![
            new.name,
            new.opens_min,
            new.closes_min,
            days_text,
            new.slot_minutes,
            new.utc_offset_min,
            workshop.to_string(),
            bay.to_string()
        ],
    )?;
    bay_of(tx, workshop, bay)
}

/// Starts of the live bookings of `bay` in `[from, to)`.
fn taken(conn: &Connection, bay: Uuid, from: i64, to: i64) -> Result<HashSet<i64>> {
    let mut stmt = conn.prepare(
        "SELECT start_ms FROM bookings
         WHERE bay = ?1 AND cancelled_ms IS NULL AND start_ms >= ?2 AND start_ms < ?3",
    )?;
    let starts = stmt
        .query_map(params![bay.to_string(), from, to], |r| r.get::<_, i64>(0))?
        .collect::<crate::store::Result<HashSet<_>>>()?;
    Ok(starts)
}

/// The workshop's free slots from `from_ms` over `days` local days, the
/// earliest first (bays in name order at one time), at most `limit`.
pub fn free_slots(
    conn: &Connection,
    workshop: Uuid,
    from_ms: i64,
    days: i64,
    limit: usize,
) -> Result<Vec<Slot>> {
    let mut free = Vec::new();
    for bay in bays_of(conn, workshop)? {
        let all = bay.slots(from_ms, days);
        let (Some(first), Some(last)) = (all.first(), all.last()) else {
            continue;
        };
        let gone = taken(conn, bay.id, first.start_ms, last.end_ms)?;
        free.extend(all.into_iter().filter(|s| !gone.contains(&s.start_ms)));
    }
    free.sort_by_key(|s| s.start_ms);
    free.truncate(limit);
    Ok(free)
}

/// What came of asking for a slot.
#[derive(Debug)]
pub enum Booked {
    /// The slot is the customer's.
    Made(Booking),
    /// Someone else holds this slot now (the next free ones are read after
    /// the write, off the single writer).
    Taken(Slot),
}

fn check_booking(new: &NewBooking) -> Result<()> {
    let chars = new.service.chars().count();
    if chars == 0 || chars > MAX_SERVICE_CHARS || new.service.chars().any(char::is_control) {
        return Err(bad(
            "invalid_booking",
            format!(
                "the service has 1 to {MAX_SERVICE_CHARS} characters and no control characters"
            ),
        ));
    }
    if new.notes.chars().count() > MAX_NOTES_CHARS {
        return Err(bad(
            "invalid_booking",
            format!("the notes have at most {MAX_NOTES_CHARS} characters"),
        ));
    }
    if new
        .bike
        .as_ref()
        .is_some_and(|b| b.is_empty() || b.chars().count() > MAX_BIKE_CHARS)
    {
        return Err(bad(
            "invalid_booking",
            format!("a bike is named by its key of 1 to {MAX_BIKE_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Books `new` for `customer` (written by `booked_by`) at `now`. The slot
/// must be one of the bay's, in the future and within [`HORIZON_DAYS`].
pub fn book(
    tx: &Connection,
    workshop: Uuid,
    customer: i64,
    booked_by: i64,
    new: &NewBooking,
    now: i64,
) -> Result<Booked> {
    check_booking(new)?;
    if let Some(id) = new.id
        && let Some(held) = booking(tx, id).map(Some).or_else(|e| match e {
            AppError::NotFound(_) => Ok(None),
            other => Err(other),
        })?
    {
        // The same booking sent again (a reply lost on the way, a queue
        // sent twice): the booking it made, not a second one.
        let same = held.workshop == workshop
            && held.customer == customer
            && held.bay == new.bay
            && held.start_ms == new.start_ms;
        if !same {
            return Err(AppError::conflict(
                "booking_id_taken",
                "another booking has this id: make a new one for a new booking",
            ));
        }
        return Ok(Booked::Made(held));
    }
    let bay = bay_of(tx, workshop, new.bay)?;
    let Some(slot) = bay.slot_at(new.start_ms) else {
        return Err(bad(
            "not_a_slot",
            "the bay has no slot starting then: ask for its free slots".into(),
        ));
    };
    if slot.start_ms <= now || slot.start_ms > now + HORIZON_DAYS * DAY_MS {
        return Err(bad(
            "not_a_slot",
            format!("a slot is booked in the future, at most {HORIZON_DAYS} days ahead"),
        ));
    }
    let live: i64 = tx.query_row(
        "SELECT count(*) FROM bookings
         WHERE workshop = ?1 AND customer = ?2 AND cancelled_ms IS NULL AND end_ms > ?3",
        params![workshop.to_string(), customer, now],
        |r| r.get(0),
    )?;
    if live >= MAX_LIVE_BOOKINGS {
        return Err(AppError::conflict(
            "too_many_bookings",
            format!("a customer holds at most {MAX_LIVE_BOOKINGS} bookings ahead at one workshop"),
        ));
    }
    let id = new.id.unwrap_or_else(Uuid::now_v7);
    // A refusal must not break the open transaction (PostgreSQL).
    let inserted = tx.savepoint(|tx| {
        tx.execute(
            "INSERT INTO bookings (id, bay, workshop, customer, start_ms, end_ms, service, bike,
             notes, booked_by, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                id.to_string(),
                bay.id.to_string(),
                workshop.to_string(),
                customer,
                slot.start_ms,
                slot.end_ms,
                new.service,
                new.bike,
                new.notes,
                booked_by,
                now
            ],
        )
    });
    match inserted {
        Ok(_) => booking(tx, id).map(Booked::Made),
        Err(e) if e.is_unique_violation() => Ok(Booked::Taken(slot)),
        Err(e) => Err(e.into()),
    }
}

const BOOKING_COLUMNS: &str = "id, workshop, bay, customer, start_ms, end_ms, service, bike, \
                               notes, created_ms, cancelled_ms";

fn read_booking(r: &crate::store::Row) -> crate::store::Result<([String; 3], Booking)> {
    Ok((
        [r.get(0)?, r.get(1)?, r.get(2)?],
        Booking {
            id: Uuid::nil(),
            workshop: Uuid::nil(),
            bay: Uuid::nil(),
            customer: r.get(3)?,
            start_ms: r.get(4)?,
            end_ms: r.get(5)?,
            service: r.get(6)?,
            bike: r.get(7)?,
            notes: r.get(8)?,
            created_ms: r.get(9)?,
            cancelled_ms: r.get(10)?,
        },
    ))
}

fn with_ids(([id, workshop, bay], mut booking): ([String; 3], Booking)) -> Result<Booking> {
    let parse = |s: &str| {
        Uuid::parse_str(s).map_err(|e| AppError::Internal(format!("stored booking id: {e}")))
    };
    booking.id = parse(&id)?;
    booking.workshop = parse(&workshop)?;
    booking.bay = parse(&bay)?;
    Ok(booking)
}

/// One booking by id.
pub fn booking(conn: &Connection, id: Uuid) -> Result<Booking> {
    conn.query_row(
        &format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE id = ?1"),
        [id.to_string()],
        read_booking,
    )
    .optional()?
    .map(with_ids)
    .transpose()?
    .ok_or_else(|| AppError::NotFound("no such booking".into()))
}

/// The workshop's bookings starting in `[from, to)`, the cancelled ones
/// too, earliest first; only `customer`'s when given.
pub fn bookings_of(
    conn: &Connection,
    workshop: Uuid,
    customer: Option<i64>,
    from: i64,
    to: i64,
) -> Result<Vec<Booking>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings
         WHERE workshop = ?1 AND start_ms >= ?2 AND start_ms < ?3
           AND (CAST(?4 AS BIGINT) IS NULL OR customer = ?4)
         ORDER BY start_ms, bay LIMIT 1000"
    ))?;
    let rows = stmt
        .query_map(
            params![workshop.to_string(), from, to, customer],
            read_booking,
        )?
        .collect::<crate::store::Result<Vec<_>>>()?;
    rows.into_iter().map(with_ids).collect()
}

/// Every booking of `customer` at any workshop (the account's export).
pub fn bookings_of_customer(conn: &Connection, customer: i64) -> Result<Vec<Booking>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings WHERE customer = ?1 ORDER BY start_ms, id"
    ))?;
    let rows = stmt
        .query_map([customer], read_booking)?
        .collect::<crate::store::Result<Vec<_>>>()?;
    rows.into_iter().map(with_ids).collect()
}

/// Cancels booking `id` of `workshop` at `now` (again: nothing changes).
pub fn cancel(tx: &Connection, workshop: Uuid, id: Uuid, now: i64) -> Result<Booking> {
    let found = booking(tx, id)?;
    if found.workshop != workshop {
        return Err(AppError::NotFound("no such booking".into()));
    }
    tx.execute(
        "UPDATE bookings SET cancelled_ms = ?1 WHERE id = ?2 AND cancelled_ms IS NULL",
        params![now, id.to_string()],
    )?;
    booking(tx, id)
}

/// Moves the live booking `id` of `workshop` to `start_ms` on `bay` (a
/// slot of that bay in the future); a slot someone holds answers
/// [`Booked::Taken`], as booking it would.
pub fn move_to(
    tx: &Connection,
    workshop: Uuid,
    id: Uuid,
    bay: Uuid,
    start_ms: i64,
    now: i64,
) -> Result<Booked> {
    let found = booking(tx, id)?;
    if found.workshop != workshop {
        return Err(AppError::NotFound("no such booking".into()));
    }
    if found.cancelled_ms.is_some() {
        return Err(AppError::conflict(
            "booking_cancelled",
            "a cancelled booking cannot be moved: book a new one",
        ));
    }
    let bay = bay_of(tx, workshop, bay)?;
    let Some(slot) = bay.slot_at(start_ms) else {
        return Err(bad(
            "not_a_slot",
            "the bay has no slot starting then: ask for its free slots".into(),
        ));
    };
    if slot.start_ms <= now || slot.start_ms > now + HORIZON_DAYS * DAY_MS {
        return Err(bad(
            "not_a_slot",
            format!("a slot is booked in the future, at most {HORIZON_DAYS} days ahead"),
        ));
    }
    // A refusal must not break the open transaction (PostgreSQL).
    let moved = tx.savepoint(|tx| {
        tx.execute(
            "UPDATE bookings SET bay = ?1, start_ms = ?2, end_ms = ?3 WHERE id = ?4",
            params![
                bay.id.to_string(),
                slot.start_ms,
                slot.end_ms,
                id.to_string()
            ],
        )
    });
    match moved {
        Ok(_) => booking(tx, id).map(Booked::Made),
        Err(e) if e.is_unique_violation() => Ok(Booked::Taken(slot)),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bay() -> Bay {
        Bay {
            id: Uuid::nil(),
            name: "Bay 1".into(),
            opens_min: 8 * 60,
            closes_min: 17 * 60,
            days: vec![1, 2, 3, 4, 5],
            slot_minutes: 120,
            utc_offset_min: 60,
        }
    }

    /// Monday 2026-03-02 00:00 UTC.
    const MONDAY: i64 = 1_772_409_600_000;

    #[test]
    fn slots_follow_local_hours_on_open_days_only() {
        let week = bay().slots(MONDAY, 7);
        // 08:00, 10:00, 12:00, 14:00 (16:00 would end after closing), five days.
        assert_eq!(week.len(), 20);
        // 08:00 at UTC+1 is 07:00 UTC.
        assert_eq!(week[0].start_ms, MONDAY + 7 * 3_600_000);
        assert_eq!(week[0].end_ms - week[0].start_ms, 2 * 3_600_000);
        assert_eq!(
            ridewire_engine::sync::workshops::weekday(bay().local_day(MONDAY)),
            1
        );
        // Saturday and Sunday have none.
        assert!(bay().slots(MONDAY + 5 * 86_400_000, 2).is_empty());
        // A start between two slots is not one.
        assert!(bay().slot_at(MONDAY + 7 * 3_600_000).is_some());
        assert!(bay().slot_at(MONDAY + 8 * 3_600_000).is_none());
    }

    #[test]
    fn bays_that_cannot_open_are_refused() {
        let good = NewBay {
            name: "Lift 2".into(),
            opens_min: 480,
            closes_min: 1020,
            days: vec![6, 1],
            slot_minutes: 60,
            utc_offset_min: -300,
        };
        assert!(check_bay(&good).is_ok());
        for bad in [
            NewBay {
                opens_min: 1020,
                closes_min: 480,
                ..good.clone()
            },
            NewBay {
                closes_min: 1441,
                ..good.clone()
            },
            NewBay {
                slot_minutes: 10,
                ..good.clone()
            },
            NewBay {
                slot_minutes: 600,
                ..good.clone()
            },
            NewBay {
                days: vec![],
                ..good.clone()
            },
            NewBay {
                days: vec![1, 1],
                ..good.clone()
            },
            NewBay {
                days: vec![0],
                ..good.clone()
            },
            NewBay {
                utc_offset_min: 900,
                ..good.clone()
            },
            NewBay {
                name: " Lift".into(),
                ..good.clone()
            },
        ] {
            assert!(check_bay(&bad).is_err(), "{bad:?}");
        }
    }
}
