//! Headless tests of the map: synthetic mouse and touch input through the
//! real systems (no window, no renderer), and the node panel driven by
//! egui pointer events.

use bevy::input::ButtonState;
use bevy::input::mouse::{MouseButtonInput, MouseScrollUnit, MouseWheel};
use bevy::input::touch::{TouchInput, TouchPhase};
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy::window::CursorMoved;
use bevy_egui::egui;
use ridewire_engine::event::EventKind;
use ridewire_engine::quest::{QuestId, QuestState};

use super::camera::{MAX_ZOOM, MIN_ZOOM, TILE, UiBlocks, tile_to_world};
use super::nodes::{NodeStates, tile_middle};
use super::panel::{PanelInfo, node_panel, panel_info};
use super::*;
use crate::player::{Clock, Player};

fn app() -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_message::<CursorMoved>()
        .add_message::<MouseButtonInput>()
        .add_message::<MouseWheel>()
        .add_message::<TouchInput>()
        .configure_sets(
            Update,
            (crate::AppSystems::Navigate, crate::AppSystems::Record).chain(),
        )
        .insert_state(Screen::Overworld);
    let clock = Clock::Fixed {
        at_ms: 1_772_438_400_000,
        utc_offset_min: 60,
    };
    app.insert_resource(clock)
        .insert_resource(Player::demo(&clock).expect("demo"));
    crate::player::plugin(&mut app);
    plugin(&mut app);
    crate::photo::plugin(&mut app);
    crate::position::plugin(&mut app);
    app.update();
    app.update();
    app.world_mut().resource_mut::<MapView>().viewport = Vec2::new(1280.0, 720.0);
    app
}

fn view(app: &App) -> MapView {
    *app.world().resource::<MapView>()
}

fn window() -> Entity {
    Entity::PLACEHOLDER
}

fn cursor(app: &mut App, x: f32, y: f32) {
    app.world_mut().write_message(CursorMoved {
        window: window(),
        position: Vec2::new(x, y),
        delta: None,
    });
}

fn button(app: &mut App, state: ButtonState) {
    app.world_mut().write_message(MouseButtonInput {
        button: MouseButton::Left,
        state,
        window: window(),
    });
}

fn touch(app: &mut App, id: u64, phase: TouchPhase, x: f32, y: f32) {
    app.world_mut().write_message(TouchInput {
        phase,
        position: Vec2::new(x, y),
        window: window(),
        force: None,
        id,
    });
}

/// Clicks (press and release without moving) at a screen point.
fn click(app: &mut App, at: Vec2) {
    cursor(app, at.x, at.y);
    app.update();
    button(app, ButtonState::Pressed);
    app.update();
    button(app, ButtonState::Released);
    app.update();
}

/// Where node `i` of the level shown is on screen.
fn node_on_screen(app: &App, i: usize) -> Vec2 {
    let map = app.world().resource::<LevelMap>();
    let middle = tile_middle(&map.map, i).expect("node");
    view(app).to_screen(tile_to_world(middle.x, middle.y))
}

#[test]
fn the_starter_plan_parses_and_every_level_has_a_map() {
    let plan = MapPlan::starter().expect("starter plan");
    assert!(plan.plan.sections.len() >= 4);
    let top = LevelMap::generate(&plan, &[]).expect("top map");
    assert_eq!(top.map.nodes.len(), plan.plan.sections.len());
    for (i, node) in top.milestones.iter().enumerate() {
        let path = node.path.clone().expect("sections have paths");
        let child = LevelMap::generate(&plan, &path).expect("child map");
        assert_ne!(plan.seed_of(&path), plan.seed, "node {i}");
        assert!(!child.map.nodes.is_empty());
    }
    assert_eq!(
        plan.breadcrumb(&[2, 0]),
        vec!["Street 750 service plan", "Engine & ignition", "Cooling"]
    );
}

