//! Settings: display scale and the large-target touch layout for workshop
//! terminals, plus what this device has recorded.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_ar::frames::{CameraName, Webcam};

use crate::player::Player;
use crate::screens::{ContentArea, Screen, show_content};
pub use crate::shared::Settings;
use crate::shared::{
    CAMERA_SIZES, CameraChoice, CameraOverride, DataAsk, DataForm, GarageAsk, GarageForm, Kiosk,
    SignIn, SignInForm, SyncLink,
};
use crate::{UiSystems, theme};
use ridewire_app::account::cleartext_warning;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Settings>()
        .add_systems(
            Update,
            (
                restore.run_if(resource_added::<Player>),
                persist.run_if(resource_exists::<Player>),
            )
                .chain(),
        )
        .add_systems(
            EguiPrimaryContextPass,
            draw.in_set(UiSystems::Screen)
                .run_if(in_state(Screen::Settings)),
        );
}

const UI_SCALE: &str = "ui_scale";
const TOUCH_LAYOUT: &str = "touch_layout";
const CAMERA: &str = "camera";
const CAMERA_SIZE: &str = "camera_size";
const SCALE_RANGE: std::ops::RangeInclusive<f32> = 0.75..=2.0;

/// Takes the settings saved on this device, ignoring values that do not parse.
fn restore(player: Res<Player>, mut settings: ResMut<Settings>, kiosk: Option<Res<Kiosk>>) {
    if let Some(scale) = player
        .setting(UI_SCALE)
        .and_then(|v| v.parse::<f32>().ok())
        .filter(|v| SCALE_RANGE.contains(v))
    {
        settings.ui_scale = scale;
    }
    if let Some(touch) = player
        .setting(TOUCH_LAYOUT)
        .and_then(|v| v.parse::<bool>().ok())
    {
        settings.touch_layout = touch;
    }
    // A workshop terminal is a touch screen whatever was saved.
    if kiosk.is_some_and(|k| k.0) {
        settings.touch_layout = true;
    }
    if let Some(camera) = player
        .setting(CAMERA)
        .and_then(|v| v.parse::<CameraChoice>().ok())
    {
        settings.camera = camera;
    }
    if let Some(size) = player.setting(CAMERA_SIZE).and_then(|v| {
        CAMERA_SIZES
            .iter()
            .find(|(w, h)| v == format!("{w}x{h}"))
            .copied()
    }) {
        settings.camera_size = size;
    }
}

/// Saves the settings whenever the rider changes them.
fn persist(
    mut player: ResMut<Player>,
    settings: Res<Settings>,
    mut saved: Local<Option<Settings>>,
) {
    if saved.as_ref() == Some(&*settings) {
        return;
    }
    if saved.is_some() {
        let result = player
            .save_setting(UI_SCALE, &settings.ui_scale.to_string())
            .and_then(|()| player.save_setting(TOUCH_LAYOUT, &settings.touch_layout.to_string()))
            .and_then(|()| player.save_setting(CAMERA, &settings.camera.to_string()))
            .and_then(|()| {
                let (w, h) = settings.camera_size;
                player.save_setting(CAMERA_SIZE, &format!("{w}x{h}"))
            });
        if let Err(e) = result {
            error!("could not save settings: {e}");
        }
    }
    *saved = Some(settings.clone());
}

