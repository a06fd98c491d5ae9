//! Cycles: money that comes back to the account it left, within a window. Two kinds, chosen by
//! [`HopOrder`]: time-respecting cycles (this module) and windowed order-free cycles
//! ([`super::lc_cycle`]); with [`HopOrder::Both`] both run and an order-free ring already found
//! as a time-respecting one within one window is not reported twice.
//!
//! **Time-respecting search.** A temporal Johnson / 2SCENT-style depth-first search from every
//! edge as the first hop `s → u` at time `t0`. It follows only edges within `[t0, t0 + W]` and
//! no earlier than the hop before, never revisits an account of the path, and closes when an
//! edge leads back to `s` with at least `min_len` and at most `max_len` hops.
//!
//! **Pruning.** The out-edges of `s` are taken in blocks whose first hops lie within one window
//! `[a, a + W)`. For each block, a time-bounded reverse search from `s` over in-edges with times
//! in `[a, a + 2W]` labels every account `x` with `L(x)`, the latest time at which a
//! time-respecting path can leave `x` and still reach `s` (a max-label Dijkstra: labels are set
//! in decreasing order, `L(s) = a + 2W`, an in-edge `x → y` at `t <= L(y)` gives `L(x) >= t`).
//! The search then steps to `y` at time `t` only if `L(y) >= t`: accounts that cannot get the
//! money back to `s` in the remaining time are never entered. When the search runs out of
//! budget the accounts it has not settled keep the bound "at most the last label settled",
//! which is still a sound (weaker) pruning.
//!
//! **Budget.** Edge visits (reverse and depth-first search together) are pooled: see [`Pool`].
//!
//! **Duplicates.** A cycle whose hops are not all at one time has exactly one rotation with
//! non-decreasing times, so it is found once, from its first hop; when all hops share one time
//! it is kept only from the hop with the lowest row. So each cycle is reported once, with no
//! shared state between threads. A start account reports the same ring of accounts at most
//! once per block, and at most `max_per_vertex` cycles per block.

use super::lc_cycle::{self, Found};
use super::{par_vertices, Detail, Marks, Raw};
use crate::config::{CycleConfig, HopOrder};
use crate::graph::{Edge, TemporalGraph};
use crate::pattern::Pattern;
use std::collections::BinaryHeap;
use std::collections::HashMap;

/// A vertex being expanded: `next..end` index its out-edges, or, for the last hop, its
/// closing edges in `Scratch::close`.
struct Frame {
    v: u32,
    next: usize,
    end: usize,
    closing: bool,
}

struct Scratch {
    label: Vec<i64>,
    labelled: Marks,
    done: Marks,
    heap: BinaryHeap<(i64, u32)>,
    on_path: Marks,
    frames: Vec<Frame>,
    path: Vec<Edge>,
    /// Rings reported from the current start account in the current block.
    reported: Vec<Vec<u32>>,
    /// The edges into the start account in the block's time range, by (sender, time, row), and
    /// where each sender's run starts: the last hop of a cycle is looked up here instead of
    /// scanning the sender's out-edges.
    close: Vec<Edge>,
    close_at: Vec<u32>,
    closers: Marks,
}

/// What the reverse search learnt: settled accounts carry exact labels; when it stopped early,
/// every other account's label is at most `cut`.
#[derive(Clone, Copy)]
struct Bound {
    truncated: bool,
    cut: i64,
}

/// Work counter for one start account and block.
pub(crate) struct Budget {
    pub used: usize,
    pub max: usize,
}

impl Budget {
    pub fn spend(&mut self) -> bool {
        self.used += 1;
        self.used <= self.max
    }
}

/// Start accounts per chunk of the parallel pass; the work budget is pooled per chunk.
pub(crate) const CHUNK: usize = 256;