#[test]
fn dragging_pans_by_the_dragged_distance() {
    let mut app = app();
    app.world_mut().resource_mut::<MapView>().zoom = 2.0;
    let before = view(&app);
    cursor(&mut app, 300.0, 300.0);
    app.update();
    button(&mut app, ButtonState::Pressed);
    app.update();
    for step in 1..=4 {
        let s = step as f32;
        cursor(&mut app, 300.0 + 25.0 * s, 300.0 - 15.0 * s);
        app.update();
    }
    button(&mut app, ButtonState::Released);
    app.update();
    let after = view(&app);
    // 100 px right and 60 px up at 2 px per world unit: the map moved with
    // the pointer, so the view's middle went 50 left and 30 down (world y is up).
    let moved = after.center - before.center;
    assert!((moved - Vec2::new(-50.0, -30.0)).length() < 1e-3, "{moved}");
    assert_eq!(after.zoom, 2.0);
    assert_eq!(app.world().resource::<SelectedNode>().0, None);
}

#[test]
fn one_finger_drags_like_the_mouse() {
    let mut app = app();
    let before = view(&app);
    touch(&mut app, 7, TouchPhase::Started, 400.0, 400.0);
    app.update();
    touch(&mut app, 7, TouchPhase::Moved, 340.0, 420.0);
    app.update();
    touch(&mut app, 7, TouchPhase::Ended, 340.0, 420.0);
    app.update();
    // 60 px left and 20 px down on screen, in world units at this zoom.
    let moved = (view(&app).center - before.center) * before.zoom;
    assert!((moved - Vec2::new(60.0, 20.0)).length() < 1e-3, "{moved}");
}

#[test]
fn a_small_wobble_is_still_a_tap_not_a_drag() {
    let mut app = app();
    let before = view(&app);
    cursor(&mut app, 500.0, 500.0);
    app.update();
    button(&mut app, ButtonState::Pressed);
    app.update();
    cursor(&mut app, 503.0, 502.0);
    app.update();
    button(&mut app, ButtonState::Released);
    app.update();
    assert_eq!(view(&app).center, before.center);
}

#[test]
fn the_wheel_zooms_in_and_out_within_the_limits() {
    let mut app = app();
    cursor(&mut app, 200.0, 150.0);
    app.update();
    let under = view(&app).to_world(Vec2::new(200.0, 150.0));
    let opened = view(&app).zoom;
    let wheel = |app: &mut App, y: f32| {
        app.world_mut().write_message(MouseWheel {
            unit: MouseScrollUnit::Line,
            x: 0.0,
            y,
            window: window(),
            phase: TouchPhase::Moved,
        });
        app.update();
    };
    wheel(&mut app, 2.0);
    let zoomed = view(&app);
    assert!(
        (zoomed.zoom / opened - 1.44).abs() < 1e-4,
        "{} from {opened}",
        zoomed.zoom
    );
    // The spot under the cursor stays under the cursor.
    assert!((zoomed.to_world(Vec2::new(200.0, 150.0)) - under).length() < 1e-3);
    wheel(&mut app, 40.0);
    assert_eq!(view(&app).zoom, MAX_ZOOM);
    wheel(&mut app, -3.0);
    assert!(view(&app).zoom < MAX_ZOOM);
    wheel(&mut app, -80.0);
    assert_eq!(view(&app).zoom, MIN_ZOOM);
}

#[test]
fn pinching_zooms_by_the_change_in_finger_distance() {
    let mut app = app();
    let before = view(&app).zoom;
    touch(&mut app, 1, TouchPhase::Started, 500.0, 360.0);
    touch(&mut app, 2, TouchPhase::Started, 700.0, 360.0);
    app.update();
    // Fingers spread from 200 px apart to 500 px apart, about the same middle.
    touch(&mut app, 1, TouchPhase::Moved, 400.0, 360.0);
    touch(&mut app, 2, TouchPhase::Moved, 800.0, 360.0);
    app.update();
    touch(&mut app, 1, TouchPhase::Moved, 350.0, 360.0);
    touch(&mut app, 2, TouchPhase::Moved, 850.0, 360.0);
    app.update();
    let zoom = view(&app).zoom;
    assert!(
        (zoom / before - 2.5).abs() < 1e-4,
        "zoom {before} -> {zoom}"
    );
    // Pinching in again shrinks it back by the same ratio.
    touch(&mut app, 1, TouchPhase::Moved, 500.0, 360.0);
    touch(&mut app, 2, TouchPhase::Moved, 700.0, 360.0);
    app.update();
    assert!((view(&app).zoom - before).abs() < 1e-4);
    touch(&mut app, 1, TouchPhase::Ended, 500.0, 360.0);
    touch(&mut app, 2, TouchPhase::Ended, 700.0, 360.0);
    app.update();
    assert_eq!(
        app.world().resource::<SelectedNode>().0,
        None,
        "a pinch is no tap"
    );
}

