//! `ridewire`: the RideWire app, and the commands that need no window.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::math::UVec2;
use clap::{Parser, Subcommand};
use ridewire_app::rider::explain;
use ridewire_ar::pose::Intrinsics;
use ridewire_ar::report::{ReportOptions, detect_files};
use ridewire_client::commands::diagnose;
use ridewire_client::commands::obd::{self, ObdAction};
use ridewire_client::commands::plan;
use ridewire_client::player::{Clock, DataSource, Player};
use ridewire_client::scan::CameraChoice;
use ridewire_client::{Options, Screen};
use ridewire_engine::diagnostics::request::VehicleInfo;
use ridewire_engine::quest::{ProofRequirement, QuestId};

/// RideWire: keep your motorcycle running.
#[derive(Debug, Parser)]
#[command(name = "ridewire", version, about)]
struct Cli {
    /// Render off-screen, save the picture as PNG to FILE and exit (no display needed).
    #[arg(long, value_name = "FILE")]
    screenshot: Option<PathBuf>,
    /// The screen to open on.
    #[arg(long, value_enum, default_value = "home")]
    screen: Screen,
    /// Open this Markdown plan on the Map (it joins your plans; tasks
    /// ticked in the file since it was last opened are recorded).
    #[arg(long, value_name = "PLAN.md")]
    plan: Option<PathBuf>,
    /// Open the scanner to take a photo for this `#photo` quest (its id,
    /// as `ridewire quest list` shows it); the photo completes the quest.
    #[arg(long, value_name = "QUEST")]
    photo_for: Option<String>,
    /// With --screenshot of the Map: open the panel of node N (as numbered
    /// on the map) in the picture.
    #[arg(long, value_name = "N", requires = "screenshot",
          value_parser = clap::value_parser!(u32).range(1..))]
    open_node: Option<u32>,
    /// Window or picture size in pixels, as WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    size: UVec2,
    /// The rider's database [default: ridewire/ridewire.db in the user's data folder].
    #[arg(long, global = true, value_name = "PATH", conflicts_with = "demo")]
    database: Option<PathBuf>,
    /// Use the demo garage (kept in memory, nothing is saved).
    #[arg(long, global = true)]
    demo: bool,
    /// The scanner's camera: auto, demo (the recorded demo), a camera
    /// number, or phone (frames a native host pushes through the bindings);
    /// also RIDEWIRE_CAMERA [default: the one chosen in Settings].
    #[arg(long, value_name = "auto|demo|phone|N", value_parser = parse_camera)]
    camera: Option<CameraChoice>,
    /// Where gpsd listens, for location proofs on the Map and where a
    /// photo was taken, as HOST:PORT [default: 127.0.0.1:2947].
    #[arg(long, value_name = "HOST:PORT")]
    gpsd: Option<String>,
    /// With --screenshot: draw the picture as at this time (RFC 3339, e.g.
    /// 2026-03-05T09:30:00+01:00), so a picture of a dated screen is the
    /// same from day to day.
    #[arg(long, value_name = "TIME", requires = "screenshot", value_parser = parse_at)]
    at: Option<At>,
    /// Run as a workshop's touch terminal: fullscreen without window
    /// decorations, large targets, opening on the Board and coming back to
    /// it after an idle minute.
    #[arg(long)]
    workshop: bool,
    /// Allow a sync server at a plain http:// address elsewhere than this
    /// machine: the password and session then cross the network unencrypted
    /// (the Sync panel says so). Only for a network you trust.
    #[arg(long, global = true)]
    insecure: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Work that needs no window. (Plans and marker detection arrive here as
/// they are built.)
#[derive(Debug, Subcommand)]
enum Command {
    /// Diagnose trouble codes and symptoms: the agents answer, the safety
    /// gate decides, and the run is recorded (10 XP).
    Diagnose {
        /// Trouble codes such as P0300.
        #[arg(value_name = "CODE")]
        codes: Vec<String>,
        /// A symptom such as rough_idle, battery_light or abs_light (repeatable).
        #[arg(long = "symptom", value_name = "S")]
        symptoms: Vec<String>,
        /// What the rider noticed, in their own words.
        #[arg(long)]
        query: Option<String>,
        /// Print the full result as JSON.
        #[arg(long)]
        json: bool,
        /// The bike's make.
        #[arg(long, default_value = "Harley-Davidson")]
        make: String,
        /// The bike's model.
        #[arg(long, default_value = "Street 750")]
        model: String,
        /// The bike's model year.
        #[arg(long, default_value_t = 2022)]
        year: u16,
    },
    /// Read or clear trouble codes through an ELM327-style OBD-II adapter.
    Obd {
        #[command(subcommand)]
        action: ObdAction,
    },
    /// Find RideWire (ArUco DICT_4X4_50) markers in images and print each
    /// marker's id, corners and pose, and the time taken per frame.
    Detect {
        /// PNG or JPEG images, folders of them, or recordings (`.rwluma`).
        #[arg(required = true, value_name = "IMAGE_OR_FOLDER")]
        inputs: Vec<PathBuf>,
        /// Print one JSON object: {"frames": [{"file", "ms", "markers": [{"id",
        /// "corners", "rvec", "tvec"}]}]} (OpenCV's corner order and camera axes).
        #[arg(long)]
        json: bool,
        /// Camera intrinsics in pixels [default: a 60° horizontal field of view].
        #[arg(long, value_name = "FX,FY,CX,CY", value_parser = parse_intrinsics)]
        intrinsics: Option<Intrinsics>,
        /// Side of the printed marker's black square, in metres.
        #[arg(long, value_name = "METRES", default_value_t = 0.08,
              value_parser = parse_marker_size)]
        marker_size: f64,
    },
    /// Sync with a RideWire server once: send this device's events, fetch
    /// the other devices' work. The password (needed the first time) comes
    /// from RIDEWIRE_PASSWORD or standard input; the server, e-mail and
    /// session are kept so the app syncs by itself afterwards.
    Sync {
        /// The server, e.g. http://127.0.0.1:8787 [default: the one kept].
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// The account's e-mail address [default: the one kept].
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// Create the account first.
        #[arg(long)]
        register: bool,
    },
    /// Your data: export it all, delete your account on the server, or
    /// wipe this device.
    Data {
        #[command(subcommand)]
        action: ridewire_client::commands::data::DataAction,
    },
    /// Complete a quest: at its zone with a location proof from gpsd (or
    /// hear how far away the zone is), or with a photo of the work; tick
    /// steps; list the quests.
    Quest {
        #[command(subcommand)]
        action: ridewire_client::commands::quest::QuestAction,
    },
    /// Your bikes: list, add, choose the current one, remove.
    Garage {
        #[command(subcommand)]
        action: ridewire_client::commands::garage::GarageAction,
    },
    /// One of the server's leaderboards (the last copy kept here when
    /// offline), and joining or leaving the boards under a display name.
    Leaderboard(ridewire_client::commands::leaderboard::Ask),
    /// Look at another rider's photo proof (the code they gave you) and
    /// vouch for it.
    Vouch(ridewire_client::commands::vouch::Ask),
    /// Workshops: join one with its code, choose what it sees, leave; found
    /// one, invite, list its customers.
    Workshop {
        #[command(subcommand)]
        action: ridewire_client::commands::workshop::WorkshopAction,
    },
    /// Draw one level of a Markdown maintenance plan as an overworld map.
    Plan {
        /// The plan, a Markdown file with `- [ ]` tasks under headings.
        #[arg(value_name = "PLAN.md")]
        file: PathBuf,
        /// Write the map as PNG (16 px per tile; 8 or 4 for very big maps).
        #[arg(long, value_name = "MAP.png")]
        png: Option<PathBuf>,
        /// Write the map as JSON.
        #[arg(long, value_name = "MAP.json")]
        json: Option<PathBuf>,
        /// Map seed: the same plan and seed give the same map.
        #[arg(long, value_name = "N", default_value_t = 0)]
        seed: u64,
        /// The level to draw, as 1-based section numbers: `2` is the second
        /// section, `2/1` its first subsection [default: the whole plan].
        #[arg(long, value_name = "PATH")]
        level: Option<String>,
    },
}

