//! The scanner's heads-up display: where the 3D view sits, the source and
//! marker status, the hint without a marker, the tapped part's panel.

use super::*;

/// Where the 3D view sits in the window: the content area below the
/// navigation bar, letterboxed to the camera image's shape (physical px).
pub fn view_rect(content: egui::Rect, scale: f32, image: UVec2) -> (UVec2, UVec2) {
    let (cw, ch) = (content.width() * scale, content.height() * scale);
    let aspect = image.x as f32 / image.y.max(1) as f32;
    let (w, h) = if cw / ch > aspect {
        (ch * aspect, ch)
    } else {
        (cw, cw / aspect)
    };
    let x = content.min.x * scale + (cw - w) / 2.0;
    let y = content.min.y * scale + (ch - h) / 2.0;
    (
        UVec2::new(x.round() as u32, y.round() as u32),
        UVec2::new(w.round().max(1.0) as u32, h.round().max(1.0) as u32),
    )
}

#[allow(clippy::too_many_arguments)]
pub(super) fn draw_overlay(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    session: Option<Res<ScanSession>>,
    problem: Option<Res<ScanProblem>>,
    starting: Option<Res<CameraStarting>>,
    highlights: Res<ApprovedHighlights>,
    mut selected: ResMut<SelectedComponent>,
    mut cameras: Query<&mut Camera, With<ScanCamera>>,
    bay_bike: Option<Res<crate::shared::BayBike>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let content = area.0;
    if let Some(problem) = problem {
        let mut ui = crate::screens::root_ui(ctx, content, "scan-problem");
        ui.add_space(40.0);
        ui.vertical_centered(|ui| {
            ui.label(
                RichText::new("The scanner cannot start")
                    .size(22.0)
                    .color(theme::WARN),
            );
            ui.label(&problem.0);
        });
        return Ok(());
    }
    let Some(session) = session else {
        if let Some(starting) = starting {
            let mut ui = crate::screens::root_ui(ctx, content, "scan-starting");
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.spinner();
                ui.label(RichText::new(format!("Opening {}…", starting.name)).size(20.0));
            });
        }
        return Ok(());
    };
    // Keep the 3D view inside the content area, shaped like the image.
    let (position, size) = view_rect(content, ctx.pixels_per_point(), session.image_size());
    for mut camera in &mut cameras {
        let viewport = Viewport {
            physical_position: position,
            physical_size: size,
            ..default()
        };
        let same = camera
            .viewport
            .as_ref()
            .is_some_and(|v| v.physical_position == position && v.physical_size == size);
        if !same {
            camera.viewport = Some(viewport);
        }
    }
    let mut ui = crate::screens::root_ui(ctx, content, "scan-hud");
    ui.horizontal(|ui| {
        ui.add_space(12.0);
        ui.label(
            RichText::new(format!(
                "{} · {}×{}",
                session.source_name, session.frame_size.0, session.frame_size.1
            ))
            .color(theme::TEXT)
            .background_color(theme::PANEL),
        );
        if let Some(marker) = &session.marker {
            let distance = marker.pose.tvec.iter().map(|v| v * v).sum::<f64>().sqrt();
            ui.label(
                RichText::new(format!("Marker {} at {:.2} m", marker.id, distance))
                    .color(theme::OK)
                    .background_color(theme::PANEL),
            );
        }
    });
    if let Some(in_bay) = bay_bike.as_ref().and_then(|b| b.0.as_ref()) {
        ui.horizontal(|ui| {
            ui.add_space(12.0);
            let bike = in_bay.bike.clone().unwrap_or_else(|| "bike".to_owned());
            ui.label(
                RichText::new(format!(
                    "{}: {}'s {bike} · {}",
                    in_bay.bay, in_bay.customer, in_bay.service
                ))
                .size(20.0)
                .color(theme::GOLD)
                .background_color(theme::PANEL),
            );
        });
    }
    if session.pack.components.is_empty() {
        ui.horizontal(|ui| {
            ui.add_space(12.0);
            ui.label(
                RichText::new(format!(
                    "No model set exists for the {} yet: the marker and its axes are shown.",
                    session.pack.name
                ))
                .color(theme::GOLD)
                .background_color(theme::PANEL),
            );
        });
    }
    if let Some(why) = &session.fallback {
        ui.horizontal(|ui| {
            ui.add_space(12.0);
            ui.label(
                RichText::new(why)
                    .color(theme::WARN)
                    .background_color(theme::PANEL),
            );
        });
    }
    if session.marker.is_none() {
        let hint = format!(
            "Point the camera at the RideWire marker (ID {}, {:.0} cm): {}.",
            session.pack.marker.id,
            session.pack.marker.size_m * 100.0,
            session.pack.marker.placement
        );
        egui::Area::new("scan-hint".into())
            .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -24.0))
            .show(ctx, |ui| {
                theme::card().show(ui, |ui| {
                    ui.label(RichText::new(hint).size(17.0));
                });
            });
    }
    if let Some(problem) = &session.problem {
        egui::Area::new("scan-stopped".into())
            .anchor(
                egui::Align2::CENTER_TOP,
                egui::vec2(0.0, content.min.y + 40.0),
            )
            .show(ctx, |ui| {
                ui.label(
                    RichText::new(problem)
                        .color(theme::WARN)
                        .background_color(theme::PANEL),
                );
            });
    }
    if let Some(id) = selected.0.clone()
        && let Some(component) = session.pack.component(&id)
    {
        let mut open = true;
        egui::Window::new(&component.name)
            .id("scan-component".into())
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(
                egui::Align2::RIGHT_TOP,
                egui::vec2(-16.0, content.min.y + 16.0),
            )
            .show(ctx, |ui| {
                ui.label(RichText::new(format!("{:?}", component.category)).color(theme::MUTED));
                match (&highlights.finding, highlights.components.contains(&id)) {
                    (Some(finding), true) => {
                        ui.label(
                            RichText::new("Named by the approved diagnosis").color(theme::WARN),
                        );
                        ui.label(&finding.diagnosis);
                        ui.label(format!("Do: {}", finding.action));
                        if let Some(cost) = &finding.cost {
                            ui.label(format!("Estimated cost: {cost}"));
                        }
                    }
                    _ => {
                        ui.label("No approved diagnosis names this part.");
                    }
                }
            });
        if !open {
            selected.0 = None;
        }
    }
    Ok(())
}