#[test]
fn tapping_a_node_opens_its_panel_and_tapping_land_closes_it() {
    let mut app = app();
    let at = node_on_screen(&app, 0);
    click(&mut app, at);
    assert_eq!(app.world().resource::<SelectedNode>().0, Some(0));
    // A finger tap on the next node.
    let next = node_on_screen(&app, 1);
    app.world_mut().resource_mut::<MapView>().center = view(&app).to_world(next);
    let next = node_on_screen(&app, 1);
    touch(&mut app, 3, TouchPhase::Started, next.x, next.y);
    app.update();
    touch(&mut app, 3, TouchPhase::Ended, next.x, next.y);
    app.update();
    assert_eq!(app.world().resource::<SelectedNode>().0, Some(1));
    // Two tiles away from every node is empty land.
    let map = app.world().resource::<LevelMap>();
    let far = (0..map.map.width * map.map.height)
        .map(|i| Vec2::new((i % map.map.width) as f32, (i / map.map.width) as f32) + 0.5)
        .find(|p| {
            (0..map.map.nodes.len())
                .all(|n| tile_middle(&map.map, n).is_some_and(|m| m.distance(*p) > 3.0))
        })
        .expect("some empty land");
    let spot = tile_to_world(far.x, far.y);
    app.world_mut().resource_mut::<MapView>().center = spot;
    let screen = view(&app).to_screen(spot);
    click(&mut app, screen);
    assert_eq!(app.world().resource::<SelectedNode>().0, None);
}

#[test]
fn presses_on_a_panel_do_not_reach_the_map() {
    let mut app = app();
    let at = node_on_screen(&app, 0);
    let panel = Rect::from_center_size(at, Vec2::splat(80.0));
    app.world_mut().resource_mut::<UiBlocks>().0 = vec![panel];
    let before = view(&app);
    click(&mut app, at);
    assert_eq!(app.world().resource::<SelectedNode>().0, None);
    // Nor does a drag that starts there.
    cursor(&mut app, at.x, at.y);
    button(&mut app, ButtonState::Pressed);
    app.update();
    cursor(&mut app, at.x + 200.0, at.y);
    app.update();
    button(&mut app, ButtonState::Released);
    app.update();
    assert_eq!(view(&app).center, before.center);
}

#[test]
fn the_view_cannot_leave_the_map() {
    let mut app = app();
    for _ in 0..3 {
        cursor(&mut app, 100.0, 100.0);
        app.update();
        button(&mut app, ButtonState::Pressed);
        app.update();
        cursor(&mut app, 1200.0, 700.0);
        app.update();
        button(&mut app, ButtonState::Released);
        app.update();
    }
    // Dragged far down-right: the view stops at the map's top-left corner.
    assert_eq!(view(&app).center, Vec2::ZERO);
}

#[test]
fn only_nodes_on_screen_get_labels() {
    let mut app = app();
    let map = app.world().resource::<LevelMap>();
    let all = map.map.nodes.len();
    // Zoomed in on node 1: the screen holds it and not every other node.
    let middle = tile_middle(&map.map, 0).expect("node");
    {
        let mut v = app.world_mut().resource_mut::<MapView>();
        v.zoom = 3.0;
        v.center = tile_to_world(middle.x, middle.y);
    }
    app.update();
    let shown: Vec<usize> = app
        .world()
        .resource::<VisibleNodes>()
        .0
        .iter()
        .map(|(i, _)| *i)
        .collect();
    let v = view(&app);
    let map = app.world().resource::<LevelMap>();
    let on_screen: Vec<usize> = (0..all)
        .filter(|&i| {
            let m = tile_middle(&map.map, i).expect("node");
            let p = v.to_screen(tile_to_world(m.x, m.y));
            p.cmpge(Vec2::ZERO).all() && p.cmple(v.viewport).all()
        })
        .collect();
    assert!(shown.contains(&0));
    assert!(shown.len() < all, "{shown:?}");
    for i in &on_screen {
        assert!(shown.contains(i), "node {i} is on screen but has no label");
    }
    // Zoomed far out the numbers would be unreadable: none are drawn.
    app.world_mut().resource_mut::<MapView>().zoom = MIN_ZOOM;
    app.update();
    assert!(app.world().resource::<VisibleNodes>().0.is_empty());
}

