//! "Now" as the rider's events record it: Unix milliseconds and the local
//! UTC offset (streaks count local days).

/// A day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Unix milliseconds and the local UTC offset in minutes, from the system
/// clock and time zone.
pub fn now() -> (i64, i16) {
    let now = chrono::Local::now();
    let offset = (now.offset().local_minus_utc() / 60) as i16;
    (now.timestamp_millis(), offset)
}

/// The local day number (days since 1970-01-01) of `at_ms` at
/// `utc_offset_min`.
pub fn local_day(at_ms: i64, utc_offset_min: i16) -> i64 {
    (at_ms + i64::from(utc_offset_min) * 60_000).div_euclid(DAY_MS)
}

/// Today's date where the device is.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// The date of local day number `day` (days since 1970-01-01, as
/// [`local_day`] counts).
pub fn date_of_day(day: i64) -> chrono::NaiveDate {
    chrono::DateTime::UNIX_EPOCH.date_naive() + chrono::Days::new(day.max(0).unsigned_abs())
}
