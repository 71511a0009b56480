//! The workshop terminal (issue 15): `ridewire --workshop` on a large touch
//! screen — the Board (today's bays, who is booked for what, what waits for
//! review) and the Reviews (escalated runs a mechanic answers). Every
//! common action is a tap on a target of at least 48 logical px; the
//! terminal comes back to the Board after an idle minute. What it shows
//! is the app layer's [`Board`] (`ridewire_app::workshop_board`), fetched
//! through the device's syncer and kept offline; what it sends is a
//! [`WorkshopCall`] through the same syncer.

mod board;
mod plans;
mod queue;
mod review;
#[cfg(test)]
mod tests;

use std::time::Duration;

use bevy::input::keyboard::KeyboardInput;
use bevy::input::mouse::MouseButtonInput;
use bevy::input::touch::TouchInput;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::booking_queue::Queued;
use ridewire_app::task::Pending;
use ridewire_app::workshop_board::Board;
use ridewire_engine::sync::workshops::{
    Booking, ReviewInput, Slot, Verdict, WorkshopAnswer, WorkshopCall,
};
use uuid::Uuid;

use crate::player::{Clock, Player};
use crate::screens::{ContentArea, Navigate, Screen, show_content};
use crate::shared::{BayBike, Kiosk, SyncLink};
use crate::{AppSystems, UiSystems};

pub use board::board_panel;
pub use plans::{PlanPreview, plans_panel};
pub use review::reviews_panel;

/// How often the open board asks the server again.
pub const REFRESH: Duration = Duration::from_secs(30);
/// After this long without a touch the terminal goes back to the Board.
pub const IDLE: Duration = Duration::from_secs(60);

/// Services the front desk books with one tap.
pub use ridewire_app::workshops::SERVICES;

pub(super) fn plugin(app: &mut App) {
    add_terminal(app);
    app.add_systems(OnEnter(Screen::Board), fetch_soon)
        .add_systems(OnEnter(Screen::Plans), fetch_soon)
        .add_systems(OnEnter(Screen::Reviews), fetch_soon)
        .add_systems(Update, back_to_board_when_idle.in_set(AppSystems::Navigate))
        .add_systems(
            EguiPrimaryContextPass,
            draw.in_set(UiSystems::Screen).run_if(on_terminal),
        );
}

/// The terminal without its screens (for headless tests): fetching and
/// keeping the board, sending what was asked, queueing bookings the
/// server could not be asked about and sending them later.
pub fn add_terminal(app: &mut App) {
    app.init_resource::<Terminal>()
        .init_resource::<TerminalUi>()
        .init_resource::<Idle>()
        .init_resource::<PlanPreview>()
        .init_resource::<queue::Sending>()
        .init_resource::<BayBike>()
        .add_message::<TerminalAsk>()
        .add_systems(
            Update,
            (
                // The kiosk's Scan tab scans the bike in the terminal's bay,
                // also when the terminal opens on it.
                (load_kept, keep_bay, follow_bay)
                    .chain()
                    .run_if(on_terminal.or_else(in_kiosk)),
                (
                    act,
                    refresh,
                    finish_fetch,
                    finish_send,
                    queue::send_when_online,
                    queue::finish,
                )
                    .chain()
                    .run_if(on_terminal),
            )
                .chain(),
        );
}

fn in_kiosk(kiosk: Option<Res<Kiosk>>) -> bool {
    kiosk.is_some_and(|k| k.0)
}

/// Keeps the bay tapped as the camera's (on the device, for the next start).
fn keep_bay(
    mut terminal: ResMut<Terminal>,
    mut ui: ResMut<TerminalUi>,
    player: Option<ResMut<Player>>,
) {
    let Some(choice) = ui.choose_bay.take() else {
        return;
    };
    terminal.bay = choice;
    if let Some(mut player) = player
        && !player.is_demo()
        && let Err(e) = ridewire_app::workshop_board::set_terminal_bay(&mut player, choice)
    {
        terminal.message = Some(Err(format!("The bay could not be kept: {e}")));
    }
}

