//! A rider's side of their workshops (issue 15): the workshops they belong
//! to, and for each one they are a customer of its free slots over the
//! next week, their own bookings there and the workshop's plan templates —
//! fetched in one go through the device's syncer and kept in the settings,
//! so the Workshops screen still shows the last copy (with its age) when
//! there is no signal, and the plan menu offers the templates offline.
//! Joining, leaving, booking and cancelling are [`WorkshopCall`]s; a
//! booking the server cannot be asked about is queued
//! ([`crate::booking_queue`]).

use ridewire_engine::sync::workshops::{
    Bay, Booking, Membership, NewBooking, Role, Slot, Template, WorkshopAnswer, WorkshopCall,
};
use ridewire_sync_client::SyncHandle;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rider::Rider;
use crate::task::Pending;
use crate::workshop_board::{ask, unexpected};
use crate::{Error, Result};

/// Setting: the rider's workshops as last fetched, as JSON.
pub const KEPT_KEY: &str = "workshop.mine";
/// How many days of free slots the screen offers.
pub const SLOT_DAYS: u8 = 7;
/// How many days of the rider's own bookings it lists.
pub const BOOKING_DAYS: u8 = 14;
/// Longest note a rider adds to a booking, in characters.
pub const NOTES_MAX: usize = 500;

/// The rider's workshops as fetched at `fetched_ms`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MyWorkshops {
    pub fetched_ms: i64,
    /// Every workshop the account belongs to, in any role.
    pub memberships: Vec<Membership>,
    /// Those it is a customer of, with what a customer sees.
    pub visits: Vec<Visit>,
}

/// One workshop the rider is a customer of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub workshop: Membership,
    pub bays: Vec<Bay>,
    /// Free slots over the next [`SLOT_DAYS`] days.
    pub free: Vec<Slot>,
    /// The rider's bookings over the next [`BOOKING_DAYS`] days, cancelled
    /// ones included.
    pub bookings: Vec<Booking>,
    pub templates: Vec<Template>,
}

