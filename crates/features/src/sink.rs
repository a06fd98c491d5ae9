//! The matrix under construction: column-major cells that worker threads fill at disjoint
//! positions. Each cell is an `AtomicU32` holding an `f32`'s bits, so that threads can write
//! their own rows of a shared matrix without `unsafe`; a relaxed store is a plain store on the
//! machines finmon runs on.

use std::sync::atomic::{AtomicU32, Ordering};

pub(crate) struct Cols {
    rows: usize,
    cells: Vec<AtomicU32>,
}

impl Cols {
    /// A `rows × cols` matrix of NaN (missing).
    pub fn new(rows: usize, cols: usize) -> Cols {
        let nan = f32::NAN.to_bits();
        Cols {
            rows,
            cells: (0..rows * cols).map(|_| AtomicU32::new(nan)).collect(),
        }
    }

    /// A matrix of `rows` rows whose first rows are copied from `old` (column-major, `old_rows`
    /// rows); the rest are NaN.
    pub fn grown(old: &[f32], old_rows: usize, rows: usize, cols: usize) -> Cols {
        let nan = f32::NAN.to_bits();
        let mut cells = Vec::with_capacity(rows * cols);
        for c in 0..cols {
            let col = &old[c * old_rows..(c + 1) * old_rows];
            cells.extend(col.iter().map(|v| AtomicU32::new(v.to_bits())));
            cells.extend((old_rows..rows).map(|_| AtomicU32::new(nan)));
        }
        Cols { rows, cells }
    }

    #[inline]
    pub fn set(&self, col: usize, row: usize, v: f32) {
        self.cells[col * self.rows + row].store(v.to_bits(), Ordering::Relaxed);
    }

    /// Counting cells: after `start_count` a cell holds an integer (not `f32` bits) until
    /// `count_to_value` turns it into the `f32` of that count. Lets threads add to cells of
    /// rows they do not own (a cycle adds to each of its edges).
    #[inline]
    pub fn start_count(&self, col: usize, row: usize) {
        self.cells[col * self.rows + row].store(0, Ordering::Relaxed);
    }

    #[inline]
    pub fn add_count(&self, col: usize, row: usize) {
        self.cells[col * self.rows + row].fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    pub fn count_to_value(&self, col: usize, row: usize) {
        let c = &self.cells[col * self.rows + row];
        c.store(
            (c.load(Ordering::Relaxed) as f32).to_bits(),
            Ordering::Relaxed,
        );
    }

    /// The finished matrix, column-major. Reuses the allocation (same size and alignment).
    pub fn into_values(self) -> Vec<f32> {
        self.cells
            .into_iter()
            .map(|a| f32::from_bits(a.into_inner()))
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
