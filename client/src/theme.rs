//! Colours and egui style: a dark garage look with an amber accent, and a
//! large-target variant for workshop touch screens.

use bevy_egui::egui::{self, Color32, CornerRadius, Stroke, Vec2};

/// Window background.
pub const BACKGROUND: Color32 = Color32::from_rgb(0x14, 0x16, 0x1a);
/// Cards and panels.
pub const PANEL: Color32 = Color32::from_rgb(0x1f, 0x23, 0x2b);
/// Brand accent (buttons, selection).
pub const ACCENT: Color32 = Color32::from_rgb(0xf2, 0x8c, 0x28);
/// The filled part of the XP bar.
pub const XP_FILL: Color32 = Color32::from_rgb(0xf5, 0xc5, 0x18);
/// The empty part of the XP bar.
pub const XP_TRACK: Color32 = Color32::from_rgb(0x3b, 0x41, 0x4d);
/// Unlocked achievements.
pub const GOLD: Color32 = Color32::from_rgb(0xe8, 0xb9, 0x3a);
/// Locked things.
pub const MUTED: Color32 = Color32::from_rgb(0x6b, 0x72, 0x80);
/// Main text.
pub const TEXT: Color32 = Color32::from_rgb(0xe8, 0xea, 0xee);
/// Good news.
pub const OK: Color32 = Color32::from_rgb(0x4c, 0xc3, 0x6a);
/// Bad news.
pub const WARN: Color32 = Color32::from_rgb(0xe5, 0x53, 0x4b);

/// Applies the RideWire look; `touch` makes every target finger-sized.
pub fn apply(ctx: &egui::Context, touch: bool) {
    ctx.set_theme(egui::Theme::Dark);
    ctx.style_mut_of(egui::Theme::Dark, |style| restyle(style, touch));
}

fn restyle(style: &mut egui::Style, touch: bool) {
    let v = &mut style.visuals;
    *v = egui::Visuals::dark();
    v.panel_fill = BACKGROUND;
    v.window_fill = PANEL;
    v.extreme_bg_color = Color32::from_rgb(0x0e, 0x10, 0x13);
    v.override_text_color = Some(TEXT);
    v.selection.bg_fill = ACCENT;
    v.selection.stroke = Stroke::new(1.0, Color32::BLACK);
    v.widgets.inactive.corner_radius = CornerRadius::same(6);
    v.widgets.hovered.corner_radius = CornerRadius::same(6);
    v.widgets.active.corner_radius = CornerRadius::same(6);
    v.widgets.inactive.weak_bg_fill = Color32::from_rgb(0x2a, 0x2f, 0x39);
    v.widgets.hovered.weak_bg_fill = Color32::from_rgb(0x36, 0x3c, 0x48);
    let s = &mut style.spacing;
    if touch {
        // 48 px is the usual minimum for a finger target.
        s.interact_size = Vec2::new(48.0, 48.0);
        s.button_padding = Vec2::new(18.0, 12.0);
        s.item_spacing = Vec2::new(12.0, 12.0);
        s.icon_width = 28.0;
        // A finger on a label means to scroll or tap, not to select text.
        style.interaction.selectable_labels = false;
    } else {
        style.interaction.selectable_labels = true;
        s.interact_size = Vec2::new(40.0, 24.0);
        s.button_padding = Vec2::new(10.0, 5.0);
        s.item_spacing = Vec2::new(8.0, 6.0);
        s.icon_width = 16.0;
    }
}

/// A card: a rounded panel-coloured frame with padding.
pub fn card() -> egui::Frame {
    egui::Frame::new()
        .fill(PANEL)
        .corner_radius(CornerRadius::same(10))
        .inner_margin(egui::Margin::same(14))
}

/// How the last action went, under the card that did it: green when it
/// worked, red with the reason when it did not, nothing before any.
pub fn outcome(ui: &mut egui::Ui, message: &Option<Result<String, String>>) {
    match message {
        Some(Ok(text)) => {
            ui.label(egui::RichText::new(text).color(OK));
        }
        Some(Err(text)) => {
            ui.label(egui::RichText::new(text).color(WARN));
        }
        None => {}
    }
}
