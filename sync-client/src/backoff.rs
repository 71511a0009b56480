//! How long to wait after failures: doubling from a base up to a cap, with
//! jitter so a thousand phones that lost signal together do not all come
//! back in the same second.

use std::time::Duration;

/// Exponential backoff with "equal jitter": after `n` failures in a row the
/// wait is drawn from `[d/2, d]` where `d = min(cap, base · 2^(n-1))`.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
    rng: u64,
}

impl Backoff {
    /// A backoff starting at `base`, never longer than `cap`; `seed` varies
    /// the jitter between devices (any value; zero is replaced).
    pub fn new(base: Duration, cap: Duration, seed: u64) -> Self {
        Backoff {
            base,
            cap: cap.max(base),
            failures: 0,
            rng: seed | 1,
        }
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Forgets past failures (a round succeeded).
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Counts one more failure and returns how long to wait before the next
    /// try.
    pub fn next_delay(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let shift = (self.failures - 1).min(30);
        let full = self.base.saturating_mul(1 << shift).min(self.cap);
        let half = full / 2;
        let spread = u64::try_from((full - half).as_millis()).unwrap_or(u64::MAX);
        let jitter = if spread == 0 {
            0
        } else {
            self.next_random() % (spread + 1)
        };
        half + Duration::from_millis(jitter)
    }

    /// xorshift64: jitter needs spread, not secrecy.
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_stay_within_their_jitter() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(300), 42);
        let mut ceilings = Vec::new();
        for n in 1..=20u32 {
            let d = b.next_delay();
            let full = Duration::from_secs(1 << (n - 1).min(20)).min(Duration::from_secs(300));
            assert!(
                d >= full / 2 && d <= full,
                "failure {n}: {d:?} not in [{full:?}/2, {full:?}]"
            );
            ceilings.push(full);
        }
        assert_eq!(ceilings.last(), Some(&Duration::from_secs(300)));
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs(1));
    }

    #[test]
    fn two_devices_do_not_retry_in_lockstep() {
        let mut a = Backoff::new(Duration::from_secs(1), Duration::from_secs(300), 1);
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(300), 2);
        let delays_a: Vec<_> = (0..10).map(|_| a.next_delay()).collect();
        let delays_b: Vec<_> = (0..10).map(|_| b.next_delay()).collect();
        assert_ne!(delays_a, delays_b);
    }
}