#[allow(clippy::too_many_arguments)]
fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    mut settings: ResMut<Settings>,
    player: Option<Res<Player>>,
    mut dragging_scale: Local<Option<f32>>,
    mut sync_form: ResMut<SignInForm>,
    sync_link: Res<SyncLink>,
    mut sign_in: MessageWriter<SignIn>,
    camera_override: Res<CameraOverride>,
    mut cameras: Local<Option<Result<Vec<CameraName>, String>>>,
    mut data_form: ResMut<DataForm>,
    mut data_asks: MessageWriter<DataAsk>,
    mut garage_form: ResMut<GarageForm>,
    mut garage_asks: MessageWriter<GarageAsk>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    show_content(ctx, &area, "settings", |ui| {
        if let Some(player) = &player {
            theme::card().show(ui, |ui| {
                ui.set_width(ui.available_width());
                garage_section(ui, &mut garage_form, player, &mut garage_asks);
            });
            ui.add_space(12.0);
        }
        theme::card().show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new("Display").size(20.0).strong());
            let mut scale = dragging_scale.unwrap_or(settings.ui_scale);
            let slider = ui.add(egui::Slider::new(&mut scale, SCALE_RANGE).text("Interface scale"));
            // Rescale on release, so the slider does not move under the finger.
            if slider.dragged() {
                *dragging_scale = Some(scale);
            } else if slider.drag_stopped() || slider.changed() || dragging_scale.is_some() {
                settings.ui_scale = scale;
                *dragging_scale = None;
            }
            let mut touch = settings.touch_layout;
            if ui
                .checkbox(
                    &mut touch,
                    "Touch layout (large targets for workshop screens)",
                )
                .changed()
            {
                settings.touch_layout = touch;
            }
        });
        ui.add_space(12.0);
        theme::card().show(ui, |ui| {
            ui.set_width(ui.available_width());
            camera_section(ui, &mut settings, &camera_override, &mut cameras);
        });
        ui.add_space(12.0);
        if let Some(player) = &player {
            theme::card().show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.label(RichText::new("This device").size(20.0).strong());
                ui.label(format!("Device id: {}", player.device()));
                ui.label(format!("Events recorded: {}", player.events().len()));
                match player.verify() {
                    Ok(()) => ui.label(
                        RichText::new("Event log intact (hash chain verified)").color(theme::OK),
                    ),
                    Err(e) => ui
                        .label(RichText::new(format!("Event log damaged: {e}")).color(theme::WARN)),
                };
                ui.label(
                    RichText::new(format!("Stored in: {}", player.storage())).color(theme::MUTED),
                );
            });
        }
        ui.add_space(12.0);
        theme::card().show(ui, |ui| {
            ui.set_width(ui.available_width());
            sync_section(ui, &mut sync_form, &sync_link, &mut sign_in);
        });
        if let Some(player) = &player {
            ui.add_space(12.0);
            theme::card().show(ui, |ui| {
                ui.set_width(ui.available_width());
                data_section(ui, &mut data_form, player, &mut data_asks);
            });
        }
    });
    Ok(())
}

