//! Workshops for the phone's rider (issue 15): the workshops they belong
//! to, joining one with the code it gave them, choosing what it sees and
//! leaving; the free slots of its bays, booking one (or hearing the next
//! free ones when someone was faster), the rider's bookings, cancelling.
//! Each is a question to the server through the device's syncer
//! (`ridewire_app::workshops` does the same for the command line), so the
//! rider must be signed in. Founding a workshop and its staff's work are
//! the terminal's, not the phone's.

use std::time::Duration;

use ridewire_app::booking_queue;
use ridewire_engine::sync::workshops::{
    Booking, Membership, NewBooking, Share, Slot, WorkshopAnswer, WorkshopCall,
};
use uuid::Uuid;

use crate::{RideWire, RideWireError};

/// How long a workshop question may take.
const ASK_TIMEOUT: Duration = Duration::from_secs(30);

/// One workshop the rider belongs to.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WorkshopMembership {
    /// Its id, to name it in the other calls.
    pub workshop: String,
    pub name: String,
    /// owner, mechanic, front_desk or customer.
    pub role: String,
    /// What a customer lets it see: bikes, diagnoses.
    pub shares: Vec<String>,
    pub since_ms: i64,
}

impl From<Membership> for WorkshopMembership {
    fn from(m: Membership) -> Self {
        WorkshopMembership {
            workshop: m.workshop.to_string(),
            name: m.name,
            role: m.role.as_str().to_owned(),
            shares: m.shares.iter().map(|s| s.as_str().to_owned()).collect(),
            since_ms: m.since_ms,
        }
    }
}

/// A free slot of one of a workshop's bays.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FreeSlot {
    pub bay: String,
    pub start_ms: i64,
    pub end_ms: i64,
}

impl From<Slot> for FreeSlot {
    fn from(s: Slot) -> Self {
        FreeSlot {
            bay: s.bay.to_string(),
            start_ms: s.start_ms,
            end_ms: s.end_ms,
        }
    }
}

/// A booking of the rider's.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BookingView {
    pub id: String,
    pub bay: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub service: String,
    pub notes: String,
    pub cancelled: bool,
}

impl From<Booking> for BookingView {
    fn from(b: Booking) -> Self {
        BookingView {
            id: b.id.to_string(),
            bay: b.bay.to_string(),
            start_ms: b.start_ms,
            end_ms: b.end_ms,
            service: b.service,
            notes: b.notes,
            cancelled: b.cancelled_ms.is_some(),
        }
    }
}

/// What came of asking for a slot: the booking, or (someone was faster)
/// the next free slots.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BookingAttempt {
    pub booked: Option<BookingView>,
    pub next_free: Vec<FreeSlot>,
    /// The workshop could not be reached: the booking is queued on the
    /// phone and sent by `send_queued_bookings` (never silently lost).
    pub queued: bool,
}

/// What became of a booking queued while the phone had no connection.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QueuedBooking {
    pub service: String,
    pub start_ms: i64,
    /// `confirmed`, `refused` or `waiting` (still no connection).
    pub outcome: String,
    /// The booking the workshop made, when confirmed.
    pub booked: Option<BookingView>,
    /// Why it was refused or is still waiting.
    pub reason: String,
    /// When the slot was taken meanwhile: the next free ones.
    pub next_free: Vec<FreeSlot>,
    /// What became of it in a sentence for a notification, times in the
    /// phone's time ("Queued booking confirmed: Tyres at Mon 7 Dec 10:00.").
    pub words: String,
}

fn invalid(message: String) -> RideWireError {
    RideWireError::InvalidInput { message }
}

fn workshop_id(text: &str) -> Result<Uuid, RideWireError> {
    id_of(text, "a workshop's")
}

fn id_of(text: &str, what: &str) -> Result<Uuid, RideWireError> {
    Uuid::parse_str(text).map_err(|_| invalid(format!("{text:?} is not {what} id")))
}

fn days(days: u8) -> Result<u8, RideWireError> {
    if (1..=14).contains(&days) {
        Ok(days)
    } else {
        Err(invalid(format!("{days} days: 1 to 14 can be listed")))
    }
}

fn shares(words: &[String]) -> Result<Vec<Share>, RideWireError> {
    words.iter().map(|w| w.parse().map_err(invalid)).collect()
}