/// The scanner's subject: the bike booked in the terminal's bay now.
fn follow_bay(terminal: Res<Terminal>, clock: Res<Clock>, mut bay_bike: ResMut<BayBike>) {
    let now = terminal
        .bay
        .zip(terminal.board.as_ref())
        .and_then(|(bay, board)| board.in_bay(bay, clock.now().0));
    if bay_bike.0 != now {
        bay_bike.0 = now;
    }
}

/// What a tap on the terminal asked for: sent through the syncer (applied
/// to the sample board in the demo).
#[derive(Message, Debug, Clone, PartialEq)]
pub struct TerminalAsk(pub WorkshopCall);

fn act(
    mut asks: MessageReader<TerminalAsk>,
    mut terminal: ResMut<Terminal>,
    mut ui_state: ResMut<TerminalUi>,
    link: Res<SyncLink>,
    player: Option<Res<Player>>,
    clock: Res<Clock>,
) {
    let demo = player.is_some_and(|p| p.is_demo());
    for TerminalAsk(call) in asks.read() {
        if terminal.busy() {
            continue;
        }
        terminal.message = None;
        if demo {
            let now_ms = clock.now().0;
            let answer = terminal.board.as_mut().map(|b| b.apply_demo(call, now_ms));
            terminal.message = answer;
            *ui_state = TerminalUi::default();
        } else {
            send(&mut terminal, &link, call.clone());
        }
    }
}

fn on_terminal(screen: Res<State<Screen>>) -> bool {
    matches!(**screen, Screen::Board | Screen::Reviews | Screen::Plans)
}

/// The board as last fetched (or kept), and the questions on their way.
#[derive(Resource, Default)]
pub struct Terminal {
    pub board: Option<Board>,
    fetching: Option<Pending<ridewire_app::Result<Board>>>,
    sending: Option<Pending<ridewire_sync_client::Result<WorkshopAnswer>>>,
    /// The call `sending` answers (a booking is queued when it cannot be
    /// sent).
    sending_call: Option<WorkshopCall>,
    last_fetch: Option<Duration>,
    /// Why the board could not be fetched (it then shows the kept one).
    pub problem: Option<String>,
    /// How the last action went, shown on the screen that did it.
    pub message: Option<Result<String, String>>,
    /// Bookings made here while the server could not be reached, held on
    /// the Board until they are sent.
    pub queued: Vec<Queued>,
    /// The bay this terminal's camera looks at.
    pub bay: Option<Uuid>,
    /// A fetch worked since the queue was last sent.
    queue_due: bool,
    /// The last fetch found no syncer (not signed in).
    no_syncer: bool,
}

impl Terminal {
    /// An action is on its way to the server.
    pub fn busy(&self) -> bool {
        self.sending.is_some()
    }

    /// The board is being fetched.
    pub fn fetching(&self) -> bool {
        self.fetching.is_some()
    }

    /// Fetch the board again at once.
    pub fn refetch(&mut self) {
        self.last_fetch = None;
    }
}

/// What the mechanic or front desk has on the go: a booking being made,
/// the run under review.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct TerminalUi {
    pub booking: Option<BookingSheet>,
    /// The booked slot whose details are open.
    pub open_booking: Option<Uuid>,
    pub review: ReviewDraft,
    pub plan: PlanDraft,
    /// The bay just tapped as the one the camera looks at (`Some(None)`:
    /// none), kept by [`keep_bay`].
    pub choose_bay: Option<Option<Uuid>>,
}

/// A plan being written for a customer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanDraft {
    pub customer: Option<i64>,
    /// One of the customer's bikes (its record key).
    pub bike: Option<String>,
    pub markdown: String,
}

/// A booking being made for a free slot: who, what.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingSheet {
    pub slot: Slot,
    pub customer: Option<i64>,
    pub service: Option<String>,
}

/// A mechanic's answer being put together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewDraft {
    /// The run shown (the queue's first when none was chosen).
    pub run: Option<Uuid>,
    pub verdict: Option<Verdict>,
    /// With `corrected`: the components at fault.
    pub components: Vec<String>,
    /// The mechanic's words; filled in from the agents' advice (approve)
    /// or a standard line (reject) when the verdict is chosen, editable.
    pub text: String,
}