/// The Garage card: the rider's bikes (the current one marked), adding a
/// bike from the known models or any other, the VIN tail read from the
/// bike, and changes that crossed another device's.
fn garage_section(
    ui: &mut egui::Ui,
    form: &mut GarageForm,
    player: &Player,
    asks: &mut MessageWriter<GarageAsk>,
) {
    use ridewire_app::garage::{self, KNOWN_MODELS};
    ui.label(RichText::new("Garage").size(20.0).strong());
    let bikes = std::mem::take(&mut form.bikes);
    if bikes.is_empty() {
        ui.label(
            RichText::new(
                "No bike yet: add yours so the scanner, diagnoses and quests are about it \
                 (until then the starter Street 750 stands in).",
            )
            .color(theme::MUTED),
        );
    }
    for bike in &bikes {
        ui.horizontal(|ui| {
            let current = player.bike.as_ref() == Some(&bike.id);
            if ui.radio(current, bike.title()).clicked() && !current {
                asks.write(GarageAsk::Choose(bike.id.clone()));
            }
            if let Some(tail) = &bike.vehicle.vin_tail {
                ui.label(RichText::new(format!("VIN …{}", tail.as_str())).color(theme::MUTED));
            }
            if bike.waiting {
                ui.label(RichText::new("waiting to sync").color(theme::GOLD));
            }
            let confirming = form.confirming_removal.as_ref() == Some(&bike.id);
            let label = if confirming {
                "Yes, remove it"
            } else {
                "Remove"
            };
            if ui.button(label).clicked() {
                asks.write(GarageAsk::Remove(bike.id.clone()));
            }
        });
    }
    for conflict in &form.conflicts {
        ui.label(RichText::new("Another device changed this bike too:").color(theme::WARN));
        for (field, mine, theirs) in &conflict.fields {
            let name = match field.as_str() {
                "make" => "Make",
                "model" => "Model",
                "year" => "Year",
                "vin_tail" => "VIN (last 6)",
                "removed" => "Removed",
                other => other,
            };
            let shown = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "(none)".to_owned(),
                serde_json::Value::Bool(true) => "yes".to_owned(),
                serde_json::Value::Bool(false) => "no".to_owned(),
                other => other.to_string(),
            };
            ui.label(format!(
                "{name}: yours {}, the other device's {}",
                shown(mine),
                shown(theirs)
            ));
        }
        ui.horizontal(|ui| {
            if ui.button("Keep mine").clicked() {
                asks.write(GarageAsk::Settle {
                    edit: conflict.edit,
                    keep_mine: true,
                });
            }
            if ui.button("Keep theirs").clicked() {
                asks.write(GarageAsk::Settle {
                    edit: conflict.edit,
                    keep_mine: false,
                });
            }
        });
    }
    for refused in &form.refused {
        ui.horizontal_wrapped(|ui| {
            let what = refused.title.as_deref().unwrap_or("A change to a bike");
            ui.label(
                RichText::new(format!(
                    "{what}: the server refused it ({})",
                    refused.reason
                ))
                .color(theme::WARN),
            );
            if ui.button("Discard").clicked() {
                asks.write(GarageAsk::Discard(refused.edit));
            }
        });
    }
    if let Some(tail) = garage::read_vin_tail(player)
        && player.bike.is_some()
        && ui
            .button(format!("Use VIN …{} read from the bike", tail.as_str()))
            .clicked()
    {
        asks.write(GarageAsk::UseReadVin);
    }
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        ui.label("Add a bike");
        let shown = form.known.and_then(|i| KNOWN_MODELS.get(i)).map_or_else(
            || "Other…".to_owned(),
            |k| format!("{} {} ({})", k.make, k.model, k.year),
        );
        egui::ComboBox::from_id_salt("garage-model")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for (i, k) in KNOWN_MODELS.iter().enumerate() {
                    let text = format!("{} {} ({})", k.make, k.model, k.year);
                    ui.selectable_value(&mut form.known, Some(i), text);
                }
                ui.selectable_value(&mut form.known, None, "Other…");
            });
        if form.known.is_none() {
            ui.label("Make");
            ui.add(egui::TextEdit::singleline(&mut form.make).desired_width(140.0));
            ui.label("Model");
            ui.add(egui::TextEdit::singleline(&mut form.model).desired_width(140.0));
            ui.label("Year");
            ui.add(egui::TextEdit::singleline(&mut form.year).desired_width(60.0));
        }
        ui.label("VIN (optional)");
        ui.add(
            egui::TextEdit::singleline(&mut form.vin)
                .desired_width(190.0)
                .hint_text("only the last 6 are kept"),
        );
        if ui.button("Add").clicked() {
            asks.write(GarageAsk::Add);
        }
    });
    theme::outcome(ui, &form.message);
    form.bikes = bikes;
}

/// The "Your data" card: export everything, delete the account on the
/// server, wipe this device; the last two after an "are you sure" step.
fn data_section(
    ui: &mut egui::Ui,
    form: &mut DataForm,
    player: &Player,
    asks: &mut MessageWriter<DataAsk>,
) {
    ui.label(RichText::new("Your data").size(20.0).strong());
    ui.label(
        RichText::new("Everything RideWire keeps is yours: take a copy of it, or remove it.")
            .color(theme::MUTED),
    );
    let account = ridewire_app::data::signed_in_as(player);
    let idle = !form.busy();
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.label("Export to");
        ui.add(egui::TextEdit::singleline(&mut form.export_to).desired_width(f32::INFINITY));
    });
    if let Some((server, email)) = &account {
        ui.checkbox(
            &mut form.with_server,
            format!("With the server's copy ({email} on {server})"),
        );
        if form.with_server || form.confirming == Some(DataAsk::DeleteAccount) {
            ui.horizontal(|ui| {
                ui.label("Password");
                ui.add(egui::TextEdit::singleline(&mut form.password).password(true));
            });
        }
    } else {
        form.with_server = false;
    }
    ui.horizontal(|ui| {
        if ui
            .add_enabled(idle, egui::Button::new("Export everything"))
            .clicked()
        {
            asks.write(DataAsk::Export);
        }
        if let Some(done) = form.export_progress() {
            ui.add(egui::ProgressBar::new(done).show_percentage());
        } else if form.deletion.is_some() {
            ui.label(RichText::new("deleting the account…").color(theme::MUTED));
        }
    });
    ui.add_space(6.0);
    match form.confirming {
        Some(ask @ (DataAsk::DeleteAccount | DataAsk::Wipe)) => {
            let warning = if ask == DataAsk::Wipe {
                format!(
                    "Delete everything on this device ({} events, its settings and sign-in)? \
                     This cannot be undone; export first to keep a copy.",
                    player.events().len()
                )
            } else {
                "Delete the account and everything the server keeps for it? This device keeps \
                 what it recorded. Enter your password above."
                    .to_owned()
            };
            ui.label(RichText::new(warning).color(theme::WARN));
            ui.horizontal(|ui| {
                let yes = if ask == DataAsk::Wipe {
                    "Wipe this device"
                } else {
                    "Delete the account"
                };
                if ui.add_enabled(idle, egui::Button::new(yes)).clicked() {
                    asks.write(ask);
                }
                if ui.button("Cancel").clicked() {
                    form.confirming = None;
                }
            });
        }
        _ => {
            ui.horizontal(|ui| {
                if account.is_some()
                    && ui
                        .add_enabled(idle, egui::Button::new("Delete my account…"))
                        .clicked()
                {
                    form.confirming = Some(DataAsk::DeleteAccount);
                }
                if !player.is_demo()
                    && ui
                        .add_enabled(idle, egui::Button::new("Wipe this device…"))
                        .clicked()
                {
                    form.confirming = Some(DataAsk::Wipe);
                }
            });
        }
    }
    theme::outcome(ui, &form.message);
}

