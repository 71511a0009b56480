//! Bookings made without a connection (issue 15): queued on the device in
//! the rider's settings, each with the id the device made for it, and sent
//! when the server can be reached — confirmed, or refused with the reason
//! and the next free slots — never silently lost. Sending the same
//! booking twice (a reply lost on the way) answers the booking it made:
//! the server knows it by its id.

use ridewire_engine::sync::workshops::{Booking, NewBooking, Slot, WorkshopAnswer, WorkshopCall};
use ridewire_sync_client::SyncHandle;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rider::Rider;
use crate::task::Pending;
use crate::{Error, Result};

/// Setting: the queued bookings, as JSON.
pub const QUEUE_KEY: &str = "workshop.booking_queue";

/// A booking waiting for the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub workshop: Uuid,
    /// With its device-made id set.
    pub booking: NewBooking,
    pub queued_ms: i64,
}

/// What became of a queued booking when it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The server has it.
    Confirmed(Booking),
    /// The server said no; the reason, and the next free slots when the
    /// slot was taken meanwhile.
    Refused {
        queued: Queued,
        reason: String,
        next_free: Vec<Slot>,
    },
    /// Not reached yet (still no connection): stays queued.
    Kept { queued: Queued, why: String },
}

/// The bookings waiting on this device, oldest first.
pub fn queued(rider: &Rider) -> Vec<Queued> {
    rider
        .setting(QUEUE_KEY)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn save(rider: &mut Rider, queue: &[Queued]) -> Result<()> {
    if queue.is_empty() {
        return rider.forget_setting(QUEUE_KEY);
    }
    let text = serde_json::to_string(queue)
        .map_err(|e| Error::Input(format!("the booking queue cannot be kept: {e}")))?;
    rider.save_setting(QUEUE_KEY, &text)
}

/// Queues `booking` for `workshop` (giving it an id when it has none);
/// returns it as queued.
pub fn queue(
    rider: &mut Rider,
    workshop: Uuid,
    mut booking: NewBooking,
    now_ms: i64,
) -> Result<Queued> {
    booking.id.get_or_insert_with(Uuid::now_v7);
    let mut all = queued(rider);
    let entry = Queued {
        workshop,
        booking,
        queued_ms: now_ms,
    };
    if !all.iter().any(|q| q.booking.id == entry.booking.id) {
        all.push(entry.clone());
    }
    save(rider, &all)?;
    Ok(entry)
}

/// Whether the server was not reached (or not as this account): the
/// booking stays queued for the next try.
pub fn not_reached(e: &Error) -> bool {
    use ridewire_sync_client::Error as Sync;
    match e {
        Error::Sync(s) => s.is_transient() || matches!(s, Sync::Auth(_) | Sync::Stopped(_)),
        Error::Stopped(_) | Error::NotSignedIn(_) => true,
        _ => false,
    }
}

/// What the server's answer (or the failure to get one) makes of a queued
/// booking.
pub fn outcome(queued: Queued, answer: Result<WorkshopAnswer>) -> Sent {
    match answer {
        Ok(WorkshopAnswer::Booked(booking)) => Sent::Confirmed(booking),
        Ok(WorkshopAnswer::Taken(next_free)) => Sent::Refused {
            queued,
            reason: "the slot was taken before the booking reached the workshop".into(),
            next_free,
        },
        Ok(other) => Sent::Refused {
            queued,
            reason: format!("the server answered something else: {other:?}"),
            next_free: Vec::new(),
        },
        Err(e) if not_reached(&e) => Sent::Kept {
            queued,
            why: e.to_string(),
        },
        Err(e) => Sent::Refused {
            queued,
            reason: e.to_string(),
            next_free: Vec::new(),
        },
    }
}

/// Takes the confirmed and refused bookings of `outcomes` off the queue;
/// the kept ones stay (and any queued meanwhile).
pub fn settle(rider: &mut Rider, outcomes: &[Sent]) -> Result<()> {
    let done: Vec<Option<Uuid>> = outcomes
        .iter()
        .filter_map(|sent| match sent {
            Sent::Confirmed(b) => Some(Some(b.id)),
            Sent::Refused { queued, .. } => Some(queued.booking.id),
            Sent::Kept { .. } => None,
        })
        .collect();
    let left: Vec<Queued> = queued(rider)
        .into_iter()
        .filter(|q| !done.contains(&q.booking.id))
        .collect();
    save(rider, &left)
}

/// The call that sends a queued booking.
pub fn call_of(queued: &Queued) -> WorkshopCall {
    WorkshopCall::Book {
        workshop: queued.workshop,
        booking: queued.booking.clone(),
    }
}

/// Sends every queued booking with `ask` (through a syncer or a transport):
/// the confirmed and refused ones leave the queue, the ones the server
/// could not be asked about stay. What became of each, in queue order.
pub fn send_queued(
    rider: &mut Rider,
    mut ask: impl FnMut(WorkshopCall) -> Result<WorkshopAnswer>,
) -> Result<Vec<Sent>> {
    let outcomes: Vec<Sent> = queued(rider)
        .into_iter()
        .map(|q| {
            let answer = ask(call_of(&q));
            outcome(q, answer)
        })
        .collect();
    settle(rider, &outcomes)?;
    Ok(outcomes)
}

/// Sends the queued bookings once with the account kept in `database`
/// (`ridewire sync` after its round); nothing to do, nothing asked.
pub fn send_once(database: &std::path::Path, now_ms: i64) -> Result<Vec<Sent>> {
    let mut rider = Rider::open(database, now_ms)?;
    if queued(&rider).is_empty() {
        return Ok(Vec::new());
    }
    let signed = crate::account::Saved::read_file(database)
        .signed_in()
        .ok_or_else(|| Error::NotSignedIn("sign in first (`ridewire sync`)".into()))?;
    let syncer = crate::account::start_syncer(database, &signed)?;
    let outcomes = send_all(&syncer.handle(), queued(&rider));
    syncer.stop();
    settle(&mut rider, &outcomes)?;
    Ok(outcomes)
}

/// Sends each of `queue` through the syncer, one after the other, and says
/// what became of each (blocking: call it off the main thread, as
/// [`sending`] does). Settle the rider's queue with the outcomes.
pub fn send_all(handle: &SyncHandle, queue: Vec<Queued>) -> Vec<Sent> {
    queue
        .into_iter()
        .map(|q| {
            let answer = handle
                .workshop(call_of(&q))
                .map_err(Error::from)
                .and_then(|rx| Ok(Pending::from("the sync thread", rx).wait()??));
            outcome(q, answer)
        })
        .collect()
}

/// [`send_all`] on a thread of its own (the app and the terminal send their
/// queue so between sync rounds).
pub fn sending(handle: SyncHandle, queue: Vec<Queued>) -> Pending<Vec<Sent>> {
    Pending::spawn("sending the queued bookings", move || {
        send_all(&handle, queue)
    })
}

/// Whether `e`, the failure to send `call`, leaves a booking to queue: a
/// booking the server could not be asked about (not one it refused, and
/// not for want of an account: nothing could ever send that one).
pub fn to_queue(call: &WorkshopCall, e: &Error) -> Option<(Uuid, NewBooking)> {
    match call {
        WorkshopCall::Book { workshop, booking }
            if not_reached(e) && !matches!(e, Error::NotSignedIn(_)) =>
        {
            Some((*workshop, booking.clone()))
        }
        _ => None,
    }
}

/// What became of a sent booking, in a sentence; times in the workshop's
/// local time (`utc_offset_min`).
pub fn sent_words(sent: &Sent, utc_offset_min: i16) -> String {
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms + i64::from(utc_offset_min) * 60_000)
            .map_or_else(String::new, |t| t.format("%a %-d %b %H:%M").to_string())
    };
    match sent {
        Sent::Confirmed(b) => format!(
            "Queued booking confirmed: {} at {}.",
            b.service,
            at(b.start_ms)
        ),
        Sent::Refused {
            queued,
            reason,
            next_free,
        } => {
            let mut words = format!(
                "Queued booking refused: {} at {}: {reason}.",
                queued.booking.service,
                at(queued.booking.start_ms)
            );
            if !next_free.is_empty() {
                let times: Vec<String> = next_free.iter().take(3).map(|s| at(s.start_ms)).collect();
                words.push_str(&format!(" Next free: {}.", times.join(", ")));
            }
            words
        }
        Sent::Kept { queued, why } => format!(
            "Queued booking still waiting: {} at {} ({why}).",
            queued.booking.service,
            at(queued.booking.start_ms)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booking(start_ms: i64) -> NewBooking {
        NewBooking {
            bay: Uuid::from_u128(1),
            start_ms,
            service: "Tyres".into(),
            bike: None,
            notes: String::new(),
            customer: None,
            id: None,
        }
    }

    fn made(queued: &NewBooking) -> Booking {
        Booking {
            id: queued.id.unwrap_or_default(),
            workshop: Uuid::from_u128(9),
            bay: queued.bay,
            customer: 1,
            start_ms: queued.start_ms,
            end_ms: queued.start_ms + 3_600_000,
            service: queued.service.clone(),
            bike: None,
            notes: String::new(),
            created_ms: 0,
            cancelled_ms: None,
        }
    }

    #[test]
    fn confirmed_and_refused_bookings_leave_the_queue_and_unsent_ones_stay() {
        let mut rider = Rider::demo(0).unwrap_or_else(|e| panic!("{e}"));
        let shop = Uuid::from_u128(9);
        for start in [1_000, 2_000, 3_000] {
            queue(&mut rider, shop, booking(start), 0).unwrap_or_else(|e| panic!("{e}"));
        }
        let ids: Vec<Option<Uuid>> = queued(&rider).iter().map(|q| q.booking.id).collect();
        assert!(
            ids.iter().all(Option::is_some),
            "every queued booking has its id"
        );
        let outcomes = send_queued(&mut rider, |call| {
            let WorkshopCall::Book { booking, .. } = call else {
                panic!("{call:?}");
            };
            match booking.start_ms {
                1_000 => Ok(WorkshopAnswer::Booked(made(&booking))),
                2_000 => Ok(WorkshopAnswer::Taken(Vec::new())),
                _ => Err(ridewire_sync_client::Error::Network("no route".into()).into()),
            }
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(&outcomes[0], Sent::Confirmed(b) if Some(b.id) == ids[0]));
        assert!(matches!(&outcomes[1], Sent::Refused { reason, .. } if reason.contains("taken")));
        assert!(matches!(&outcomes[2], Sent::Kept { .. }));
        let left = queued(&rider);
        assert_eq!(left.len(), 1);
        assert_eq!(
            left[0].booking.id, ids[2],
            "the same booking, with the same id"
        );
    }
}

/// One of the rider's bookings as Home lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upcoming {
    pub start_ms: i64,
    /// "Tue 8 Dec 10:00" in the workshop's time.
    pub when: String,
    pub service: String,
    /// "Moto Müller, Lift 1"; the workshop's id while a queued booking has
    /// no names yet.
    pub place: String,
    /// "moved by the workshop", "waiting to be sent", or empty.
    pub note: String,
}

/// The rider's bookings from now on, soonest first: those the server keeps
/// them told of (not cancelled) and those queued on this device.
pub fn upcoming(rider: &Rider, now_ms: i64) -> Result<Vec<Upcoming>> {
    use ridewire_engine::sync::booking_record::{BookingView, Status};
    use ridewire_engine::sync::record::RecordKind;
    let when = |ms: i64, offset: i16| {
        chrono::DateTime::from_timestamp_millis(ms + i64::from(offset) * 60_000)
            .map_or_else(String::new, |t| t.format("%a %-d %b %H:%M").to_string())
    };
    let told: Vec<BookingView> = crate::records::view(&rider.store(), RecordKind::Booking)?
        .iter()
        .filter_map(|seen| BookingView::read(&seen.key, &seen.fields))
        .collect();
    let mut out: Vec<Upcoming> = told
        .iter()
        .filter(|b| b.status != Status::Cancelled && b.end_ms > now_ms)
        .map(|b| Upcoming {
            start_ms: b.start_ms,
            when: when(b.start_ms, b.utc_offset_min),
            service: b.service.clone(),
            place: format!("{}, {}", b.workshop_name, b.bay_name),
            note: if b.status == Status::Moved && b.by_workshop {
                "moved by the workshop".to_owned()
            } else {
                String::new()
            },
        })
        .collect();
    // A queued booking's workshop by name and time, when another booking
    // there told them; else in UTC.
    out.extend(queued(rider).into_iter().map(|q| {
        let known = told.iter().find(|b| b.workshop == q.workshop);
        Upcoming {
            start_ms: q.booking.start_ms,
            when: match known {
                Some(b) => when(q.booking.start_ms, b.utc_offset_min),
                None => when(q.booking.start_ms, 0) + " UTC",
            },
            service: q.booking.service.clone(),
            place: known.map_or_else(|| "a workshop".to_owned(), |b| b.workshop_name.clone()),
            note: "waiting to be sent".to_owned(),
        }
    }));
    out.sort_by_key(|u| u.start_ms);
    Ok(out)
}
