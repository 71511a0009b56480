//! Which plan the Map draws: the rider's plans (their own files, started
//! from templates, and those a workshop sent) listed at the Map's foot,
//! one current. Opening and choosing are the app layer's
//! [`ridewire_app::plans`]; this keeps [`MapPlan`] on the current one.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy_egui::egui;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::plans::{self, ListedPlan, Source, TEMPLATES, Trouble};
use ridewire_app::task::{Pending, Progress};
use ridewire_engine::sync::workshops::Template;

use super::{Level, LevelMap, MapPlan, STARTER_SEED, SelectedNode};
use crate::player::{Clock, Player};
use crate::screens::{ContentArea, Screen};
use crate::shared::SyncLink;
use crate::{UiSystems, theme};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<PlanForm>()
        .init_resource::<Clock>()
        .add_message::<PlanAsk>()
        .add_message::<crate::shared::Synced>()
        .add_systems(
            Update,
            (
                follow_current,
                (act, refresh_list, finish_export)
                    .chain()
                    .after(crate::AppSystems::Record),
            ),
        )
        .add_systems(OnEnter(Screen::Overworld), read_again)
        .add_systems(
            EguiPrimaryContextPass,
            draw.in_set(UiSystems::Screen)
                .run_if(in_state(Screen::Overworld)),
        );
}

/// The Map reads the plan list and the workshop templates again when it
/// is shown (other screens may have fetched new ones).
fn read_again(mut form: ResMut<PlanForm>) {
    form.stale = true;
}

/// What the rider asks of the plan bar.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub enum PlanAsk {
    /// Draw this plan (`None`: the starter plan).
    Choose(Option<String>),
    /// Open the Markdown file typed in the bar.
    OpenFile,
    /// Start a plan from this template.
    Template(&'static str),
    /// Start a plan from this workshop template (its name), kept here.
    WorkshopTemplate(String),
    /// Write the level on show as a PNG picture.
    ExportPng,
    /// Settle own plan `id`'s change that crossed another device's.
    Settle { id: String, keep_mine: bool },
    /// Drop own plan `id`'s change the server refused.
    Discard(String),
}

/// The plan bar: the file path typed, how the last action went, and the
/// rider's plans as last read (again after each change and sync round).
#[derive(Resource, Debug)]
pub struct PlanForm {
    pub path: String,
    pub message: Option<Result<String, String>>,
    pub listed: Vec<ListedPlan>,
    /// The rider's workshops' templates kept on this device, each with its
    /// workshop's name.
    pub workshop_templates: Vec<(String, Template)>,
    stale: bool,
    /// The map picture being written, and how far it is.
    pub export: Option<(Pending<Result<PathBuf, String>>, Progress)>,
    /// Where templates and map pictures are written ([`plans_folder`]).
    pub folder: PathBuf,
    /// The folder the file browser shows, while it is open.
    pub browsing: Option<PathBuf>,
}

impl Default for PlanForm {
    fn default() -> Self {
        Self {
            path: String::new(),
            message: None,
            listed: Vec::new(),
            workshop_templates: Vec::new(),
            stale: true,
            export: None,
            folder: plans_folder(),
            browsing: None,
        }
    }
}

/// Reads the plan list when it may have changed; when a sync round changed
/// or removed the plan on show (on another device), draws it again, or the
/// starter plan.
fn refresh_list(
    mut form: ResMut<PlanForm>,
    mut synced: MessageReader<crate::shared::Synced>,
    player: Option<ResMut<Player>>,
    mut asks: MessageWriter<PlanAsk>,
) {
    let Some(mut player) = player else { return };
    let round = synced.read().count() > 0;
    if !round && !form.stale {
        return;
    }
    if round {
        // A plan a workshop sent for this bike goes on the Map while the
        // rider follows the starter plan.
        match plans::workshop_plan_to_offer(&mut player) {
            Ok(Some(id)) => {
                asks.write(PlanAsk::Choose(Some(id)));
            }
            Ok(None) => {}
            Err(e) => warn!("the workshop's plans cannot be read: {e}"),
        }
    }
    let current = plans::current_id(&player);
    let text_of = |listed: &[ListedPlan]| {
        current
            .as_ref()
            .and_then(|id| listed.iter().find(|p| &p.id == id))
            .map(|p| p.markdown.clone())
    };
    let before = text_of(&form.listed);
    form.listed = plans::plans(&player).unwrap_or_default();
    form.workshop_templates = ridewire_app::my_workshops::templates(&player);
    form.stale = false;
    let after = text_of(&form.listed);
    if round && current.is_some() && before.is_some() && before != after {
        asks.write(PlanAsk::Choose(after.and(current)));
    }
}

