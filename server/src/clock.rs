//! The server's clock, injectable so tests can move time (token expiry,
//! rate-limit refills, the "not in the future" check on events).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the server reads the time from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, as Unix milliseconds (UTC).
    fn now_ms(&self) -> i64;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock standing at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        ManualClock(AtomicI64::new(now_ms))
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `now_ms`.
    pub fn set(&self, now_ms: i64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A time as a workshop's people read it: "2026-12-07 09:30" at
/// `utc_offset_min` (the proleptic Gregorian calendar, from the days since
/// 1970-01-01 by the usual era arithmetic).
pub fn local_words(ms: i64, utc_offset_min: i16) -> String {
    const DAY_MS: i64 = 86_400_000;
    let local = ms + i64::from(utc_offset_min) * 60_000;
    let (days, minute) = (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS) / 60_000);
    // Days since 0000-03-01, in 400-year eras of 146,097 days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        minute / 60,
        minute % 60
    )
}

#[cfg(test)]
mod words {
    use super::local_words;

    #[test]
    fn local_times_read_as_calendar_dates() {
        assert_eq!(local_words(0, 0), "1970-01-01 00:00");
        // 2026-03-05T08:30:00Z is 09:30 at UTC+1.
        assert_eq!(local_words(1_772_699_400_000, 60), "2026-03-05 09:30");
        // A leap day, and a time before midnight UTC that is the next day.
        assert_eq!(local_words(1_709_247_600_000, 0), "2024-02-29 23:00");
        assert_eq!(local_words(1_709_247_600_000, 120), "2024-03-01 01:00");
        assert_eq!(local_words(-60_000, 0), "1969-12-31 23:59");
    }
}