/// The work budget of a cycle search: `max_work_total` edge visits shared among the (start
/// account, window of start times) pairs. Each chunk of start accounts gets the share of its
/// pairs; within a chunk a block takes an even share of what is left (at most
/// `max_work_per_window`, at least 64), so what sparse blocks leave unused goes to the blocks
/// after them. Chunks are fixed ranges of accounts, so the budgets, and the output, do not
/// depend on the thread count.
pub(crate) struct Pool {
    pairs: u64,
    total: u64,
    per_window: usize,
    left: u64,
    blocks_left: u64,
}

impl Pool {
    pub fn new(g: &TemporalGraph, cfg: &CycleConfig) -> Pool {
        let pairs: u64 = (0..g.n_vertices() as u32)
            .map(|s| blocks(g, s, cfg.window_secs).count() as u64)
            .sum();
        Pool {
            pairs,
            total: cfg.max_work_total,
            per_window: cfg.max_work_per_window,
            left: cfg.max_work_total,
            blocks_left: pairs,
        }
    }

    /// The pool of the start accounts in `range`.
    pub fn for_chunk(&self, g: &TemporalGraph, w: i64, range: std::ops::Range<u32>) -> Pool {
        let mine: u64 = range.map(|s| blocks(g, s, w).count() as u64).sum();
        let share = u128::from(self.total) * u128::from(mine) / u128::from(self.pairs.max(1));
        Pool {
            pairs: mine,
            total: self.total,
            per_window: self.per_window,
            left: u64::try_from(share).unwrap_or(u64::MAX),
            blocks_left: mine,
        }
    }

    /// The budget of the next block.
    pub fn take(&mut self) -> Budget {
        let share = self.left / self.blocks_left.max(1);
        self.blocks_left = self.blocks_left.saturating_sub(1);
        let max = usize::try_from(share)
            .unwrap_or(usize::MAX)
            .clamp(self.per_window.min(64), self.per_window);
        Budget { used: 0, max }
    }

    /// Charges what a block used.
    pub fn give_back(&mut self, b: &Budget) {
        self.left = self.left.saturating_sub(b.used.min(b.max) as u64);
    }
}

pub(crate) fn mine(g: &TemporalGraph, cfg: &CycleConfig, threads: usize) -> Vec<Raw> {
    let only;
    let g = match (cfg.new_counterparties_only, cfg.one_off_hops) {
        (false, false) => g,
        (new, one_off) => {
            let first = new.then(|| g.first_contacts());
            let once = one_off.then(|| g.one_off_within(cfg.window_secs));
            let pass =
                |keep: &Option<Vec<bool>>, row: u32| keep.as_ref().is_none_or(|k| k[row as usize]);
            only = g.filtered(&|row| pass(&first, row) && pass(&once, row));
            &only
        }
    };
    let temporal = match cfg.hop_order {
        HopOrder::NonDecreasing | HopOrder::Both => temporal(g, cfg, threads),
        HopOrder::Any => Vec::new(),
    };
    if cfg.hop_order == HopOrder::NonDecreasing {
        return temporal.into_iter().map(|f| f.raw).collect();
    }
    let any = lc_cycle::mine(g, cfg, threads);
    // With both kinds, a ring already reported as a temporal cycle within one window of the
    // order-free one is not reported again: the temporal finding is the stronger.
    let mut known: HashMap<Vec<u32>, Vec<i64>> = HashMap::new();
    for f in &temporal {
        known
            .entry(lc_cycle::canonical_ring(&f.raw.accounts))
            .or_default()
            .push(f.first);
    }
    let w = cfg.window_secs;
    let fresh = any.into_iter().filter(|f| {
        known
            .get(&lc_cycle::canonical_ring(&f.raw.accounts))
            .is_none_or(|ts| ts.iter().all(|&t| (t - f.first).abs() > w))
    });
    temporal.into_iter().chain(fresh).map(|f| f.raw).collect()
}

