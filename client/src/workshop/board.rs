//! The Board: one column per bay with today's slots, a booked slot naming
//! the customer, the service, the bike and the diagnoses waiting for
//! review; a free slot booked in three taps (the slot, the customer, the
//! service) and a booking cancelled in two.

use bevy_egui::egui::{self, Color32, RichText, vec2};
use ridewire_app::booking_queue::Queued;
use ridewire_app::workshop_board::{Board, BoardSlot, clock_words};
use ridewire_engine::sync::workshops::{Bay, NewBooking, WorkshopCall};

use super::{BookingSheet, SERVICES, Terminal, TerminalUi, header};
use crate::theme;

/// Height of one slot's card: a finger target with room for three lines.
pub const SLOT_HEIGHT: f32 = 96.0;
/// Smallest target on the terminal, in logical px.
pub const TARGET: f32 = 48.0;

/// Draws the Board; returns the call a tap asked for.
pub fn board_panel(
    ui: &mut egui::Ui,
    terminal: &Terminal,
    state: &mut TerminalUi,
    now_ms: i64,
) -> Option<WorkshopCall> {
    header(ui, terminal, "Board", now_ms);
    let board = terminal.board.as_ref()?;
    ui.add_space(8.0);
    if board.bays.is_empty() {
        ui.label(
            RichText::new("No bays yet: the owner adds them (`ridewire workshop add-bay`).")
                .size(20.0),
        );
        return None;
    }
    if let Some(sheet) = state.booking.clone() {
        return booking_sheet(ui, board, state, sheet, terminal.busy());
    }
    camera_bay(ui, board, terminal.bay, state);
    let mut asked = None;
    let today = board.today(now_ms);
    let columns = board.bays.len().min(6);
    ui.columns(columns, |cols| {
        for (col, bay) in cols.iter_mut().zip(&board.bays) {
            col.label(RichText::new(&bay.name).size(24.0).strong());
            let slots = board.day(bay, today);
            if slots.is_empty() {
                col.label(RichText::new("Closed today").color(theme::MUTED).size(18.0));
            }
            for slot in slots {
                if let Some(call) = slot_card(
                    col,
                    board,
                    &terminal.queued,
                    bay,
                    &slot,
                    state,
                    now_ms,
                    terminal.busy(),
                ) {
                    asked = Some(call);
                }
            }
        }
    });
    asked
}

/// One slot: a card to tap. Free slots in the future open the booking
/// sheet; a booked one opens its details, with Cancel.
#[allow(clippy::too_many_arguments)]
fn slot_card(
    ui: &mut egui::Ui,
    board: &Board,
    queued: &[Queued],
    bay: &Bay,
    slot: &BoardSlot,
    state: &mut TerminalUi,
    now_ms: i64,
    busy: bool,
) -> Option<WorkshopCall> {
    let at = format!(
        "{}–{}",
        clock_words(slot.slot.start_ms, bay.utc_offset_min),
        clock_words(slot.slot.end_ms, bay.utc_offset_min)
    );
    let width = ui.available_width();
    if slot.booking.is_none()
        && let Some(waiting) = terminal_queued(queued, board, bay, slot)
    {
        // Held for the booking queued here until the server answers.
        let text = format!("{at}  {waiting}\nWaiting to be sent");
        let button = egui::Button::new(RichText::new(text).size(18.0).color(theme::GOLD))
            .min_size(vec2(width, SLOT_HEIGHT));
        ui.add_enabled(false, button);
        return None;
    }
    match &slot.booking {
        None => {
            let past = slot.slot.start_ms <= now_ms;
            let text = if past {
                format!("{at}\nFree")
            } else {
                format!("{at}\nFree: tap to book")
            };
            let button = egui::Button::new(RichText::new(text).size(18.0).color(if past {
                theme::MUTED
            } else {
                theme::TEXT
            }))
            .min_size(vec2(width, SLOT_HEIGHT));
            if ui.add_enabled(!past && !busy, button).clicked() {
                state.booking = Some(BookingSheet {
                    slot: slot.slot,
                    customer: None,
                    service: None,
                });
            }
            None
        }
        Some(booking) => {
            let mut lines = format!(
                "{at}  {}\n{}",
                board.customer_name(booking.customer),
                booking.service
            );
            if let Some(bike) = board.bike_words(booking) {
                lines.push_str(&format!(" · {bike}"));
            }
            if let Some(plan) = board.plan_of(booking.customer) {
                lines.push_str(&format!("\nPlan {}", Board::plan_words(plan)));
            }
            let open = board.open_reviews(booking.customer);
            if open > 0 {
                lines.push_str(&format!(
                    "\n{open} diagnos{} to review",
                    if open == 1 { "is" } else { "es" }
                ));
            }
            let fill = if open > 0 {
                Color32::from_rgb(0x4a, 0x33, 0x1c)
            } else {
                Color32::from_rgb(0x1f, 0x3a, 0x2e)
            };
            let shown = state.open_booking == Some(booking.id);
            let button = egui::Button::new(RichText::new(lines).size(18.0))
                .fill(fill)
                .selected(shown)
                .min_size(vec2(width, SLOT_HEIGHT));
            if ui.add_enabled(!busy, button).clicked() {
                state.open_booking = if shown { None } else { Some(booking.id) };
            }
            if shown {
                if !booking.notes.is_empty() {
                    ui.label(RichText::new(&booking.notes).color(theme::MUTED).size(16.0));
                }
                let cancel = egui::Button::new(RichText::new("Cancel this booking").size(18.0))
                    .fill(Color32::from_rgb(0x5a, 0x22, 0x22))
                    .min_size(vec2(width, TARGET));
                if ui.add_enabled(!busy, cancel).clicked() {
                    return Some(WorkshopCall::Cancel {
                        workshop: board.workshop.workshop,
                        booking: booking.id,
                    });
                }
            }
            None
        }
    }
}

