//! The rider's Workshops screen (issue 15): join a workshop with the code
//! it gave, choose what it sees, book a service in one of its free slots,
//! cancel a booking, leave. Reached from Home's workshop card.
//!
//! What it shows is the app layer's [`MyWorkshops`], fetched through the
//! syncer and kept on the device (offline the screen shows the last copy
//! with its age). A booking the server cannot be asked about is queued on
//! the device ([`booking_queue`]); the queue goes out after the next sync
//! round that works, here or from `ridewire sync`, and Home lists it as
//! "waiting to be sent" until then.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::booking_queue::{self, Sent};
use ridewire_app::my_workshops::{self, MyWorkshops, Visit};
use ridewire_app::task::Pending;
use ridewire_app::workshops::{role_words, shares_words};
use ridewire_engine::sync::workshops::{Share, Slot, WorkshopAnswer, WorkshopCall};
use uuid::Uuid;

use crate::player::{Clock, Player};
use crate::screens::{ContentArea, Screen, show_content};
use crate::shared::{SyncLink, Synced};
use crate::{AppSystems, UiSystems};

pub(super) fn plugin(app: &mut App) {
    add_workshops(app);
    app.add_systems(
        EguiPrimaryContextPass,
        draw.in_set(UiSystems::Screen)
            .run_if(in_state(Screen::Workshops)),
    );
}

/// The screen without its drawing (for headless tests): fetching and
/// keeping the rider's workshops, sending what was asked, and sending the
/// booking queue after sync rounds.
pub fn add_workshops(app: &mut App) {
    app.init_resource::<Workshops>()
        .add_message::<WorkshopsAsk>()
        .add_message::<Synced>()
        .add_systems(OnEnter(Screen::Workshops), fetch_on_enter)
        .add_systems(
            Update,
            fetch_when_ready
                .run_if(in_state(Screen::Workshops))
                .after(AppSystems::Record)
                .before(act),
        )
        .add_systems(
            Update,
            (act, finish, send_queue_after_rounds, finish_queue)
                .chain()
                .after(AppSystems::Record),
        );
}

/// What the rider asked of the screen.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub enum WorkshopsAsk {
    /// Fetch the workshops again.
    Refresh,
    /// Join with the code typed, sharing what is ticked.
    Join,
    /// Book the slot chosen in `workshop` with the service and note typed.
    Book { workshop: Uuid },
    /// Cancel one of the rider's bookings.
    Cancel { workshop: Uuid, booking: Uuid },
    /// Leave `workshop`.
    Leave { workshop: Uuid },
}

type Answer = Pending<ridewire_sync_client::Result<WorkshopAnswer>>;

/// The screen's state: the workshops on show, the form, what is on its way.
#[derive(Resource, Default)]
pub struct Workshops {
    pub mine: Option<MyWorkshops>,
    fetching: Option<Pending<ridewire_app::Result<MyWorkshops>>>,
    sending: Option<(WorkshopCall, Answer)>,
    queue: Option<Pending<Vec<Sent>>>,
    /// The last sync round the queue was sent after.
    queue_round_ms: Option<i64>,
    /// Why the workshops could not be fetched (the kept copy is shown).
    pub problem: Option<String>,
    /// How the last action went.
    pub message: Option<Result<String, String>>,
    pub form: Form,
    /// The last fetch found no syncer: fetch when one starts (the app
    /// starts it a few frames after it opens).
    no_syncer: bool,
    /// The kept copy was read (there may be none).
    kept_read: bool,
}

/// What the rider typed and chose.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Form {
    /// The invitation code.
    pub code: String,
    pub share_bikes: bool,
    pub share_diagnoses: bool,
    /// The free slot chosen, in its workshop.
    pub slot: Option<(Uuid, Slot)>,
    pub service: Option<String>,
    pub notes: String,
    /// Leaving this workshop waits for a second tap.
    pub leaving: Option<Uuid>,
}

impl Workshops {
    /// A question is on its way to the server.
    pub fn busy(&self) -> bool {
        self.sending.is_some()
    }

