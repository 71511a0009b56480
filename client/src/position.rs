//! Where the rider is, on screen. A quest tagged `#onsite` gets "I'm here:
//! check my position" on its Map panel: the app asks gpsd (`ridewire
//! --gpsd HOST:PORT`, else `127.0.0.1:2947`) for a fix on a worker thread,
//! then completes the quest with it as its location proof through the app
//! layer (`location::complete_at_zone`, the engine's checks), or the panel
//! says how far the zone is or why the fix is not good enough. The photo's
//! shutter asks the same gpsd where the picture was taken (see `photo`).
//!
//! On phones the position comes from the platform through the bindings
//! (`RideWire::complete_at_zone`); gpsd is the desktop's and the
//! workshop's source.

use std::time::Duration;

use bevy::prelude::*;
use ridewire_app::location::{self, Attempt, DEFAULT_GPSD, Fix};
use ridewire_app::task::Pending;
use ridewire_engine::quest::QuestId;

use crate::AppSystems;
use crate::player::{Clock, Player};
use crate::toasts::{TOAST_SECONDS, Toast, Toasts};

/// How long each step of asking gpsd may take (connecting; then waiting
/// for a fix accurate enough, else taking the newest).
pub const GPSD_WAIT: Duration = Duration::from_secs(10);

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<GpsdAt>()
        .init_resource::<PositionForm>()
        .init_resource::<Toasts>()
        .add_message::<PositionAsk>()
        .add_systems(Update, (ask, finish).chain().in_set(AppSystems::Record));
}

/// Where gpsd listens (`host:port`).
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct GpsdAt(pub String);

impl Default for GpsdAt {
    fn default() -> Self {
        Self(DEFAULT_GPSD.to_owned())
    }
}

/// What the rider asks about their position.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub enum PositionAsk {
    /// Complete `quest` here, with a fix from gpsd as its location proof.
    Prove(QuestId),
}

/// The position being asked for, and how the last attempt went.
#[derive(Resource, Debug, Default)]
pub struct PositionForm {
    /// The quest a fix is being read for, and the reading.
    pub working: Option<(QuestId, Pending<Result<Fix, String>>)>,
    /// The last outcome, in words, for its quest.
    pub last: Option<(QuestId, Result<String, String>)>,
}

fn ask(mut asks: MessageReader<PositionAsk>, mut form: ResMut<PositionForm>, at: Res<GpsdAt>) {
    for ask in asks.read() {
        let PositionAsk::Prove(quest) = ask;
        if form.working.is_some() {
            continue;
        }
        let at = at.0.clone();
        let reading = Pending::spawn("the position", move || {
            location::proof_fix(&at, GPSD_WAIT).map_err(|e| e.to_string())
        });
        form.working = Some((quest.clone(), reading));
    }
}

/// Completes the quest once the fix is in, or says why not.
fn finish(
    mut form: ResMut<PositionForm>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
    mut toasts: ResMut<Toasts>,
) {
    let Some(read) = form.working.as_ref().and_then(|(_, r)| r.poll()) else {
        return;
    };
    let Some((quest, _)) = form.working.take() else {
        return;
    };
    let fix = read.map_err(|e| e.to_string()).and_then(|r| r);
    let outcome = match (fix, player) {
        (Err(e), _) => Err(format!("No position: {e}")),
        (Ok(_), None) => Err("the rider's data is not open".to_owned()),
        (Ok(fix), Some(mut player)) => {
            let title = player
                .catalog
                .quest(&quest)
                .map_or_else(|| quest.to_string(), |q| q.title.clone());
            let (now, offset) = clock.now();
            let attempt = location::complete_at_zone(&mut player, &quest, &fix, now, offset);
            let words = attempt.words(&title);
            match attempt {
                Attempt::Completed { .. } | Attempt::ProofKept { .. } => Ok(words),
                _ => Err(words),
            }
        }
    };
    toasts.0.push(Toast {
        title: if outcome.is_ok() {
            "Location proof".into()
        } else {
            "Not completed here".into()
        },
        text: match &outcome {
            Ok(w) | Err(w) => w.clone(),
        },
        left: TOAST_SECONDS,
    });
    form.last = Some((quest, outcome));
}
