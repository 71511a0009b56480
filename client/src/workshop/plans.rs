//! The plan editor: a maintenance plan (Markdown) written for a customer,
//! with the Map it makes drawn beside it as it is typed — the same
//! overworld the rider's Map will draw — and sent with one tap. A plan
//! starts from one of the bundled templates; the plans already sent are
//! listed with how far each customer is.

use std::time::Duration;

use bevy::prelude::Resource;
use bevy_egui::egui::{self, RichText, vec2};
use ridewire_app::workshop_board::{Board, preview};
use ridewire_engine::sync::workshops::{PlanForCustomer, WorkshopCall};

use super::board::TARGET;
use super::{PlanDraft, Terminal, TerminalUi, header};
use crate::theme;

/// How long typing must pause before the preview is drawn again.
pub const SETTLE: Duration = Duration::from_millis(250);

/// The Map of the plan being written, as last drawn.
#[derive(Resource, Default)]
pub struct PlanPreview {
    texture: Option<egui::TextureHandle>,
    /// The Markdown it was drawn from.
    drawn: Option<String>,
    /// The text and when it last changed, while it settles.
    typed: Option<(String, Duration)>,
    /// Quests and title of the plan drawn, or why it is not a plan.
    pub outcome: Option<Result<(usize, String), String>>,
}

impl PlanPreview {
    /// Draws the preview again once the text has settled.
    pub fn update(&mut self, ctx: &egui::Context, draft: &mut PlanDraft, now: Duration) {
        if draft.markdown.is_empty() {
            // A new plan starts from the first template.
            if let Some((_, text)) = ridewire_app::plans::TEMPLATES.first() {
                draft.markdown = (*text).to_owned();
            }
        }
        if self.drawn.as_deref() == Some(draft.markdown.as_str()) {
            self.typed = None;
            return;
        }
        let settled = match &self.typed {
            Some((text, at)) if *text == draft.markdown => now.saturating_sub(*at) >= SETTLE,
            _ => {
                // The first drawing is at once; later ones wait for typing
                // to pause.
                let first = self.drawn.is_none();
                self.typed = Some((draft.markdown.clone(), now));
                first
            }
        };
        if !settled {
            return;
        }
        self.drawn = Some(draft.markdown.clone());
        self.typed = None;
        match preview(&draft.markdown) {
            Ok(p) => {
                let image = egui::ColorImage::from_rgba_unmultiplied(
                    [p.width as usize, p.height as usize],
                    &p.rgba,
                );
                let options = egui::TextureOptions::NEAREST;
                match &mut self.texture {
                    Some(texture) => texture.set(image, options),
                    None => self.texture = Some(ctx.load_texture("plan-preview", image, options)),
                }
                self.outcome = Some(Ok((p.quests, p.title)));
            }
            Err(e) => self.outcome = Some(Err(e)),
        }
    }
}