/// Where templates are written: the documents folder's `RideWire plans`.
pub fn plans_folder() -> PathBuf {
    dirs::document_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("RideWire plans")
}

/// The Map's plan for a listed plan (`None`: the starter plan).
fn map_plan(listed: Option<&ListedPlan>) -> Result<MapPlan, String> {
    match listed {
        None => MapPlan::starter().map_err(|e| e.to_string()),
        Some(p) => Ok(MapPlan {
            plan: p.parsed().map_err(|e| format!("{}: {e}", p.title))?,
            seed: if matches!(p.source, Source::Server) {
                STARTER_SEED
            } else {
                p.seed
            },
        }),
    }
}

/// Shows `plan` from its top level.
fn show(
    commands: &mut Commands,
    plan: MapPlan,
    level: &mut Level,
    selected: &mut SelectedNode,
    map: Option<&mut LevelMap>,
) {
    commands.insert_resource(plan);
    if let Some(map) = map {
        map.invalidate();
    }
    level.0.clear();
    selected.0 = None;
}

/// The device's current plan for the current bike: at start (the starter
/// plan stays when there is none), and whenever the rider switches bikes
/// (each keeps its own; the starter plan when it has none).
fn follow_current(
    mut commands: Commands,
    player: Option<Res<Player>>,
    mut seen: Local<Option<Option<String>>>,
    mut level: ResMut<Level>,
    mut selected: ResMut<SelectedNode>,
    mut map: Option<ResMut<LevelMap>>,
    mut form: ResMut<PlanForm>,
) {
    let Some(player) = player else { return };
    let bike = player.bike.clone();
    let at_start = player.is_added() || seen.is_none();
    if !at_start && seen.as_ref() == Some(&bike) {
        return;
    }
    *seen = Some(bike);
    let plan = match plans::current(&player) {
        Ok(None) if at_start => return,
        Ok(current) => map_plan(current.as_ref()),
        Err(e) => Err(format!("the rider's plans cannot be read: {e}")),
    };
    match plan {
        Ok(plan) => show(
            &mut commands,
            plan,
            &mut level,
            &mut selected,
            map.as_deref_mut(),
        ),
        Err(e) => warn!("the current plan cannot be drawn: {e}"),
    }
    form.stale = true;
}

