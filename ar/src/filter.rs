//! The One Euro filter (Casiez, Roussel & Vogel, CHI 2012): a low-pass
//! filter whose cut-off rises with speed, so a still marker's corners stop
//! shivering while a moving one is followed without lag.

use serde::{Deserialize, Serialize};

/// The filter's three knobs.
///
/// - `min_cutoff` (Hz): cut-off when still. Lower = steadier but laggier.
///   Default 1.0 Hz.
/// - `beta`: how fast the cut-off rises with speed (per pixel/s for
///   corners). Higher = less lag when moving. Default 0.05.
/// - `derivative_cutoff` (Hz): smoothing of the speed estimate itself.
///   Default 1.0 Hz, as in the paper.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OneEuroSettings {
    /// Cut-off frequency at rest, Hz.
    pub min_cutoff: f64,
    /// Speed coefficient.
    pub beta: f64,
    /// Cut-off for the speed estimate, Hz.
    pub derivative_cutoff: f64,
}

impl Default for OneEuroSettings {
    fn default() -> Self {
        Self {
            min_cutoff: 1.0,
            beta: 0.05,
            derivative_cutoff: 1.0,
        }
    }
}

/// One filtered value.
#[derive(Debug, Clone, Copy, Default)]
pub struct OneEuro {
    value: Option<f64>,
    speed: f64,
}

fn smoothing(cutoff: f64, dt: f64) -> f64 {
    let tau = 1.0 / (std::f64::consts::TAU * cutoff);
    1.0 / (1.0 + tau / dt)
}

impl OneEuro {
    /// Feeds a new measurement taken `dt` seconds after the previous one and
    /// returns the filtered value. The first measurement passes unchanged.
    pub fn filter(&mut self, settings: &OneEuroSettings, x: f64, dt: f64) -> f64 {
        let Some(prev) = self.value else {
            self.value = Some(x);
            return x;
        };
        // A repeated or out-of-order timestamp: treat it as one frame at 30 fps.
        let dt = if dt > 0.0 && dt.is_finite() {
            dt
        } else {
            1.0 / 30.0
        };
        let raw_speed = (x - prev) / dt;
        let a_d = smoothing(settings.derivative_cutoff, dt);
        self.speed += a_d * (raw_speed - self.speed);
        let cutoff = settings.min_cutoff + settings.beta * self.speed.abs();
        let a = smoothing(cutoff, dt);
        let y = prev + a * (x - prev);
        self.value = Some(y);
        y
    }

    /// Forgets the history (the marker was lost).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn still_noisy_signal_is_calmed_and_a_step_is_followed() {
        let s = OneEuroSettings::default();
        let mut f = OneEuro::default();
        let mut rng = crate::synthetic::Rng::new(7);
        let mut out = Vec::new();
        for _ in 0..300 {
            out.push(f.filter(&s, 100.0 + rng.normal(), 1.0 / 30.0));
        }
        let tail = &out[100..];
        let mean = tail.iter().sum::<f64>() / tail.len() as f64;
        let sd = (tail.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
        assert!(sd < 0.4, "sd {sd}");
        // A jump of 50 px is mostly followed within half a second.
        let mut y = 0.0;
        for _ in 0..15 {
            y = f.filter(&s, 150.0, 1.0 / 30.0);
        }
        assert!(y > 140.0, "{y}");
    }
}
