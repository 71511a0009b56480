//! The terminal's own bay (issue 15): a terminal stands at one bay with
//! its fixed camera, so its scanner scans the bike booked there now — the
//! overlay pack of that customer's bike, named on the scanner, instead of
//! the terminal account's own garage.

use ridewire_engine::sync::workshops::Booking;
use uuid::Uuid;

use super::Board;
use crate::rider::Rider;

/// Setting: the bay this terminal's camera looks at (its id).
pub const BAY_KEY: &str = "workshop.bay";

/// The bike booked in a bay, as the scanner takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InBay {
    pub booking: Uuid,
    /// "Lift 1".
    pub bay: String,
    /// "Jo Rider".
    pub customer: String,
    /// "Yamaha MT-07 (2021)", when the customer shares the bike.
    pub bike: Option<String>,
    /// Its overlay pack's key (as the garage makes one), when known.
    pub model_key: Option<String>,
    pub service: String,
}

/// The bay this terminal stands at, if one was chosen.
pub fn terminal_bay(rider: &Rider) -> Option<Uuid> {
    rider.setting(BAY_KEY)?.parse().ok()
}

/// Chooses the bay this terminal stands at (`None`: none).
pub fn set_terminal_bay(rider: &mut Rider, bay: Option<Uuid>) -> crate::Result<()> {
    match bay {
        Some(bay) => rider.save_setting(BAY_KEY, &bay.to_string()),
        None => rider.forget_setting(BAY_KEY),
    }
}

impl Board {
    /// The bike in `bay` at `now_ms`: the booking that runs then, else the
    /// next one of the same day (the bike rolled in early).
    pub fn in_bay(&self, bay: Uuid, now_ms: i64) -> Option<InBay> {
        let place = self.bays.iter().find(|b| b.id == bay)?;
        let today = place.local_day(now_ms);
        let live = |b: &&Booking| b.bay == bay && b.cancelled_ms.is_none();
        let booking = self
            .bookings
            .iter()
            .filter(live)
            .find(|b| b.start_ms <= now_ms && now_ms < b.end_ms)
            .or_else(|| {
                self.bookings
                    .iter()
                    .filter(live)
                    .filter(|b| b.start_ms > now_ms && place.local_day(b.start_ms) == today)
                    .min_by_key(|b| b.start_ms)
            })?;
        let record = booking.bike.as_deref().and_then(|key| {
            self.customers
                .iter()
                .find(|c| c.customer == booking.customer)?
                .bikes
                .iter()
                .flatten()
                .find(|r| r.key == key)
        });
        let text = |field: &str| {
            record
                .and_then(|r| r.fields.get(field))
                .map(|v| v.value.to_string().trim_matches('"').to_owned())
        };
        let model_key = text("model_key").or_else(|| {
            let year = text("year")?.parse().ok()?;
            crate::bikes::model_key(&text("make")?, &text("model")?, year)
                .ok()
                .map(|k| k.to_string())
        });
        Some(InBay {
            booking: booking.id,
            bay: place.name.clone(),
            customer: self.customer_name(booking.customer),
            bike: self.bike_words(booking),
            model_key,
            service: booking.service.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-05T09:30:00+01:00.
    const NOW: i64 = 1_772_699_400_000;

    #[test]
    fn the_bike_in_the_bay_is_the_one_booked_now_with_its_pack() {
        let board = Board::demo(NOW, 60);
        let lift_1 = board.bays[0].id;
        let in_bay = board.in_bay(lift_1, NOW).expect("a booking today");
        assert_eq!(in_bay.bay, "Lift 1");
        // Nothing runs at 09:30 on Lift 1: the next booking rolls in.
        let booking = board
            .bookings
            .iter()
            .find(|b| b.id == in_bay.booking)
            .expect("its booking");
        assert!(booking.start_ms > NOW, "{booking:?}");
        assert_eq!(in_bay.customer, board.customer_name(booking.customer));
        let at = board
            .in_bay(lift_1, booking.start_ms + 60_000)
            .expect("now");
        assert_eq!(at.booking, in_bay.booking);
        if let Some(bike) = &in_bay.bike {
            assert!(in_bay.model_key.is_some(), "{bike}: a pack key");
        }
        // A bay that is not the board's has no bike.
        assert_eq!(board.in_bay(Uuid::from_u128(0xdead), NOW), None);
    }

    #[test]
    fn a_known_model_gets_its_bundled_pack() {
        let mut board = Board::demo(NOW, 60);
        let lift_1 = board.bays[0].id;
        let id = board.in_bay(lift_1, NOW).expect("booked").booking;
        let booking = board
            .bookings
            .iter_mut()
            .find(|b| b.id == id)
            .expect("booking");
        booking.customer = 11;
        booking.bike = Some("mt07".into());
        let in_bay = board.in_bay(lift_1, NOW).expect("booked");
        assert_eq!(in_bay.bike.as_deref(), Some("Yamaha MT-07 (2021)"));
        assert_eq!(in_bay.model_key.as_deref(), Some("yamaha-mt-07-2021"));
        assert_eq!(in_bay.customer, "Jo Rider");
    }
}
