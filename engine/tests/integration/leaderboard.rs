//! A rider's standing on the leaderboards comes from their rewarded events,
//! counted by the week each happened in.

use ridewire_engine::demo;
use ridewire_engine::event::EventKind;
use ridewire_engine::progress::Progress;
use ridewire_engine::sync::leaderboard::{Board, Period, Standing, week_of, week_start_ms};
use ridewire_engine::vehicle::ModelKey;
use uuid::Uuid;

use crate::support::{DAY, Device, T0};

fn run(n: u128) -> EventKind {
    EventKind::DiagnosticRun {
        diagnostic_id: Uuid::from_u128(n),
        vehicle: Some(ModelKey::new("harley-street-750-2022").expect("key")),
        quest: None,
        evidence: None,
    }
}

#[test]
fn a_standing_counts_what_earned_xp_in_the_week_it_was_earned() {
    let catalog = demo::catalog().expect("catalog");
    let monday = week_start_ms(week_of(T0) + 1);
    let mut dev = Device::new(1);
    let mut events = Vec::new();
    // Last week: two runs on a Sunday.
    events.push(dev.at(monday - DAY, run(1)));
    events.push(dev.at(monday - DAY + 60_000, run(2)));
    // This week: seven runs on Tuesday, of which five earn XP.
    for n in 0..7 {
        events.push(dev.at(monday + DAY + n * 60_000, run(10 + n as u128)));
    }
    let progress = Progress::from_events(&catalog, &events);
    let now = monday + 2 * DAY;
    let s = Standing::of(&progress, now);
    assert_eq!(s.xp, progress.xp());
    assert_eq!(
        s.diagnostics, 7,
        "the runs past the daily allowance count nowhere"
    );
    assert_eq!(s.week_diagnostics, 5);
    assert_eq!(s.week_xp, 50);
    assert_eq!(s.quests, 0);
    let week = week_of(now);
    assert_eq!(s.value(Board::Xp, Period::Week, week), 50);
    assert_eq!(s.value(Board::Diagnostics, Period::All, week), 7);
    assert_eq!(
        s.value(Board::Xp, Period::Week, week + 1),
        0,
        "a standing from an earlier week has nothing this week"
    );
}