fn parse_intrinsics(text: &str) -> Result<Intrinsics, String> {
    let values: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{text:?}: expected four numbers FX,FY,CX,CY"))?;
    let [fx, fy, cx, cy] = values[..] else {
        return Err(format!("{text:?}: expected four numbers FX,FY,CX,CY"));
    };
    Intrinsics::new(fx, fy, cx, cy).map_err(|e| e.to_string())
}

fn parse_marker_size(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(m) if m.is_finite() && (0.005..=2.0).contains(&m) => Ok(m),
        _ => Err(format!(
            "{text:?}: expected a side in metres between 0.005 and 2"
        )),
    }
}

fn detect_command(
    inputs: &[PathBuf],
    json: bool,
    intrinsics: Option<Intrinsics>,
    marker_size: f64,
) -> ExitCode {
    let options = ReportOptions {
        intrinsics,
        marker_size,
        ..ReportOptions::default()
    };
    match detect_files(inputs, &options) {
        Ok(report) => {
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ridewire detect: {e}");
            ExitCode::from(2)
        }
    }
}

fn data_source(demo: bool, database: Option<PathBuf>) -> DataSource {
    if demo {
        DataSource::Demo
    } else {
        DataSource::Database(database.unwrap_or_else(DataSource::default_database))
    }
}