/// Which bay this terminal's camera looks at: the Scan tab then scans the
/// bike booked there.
fn camera_bay(
    ui: &mut egui::Ui,
    board: &Board,
    chosen: Option<uuid::Uuid>,
    state: &mut TerminalUi,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("This terminal's camera:").size(18.0));
        for bay in &board.bays {
            let on = chosen == Some(bay.id);
            let button = egui::Button::new(RichText::new(&bay.name).size(18.0))
                .selected(on)
                .min_size(vec2(140.0, TARGET));
            if ui.add(button).clicked() {
                state.choose_bay = Some(if on { None } else { Some(bay.id) });
            }
        }
        if chosen.is_none() {
            ui.label(
                RichText::new("no bay: Scan shows this account's own bike")
                    .color(theme::MUTED)
                    .size(16.0),
            );
        }
    });
    ui.add_space(6.0);
}

/// A booking queued on this terminal for `slot`, in words ("Jo Rider,
/// Tyres").
fn terminal_queued(
    queued: &[Queued],
    board: &Board,
    bay: &Bay,
    slot: &BoardSlot,
) -> Option<String> {
    let q = queued.iter().find(|q| {
        q.workshop == board.workshop.workshop
            && q.booking.bay == bay.id
            && q.booking.start_ms == slot.slot.start_ms
    })?;
    let who = q
        .booking
        .customer
        .map_or_else(String::new, |c| format!("{}, ", board.customer_name(c)));
    Some(format!("{who}{}", q.booking.service))
}

/// Booking a free slot: the customer, then the service, by tap; Book sends.
fn booking_sheet(
    ui: &mut egui::Ui,
    board: &Board,
    state: &mut TerminalUi,
    mut sheet: BookingSheet,
    busy: bool,
) -> Option<WorkshopCall> {
    let bay = board.bays.iter().find(|b| b.id == sheet.slot.bay)?;
    let mut asked = None;
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(
            RichText::new(format!(
                "Book {} at {}",
                bay.name,
                clock_words(sheet.slot.start_ms, bay.utc_offset_min)
            ))
            .size(26.0)
            .strong(),
        );
        ui.add_space(8.0);
        ui.label(RichText::new("Customer").size(20.0));
        if board.customers.is_empty() {
            ui.label(
                RichText::new("No customers yet: invite one with a code.")
                    .color(theme::MUTED)
                    .size(18.0),
            );
        }
        ui.horizontal_wrapped(|ui| {
            for c in &board.customers {
                let chosen = sheet.customer == Some(c.customer);
                let name = board.customer_name(c.customer);
                let button = egui::Button::new(RichText::new(name).size(20.0))
                    .selected(chosen)
                    .min_size(vec2(200.0, TARGET + 8.0));
                if ui.add(button).clicked() {
                    sheet.customer = Some(c.customer);
                }
            }
        });
        ui.add_space(8.0);
        ui.label(RichText::new("Service").size(20.0));
        ui.horizontal_wrapped(|ui| {
            for service in SERVICES {
                let chosen = sheet.service.as_deref() == Some(service);
                let button = egui::Button::new(RichText::new(service).size(20.0))
                    .selected(chosen)
                    .min_size(vec2(200.0, TARGET + 8.0));
                if ui.add(button).clicked() {
                    sheet.service = Some(service.to_owned());
                }
            }
        });
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            let ready = sheet.customer.is_some() && sheet.service.is_some() && !busy;
            let book = egui::Button::new(RichText::new("Book").size(22.0).strong())
                .fill(theme::ACCENT)
                .min_size(vec2(240.0, TARGET + 16.0));
            if ui.add_enabled(ready, book).clicked()
                && let (Some(customer), Some(service)) = (sheet.customer, sheet.service.clone())
            {
                asked = Some(WorkshopCall::Book {
                    workshop: board.workshop.workshop,
                    booking: NewBooking {
                        bay: sheet.slot.bay,
                        start_ms: sheet.slot.start_ms,
                        service,
                        bike: None,
                        notes: String::new(),
                        customer: Some(customer),
                        // Made here, so the same booking sent again (from
                        // the queue, after a lost reply) is not made twice.
                        id: Some(uuid::Uuid::now_v7()),
                    },
                });
            }
            let back = egui::Button::new(RichText::new("Back to the board").size(20.0))
                .min_size(vec2(240.0, TARGET + 16.0));
            if ui.add(back).clicked() {
                state.booking = None;
            }
        });
    });
    if state.booking.is_some() {
        state.booking = Some(sheet);
    }
    asked
}
