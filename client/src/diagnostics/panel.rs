//! The diagnostics screen's panels: the form, the result card with every
//! agent and flag, the rider's note, the earlier runs.

use super::*;
use ridewire_offline_store::FeedbackSync;

#[allow(clippy::too_many_arguments)]
pub(super) fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    mut form: ResMut<DiagnosisForm>,
    latest: Res<LatestDiagnosis>,
    history: Res<History>,
    reading: Option<Res<AdapterJob>>,
    asking: Option<Res<OnlineJob>>,
    mut run: MessageWriter<RunDiagnosis>,
    mut read: MessageWriter<ReadAdapter>,
    mut feedback: MessageWriter<SaveFeedback>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    show_content(ctx, &area, "diagnostics", |ui| {
        ui.label(RichText::new("Diagnose").size(24.0).strong());
        ui.add_space(6.0);
        theme::card().show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label("Trouble codes:");
                ui.add(
                    egui::TextEdit::singleline(&mut form.codes)
                        .hint_text("e.g. P0300 P0171")
                        .desired_width(260.0),
                );
            });
            ui.add_space(4.0);
            ui.label("Symptoms:");
            ui.horizontal_wrapped(|ui| {
                for key in offline::known_symptoms() {
                    let mut on = form.symptoms.iter().any(|s| s == key);
                    if ui.toggle_value(&mut on, key.replace('_', " ")).changed() {
                        if on {
                            form.symptoms.push(key.to_owned());
                        } else {
                            form.symptoms.retain(|s| s != key);
                        }
                    }
                }
            });
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label("Wi-Fi adapter:");
                ui.add(
                    egui::TextEdit::singleline(&mut form.adapter)
                        .hint_text("192.168.0.10:35000")
                        .desired_width(200.0),
                );
                let busy = reading.is_some();
                let can_read = !busy && !form.adapter.trim().is_empty();
                if ui
                    .add_enabled(can_read, egui::Button::new("Read codes"))
                    .clicked()
                {
                    read.write(ReadAdapter(form.adapter.trim().to_owned()));
                }
                if busy {
                    ui.label(RichText::new("reading…").color(theme::MUTED));
                }
            });
            match &form.adapter_status {
                Some(Ok(s)) => {
                    ui.label(RichText::new(s).color(theme::OK));
                }
                Some(Err(e)) => {
                    ui.label(RichText::new(format!("Adapter: {e}")).color(theme::WARN));
                }
                None => {}
            }
            ui.add_space(6.0);
            if ui
                .button(RichText::new("Diagnose").size(18.0).strong())
                .clicked()
            {
                run.write(RunDiagnosis);
            }
        });
        ui.add_space(10.0);
        match &latest.0 {
            Some(Ok(done)) => {
                result_card(ui, done);
                feedback_box(ui, done.id, &mut form, &mut feedback);
            }
            Some(Err(e)) => {
                ui.label(RichText::new(e).color(theme::WARN));
            }
            None if asking.is_some() => {
                ui.label(RichText::new("Asking the server's agents…").color(theme::MUTED));
            }
            None => {
                ui.label(
                    RichText::new("Enter codes or pick symptoms, then Diagnose.")
                        .color(theme::MUTED),
                );
            }
        }
        ui.add_space(10.0);
        history_list(ui, &history);
    });
    Ok(())
}

fn feedback_box(
    ui: &mut egui::Ui,
    run: Uuid,
    form: &mut DiagnosisForm,
    feedback: &mut MessageWriter<SaveFeedback>,
) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.label("Did it help?");
        ui.add(
            egui::TextEdit::singleline(&mut form.feedback)
                .hint_text("e.g. new plugs fixed it, 60 EUR")
                .desired_width(320.0),
        );
        let has_text = !form.feedback.trim().is_empty();
        if ui
            .add_enabled(has_text, egui::Button::new("Save note"))
            .clicked()
        {
            feedback.write(SaveFeedback {
                run,
                text: form.feedback.clone(),
            });
        }
    });
    match &form.feedback_status {
        Some(Ok(m)) => {
            ui.label(RichText::new(m).color(theme::OK));
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(theme::WARN));
        }
        None => {}
    }
}

fn history_list(ui: &mut egui::Ui, history: &History) {
    match &history.0 {
        Err(e) => {
            ui.label(
                RichText::new(format!("Earlier runs could not be read: {e}")).color(theme::WARN),
            );
        }
        Ok(runs) if runs.is_empty() => {}
        Ok(runs) => {
            ui.label(RichText::new("Earlier runs on this bike").strong());
            for run in runs {
                let (label, colour) = verdict(run.result.decision);
                let when = chrono::DateTime::from_timestamp_millis(run.at_ms)
                    .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M").to_string());
                let codes: Vec<String> =
                    run.request.codes.iter().map(ToString::to_string).collect();
                let what = if codes.is_empty() {
                    run.request.symptoms.join(", ").replace('_', " ")
                } else {
                    codes.join(" ")
                };
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(when).color(theme::MUTED));
                    ui.label(what);
                    ui.label(RichText::new(label).color(colour));
                    if let Some(c) = &run.result.consensus {
                        ui.label(RichText::new(&c.diagnosis).color(theme::MUTED));
                    }
                });
                if let Some(review) = history.review(run.id) {
                    review_line(ui, review);
                }
                if let Some(note) = &run.feedback {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(
                            RichText::new(format!("  Your note: {}", note.text)).color(theme::GOLD),
                        );
                        ui.label(RichText::new(note_status(note.sync)).color(theme::MUTED));
                    });
                }
            }
        }
    }
}

