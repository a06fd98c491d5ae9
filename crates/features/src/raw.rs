//! The transaction's own columns: amount, kind, currency, time of day and week, roundness.

use crate::matrix::Cell::{self, Half, Small};
use crate::sink::{par_chunks, Cols};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{Currency, Transactions};
use std::ops::Range;

pub(crate) const RAW: &[(&str, Cell)] = &[
    ("amount", Half),
    ("kind", Small),
    ("foreign", Small),
    ("hour", Small),
    ("weekday", Small),
    ("round", Half),
    ("first_contact", Small),
    ("cash", Small),
];

/// Trailing zeros of an amount in its currency's units (1,000 → 3), or minus its decimals
/// (12.5 → −1): round sums are what people choose, odd ones what invoices and fees produce.
pub(crate) fn roundness(d: finmon_model::Decimal) -> f32 {
    let d = d.normalize();
    if d.scale() > 0 {
        return -(d.scale() as f32);
    }
    let mut m = d.mantissa().unsigned_abs();
    if m == 0 {
        return 0.0;
    }
    let mut z = 0;
    while m.is_multiple_of(10) && z < 18 {
        m /= 10;
        z += 1;
    }
    z as f32
}

/// Writes the raw columns (all but `first_contact`, which the sender sweep writes) of the rows
/// of `range` with time `>= t_from`.
pub(crate) fn fill(txs: &Transactions, range: Range<usize>, t_from: i64, cols: &Cols) {
    for r in range {
        let t = txs.ts[r].0;
        if t < t_from {
            continue;
        }
        let day = t.div_euclid(86_400);
        cols.set(
            0,
            r,
            (txs.amount_kzt[r].0 as f64 / 100.0).max(0.0).ln_1p() as f32,
        );
        cols.set(1, r, txs.kind[r] as u8 as f32);
        cols.set(
            2,
            r,
            if txs.currency[r] == Currency::KZT {
                0.0
            } else {
                1.0
            },
        );
        cols.set(3, r, (t.rem_euclid(86_400) / 3600) as f32);
        // 1970-01-01 was a Thursday: Monday is 0.
        cols.set(4, r, (day + 3).rem_euclid(7) as f32);
        cols.set(5, r, roundness(txs.amount.get(r)));
        let cash = txs.from[r] == NO_ACCOUNT || txs.to[r] == NO_ACCOUNT;
        cols.set(7, r, if cash { 1.0 } else { 0.0 });
    }
}

/// splitmix64: spreads the bits of an exact amount so that the key hashes as itself.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Per row, a key equal for equal amounts in the same currency (the exact decimal, not its
/// tenge value, which moves with the day's rate).
pub(crate) fn amount_keys(txs: &Transactions, threads: usize) -> Vec<u64> {
    let n = txs.len();
    let keys: Vec<std::sync::atomic::AtomicU64> = (0..n)
        .map(|_| std::sync::atomic::AtomicU64::new(0))
        .collect();
    const CHUNK: usize = 1 << 14;
    par_chunks(threads, n.div_ceil(CHUNK), &|| (), &|_, c| {
        let end = ((c + 1) * CHUNK).min(n);
        for (r, key) in keys.iter().enumerate().take(end).skip(c * CHUNK) {
            let d = txs.amount.get(r).normalize();
            let m = d.mantissa();
            let k = mix(m as u64 ^ mix((m >> 64) as u64))
                ^ mix(u64::from(d.scale()) << 16 | u64::from(txs.currency[r].0));
            key.store(k, std::sync::atomic::Ordering::Relaxed);
        }
    });
    keys.into_iter().map(|k| k.into_inner()).collect()
}