/// A template's name in words: `spring-service` → "Spring service".
fn template_words(name: &str) -> String {
    let words = name.replace('-', " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// Draws the plan editor; returns the call a tap asked for.
pub fn plans_panel(
    ui: &mut egui::Ui,
    terminal: &Terminal,
    state: &mut TerminalUi,
    preview: &PlanPreview,
    now_ms: i64,
) -> Option<WorkshopCall> {
    header(ui, terminal, "Plans", now_ms);
    let board = terminal.board.as_ref()?;
    ui.add_space(8.0);
    if !board.workshop.role.reviews() {
        ui.label(RichText::new("Only the workshop's mechanics and owner write plans.").size(20.0));
        return None;
    }
    let mut asked = None;
    ui.columns_const(|[left, middle, right]| {
        for_whom(left, board, &mut state.plan);
        left.add_space(12.0);
        left.label(RichText::new("Start from").size(20.0));
        for (name, text) in ridewire_app::plans::TEMPLATES {
            let button = egui::Button::new(RichText::new(template_words(name)).size(18.0))
                .min_size(vec2(left.available_width(), TARGET));
            if left.add(button).clicked() {
                state.plan.markdown = text.to_owned();
            }
        }
        // The workshop's own, after the bundled ones.
        for template in &board.templates {
            let label = format!("{} (ours)", template.title);
            let button = egui::Button::new(RichText::new(label).size(18.0))
                .min_size(vec2(left.available_width(), TARGET));
            if left.add(button).clicked() {
                state.plan.markdown = template.markdown.clone();
            }
        }
        sent_list(left, board);

        middle.label(RichText::new("The plan (Markdown)").size(20.0));
        middle.add(
            egui::TextEdit::multiline(&mut state.plan.markdown)
                .code_editor()
                .desired_rows(30)
                .desired_width(f32::INFINITY),
        );

        asked = preview_column(right, board, &state.plan, preview, terminal.busy());
    });
    asked
}

/// Who the plan is for: a customer, then (when they share bikes) a bike.
fn for_whom(ui: &mut egui::Ui, board: &Board, draft: &mut PlanDraft) {
    ui.label(RichText::new("For").size(20.0));
    if board.customers.is_empty() {
        ui.label(
            RichText::new("No customers yet: invite one with a code.")
                .color(theme::MUTED)
                .size(18.0),
        );
    }
    let width = ui.available_width();
    for c in &board.customers {
        let chosen = draft.customer == Some(c.customer);
        let button = egui::Button::new(RichText::new(board.customer_name(c.customer)).size(18.0))
            .selected(chosen)
            .min_size(vec2(width, TARGET));
        if ui.add(button).clicked() && !chosen {
            draft.customer = Some(c.customer);
            draft.bike = None;
        }
        if chosen {
            for bike in c.bikes.iter().flatten() {
                let field = |f: &str| {
                    bike.fields
                        .get(f)
                        .map(|v| v.value.to_string().trim_matches('"').to_owned())
                        .unwrap_or_default()
                };
                let name = format!("{} {} ({})", field("make"), field("model"), field("year"));
                let on = draft.bike.as_deref() == Some(bike.key.as_str());
                let button = egui::Button::new(RichText::new(format!("   {name}")).size(16.0))
                    .selected(on)
                    .min_size(vec2(width, TARGET));
                if ui.add(button).clicked() {
                    draft.bike = if on { None } else { Some(bike.key.clone()) };
                }
            }
        }
    }
}

/// The plans sent, newest first, with each customer's progress.
fn sent_list(ui: &mut egui::Ui, board: &Board) {
    if board.plans.is_empty() {
        return;
    }
    ui.add_space(12.0);
    ui.label(RichText::new("Sent").size(20.0));
    let mut plans: Vec<_> = board.plans.iter().collect();
    plans.sort_by_key(|p| std::cmp::Reverse(p.sent_ms));
    for p in plans.iter().take(8) {
        ui.label(
            RichText::new(format!(
                "{}: {}{}",
                board.customer_name(p.customer),
                Board::plan_words(p),
                if p.removed { " (removed)" } else { "" }
            ))
            .size(16.0),
        );
    }
}

/// The Map the plan makes, what it holds, and Send.
fn preview_column(
    ui: &mut egui::Ui,
    board: &Board,
    draft: &PlanDraft,
    preview: &PlanPreview,
    busy: bool,
) -> Option<WorkshopCall> {
    ui.label(RichText::new("Their Map").size(20.0));
    let readable = match &preview.outcome {
        Some(Ok((quests, title))) => {
            ui.label(RichText::new(format!("{title}: {quests} quests")).size(18.0));
            true
        }
        Some(Err(why)) => {
            ui.label(RichText::new(why).color(theme::WARN).size(18.0));
            false
        }
        None => false,
    };
    if let Some(texture) = &preview.texture {
        let width = ui.available_width();
        let size = texture.size_vec2();
        let scale = (width / size.x).min(520.0 / size.y).max(0.1);
        ui.add(egui::Image::new((texture.id(), size * scale)));
    }
    ui.add_space(8.0);
    // Kept as one of the workshop's templates, named after its title.
    if let Some(Ok((_, title))) = &preview.outcome
        && let Some(name) = ridewire_engine::sync::workshops::template_name(title)
    {
        let keep = egui::Button::new(RichText::new("Keep as our template").size(18.0))
            .min_size(vec2(ui.available_width(), TARGET));
        if ui.add_enabled(!busy, keep).clicked() {
            return Some(WorkshopCall::SaveTemplate {
                workshop: board.workshop.workshop,
                name,
                markdown: draft.markdown.clone(),
            });
        }
        ui.add_space(8.0);
    }
    let Some(customer) = draft.customer else {
        ui.label(
            RichText::new("Tap a customer to send it to.")
                .color(theme::MUTED)
                .size(18.0),
        );
        return None;
    };
    let label = format!("Send to {}", board.customer_name(customer));
    let send = egui::Button::new(RichText::new(label).size(22.0).strong())
        .fill(theme::ACCENT)
        .min_size(vec2(ui.available_width(), TARGET + 16.0));
    (ui.add_enabled(readable && !busy, send).clicked()).then(|| WorkshopCall::SendPlan {
        workshop: board.workshop.workshop,
        plan: PlanForCustomer {
            customer,
            bike: draft.bike.clone(),
            markdown: draft.markdown.clone(),
        },
    })
}
