//! Fan-in and fan-out: one account and at least `k` distinct counterparties within a window.
//!
//! Per account, a sliding window over its in-edges (fan-in) or out-edges (fan-out) in time order
//! keeps a count per counterparty; a window `[t, t + W]` that starts at an edge and holds `k`
//! distinct counterparties qualifies. An instance is a maximal run of qualifying windows that
//! overlap: every edge of the run lies in some window with `k` distinct counterparties. O(degree)
//! per account.

use super::{dedup_in_order, par_vertices, Detail, Marks, Raw};
use crate::config::FanConfig;
use crate::graph::{Edge, TemporalGraph};
use crate::pattern::Pattern;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    In,
    Out,
}

struct Scratch {
    count: Vec<u32>,
    seen: Marks,
    marks: Marks,
    buf: Vec<Edge>,
}

pub(crate) fn mine(g: &TemporalGraph, cfg: &FanConfig, dir: Dir, threads: usize) -> Vec<Raw> {
    let n = g.n_vertices();
    let k = cfg.min_counterparties;
    let w = cfg.window_secs;
    let kind = match dir {
        Dir::In => Pattern::FanIn,
        Dir::Out => Pattern::FanOut,
    };
    par_vertices(
        n,
        threads,
        4096,
        || Scratch {
            count: vec![0; n],
            seen: Marks::new(n),
            marks: Marks::new(n),
            buf: Vec::new(),
        },
        |s, range, out| {
            for v in range {
                let edges = match dir {
                    Dir::In => g.in_edges(v),
                    Dir::Out => g.out_edges(v),
                };
                if edges.len() < k {
                    continue;
                }
                s.buf.clear();
                s.seen.clear();
                for e in edges.iter() {
                    if e.nbr == v {
                        continue;
                    }
                    if cfg.new_counterparties_only && !s.seen.insert(e.nbr) {
                        continue;
                    }
                    s.buf.push(e);
                }
                runs(&s.buf, k, w, &mut s.count, |lo, hi| {
                    let part = &s.buf[lo..hi];
                    let mut accounts = vec![v];
                    accounts.extend(dedup_in_order(part.iter().map(|e| e.nbr), &mut s.marks));
                    out.push(Raw {
                        kind,
                        accounts,
                        txs: part.iter().map(|e| e.tx).collect(),
                        detail: Detail::Fan,
                    });
                });
            }
        },
    )
}

/// Calls `emit(lo, hi)` for each maximal run `edges[lo..hi]` of overlapping windows
/// `[t_i, t_i + w]` that hold at least `k` distinct neighbours. `count` must be all zero and is
/// left so.
pub(crate) fn runs(
    edges: &[Edge],
    k: usize,
    w: i64,
    count: &mut [u32],
    mut emit: impl FnMut(usize, usize),
) {
    if edges.len() < k {
        return;
    }
    let mut j = 0;
    let mut distinct = 0usize;
    let mut run: Option<(usize, usize)> = None;
    for i in 0..edges.len() {
        let limit = edges[i].ts.saturating_add(w);
        while j < edges.len() && edges[j].ts <= limit {
            let c = &mut count[edges[j].nbr as usize];
            if *c == 0 {
                distinct += 1;
            }
            *c += 1;
            j += 1;
        }
        if distinct >= k {
            run = match run {
                Some((lo, hi)) if i < hi => Some((lo, j)),
                Some((lo, hi)) => {
                    emit(lo, hi);
                    Some((i, j))
                }
                None => Some((i, j)),
            };
        }
        let c = &mut count[edges[i].nbr as usize];
        *c -= 1;
        if *c == 0 {
            distinct -= 1;
        }
    }
    if let Some((lo, hi)) = run {
        emit(lo, hi);
    }
}

#[cfg(test)]
mod tests {
    use crate::mine::tests::{only, run, D};
    use crate::pattern::Pattern;

    /// Senders 1..=n pay account 0 at the given times.
    fn fan_in_rows(times: &[i64]) -> Vec<(i64, u32, u32, i64)> {
        times
            .iter()
            .enumerate()
            .map(|(i, &t)| (t, i as u32 + 1, 0, 100))
            .collect()
    }