/// Runs one egui frame of the node panel with these pointer events.
fn panel_frame(
    ctx: &egui::Context,
    info: &PanelInfo,
    events: Vec<egui::Event>,
) -> (Vec<egui::epaint::ClippedShape>, Vec<MapAction>) {
    let mut actions = Vec::new();
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 720.0),
        )),
        events,
        ..default()
    };
    let mut out = ctx.run_ui(input, |ui| {
        actions.extend(node_panel(ui.ctx(), info, 40.0).1);
    });
    // No renderer here to take the font textures.
    out.textures_delta.clear();
    (out.shapes, actions)
}

/// Where a piece of text was painted.
fn text_rect(shapes: &[egui::epaint::ClippedShape], text: &str) -> Option<egui::Rect> {
    fn find(shape: &egui::Shape, text: &str) -> Option<egui::Rect> {
        match shape {
            egui::Shape::Text(t) if t.galley.text() == text => {
                Some(t.galley.rect.translate(t.pos.to_vec2()))
            }
            egui::Shape::Vec(list) => list.iter().find_map(|s| find(s, text)),
            _ => None,
        }
    }
    shapes.iter().find_map(|c| find(&c.shape, text))
}

/// Clicks the text in the panel like a rider would and returns the actions.
fn click_in_panel(info: &PanelInfo, text: &str) -> Vec<MapAction> {
    let ctx = egui::Context::default();
    // Windows lay themselves out on their first frame.
    let _ = panel_frame(&ctx, info, vec![]);
    let (shapes, _) = panel_frame(&ctx, info, vec![]);
    let at = text_rect(&shapes, text)
        .unwrap_or_else(|| panic!("{text:?} is not in the panel"))
        .center();
    let press = |pressed| egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    let mut actions = panel_frame(&ctx, info, vec![egui::Event::PointerMoved(at)]).1;
    actions.extend(panel_frame(&ctx, info, vec![press(true)]).1);
    actions.extend(panel_frame(&ctx, info, vec![press(false)]).1);
    actions
}

fn info_of(app: &App, i: usize) -> PanelInfo {
    let world = app.world();
    panel_info(
        world.resource::<LevelMap>(),
        i,
        world.resource::<MapPlan>(),
        world.resource::<NodeStates>(),
        Some(world.resource::<Player>()),
    )
    .expect("panel")
}