impl ReviewDraft {
    /// The call this draft sends, once it is complete.
    pub fn call(&self, workshop: Uuid) -> Option<WorkshopCall> {
        let (run, verdict) = (self.run?, self.verdict?);
        if self.text.trim().is_empty()
            || (verdict == Verdict::Corrected && self.components.is_empty())
        {
            return None;
        }
        Some(WorkshopCall::Review {
            workshop,
            run,
            input: ReviewInput {
                verdict,
                text: self.text.trim().to_owned(),
                components: if verdict == Verdict::Corrected {
                    self.components.clone()
                } else {
                    Vec::new()
                },
            },
        })
    }
}

/// When the terminal was last touched.
#[derive(Resource, Debug, Default)]
struct Idle {
    last_input: Duration,
}

fn load_kept(mut terminal: ResMut<Terminal>, player: Option<Res<Player>>, clock: Res<Clock>) {
    if terminal.board.is_none()
        && let Some(player) = player
    {
        terminal.board = if player.is_demo() {
            // The demo garage's sample morning: nothing to fetch or send.
            let (now_ms, offset) = clock.now();
            let demo = Board::demo(now_ms, offset);
            // Its camera looks at the first lift.
            terminal.bay = demo.bays.first().map(|b| b.id);
            Some(demo)
        } else {
            terminal.queued = ridewire_app::booking_queue::queued(&player);
            terminal.bay = ridewire_app::workshop_board::terminal_bay(&player);
            Board::kept(&player)
        };
    }
}

fn start_fetch(
    terminal: &mut Terminal,
    link: &SyncLink,
    player: Option<&Player>,
    now_ms: i64,
    elapsed: Duration,
) {
    if terminal.fetching.is_some() {
        return;
    }
    terminal.last_fetch = Some(elapsed);
    if player.is_some_and(|p| p.is_demo()) {
        return;
    }
    terminal.no_syncer = link.syncer().is_none();
    let Some(syncer) = link.syncer() else {
        terminal.problem =
            Some("Not signed in: sign in under Settings to fetch the board.".to_owned());
        return;
    };
    let chosen = player
        .and_then(|p| p.setting(ridewire_app::workshop_board::WORKSHOP_KEY))
        .and_then(|id| id.parse().ok());
    terminal.fetching = Some(Board::fetching_for(syncer.handle(), chosen, now_ms));
}

/// Entering the terminal's screens fetches the board at once.
fn fetch_soon(mut terminal: ResMut<Terminal>) {
    terminal.last_fetch = None;
}

fn refresh(
    mut terminal: ResMut<Terminal>,
    link: Res<SyncLink>,
    player: Option<Res<Player>>,
    clock: Res<Clock>,
    time: Res<Time>,
) {
    // The player loads and the syncer starts after the first frames: wait
    // for the player, and fetch as soon as a syncer is there.
    let Some(player) = player else { return };
    // A terminal that was not signed in fetches as soon as it is; one
    // whose server was not reached tries again with the next refresh.
    let due = terminal
        .last_fetch
        .is_none_or(|at| time.elapsed().saturating_sub(at) >= REFRESH)
        || (terminal.no_syncer && terminal.fetching.is_none() && link.syncer().is_some());
    if due {
        start_fetch(
            &mut terminal,
            &link,
            Some(&player),
            clock.now().0,
            time.elapsed(),
        );
    }
}

fn finish_fetch(mut terminal: ResMut<Terminal>, player: Option<ResMut<Player>>) {
    let Some(done) = terminal.fetching.as_ref().and_then(Pending::poll) else {
        return;
    };
    terminal.fetching = None;
    match done.and_then(|answer| answer) {
        Ok(board) => {
            if let Some(mut player) = player
                && let Err(e) = board.keep(&mut player)
            {
                warn!("the board could not be kept on this device: {e}");
            }
            terminal.board = Some(board);
            terminal.problem = None;
            terminal.queue_due = true;
        }
        Err(e) => terminal.problem = Some(e.to_string()),
    }
}

