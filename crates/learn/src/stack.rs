//! The second stage of a stacked model: what the first stage thinks of a transaction's
//! neighbours.
//!
//! Laundering in the data is a pattern: a transaction of a fan-out has siblings out of the same
//! account, a hop of a cycle has a hop into its sender and one out of its receiver, each of
//! them suspicious in its own right. One transaction of a pattern can look ordinary on its own
//! (an odd amount, a receiver with a busy life), and an ordinary transaction can look odd on its
//! own without any odd neighbour. So the second stage reads, besides the first stage's score
//! of the row, the highest first-stage score among four kinds of neighbour within each window:
//!
//! | column | edges |
//! |---|---|
//! | `nb.in_src@wK` | into the sender (where its money came from) |
//! | `nb.out_dst@wK` | out of the receiver (where the money went next) |
//! | `nb.sib_out@wK` | the sender's other payments |
//! | `nb.sib_in@wK` | the receiver's other receipts |
//!
//! The windows and modes are the feature config's: offline `[t − W, t + W]`, online
//! `[t − W, t]`, so that an online model still reads only the past. A window without such a
//! neighbour is missing (NaN). The row itself never counts as its own neighbour.

use finmon_features::{FeatureConfig, FeatureMatrix, Mode};
use finmon_graph::{Edges, TemporalGraph};

/// The neighbour kinds, in column order within a window.
pub const NEIGHBOURS: [&str; 4] = ["nb.in_src", "nb.out_dst", "nb.sib_out", "nb.sib_in"];
/// The column of the first stage's own score (its log-odds).
pub const STAGE1: &str = "stage1";

/// The names of the columns [`neighbour_columns`] adds, in order.
pub fn names(cfg: &FeatureConfig) -> Vec<String> {
    let mut out = vec![STAGE1.to_string()];
    for w in 0..cfg.windows.len() {
        out.extend(NEIGHBOURS.iter().map(|n| format!("{n}@w{w}")));
    }
    out
}

/// Range maximum over a fixed array (an iterative segment tree).
struct MaxTree {
    n: usize,
    t: Vec<f32>,
}

impl MaxTree {
    fn new(values: &[f32]) -> MaxTree {
        let n = values.len();
        let mut t = vec![f32::NEG_INFINITY; 2 * n];
        t[n..].copy_from_slice(values);
        for i in (1..n).rev() {
            t[i] = t[2 * i].max(t[2 * i + 1]);
        }
        MaxTree { n, t }
    }

    /// The maximum over `lo..hi`; −∞ when empty.
    fn max(&self, lo: usize, hi: usize) -> f32 {
        let (mut l, mut r) = (lo + self.n, hi + self.n);
        let mut m = f32::NEG_INFINITY;
        while l < r {
            if l & 1 == 1 {
                m = m.max(self.t[l]);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                m = m.max(self.t[r]);
            }
            l >>= 1;
            r >>= 1;
        }
        m
    }

    /// The maximum over `lo..hi` without slot `skip`.
    fn max_without(&self, lo: usize, hi: usize, skip: usize) -> f32 {
        if (lo..hi).contains(&skip) {
            self.max(lo, skip).max(self.max(skip + 1, hi))
        } else {
            self.max(lo, hi)
        }
    }
}

/// One direction of the graph laid flat: per vertex its first slot, per row its slot, and a
/// range-maximum tree over the scores in slot order.
struct Flat {
    start: Vec<usize>,
    slot: Vec<usize>,
    tree: MaxTree,
}

impl Flat {
    fn new<'g>(
        graph: &'g TemporalGraph,
        rows: usize,
        scores: &[f32],
        edges: impl Fn(u32) -> Edges<'g>,
    ) -> Flat {
        let n = graph.n_vertices();
        let mut start = Vec::with_capacity(n + 1);
        let mut slot = vec![usize::MAX; rows];
        let mut flat = Vec::with_capacity(graph.n_edges());
        for v in 0..n as u32 {
            start.push(flat.len());
            for e in edges(v).iter() {
                slot[e.tx as usize] = flat.len();
                flat.push(scores[e.tx as usize]);
            }
        }
        start.push(flat.len());
        Flat {
            start,
            slot,
            tree: MaxTree::new(&flat),
        }
    }

    /// The highest score among `v`'s edges of this direction in `[t0, t1]`, without row `row`.
    fn max(&self, v: u32, list: Edges<'_>, t0: i64, t1: i64, row: usize) -> f32 {
        let r = list.range_in(t0, t1);
        let base = self.start[v as usize];
        self.tree
            .max_without(base + r.start, base + r.end, self.slot[row])
    }
}

