//! The generator's randomness: ChaCha8 streams and the few distributions the world needs.
//!
//! The distributions are written here rather than taken from `rand` so that a seed keeps giving
//! the same data when a dependency is upgraded: ChaCha's output is fixed by its specification,
//! these functions by this file.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// One deterministic stream. Each part of the world that runs on its own (a day of the
/// background, a planted scheme) gets its own stream, so that its output does not depend on
/// what other parts drew before it.
#[derive(Clone)]
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// Stream `stream` of `seed`.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        r.set_stream(stream);
        Rng(r)
    }

    #[inline]
    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (`n > 0`), without modulo bias (Lemire's method).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        loop {
            let m = u128::from(self.u64()) * u128::from(n);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform index into a slice of length `n`.
    #[inline]
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// Uniform in `[0, 1)`, 53 bits.
    #[inline]
    pub fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Standard normal (Box–Muller; one value per call keeps the stream simple to reason about).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64(); // (0, 1]: ln is finite
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and shape: amounts of money are spread this way.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Poisson-distributed count with mean `lambda`: Knuth's product method for the small
    /// means of daily activity, a rounded normal for large ones.
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            let x = lambda + lambda.sqrt() * self.normal();
            return x.round().max(0.0) as u32;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.f64();
        while p > limit {
            k += 1;
            p *= self.f64();
        }
        k
    }

    /// An element of a non-empty slice.
    #[inline]
    pub fn pick<'a, T>(&mut self, s: &'a [T]) -> &'a T {
        &s[self.index(s.len())]
    }

    /// An index drawn with the given weights (not all zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    /// A Zipf-like index in `0..n`: low indices much more likely. For popularity (shops,
    /// employers) where a few are big and most are small.
    #[inline]
    pub fn skewed(&mut self, n: usize, power: f64) -> usize {
        ((n as f64) * self.f64().powf(power)) as usize % n.max(1)
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, s: &mut [T]) {
        for i in (1..s.len()).rev() {
            let j = self.index(i + 1);
            s.swap(i, j);
        }
    }
}

/// A 64-bit mix of a value (SplitMix64's finaliser): stable pseudo-random text (card hashes,
/// device ids, wallet addresses) derived from an index, without drawing from a stream.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, 1).u64()).collect();
        let mut r = Rng::new(7, 1);
        assert_eq!(r.u64(), a[0]);
        assert_ne!(Rng::new(7, 2).u64(), a[0]);
        assert_ne!(Rng::new(8, 1).u64(), a[0]);
    }

    #[test]
    fn distributions_stay_in_range_and_centre() {
        let mut r = Rng::new(1, 0);
        let mut sum = 0u64;
        for _ in 0..20_000 {
            let x = r.range(3, 9);
            assert!((3..=9).contains(&x));
            sum += u64::from(r.poisson(2.5));
        }
        let mean = sum as f64 / 20_000.0;
        assert!((mean - 2.5).abs() < 0.1, "poisson mean {mean}");
        let mut below = 0;
        for _ in 0..20_000 {
            if r.lognormal(1000.0, 0.8) < 1000.0 {
                below += 1;
            }
        }
        assert!((9_000..11_000).contains(&below), "median off: {below}");
        let w = [0, 5, 0, 5];
        for _ in 0..100 {
            assert!(matches!(r.weighted(&w), 1 | 3));
        }
    }
}
