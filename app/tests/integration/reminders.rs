//! What the phones notify: due dates from a plan the rider follows, a level
//! and an achievement, each told once, remembered in the rider's file.

use chrono::NaiveDate;
use ridewire_app::reminders::{NoticeKind, coming_up, notices};
use ridewire_app::rider::{Outcome, Rider};
use ridewire_engine::event::EventKind;
use ridewire_engine::plan::parse;
use ridewire_engine::quest::QuestId;

const NOW: i64 = 1_780_000_000_000;

fn keys(notices: &[ridewire_app::reminders::Notice]) -> Vec<String> {
    notices.iter().map(|n| n.key.clone()).collect()
}

#[test]
fn dates_levels_and_achievements_are_told_once_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ridewire.db");
    let mut rider = Rider::open(&path, NOW).unwrap();
    let plan = parse(
        "# Upkeep\n- [ ] Oil #easy 📅 2026-12-06\n- [ ] Chain due:2026-12-30\n- [ ] Brakes due:2026-12-01\n- [ ] Wash\n",
    )
    .unwrap();
    assert!(rider.add_quests(&plan.to_catalog().unwrap()).unwrap());
    let id = |i: usize| QuestId::new(plan.tasks[i].id.clone()).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();

    // The first look: only the dates (nothing earned yet is news).
    let first = notices(&mut rider, today).unwrap();
    let oil = format!("due-{}-2026-12-06-soon", id(0));
    let brakes = format!("due-{}-2026-12-01-overdue", id(2));
    // Most overdue first, as Home lists them.
    assert_eq!(keys(&first), vec![brakes.clone(), oil.clone()]);
    assert_eq!(first[1].title, "Oil");
    assert_eq!(first[1].text, "Due in 2 days (2026-12-06)");
    assert_eq!(first[0].text, "Overdue by 3 days (was due 2026-12-01)");
    assert!(notices(&mut rider, today).unwrap().is_empty(), "told once");
    // What Home lists: dated and not done, soonest (most overdue) first.
    let soon: Vec<(String, i64)> = coming_up(&rider, today, 14)
        .into_iter()
        .map(|d| (d.title, d.days_left))
        .collect();
    assert_eq!(soon, vec![("Brakes".into(), -3), ("Oil".into(), 2)]);
    assert_eq!(coming_up(&rider, today, 30).len(), 3, "the chain too");

    // Completing the oil change unlocks the first-quest achievement.
    for kind in [
        EventKind::QuestStarted { quest: id(0) },
        EventKind::QuestCompleted { quest: id(0) },
    ] {
        let outcome = rider.record(kind, NOW + 1_000, 60);
        assert!(matches!(outcome, Outcome::Counted { .. }), "{outcome:?}");
    }
    let earned = notices(&mut rider, today).unwrap();
    let achievement = earned
        .iter()
        .find(|n| n.key == "achievement-ACH-FIRST-QUEST")
        .unwrap_or_else(|| panic!("{earned:?}"));
    assert_eq!(achievement.text, "Wrench Turned");
    assert!(
        earned.iter().all(|n| !n.key.starts_with("due-")),
        "{earned:?}"
    );
    assert_eq!(achievement.kind, NoticeKind::Achievement);
    let titles: Vec<String> = coming_up(&rider, today, 14)
        .into_iter()
        .map(|d| d.title)
        .collect();
    assert_eq!(
        titles,
        vec!["Brakes"],
        "a done quest is no longer coming up"
    );

    // What was told is in the file: a restart tells nothing again.
    drop(rider);
    let mut rider = Rider::open(&path, NOW).unwrap();
    assert!(notices(&mut rider, today).unwrap().is_empty());
    // The chain comes up three days before its date; the done oil change
    // never comes up as overdue.
    let later = notices(&mut rider, NaiveDate::from_ymd_opt(2026, 12, 27).unwrap()).unwrap();
    assert_eq!(keys(&later), vec![format!("due-{}-2026-12-30-soon", id(1))]);
    assert_eq!(later[0].text, "Due in 3 days (2026-12-30)");
}
