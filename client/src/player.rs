//! The rider's data as the app holds it: the catalogue, the event log and
//! the progress folded from it. Every change arrives as a [`RecordEvent`]
//! message and becomes an engine event; progress is never edited directly.
//!
//! Until the offline store lands this is fed by the engine's demo garage.

use bevy::prelude::*;
use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use ridewire_engine::progress::{Progress, RejectReason};
use ridewire_engine::quest::Catalog;
use ridewire_engine::vehicle::{ModelKey, Vehicle};
use ridewire_engine::{chain, demo};
use uuid::Uuid;

pub(super) fn plugin(app: &mut App) {
    app.add_message::<RecordEvent>()
        .init_resource::<Clock>()
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
            Clock::System => {
                let now = chrono::Local::now();
                let offset = (now.offset().local_minus_utc() / 60) as i16;
                (now.timestamp_millis(), offset)
            }
        }
    }

    /// Today's local day number (days since 1970-01-01).
    pub fn today(&self) -> i64 {
        let (at, off) = self.now();
        (at + i64::from(off) * 60_000).div_euclid(86_400_000)
    }
}

/// What the last recorded event did, for the rider to see.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Recorded; these XP and achievements came of it.
    Counted { xp: u64, achievements: Vec<String> },
    /// Recorded but earned nothing, and why.
    NotCounted(RejectReason),
    /// Could not be recorded at all.
    Failed(String),
}

/// The rider, their bike and everything derived from their events.
#[derive(Resource, Debug)]
pub struct Player {
    pub vehicle: Vehicle,
    pub catalog: Catalog,
    events: Vec<Event>,
    chain: DeviceChain,
    progress: Progress,
    /// Result of the most recent [`RecordEvent`].
    pub last_outcome: Option<Outcome>,
}

impl Player {
    /// The demo garage: a Street 750 with a few days of work, ending on `now`'s day.
    pub fn demo(clock: &Clock) -> Result<Self, ridewire_engine::Error> {
        let (now, _) = clock.now();
        const DAY: i64 = 86_400_000;
        // The demo log is written in UTC+1; start two local days ago at 09:00.
        let today = (now + 3_600_000).div_euclid(DAY);
        let start = (today - 2) * DAY - 3_600_000 + 9 * 3_600_000;
        let (catalog, events) = demo::garage(start)?;
        let vehicle = Vehicle::new(
            ModelKey::new("harley-street-750-2022")?,
            "Harley-Davidson",
            "Street 750",
            2022,
            None,
        )?;
        Ok(Self::new(vehicle, catalog, events))
    }

    /// A player from a catalogue and an existing log (its last event's chain
    /// is continued by this device).
    pub fn new(vehicle: Vehicle, catalog: Catalog, events: Vec<Event>) -> Self {
        let chain = events
            .last()
            .map(DeviceChain::after)
            .unwrap_or_else(|| DeviceChain::new(DeviceId(Uuid::now_v7())));
        let progress = Progress::from_events(&catalog, &events);
        Self {
            vehicle,
            catalog,
            events,
            chain,
            progress,
            last_outcome: None,
        }
    }

    /// Progress folded from every event.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Every event, oldest first as recorded.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The device this app writes events as.
    pub fn device(&self) -> DeviceId {
        self.chain.device
    }

    /// Whether the log's hash chains are intact; the message names the first break.
    pub fn verify(&self) -> Result<(), String> {
        chain::verify(&self.events).map_err(|b| b.to_string())
    }

    /// Records what the rider did at `at_ms` and folds it into progress.
    pub fn record(&mut self, kind: EventKind, at_ms: i64, utc_offset_min: i16) -> Outcome {
        let mut random = [0u8; 10];
        random.copy_from_slice(&Uuid::now_v7().as_bytes()[6..]);
        let event =
            match self
                .chain
                .clone()
                .append(EventId::v7(at_ms, random), at_ms, utc_offset_min, kind)
            {
                Ok(event) => event,
                Err(e) => return Outcome::Failed(e.to_string()),
            };
        self.chain = DeviceChain::after(&event);
        let xp_before = self.progress.xp();
        let unlocked_before = self.progress.achievements().len();
        if self.progress.apply(&self.catalog, &event).is_err() {
            // The clock went backwards: fold everything again.
            self.progress =
                Progress::from_events(&self.catalog, self.events.iter().chain([&event]));
        }
        self.events.push(event.clone());
        if let Some(r) = self
            .progress
            .rejections()
            .iter()
            .rev()
            .find(|r| r.event == event.id)
        {
            return Outcome::NotCounted(r.reason.clone());
        }
        Outcome::Counted {
            xp: self.progress.xp().saturating_sub(xp_before),
            achievements: self.progress.achievements()
                [unlocked_before.min(self.progress.achievements().len())..]
                .iter()
                .map(|u| u.id.clone())
                .collect(),
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
    use ridewire_engine::quest::QuestId;

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