/// The time-respecting search (see the module doc).
fn temporal(g: &TemporalGraph, cfg: &CycleConfig, threads: usize) -> Vec<Found> {
    let n = g.n_vertices();
    let pool = Pool::new(g, cfg);
    par_vertices(
        n,
        threads,
        CHUNK,
        || Scratch {
            label: vec![0; n],
            labelled: Marks::new(n),
            done: Marks::new(n),
            heap: BinaryHeap::new(),
            on_path: Marks::new(n),
            frames: Vec::new(),
            path: Vec::new(),
            reported: Vec::new(),
            close: Vec::new(),
            close_at: vec![0; n],
            closers: Marks::new(n),
        },
        |sc, range, out| {
            let mut pool = pool.for_chunk(g, cfg.window_secs, range.clone());
            for s in range {
                from_start(g, cfg, s, &mut pool, sc, out);
            }
        },
    )
}

/// The windows of start times of `s`: `(first, end)` index ranges of its out-edges.
pub(crate) fn blocks(
    g: &TemporalGraph,
    s: u32,
    w: i64,
) -> impl Iterator<Item = (usize, usize)> + '_ {
    let outs = g.out_edges(s);
    let closable = !outs.is_empty() && !g.in_edges(s).is_empty();
    let mut b = if closable { 0 } else { outs.len() };
    std::iter::from_fn(move || {
        if b >= outs.len() {
            return None;
        }
        let a = outs.ts[b];
        let end = b + outs.ts[b..].partition_point(|&t| t < a.saturating_add(w));
        let r = (b, end);
        b = end;
        Some(r)
    })
}

fn from_start(
    g: &TemporalGraph,
    cfg: &CycleConfig,
    s: u32,
    pool: &mut Pool,
    sc: &mut Scratch,
    out: &mut Vec<Found>,
) {
    let outs = g.out_edges(s);
    let w = cfg.window_secs;
    for (b, end) in blocks(g, s, w) {
        let mut found = 0usize;
        let a = outs.ts[b];
        let hi = a.saturating_add(w.saturating_mul(2));
        // The reverse search may use half the block's budget; the depth-first search the rest.
        let mut budget = pool.take();
        let full = budget.max;
        budget.max = full / 2;
        let bound = reverse(g, s, a, hi, sc, &mut budget);
        budget.max = full;
        // Closing edges: `e.nbr` is the sender here.
        sc.close.clear();
        sc.close
            .extend(g.in_edges_in(s, a, hi).iter().filter(|e| e.nbr != s));
        sc.close.sort_unstable_by_key(|e| (e.nbr, e.ts, e.tx));
        sc.closers.clear();
        for (i, e) in sc.close.iter().enumerate() {
            if sc.closers.insert(e.nbr) {
                sc.close_at[e.nbr as usize] = i as u32;
            }
        }
        sc.reported.clear();
        for i in b..end {
            let e0 = outs.get(i);
            if e0.nbr == s || !allows(sc, bound, e0.nbr, e0.ts) {
                continue;
            }
            if !dfs(g, cfg, s, e0, bound, sc, &mut budget, &mut found, out) {
                break;
            }
        }
        pool.give_back(&budget);
    }
}

/// The max-label reverse search from `s` over in-edges with times in `[lo, hi]`.
fn reverse(
    g: &TemporalGraph,
    s: u32,
    lo: i64,
    hi: i64,
    sc: &mut Scratch,
    budget: &mut Budget,
) -> Bound {
    sc.labelled.clear();
    sc.done.clear();
    sc.heap.clear();
    sc.label[s as usize] = hi;
    sc.labelled.insert(s);
    sc.heap.push((hi, s));
    while let Some((l, x)) = sc.heap.pop() {
        if sc.done.contains(x) || sc.label[x as usize] != l {
            continue;
        }
        if budget.used >= budget.max {
            return Bound {
                truncated: true,
                cut: l,
            };
        }
        sc.done.insert(x);
        let upper = l.min(hi);
        let ins = g.in_edges(x);
        // Latest first: the best label for each predecessor comes first.
        for i in ins.range_in(lo, upper).rev() {
            if !budget.spend() {
                // `x`'s own label is exact, its predecessors' may not be: bound them by it.
                return Bound {
                    truncated: true,
                    cut: l,
                };
            }
            let (p, t) = (ins.nbr[i], ins.ts[i]);
            if p == s || sc.done.contains(p) {
                continue;
            }
            if sc.labelled.contains(p) && sc.label[p as usize] >= t {
                continue;
            }
            sc.label[p as usize] = t;
            sc.labelled.insert(p);
            sc.heap.push((t, p));
        }
    }
    Bound {
        truncated: false,
        cut: i64::MIN,
    }
}

