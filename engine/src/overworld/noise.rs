//! A small seeded random source and fractal value noise, written here so
//! that maps depend on nothing but the seed (no global RNG, no noise crate).

/// The SplitMix64 output mix: a strong 64-bit bijection used for hashing.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a over bytes, mixed: a stable string hash (std's hasher is randomised).
pub fn hash_str(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix64(h)
}

/// A seeded SplitMix64 generator: tiny, fast and the same on every platform.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.state)
    }

    /// A uniform value in `[0, 1)` with 53 bits of precision.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform value in `[-1, 1)`.
    pub fn signed(&mut self) -> f64 {
        self.next_f64() * 2.0 - 1.0
    }
}

/// The value at one lattice corner, in `[0, 1)`.
fn lattice(seed: u64, x: i64, y: i64) -> f64 {
    let h = mix64(seed ^ mix64((x as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (y as u64)));
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Smooth interpolation weight (zero slope at both ends, so no grid creases).
fn fade(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}

/// Value noise at a point: bilinear blend of hashed lattice values, in `[0, 1)`.
pub fn value_noise(seed: u64, x: f64, y: f64) -> f64 {
    let (fx, fy) = (x.floor(), y.floor());
    let (ix, iy) = (fx as i64, fy as i64);
    let (tx, ty) = (fade(x - fx), fade(y - fy));
    let a = lattice(seed, ix, iy);
    let b = lattice(seed, ix + 1, iy);
    let c = lattice(seed, ix, iy + 1);
    let d = lattice(seed, ix + 1, iy + 1);
    let top = a + (b - a) * tx;
    let bottom = c + (d - c) * tx;
    top + (bottom - top) * ty
}

/// Fractal (fBm) value noise: `octaves` layers, each twice the frequency and
/// half the weight of the last, normalised back into `[0, 1)`.
pub fn fractal(seed: u64, x: f64, y: f64, octaves: u32) -> f64 {
    let (mut sum, mut norm, mut amp, mut freq) = (0.0, 0.0, 1.0, 1.0);
    for octave in 0..octaves {
        let layer_seed = mix64(seed.wrapping_add(u64::from(octave)));
        sum += amp * value_noise(layer_seed, x * freq, y * freq);
        norm += amp;
        amp *= 0.5;
        freq *= 2.0;
    }
    if norm > 0.0 { sum / norm } else { 0.0 }
}

/// One octave's lattice over a rectangle of tiles, hashed once so that each
/// tile only blends four stored values.
struct OctaveGrid {
    amp: f64,
    /// Lattice columns and rows stored (enough to cover the map plus one).
    cols: usize,
    values: Vec<f64>,
    /// Per map column: lattice column and fade weight.
    columns: Vec<(usize, f64)>,
}

impl OctaveGrid {
    fn new(seed: u64, octave: u32, base_freq: f64, amp: f64, side: u32) -> Self {
        let layer_seed = mix64(seed.wrapping_add(u64::from(octave)));
        // Same arithmetic as `fractal`: (x · base) · 2^octave, so values match bit for bit.
        let coord = |i: u32| f64::from(i) * base_freq * freq_scale(octave);
        let last = coord(side.saturating_sub(1)).floor() as usize;
        let cols = last + 2;
        let mut values = Vec::with_capacity(cols * cols);
        for iy in 0..cols {
            for ix in 0..cols {
                values.push(lattice(layer_seed, ix as i64, iy as i64));
            }
        }
        let columns = (0..side)
            .map(|x| {
                let c = coord(x);
                let f = c.floor();
                (f as usize, fade(c - f))
            })
            .collect();
        Self {
            amp,
            cols,
            values,
            columns,
        }
    }
}

/// The factor `fractal` multiplies coordinates by at an octave (`2^octave`,
/// built by doubling as `fractal` does).
fn freq_scale(octave: u32) -> f64 {
    (0..octave).fold(1.0, |f, _| f * 2.0)
}

/// [`fractal`] sampled at every integer tile `(x, y)` of a `side`×`side`
/// map with coordinates scaled by `freq`, row by row into `emit(y, row)`.
/// It gives exactly the values `fractal(seed, x·freq, y·freq, octaves)`
/// would, but hashes each lattice corner once instead of per tile.
pub fn fractal_rows(
    seed: u64,
    side: u32,
    freq: f64,
    octaves: u32,
    mut emit: impl FnMut(u32, &[f64]),
) {
    let mut grids = Vec::with_capacity(octaves as usize);
    let (mut amp, mut norm) = (1.0, 0.0);
    for octave in 0..octaves {
        grids.push(OctaveGrid::new(seed, octave, freq, amp, side));
        norm += amp;
        amp *= 0.5;
    }
    let mut row = vec![0.0; side as usize];
    for y in 0..side {
        row.iter_mut().for_each(|v| *v = 0.0);
        for (octave, grid) in grids.iter().enumerate() {
            let c = f64::from(y) * freq * freq_scale(octave as u32);
            let f = c.floor();
            let (iy, ty) = (f as usize, fade(c - f));
            let top = &grid.values[iy * grid.cols..(iy + 1) * grid.cols];
            let bottom = &grid.values[(iy + 1) * grid.cols..(iy + 2) * grid.cols];
            for (v, &(ix, tx)) in row.iter_mut().zip(&grid.columns) {
                let (a, b, c, d) = (top[ix], top[ix + 1], bottom[ix], bottom[ix + 1]);
                let upper = a + (b - a) * tx;
                let lower = c + (d - c) * tx;
                *v += grid.amp * (upper + (lower - upper) * ty);
            }
        }
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
        emit(y, &row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_repeats_for_a_seed_and_differs_between_seeds() {
        let a: Vec<u64> = (0..8)
            .scan(SplitMix64::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..8)
            .scan(SplitMix64::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..8)
            .scan(SplitMix64::new(8), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn floats_stay_in_their_ranges() {
        let mut rng = SplitMix64::new(1);
        for _ in 0..10_000 {
            let u = rng.next_f64();
            assert!((0.0..1.0).contains(&u));
            let s = rng.signed();
            assert!((-1.0..1.0).contains(&s));
        }
    }

    #[test]
    fn noise_is_bounded_continuous_and_seeded() {
        for i in 0..2_000 {
            let (x, y) = (i as f64 * 0.173, i as f64 * 0.091);
            let v = fractal(3, x, y, 4);
            assert!((0.0..1.0).contains(&v));
            // A small step moves the value only a little: terrain has no speckle.
            assert!((fractal(3, x + 1e-3, y, 4) - v).abs() < 0.05);
        }
        let differs = (0..50)
            .any(|i| value_noise(1, i as f64 * 0.37, 0.5) != value_noise(2, i as f64 * 0.37, 0.5));
        assert!(differs);
    }

    #[test]
    fn the_row_sampler_matches_pointwise_noise_exactly() {
        for (side, freq) in [
            (1u32, 0.1),
            (7, 1.0 / 12.0),
            (40, 1.0 / 13.3),
            (130, 1.0 / 43.0),
        ] {
            fractal_rows(99, side, freq, 4, |y, row| {
                for (x, &v) in row.iter().enumerate() {
                    let expected = fractal(99, x as f64 * freq, f64::from(y) * freq, 4);
                    assert_eq!(v.to_bits(), expected.to_bits(), "side {side} at ({x}, {y})");
                }
            });
        }
    }

    #[test]
    fn the_string_hash_is_stable() {
        assert_eq!(hash_str("abc"), hash_str("abc"));
        assert_ne!(hash_str("abc"), hash_str("abd"));
        // Fixed value: a change here would move every child map.
        assert_eq!(hash_str(""), mix64(0xcbf2_9ce4_8422_2325));
    }
}
