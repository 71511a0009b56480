//! Bookings the terminal could not send (issue 15): the front desk books
//! while the workshop's server cannot be reached, the booking is queued on
//! the terminal (the app layer's [`booking_queue`], with the id the
//! terminal gave it) and held on the Board as "waiting to be sent"; the
//! queue goes out before the next fetch, and the Board says what became of
//! each booking: confirmed, or refused with the next free slots. Nothing
//! is silently lost, and a booking the server got before its reply was
//! lost is not made twice (the server knows it by its id).

use bevy::prelude::*;
use ridewire_app::booking_queue::{self, Queued, Sent};
use ridewire_app::task::Pending;
use ridewire_engine::sync::workshops::{NewBooking, WorkshopCall};
use uuid::Uuid;

use super::Terminal;
use crate::player::{Clock, Player};
use crate::shared::SyncLink;

/// The queue on its way to the server.
#[derive(Resource, Default)]
pub(super) struct Sending(Option<Pending<Vec<Sent>>>);

/// Queues `booking`, not sent because `why`; says so on the Board.
pub(super) fn queue(
    terminal: &mut Terminal,
    player: &mut Player,
    workshop: Uuid,
    booking: NewBooking,
    why: &str,
    now_ms: i64,
) {
    terminal.message = Some(
        match booking_queue::queue(player, workshop, booking, now_ms) {
            Ok(q) => {
                terminal.queued = booking_queue::queued(player);
                Ok(format!(
                    "The workshop's server cannot be reached ({why}). {} is kept on this \
                     terminal and sent as soon as it can be; the Board says then whether it \
                     was confirmed.",
                    q.booking.service
                ))
            }
            Err(e) => Err(format!(
                "The workshop's server cannot be reached ({why}), and the booking could not \
                 be kept on this terminal either: {e}"
            )),
        },
    );
}

/// Whether `call`, which failed with `e`, was queued instead.
pub(super) fn queue_unsent(
    terminal: &mut Terminal,
    player: Option<&mut Player>,
    call: &WorkshopCall,
    e: &ridewire_app::Error,
    now_ms: i64,
) -> bool {
    let (Some(player), Some((workshop, booking))) = (player, booking_queue::to_queue(call, e))
    else {
        return false;
    };
    if player.is_demo() {
        return false;
    }
    queue(terminal, player, workshop, booking, &e.to_string(), now_ms);
    true
}

/// Sends the queue when there is one, a syncer, and nothing on its way.
pub(super) fn send_when_online(
    mut sending: ResMut<Sending>,
    mut terminal: ResMut<Terminal>,
    link: Res<SyncLink>,
    player: Option<Res<Player>>,
) {
    let Some(player) = player else { return };
    // Only after a fetch worked: a terminal that is offline does not knock
    // every frame, and tries again with its next fetch.
    if sending.0.is_some() || player.is_demo() || !terminal.queue_due {
        return;
    }
    let Some(syncer) = link.syncer() else { return };
    terminal.queue_due = false;
    let queued: Vec<Queued> = booking_queue::queued(&player);
    if queued.is_empty() {
        return;
    }
    terminal.queued = queued.clone();
    sending.0 = Some(booking_queue::sending(syncer.handle(), queued));
}

/// Takes what the server made of the queue off it and says so.
pub(super) fn finish(
    mut sending: ResMut<Sending>,
    mut terminal: ResMut<Terminal>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
) {
    let Some(done) = sending.0.as_ref().and_then(Pending::poll) else {
        return;
    };
    sending.0 = None;
    let Some(mut player) = player else { return };
    let outcomes = match done {
        Ok(outcomes) => outcomes,
        Err(e) => {
            terminal.message = Some(Err(format!("The queued bookings were not sent: {e}")));
            return;
        }
    };
    if let Err(e) = booking_queue::settle(&mut player, &outcomes) {
        terminal.message = Some(Err(format!("The booking queue cannot be updated: {e}")));
        return;
    }
    terminal.queued = booking_queue::queued(&player);
    let offset = terminal
        .board
        .as_ref()
        .and_then(|b| b.bays.first())
        .map_or(clock.now().1, |b| b.utc_offset_min);
    let words: Vec<String> = outcomes
        .iter()
        .map(|sent| booking_queue::sent_words(sent, offset))
        .collect();
    let refused = outcomes.iter().any(|s| matches!(s, Sent::Refused { .. }));
    let all_kept = outcomes.iter().all(|s| matches!(s, Sent::Kept { .. }));
    if !all_kept {
        // Show the server's board with what it confirmed.
        terminal.refetch();
    }
    terminal.message = Some(if refused || all_kept {
        Err(words.join(" "))
    } else {
        Ok(words.join(" "))
    });
}
