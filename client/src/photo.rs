//! Photo proofs on screen: a quest tagged `#photo` gets "Pick a photo…"
//! (the file browser, JPEG or PNG) and "Take with the camera" (the scanner
//! opens with a shutter bar) on its Map panel. The picture is made ready by
//! the app layer on a worker thread (decoding a phone photo takes a moment),
//! then the quest is completed with it; a toast says how it went, and the
//! panel shows the code another rider or the workshop needs to vouch.
//! A photo taken with the scanner is stamped with the time, and with the
//! place when the rider shares it: the fix gpsd has then (see `position`);
//! without one it goes without a place, and the toast says why.

use std::path::PathBuf;
use std::time::Duration;

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::location;
use ridewire_app::photos::{self, Prepared, Share};
use ridewire_app::task::Pending;
use ridewire_engine::quest::QuestId;

use crate::player::{Clock, Player};
use crate::position::GpsdAt;
use crate::scan::ScanSession;
use crate::screens::Screen;
use crate::toasts::{TOAST_SECONDS, Toast, Toasts};
use crate::{AppSystems, UiSystems, theme};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<PhotoForm>()
        .init_resource::<Toasts>()
        .add_message::<PhotoAsk>()
        .add_systems(Update, (ask, finish).chain().in_set(AppSystems::Record))
        .add_systems(EguiPrimaryContextPass, draw.in_set(UiSystems::Screen));
}

/// What the rider asks about a photo proof.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum PhotoAsk {
    /// Open the file browser for a photo of `quest`.
    Pick(QuestId),
    /// Open the scanner to take a photo of `quest`.
    Camera(QuestId),
    /// What goes with the photo.
    Share(Share),
    /// Use this file (picked in the browser, or given by a test).
    File(PathBuf),
    /// Take the scanner's current picture.
    Shutter,
    /// Leave the scanner without a photo.
    Cancel,
}

/// The photo being added, and how the last one went.
#[derive(Resource, Debug, Default)]
pub struct PhotoForm {
    /// The quest the photo is for.
    pub quest: Option<QuestId>,
    /// What goes with the photo.
    pub share: Share,
    /// The folder the file browser shows, while it is open.
    pub browsing: Option<PathBuf>,
    /// Whether the scanner is open to take it.
    pub camera: bool,
    /// The picture being made ready.
    pub working: Option<Pending<Result<Ready, String>>>,
    /// The last outcome, in words, for its quest.
    pub last: Option<(QuestId, Result<String, String>)>,
}

/// A picture made ready, and what it goes without (its place, when gpsd
/// had none to give), in words.
pub type Ready = (Prepared, Option<String>);

/// How long the shutter waits for gpsd's position (each step).
const PLACE_WAIT: Duration = Duration::from_secs(3);