/// Sends what the screen asked for through the syncer.
fn send(terminal: &mut Terminal, link: &SyncLink, call: WorkshopCall) {
    let Some(syncer) = link.syncer() else {
        terminal.message = Some(Err(
            "Not signed in: sign in under Settings to book, review or send plans.".to_owned(),
        ));
        return;
    };
    match syncer.handle().workshop(call.clone()) {
        Ok(answer) => {
            terminal.sending = Some(Pending::from("the sync thread", answer));
            terminal.sending_call = Some(call);
        }
        Err(e) => terminal.message = Some(Err(e.to_string())),
    }
}

fn finish_send(
    mut terminal: ResMut<Terminal>,
    mut ui: ResMut<TerminalUi>,
    mut player: Option<ResMut<Player>>,
    clock: Res<Clock>,
) {
    let Some(done) = terminal.sending.as_ref().and_then(Pending::poll) else {
        return;
    };
    terminal.sending = None;
    let call = terminal.sending_call.take();
    // Whatever happened, the next refresh shows the server's board.
    terminal.last_fetch = None;
    let answer = done.and_then(|a| a.map_err(ridewire_app::Error::from));
    if let (Err(e), Some(call)) = (&answer, &call)
        && queue::queue_unsent(&mut terminal, player.as_deref_mut(), call, e, clock.now().0)
    {
        ui.booking = None;
        return;
    }
    let answer = answer.map_err(|e| e.to_string());
    terminal.message = Some(match answer {
        Ok(WorkshopAnswer::Booked(booking)) => {
            let words = booked_words(&terminal, &booking);
            if let Some(board) = terminal.board.as_mut() {
                board.with_booking(booking);
            }
            ui.booking = None;
            ui.open_booking = None;
            Ok(words)
        }
        Ok(WorkshopAnswer::Taken(next)) => {
            let offset = terminal
                .board
                .as_ref()
                .and_then(|b| b.bays.first())
                .map_or(0, |b| b.utc_offset_min);
            let times: Vec<String> = next
                .iter()
                .take(3)
                .map(|s| ridewire_app::workshop_board::clock_words(s.start_ms, offset))
                .collect();
            ui.booking = None;
            Err(format!(
                "That slot was just taken. Next free: {}.",
                if times.is_empty() {
                    "none in the next days".to_owned()
                } else {
                    times.join(", ")
                }
            ))
        }
        Ok(WorkshopAnswer::SentPlan(sent)) => {
            let name = terminal.board.as_ref().map_or_else(
                || format!("Customer {}", sent.customer),
                |b| b.customer_name(sent.customer),
            );
            let words = format!(
                "Sent “{}” to {name}: it joins their Map on their next sync.",
                sent.title
            );
            if let Some(board) = terminal.board.as_mut() {
                board.plans.push(sent);
            }
            ui.plan.customer = None;
            ui.plan.bike = None;
            Ok(words)
        }
        Ok(WorkshopAnswer::Template(kept)) => {
            let words = format!("Kept “{}” as one of the workshop's templates.", kept.title);
            if let Some(board) = terminal.board.as_mut() {
                board.templates.retain(|t| t.name != kept.name);
                board.templates.push(kept);
            }
            Ok(words)
        }
        Ok(WorkshopAnswer::Reviewed(done)) => {
            if let Some(board) = terminal.board.as_mut() {
                board.with_answered(done.run);
            }
            ui.review = ReviewDraft::default();
            Ok(format!(
                "{}. The rider sees it on their next sync.",
                ridewire_app::workshops::review_words(&done.review)
            ))
        }
        Ok(other) => Ok(format!("{other:?}")),
        Err(e) => Err(e),
    });
}

fn booked_words(terminal: &Terminal, booking: &Booking) -> String {
    let name = terminal.board.as_ref().map_or_else(
        || format!("Customer {}", booking.customer),
        |b| b.customer_name(booking.customer),
    );
    let offset = terminal
        .board
        .as_ref()
        .and_then(|b| b.bays.iter().find(|bay| bay.id == booking.bay))
        .map_or(0, |b| b.utc_offset_min);
    let at = ridewire_app::workshop_board::clock_words(booking.start_ms, offset);
    if booking.cancelled_ms.is_some() {
        format!("Cancelled: {name}, {} at {at}.", booking.service)
    } else {
        format!("Booked: {name}, {} at {at}.", booking.service)
    }
}

