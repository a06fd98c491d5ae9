//! Scatter-gather and gather-scatter: two-stage shapes through a middle layer or a hub.
//!
//! **Scatter-gather.** For a source `s`, every payment `s → m` at `t1` followed by a payment
//! `m → d` at `t2` with `t1 <= t2 <= t1 + W` is a two-hop path (an `m` that makes more than
//! `max_intermediate_out` payments in that time is a hub, not a pass-through, and is skipped).
//! Paths are grouped by sink `d`; a window opening at a first hop `t1` holds the paths with
//! first hop at or after it and second hop by `t1 + W`, and qualifies with `k` distinct
//! intermediates. Overlapping qualifying windows of one source and sink are one instance.
//!
//! **Gather-scatter.** For a hub `h`, a window opening at an incoming payment at `t0` takes
//! incoming payments in time order until `k1` distinct senders have paid (the split time `τ` is
//! that payment's time), then counts the distinct receivers `h` pays in `[τ, t0 + W]`; `k2` of
//! them qualify the window. Both pointers only move forward, so a hub costs O(degree).
//! Overlapping qualifying windows are one instance.

use super::{dedup_in_order, par_vertices, Detail, Marks, Raw};
use crate::config::{GatherScatterConfig, ScatterGatherConfig};
use crate::graph::{Edge, TemporalGraph};
use crate::pattern::Pattern;

#[derive(Debug, Clone, Copy)]
struct Path {
    sink: u32,
    t1: i64,
    tx1: u32,
    t2: i64,
    tx2: u32,
    mid: u32,
}

struct SgScratch {
    paths: Vec<Path>,
    by_t2: Vec<u32>,
    /// Per path of the current group: 0 = not added, 1 = added, 2 = removed.
    state: Vec<u8>,
    /// Run id per path of the current group (0 = none).
    run: Vec<u32>,
    pending: Vec<u32>,
    count: Vec<u32>,
    marks: Marks,
}

pub(crate) fn scatter_gather(
    g: &TemporalGraph,
    cfg: &ScatterGatherConfig,
    threads: usize,
) -> Vec<Raw> {
    let n = g.n_vertices();
    let w = cfg.window_secs;
    par_vertices(
        n,
        threads,
        1024,
        || SgScratch {
            paths: Vec::new(),
            by_t2: Vec::new(),
            state: Vec::new(),
            run: Vec::new(),
            pending: Vec::new(),
            count: vec![0; n],
            marks: Marks::new(n),
        },
        |sc, range, out| {
            for s in range {
                let outs = g.out_edges(s);
                if outs.len() < cfg.min_intermediates {
                    continue;
                }
                sc.paths.clear();
                'collect: for e1 in outs.iter() {
                    let m = e1.nbr;
                    if m == s {
                        continue;
                    }
                    let next = g.out_edges_in(m, e1.ts, e1.ts.saturating_add(w));
                    if next.len() > cfg.max_intermediate_out {
                        continue;
                    }
                    for e2 in next.iter() {
                        if e2.nbr == s || e2.nbr == m {
                            continue;
                        }
                        if sc.paths.len() >= cfg.max_paths_per_vertex {
                            break 'collect;
                        }
                        sc.paths.push(Path {
                            sink: e2.nbr,
                            t1: e1.ts,
                            tx1: e1.tx,
                            t2: e2.ts,
                            tx2: e2.tx,
                            mid: m,
                        });
                    }
                }
                if sc.paths.len() < cfg.min_intermediates {
                    continue;
                }
                sc.paths
                    .sort_unstable_by_key(|p| (p.sink, p.t1, p.tx1, p.t2, p.tx2));
                let mut lo = 0;
                while lo < sc.paths.len() {
                    let sink = sc.paths[lo].sink;
                    let hi = lo + sc.paths[lo..].partition_point(|p| p.sink == sink);
                    if hi - lo >= cfg.min_intermediates {
                        sink_group(s, lo..hi, cfg, sc, out);
                    }
                    lo = hi;
                }
            }
        },
    )
}