/// Whether a path that is at `v` at time `t` may still get back to the start.
fn allows(sc: &Scratch, bound: Bound, v: u32, t: i64) -> bool {
    let latest = if sc.done.contains(v) {
        sc.label[v as usize]
    } else if bound.truncated {
        bound.cut
    } else {
        return false;
    };
    latest >= t
}

#[allow(clippy::too_many_arguments)]
fn dfs(
    g: &TemporalGraph,
    cfg: &CycleConfig,
    s: u32,
    e0: Edge,
    bound: Bound,
    sc: &mut Scratch,
    budget: &mut Budget,
    found: &mut usize,
    out: &mut Vec<Found>,
) -> bool {
    let t0 = e0.ts;
    let end = t0.saturating_add(cfg.window_secs);
    sc.on_path.clear();
    sc.on_path.insert(s);
    sc.on_path.insert(e0.nbr);
    sc.path.clear();
    sc.path.push(e0);
    sc.frames.clear();
    // The frame of `v`, reached at `arrived` by a path of `hops` edges.
    let frame = |sc: &Scratch, v: u32, arrived: i64, hops: usize| {
        let lo = arrived;
        if hops + 1 == cfg.max_len {
            // Only the closing hop is left: v's edges to s.
            if !sc.closers.contains(v) {
                return Frame {
                    v,
                    next: 0,
                    end: 0,
                    closing: true,
                };
            }
            let from = sc.close_at[v as usize] as usize;
            let run = sc.close[from..].partition_point(|e| e.nbr == v);
            let mine = &sc.close[from..from + run];
            let lo_i = mine.partition_point(|e| e.ts < lo);
            let hi_i = lo_i + mine[lo_i..].partition_point(|e| e.ts <= end);
            return Frame {
                v,
                next: from + lo_i,
                end: from + hi_i,
                closing: true,
            };
        }
        let r = g.out_edges(v).range_in(lo, end);
        Frame {
            v,
            next: r.start,
            end: r.end,
            closing: false,
        }
    };
    let first = frame(sc, e0.nbr, t0, 1);
    sc.frames.push(first);
    while let Some(f) = sc.frames.last_mut() {
        if f.next == f.end {
            sc.frames.pop();
            if let Some(e) = sc.path.pop() {
                sc.on_path.remove(e.nbr);
            }
            continue;
        }
        let e = if f.closing {
            let c = sc.close[f.next];
            Edge {
                nbr: s,
                tx: c.tx,
                ts: c.ts,
            }
        } else {
            g.out_edges(f.v).get(f.next)
        };
        f.next += 1;
        if !budget.spend() {
            return false;
        }
        if e.nbr == s {
            let len = sc.path.len() + 1;
            if len < cfg.min_len || !canonical(&sc.path, e) {
                continue;
            }
            let accounts: Vec<u32> = std::iter::once(s)
                .chain(sc.path[..len - 1].iter().map(|p| p.nbr))
                .collect();
            if sc.reported.contains(&accounts) {
                continue;
            }
            sc.reported.push(accounts.clone());
            out.push(Found {
                raw: Raw {
                    kind: Pattern::Cycle,
                    accounts,
                    txs: sc.path.iter().map(|p| p.tx).chain([e.tx]).collect(),
                    detail: Detail::Cycle { temporal: true },
                },
                first: t0,
            });
            *found += 1;
            if *found >= cfg.max_per_vertex {
                return false;
            }
            continue;
        }
        if sc.path.len() + 1 >= cfg.max_len
            || sc.on_path.contains(e.nbr)
            || !allows(sc, bound, e.nbr, e.ts)
        {
            continue;
        }
        sc.path.push(e);
        sc.on_path.insert(e.nbr);
        let next = frame(sc, e.nbr, e.ts, sc.path.len());
        sc.frames.push(next);
    }
    true
}

