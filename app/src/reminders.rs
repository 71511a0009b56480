//! What the rider should hear about outside the app's screens: a level
//! reached, an achievement unlocked, a quest whose due date is near or past.
//! The phones post these as notifications after a background sync; each is
//! told once. What was told is kept in the rider's settings on this device
//! (not synced: every device tells its own rider once). No Bevy.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use ridewire_engine::achievement;
use ridewire_engine::quest::{QuestId, QuestState};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::rider::Rider;

/// Days before its due date that a quest is brought up.
pub const SOON_DAYS: i64 = 3;

/// The setting that keeps what was told.
const TOLD: &str = "reminders_told";

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Level,
    Achievement,
    Due,
    /// A workshop moved or cancelled one of the rider's bookings.
    Booking,
    /// A workshop's mechanic answered one of the rider's diagnoses.
    Review,
}

/// One thing to tell. `key` is stable, so a host can replace or dismiss
/// its notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub key: String,
    pub kind: NoticeKind,
    pub title: String,
    pub text: String,
}

/// A quest whose plan gives it a date, not completed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub quest: QuestId,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Days from today to the date; negative when overdue.
    pub days_left: i64,
}

impl Due {
    /// "Due in 2 days (2026-12-06)", "Due today", "Overdue by 3 days (was
    /// due 2026-12-01)".
    pub fn words(&self) -> String {
        let date = &self.date;
        match self.days_left {
            ..0 => format!("Overdue by {} (was due {date})", days(-self.days_left)),
            0 => "Due today".to_owned(),
            left => format!("Due in {} ({date})", days(left)),
        }
    }
}

/// The rider's dated quests that are not completed and due at most
/// `within_days` from `today` (or overdue), soonest first.
pub fn coming_up(rider: &Rider, today: NaiveDate, within_days: i64) -> Vec<Due> {
    let progress = rider.progress();
    let mut out: Vec<Due> = rider
        .catalog
        .quests()
        .filter(|q| progress.quest_state(&rider.catalog, &q.id) != Some(QuestState::Completed))
        .filter_map(|q| {
            let date = q.due.as_ref()?;
            let due = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
            let days_left = (due - today).num_days();
            (days_left <= within_days).then(|| Due {
                quest: q.id.clone(),
                title: q.title.clone(),
                date: date.clone(),
                days_left,
            })
        })
        .collect();
    out.sort_by(|a, b| a.days_left.cmp(&b.days_left).then(a.title.cmp(&b.title)));
    out
}

/// What this device has told its rider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Told {
    /// The level at the last look (`None`: never looked).
    pub level: Option<u32>,
    pub achievements: BTreeSet<String>,
    /// Keys of the due-date notices already given.
    pub due: BTreeSet<String>,
    /// Keys of the booking changes already told.
    #[serde(default)]
    pub bookings: BTreeSet<String>,
    /// Runs whose review was already told.
    #[serde(default)]
    pub reviews: BTreeSet<String>,
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
                kind: NoticeKind::Level,
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
                    kind: NoticeKind::Achievement,
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

    out.extend(workshop_news(rider, told));

    // Soonest (most overdue) first, as Home lists them.
    let dues = coming_up(rider, today, soon_days);
    for due in dues {
        let when = if due.days_left < 0 { "overdue" } else { "soon" };
        let key = format!("due-{}-{}-{when}", due.quest, due.date);
        if told.due.insert(key.clone()) {
            out.push(Notice {
                key,
                kind: NoticeKind::Due,
                title: due.title.clone(),
                text: due.words(),
            });
        }
    }
    out
}

/// What a workshop did that the rider should hear of: a booking it moved
/// or cancelled (the `booking` records the server keeps told), a mechanic's
/// answer to a diagnosis (a `DiagnosisReviewed` event); each once.
fn workshop_news(rider: &Rider, told: &mut Told) -> Vec<Notice> {
    use ridewire_engine::event::EventKind;
    use ridewire_engine::sync::booking_record::{BookingView, Status};
    use ridewire_engine::sync::record::RecordKind;
    let mut out = Vec::new();
    let bookings = crate::records::view(&rider.store(), RecordKind::Booking).unwrap_or_default();
    for seen in bookings {
        let Some(b) = BookingView::read(&seen.key, &seen.fields) else {
            continue;
        };
        if !b.by_workshop || b.status == Status::Booked {
            continue;
        }
        let key = format!("booking-{}-{}-{}", b.id, b.status.as_str(), b.changed_ms);
        if !told.bookings.insert(key.clone()) {
            continue;
        }
        let when = chrono::DateTime::from_timestamp_millis(
            b.start_ms + i64::from(b.utc_offset_min) * 60_000,
        )
        .map_or_else(String::new, |t| t.format("%a %-d %b %H:%M").to_string());
        let (title, text) = match b.status {
            Status::Moved => (
                format!("{} moved your booking", b.workshop_name),
                format!("{}: now {when}, {}.", b.service, b.bay_name),
            ),
            _ => (
                format!("{} cancelled your booking", b.workshop_name),
                format!("{} on {when} is cancelled: book another slot.", b.service),
            ),
        };
        out.push(Notice {
            key,
            kind: NoticeKind::Booking,
            title,
            text,
        });
    }
    for event in rider.events() {
        if let EventKind::DiagnosisReviewed {
            diagnostic_id,
            review,
        } = &event.kind
            && told.reviews.insert(diagnostic_id.to_string())
        {
            out.push(Notice {
                key: format!("review-{diagnostic_id}"),
                kind: NoticeKind::Review,
                title: format!("{} answered your diagnosis", review.workshop_name),
                text: format!(
                    "{}: {}",
                    crate::workshops::review_words(review),
                    review.text
                ),
            });
        }
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