    /// The workshops are being fetched.
    pub fn fetching(&self) -> bool {
        self.fetching.is_some()
    }

    fn fetch(&mut self, link: &SyncLink, now_ms: i64) {
        if self.fetching.is_some() {
            return;
        }
        self.no_syncer = link.syncer().is_none();
        match link.syncer() {
            Some(syncer) => {
                self.fetching = Some(MyWorkshops::fetching(syncer.handle(), now_ms));
            }
            None => {
                self.problem = Some(
                    "Not signed in: sign in on the Settings screen (Sync) to join a workshop \
                     and book."
                        .to_owned(),
                );
            }
        }
    }
}

/// The screen opened before the rider's data or syncer were there (the
/// app opened on it): show the kept copy and fetch once they are.
fn fetch_when_ready(
    mut state: ResMut<Workshops>,
    link: Res<SyncLink>,
    player: Option<Res<Player>>,
    clock: Res<Clock>,
) {
    let Some(player) = player else { return };
    if state.mine.is_none() && !state.kept_read {
        state.kept_read = true;
        state.mine = MyWorkshops::kept(&player);
    }
    if state.no_syncer && link.syncer().is_some() {
        state.problem = None;
        state.fetch(&link, clock.now().0);
    }
}

fn fetch_on_enter(
    mut state: ResMut<Workshops>,
    link: Res<SyncLink>,
    player: Option<Res<Player>>,
    clock: Res<Clock>,
) {
    if state.mine.is_none() {
        state.mine = player.as_deref().and_then(|p| MyWorkshops::kept(p));
    }
    if player.is_some_and(|p| p.is_demo()) {
        state.problem =
            Some("The demo garage has no account on a server: start without --demo.".to_owned());
        return;
    }
    state.fetch(&link, clock.now().0);
}

/// The call a rider's ask makes, or why it cannot be made.
fn call_of(ask: &WorkshopsAsk, form: &Form, bike: Option<String>) -> Result<WorkshopCall, String> {
    match ask {
        WorkshopsAsk::Refresh => Err("not a call".to_owned()),
        WorkshopsAsk::Join => {
            let code = form.code.trim();
            if code.is_empty() {
                return Err("Type the code your workshop gave you.".to_owned());
            }
            let mut shares = Vec::new();
            if form.share_bikes {
                shares.push(Share::Bikes);
            }
            if form.share_diagnoses {
                shares.push(Share::Diagnoses);
            }
            Ok(WorkshopCall::Accept {
                code: code.to_owned(),
                shares: Some(shares),
            })
        }
        WorkshopsAsk::Book { workshop } => {
            let Some((at, slot)) = form.slot.filter(|(w, _)| w == workshop) else {
                return Err("Choose a free slot first.".to_owned());
            };
            let service = form.service.as_deref().unwrap_or_default();
            let booking = my_workshops::booking(&slot, service, bike, &form.notes)
                .map_err(|e| sentence(&e.to_string()))?;
            Ok(WorkshopCall::Book {
                workshop: at,
                booking,
            })
        }
        WorkshopsAsk::Cancel { workshop, booking } => Ok(WorkshopCall::Cancel {
            workshop: *workshop,
            booking: *booking,
        }),
        WorkshopsAsk::Leave { workshop } => Ok(WorkshopCall::Leave {
            workshop: *workshop,
        }),
    }
}

/// `text` with a capital letter and a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

fn act(
    mut asks: MessageReader<WorkshopsAsk>,
    mut state: ResMut<Workshops>,
    link: Res<SyncLink>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
) {
    let Some(mut player) = player else { return };
    let now_ms = clock.now().0;
    for ask in asks.read() {
        if *ask == WorkshopsAsk::Refresh {
            state.problem = None;
            state.fetch(&link, now_ms);
            continue;
        }
        if state.busy() {
            continue;
        }
        let call = match call_of(ask, &state.form, player.bike.clone()) {
            Ok(call) => call,
            Err(e) => {
                state.message = Some(Err(e));
                continue;
            }
        };
        state.message = None;
        let Some(syncer) = link.syncer() else {
            state.message = Some(Err(
                "Not signed in: sign in on the Settings screen (Sync) first.".to_owned(),
            ));
            continue;
        };
        match syncer.handle().workshop(call.clone()) {
            Ok(answer) => state.sending = Some((call, Pending::from("the sync thread", answer))),
            Err(e) => {
                let e = ridewire_app::Error::from(e);
                queue_or_say(&mut state, &mut player, &call, &e, now_ms);
            }
        }
    }
}

