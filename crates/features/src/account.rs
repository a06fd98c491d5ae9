//! Per-account features over the whole graph: what an account did in all the data.

use crate::sink::{par_chunks, Cols};
use crate::{Cell, FeatureMatrix};
use finmon_graph::TemporalGraph;
use finmon_model::Transactions;

pub const ACCOUNT_FEATURES: &[&str] = &[
    "out_cnt",
    "out_nbrs",
    "in_cnt",
    "in_nbrs",
    "out_sum",
    "in_sum",
    "balance",
    "active_days",
    "both_ways_nbrs",
];

/// One row per account id (`0..graph.n_vertices()`): edges and distinct counterparties each
/// way, tenge each way (`ln(1 + KZT)`), (in − out)/(in + out), days from the first to the last
/// edge, and counterparties it both pays and is paid by.
pub fn account_features(
    graph: &TemporalGraph,
    txs: &Transactions,
    threads: usize,
) -> FeatureMatrix {
    let n = graph.n_vertices();
    let kinds: Vec<Cell> = ACCOUNT_FEATURES.iter().map(|_| Cell::Half).collect();
    let cols = Cols::new(n, &kinds, threads);
    const CHUNK: usize = 1024;
    par_chunks(threads, n.div_ceil(CHUNK), &|| vec![0u8; n], &|seen, c| {
        for x in c * CHUNK..((c + 1) * CHUNK).min(n) {
            let (o, i) = (graph.out_edges(x as u32), graph.in_edges(x as u32));
            let tenge = |rows: &[u32]| -> f64 {
                rows.iter()
                    .map(|&r| txs.amount_kzt[r as usize].0 as f64 / 100.0)
                    .sum()
            };
            let (so, si) = (tenge(o.tx).max(0.0), tenge(i.tx).max(0.0));
            let (mut on, mut inn, mut both) = (0u32, 0u32, 0u32);
            for &y in o.nbr {
                let s = &mut seen[y as usize];
                if *s & 1 == 0 {
                    *s |= 1;
                    on += 1;
                }
            }
            for &y in i.nbr {
                let s = &mut seen[y as usize];
                if *s & 2 == 0 {
                    *s |= 2;
                    inn += 1;
                    both += u32::from(*s & 1 == 1);
                }
            }
            for &y in o.nbr.iter().chain(i.nbr) {
                seen[y as usize] = 0;
            }
            let first = o.ts.first().into_iter().chain(i.ts.first()).min();
            let last = o.ts.last().into_iter().chain(i.ts.last()).max();
            let days = match (first, last) {
                (Some(a), Some(b)) => (b - a) as f32 / 86_400.0,
                _ => f32::NAN,
            };
            let balance = if si + so > 0.0 {
                (si - so) / (si + so)
            } else {
                0.0
            };
            let vals = [
                o.len() as f32,
                on as f32,
                i.len() as f32,
                inn as f32,
                so.ln_1p() as f32,
                si.ln_1p() as f32,
                balance as f32,
                days,
                both as f32,
            ];
            for (c, v) in vals.into_iter().enumerate() {
                cols.set(c, x, v);
            }
        }
    });
    FeatureMatrix {
        names: ACCOUNT_FEATURES.iter().map(|s| s.to_string()).collect(),
        rows: n,
        columns: cols.into_columns(),
    }
}