/// Whether the cycle `path + closing` is reported from this start edge (see the module doc).
fn canonical(path: &[Edge], closing: Edge) -> bool {
    let t0 = path[0].ts;
    let all_same = path.iter().all(|e| e.ts == t0) && closing.ts == t0;
    !all_same || path.iter().chain([&closing]).all(|e| e.tx >= path[0].tx)
}

#[cfg(test)]
mod tests {
    use crate::config::HopOrder;
    use crate::mine::tests::{only, run, D};
    use crate::pattern::Pattern;

    fn cycles(rows: &[(i64, u32, u32, i64)]) -> Vec<(Vec<u32>, Vec<u32>)> {
        run(rows, &only(Pattern::Cycle))
            .into_iter()
            .map(|c| (c.accounts, c.txs))
            .collect()
    }

    #[test]
    fn time_respecting_triangle_is_found_once() {
        let rows = [(D, 1, 2, 100), (2 * D, 2, 3, 90), (3 * D, 3, 1, 80)];
        let found = run(&rows, &only(Pattern::Cycle));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].accounts, vec![1, 2, 3]);
        assert_eq!(found[0].txs, vec![0, 1, 2]);
        assert_eq!(found[0].total.0, 270 * 100);
        assert_eq!(
            found[0].reason,
            "cycle: 3 transfers moved 270.00 KZT round #1 → #2 → #3 → #1 between \
             1970-01-02T00:00:00Z and 1970-01-04T00:00:00Z (within 30 days, each hop no \
             earlier than the one before)"
        );
    }

    #[test]
    fn closing_hop_earlier_than_the_previous_is_no_cycle() {
        // 1→2 day 1, 2→3 day 3, 3→1 day 2: the money cannot have come round.
        let rows = [(D, 1, 2, 100), (3 * D, 2, 3, 90), (2 * D, 3, 1, 80)];
        assert!(cycles(&rows).is_empty());
        // Hops in any order find it, once, from its earliest hop.
        let mut c = only(Pattern::Cycle);
        c.cycle.hop_order = HopOrder::Any;
        let t = crate::graph::tests::store(&rows);
        let g = crate::TemporalGraph::build(&t).unwrap();
        let found = crate::mine(&g, &t, &c).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].accounts, vec![1, 2, 3]);
        assert!(found[0].reason.contains("hops in any order"));
    }

    #[test]
    fn window_bounds_the_whole_cycle() {
        let w = 30 * D;
        let ok = [(0, 1, 2, 1), (D, 2, 3, 1), (w, 3, 1, 1)];
        assert_eq!(cycles(&ok).len(), 1);
        let late = [(0, 1, 2, 1), (D, 2, 3, 1), (w + 1, 3, 1, 1)];
        assert!(cycles(&late).is_empty());
    }

    #[test]
    fn equal_times_count_as_in_order_and_are_reported_once() {
        let rows = [(5, 1, 2, 1), (5, 2, 3, 1), (5, 3, 1, 1)];
        let found = cycles(&rows);
        assert_eq!(found, vec![(vec![1, 2, 3], vec![0, 1, 2])]);
    }

    #[test]
    fn lengths_are_bounded_and_self_loops_ignored() {
        // A 2-cycle, a self-loop and an 11-account ring.
        let mut rows = vec![(0, 1, 2, 1), (1, 2, 1, 1), (2, 3, 3, 1)];
        for i in 0..11u32 {
            rows.push((10 + i64::from(i), 100 + i, 100 + (i + 1) % 11, 1));
        }
        let found = cycles(&rows);
        assert_eq!(found, vec![(vec![1, 2], vec![0, 1])]);
        let mut c = only(Pattern::Cycle);
        c.cycle.min_len = 3;
        c.cycle.max_len = 11;
        let got = run(&rows, &c);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].accounts.len(), 11);
    }

    #[test]
    fn pruning_keeps_every_cycle_of_a_tangle() {
        // Two rings sharing account 1, plus a sink, a source, and a detour 2 → 8 → 3 that
        // reaches 3 only after 3 has paid 1.
        let rows = [
            (1, 1, 2, 1),
            (2, 2, 3, 1),
            (3, 3, 1, 1),
            (4, 1, 4, 1),
            (5, 4, 5, 1),
            (6, 5, 1, 1),
            (7, 2, 6, 1),
            (1, 7, 1, 1),
            (2, 2, 8, 1),
            (10, 8, 3, 1),
        ];
        let found = cycles(&rows);
        assert_eq!(
            found,
            vec![
                (vec![1, 2, 3], vec![0, 1, 2]),
                (vec![1, 4, 5], vec![3, 4, 5])
            ]
        );
    }

    #[test]
    fn cap_per_start_account() {
        // Account 1 pays 2..=21 at day 1, each pays back at day 2: 20 2-cycles from account 1.
        let mut rows = vec![];
        for v in 2..22u32 {
            rows.push((D, 1, v, 1));
            rows.push((2 * D, v, 1, 1));
        }
        let mut c = only(Pattern::Cycle);
        c.cycle.max_per_vertex = 7;
        assert_eq!(run(&rows, &c).len(), 7);
        assert_eq!(cycles(&rows).len(), 10, "default cap");
    }

    #[test]
    fn same_ring_is_reported_once_per_block_but_again_later() {
        // 1 → 2 → 1 three times in one month, and once more a year later.
        let rows = [
            (D, 1, 2, 1),
            (2 * D, 2, 1, 1),
            (3 * D, 1, 2, 1),
            (4 * D, 2, 1, 1),
            (400 * D, 1, 2, 1),
            (401 * D, 2, 1, 1),
        ];
        let found = cycles(&rows);
        // From account 1: once in each block. From account 2: the ring 2 → 1 → 2 (day 2 → 3).
        assert_eq!(
            found,
            vec![
                (vec![1, 2], vec![0, 1]),
                (vec![1, 2], vec![4, 5]),
                (vec![2, 1], vec![1, 2]),
            ]
        );
    }

    #[test]
    fn new_counterparties_only_skips_rings_of_old_partners() {
        // 1 and 2 traded long ago; the ring 1 → 2 → 3 → 1 reuses that pair. The ring
        // 4 → 5 → 6 → 4 is of strangers.
        let rows = [
            (0, 1, 2, 1),
            (100 * D, 1, 2, 1),
            (101 * D, 2, 3, 1),
            (102 * D, 3, 1, 1),
            (100 * D, 4, 5, 1),
            (101 * D, 5, 6, 1),
            (102 * D, 6, 4, 1),
        ];
        let mut c = only(Pattern::Cycle);
        assert_eq!(run(&rows, &c).len(), 2);
        c.cycle.new_counterparties_only = true;
        let found = run(&rows, &c);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].accounts, vec![4, 5, 6]);
    }

    #[test]
    fn tiny_budget_finds_less_but_never_wrong_cycles() {
        let rows = [(1, 1, 2, 1), (2, 2, 3, 1), (3, 3, 1, 1), (4, 3, 2, 1)];
        let mut c = only(Pattern::Cycle);
        c.cycle.max_work_per_window = 2;
        for f in run(&rows, &c) {
            assert_eq!(f.accounts, vec![1, 2, 3]);
        }
    }
}
