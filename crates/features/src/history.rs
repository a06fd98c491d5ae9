//! Each endpoint's life before the transaction, whatever the windows: how much it did and how
//! long it had been quiet.
//!
//! A windowed count cannot tell an account that has never paid anyone from a busy one that has
//! been quiet for a season (its balance ran dry, then a deposit came): both show one payment in
//! the window. Laundering accounts are often the first kind, opened for the scheme. Both
//! columns read only the past, so they are the same offline and online and never change when
//! data is appended.

use crate::sink::Cols;
use finmon_graph::{Edges, TemporalGraph};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::Transactions;
use std::ops::Range;

/// Per endpoint: `prior` = ln(1 + its edges, in and out, strictly before the row's time);
/// `idle` = the time since the last of them, as a fraction of the widest window (missing when
/// there is none).
pub(crate) const HISTORY: &[&str] = &["src.prior", "src.idle", "dst.prior", "dst.idle"];

/// The two columns of an endpoint with `prior` edges before `t`, the last at `last`.
pub(crate) fn values(prior: usize, last: Option<i64>, t: i64, widest: f64) -> (f32, Option<f32>) {
    (
        (prior as f64).ln_1p() as f32,
        last.map(|l| ((t - l) as f64 / widest) as f32),
    )
}

/// Edges of a list strictly before `t`, and the time of the last of them.
fn before(list: Edges<'_>, t: i64) -> (usize, Option<i64>) {
    let n = list.ts.partition_point(|&x| x < t);
    (n, n.checked_sub(1).map(|i| list.ts[i]))
}

/// Writes the history columns (from column `base`) of the cash rows of `range` with time
/// `>= t_from`: those of the rows between two accounts come with the endpoint sweep
/// ([`crate::vertex::sweep`]), which walks each account's edges in time order anyway.
pub(crate) fn fill(
    graph: &TemporalGraph,
    txs: &Transactions,
    range: Range<usize>,
    t_from: i64,
    widest: i64,
    cols: &Cols,
    base: usize,
) {
    let widest = widest.max(1) as f64;
    for r in range {
        let t = txs.ts[r].0;
        let cash = txs.from[r] == NO_ACCOUNT || txs.to[r] == NO_ACCOUNT;
        if t < t_from || !cash {
            continue;
        }
        for (k, a) in [txs.from[r], txs.to[r]].into_iter().enumerate() {
            if a == NO_ACCOUNT {
                continue;
            }
            let (n_out, last_out) = before(graph.out_edges(a), t);
            let (n_in, last_in) = before(graph.in_edges(a), t);
            let (prior, idle) = values(n_out + n_in, last_out.max(last_in), t, widest);
            cols.set(base + 2 * k, r, prior);
            if let Some(idle) = idle {
                cols.set(base + 2 * k + 1, r, idle);
            }
        }
    }
}
