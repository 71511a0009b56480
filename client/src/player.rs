//! The rider's data as a Bevy resource: the app layer's [`Rider`] session,
//! loaded at start-up. Every change arrives as a [`RecordEvent`] message and
//! becomes an engine event; progress is never edited directly.
//!
//! The events live in the offline store (`--demo`: the demo garage in a
//! database in memory).

use std::path::{Path, PathBuf};

use bevy::prelude::*;
pub use ridewire_app::rider::Outcome;
use ridewire_app::rider::Rider;
use ridewire_engine::event::EventKind;

pub(super) fn plugin(app: &mut App) {
    app.add_message::<RecordEvent>()
        .init_resource::<Clock>()
        .add_systems(Startup, load)
        .add_systems(Update, record_events.in_set(crate::AppSystems::Record));
}

/// Ask for something the rider did to be recorded.
#[derive(Message, Debug, Clone)]
pub struct RecordEvent(pub EventKind);

/// Where "now" comes from: the system clock, or a fixed instant for tests
/// and reproducible screenshots.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed {
        at_ms: i64,
        utc_offset_min: i16,
    },
}

impl Clock {
    /// Unix milliseconds and the local UTC offset in minutes.
    pub fn now(&self) -> (i64, i16) {
        match *self {
            Clock::Fixed {
                at_ms,
                utc_offset_min,
            } => (at_ms, utc_offset_min),
            Clock::System => ridewire_app::clock::now(),
        }
    }

    /// Today's local day number (days since 1970-01-01).
    pub fn today(&self) -> i64 {
        let (at, off) = self.now();
        ridewire_app::clock::local_day(at, off)
    }
}

/// The rider's session as a resource: the app layer's [`Rider`] (their
/// database or the demo garage, events, progress, catalogue).
#[derive(Resource, Debug, Deref, DerefMut)]
pub struct Player(pub Rider);

impl Player {
    /// The demo garage, ending on `clock`'s day, in memory only.
    pub fn demo(clock: &Clock) -> Result<Self, ridewire_app::Error> {
        Rider::demo(clock.now().0).map(Player)
    }

    /// The rider's own data from the database at `path`.
    pub fn open(path: &Path, clock: &Clock) -> Result<Self, ridewire_app::Error> {
        Rider::open(path, clock.now().0).map(Player)
    }
}

/// Where the app takes the rider's data from.
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// The local database at this path.
    Database(PathBuf),
    /// The demo garage in memory (screenshots, trying the app out).
    Demo,
}

impl DataSource {
    /// The default database: `ridewire/ridewire.db` in the user's data folder.
    pub fn default_database() -> PathBuf {
        dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("ridewire")
            .join("ridewire.db")
    }
}

/// Why the rider's data could not be loaded, shown instead of the screens.
#[derive(Resource, Debug, Clone)]
pub struct LoadError(pub String);

/// Loads the rider's data at start-up.
pub(crate) fn load(
    mut commands: Commands,
    source: Option<Res<DataSource>>,
    clock: Res<Clock>,
    loaded: Option<Res<Player>>,
) {
    if loaded.is_some() {
        return;
    }
    let player = match source.as_deref() {
        Some(DataSource::Database(path)) => Player::open(path, &clock),
        Some(DataSource::Demo) | None => Player::demo(&clock),
    };
    match player {
        Ok(player) => {
            if let Some(r) = &player.recovery {
                warn!(
                    "data file was damaged ({}); moved to {}, {} events recovered",
                    r.reason,
                    r.moved_to.display(),
                    r.events_carried_over
                );
            }
            commands.insert_resource(player);
        }
        Err(e) => {
            error!("could not load your data: {e}");
            commands.insert_resource(LoadError(e.to_string()));
        }
    }
}

fn record_events(
    mut messages: MessageReader<RecordEvent>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
) {
    let Some(mut player) = player else {
        return;
    };
    for RecordEvent(kind) in messages.read() {
        let (at, offset) = clock.now();
        let outcome = player.record(kind.clone(), at, offset);
        if let Outcome::Failed(reason) = &outcome {
            error!("could not record {}: {reason}", kind.name());
        }
        player.last_outcome = Some(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridewire_engine::progress::RejectReason;
    use ridewire_engine::quest::QuestId;
    use uuid::Uuid;

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins);
        app.configure_sets(Update, crate::AppSystems::Record);
        plugin(&mut app);
        let clock = Clock::Fixed {
            at_ms: 1_772_438_400_000,
            utc_offset_min: 60,
        };
        app.insert_resource(clock);
        app.insert_resource(Player::demo(&clock).expect("demo"));
        app
    }

    #[test]
    fn a_recorded_diagnostic_run_shows_10_xp_at_once() {
        let mut app = app();
        let before = app.world().resource::<Player>().progress().xp();
        app.world_mut()
            .write_message(RecordEvent(EventKind::DiagnosticRun {
                diagnostic_id: Uuid::from_u128(5),
                vehicle: None,
                quest: None,
                evidence: None,
            }));
        app.update();
        let player = app.world().resource::<Player>();
        assert_eq!(player.progress().xp(), before + 10);
        assert_eq!(
            player.last_outcome,
            Some(Outcome::Counted {
                xp: 10,
                achievements: vec![]
            })
        );
        assert_eq!(player.verify(), Ok(()));
    }

    #[test]
    fn a_completion_without_steps_is_recorded_but_not_counted() {
        let mut app = app();
        let events_before = app.world().resource::<Player>().events().len();
        app.world_mut()
            .write_message(RecordEvent(EventKind::QuestCompleted {
                quest: QuestId::new("chain-lube").expect("id"),
            }));
        app.update();
        let player = app.world().resource::<Player>();
        assert_eq!(player.events().len(), events_before + 1);
        assert!(matches!(
            player.last_outcome,
            Some(Outcome::NotCounted(RejectReason::StepsMissing { .. }))
        ));
    }
}
