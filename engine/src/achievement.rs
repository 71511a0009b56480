//! The achievements table: data, not code paths.

use serde::{Deserialize, Serialize};

/// What unlocks an achievement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule", content = "count")]
pub enum Rule {
    /// At least this many diagnostic runs.
    DiagnosticRuns(u32),
    /// At least this many quest completions that counted.
    QuestsCompleted(u32),
    /// At least this many AR scans.
    ArScans(u32),
    /// Active on this many consecutive local days.
    StreakDays(u32),
    /// Every quest of at least one zone completed.
    ZoneCompleted,
}

/// One achievement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Achievement {
    /// Stable id, e.g. `ACH-FIRST-DIAG`.
    pub id: &'static str,
    /// Title shown to the rider.
    pub title: &'static str,
    /// How it is earned, in the rider's words.
    pub description: &'static str,
    pub rule: Rule,
}

/// Every achievement the game knows, in display order.
pub const ACHIEVEMENTS: &[Achievement] = &[
    Achievement {
        id: "ACH-FIRST-DIAG",
        title: "First Diagnosis",
        description: "Run your first diagnostic.",
        rule: Rule::DiagnosticRuns(1),
    },
    Achievement {
        id: "ACH-FIRST-QUEST",
        title: "Wrench Turned",
        description: "Complete your first quest.",
        rule: Rule::QuestsCompleted(1),
    },
    Achievement {
        id: "ACH-10-QUESTS",
        title: "Ten Down",
        description: "Complete ten quests.",
        rule: Rule::QuestsCompleted(10),
    },
    Achievement {
        id: "ACH-FIRST-SCAN",
        title: "X-Ray Vision",
        description: "Scan your bike in AR for the first time.",
        rule: Rule::ArScans(1),
    },
    Achievement {
        id: "ACH-STREAK-7",
        title: "Week in the Saddle",
        description: "Work on your bike seven days in a row.",
        rule: Rule::StreakDays(7),
    },
    Achievement {
        id: "ACH-ZONE-CLEAR",
        title: "Zone Cleared",
        description: "Complete every quest in a zone.",
        rule: Rule::ZoneCompleted,
    },
];

/// An achievement by id.
pub fn by_id(id: &str) -> Option<&'static Achievement> {
    ACHIEVEMENTS.iter().find(|a| a.id == id)
}