/// A booking the server could not be asked about is queued; anything else
/// that failed is said.
fn queue_or_say(
    state: &mut Workshops,
    player: &mut Player,
    call: &WorkshopCall,
    e: &ridewire_app::Error,
    now_ms: i64,
) {
    let Some((workshop, booking)) = booking_queue::to_queue(call, e) else {
        state.message = Some(Err(e.to_string()));
        return;
    };
    state.message = Some(
        match booking_queue::queue(player, workshop, booking, now_ms) {
            Ok(q) => {
                state.form.slot = None;
                Ok(format!(
                    "No connection to the workshop ({e}). {} is queued on this device and sent \
                     after the next sync that works; Home lists it as waiting until then.",
                    q.booking.service
                ))
            }
            Err(q) => Err(format!(
                "No connection ({e}), and the booking could not be queued: {q}"
            )),
        },
    );
}

fn finish(
    mut state: ResMut<Workshops>,
    link: Res<SyncLink>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
) {
    let Some(mut player) = player else { return };
    let now_ms = clock.now().0;
    if let Some(done) = state.fetching.as_ref().and_then(Pending::poll) {
        state.fetching = None;
        match done.and_then(|r| r) {
            Ok(mine) => {
                if let Err(e) = mine.keep(&mut player) {
                    warn!("the workshops could not be kept on this device: {e}");
                }
                state.mine = Some(mine);
                state.problem = None;
            }
            Err(e) => state.problem = Some(e.to_string()),
        }
    }
    let Some(done) = state.sending.as_ref().and_then(|(_, a)| a.poll()) else {
        return;
    };
    let Some((call, _)) = state.sending.take() else {
        return;
    };
    let answer = done.and_then(|a| a.map_err(ridewire_app::Error::from));
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            queue_or_say(&mut state, &mut player, &call, &e, now_ms);
            return;
        }
    };
    let message = match answer {
        WorkshopAnswer::Membership(m) => {
            state.form.code.clear();
            format!(
                "You joined {} as a {}, sharing {}.",
                m.name,
                role_words(m.role),
                shares_words(&m.shares)
            )
        }
        WorkshopAnswer::Booked(b) => {
            let words = state
                .mine
                .as_ref()
                .and_then(|m| m.visit(b.workshop))
                .map(|v| (v.when(b.start_ms), v.bay_name(b.bay).to_owned()))
                .unwrap_or_default();
            let cancelled = b.cancelled_ms.is_some();
            let service = b.service.clone();
            if let Some(mine) = state.mine.as_mut() {
                mine.with_booking(b);
            }
            state.form.slot = None;
            state.form.notes.clear();
            // The workshop's copy of the booking comes with the next round.
            link.sync_now();
            if cancelled {
                format!("Cancelled: {service} on {} at {}.", words.0, words.1)
            } else {
                format!("Booked: {service} on {} at {}.", words.0, words.1)
            }
        }
        WorkshopAnswer::Taken(next) => {
            state.form.slot = None;
            let times: Vec<String> = match state.mine.as_ref().zip(call_workshop(&call)) {
                Some((mine, w)) => mine
                    .visit(w)
                    .map(|v| next.iter().take(3).map(|s| v.when(s.start_ms)).collect())
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            state.message = Some(Err(format!(
                "That slot was just taken. Next free: {}.",
                if times.is_empty() {
                    "none in the next days".to_owned()
                } else {
                    times.join(", ")
                }
            )));
            state.fetch(&link, now_ms);
            return;
        }
        WorkshopAnswer::Left => {
            let name = call_workshop(&call)
                .and_then(|w| {
                    let mine = state.mine.as_mut()?;
                    let name = mine.visit(w).map(|v| v.workshop.name.clone());
                    mine.without(w);
                    name
                })
                .unwrap_or_else(|| "the workshop".to_owned());
            state.form.leaving = None;
            format!("You left {name}: it sees nothing of yours any more.")
        }
        other => format!("{other:?}"),
    };
    state.message = Some(Ok(message));
    state.fetch(&link, now_ms);
}