fn diagnose(ask: diagnose::Ask, json: bool, data: &DataSource) -> ExitCode {
    match diagnose::run(ask, data, &Clock::System) {
        Ok(run) if json => match serde_json::to_string_pretty(&run) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("ridewire diagnose: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(run) => {
            print!("{}", diagnose::report(&run));
            ExitCode::SUCCESS
        }
        Err(e @ diagnose::DiagnoseError::BadInput(_)) => {
            eprintln!("ridewire diagnose: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("ridewire diagnose: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_command(command: Command, data: &DataSource) -> ExitCode {
    match command {
        Command::Diagnose {
            codes,
            symptoms,
            query,
            json,
            make,
            model,
            year,
        } => {
            let ask = diagnose::Ask {
                codes,
                symptoms,
                query,
                vehicle: VehicleInfo { make, model, year },
            };
            diagnose(ask, json, data)
        }
        Command::Obd { action } => obd_command(action, data),
        Command::Sync {
            server,
            email,
            register,
        } => ridewire_client::commands::sync::run(
            data,
            server.as_deref(),
            email.as_deref(),
            register,
        ),
        Command::Data { action } => {
            let DataSource::Database(database) = data else {
                eprintln!("ridewire data: the demo garage keeps nothing; leave out --demo");
                return ExitCode::from(2);
            };
            ridewire_client::commands::data::run(action, database, || {
                ridewire_client::commands::password_for_sync(true)
            })
        }
        Command::Quest { action } => {
            ridewire_client::commands::quest::run(action, data, &Clock::System)
        }
        Command::Garage { action } => {
            let DataSource::Database(database) = data else {
                eprintln!("ridewire garage: the demo garage keeps nothing; leave out --demo");
                return ExitCode::from(2);
            };
            ridewire_client::commands::garage::run(action, database)
        }
        Command::Workshop { action } => {
            let DataSource::Database(database) = data else {
                eprintln!("ridewire workshop: the demo garage has no account; leave out --demo");
                return ExitCode::from(2);
            };
            ridewire_client::commands::workshop::run(&action, database)
        }
        Command::Leaderboard(ask) => {
            let DataSource::Database(database) = data else {
                eprintln!("ridewire leaderboard: the demo garage has no account; leave out --demo");
                return ExitCode::from(2);
            };
            ridewire_client::commands::leaderboard::run(&ask, database)
        }
        Command::Vouch(ask) => {
            let DataSource::Database(database) = data else {
                eprintln!("ridewire vouch: the demo garage has no account; leave out --demo");
                return ExitCode::from(2);
            };
            ridewire_client::commands::vouch::run(&ask, database)
        }
        Command::Detect {
            inputs,
            json,
            intrinsics,
            marker_size,
        } => detect_command(&inputs, json, intrinsics, marker_size),
        Command::Plan {
            file,
            png,
            json,
            seed,
            level,
        } => {
            let ask = plan::Ask {
                plan: file,
                level,
                seed,
            };
            plan_command(&ask, png.as_deref(), json.as_deref())
        }
    }
}

fn plan_command(ask: &plan::Ask, png: Option<&Path>, json: Option<&Path>) -> ExitCode {
    let result = plan::run(ask).and_then(|run| {
        print!("{}", plan::report(&run));
        if let Some(to) = json {
            plan::write_json(&run.map, to)?;
        }
        if let Some(to) = png {
            plan::write_png(&run.map, to)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ridewire plan: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Keeps the VIN tail read from the bike, so the Garage card offers it
/// for the current bike.
fn offer_vin(database: &Path, tail: &ridewire_engine::vehicle::VinTail, quiet: bool) {
    let kept = ridewire_app::rider::Rider::open(database, ridewire_app::clock::now().0)
        .and_then(|mut rider| ridewire_app::garage::offer_vin_tail(&mut rider, tail));
    match kept {
        Ok(()) if !quiet => {
            println!(
                "VIN …{} kept: Settings → Garage offers it for your current bike.",
                tail.as_str()
            );
        }
        Ok(()) => {}
        Err(e) => eprintln!("ridewire obd read: the VIN tail could not be kept ({e})"),
    }
}

fn obd_command(action: ObdAction, data: &DataSource) -> ExitCode {
    match action {
        ObdAction::Read {
            link,
            json,
            diagnose: then_diagnose,
            make,
            model,
            year,
        } => {
            let reading = match obd::read(&link) {
                Ok(reading) => reading,
                Err(e) => return obd_failed("read", &e),
            };
            if json {
                match serde_json::to_string_pretty(&obd::to_json(&reading)) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("ridewire obd read: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                print!("{}", obd::report(&reading));
            }
            if let (DataSource::Database(database), Some(tail)) = (data, &reading.vin_tail) {
                offer_vin(database, tail, json);
            }
            if !then_diagnose {
                return ExitCode::SUCCESS;
            }
            let codes = obd::all_codes(&reading);
            if codes.is_empty() {
                println!("No codes to diagnose.");
                return ExitCode::SUCCESS;
            }
            let ask = diagnose::Ask {
                codes,
                symptoms: vec!["check_engine_light".to_owned()],
                query: None,
                vehicle: VehicleInfo { make, model, year },
            };
            println!();
            diagnose(ask, false, data)
        }
        ObdAction::Clear { link, yes } => match obd::clear(&link, yes) {
            Ok(ecus) => {
                println!("Codes cleared by ECU {}.", ecus.join(", "));
                ExitCode::SUCCESS
            }
            Err(e) => obd_failed("clear", &e),
        },
    }
}

fn obd_failed(what: &str, e: &obd::ObdCommandError) -> ExitCode {
    eprintln!("ridewire obd {what}: {e}");
    ExitCode::from(e.exit_code())
}

fn parse_camera(s: &str) -> Result<CameraChoice, String> {
    s.parse()
}

/// `--camera`, else `RIDEWIRE_CAMERA`.
fn camera_choice(flag: Option<CameraChoice>) -> Result<Option<CameraChoice>, String> {
    if flag.is_some() {
        return Ok(flag);
    }
    match std::env::var("RIDEWIRE_CAMERA") {
        Ok(v) if !v.trim().is_empty() => v
            .parse()
            .map(Some)
            .map_err(|e| format!("RIDEWIRE_CAMERA: {e}")),
        _ => Ok(None),
    }
}

fn parse_size(s: &str) -> Result<UVec2, String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{s:?} is not WIDTHxHEIGHT, e.g. 1280x720"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("{v:?} in {s:?} is not a whole number of pixels"))
    };
    let size = UVec2::new(parse(w)?, parse(h)?);
    if size.x < 64 || size.y < 64 || size.x > 8192 || size.y > 8192 {
        return Err(format!("{s} is outside 64x64 ..= 8192x8192"));
    }
    Ok(size)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.insecure {
        eprintln!("ridewire: --insecure: a plain http:// sync server will be used unencrypted");
        ridewire_app::account::allow_cleartext();
    }
    let data = data_source(cli.demo, cli.database);
    if let Some(command) = cli.command {
        return run_command(command, &data);
    }
    if cli.screenshot.is_none() && !has_display() {
        eprintln!(
            "ridewire: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n\
             Run it on a desktop, under a virtual display (xvfb-run ridewire), or render\n\
             off-screen with: ridewire --screenshot home.png"
        );
        return ExitCode::from(2);
    }
    let camera = match camera_choice(cli.camera) {
        Ok(camera) => camera,
        Err(e) => {
            eprintln!("ridewire: {e}");
            return ExitCode::from(2);
        }
    };
    let mut screen = cli.screen;
    if let Some(file) = &cli.plan {
        if let Err(code) = open_plan(file, &data) {
            return code;
        }
        if screen == Screen::Home {
            screen = Screen::Overworld;
        }
    }
    let photo_for = match cli.photo_for.as_deref().map(|q| photo_quest(q, &data)) {
        None => None,
        Some(Ok(quest)) => Some(quest),
        Some(Err(e)) => {
            eprintln!("ridewire: --photo-for: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.workshop && screen == Screen::Home {
        screen = Screen::Board;
    }
    let options = Options {
        clock: cli.at.map(|At(at_ms, utc_offset_min)| Clock::Fixed {
            at_ms,
            utc_offset_min,
        }),
        workshop: cli.workshop,
        camera,
        photo_for,
        screenshot: cli.screenshot,
        screen,
        size: cli.size,
        data,
        open_node: cli.open_node,
        gpsd: cli.gpsd,
    };
    let exit = ridewire_client::build(&options).run();
    if exit.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A time given with `--at`: Unix ms and its UTC offset in minutes.
#[derive(Debug, Clone, Copy)]
struct At(i64, i16);

fn parse_at(text: &str) -> Result<At, String> {
    let t = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("{text:?} is not a time like 2026-03-05T09:30:00+01:00: {e}"))?;
    let offset = i16::try_from(t.offset().local_minus_utc() / 60).map_err(|e| e.to_string())?;
    Ok(At(t.timestamp_millis(), offset))
}

/// `--photo-for QUEST`: the quest, once it is known to take a photo now.
fn photo_quest(quest: &str, data: &DataSource) -> Result<QuestId, String> {
    let quest = QuestId::new(quest.to_owned()).map_err(|e| e.to_string())?;
    let clock = Clock::System;
    let player = match data {
        DataSource::Demo => Player::demo(&clock),
        DataSource::Database(path) => Player::open(path, &clock),
    };
    let Player(rider) = player.map_err(|e| e.to_string())?;
    match rider.takes_proof(&quest, ProofRequirement::Photo) {
        Ok(Some(_)) => Ok(quest),
        Ok(None) => Err(format!(
            "quest {quest} takes no photo (its task has no #photo tag)"
        )),
        Err(reason) => Err(format!("quest {quest}: {}", explain(&reason))),
    }
}

/// `--plan FILE`: opens the plan in the rider's data before the app starts.
fn open_plan(file: &Path, data: &DataSource) -> Result<(), ExitCode> {
    let DataSource::Database(database) = data else {
        eprintln!("ridewire: --plan keeps the plan in your data; leave out --demo");
        return Err(ExitCode::from(2));
    };
    let (now, offset) = ridewire_app::clock::now();
    let opened = ridewire_app::rider::Rider::open(database, now)
        .and_then(|mut rider| ridewire_app::plans::open_file(&mut rider, file, now, offset));
    match opened {
        Ok(o) => {
            if o.recorded > 0 {
                println!(
                    "{}: {} task(s) ticked since it was last opened are recorded ({} XP).",
                    o.plan.title, o.recorded, o.xp
                );
            }
            Ok(())
        }
        Err(e) => {
            eprintln!("ridewire: {e}");
            Err(ExitCode::from(2))
        }
    }
}

fn has_display() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_explain_themselves() {
        assert_eq!(parse_size("640x360"), Ok(UVec2::new(640, 360)));
        assert_eq!(parse_size("1920X1080"), Ok(UVec2::new(1920, 1080)));
        assert!(parse_size("640").unwrap_err().contains("WIDTHxHEIGHT"));
        assert!(parse_size("ax360").unwrap_err().contains("whole number"));
        assert!(parse_size("10x10").unwrap_err().contains("outside"));
    }
}
