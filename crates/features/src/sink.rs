//! The matrix under construction: column-major cells that worker threads fill at disjoint
//! positions. Each cell is an `AtomicU16` holding an `f16`'s bits (the matrix is stored in 16
//! bits, see [`crate::FeatureMatrix`]), so that threads can write their own rows of a shared
//! matrix without `unsafe`; a relaxed store is a plain store on the machines finmon runs on.

use half::f16;
use std::sync::atomic::{AtomicU16, Ordering};

pub(crate) struct Cols {
    rows: usize,
    cells: Vec<AtomicU16>,
}

/// The largest count a counting cell holds (the largest finite `f16`).
const MAX_COUNT: u16 = 65_504;

impl Cols {
    /// A `rows × cols` matrix of NaN (missing).
    pub fn new(rows: usize, cols: usize) -> Cols {
        let nan = f16::NAN.to_bits();
        Cols {
            rows,
            cells: (0..rows * cols).map(|_| AtomicU16::new(nan)).collect(),
        }
    }

    /// A matrix of `rows` rows whose first rows are copied from `old` (column-major, `old_rows`
    /// rows); the rest are NaN.
    pub fn grown(old: &[f16], old_rows: usize, rows: usize, cols: usize) -> Cols {
        let nan = f16::NAN.to_bits();
        let mut cells = Vec::with_capacity(rows * cols);
        for c in 0..cols {
            let col = &old[c * old_rows..(c + 1) * old_rows];
            cells.extend(col.iter().map(|v| AtomicU16::new(v.to_bits())));
            cells.extend((old_rows..rows).map(|_| AtomicU16::new(nan)));
        }
        Cols { rows, cells }
    }

    #[inline]
    pub fn set(&self, col: usize, row: usize, v: f32) {
        self.cells[col * self.rows + row].store(f16::from_f32(v).to_bits(), Ordering::Relaxed);
    }

    /// Counting cells: after `start_count` a cell holds an integer (not `f16` bits), saturating
    /// at the largest `f16`, until `count_to_value` turns it into the value of that count. Lets
    /// threads add to cells of rows they do not own (a cycle adds to each of its edges).
    #[inline]
    pub fn start_count(&self, col: usize, row: usize) {
        self.cells[col * self.rows + row].store(0, Ordering::Relaxed);
    }

    #[inline]
    pub fn add_count(&self, col: usize, row: usize) {
        // A failed update means the count is at its cap already.
        let _ = self.cells[col * self.rows + row].fetch_update(
            Ordering::Relaxed,
            Ordering::Relaxed,
            |c| (c < MAX_COUNT).then_some(c + 1),
        );
    }

    #[inline]
    pub fn count_to_value(&self, col: usize, row: usize) {
        let c = &self.cells[col * self.rows + row];
        let n = f16::from_f32(f32::from(c.load(Ordering::Relaxed)));
        c.store(n.to_bits(), Ordering::Relaxed);
    }

    /// The finished matrix, column-major. Reuses the allocation (same size and alignment).
    pub fn into_values(self) -> Vec<f16> {
        self.cells
            .into_iter()
            .map(|a| f16::from_bits(a.into_inner()))
            .collect()
    }
}

/// Runs `work(state, chunk)` for every chunk index `0..chunks` on `threads` threads, each with
/// its own scratch `state` from `init`; chunks are handed out in order from a shared counter.
/// Results go to a [`Cols`] cell by cell, so the scheduling does not change the output.
pub(crate) fn par_chunks<S>(
    threads: usize,
    chunks: usize,
    init: &(dyn Fn() -> S + Sync),
    work: &(dyn Fn(&mut S, usize) + Sync),
) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let run = || {
        let mut state = init();
        loop {
            let c = next.fetch_add(1, Ordering::Relaxed);
            if c >= chunks {
                break;
            }
            work(&mut state, c);
        }
    };
    let threads = threads.clamp(1, chunks.max(1));
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(run);
        }
        run();
    });
}