fn call_workshop(call: &WorkshopCall) -> Option<Uuid> {
    match call {
        WorkshopCall::Book { workshop, .. }
        | WorkshopCall::Cancel { workshop, .. }
        | WorkshopCall::Leave { workshop } => Some(*workshop),
        _ => None,
    }
}

/// After each sync round that worked, the bookings queued on this device
/// go out.
fn send_queue_after_rounds(
    mut state: ResMut<Workshops>,
    link: Res<SyncLink>,
    player: Option<Res<Player>>,
) {
    let (Some(player), Some(syncer)) = (player, link.syncer()) else {
        return;
    };
    let Some(round) = syncer.status().last_success_ms else {
        return;
    };
    if state.queue.is_some() || state.queue_round_ms >= Some(round) {
        return;
    }
    state.queue_round_ms = Some(round);
    let queued = booking_queue::queued(&player);
    if !queued.is_empty() {
        state.queue = Some(booking_queue::sending(syncer.handle(), queued));
    }
}

fn finish_queue(
    mut state: ResMut<Workshops>,
    player: Option<ResMut<Player>>,
    mut synced: MessageWriter<Synced>,
) {
    let Some(done) = state.queue.as_ref().and_then(Pending::poll) else {
        return;
    };
    state.queue = None;
    let Some(mut player) = player else { return };
    let outcomes = match done {
        Ok(outcomes) => outcomes,
        Err(e) => {
            state.message = Some(Err(format!("The queued bookings were not sent: {e}")));
            return;
        }
    };
    if let Err(e) = booking_queue::settle(&mut player, &outcomes) {
        state.message = Some(Err(format!("The booking queue cannot be updated: {e}")));
        return;
    }
    // Times in the workshop's own time, where its bays are known here.
    let words: Vec<String> = outcomes
        .iter()
        .map(|sent| {
            let workshop = match sent {
                Sent::Confirmed(b) => b.workshop,
                Sent::Refused { queued, .. } | Sent::Kept { queued, .. } => queued.workshop,
            };
            let offset = state
                .mine
                .as_ref()
                .and_then(|m| m.visit(workshop))
                .map_or(0, Visit::utc_offset_min);
            booking_queue::sent_words(sent, offset)
        })
        .collect();
    let refused = outcomes.iter().any(|s| matches!(s, Sent::Refused { .. }));
    state.message = Some(if refused {
        Err(words.join(" "))
    } else {
        Ok(words.join(" "))
    });
    for sent in &outcomes {
        if let Sent::Confirmed(b) = sent
            && let Some(mine) = state.mine.as_mut()
        {
            mine.with_booking(b.clone());
        }
    }
    // Home lists the bookings again.
    synced.write(Synced {
        history_changed: false,
    });
}

fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    mut state: ResMut<Workshops>,
    player: Option<Res<Player>>,
    clock: Res<Clock>,
    mut asks: MessageWriter<WorkshopsAsk>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let now_ms = clock.now().0;
    let bike = player.as_deref().and_then(bike_words);
    show_content(ctx, &area, "workshops", |ui| {
        for ask in screen(ui, &mut state, bike.as_deref(), now_ms) {
            asks.write(ask);
        }
    });
    Ok(())
}

/// The current bike in words, as a booking names it.
fn bike_words(player: &Player) -> Option<String> {
    player.bike.as_ref()?;
    let v = &player.vehicle;
    Some(format!("{} {} ({})", v.make, v.model, v.year))
}

mod draw;
#[cfg(test)]
mod tests;

pub use draw::screen;