fn unexpected(answer: &WorkshopAnswer) -> RideWireError {
    RideWireError::Network {
        message: format!("the server answered something else: {answer:?}"),
    }
}

impl RideWire {
    /// Asks the server `call` through the syncer, off the caller's thread.
    async fn ask_workshop(&self, call: WorkshopCall) -> Result<WorkshopAnswer, RideWireError> {
        Ok(self.ask_workshop_raw(call).await??)
    }

    /// [`Self::ask_workshop`], the server's failure kept apart (a booking
    /// that cannot reach the workshop is queued, not refused).
    async fn ask_workshop_raw(
        &self,
        call: WorkshopCall,
    ) -> Result<ridewire_sync_client::Result<WorkshopAnswer>, RideWireError> {
        let handle = self.handle().ok_or_else(|| RideWireError::Auth {
            message: "not signed in: workshops live on the server, sign in first".into(),
        })?;
        let answer = handle.workshop(call)?;
        tokio::task::spawn_blocking(move || answer.recv_timeout(ASK_TIMEOUT))
            .await
            .map_err(|e| RideWireError::Busy {
                message: format!("the wait stopped: {e}"),
            })?
            .map_err(|_| RideWireError::Busy {
                message: "the server did not answer in time".into(),
            })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl RideWire {
    /// The workshops the rider belongs to.
    pub async fn workshops(&self) -> Result<Vec<WorkshopMembership>, RideWireError> {
        match self.ask_workshop(WorkshopCall::List).await? {
            WorkshopAnswer::Memberships(list) => Ok(list.into_iter().map(Into::into).collect()),
            other => Err(unexpected(&other)),
        }
    }

    /// Joins a workshop with the code it gave the rider (case, spaces and
    /// dashes do not matter). `shares`: what it may see (bikes,
    /// diagnoses); empty for the server's default, bikes.
    pub async fn join_workshop(
        &self,
        code: String,
        shares: Vec<String>,
    ) -> Result<WorkshopMembership, RideWireError> {
        let shares = if shares.is_empty() {
            None
        } else {
            Some(self::shares(&shares)?)
        };
        match self
            .ask_workshop(WorkshopCall::Accept { code, shares })
            .await?
        {
            WorkshopAnswer::Membership(m) => Ok(m.into()),
            other => Err(unexpected(&other)),
        }
    }

    /// What a workshop the rider is a customer of may see (bikes,
    /// diagnoses; empty for nothing).
    pub async fn share_with_workshop(
        &self,
        workshop: String,
        shares: Vec<String>,
    ) -> Result<WorkshopMembership, RideWireError> {
        let call = WorkshopCall::Share {
            workshop: workshop_id(&workshop)?,
            shares: self::shares(&shares)?,
        };
        match self.ask_workshop(call).await? {
            WorkshopAnswer::Membership(m) => Ok(m.into()),
            other => Err(unexpected(&other)),
        }
    }

    /// Leaves a workshop: it no longer sees anything of the rider's.
    pub async fn leave_workshop(&self, workshop: String) -> Result<(), RideWireError> {
        let call = WorkshopCall::Leave {
            workshop: workshop_id(&workshop)?,
        };
        match self.ask_workshop(call).await? {
            WorkshopAnswer::Left => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// The free slots of a workshop's bays over the next `days` (1 to 14).
    pub async fn workshop_slots(
        &self,
        workshop: String,
        days: u8,
    ) -> Result<Vec<FreeSlot>, RideWireError> {
        let call = WorkshopCall::Slots {
            workshop: workshop_id(&workshop)?,
            days: self::days(days)?,
        };
        match self.ask_workshop(call).await? {
            WorkshopAnswer::Slots(slots) => Ok(slots.into_iter().map(Into::into).collect()),
            other => Err(unexpected(&other)),
        }
    }

    /// Books a free slot for the rider. When someone else was faster, the
    /// attempt carries no booking but the next free slots.
    pub async fn book_slot(
        &self,
        workshop: String,
        bay: String,
        start_ms: i64,
        service: String,
        notes: String,
    ) -> Result<BookingAttempt, RideWireError> {
        let call = WorkshopCall::Book {
            workshop: workshop_id(&workshop)?,
            booking: NewBooking {
                bay: id_of(&bay, "a bay's")?,
                start_ms,
                service,
                bike: None,
                notes,
                customer: None,
                id: Some(uuid::Uuid::now_v7()),
            },
        };
        let answer = match self.ask_workshop_raw(call.clone()).await? {
            Err(e) if e.is_transient() => {
                // No connection: queued on the phone, sent later.
                let WorkshopCall::Book { workshop, booking } = call else {
                    return Err(RideWireError::invalid("not a booking"));
                };
                let now = ridewire_app::clock::now().0;
                booking_queue::queue(&mut self.rider(), workshop, booking, now)?;
                return Ok(BookingAttempt {
                    booked: None,
                    next_free: Vec::new(),
                    queued: true,
                });
            }
            other => other?,
        };
        match answer {
            WorkshopAnswer::Booked(b) => Ok(BookingAttempt {
                booked: Some(b.into()),
                next_free: Vec::new(),
                queued: false,
            }),
            WorkshopAnswer::Taken(next) => Ok(BookingAttempt {
                booked: None,
                next_free: next.into_iter().map(Into::into).collect(),
                queued: false,
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// Sends the bookings queued while the phone had no connection (call it
    /// after a sync round) and says what became of each: confirmed, refused
    /// (the slot was taken meanwhile: with the next free ones) or still
    /// waiting. Confirmed and refused ones leave the queue.
    pub async fn send_queued_bookings(&self) -> Result<Vec<QueuedBooking>, RideWireError> {
        let waiting = booking_queue::queued(&self.rider());
        let mut outcomes = Vec::new();
        for queued in waiting {
            let answer = match self.ask_workshop_raw(booking_queue::call_of(&queued)).await {
                Ok(answer) => answer.map_err(ridewire_app::Error::from),
                Err(e) => Err(ridewire_app::Error::Input(e.to_string())),
            };
            outcomes.push(booking_queue::outcome(queued, answer));
        }
        booking_queue::settle(&mut self.rider(), &outcomes)?;
        Ok(outcomes.into_iter().map(QueuedBooking::from).collect())
    }

    /// The rider's bookings at a workshop over the next `days` (1 to 14),
    /// cancelled ones included.
    pub async fn my_bookings(
        &self,
        workshop: String,
        days: u8,
    ) -> Result<Vec<BookingView>, RideWireError> {
        let call = WorkshopCall::Bookings {
            workshop: workshop_id(&workshop)?,
            days: self::days(days)?,
        };
        match self.ask_workshop(call).await? {
            WorkshopAnswer::Bookings(list) => Ok(list.into_iter().map(Into::into).collect()),
            other => Err(unexpected(&other)),
        }
    }

    /// Cancels one of the rider's bookings; the slot is free again.
    pub async fn cancel_booking(
        &self,
        workshop: String,
        booking: String,
    ) -> Result<BookingView, RideWireError> {
        let call = WorkshopCall::Cancel {
            workshop: workshop_id(&workshop)?,
            booking: id_of(&booking, "a booking's")?,
        };
        match self.ask_workshop(call).await? {
            WorkshopAnswer::Booked(b) => Ok(b.into()),
            other => Err(unexpected(&other)),
        }
    }
}

impl From<booking_queue::Sent> for QueuedBooking {
    fn from(sent: booking_queue::Sent) -> Self {
        use booking_queue::Sent;
        let words = booking_queue::sent_words(&sent, ridewire_app::clock::now().1);
        match sent {
            Sent::Confirmed(b) => QueuedBooking {
                service: b.service.clone(),
                start_ms: b.start_ms,
                outcome: "confirmed".into(),
                booked: Some(b.into()),
                reason: String::new(),
                next_free: Vec::new(),
                words,
            },
            Sent::Refused {
                queued,
                reason,
                next_free,
            } => QueuedBooking {
                service: queued.booking.service,
                start_ms: queued.booking.start_ms,
                outcome: "refused".into(),
                booked: None,
                reason,
                next_free: next_free.into_iter().map(Into::into).collect(),
                words,
            },
            Sent::Kept { queued, why } => QueuedBooking {
                service: queued.booking.service,
                start_ms: queued.booking.start_ms,
                outcome: "waiting".into(),
                booked: None,
                reason: why,
                next_free: Vec::new(),
                words,
            },
        }
    }
}
