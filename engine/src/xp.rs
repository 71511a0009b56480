//! XP amounts, the six multipliers and the level curve.
//!
//! All arithmetic is in integers (multipliers in per-mille, 1000 = ×1.0) so a
//! phone, a terminal and the server compute the same XP to the last point.

use serde::{Deserialize, Serialize};

use crate::quest::Difficulty;

/// One multiplier in per-mille (1000 = ×1.0).
pub type PerMille = u32;

/// ×1.0.
pub const ONE: PerMille = 1000;

/// XP for a diagnostic run (SPEC), awarded flat.
pub const DIAGNOSTIC_RUN_XP: u64 = 10;
/// XP for an AR scan, awarded flat.
pub const AR_SCAN_XP: u64 = 5;
/// Diagnostic runs per vehicle and UTC day that earn XP: a rider chasing a
/// fault runs a handful; more are kept and shown but earn nothing.
pub const DIAGNOSTIC_XP_RUNS_PER_DAY: u32 = 5;
/// AR scans per vehicle and UTC day that earn XP.
pub const AR_SCAN_XP_PER_DAY: u32 = 1;

/// The UTC day of a time, for the daily XP limits. UTC, not the device's
/// local day: the UTC offset is the device's word, and moving it must not
/// open another day's allowance.
pub fn utc_day(at_ms: i64) -> i64 {
    at_ms.div_euclid(86_400_000)
}

/// Difficulty multiplier: easy ×1.0, medium ×1.25, hard ×1.5, expert ×2.0.
pub fn difficulty(d: Difficulty) -> PerMille {
    match d {
        Difficulty::Easy => 1000,
        Difficulty::Medium => 1250,
        Difficulty::Hard => 1500,
        Difficulty::Expert => 2000,
    }
}

/// Streak multiplier: +5 % for each consecutive active day before today,
/// up to +50 % at an 11-day streak.
pub fn streak(days: u32) -> PerMille {
    1000 + 50 * days.saturating_sub(1).min(10)
}

/// How much a quest's proof can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authenticity {
    /// The quest asks for no proof.
    NotRequired,
    /// Every required proof was given and passed its checks cleanly.
    Verified,
    /// Proofs passed but were flagged as an anomaly (a burst of submissions).
    Anomalous,
}

/// Proof-authenticity multiplier: verified ×1.2, none required ×1.0, anomalous ×0.5.
pub fn authenticity(a: Authenticity) -> PerMille {
    match a {
        Authenticity::NotRequired => 1000,
        Authenticity::Verified => 1200,
        Authenticity::Anomalous => 500,
    }
}

/// Zone bonus, as the catalogue sets it, kept within ×1.0 ..= ×3.0.
pub fn zone(bonus: PerMille) -> PerMille {
    bonus.clamp(1000, 3000)
}

/// First-completion multiplier: ×1.5 the first time a quest is done, ×1.0 on repeats.
pub fn first_completion(first: bool) -> PerMille {
    if first { 1500 } else { 1000 }
}

/// Community-validation multiplier: +10 % per distinct validator, up to +50 %.
pub fn community(validators: usize) -> PerMille {
    1000 + 100 * (validators.min(5) as u32)
}

/// The six multipliers applied to one quest completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Multipliers {
    pub difficulty: PerMille,
    pub streak: PerMille,
    pub authenticity: PerMille,
    pub zone: PerMille,
    pub first_completion: PerMille,
    pub community: PerMille,
}

impl Multipliers {
    /// `base × all six`, rounded down.
    pub fn apply(&self, base: u64) -> u64 {
        let m = [
            self.difficulty,
            self.streak,
            self.authenticity,
            self.zone,
            self.first_completion,
            self.community,
        ];
        let mut num = u128::from(base);
        let mut den: u128 = 1;
        for f in m {
            num *= u128::from(f);
            den *= u128::from(ONE);
        }
        u64::try_from(num / den).unwrap_or(u64::MAX)
    }
}

/// Total XP needed to reach `level` (level 1 needs none). The curve is
/// `50 · n · (n − 1)`: 100 XP for level 2, 300 for 3, 600 for 4, 1000 for 5;
/// each level takes 100 XP more than the one before.
pub fn xp_for_level(level: u32) -> u64 {
    let n = u64::from(level.max(1));
    50 * n * (n - 1)
}

/// The level a total of XP reaches.
pub fn level_for_xp(xp: u64) -> u32 {
    // Solve 50·n·(n−1) ≤ xp for the largest n, then correct rounding.
    let estimate = ((1.0 + (1.0 + xp as f64 / 12.5).sqrt()) / 2.0) as u64;
    let mut n = estimate.clamp(1, u64::from(u32::MAX)) as u32;
    while n > 1 && xp_for_level(n) > xp {
        n -= 1;
    }
    while n < u32::MAX && xp_for_level(n + 1) <= xp {
        n += 1;
    }
    n
}

/// Where a total of XP stands between two levels, for the XP bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelProgress {
    pub level: u32,
    /// XP earned since reaching `level`.
    pub into_level: u64,
    /// XP between `level` and the next.
    pub level_span: u64,
}

impl LevelProgress {
    /// Computes the level and the progress towards the next one.
    pub fn of(xp: u64) -> Self {
        let level = level_for_xp(xp);
        let floor = xp_for_level(level);
        Self {
            level,
            into_level: xp - floor,
            level_span: xp_for_level(level + 1) - floor,
        }
    }

    /// Fraction of the way to the next level, 0.0 ..< 1.0.
    pub fn fraction(&self) -> f32 {
        if self.level_span == 0 {
            0.0
        } else {
            self.into_level as f32 / self.level_span as f32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn level_curve_matches_its_documentation() {
        assert_eq!(level_for_xp(0), 1);
        assert_eq!(level_for_xp(99), 1);
        assert_eq!(level_for_xp(100), 2);
        assert_eq!(level_for_xp(299), 2);
        assert_eq!(level_for_xp(300), 3);
        assert_eq!(level_for_xp(1000), 5);
        let p = LevelProgress::of(150);
        assert_eq!((p.level, p.into_level, p.level_span), (2, 50, 200));
        assert!((p.fraction() - 0.25).abs() < 1e-6);
    }

    #[test]
    fn multipliers_compose() {
        let m = Multipliers {
            difficulty: difficulty(Difficulty::Hard),
            streak: streak(3),
            authenticity: authenticity(Authenticity::Verified),
            zone: zone(1000),
            first_completion: first_completion(true),
            community: community(0),
        };
        // 100 × 1.5 × 1.1 × 1.2 × 1.0 × 1.5 × 1.0 = 297
        assert_eq!(m.apply(100), 297);
        assert_eq!(streak(1), 1000);
        assert_eq!(streak(50), 1500);
        assert_eq!(community(9), 1500);
        assert_eq!(zone(10), 1000);
    }

    proptest! {
        #[test]
        fn level_is_monotonic_and_exact(xp in 0u64..100_000_000) {
            let l = level_for_xp(xp);
            prop_assert!(xp_for_level(l) <= xp);
            prop_assert!(xp_for_level(l + 1) > xp);
            prop_assert!(level_for_xp(xp + 1) >= l);
        }
    }
}