impl MyWorkshops {
    /// Fetches the account's workshops through the syncer (blocking: call
    /// it off the main thread, as [`MyWorkshops::fetching`] does).
    pub fn fetch(handle: &SyncHandle, now_ms: i64) -> Result<MyWorkshops> {
        let memberships = match ask(handle, WorkshopCall::List)? {
            WorkshopAnswer::Memberships(list) => list,
            other => return Err(unexpected(&other)),
        };
        let visits = memberships
            .iter()
            .filter(|m| m.role == Role::Customer)
            .map(|m| Visit::fetch(handle, m.clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(MyWorkshops {
            fetched_ms: now_ms,
            memberships,
            visits,
        })
    }

    /// [`MyWorkshops::fetch`] on a thread of its own.
    pub fn fetching(handle: SyncHandle, now_ms: i64) -> Pending<Result<MyWorkshops>> {
        Pending::spawn("fetching the rider's workshops", move || {
            MyWorkshops::fetch(&handle, now_ms)
        })
    }

    /// The copy kept on this device, if any and readable.
    pub fn kept(rider: &Rider) -> Option<MyWorkshops> {
        serde_json::from_str(&rider.setting(KEPT_KEY)?).ok()
    }

    /// Keeps this copy on the device.
    pub fn keep(&self, rider: &mut Rider) -> Result<()> {
        let text = serde_json::to_string(self)
            .map_err(|e| Error::Input(format!("the workshops cannot be kept: {e}")))?;
        rider.save_setting(KEPT_KEY, &text)
    }

    /// The visit to `workshop`.
    pub fn visit(&self, workshop: Uuid) -> Option<&Visit> {
        self.visits.iter().find(|v| v.workshop.workshop == workshop)
    }

    /// After leaving `workshop`: nothing of it is shown any more.
    pub fn without(&mut self, workshop: Uuid) {
        self.memberships.retain(|m| m.workshop != workshop);
        self.visits.retain(|v| v.workshop.workshop != workshop);
    }

    /// `booking` in place of one of the same id (made, cancelled), and
    /// its slot no longer free, until the next fetch brings the server's
    /// copy.
    pub fn with_booking(&mut self, booking: Booking) {
        let Some(visit) = self
            .visits
            .iter_mut()
            .find(|v| v.workshop.workshop == booking.workshop)
        else {
            return;
        };
        if booking.cancelled_ms.is_none() {
            visit
                .free
                .retain(|s| !(s.bay == booking.bay && s.start_ms == booking.start_ms));
        }
        match visit.bookings.iter_mut().find(|b| b.id == booking.id) {
            Some(old) => *old = booking,
            None => visit.bookings.push(booking),
        }
    }
}

impl Visit {
    fn fetch(handle: &SyncHandle, workshop: Membership) -> Result<Visit> {
        let id = workshop.workshop;
        let bays = match ask(handle, WorkshopCall::Bays { workshop: id })? {
            WorkshopAnswer::Bays(bays) => bays,
            other => return Err(unexpected(&other)),
        };
        let free = match ask(
            handle,
            WorkshopCall::Slots {
                workshop: id,
                days: SLOT_DAYS,
            },
        )? {
            WorkshopAnswer::Slots(slots) => slots,
            other => return Err(unexpected(&other)),
        };
        let bookings = match ask(
            handle,
            WorkshopCall::Bookings {
                workshop: id,
                days: BOOKING_DAYS,
            },
        )? {
            WorkshopAnswer::Bookings(list) => list,
            other => return Err(unexpected(&other)),
        };
        let templates = match ask(handle, WorkshopCall::Templates { workshop: id })? {
            WorkshopAnswer::Templates(list) => list,
            other => return Err(unexpected(&other)),
        };
        Ok(Visit {
            workshop,
            bays,
            free,
            bookings,
            templates,
        })
    }

    /// The workshop's UTC offset in minutes (its first bay's; 0 without).
    pub fn utc_offset_min(&self) -> i16 {
        self.bays.first().map_or(0, |b| b.utc_offset_min)
    }

    /// A bay's name ("a bay" for one no longer listed).
    pub fn bay_name(&self, bay: Uuid) -> &str {
        self.bays
            .iter()
            .find(|b| b.id == bay)
            .map_or("a bay", |b| b.name.as_str())
    }

    /// A time at the workshop: "Tue 8 Dec 10:00".
    pub fn when(&self, ms: i64) -> String {
        let offset = i64::from(self.utc_offset_min()) * 60_000;
        chrono::DateTime::from_timestamp_millis(ms + offset)
            .map_or_else(String::new, |t| t.format("%a %-d %b %H:%M").to_string())
    }

    /// The free slots from `now_ms` on, grouped by the workshop's local
    /// day ("Tue 8 Dec"), days and slots in time order.
    pub fn free_by_day(&self, now_ms: i64) -> Vec<(String, Vec<Slot>)> {
        let offset = i64::from(self.utc_offset_min()) * 60_000;
        let mut slots: Vec<Slot> = self
            .free
            .iter()
            .filter(|s| s.start_ms > now_ms)
            .copied()
            .collect();
        slots.sort_by_key(|s| (s.start_ms, s.bay));
        let mut days: Vec<(i64, String, Vec<Slot>)> = Vec::new();
        for slot in slots {
            let day = (slot.start_ms + offset).div_euclid(86_400_000);
            match days.last_mut() {
                Some((d, _, list)) if *d == day => list.push(slot),
                _ => {
                    let name = chrono::DateTime::from_timestamp_millis(slot.start_ms + offset)
                        .map_or_else(String::new, |t| t.format("%a %-d %b").to_string());
                    days.push((day, name, vec![slot]));
                }
            }
        }
        days.into_iter()
            .map(|(_, name, list)| (name, list))
            .collect()
    }

    /// The rider's bookings that are not cancelled and not over, soonest
    /// first.
    pub fn live_bookings(&self, now_ms: i64) -> Vec<&Booking> {
        let mut live: Vec<&Booking> = self
            .bookings
            .iter()
            .filter(|b| b.cancelled_ms.is_none() && b.end_ms > now_ms)
            .collect();
        live.sort_by_key(|b| b.start_ms);
        live
    }
}

/// The booking a rider makes for `slot`: with an id made here, so the
/// same booking sent again (from the queue, after a lost reply) is not
/// made twice. The service must be named; notes are at most
/// [`NOTES_MAX`] characters.
pub fn booking(
    slot: &Slot,
    service: &str,
    bike: Option<String>,
    notes: &str,
) -> Result<NewBooking> {
    let service = service.trim();
    if service.is_empty() {
        return Err(Error::Input("choose what is to be done".into()));
    }
    let notes = notes.trim();
    if notes.chars().count() > NOTES_MAX {
        return Err(Error::Input(format!(
            "the note is longer than {NOTES_MAX} characters"
        )));
    }
    Ok(NewBooking {
        bay: slot.bay,
        start_ms: slot.start_ms,
        service: service.to_owned(),
        bike,
        notes: notes.to_owned(),
        customer: None,
        id: Some(Uuid::now_v7()),
    })
}

/// The workshop templates kept on this device, each with its workshop's
/// name, for the plan menu.
pub fn templates(rider: &Rider) -> Vec<(String, Template)> {
    MyWorkshops::kept(rider)
        .map(|mine| {
            mine.visits
                .into_iter()
                .flat_map(|v| {
                    let name = v.workshop.name;
                    v.templates.into_iter().map(move |t| (name.clone(), t))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn visit(free: Vec<Slot>) -> Visit {
        Visit {
            workshop: Membership {
                workshop: Uuid::from_u128(9),
                name: "Moto Müller".into(),
                role: Role::Customer,
                shares: Vec::new(),
                since_ms: 0,
            },
            bays: vec![Bay {
                id: Uuid::from_u128(1),
                name: "Lift 1".into(),
                opens_min: 8 * 60,
                closes_min: 18 * 60,
                days: vec![1, 2, 3, 4, 5],
                slot_minutes: 60,
                utc_offset_min: 60,
            }],
            free,
            bookings: Vec::new(),
            templates: Vec::new(),
        }
    }

    fn slot(start_ms: i64) -> Slot {
        Slot {
            bay: Uuid::from_u128(1),
            start_ms,
            end_ms: start_ms + HOUR,
        }
    }

    #[test]
    fn free_slots_are_grouped_by_the_workshops_day_and_past_ones_left_out() {
        // 2026-03-05 was a Thursday; 23:30 UTC is already Friday at UTC+1.
        let thursday_9 = 1_772_701_200_000; // 2026-03-05T09:00:00Z
        let v = visit(vec![
            slot(thursday_9 + 14 * HOUR + HOUR / 2),
            slot(thursday_9),
            slot(thursday_9 + 2 * HOUR),
        ]);
        let days = v.free_by_day(thursday_9 + HOUR);
        let names: Vec<&str> = days.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Thu 5 Mar", "Fri 6 Mar"]);
        assert_eq!(days[0].1, vec![slot(thursday_9 + 2 * HOUR)]);
        assert_eq!(v.when(thursday_9 + 2 * HOUR), "Thu 5 Mar 12:00");
    }

    #[test]
    fn a_booking_is_refused_without_a_service_or_with_a_long_note() {
        let s = slot(0);
        assert!(matches!(booking(&s, "  ", None, ""), Err(Error::Input(_))));
        let long = "x".repeat(NOTES_MAX + 1);
        assert!(matches!(
            booking(&s, "Tyres", None, &long),
            Err(Error::Input(_))
        ));
        let made = booking(&s, " Tyres ", Some("bike-1".into()), " rear only ")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(made.service, "Tyres");
        assert_eq!(made.notes, "rear only");
        assert!(made.id.is_some(), "made with its own id");
        assert_eq!(made.customer, None, "for the rider themself");
    }

    #[test]
    fn a_booking_made_takes_its_slot_off_the_free_ones_and_a_cancelled_one_shows_so() {
        let mut mine = MyWorkshops {
            fetched_ms: 0,
            memberships: Vec::new(),
            visits: vec![visit(vec![slot(0), slot(HOUR)])],
        };
        let mut b = Booking {
            id: Uuid::from_u128(3),
            workshop: Uuid::from_u128(9),
            bay: Uuid::from_u128(1),
            customer: 5,
            start_ms: HOUR,
            end_ms: 2 * HOUR,
            service: "Tyres".into(),
            bike: None,
            notes: String::new(),
            created_ms: 0,
            cancelled_ms: None,
        };
        mine.with_booking(b.clone());
        let v = &mine.visits[0];
        assert_eq!(v.free, vec![slot(0)]);
        assert_eq!(v.live_bookings(0).len(), 1);
        b.cancelled_ms = Some(10);
        mine.with_booking(b);
        assert!(mine.visits[0].live_bookings(0).is_empty());
        assert_eq!(mine.visits[0].bookings.len(), 1);
    }
}