    #[test]
    fn fan_in_of_five_senders_within_the_window() {
        let w = 30 * D;
        let rows = fan_in_rows(&[0, D, 2 * D, 3 * D, w]);
        let found = run(&rows, &only(Pattern::FanIn));
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.kind, Pattern::FanIn);
        assert_eq!(f.accounts, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(f.txs, vec![0, 1, 2, 3, 4]);
        assert_eq!(f.total.0, 500 * 100);
        assert_eq!(f.first.0, 0);
        assert_eq!(f.last.0, w);
        assert_eq!(
            f.reason,
            "fan_in: 5 new senders paid 500.00 KZT into #0 in 5 transfers between \
             1970-01-01T00:00:00Z and 1970-01-31T00:00:00Z (at least 5 within 30 days); \
             senders: #1, #2, #3, #4, #5"
        );
    }

    #[test]
    fn fifth_sender_one_second_past_the_window_is_no_fan_in() {
        let w = 30 * D;
        let rows = fan_in_rows(&[0, D, 2 * D, 3 * D, w + 1]);
        assert!(run(&rows, &only(Pattern::FanIn)).is_empty());
        // Nor is a fan-out seen there.
        let mut c = only(Pattern::FanOut);
        c.fan_in.enabled = true;
        assert!(run(&rows, &c).is_empty());
    }

    #[test]
    fn repeat_payers_count_once_and_new_only_is_configurable() {
        // Sender 1 pays five times, senders 2..=4 once: 4 distinct.
        let mut rows = vec![];
        for i in 0..5 {
            rows.push((i * D, 1, 0, 10));
        }
        for s in 2..=4 {
            rows.push((6 * D, s, 0, 10));
        }
        assert!(run(&rows, &only(Pattern::FanIn)).is_empty());
        // A fifth sender makes it: with "new only", sender 1's repeats are not in the instance.
        rows.push((7 * D, 5, 0, 10));
        let found = run(&rows, &only(Pattern::FanIn));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].txs, vec![0, 5, 6, 7, 8]);
        let mut c = only(Pattern::FanIn);
        c.fan_in.new_counterparties_only = false;
        let found = run(&rows, &c);
        assert_eq!(found[0].txs, vec![0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(found[0].reason.contains("5 distinct senders"));
    }

    #[test]
    fn a_sender_known_from_before_is_not_new() {
        // Senders 1..=4 paid account 0 long ago; now 1..=4 and 5 pay again: only 5 is new.
        let mut rows = fan_in_rows(&[0, 0, 0, 0]);
        for s in 1..=5 {
            rows.push((100 * D, s, 0, 10));
        }
        assert!(run(&rows, &only(Pattern::FanIn)).is_empty());
        let mut c = only(Pattern::FanIn);
        c.fan_in.new_counterparties_only = false;
        assert_eq!(run(&rows, &c).len(), 1);
    }

    #[test]
    fn separate_bursts_are_separate_instances_and_overlaps_merge() {
        let mut times = vec![0, D, 2 * D, 3 * D, 4 * D, 20 * D];
        // A second burst far later.
        times.extend([200 * D, 201 * D, 202 * D, 203 * D, 204 * D]);
        let found = run(&fan_in_rows(&times), &only(Pattern::FanIn));
        assert_eq!(found.len(), 2);
        // The sixth sender at day 20 is within 30 days of the first: same run.
        assert_eq!(found[0].txs, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(found[1].txs, vec![6, 7, 8, 9, 10]);
    }

    #[test]
    fn fan_out_mirrors_fan_in() {
        let rows: Vec<_> = (0..6).map(|i| (i * D, 9, i as u32, 50)).collect();
        let found = run(&rows, &only(Pattern::FanOut));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].accounts, vec![9, 0, 1, 2, 3, 4, 5]);
        assert!(found[0]
            .reason
            .starts_with("fan_out: 6 new receivers were paid 300.00 KZT by #9"));
        // Self-loops are no counterparty.
        let mut rows: Vec<_> = (0..4).map(|i| (i * D, 9, i as u32, 50)).collect();
        rows.push((5 * D, 9, 9, 50));
        assert!(run(&rows, &only(Pattern::FanOut)).is_empty());
    }
}