/// The "Sync" card of the settings screen: status, "Sync now", and the
/// sign-in form.
fn sync_section(
    ui: &mut egui::Ui,
    form: &mut SignInForm,
    link: &SyncLink,
    sign_in: &mut MessageWriter<SignIn>,
) {
    ui.label(RichText::new("Sync").size(20.0).strong());
    if let Some(problem) = &link.problem {
        ui.label(RichText::new(format!("Sync could not start: {problem}")).color(theme::WARN));
    }
    match (link.status(), &link.server) {
        (Some(status), Some(server)) => {
            ui.label(format!("Server: {server} ({})", form.email));
            if let Some(warning) = cleartext_warning(server) {
                ui.label(RichText::new(warning).color(theme::WARN));
            }
            let when = status.last_success_ms.map_or_else(
                || "not yet".to_owned(),
                |ms| {
                    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| {
                        t.with_timezone(&chrono::Local)
                            .format("%H:%M:%S")
                            .to_string()
                    })
                },
            );
            let state = if status.syncing {
                " · syncing now"
            } else {
                ""
            };
            ui.label(format!(
                "Last synced: {when}{state} · {} waiting to send · {} refused by the server",
                status.pending, status.wedged
            ));
            if let Some(e) = &status.last_error {
                ui.label(
                    RichText::new(format!(
                        "Last attempt failed ({} in a row): {e}. Your work is kept and goes out when \
                         the server answers.",
                        status.failures
                    ))
                    .color(theme::WARN),
                );
            }
            if let Some(problem) = &status.diagnoses_problem {
                ui.label(
                    RichText::new(format!("Diagnosis runs and notes not synced: {problem}"))
                        .color(theme::MUTED),
                );
            }
            if let Some(progress) = &status.server_progress {
                ui.label(
                    RichText::new(format!(
                        "Server says: level {} · {} XP · {} events",
                        progress.level, progress.xp, progress.events
                    ))
                    .color(theme::MUTED),
                );
            }
            if ui.button("Sync now").clicked() {
                link.sync_now();
            }
        }
        _ => {
            ui.label(
                RichText::new("Offline only. Sign in to a RideWire server to back up your work and share it with your other devices.")
                    .color(theme::MUTED),
            );
        }
    }
    ui.add_space(6.0);
    egui::Grid::new("sync-form").num_columns(2).show(ui, |ui| {
        ui.label("Server");
        ui.add(egui::TextEdit::singleline(&mut form.server).hint_text("http://127.0.0.1:8787"));
        ui.end_row();
        ui.label("E-mail");
        ui.add(egui::TextEdit::singleline(&mut form.email));
        ui.end_row();
        ui.label("Password");
        ui.add(egui::TextEdit::singleline(&mut form.password).password(true));
        ui.end_row();
    });
    ui.horizontal(|ui| {
        let idle = !form.busy();
        if ui.add_enabled(idle, egui::Button::new("Sign in")).clicked() {
            sign_in.write(SignIn { register: false });
        }
        if ui
            .add_enabled(idle, egui::Button::new("Create account"))
            .clicked()
        {
            sign_in.write(SignIn { register: true });
        }
        if !idle {
            ui.label(RichText::new("signing in…").color(theme::MUTED));
        }
    });
    theme::outcome(ui, &form.message);
}