#[allow(clippy::too_many_arguments)]
fn act(
    mut asks: MessageReader<PlanAsk>,
    mut form: ResMut<PlanForm>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
    link: Option<Res<SyncLink>>,
    mut commands: Commands,
    mut level: ResMut<Level>,
    mut selected: ResMut<SelectedNode>,
    (shown, mut map): (Option<Res<MapPlan>>, Option<ResMut<LevelMap>>),
) {
    let Some(mut player) = player else { return };
    let (now, offset) = clock.now();
    for ask in asks.read() {
        form.stale = true;
        if *ask == PlanAsk::ExportPng {
            export(&mut form, shown.as_deref(), map.as_deref());
            continue;
        }
        let done = match ask {
            PlanAsk::ExportPng => continue,
            PlanAsk::Choose(id) => plans::choose(&mut player, id.as_deref())
                .map_err(|e| e.to_string())
                .map(|p| {
                    let title = p.as_ref().map_or("the starter plan", |p| p.title.as_str());
                    (p.clone(), format!("Showing {title}."))
                }),
            PlanAsk::Settle { id, keep_mine } => plans::settle(&mut player, id, *keep_mine, now)
                .and_then(|()| plans::current(&player))
                .map_err(|e| e.to_string())
                .map(|p| {
                    let kept = if *keep_mine {
                        "This device's version goes to your other devices."
                    } else {
                        "The other device's version stands."
                    };
                    (p, kept.to_owned())
                }),
            PlanAsk::Discard(id) => plans::discard(&mut player, id, now)
                .and_then(|()| plans::current(&player))
                .map_err(|e| e.to_string())
                .map(|p| (p, "The refused change is dropped.".to_owned())),
            PlanAsk::OpenFile | PlanAsk::Template(_) | PlanAsk::WorkshopTemplate(_) => {
                let opened = match ask {
                    PlanAsk::Template(name) => {
                        plans::from_template(&mut player, name, &form.folder, now, offset)
                    }
                    PlanAsk::WorkshopTemplate(name) => {
                        plans::from_workshop_template(&mut player, name, &form.folder, now, offset)
                    }
                    _ if form.path.trim().is_empty() => Err(ridewire_app::Error::Input(
                        "type the path of a Markdown plan file".into(),
                    )),
                    _ => plans::open_file(&mut player, form.path.trim().as_ref(), now, offset),
                };
                opened.map_err(|e| e.to_string()).map(|o| {
                    let file = match &o.plan.source {
                        Source::Own { file: Some(f), .. } => format!(" ({})", f.display()),
                        _ => String::new(),
                    };
                    let what = match (o.new, o.recorded) {
                        (true, 0) => "opened".to_owned(),
                        (_, 0) => "nothing new ticked".to_owned(),
                        (_, n) => format!("{n} newly ticked, {} XP", o.xp),
                    };
                    (
                        Some(o.plan.clone()),
                        format!("{}{file}: {what}.", o.plan.title),
                    )
                })
            }
        };
        match done.and_then(|(listed, text)| {
            map_plan(listed.as_ref()).map(|plan| {
                show(
                    &mut commands,
                    plan,
                    &mut level,
                    &mut selected,
                    map.as_deref_mut(),
                );
                text
            })
        }) {
            Ok(text) => {
                if let Some(link) = &link {
                    link.sync_now();
                }
                form.message = Some(Ok(text));
            }
            Err(e) => form.message = Some(Err(e)),
        }
    }
}

/// Starts writing the level on show as a PNG in the plans folder, on a
/// worker thread.
fn export(form: &mut PlanForm, plan: Option<&MapPlan>, map: Option<&LevelMap>) {
    if form.export.is_some() {
        return;
    }
    let (Some(plan), Some(map)) = (plan, map) else {
        form.message = Some(Err("the map is not drawn yet".into()));
        return;
    };
    let title = plan.breadcrumb(&map.path).join(" - ");
    let name: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    let folder = form.folder.clone();
    let to = folder.join(format!("{}-map.png", name.trim_matches('-')));
    let (overworld, progress) = (map.map.clone(), Progress::default());
    let shown = progress.clone();
    let job = Pending::spawn("the map picture", move || {
        std::fs::create_dir_all(&folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        ridewire_app::maps::write_png_with(&overworld, &to, &progress)
            .map(|()| to)
            .map_err(|e| e.to_string())
    });
    form.export = Some((job, shown));
    form.message = None;
}

/// Picks up the map picture when it is written.
fn finish_export(mut form: ResMut<PlanForm>) {
    let Some(done) = form.export.as_ref().and_then(|(job, _)| job.poll()) else {
        return;
    };
    form.export = None;
    form.message = Some(
        done.map_err(|e| e.to_string())
            .and_then(|r| r)
            .map(|path| format!("Map picture written to {}.", path.display())),
    );
}

/// The plan menu: the rider's plans, opening a file, templates, and the
/// map picture.
fn plan_menu(
    ui: &mut egui::Ui,
    form: &mut PlanForm,
    listed: &[ListedPlan],
    current: Option<&str>,
    asks: &mut MessageWriter<PlanAsk>,
) {
    if ui
        .selectable_label(current.is_none(), "Starter plan")
        .clicked()
    {
        asks.write(PlanAsk::Choose(None));
    }
    for p in listed {
        let from = match (&p.source, &p.from) {
            (Source::Server, _) => " (from your workshop)".to_owned(),
            (Source::Own { waiting: true, .. }, _) => " (waiting to sync)".to_owned(),
            (Source::Own { .. }, Some(shop)) => format!(" (from {shop})"),
            (Source::Own { .. }, None) => String::new(),
        };
        let chosen = current == Some(p.id.as_str());
        let bike = p
            .bike_name
            .as_ref()
            .map_or_else(String::new, |b| format!(" · {b}"));
        if ui
            .selectable_label(chosen, format!("{}{bike}{from}", p.title))
            .clicked()
        {
            asks.write(PlanAsk::Choose(Some(p.id.clone())));
        }
        if let Source::Own {
            trouble: Some(trouble),
            ..
        } = &p.source
        {
            trouble_row(ui, &p.id, trouble, asks);
        }
    }
    ui.separator();
    ui.label("Open a Markdown plan file");
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut form.path)
                .desired_width(260.0)
                .hint_text("path/to/plan.md"),
        );
        if ui.button("Open").clicked() {
            asks.write(PlanAsk::OpenFile);
        }
        if ui.button("Browse…").clicked() {
            form.browsing = Some(crate::browse::start_at(&form.path, &form.folder));
            ui.close();
        }
    });
    ui.separator();
    ui.label("Start from a template");
    for (name, markdown) in TEMPLATES {
        let title = markdown
            .lines()
            .next()
            .unwrap_or(name)
            .trim_start_matches("# ");
        if ui.button(title).clicked() {
            asks.write(PlanAsk::Template(name));
        }
    }
    for (workshop, template) in &form.workshop_templates {
        if ui
            .button(format!("{} (from {workshop})", template.title))
            .clicked()
        {
            asks.write(PlanAsk::WorkshopTemplate(template.name.clone()));
        }
    }
    ui.separator();
    if ui
        .add_enabled(
            form.export.is_none(),
            egui::Button::new("Export the map as PNG"),
        )
        .clicked()
    {
        asks.write(PlanAsk::ExportPng);
    }
}

