//! The matrix under construction: cells that worker threads fill at disjoint positions. Each
//! cell is an atomic holding a half float's bits or a one-byte count code (see
//! [`crate::FeatureMatrix`]), so that threads can write their own rows of a shared matrix
//! without `unsafe`; a relaxed store is a plain store on the machines finmon runs on.

use crate::matrix::{small, Cell, Column};
use half::f16;
use std::sync::atomic::{AtomicU16, AtomicU8, Ordering};

enum Cells {
    Half(Vec<AtomicU16>),
    Small(Vec<AtomicU8>),
}

pub(crate) struct Cols {
    cols: Vec<Cells>,
}

/// The largest count a counting cell holds (the largest finite `f16`).
const MAX_COUNT: u16 = 65_504;

impl Cols {
    /// A matrix of NaN (missing), `rows` rows and one column per entry of `kinds`; the columns
    /// are allocated and filled on `threads` threads, since their pages are first touched here.
    pub fn new(rows: usize, kinds: &[Cell], threads: usize) -> Cols {
        Cols::grown(&[], rows, kinds, threads)
    }

    /// A matrix of `rows` rows whose first rows are copied from `old`; the rest, and columns
    /// `old` does not have (or stores another way), are NaN.
    pub fn grown(old: &[Column], rows: usize, kinds: &[Cell], threads: usize) -> Cols {
        let make = |c: usize| -> Cells {
            let nan_half = f16::NAN.to_bits();
            match (kinds[c], old.get(c)) {
                (Cell::Half, Some(Column::Half(v))) => Cells::Half(
                    v.iter()
                        .map(|x| x.to_bits())
                        .chain(std::iter::repeat(nan_half))
                        .take(rows)
                        .map(AtomicU16::new)
                        .collect(),
                ),
                (Cell::Small, Some(Column::Small(v))) => Cells::Small(
                    v.iter()
                        .copied()
                        .chain(std::iter::repeat(small::NAN))
                        .take(rows)
                        .map(AtomicU8::new)
                        .collect(),
                ),
                (Cell::Half, _) => {
                    Cells::Half((0..rows).map(|_| AtomicU16::new(nan_half)).collect())
                }
                (Cell::Small, _) => {
                    Cells::Small((0..rows).map(|_| AtomicU8::new(small::NAN)).collect())
                }
            }
        };
        // Contiguous runs of columns per thread, joined in order.
        let per = kinds.len().div_ceil(threads.max(1)).max(1);
        let make = &make;
        let cols = std::thread::scope(|s| {
            let parts: Vec<_> = (0..kinds.len())
                .step_by(per)
                .map(|c0| {
                    s.spawn(move || {
                        (c0..(c0 + per).min(kinds.len()))
                            .map(make)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        Cols { cols }
    }

    #[inline]
    pub fn set(&self, col: usize, row: usize, v: f32) {
        match &self.cols[col] {
            Cells::Half(c) => c[row].store(f16::from_f32(v).to_bits(), Ordering::Relaxed),
            Cells::Small(c) => c[row].store(small::encode(v), Ordering::Relaxed),
        }
    }

    /// The cells of a half-float column, which the counting calls below need.
    #[inline]
    fn half(&self, col: usize) -> &[AtomicU16] {
        match &self.cols[col] {
            Cells::Half(c) => c,
            // The layout gives every counted column half cells: a bug, not bad input.
            Cells::Small(_) => panic!("column {col} counts but is stored in one byte"),
        }
    }

    /// Counting cells (half-float columns only): after `start_count` a cell holds an integer
    /// (not `f16` bits), saturating at the largest `f16`, until `count_to_value` turns it into
    /// the value of that count. Lets threads add to cells of rows they do not own (a cycle adds
    /// to each of its edges).
    #[inline]
    pub fn start_count(&self, col: usize, row: usize) {
        self.half(col)[row].store(0, Ordering::Relaxed);
    }

    #[inline]
    pub fn add_count(&self, col: usize, row: usize) {
        // A failed update means the count is at its cap already.
        let _ = self.half(col)[row].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
            (c < MAX_COUNT).then_some(c + 1)
        });
    }

    #[inline]
    pub fn count_to_value(&self, col: usize, row: usize) {
        let c = &self.half(col)[row];
        let n = f16::from_f32(f32::from(c.load(Ordering::Relaxed)));
        c.store(n.to_bits(), Ordering::Relaxed);
    }

    /// The finished columns. Each reuses its allocation (same size and alignment).
    pub fn into_columns(self) -> Vec<Column> {
        self.cols
            .into_iter()
            .map(|c| match c {
                Cells::Half(v) => Column::Half(
                    v.into_iter()
                        .map(|a| f16::from_bits(a.into_inner()))
                        .collect(),
                ),
                Cells::Small(v) => Column::Small(v.into_iter().map(AtomicU8::into_inner).collect()),
            })
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
