//! The Workshops screen drawn: the rider's workshops, each with their
//! bookings (Cancel), the services and free slots to book, and the
//! workshop's plans; then joining another with a code.

use bevy_egui::egui::{self, RichText};
use ridewire_app::my_workshops::{self, Visit};
use ridewire_app::workshop_board::clock_words;
use ridewire_app::workshops::{SERVICES, role_words, shares_words};

use super::{Form, Workshops, WorkshopsAsk};
use crate::theme;

/// The screen; what the rider asked for.
pub fn screen(
    ui: &mut egui::Ui,
    state: &mut Workshops,
    bike: Option<&str>,
    now_ms: i64,
) -> Vec<WorkshopsAsk> {
    let mut asks = Vec::new();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Workshops").size(24.0).strong());
        if let Some(mine) = &state.mine {
            ui.label(
                RichText::new(ridewire_app::leaderboard::age_words(
                    mine.fetched_ms,
                    now_ms,
                ))
                .color(theme::MUTED),
            );
        }
        let refresh = ui.add_enabled(!state.fetching(), egui::Button::new("Refresh"));
        if refresh.clicked() {
            asks.push(WorkshopsAsk::Refresh);
        }
        if state.fetching() {
            ui.spinner();
        }
    });
    if let Some(problem) = &state.problem {
        ui.label(RichText::new(problem).color(theme::GOLD));
    }
    match &state.message {
        Some(Ok(text)) => {
            ui.label(RichText::new(text).color(theme::OK));
        }
        Some(Err(text)) => {
            ui.label(RichText::new(text).color(theme::WARN));
        }
        None => {}
    }
    ui.add_space(8.0);
    let busy = state.busy();
    // The workshops are read and the form written in the same frame:
    // borrowed apart, nothing is copied per frame.
    let (mine, form) = (&state.mine, &mut state.form);
    for visit in mine.iter().flat_map(|m| &m.visits) {
        visit_card(ui, visit, form, bike, now_ms, busy, &mut asks);
        ui.add_space(10.0);
    }
    if let Some(mine) = &state.mine {
        for m in mine.memberships.iter().filter(|m| m.role.staff()) {
            ui.label(
                RichText::new(format!(
                    "You are {} of {}: its board is on the workshop terminal \
                     (`ridewire --workshop`).",
                    role_words(m.role),
                    m.name
                ))
                .color(theme::MUTED),
            );
        }
    }
    join_card(ui, &mut state.form, busy, &mut asks);
    asks
}

fn join_card(ui: &mut egui::Ui, form: &mut Form, busy: bool, asks: &mut Vec<WorkshopsAsk>) {
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new("Join a workshop").size(20.0).strong());
        ui.label(
            RichText::new(
                "Type the code your workshop gave you. You choose what it sees, and can \
                 leave at any time.",
            )
            .color(theme::MUTED),
        );
        ui.horizontal_wrapped(|ui| {
            ui.label("Code");
            ui.add(
                egui::TextEdit::singleline(&mut form.code)
                    .desired_width(180.0)
                    .hint_text("the invitation code"),
            );
            ui.checkbox(&mut form.share_bikes, "Share my bikes");
            ui.checkbox(&mut form.share_diagnoses, "Share my diagnoses");
            if ui
                .add_enabled(
                    !busy && !form.code.trim().is_empty(),
                    egui::Button::new("Join"),
                )
                .clicked()
            {
                asks.push(WorkshopsAsk::Join);
            }
        });
    });
}

fn visit_card(
    ui: &mut egui::Ui,
    visit: &Visit,
    form: &mut Form,
    bike: Option<&str>,
    now_ms: i64,
    busy: bool,
    asks: &mut Vec<WorkshopsAsk>,
) {
    let workshop = visit.workshop.workshop;
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&visit.workshop.name).size(22.0).strong());
            ui.label(
                RichText::new(format!("sees {}", shares_words(&visit.workshop.shares)))
                    .color(theme::MUTED),
            );
            if form.leaving == Some(workshop) {
                if ui
                    .add_enabled(!busy, egui::Button::new("Leave for good"))
                    .clicked()
                {
                    asks.push(WorkshopsAsk::Leave { workshop });
                }
                if ui.button("Stay").clicked() {
                    form.leaving = None;
                }
            } else if ui.button("Leave…").clicked() {
                form.leaving = Some(workshop);
            }
        });
        let live = visit.live_bookings(now_ms);
        if !live.is_empty() {
            ui.add_space(4.0);
            ui.label(RichText::new("Your bookings").size(18.0));
            for b in live {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(visit.when(b.start_ms)).color(theme::GOLD));
                    ui.label(&b.service);
                    ui.label(RichText::new(visit.bay_name(b.bay)).color(theme::MUTED));
                    if ui.add_enabled(!busy, egui::Button::new("Cancel")).clicked() {
                        asks.push(WorkshopsAsk::Cancel {
                            workshop,
                            booking: b.id,
                        });
                    }
                });
            }
        }
        ui.add_space(6.0);
        ui.label(RichText::new("Book a service").size(18.0));
        ui.horizontal_wrapped(|ui| {
            for service in SERVICES {
                let chosen = form.service.as_deref() == Some(service);
                if ui.selectable_label(chosen, service).clicked() {
                    form.service = Some(service.to_owned());
                }
            }
        });
        let days = visit.free_by_day(now_ms);
        if days.is_empty() {
            ui.label(RichText::new("No free slots in the next week.").color(theme::MUTED));
        }
        for (day, slots) in days.iter().take(7) {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(day).strong());
                for slot in slots {
                    let chosen = form.slot == Some((workshop, *slot));
                    let label = format!(
                        "{} {}",
                        clock_words(slot.start_ms, visit.utc_offset_min()),
                        visit.bay_name(slot.bay)
                    );
                    if ui.selectable_label(chosen, label).clicked() {
                        form.slot = Some((workshop, *slot));
                    }
                }
            });
        }
        ui.horizontal_wrapped(|ui| {
            ui.label("Note");
            ui.add(
                egui::TextEdit::singleline(&mut form.notes)
                    .desired_width(320.0)
                    .char_limit(my_workshops::NOTES_MAX)
                    .hint_text("what the workshop should know"),
            );
            ui.label(
                RichText::new(
                    bike.map_or_else(|| "no bike chosen".to_owned(), |b| format!("for your {b}")),
                )
                .color(theme::MUTED),
            );
        });
        let chosen = form.slot.filter(|(w, _)| *w == workshop);
        let label = match chosen {
            Some((_, slot)) => format!(
                "Book {} at {}",
                visit.when(slot.start_ms),
                visit.bay_name(slot.bay)
            ),
            None => "Book (choose a slot)".to_owned(),
        };
        let ready = chosen.is_some() && form.service.is_some() && !busy;
        if ui.add_enabled(ready, egui::Button::new(label)).clicked() {
            asks.push(WorkshopsAsk::Book { workshop });
        }
        if !visit.templates.is_empty() {
            ui.add_space(6.0);
            let titles: Vec<&str> = visit.templates.iter().map(|t| t.title.as_str()).collect();
            ui.label(
                RichText::new(format!(
                    "Its plans: {}. Start one from the Map's plan menu.",
                    titles.join(", ")
                ))
                .color(theme::MUTED),
            );
        }
    });
}