/// The windows of one (source, sink) group of paths, sorted by first hop.
fn sink_group(
    s: u32,
    group: std::ops::Range<usize>,
    cfg: &ScatterGatherConfig,
    sc: &mut SgScratch,
    out: &mut Vec<Raw>,
) {
    let k = cfg.min_intermediates;
    let w = cfg.window_secs;
    let len = group.len();
    let paths = &sc.paths[group];
    sc.by_t2.clear();
    sc.by_t2.extend(0..len as u32);
    sc.by_t2
        .sort_unstable_by_key(|&j| (paths[j as usize].t2, j));
    sc.state.clear();
    sc.state.resize(len, 0);
    sc.run.clear();
    sc.run.resize(len, 0);
    sc.pending.clear();
    let mut distinct = 0usize;
    let mut q = 0;
    let mut runs = 0u32;
    let mut live = 0usize; // added paths marked with the current run
    for i in 0..len {
        let limit = paths[i].t1.saturating_add(w);
        while q < len && paths[sc.by_t2[q] as usize].t2 <= limit {
            let j = sc.by_t2[q] as usize;
            q += 1;
            if j >= i {
                sc.state[j] = 1;
                let c = &mut sc.count[paths[j].mid as usize];
                if *c == 0 {
                    distinct += 1;
                }
                *c += 1;
                sc.pending.push(j as u32);
            }
        }
        if distinct >= k {
            if live == 0 {
                runs += 1;
            }
            for j in sc.pending.drain(..) {
                let j = j as usize;
                if sc.state[j] == 1 && sc.run[j] != runs {
                    sc.run[j] = runs;
                    live += 1;
                }
            }
        }
        if sc.state[i] == 1 {
            sc.state[i] = 2;
            if sc.run[i] == runs && runs > 0 {
                live -= 1;
            }
            let c = &mut sc.count[paths[i].mid as usize];
            *c -= 1;
            if *c == 0 {
                distinct -= 1;
            }
        }
    }
    // Every added path was removed at its own turn: the counts are back to zero.
    for r in 1..=runs {
        let members: Vec<&Path> = (0..len)
            .filter(|&j| sc.run[j] == r)
            .map(|j| &paths[j])
            .collect();
        let sink = paths[0].sink;
        let mut accounts = vec![s, sink];
        accounts.extend(dedup_in_order(members.iter().map(|p| p.mid), &mut sc.marks));
        let mut rows: Vec<(i64, u32)> = members
            .iter()
            .flat_map(|p| [(p.t1, p.tx1), (p.t2, p.tx2)])
            .collect();
        rows.sort_unstable();
        rows.dedup();
        out.push(Raw {
            kind: Pattern::ScatterGather,
            accounts,
            txs: rows.into_iter().map(|(_, tx)| tx).collect(),
            detail: Detail::ScatterGather,
        });
    }
}

struct GsScratch {
    ins: Vec<Edge>,
    outs: Vec<Edge>,
    src: Vec<u32>,
    dst: Vec<u32>,
    seen: Marks,
    marks: Marks,
}

fn add(count: &mut [u32], v: u32, distinct: &mut usize) {
    let c = &mut count[v as usize];
    if *c == 0 {
        *distinct += 1;
    }
    *c += 1;
}

fn sub(count: &mut [u32], v: u32, distinct: &mut usize) {
    let c = &mut count[v as usize];
    *c -= 1;
    if *c == 0 {
        *distinct -= 1;
    }
}

/// The edges of `h` other than self-loops, only the first with each counterparty when `new_only`.
fn filtered(
    edges: crate::graph::Edges<'_>,
    h: u32,
    new_only: bool,
    seen: &mut Marks,
    buf: &mut Vec<Edge>,
) {
    buf.clear();
    seen.clear();
    for e in edges.iter() {
        if e.nbr == h || (new_only && !seen.insert(e.nbr)) {
            continue;
        }
        buf.push(e);
    }
}