/// The scanner's camera: automatic, the demo recording, or one of the
/// cameras the system lists (listed when the section is first shown and on
/// request, not every frame).
fn camera_section(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    camera_override: &CameraOverride,
    cameras: &mut Option<Result<Vec<CameraName>, String>>,
) {
    ui.label(RichText::new("Camera").size(20.0).strong());
    let listed = cameras.get_or_insert_with(|| Webcam::list().map_err(|e| e.to_string()));
    let mut choice = settings.camera;
    ui.radio_value(
        &mut choice,
        CameraChoice::Auto,
        "Automatic: the first camera, else the demo recording",
    );
    if let Ok(list) = listed {
        for camera in list.iter() {
            ui.radio_value(
                &mut choice,
                CameraChoice::Device(camera.device),
                format!("Camera {}: {}", camera.device, camera.name),
            );
        }
    }
    // A camera saved earlier that is not plugged in now stays selectable.
    if let CameraChoice::Device(n) = settings.camera
        && !listed
            .as_ref()
            .is_ok_and(|list| list.iter().any(|c| c.device == n))
    {
        ui.radio_value(
            &mut choice,
            settings.camera,
            format!("Camera {n} (not found now)"),
        );
    }
    // The phone's camera exists only where a native host feeds it.
    if crate::shared::ON_A_PHONE || settings.camera == CameraChoice::Phone {
        ui.radio_value(&mut choice, CameraChoice::Phone, "The phone's camera");
    }
    ui.radio_value(
        &mut choice,
        CameraChoice::Demo,
        "Demo recording (practise without a bike)",
    );
    if choice != settings.camera {
        settings.camera = choice;
    }
    let mut size = settings.camera_size;
    ui.horizontal(|ui| {
        ui.label("Picture size:");
        for (w, h) in CAMERA_SIZES {
            ui.radio_value(&mut size, (w, h), format!("{w}×{h}"));
        }
    });
    if size != settings.camera_size {
        settings.camera_size = size;
    }
    let mut look_again = false;
    ui.horizontal(|ui| {
        match listed {
            Ok(list) if list.is_empty() => {
                ui.label(RichText::new("No camera found.").color(theme::MUTED));
            }
            Ok(_) => {}
            Err(e) => {
                ui.label(
                    RichText::new(format!("Cameras cannot be listed: {e}")).color(theme::MUTED),
                );
            }
        }
        look_again = ui.button("Look again").clicked();
    });
    if look_again {
        *cameras = None;
    }
    if let Some(forced) = camera_override.0 {
        ui.label(
            RichText::new(format!(
                "This run uses camera \"{forced}\" (--camera or RIDEWIRE_CAMERA)."
            ))
            .color(theme::WARN),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::Clock;

    const CLOCK: Clock = Clock::Fixed {
        at_ms: 1_772_438_400_000,
        utc_offset_min: 60,
    };

    fn app(path: &std::path::Path) -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .init_resource::<Settings>()
            .add_systems(
                Update,
                (
                    restore.run_if(resource_added::<Player>),
                    persist.run_if(resource_exists::<Player>),
                )
                    .chain(),
            );
        app.insert_resource(Player::open(path, &CLOCK).expect("open"));
        app
    }

    #[test]
    fn settings_are_saved_on_change_and_restored_next_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rider.db");
        {
            let mut app = app(&path);
            app.update();
            assert_eq!(*app.world().resource::<Settings>(), Settings::default());
            let mut s = app.world_mut().resource_mut::<Settings>();
            s.ui_scale = 1.5;
            s.touch_layout = true;
            s.camera = CameraChoice::Device(1);
            s.camera_size = (1920, 1080);
            app.update();
        }
        let mut app = app(&path);
        app.update();
        let s = app.world().resource::<Settings>();
        assert_eq!(
            (s.ui_scale, s.touch_layout, s.camera, s.camera_size),
            (1.5, true, CameraChoice::Device(1), (1920, 1080))
        );
    }

    #[test]
    fn a_garbled_saved_value_is_ignored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rider.db");
        Player::open(&path, &CLOCK)
            .expect("open")
            .save_setting(UI_SCALE, "huge")
            .expect("save");
        let mut app = app(&path);
        app.update();
        assert_eq!(app.world().resource::<Settings>().ui_scale, 1.0);
    }
}
