//! What the rider should hear about outside the app's screens: a level
//! reached, an achievement unlocked, a quest whose due date is near or past.
//! The phones post these as notifications after a background sync; each is
//! told once. What was told is kept in the rider's settings on this device
//! (not synced: every device tells its own rider once). No Bevy.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use ridewire_engine::achievement;
use ridewire_engine::quest::QuestState;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::rider::Rider;

/// Days before its due date that a quest is brought up.
pub const SOON_DAYS: i64 = 3;

/// The setting that keeps what was told.
const TOLD: &str = "reminders_told";

/// One thing to tell. `key` is stable, so a host can replace or dismiss
/// its notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub key: String,
    pub title: String,
    pub text: String,
}

/// What this device has told its rider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Told {
    /// The level at the last look (`None`: never looked).
    pub level: Option<u32>,
    pub achievements: BTreeSet<String>,
    /// Keys of the due-date notices already given.
    pub due: BTreeSet<String>,
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// The notices for the rider's state on `today`, given what was `told`
/// (updated). The first look only remembers the level and achievements (an
/// old achievement is no news); dated quests that are not completed are
/// brought up at most `soon_days` ahead, once as coming and once as overdue.
pub fn check(rider: &Rider, told: &mut Told, today: NaiveDate, soon_days: i64) -> Vec<Notice> {
    let mut out = Vec::new();
    let progress = rider.progress();
    let level = progress.level();
    if let Some(known) = told.level {
        if level.level > known {
            out.push(Notice {
                key: format!("level-{}", level.level),
                title: format!("Level {} reached", level.level),
                text: format!(
                    "{} XP to level {}.",
                    level.level_span.saturating_sub(level.into_level),
                    level.level + 1
                ),
            });
        }
        for unlocked in progress.achievements() {
            if !told.achievements.contains(&unlocked.id) {
                out.push(Notice {
                    key: format!("achievement-{}", unlocked.id),
                    title: "Achievement unlocked".to_owned(),
                    text: achievement::by_id(&unlocked.id)
                        .map_or_else(|| unlocked.id.clone(), |a| a.title.to_owned()),
                });
            }
        }
    }
    told.level = Some(level.level);
    told.achievements = progress
        .achievements()
        .iter()
        .map(|u| u.id.clone())
        .collect();

    for quest in rider.catalog.quests() {
        let state = progress.quest_state(&rider.catalog, &quest.id);
        if state == Some(QuestState::Completed) {
            continue;
        }
        let Some(date) = &quest.due else { continue };
        let Ok(due) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
            continue;
        };
        let left = (due - today).num_days();
        if left > soon_days {
            continue;
        }
        let when = if left < 0 { "overdue" } else { "soon" };
        let key = format!("due-{}-{date}-{when}", quest.id);
        if !told.due.insert(key.clone()) {
            continue;
        }
        let text = match left {
            ..0 => format!("Overdue by {} (was due {date})", days(-left)),
            0 => "Due today".to_owned(),
            _ => format!("Due in {} ({date})", days(left)),
        };
        out.push(Notice {
            key,
            title: quest.title.clone(),
            text,
        });
    }
    out
}

/// [`check`] with what this device told before, kept for next time.
pub fn notices(rider: &mut Rider, today: NaiveDate) -> Result<Vec<Notice>> {
    let mut told: Told = rider
        .setting(TOLD)
        .and_then(|saved| serde_json::from_str(&saved).ok())
        .unwrap_or_default();
    let out = check(rider, &mut told, today, SOON_DAYS);
    let saved =
        serde_json::to_string(&told).map_err(|e| crate::Error::Input(format!("reminders: {e}")))?;
    rider.save_setting(TOLD, &saved)?;
    Ok(out)
}