pub(crate) fn gather_scatter(
    g: &TemporalGraph,
    cfg: &GatherScatterConfig,
    threads: usize,
) -> Vec<Raw> {
    let n = g.n_vertices();
    let (k1, k2, w) = (cfg.min_sources, cfg.min_destinations, cfg.window_secs);
    par_vertices(
        n,
        threads,
        4096,
        || GsScratch {
            ins: Vec::new(),
            outs: Vec::new(),
            src: vec![0; n],
            dst: vec![0; n],
            seen: Marks::new(n),
            marks: Marks::new(n),
        },
        |sc, range, out| {
            for h in range {
                if g.in_edges(h).len() < k1 || g.out_edges(h).len() < k2 {
                    continue;
                }
                filtered(
                    g.in_edges(h),
                    h,
                    cfg.new_counterparties_only,
                    &mut sc.seen,
                    &mut sc.ins,
                );
                filtered(
                    g.out_edges(h),
                    h,
                    cfg.new_counterparties_only,
                    &mut sc.seen,
                    &mut sc.outs,
                );
                if sc.ins.len() < k1 || sc.outs.len() < k2 {
                    continue;
                }
                let (ins, outs) = (&sc.ins, &sc.outs);
                let (mut p, mut n_src) = (0usize, 0usize);
                let (mut q_lo, mut q_hi, mut n_dst) = (0usize, 0usize, 0usize);
                // (in_lo, in_hi, out_lo, out_hi) of the current run.
                let mut run: Option<(usize, usize, usize, usize)> = None;
                let mut runs = Vec::new();
                for i in 0..ins.len() {
                    let end = ins[i].ts.saturating_add(w);
                    while n_src < k1 && p < ins.len() && ins[p].ts <= end {
                        add(&mut sc.src, ins[p].nbr, &mut n_src);
                        p += 1;
                    }
                    if n_src >= k1 {
                        let split = ins[p - 1].ts;
                        while q_hi < outs.len() && outs[q_hi].ts <= end {
                            add(&mut sc.dst, outs[q_hi].nbr, &mut n_dst);
                            q_hi += 1;
                        }
                        while q_lo < q_hi && outs[q_lo].ts < split {
                            sub(&mut sc.dst, outs[q_lo].nbr, &mut n_dst);
                            q_lo += 1;
                        }
                        if n_dst >= k2 {
                            run = match run {
                                Some((a, b, c, d)) if i < b || q_lo < d => {
                                    Some((a, p.max(b), c, q_hi.max(d)))
                                }
                                Some(r) => {
                                    runs.push(r);
                                    Some((i, p, q_lo, q_hi))
                                }
                                None => Some((i, p, q_lo, q_hi)),
                            };
                        }
                    }
                    // `p > i` always: the loop above takes at least `ins[i]` itself.
                    sub(&mut sc.src, ins[i].nbr, &mut n_src);
                }
                for e in &outs[q_lo..q_hi] {
                    sub(&mut sc.dst, e.nbr, &mut n_dst);
                }
                runs.extend(run);
                for (a, b, c, d) in runs {
                    let gathered = &ins[a..b];
                    let scattered = &outs[c..d];
                    let mut accounts = vec![h];
                    let srcs = dedup_in_order(gathered.iter().map(|e| e.nbr), &mut sc.marks);
                    let sources = srcs.len();
                    accounts.extend(srcs);
                    accounts.extend(dedup_in_order(
                        scattered.iter().map(|e| e.nbr),
                        &mut sc.marks,
                    ));
                    let mut rows: Vec<(i64, u32)> = gathered
                        .iter()
                        .chain(scattered)
                        .map(|e| (e.ts, e.tx))
                        .collect();
                    rows.sort_unstable();
                    out.push(Raw {
                        kind: Pattern::GatherScatter,
                        accounts,
                        txs: rows.into_iter().map(|(_, tx)| tx).collect(),
                        detail: Detail::GatherScatter { sources },
                    });
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::mine::tests::{only, run, D};
    use crate::pattern::Pattern;

    /// Source 0 pays intermediates 10.. at day `i`, each pays sink 99 at the given day.
    fn sg(forward_days: &[i64]) -> Vec<(i64, u32, u32, i64)> {
        let mut rows = vec![];
        for (i, _) in forward_days.iter().enumerate() {
            rows.push((i as i64 * D, 0, 10 + i as u32, 100));
        }
        for (i, &d) in forward_days.iter().enumerate() {
            rows.push((d * D, 10 + i as u32, 99, 90));
        }
        rows
    }

    #[test]
    fn scatter_gather_through_three_intermediates() {
        let found = run(&sg(&[5, 6, 7]), &only(Pattern::ScatterGather));
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(f.accounts, vec![0, 99, 10, 11, 12]);
        assert_eq!(f.txs, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(
            f.reason,
            "scatter-gather: #0 paid 300.00 KZT to 3 intermediates (#10, #11, #12), which \
             passed 270.00 KZT on to #99 between 1970-01-01T00:00:00Z and \
             1970-01-08T00:00:00Z (window 30 days)"
        );
    }

    #[test]
    fn scatter_gather_needs_the_forward_within_the_window_and_after_the_payment() {
        // The third intermediate forwards one second after the window from the first hop.
        let mut rows = sg(&[5, 6, 7]);
        rows[5].0 = 30 * D + 1;
        assert!(run(&rows, &only(Pattern::ScatterGather)).is_empty());
        // Forwarding before being paid does not count.
        let mut rows = sg(&[5, 6, 7]);
        rows[2].0 = 8 * D; // 0 → 12 now after 12 → 99 at day 7
        assert!(run(&rows, &only(Pattern::ScatterGather)).is_empty());
        // Two intermediates are not enough; a busy hub is not an intermediate.
        assert!(run(&sg(&[5, 6]), &only(Pattern::ScatterGather)).is_empty());
        let mut rows = sg(&[5, 6, 7]);
        for i in 0..21 {
            rows.push((8 * D, 12, 200 + i, 1));
        }
        assert!(run(&rows, &only(Pattern::ScatterGather)).is_empty());
    }

    /// Senders 1..=k1 pay hub 50 on days 0.., the hub pays 60.. on the given days.
    fn gs(k1: u32, out_days: &[i64]) -> Vec<(i64, u32, u32, i64)> {
        let mut rows: Vec<_> = (1..=k1).map(|s| (i64::from(s) * D, s, 50, 100)).collect();
        for (i, &d) in out_days.iter().enumerate() {
            rows.push((d * D, 50, 60 + i as u32, 80));
        }
        rows
    }

    #[test]
    fn gather_scatter_of_three_and_three() {
        let found = run(&gs(3, &[10, 11, 12]), &only(Pattern::GatherScatter));
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.accounts, vec![50, 1, 2, 3, 60, 61, 62]);
        assert_eq!(f.txs, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(
            f.reason,
            "gather-scatter: 3 senders (#1, #2, #3) paid 300.00 KZT into #50 between \
             1970-01-02T00:00:00Z and 1970-01-04T00:00:00Z, which then paid 240.00 KZT to 3 \
             receivers (#60, #61, #62) between 1970-01-11T00:00:00Z and 1970-01-13T00:00:00Z \
             (window 30 days)"
        );
    }

    #[test]
    fn gather_scatter_near_misses() {
        // Two senders (days 1 and 2), two receivers: the second paid exactly 30 days after the
        // first payment in is found, one second later is not.
        let mut rows = gs(2, &[10, 31]);
        let found = run(&rows, &only(Pattern::GatherScatter));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].accounts, vec![50, 1, 2, 60, 61]);
        rows[3].0 += 1;
        assert!(run(&rows, &only(Pattern::GatherScatter)).is_empty());
        // A payment out before the second sender has paid does not count.
        let rows = gs(2, &[1, 11]);
        assert!(run(&rows, &only(Pattern::GatherScatter)).is_empty());
        // One sender is not a gather.
        assert!(run(&gs(1, &[10, 11, 12]), &only(Pattern::GatherScatter)).is_empty());
        // Larger minimums are honoured.
        let mut c = only(Pattern::GatherScatter);
        c.gather_scatter.min_sources = 3;
        assert!(run(&gs(2, &[10, 11, 12]), &c).is_empty());
        assert_eq!(run(&gs(3, &[10, 11, 12]), &c).len(), 1);
    }
}
