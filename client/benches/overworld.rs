//! What the Map screen costs per frame: `cargo xtask bench overworld`
//! (or `cargo bench --profile dev -p ridewire-client --bench overworld`).
//!
//! 1. Main-world CPU time per frame while the camera pans, with no renderer:
//!    `MinimalPlugins` and the map's own systems (input, view, node states,
//!    nodes in view). Target: ≤ 4 ms with 10,000 nodes on a 1024×1024 map.
//! 2. Rendered frame time at 640×360 through the real app (software Vulkan
//!    where there is no GPU), compared with `overworld-baseline.json` next to
//!    this file (median frame time). `RIDEWIRE_BLESS=1` records a new
//!    baseline. A ratio is printed, never asserted: frame times are noisy.
//!
//! Plain timing loops: criterion's dependencies would turn on features of
//! crates Bevy shares and cost a full Bevy rebuild.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::input::ButtonState;
use bevy::input::mouse::{MouseButtonInput, MouseWheel};
use bevy::input::touch::TouchInput;
use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::renderer::RenderAdapterInfo;
use bevy::state::app::StatesPlugin;
use bevy::window::CursorMoved;
use ridewire_client::overworld::camera::tile_to_world;
use ridewire_client::overworld::tiles::MapChunk;
use ridewire_client::overworld::{LevelMap, MapPlugin, MapView, VisibleNodes};
use ridewire_client::player::{Clock, DataSource, Player, RecordEvent};
use ridewire_client::{Options, Screen, UiCamera};
use ridewire_engine::demo::milestones;
use ridewire_engine::overworld;

/// Frames measured per run, after warming up.
const FRAMES: usize = 300;
const WARM_UP: usize = 30;
/// Screen pixels the view pans per frame (a brisk drag).
const PAN_PER_FRAME: f32 = 6.0;

/// A map of `generated` milestones keeping every `keep_every`-th node:
/// 50,000 milestones fill the largest (1024×1024) map, and every fifth of
/// them gives 10,000 nodes spread over it.
fn big_map(generated: usize, keep_every: usize) -> LevelMap {
    let all = milestones(generated);
    let mut map = overworld::generate(&all, 42).expect("map");
    let kept: Vec<usize> = (0..all.len()).step_by(keep_every).collect();
    map.nodes = kept.iter().map(|&i| map.nodes[i].clone()).collect();
    let level = kept.iter().map(|&i| all[i].clone()).collect();
    LevelMap::from_map(Vec::new(), level, map)
}

/// A view of the middle of the map at zoom 1.
fn middle_of(map: &LevelMap, viewport: Vec2) -> MapView {
    let half = map.map.width as f32 / 2.0;
    MapView {
        center: tile_to_world(half, half),
        zoom: 1.0,
        viewport,
        ..MapView::default()
    }
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    mean: Duration,
    median: Duration,
    p99: Duration,
    max: Duration,
}

impl Stats {
    fn of(mut times: Vec<Duration>) -> Self {
        times.sort();
        let n = times.len().max(1);
        let total: Duration = times.iter().sum();
        Self {
            mean: total / n as u32,
            median: times[n / 2],
            p99: times[(n * 99 / 100).min(n - 1)],
            max: times[n - 1],
        }
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0
    }

    fn line(&self) -> String {
        format!(
            "mean {:.3} ms, median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            Self::ms(self.mean),
            Self::ms(self.median),
            Self::ms(self.p99),
            Self::ms(self.max)
        )
    }
}

/// The map's systems alone, with a camera and the demo rider.
fn headless(map: LevelMap) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_message::<CursorMoved>()
        .add_message::<MouseButtonInput>()
        .add_message::<MouseWheel>()
        .add_message::<TouchInput>()
        .add_message::<RecordEvent>()
        .insert_state(Screen::Overworld)
        .insert_resource(Player::demo(&Clock::System).expect("demo rider"))
        .insert_resource(middle_of(&map, Vec2::new(1280.0, 720.0)))
        .insert_resource(map)
        .add_plugins(MapPlugin);
    app.world_mut().spawn((UiCamera, Camera2d));
    app.update();
    app
}

/// Drags the map across the screen one step per frame, back and forth,
/// and times each frame.
fn pan_frames(app: &mut App, zoom: f32) -> (Stats, usize) {
    app.world_mut().resource_mut::<MapView>().zoom = zoom;
    let window = Entity::PLACEHOLDER;
    let mut x = 200.0;
    let mut dir = 1.0;
    app.world_mut().write_message(CursorMoved {
        window,
        position: Vec2::new(x, 360.0),
        delta: None,
    });
    app.world_mut().write_message(MouseButtonInput {
        button: MouseButton::Left,
        state: ButtonState::Pressed,
        window,
    });
    app.update();
    let mut times = Vec::with_capacity(FRAMES);
    let mut labelled = 0;
    for frame in 0..WARM_UP + FRAMES {
        x += dir * PAN_PER_FRAME;
        if !(100.0..=1180.0).contains(&x) {
            dir = -dir;
        }
        app.world_mut().write_message(CursorMoved {
            window,
            position: Vec2::new(x, 360.0 + (frame % 7) as f32),
            delta: None,
        });
        let start = Instant::now();
        app.update();
        if frame >= WARM_UP {
            times.push(start.elapsed());
            labelled = labelled.max(app.world().resource::<VisibleNodes>().0.len());
        }
    }
    (Stats::of(times), labelled)
}

fn still_frames(app: &mut App) -> Stats {
    let times = (0..FRAMES)
        .map(|_| {
            let start = Instant::now();
            app.update();
            start.elapsed()
        })
        .collect();
    Stats::of(times)
}

