//! The Reviews: the runs the safety gate escalated for the workshop's
//! customers, oldest first, beside the one under review — what the rider
//! asked, what the agents agreed on, why the gate held it — and the
//! mechanic's answer by tap: Approve (the agents' advice, in the
//! mechanic's words), Correct parts (tap the components at fault), Reject.
//! The text is filled in when a verdict is chosen and can be edited; the
//! server reads it with the agents' safety rules.

use bevy_egui::egui::{self, RichText, vec2};
use ridewire_app::workshop_board::Board;
use ridewire_engine::sync::workshops::{ReviewItem, Verdict, WorkshopCall};
use ridewire_engine::vehicle::COMPONENTS;

use super::board::TARGET;
use super::{ReviewDraft, Terminal, TerminalUi, header};
use crate::theme;

/// What a rejection says unless the mechanic writes otherwise.
pub const REJECT_TEXT: &str =
    "This needs a look in the workshop before anything is done: please book a slot.";

/// Draws the Reviews; returns the call a tap asked for.
pub fn reviews_panel(
    ui: &mut egui::Ui,
    terminal: &Terminal,
    state: &mut TerminalUi,
    now_ms: i64,
) -> Option<WorkshopCall> {
    header(ui, terminal, "Reviews", now_ms);
    let board = terminal.board.as_ref()?;
    ui.add_space(8.0);
    if !board.workshop.role.reviews() {
        ui.label(
            RichText::new("Only the workshop's mechanics and owner review diagnoses.").size(20.0),
        );
        return None;
    }
    if board.reviews.is_empty() {
        ui.label(RichText::new("Nothing waits for review.").size(22.0));
        return None;
    }
    // The run under review: the one tapped, else the oldest waiting.
    let shown = state
        .review
        .run
        .and_then(|id| board.reviews.iter().find(|r| r.run == id))
        .unwrap_or(&board.reviews[0])
        .clone();
    if state.review.run != Some(shown.run) {
        state.review = ReviewDraft {
            run: Some(shown.run),
            ..ReviewDraft::default()
        };
    }
    let mut asked = None;
    ui.columns(2, |cols| {
        queue(&mut cols[0], board, state);
        asked = detail(&mut cols[1], board, &shown, state, terminal.busy());
    });
    asked
}

/// The queue: one card per run, the one under review marked.
fn queue(ui: &mut egui::Ui, board: &Board, state: &mut TerminalUi) {
    ui.label(
        RichText::new(format!("{} waiting", board.reviews.len()))
            .size(22.0)
            .strong(),
    );
    let width = ui.available_width();
    for item in &board.reviews {
        let r = &item.request;
        // In the workshop's time (its bays'), not UTC.
        let offset = board
            .bays
            .first()
            .map_or(0, |b| i64::from(b.utc_offset_min));
        let when = chrono::DateTime::from_timestamp_millis(item.created_ms + offset * 60_000)
            .map_or_else(String::new, |t| t.format("%d %b %H:%M").to_string());
        let text = format!(
            "{}  ·  {when}\n{} {} {}  ·  {}",
            board.customer_name(item.customer),
            r.vehicle.make,
            r.vehicle.model,
            r.vehicle.year,
            asked_words(item)
        );
        let button = egui::Button::new(RichText::new(text).size(18.0))
            .selected(state.review.run == Some(item.run))
            .min_size(vec2(width, 80.0));
        if ui.add(button).clicked() && state.review.run != Some(item.run) {
            state.review = ReviewDraft {
                run: Some(item.run),
                ..ReviewDraft::default()
            };
        }
    }
}

/// What the rider asked: codes, symptoms, their words.
fn asked_words(item: &ReviewItem) -> String {
    let r = &item.request;
    let mut asked: Vec<String> = r.codes.iter().map(ToString::to_string).collect();
    asked.extend(r.symptoms.iter().map(|s| s.replace('_', " ")));
    if !r.query.trim().is_empty() {
        asked.push(format!("“{}”", r.query.trim()));
    }
    asked.join(", ")
}

fn component_name(id: &str) -> String {
    ridewire_engine::vehicle::component(id).map_or_else(|| id.to_owned(), |c| c.name)
}