/// A mechanic's answer to an escalated run: who, what they decided, their
/// words and the parts they name.
fn review_line(ui: &mut egui::Ui, review: &Review) {
    let colour = if review.verdict.lights() {
        theme::OK
    } else {
        theme::WARN
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!(
                "  {}:",
                ridewire_app::workshops::review_words(review)
            ))
            .color(colour)
            .strong(),
        );
        ui.label(&review.text);
    });
    let parts = review.lit_components();
    if !parts.is_empty() {
        let names: Vec<String> = parts.iter().map(|c| component_name(c)).collect();
        ui.label(
            RichText::new(format!("  Lit in the scanner: {}", names.join(", ")))
                .color(theme::MUTED),
        );
    }
}

/// Where the rider's note on a run stands, in their words.
pub fn note_status(sync: FeedbackSync) -> &'static str {
    match sync {
        FeedbackSync::Unsent => "(not sent yet)",
        FeedbackSync::Sent => "(on the server)",
        FeedbackSync::DeviceOnly => "(kept on this device: the run was answered offline)",
        FeedbackSync::Refused => "(kept on this device: the server refused it)",
    }
}

/// The decision in the rider's words, with its colour.
pub fn verdict(decision: Decision) -> (&'static str, egui::Color32) {
    match decision {
        Decision::Approved => ("Approved", theme::OK),
        Decision::Escalated => ("Escalated: have a mechanic confirm", theme::ACCENT),
        Decision::Rejected => ("Rejected: not safe to act on", theme::WARN),
    }
}

fn component_name(id: &str) -> String {
    vehicle::component(id).map_or_else(|| id.to_owned(), |c| c.name)
}

fn result_card(ui: &mut egui::Ui, done: &Finished) {
    let r = &done.result;
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        let (label, colour) = verdict(r.decision);
        ui.horizontal(|ui| {
            ui.label(RichText::new(label).size(20.0).strong().color(colour));
            if let Some(c) = &r.consensus {
                ui.label(
                    RichText::new(format!(
                        "agreement {:.2} · confidence {:.2}",
                        c.score, c.confidence
                    ))
                    .color(theme::MUTED),
                );
            }
        });
        if let Some(note) = &done.note {
            ui.label(RichText::new(note).color(theme::MUTED));
        }
        if done.offline_only && done.note.is_none() {
            ui.label(
                RichText::new(
                    "Offline: only the built-in code database answered. Online agents join \
                     when a server is set up in Settings.",
                )
                .color(theme::MUTED),
            );
        }
        if let Some(c) = &r.consensus {
            ui.add_space(4.0);
            ui.label(RichText::new(&c.diagnosis).size(16.0));
            ui.label(format!("Do: {}", c.recommended_action));
            if let Some(cost) = &c.estimated_cost {
                ui.label(format!(
                    "Estimated cost: {:.0}–{:.0} {}",
                    cost.min, cost.max, cost.currency
                ));
            }
        }
        if !r.highlighted_components.is_empty() {
            let names: Vec<String> = r
                .highlighted_components
                .iter()
                .map(|c| component_name(c))
                .collect();
            ui.label(
                RichText::new(format!("Highlighted in AR: {}", names.join(", "))).color(theme::OK),
            );
        }
        for flag in &r.flags {
            let text = match flag {
                SafetyFlag::UnsafeRecommendation { finding, .. } => {
                    format!("Unsafe recommendation: {}", finding.reason)
                }
                SafetyFlag::LanguageNotCovered { agent } => format!(
                    "{agent} answered in a language the safety check cannot read: held for a person"
                ),
                SafetyFlag::NoValidAnswers => "No agent gave a usable answer".to_owned(),
                SafetyFlag::SingleAgent => {
                    "Single agent: agreement between agents could not be checked".to_owned()
                }
            };
            ui.label(RichText::new(text).color(theme::WARN));
        }
        ui.add_space(4.0);
        ui.label(RichText::new("Agents").strong());
        for report in &r.answers {
            let status = match &report.status {
                AgentStatus::Used { .. } => "answered".to_owned(),
                AgentStatus::InvalidOutput { error, .. } => format!("left out: {error}"),
                AgentStatus::TimedOut => "left out: timed out".to_owned(),
                AgentStatus::Failed { reason } => format!("left out: {reason}"),
                AgentStatus::DuplicateAgent { .. } => "left out: answered twice".to_owned(),
            };
            ui.label(format!("• {}: {status}", report.agent));
        }
        ui.add_space(4.0);
        let earned = match &done.earned {
            Outcome::Counted { xp, achievements } if achievements.is_empty() => {
                format!("+{xp} XP")
            }
            Outcome::Counted { xp, achievements } => {
                format!("+{xp} XP · unlocked {}", achievements.join(", "))
            }
            Outcome::NotCounted(reason) => format!("recorded, not counted: {reason:?}"),
            Outcome::Failed(e) => format!("not recorded: {e}"),
        };
        ui.label(RichText::new(earned).color(theme::GOLD));
    });
}