fn main_world() {
    println!("== Main-world CPU time per frame, no renderer ({FRAMES} frames)");
    let cases: [(&str, usize, usize); 3] = [
        ("10,000 nodes on a 1024×1024 map", 50_000, 5),
        ("50,000 nodes on a 1024×1024 map", 50_000, 1),
        ("10,000 nodes on their own 624×624 map", 10_000, 1),
    ];
    for (label, generated, every) in cases {
        let map = big_map(generated, every);
        let side = map.map.width;
        let nodes = map.map.nodes.len();
        let mut app = headless(map);
        let (pan, labelled) = pan_frames(&mut app, 1.0);
        let (far, _) = pan_frames(&mut app, 0.5);
        let still = still_frames(&mut app);
        println!("{label} ({nodes} nodes, {side}×{side} tiles):");
        println!(
            "  panning at zoom 1 ({labelled} nodes labelled): {}",
            pan.line()
        );
        println!("  panning at zoom 0.5:                  {}", far.line());
        println!("  standing still:                       {}", still.line());
    }
}

/// Renders the Map screen at 640×360 and times frames while panning;
/// returns the stats, chunks drawn / chunks in all, and the adapter name.
fn rendered(map: Option<LevelMap>) -> Result<(Stats, usize, usize, String), String> {
    let picture = std::env::temp_dir().join(format!("ridewire-bench-{}.png", std::process::id()));
    let _ = std::fs::remove_file(&picture);
    let mut app = ridewire_client::build(&Options {
        screenshot: Some(picture.clone()),
        screen: Screen::Overworld,
        size: UVec2::new(640, 360),
        data: DataSource::Demo,
        ..Options::default()
    });
    if let Some(map) = map {
        app.insert_resource(middle_of(&map, Vec2::new(640.0, 360.0)));
        app.insert_resource(map);
    }
    app.finish();
    app.cleanup();
    // The capture is saved once every pipeline has compiled and a frame
    // has settled: from then on frames are steady.
    let mut warm = 0;
    while !picture.exists() {
        app.update();
        warm += 1;
        if warm > 3_000 {
            return Err("the first frame never completed".into());
        }
    }
    let _ = std::fs::remove_file(&picture);
    let mut times = Vec::with_capacity(FRAMES);
    for frame in 0..WARM_UP + FRAMES {
        let step = if (frame / 100) % 2 == 0 { 1.0 } else { -1.0 };
        app.world_mut().resource_mut::<MapView>().center.x += step * PAN_PER_FRAME;
        let start = Instant::now();
        app.update();
        if frame >= WARM_UP {
            times.push(start.elapsed());
        }
    }
    let world = app.world_mut();
    let mut chunks = world.query::<(&MapChunk, &ViewVisibility)>();
    let all = chunks.iter(world).count();
    let drawn = chunks.iter(world).filter(|(_, v)| v.get()).count();
    let adapter = app
        .world()
        .get_resource::<RenderAdapterInfo>()
        .or_else(|| {
            app.get_sub_app(RenderApp)
                .and_then(|r| r.world().get_resource::<RenderAdapterInfo>())
        })
        .map(|a| format!("{} ({:?})", a.name, a.device_type))
        .unwrap_or_else(|| "unknown adapter".into());
    Ok((Stats::of(times), drawn, all, adapter))
}

fn baseline_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/overworld-baseline.json")
}

fn render_frames() {
    println!("== Rendered frame time, Map screen at 640×360 ({FRAMES} frames)");
    let baseline: serde_json::Value = std::fs::read_to_string(baseline_path())
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    let mut record = serde_json::Map::new();
    // Key in the baseline, label, and (milestones generated, node kept every).
    type Scene = (&'static str, &'static str, Option<(usize, usize)>);
    let scenes: [Scene; 2] = [
        ("starter_plan", "the starter plan (5 nodes)", None),
        (
            "nodes_10k_1024",
            "10,000 nodes on a 1024×1024 map",
            Some((50_000, 5)),
        ),
    ];
    for (key, label, big) in scenes {
        match rendered(big.map(|(n, every)| big_map(n, every))) {
            Ok((stats, drawn, all, adapter)) => {
                // The median: a busy machine's stalls move the mean a lot.
                let median = Stats::ms(stats.median);
                println!("{label}: {} on {adapter}", stats.line());
                println!("  chunks drawn after culling: {drawn} of {all}");
                match baseline.get(key).and_then(serde_json::Value::as_f64) {
                    Some(base) => println!(
                        "  median vs baseline {base:.3} ms: ratio {:.2} (recorded on {})",
                        median / base,
                        baseline
                            .get("adapter")
                            .and_then(serde_json::Value::as_str)
                            .unwrap_or("?")
                    ),
                    None => println!("  no baseline yet"),
                }
                record.insert(key.into(), median.into());
                record.insert("adapter".into(), adapter.into());
            }
            Err(e) => println!("{label}: not measured: {e}"),
        }
    }
    let bless = std::env::var_os("RIDEWIRE_BLESS").is_some();
    if (bless || baseline.is_null()) && !record.is_empty() {
        let text = serde_json::to_string_pretty(&record).expect("json");
        match std::fs::write(baseline_path(), text + "\n") {
            Ok(()) => println!("baseline written to {}", baseline_path().display()),
            Err(e) => println!("cannot write the baseline: {e}"),
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a name narrows what runs.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wants = |part: &str| filter.is_empty() || filter.iter().any(|f| f == part);
    if wants("main_world") {
        main_world();
    }
    if wants("render") {
        render_frames();
    }
}