/// The run under review and the mechanic's answer.
fn detail(
    ui: &mut egui::Ui,
    board: &Board,
    item: &ReviewItem,
    state: &mut TerminalUi,
    busy: bool,
) -> Option<WorkshopCall> {
    let mut asked = None;
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(
            RichText::new(format!(
                "{}: {}",
                board.customer_name(item.customer),
                asked_words(item)
            ))
            .size(22.0)
            .strong(),
        );
        match &item.consensus {
            Some(c) => {
                ui.label(
                    RichText::new(format!(
                        "Agents: {} (agreement {:.2}, confidence {:.2})",
                        c.diagnosis, c.score, c.confidence
                    ))
                    .size(18.0),
                );
                ui.label(
                    RichText::new(format!("Their advice: {}", c.recommended_action))
                        .color(theme::MUTED)
                        .size(18.0),
                );
                let parts: Vec<String> = c
                    .highlighted_components
                    .iter()
                    .map(|p| component_name(p))
                    .collect();
                if !parts.is_empty() {
                    ui.label(
                        RichText::new(format!("Parts named: {}", parts.join(", "))).size(18.0),
                    );
                }
            }
            None => {
                ui.label(RichText::new("No agent gave a usable answer.").size(18.0));
            }
        }
        for flag in &item.flags {
            ui.label(
                RichText::new(format!(
                    "Held: {}",
                    ridewire_app::diagnosis::flag_text(flag)
                ))
                .color(theme::GOLD)
                .size(16.0),
            );
        }
        ui.add_space(10.0);
        verdicts(ui, item, &mut state.review);
        if state.review.verdict.is_some() {
            ui.label(RichText::new("Your words to the rider").size(18.0));
            ui.add(
                egui::TextEdit::multiline(&mut state.review.text)
                    .desired_rows(3)
                    .desired_width(f32::INFINITY)
                    .font(egui::TextStyle::Heading),
            );
            let call = state.review.call(board.workshop.workshop);
            let send = egui::Button::new(RichText::new("Send to the rider").size(22.0).strong())
                .fill(theme::ACCENT)
                .min_size(vec2(280.0, TARGET + 16.0));
            if ui.add_enabled(call.is_some() && !busy, send).clicked() {
                asked = call;
            }
        }
        if state.review.verdict == Some(Verdict::Corrected) {
            ui.label(
                RichText::new("Tap the parts at fault (a tap again takes one off)").size(18.0),
            );
            ui.horizontal_wrapped(|ui| {
                for c in COMPONENTS {
                    let on = state.review.components.iter().any(|p| p == c.id);
                    let button = egui::Button::new(RichText::new(c.name).size(16.0))
                        .selected(on)
                        .min_size(vec2(TARGET * 3.0, TARGET));
                    if ui.add(button).clicked() {
                        if on {
                            state.review.components.retain(|p| p != c.id);
                        } else {
                            state.review.components.push(c.id.to_owned());
                        }
                    }
                }
            });
        }
    });
    asked
}

/// The three verdicts as large buttons; choosing one fills in its text.
fn verdicts(ui: &mut egui::Ui, item: &ReviewItem, draft: &mut ReviewDraft) {
    ui.horizontal(|ui| {
        for (verdict, label) in [
            (Verdict::Approved, "Approve"),
            (Verdict::Corrected, "Correct parts"),
            (Verdict::Rejected, "Reject"),
        ] {
            let chosen = draft.verdict == Some(verdict);
            let button = egui::Button::new(RichText::new(label).size(22.0))
                .selected(chosen)
                .min_size(vec2(200.0, TARGET + 16.0));
            if ui.add(button).clicked() && !chosen {
                draft.verdict = Some(verdict);
                let advice = item
                    .consensus
                    .as_ref()
                    .map(|c| c.recommended_action.clone())
                    .unwrap_or_default();
                draft.text = match verdict {
                    Verdict::Rejected => REJECT_TEXT.to_owned(),
                    _ => advice,
                };
                if verdict == Verdict::Corrected && draft.components.is_empty() {
                    draft.components = item
                        .consensus
                        .as_ref()
                        .map(|c| c.highlighted_components.clone())
                        .unwrap_or_default();
                }
            }
        }
    });
}