/// Where the browser opens: the Pictures folder, else home.
fn pictures_folder() -> PathBuf {
    dirs::picture_dir()
        .filter(|p| p.is_dir())
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn ask(
    mut asks: MessageReader<PhotoAsk>,
    mut form: ResMut<PhotoForm>,
    session: Option<Res<ScanSession>>,
    clock: Res<Clock>,
    gpsd: Option<Res<GpsdAt>>,
    mut next: ResMut<NextState<Screen>>,
) {
    for ask in asks.read() {
        match ask {
            PhotoAsk::Pick(quest) => {
                form.quest = Some(quest.clone());
                form.browsing = Some(pictures_folder());
            }
            PhotoAsk::Camera(quest) => {
                form.quest = Some(quest.clone());
                form.camera = true;
                next.set(Screen::Scan);
            }
            PhotoAsk::Share(share) => form.share = *share,
            PhotoAsk::File(path) => {
                let (path, offset) = (path.clone(), clock.now().1);
                form.working = Some(Pending::spawn("the photo", move || {
                    Prepared::from_file(&path, offset)
                        .map(|p| (p, None))
                        .map_err(|e| e.to_string())
                }));
            }
            PhotoAsk::Shutter => {
                let frame = session.as_ref().and_then(|s| s.frame().colour.clone());
                let Some(frame) = frame else {
                    form.last = form.quest.clone().map(|q| {
                        (
                            q,
                            Err("the camera has no colour picture to take".to_owned()),
                        )
                    });
                    continue;
                };
                let now = clock.now().0;
                let gpsd = form.share.place.then(|| {
                    gpsd.as_ref()
                        .map_or_else(GpsdAt::default, |g| (**g).clone())
                });
                form.working = Some(Pending::spawn("the photo", move || {
                    let (at, without) = match gpsd.map(|g| location::any_fix(&g.0, PLACE_WAIT)) {
                        Some(Ok(fix)) => (Some(fix.at), None),
                        Some(Err(e)) => (None, Some(format!("taken without its place: {e}"))),
                        None => (None, None),
                    };
                    Prepared::from_camera(&frame, now, at)
                        .map(|p| (p, without))
                        .map_err(|e| e.to_string())
                }));
            }
            PhotoAsk::Cancel => {
                form.camera = false;
                next.set(Screen::Overworld);
            }
        }
    }
}

/// Completes the quest once its picture is ready.
fn finish(
    mut form: ResMut<PhotoForm>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
    mut toasts: ResMut<Toasts>,
    mut next: ResMut<NextState<Screen>>,
) {
    let Some(done) = form.working.as_ref().and_then(Pending::poll) else {
        return;
    };
    form.working = None;
    let Some(quest) = form.quest.clone() else {
        return;
    };
    let prepared = done.map_err(|e| e.to_string()).and_then(|r| r);
    let outcome = match (prepared, player) {
        (Err(e), _) => Err(e),
        (Ok(_), None) => Err("the rider's data is not open".to_owned()),
        (Ok((prepared, without)), Some(mut player)) => {
            let title = player
                .catalog
                .quest(&quest)
                .map_or_else(|| quest.to_string(), |q| q.title.clone());
            let (now, offset) = clock.now();
            let attempt = photos::complete_with_photo(
                &mut player,
                &quest,
                &prepared,
                form.share,
                now,
                offset,
            );
            let mut words = attempt.words(&title);
            if let Some(without) = without {
                words = format!("{words} ({without})");
            }
            match attempt {
                photos::PhotoAttempt::Completed { .. } | photos::PhotoAttempt::PhotoKept { .. } => {
                    Ok(words)
                }
                _ => Err(words),
            }
        }
    };
    toasts.0.push(Toast {
        title: if outcome.is_ok() {
            "Photo added".into()
        } else {
            "No photo added".into()
        },
        text: match &outcome {
            Ok(w) | Err(w) => w.clone(),
        },
        left: TOAST_SECONDS,
    });
    form.last = Some((quest, outcome));
    if form.camera {
        form.camera = false;
        next.set(Screen::Overworld);
    }
}

fn draw(
    mut contexts: EguiContexts,
    screen: Res<State<Screen>>,
    mut form: ResMut<PhotoForm>,
    player: Option<Res<Player>>,
    mut asks: MessageWriter<PhotoAsk>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if *screen.get() == Screen::Overworld
        && let Some(file) = crate::browse::browser(
            ctx,
            "Pick a photo of the work",
            crate::browse::PHOTOS,
            &mut form.browsing,
        )
    {
        asks.write(PhotoAsk::File(file));
    }
    if *screen.get() != Screen::Scan || !form.camera {
        return Ok(());
    }
    let title = match (&form.quest, player.as_deref()) {
        (Some(q), Some(p)) => p
            .catalog
            .quest(q)
            .map_or_else(|| q.to_string(), |q| q.title.clone()),
        _ => String::new(),
    };
    egui::Area::new(egui::Id::new("photo-shutter"))
        .order(egui::Order::Foreground)
        .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -16.0))
        .show(ctx, |ui| {
            theme::card()
                .stroke(egui::Stroke::new(2.0, theme::ACCENT))
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(format!("Photo for: {title}")).size(18.0));
                        let busy = form.working.is_some();
                        let shutter = egui::Button::new(RichText::new("Take the photo").size(18.0))
                            .min_size(egui::vec2(0.0, 44.0));
                        if ui.add_enabled(!busy, shutter).clicked() {
                            asks.write(PhotoAsk::Shutter);
                        }
                        let cancel = egui::Button::new(RichText::new("Cancel").size(18.0))
                            .min_size(egui::vec2(0.0, 44.0));
                        if ui.add(cancel).clicked() {
                            asks.write(PhotoAsk::Cancel);
                        }
                        if busy {
                            ui.spinner();
                        }
                    });
                    if let Some((_, Err(e))) = &form.last {
                        ui.label(RichText::new(e).color(theme::WARN));
                    }
                });
        });
    Ok(())
}