#[test]
fn ticking_a_step_in_the_panel_records_it() {
    let mut app = app();
    // Drivetrain is the plan's second section: enter it from its panel.
    let at = node_on_screen(&app, 1);
    click(&mut app, at);
    let drivetrain = info_of(&app, 1);
    assert_eq!(drivetrain.title, "Drivetrain");
    let asked = click_in_panel(&drivetrain, "Enter ▶");
    assert_eq!(asked, vec![MapAction::Enter(vec![1])]);
    app.world_mut().write_message_batch(asked);
    app.update();
    app.update();
    assert_eq!(app.world().resource::<Level>().0, vec![1]);
    let map = app.world().resource::<LevelMap>();
    assert_eq!(map.path, vec![1]);
    let tension = map
        .map
        .nodes
        .iter()
        .position(|n| n.title == "Adjust chain tension")
        .expect("quest node");

    // Centre the node, tap it, tick its second step in the panel.
    let middle = tile_middle(&map.map, tension).expect("node");
    app.world_mut().resource_mut::<MapView>().center = tile_to_world(middle.x, middle.y);
    let at = node_on_screen(&app, tension);
    click(&mut app, at);
    assert_eq!(app.world().resource::<SelectedNode>().0, Some(tension));
    let info = info_of(&app, tension);
    // The plan marks the first step done: it was recorded when the map opened.
    assert_eq!(info.steps.len(), 3);
    assert!(info.steps[0].2, "{:?}", info.steps);
    assert!(!info.steps[1].2);
    let asked = click_in_panel(&info, "Loosen the axle nut");
    let plan = app.world().resource::<MapPlan>();
    let task = plan.plan.sections[1]
        .tasks
        .iter()
        .find(|t| t.title == "Adjust chain tension")
        .expect("task");
    let quest = QuestId::new(task.id.clone()).expect("id");
    let step = task.steps[1].id.clone();
    let expected = EventKind::StepChecked {
        quest: quest.clone(),
        step: step.clone(),
    };
    assert_eq!(asked, vec![MapAction::Record(expected.clone())]);

    let before = app.world().resource::<Player>().events().len();
    app.world_mut().write_message_batch(asked);
    app.update();
    let player = app.world().resource::<Player>();
    assert_eq!(player.events().len(), before + 1);
    assert_eq!(player.events().last().map(|e| &e.kind), Some(&expected));
    let record = player.progress().quest(&quest).expect("quest record");
    assert!(record.steps_checked.contains(&step));
    // The panel now shows it ticked.
    assert!(info_of(&app, tension).steps[1].2);

    // Completing with a step left is recorded, earns nothing, and the
    // panel says why.
    let asked = click_in_panel(&info_of(&app, tension), "Complete");
    assert_eq!(
        asked,
        vec![MapAction::Record(EventKind::QuestCompleted {
            quest: quest.clone()
        })]
    );
    app.world_mut().write_message_batch(asked);
    app.update();
    let note = info_of(&app, tension).note.expect("a note");
    assert!(note.contains("1 step(s) still to tick off"), "{note}");
}

#[test]
fn going_back_returns_to_the_plan_and_the_same_map() {
    let mut app = app();
    let top: Vec<(u32, u32)> = app
        .world()
        .resource::<LevelMap>()
        .map
        .nodes
        .iter()
        .map(|n| n.tile)
        .collect();
    app.world_mut().write_message(MapAction::Enter(vec![2, 0]));
    app.update();
    assert_eq!(app.world().resource::<LevelMap>().path, vec![2, 0]);
    app.world_mut().write_message(MapAction::Up(vec![]));
    app.update();
    let map = app.world().resource::<LevelMap>();
    assert!(map.path.is_empty());
    let again: Vec<(u32, u32)> = map.map.nodes.iter().map(|n| n.tile).collect();
    assert_eq!(top, again, "the same seed gives the same map");
}

/// Where the level's corners are on screen: its margins left, right, above
/// (below `inset`) and below.
fn margins(app: &App, inset: f32) -> [f32; 4] {
    let v = view(app);
    let map = &app.world().resource::<LevelMap>().map;
    let size = Vec2::new(map.width as f32, map.height as f32) * TILE;
    let top_left = v.to_screen(Vec2::ZERO);
    let bottom_right = v.to_screen(Vec2::new(size.x, -size.y));
    [
        top_left.x,
        v.viewport.x - bottom_right.x,
        top_left.y - inset,
        v.viewport.y - bottom_right.y,
    ]
}

fn assert_fitted(app: &App, inset: f32) {
    let [left, right, top, bottom] = margins(app, inset);
    let v = view(app);
    assert!(
        left >= 0.0 && right >= 0.0 && top >= 0.0 && bottom >= 0.0,
        "the whole level is on screen: {:?}",
        [left, right, top, bottom]
    );
    assert!(
        (left - right).abs() <= 1.0,
        "centred across: {left} vs {right}"
    );
    assert!(
        (top - bottom).abs() <= 1.0,
        "centred down: {top} vs {bottom}"
    );
    // As large as fits: the tighter direction keeps only a small margin.
    let spare = ((left + right) / v.viewport.x).min((top + bottom) / (v.viewport.y - inset));
    assert!(spare < 0.07, "{spare} of the screen left over");
}