/// The first stage's log-odds of every row and the neighbour maxima of [`NEIGHBOURS`] per
/// window, column-major (`names(cfg).len()` columns of `rows`). Rows outside the graph (cash)
/// get NaN neighbours.
pub fn neighbour_columns(
    graph: &TemporalGraph,
    cfg: &FeatureConfig,
    rows: usize,
    probabilities: &[f64],
) -> Vec<f32> {
    let logit: Vec<f32> = probabilities
        .iter()
        .map(|&p| {
            let p = p.clamp(1e-9, 1.0 - 1e-9);
            (p / (1.0 - p)).ln() as f32
        })
        .collect();
    let out = Flat::new(graph, rows, &logit, |v| graph.out_edges(v));
    let inn = Flat::new(graph, rows, &logit, |v| graph.in_edges(v));
    // Each row's endpoints and time, from its slot in the sender's out-list.
    let mut ends = vec![(u32::MAX, u32::MAX, 0i64); rows];
    for u in 0..graph.n_vertices() as u32 {
        for e in graph.out_edges(u).iter() {
            ends[e.tx as usize] = (u, e.nbr, e.ts);
        }
    }
    let per_window = NEIGHBOURS.len();
    let cols = 1 + per_window * cfg.windows.len();
    let mut values = vec![f32::NAN; cols * rows];
    values[..rows].copy_from_slice(&logit);
    for (w, &width) in cfg.windows.iter().enumerate() {
        for (r, &(u, v, t)) in ends.iter().enumerate() {
            if u == u32::MAX {
                continue;
            }
            let (t0, t1) = match cfg.mode {
                Mode::Offline => (t - width, t + width),
                Mode::Online => (t - width, t),
            };
            let maxima = [
                inn.max(u, graph.in_edges(u), t0, t1, r),
                out.max(v, graph.out_edges(v), t0, t1, r),
                out.max(u, graph.out_edges(u), t0, t1, r),
                inn.max(v, graph.in_edges(v), t0, t1, r),
            ];
            for (k, m) in maxima.into_iter().enumerate() {
                let c = 1 + w * per_window + k;
                values[c * rows + r] = if m == f32::NEG_INFINITY { f32::NAN } else { m };
            }
        }
    }
    values
}

/// `m` with the neighbour columns appended.
pub fn with_neighbours(
    graph: &TemporalGraph,
    cfg: &FeatureConfig,
    m: &FeatureMatrix,
    probabilities: &[f64],
) -> FeatureMatrix {
    let extra = neighbour_columns(graph, cfg, m.rows, probabilities);
    m.with_columns(&names(cfg), &extra)
        .expect("the neighbour block has one column of rows per name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_maximum_skips_the_row_itself() {
        let t = MaxTree::new(&[1.0, 5.0, 3.0, 9.0, 2.0]);
        assert_eq!(t.max(0, 5), 9.0);
        assert_eq!(t.max(0, 3), 5.0);
        assert_eq!(t.max(2, 2), f32::NEG_INFINITY);
        assert_eq!(t.max_without(0, 5, 3), 5.0);
        assert_eq!(t.max_without(3, 4, 3), f32::NEG_INFINITY);
        assert_eq!(t.max_without(0, 2, 3), 5.0);
    }
}

#[cfg(test)]
mod by_hand {
    use super::*;
    use finmon_model::Transactions;

    const D: i64 = 86_400;

    #[test]
    fn neighbour_maxima_by_hand() {
        // 0 → 1 (day 1), 1 → 2 (day 2), 1 → 3 (day 3), 4 → 2 (day 20).
        let t = Transactions::transfers(&[
            (D, 0, 1, 100),
            (2 * D, 1, 2, 100),
            (3 * D, 1, 3, 100),
            (20 * D, 4, 2, 100),
        ]);
        let g = TemporalGraph::build(&t).unwrap();
        let p = [0.5, 0.9, 0.2, 0.99];
        let logit = |p: f64| (p / (1.0 - p)).ln() as f32;
        let cfg = FeatureConfig::new(Mode::Offline, vec![5 * D]);
        let v = neighbour_columns(&g, &cfg, 4, &p);
        let col = |name: &str, row: usize| {
            let c = names(&cfg).iter().position(|n| n == name).unwrap();
            v[c * 4 + row]
        };
        assert_eq!(col("stage1", 1), logit(0.9));
        // Row 1 (1 → 2): money came in by row 0; 1's other payment is row 2; nothing leaves 2;
        // row 3 into 2 is 18 days away.
        assert_eq!(col("nb.in_src@w0", 1), logit(0.5));
        assert!(col("nb.out_dst@w0", 1).is_nan());
        assert_eq!(col("nb.sib_out@w0", 1), logit(0.2));
        assert!(col("nb.sib_in@w0", 1).is_nan());
        // Row 0 (0 → 1): what left 1 next is rows 1 and 2, the highest 0.9.
        assert_eq!(col("nb.out_dst@w0", 0), logit(0.9));
        // Online, row 0 cannot see them.
        let on = FeatureConfig::new(Mode::Online, vec![5 * D]);
        let v = neighbour_columns(&g, &on, 4, &p);
        let c = names(&on)
            .iter()
            .position(|n| n == "nb.out_dst@w0")
            .unwrap();
        assert!(v[c * 4].is_nan());
    }
}
