//! The feature matrix and how its cells are stored: a column of counts takes one byte a cell, any
//! other column two.

use half::f16;

/// How a column's cells are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// An IEEE half float: a fraction, a logarithm of tenge, a signed or counted value that
    /// threads add to while a search runs.
    Half,
    /// A non-negative whole number (a count, an hour, a flag) in one byte: exact up to 127,
    /// then in steps of 14 % up to 2³² (see [`small`]).
    Small,
}

/// One column of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Half(Vec<f16>),
    Small(Vec<u8>),
}

impl Column {
    fn get(&self, row: usize) -> f32 {
        match self {
            Column::Half(v) => v[row].to_f32(),
            Column::Small(v) => small::decode(v[row]),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Column::Half(v) => v.capacity() * 2,
            Column::Small(v) => v.capacity(),
        }
    }
}

/// Model inputs, one row per transaction row of the store (or per account), column by column
/// (NaN: missing, e.g. the graph columns of a cash row).
///
/// Counts take one byte a cell ([`Cell::Small`]): a tree split needs their order, not their
/// last digit, and most are below 128, where the byte is exact. Other columns are IEEE half
/// floats ([`Cell::Half`]): every one is a fraction, a small integer or a logarithm of tenge, so
/// 11 significant bits lose nothing a split needs (`ln(1 + KZT)` is kept to 0.8 % of the
/// amount). Training and scoring read the same rounded values.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    pub names: Vec<String>,
    pub rows: usize,
    pub(crate) columns: Vec<Column>,
}

impl FeatureMatrix {
    pub fn n_cols(&self) -> usize {
        self.names.len()
    }

    pub fn get(&self, row: usize, col: usize) -> f32 {
        self.columns[col].get(row)
    }

    /// The column of a name, if any.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Heap bytes of the values.
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(Column::heap_bytes).sum()
    }

    /// This matrix with more columns (column-major `values`, one column per name, stored as
    /// half floats) after its own; `None` if the sizes disagree.
    pub fn with_columns(&self, names: &[String], values: &[f32]) -> Option<Self> {
        if values.len() != names.len() * self.rows {
            return None;
        }
        let mut columns = self.columns.clone();
        if self.rows > 0 {
            columns.extend(
                values
                    .chunks(self.rows)
                    .map(|c| Column::Half(c.iter().map(|&v| f16::from_f32(v)).collect())),
            );
        } else {
            columns.extend(names.iter().map(|_| Column::Half(Vec::new())));
        }
        let mut n = self.names.clone();
        n.extend_from_slice(names);
        Some(FeatureMatrix {
            names: n,
            rows: self.rows,
            columns,
        })
    }
}

/// The one-byte code of a count: monotone, so a tree splits on codes as it would on counts.
/// Codes 0–127 are the counts themselves; 128–254 are buckets growing by a constant ratio (about
/// 14 %) up to 2³², each read back as its smallest count; 255 is NaN (missing).
pub mod small {
    use std::sync::OnceLock;

    /// Counts below this are stored exactly.
    pub const EXACT: u32 = 128;
    pub const NAN: u8 = 255;
    const BUCKETS: usize = 127;

    /// The smallest count of each bucket code `EXACT + k`.
    fn bounds() -> &'static [u64; BUCKETS] {
        static B: OnceLock<[u64; BUCKETS]> = OnceLock::new();
        B.get_or_init(|| {
            let top = (1u64 << 32) as f64 / f64::from(EXACT);
            let ratio = top.powf(1.0 / (BUCKETS - 1) as f64);
            let mut b = [0u64; BUCKETS];
            for k in 0..BUCKETS {
                let v = (f64::from(EXACT) * ratio.powi(k as i32)).ceil() as u64;
                // Each bucket at least one count wide.
                let v = if k == 0 { v } else { v.max(b[k - 1] + 1) };
                // A bound an f32 holds exactly, so that a decoded count encodes to its code.
                let mut f = v as f32;
                if (f as u64) < v {
                    f = f32::from_bits(f.to_bits() + 1);
                }
                b[k] = f as u64;
            }
            b
        })
    }

    /// The code of `v`: NaN stays NaN, a negative value reads as 0, a fraction is cut.
    pub fn encode(v: f32) -> u8 {
        if v.is_nan() {
            return NAN;
        }
        let n = v.max(0.0) as u64;
        if n < u64::from(EXACT) {
            return n as u8;
        }
        let k = bounds().partition_point(|&b| b <= n);
        (EXACT as usize + k - 1) as u8
    }

    /// The count a code stands for.
    pub fn decode(c: u8) -> f32 {
        match c {
            NAN => f32::NAN,
            c if u32::from(c) < EXACT => f32::from(c),
            c => bounds()[usize::from(c) - EXACT as usize] as f32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::small::{decode, encode, EXACT, NAN};

    #[test]
    fn small_counts_are_exact_and_large_ones_keep_their_order() {
        for n in 0..EXACT {
            assert_eq!(decode(encode(n as f32)), n as f32);
        }
        assert_eq!(encode(f32::NAN), NAN);
        assert!(decode(NAN).is_nan());
        assert_eq!(encode(-3.0), 0);
        assert_eq!(encode(2.7), 2);
        let mut last = 0u8;
        for n in (0..5_000_000u32).step_by(997).chain([u32::MAX]) {
            let c = encode(n as f32);
            assert!(c >= last, "codes are monotone: {n} → {c} after {last}");
            assert!(c < NAN);
            last = c;
            // A code reads back as the smallest count that has it, within 15 % of the count.
            let back = decode(c);
            assert!(
                back <= n as f32 && back >= n as f32 / 1.15,
                "{n} → {c} → {back}"
            );
            assert_eq!(encode(back), c);
        }
        assert_eq!(
            encode(f32::MAX),
            254,
            "the largest counts share the top code"
        );
    }
}