/// What became of this device's change to a plan, and the rider's choice.
fn trouble_row(ui: &mut egui::Ui, id: &str, trouble: &Trouble, asks: &mut MessageWriter<PlanAsk>) {
    ui.colored_label(theme::WARN, format!("Not synced: {trouble}"));
    ui.horizontal(|ui| match trouble {
        Trouble::Conflict { .. } => {
            for (text, keep_mine) in [("Keep this device's", true), ("Take the other", false)] {
                if ui.button(text).clicked() {
                    asks.write(PlanAsk::Settle {
                        id: id.to_owned(),
                        keep_mine,
                    });
                }
            }
        }
        Trouble::Refused { .. } => {
            if ui.button("Discard this change").clicked() {
                asks.write(PlanAsk::Discard(id.to_owned()));
            }
        }
    });
}

fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    player: Option<Res<Player>>,
    mut form: ResMut<PlanForm>,
    mut asks: MessageWriter<PlanAsk>,
) -> Result {
    let Some(player) = player else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let listed = std::mem::take(&mut form.listed);
    let current = plans::current_id(&player);
    let shown = current
        .as_ref()
        .and_then(|id| listed.iter().find(|p| &p.id == id))
        .map_or_else(|| "Starter plan".to_owned(), |p| p.title.clone());
    egui::Area::new(egui::Id::new("map-plans"))
        .anchor(egui::Align2::LEFT_BOTTOM, egui::vec2(12.0, -12.0))
        .constrain_to(area.0)
        .show(ctx, |ui| {
            theme::card().show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.menu_button(format!("Plan: {shown}"), |ui| {
                        plan_menu(ui, &mut form, &listed, current.as_deref(), &mut asks);
                    });
                    if let Some((_, progress)) = &form.export {
                        ui.add(
                            egui::ProgressBar::new(progress.fraction())
                                .desired_width(140.0)
                                .show_percentage(),
                        );
                    }
                });
                theme::outcome(ui, &form.message);
            });
        });
    form.listed = listed;
    if let Some(file) =
        crate::browse::browser(ctx, "Open a plan", crate::browse::PLANS, &mut form.browsing)
    {
        form.path = file.display().to_string();
        asks.write(PlanAsk::OpenFile);
    }
    Ok(())
}