#[test]
fn a_level_opens_whole_and_centred_and_stays_so_after_a_resize() {
    let mut app = app();
    assert_fitted(&app, 0.0);
    // A tall, narrow window with a 48 px navigation bar: fitted again.
    {
        let mut v = app.world_mut().resource_mut::<MapView>();
        v.viewport = Vec2::new(600.0, 900.0);
        v.top_inset = 48.0;
    }
    app.update();
    assert_fitted(&app, 48.0);
    // Once the rider has moved the map, a resize leaves their view alone.
    app.world_mut()
        .resource_mut::<MapView>()
        .drag_by(Vec2::new(40.0, 0.0));
    let moved = view(&app);
    app.world_mut().resource_mut::<MapView>().viewport = Vec2::new(1280.0, 720.0);
    app.update();
    assert_eq!(
        (view(&app).center, view(&app).zoom),
        (moved.center, moved.zoom)
    );
}

#[test]
fn the_level_on_show_exports_as_a_png_with_its_progress() {
    use super::plans::{PlanAsk, PlanForm};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = app();
    app.world_mut().resource_mut::<PlanForm>().folder = dir.path().join("plans");
    app.world_mut().write_message(PlanAsk::ExportPng);
    app.update();
    assert!(
        app.world().resource::<PlanForm>().export.is_some(),
        "under way"
    );
    let started = std::time::Instant::now();
    while app.world().resource::<PlanForm>().export.is_some() {
        assert!(started.elapsed().as_secs() < 60, "the picture never came");
        std::thread::sleep(std::time::Duration::from_millis(10));
        app.update();
    }
    let message = app.world().resource::<PlanForm>().message.clone();
    let Some(Ok(text)) = message else {
        panic!("{message:?}");
    };
    let written = dir.path().join("plans/Street-750-service-plan-map.png");
    assert!(text.contains(&written.display().to_string()), "{text}");
    let map = &app.world().resource::<LevelMap>().map;
    assert_eq!(
        std::fs::read(&written).expect("the picture"),
        ridewire_app::maps::render_png(map).expect("render")
    );
}

#[test]
fn a_template_becomes_the_current_plan_on_the_map() {
    use super::plans::{PlanAsk, PlanForm};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = app();
    app.world_mut().resource_mut::<PlanForm>().folder = dir.path().to_owned();
    app.world_mut()
        .write_message(PlanAsk::Template("winter-storage"));
    app.update();
    app.update();
    let form = app.world().resource::<PlanForm>();
    assert!(
        matches!(&form.message, Some(Ok(t)) if t.contains("Winter storage")),
        "{:?}",
        form.message
    );
    assert_eq!(
        app.world().resource::<MapPlan>().plan.title,
        "Winter storage"
    );
    assert!(dir.path().join("winter-storage.md").is_file());
    assert_eq!(app.world().resource::<Level>().0, Vec::<usize>::new());
    assert_eq!(form.listed.len(), 1);
}

#[test]
fn the_file_browser_lists_folders_then_markdown_plans_and_says_when_it_cannot_read() {
    use crate::browse::{PHOTOS, PLANS, folder_entries};
    let dir = tempfile::tempdir().expect("temp dir");
    for name in [
        "b.md",
        "a.MD",
        "notes.txt",
        ".hidden.md",
        "c.markdown",
        "pads.JPG",
        "x.png",
    ] {
        std::fs::write(dir.path().join(name), "# x\n").expect("file");
    }
    std::fs::create_dir(dir.path().join("plans")).expect("folder");
    std::fs::create_dir(dir.path().join(".git")).expect("folder");
    let (folders, files) = folder_entries(dir.path(), PLANS).expect("listing");
    let names = |paths: &[std::path::PathBuf]| -> Vec<String> {
        paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(&folders), ["plans"]);
    assert_eq!(names(&files), ["a.MD", "b.md", "c.markdown"]);
    let (_, photos) = folder_entries(dir.path(), PHOTOS).expect("listing");
    assert_eq!(names(&photos), ["pads.JPG", "x.png"]);
    let err = folder_entries(&dir.path().join("gone"), PLANS).unwrap_err();
    assert!(err.contains("cannot read"), "{err}");
}

mod photos_and_bikes;
mod places;

#[path = "../../../../app/tests/support/gpsd.rs"]
mod gpsd_support;