#[allow(clippy::too_many_arguments)]
fn back_to_board_when_idle(
    mut idle: ResMut<Idle>,
    kiosk: Option<Res<Kiosk>>,
    time: Res<Time<Real>>,
    screen: Res<State<Screen>>,
    mut touches: MessageReader<TouchInput>,
    mut buttons: MessageReader<MouseButtonInput>,
    mut keys: MessageReader<KeyboardInput>,
    mut ui: ResMut<TerminalUi>,
    mut navigate: MessageWriter<Navigate>,
) {
    let touched = touches.read().count() + buttons.read().count() + keys.read().count() > 0;
    if touched {
        idle.last_input = time.elapsed();
        return;
    }
    if !kiosk.is_some_and(|k| k.0) || time.elapsed().saturating_sub(idle.last_input) < IDLE {
        return;
    }
    idle.last_input = time.elapsed();
    ui.booking = None;
    ui.open_booking = None;
    if **screen != Screen::Board {
        navigate.write(Navigate(Screen::Board));
    }
}

#[allow(clippy::too_many_arguments)]
fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    screen: Res<State<Screen>>,
    terminal: Res<Terminal>,
    mut ui_state: ResMut<TerminalUi>,
    clock: Res<Clock>,
    mut preview: ResMut<PlanPreview>,
    time: Res<Time<Real>>,
    mut asks: MessageWriter<TerminalAsk>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let now_ms = clock.now().0;
    let mut asked = None;
    let id = match **screen {
        Screen::Reviews => "reviews",
        Screen::Plans => "plans",
        _ => "board",
    };
    if **screen == Screen::Plans {
        preview.update(ctx, &mut ui_state.plan, time.elapsed());
    }
    show_content(ctx, &area, id, |ui| {
        asked = match **screen {
            Screen::Reviews => reviews_panel(ui, &terminal, &mut ui_state, now_ms),
            Screen::Plans => plans_panel(ui, &terminal, &mut ui_state, &preview, now_ms),
            _ => board_panel(ui, &terminal, &mut ui_state, now_ms),
        };
    });
    if let Some(call) = asked
        && !terminal.busy()
    {
        asks.write(TerminalAsk(call));
    }
    Ok(())
}

/// The line over both screens: the workshop, how fresh the board is, and
/// why it could not be fetched.
fn header(ui: &mut bevy_egui::egui::Ui, terminal: &Terminal, title: &str, now_ms: i64) {
    use bevy_egui::egui::RichText;
    let Some(board) = &terminal.board else {
        ui.label(RichText::new(title).size(28.0).strong());
        let why = terminal
            .problem
            .clone()
            .unwrap_or_else(|| "Fetching the board…".to_owned());
        ui.label(RichText::new(why).color(crate::theme::MUTED).size(18.0));
        return;
    };
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("{} — {title}", board.workshop.name))
                .size(28.0)
                .strong(),
        );
        ui.add_space(16.0);
        let offset = board
            .bays
            .first()
            .map_or(0, |b| i64::from(b.utc_offset_min));
        if let Some(day) = chrono::DateTime::from_timestamp_millis(now_ms + offset * 60_000) {
            ui.label(RichText::new(day.format("%A %-d %B").to_string()).size(22.0));
            ui.add_space(16.0);
        }
        let age = ridewire_app::leaderboard::age_words(board.fetched_ms, now_ms);
        ui.label(RichText::new(age).color(crate::theme::MUTED).size(18.0));
    });
    if let Some(problem) = &terminal.problem {
        ui.label(
            RichText::new(format!(
                "Showing the board kept on this terminal. {problem}"
            ))
            .color(crate::theme::GOLD)
            .size(18.0),
        );
    }
    match &terminal.message {
        Some(Ok(text)) => {
            ui.label(RichText::new(text).color(crate::theme::OK).size(20.0));
        }
        Some(Err(text)) => {
            ui.label(RichText::new(text).color(crate::theme::WARN).size(20.0));
        }
        None => {}
    }
}
