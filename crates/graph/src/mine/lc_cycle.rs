//! Windowed order-free cycles: a ring of distinct accounts each paying the next, closing back
//! at the first, with every hop inside one window but in any time order. This is IBM GFP's
//! "length-constrained simple cycle" (lc-cycle) and what a ring looks like when its members pay
//! on from their own funds before they are paid — as AMLSim plants its cycles.
//!
//! **Search.** Every edge `s → u` at `(t0, row0)` is tried as the *earliest* hop of a cycle: a
//! depth-first search from `u` follows only edges with time in `[t0, t0 + W]` that come after
//! `(t0, row0)` in (time, row) order, never revisits an account of the path, and closes on an
//! edge back to `s` with `min_len..=max_len` hops. So a cycle (a set of edges) is found from
//! its earliest hop only. At each step only the first edge to each neighbour is followed:
//! order does not matter, so parallel edges (the same pair paying again within the window)
//! would only find the same ring of accounts again.
//!
//! **Pruning.** The out-edges of `s` are taken in blocks whose first hops lie within one window
//! `[a, a + W)`, like the temporal search. Per block, a breadth-first search from `s` backwards
//! over in-edges with times in `[a, a + 2W]` gives every account its hop distance `d(x)` to
//! `s`; the search enters `x` on hop `h` only if `h + d(x) <= max_len`. When the breadth-first
//! search runs out of budget after completing level `c`, accounts it did not reach get the
//! bound `c + 1`, which is still sound. This is the length-constrained pruning of
//! Peng et al. (barrier search), specialised to one window.
//!
//! **Budget.** The block's budget (see [`super::cycle::Pool`]) is shared among its first hops:
//! each takes an even share of what is left, so a busy early hop cannot starve the later ones.
//!
//! **Duplicates.** A start account reports a ring of accounts at most once per block, and
//! `max_per_first_hop` rings per first hop. A ring found again from another start account or a later
//! block within one window of an already reported instance of the same ring (as a set of
//! accounts in cyclic order) is dropped in a final sequential pass, so repeated payments round
//! one ring are one instance per window.

use super::cycle::{blocks, Budget, Pool};
use super::{par_vertices, Detail, Marks, Raw};
use crate::config::CycleConfig;
use crate::graph::{Edge, TemporalGraph};
use crate::pattern::Pattern;

struct Frame {
    v: u32,
    next: usize,
    end: usize,
    closing: bool,
}

pub(crate) struct Scratch {
    dist: Vec<u8>,
    reached: Marks,
    queue: Vec<u32>,
    /// Levels of the breadth-first search known complete: unreached accounts are farther.
    complete: u8,
    on_path: Marks,
    /// Per depth, the neighbours already followed from that depth's account.
    tried: Vec<Marks>,
    frames: Vec<Frame>,
    path: Vec<Edge>,
    reported: Vec<Vec<u32>>,
    close: Vec<Edge>,
    close_at: Vec<u32>,
    closers: Marks,
}

impl Scratch {
    fn new(n: usize, max_len: usize) -> Scratch {
        Scratch {
            dist: vec![0; n],
            reached: Marks::new(n),
            queue: Vec::new(),
            complete: 0,
            on_path: Marks::new(n),
            tried: (0..=max_len).map(|_| Marks::new(n)).collect(),
            frames: Vec::new(),
            path: Vec::new(),
            reported: Vec::new(),
            close: Vec::new(),
            close_at: vec![0; n],
            closers: Marks::new(n),
        }
    }

    /// A lower bound on the hops from `x` back to the start account.
    fn lower(&self, x: u32) -> usize {
        if self.reached.contains(x) {
            usize::from(self.dist[x as usize])
        } else {
            usize::from(self.complete) + 1
        }
    }
}

/// A found cycle with the time of its earliest hop, for the duplicate pass.
pub(crate) struct Found {
    pub raw: Raw,
    pub first: i64,
}

pub(crate) fn mine(g: &TemporalGraph, cfg: &CycleConfig, threads: usize) -> Vec<Found> {
    let n = g.n_vertices();
    let w = cfg.window_secs;
    let pool = Pool::new(g, cfg);
    let found = par_vertices(
        n,
        threads,
        super::cycle::CHUNK,
        || Scratch::new(n, cfg.max_len),
        |sc, range, out| {
            let mut budget = pool.for_chunk(g, w, range.clone());
            for s in range {
                from_start(g, cfg, s, &mut budget, sc, out);
            }
        },
    );
    drop_repeats(found, w)
}

/// Keeps the first instance of each ring (accounts in cyclic order) per window, in the order
/// found. Deterministic: decided on (ring, first time, position) only.
pub(crate) fn drop_repeats(found: Vec<Found>, w: i64) -> Vec<Found> {
    let mut order: Vec<(Vec<u32>, i64, usize)> = found
        .iter()
        .enumerate()
        .map(|(i, f)| (canonical_ring(&f.raw.accounts), f.first, i))
        .collect();
    order.sort_unstable();
    let mut keep = vec![false; found.len()];
    let mut last: Option<(&[u32], i64)> = None;
    for (ring, first, i) in &order {
        let repeat = matches!(last, Some((r, t)) if r == ring.as_slice() && first - t <= w);
        if !repeat {
            keep[*i] = true;
            last = Some((ring, *first));
        }
    }
    found
        .into_iter()
        .zip(keep)
        .filter_map(|(f, k)| k.then_some(f))
        .collect()
}

/// The rotation of a ring that starts at its smallest account.
pub(crate) fn canonical_ring(accounts: &[u32]) -> Vec<u32> {
    let at = accounts
        .iter()
        .enumerate()
        .min_by_key(|&(_, a)| a)
        .map_or(0, |(i, _)| i);
    accounts[at..]
        .iter()
        .chain(&accounts[..at])
        .copied()
        .collect()
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
        let a = outs.ts[b];
        let hi = a.saturating_add(w.saturating_mul(2));
        let mut budget = pool.take();
        // The breadth-first search may use half the block's budget, the depth-first the rest.
        let full = budget.max;
        budget.max = full / 2;
        distances(g, s, a, hi, cfg.max_len, sc, &mut budget);
        budget.max = full;
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
        // Each first hop gets an even share of what the block has left, so that a busy early
        // hop cannot starve the later ones; what one leaves unused goes to those after it.
        let mut spent = budget.used;
        for i in b..end {
            let e0 = outs.get(i);
            if e0.nbr == s || 1 + sc.lower(e0.nbr) > cfg.max_len {
                continue;
            }
            let left = budget.max.saturating_sub(spent);
            let mut hop = Budget {
                used: 0,
                max: (left / (end - i)).max(left.min(64)),
            };
            let mut found = 0usize;
            dfs(g, cfg, s, e0, sc, &mut hop, &mut found, out);
            spent += hop.used.min(hop.max);
        }
        budget.used = spent;
        pool.give_back(&budget);
    }
}

/// Breadth-first search from `s` over in-edges with times in `[lo, hi]`, up to `max_len - 1`
/// levels or until the budget is spent.
fn distances(
    g: &TemporalGraph,
    s: u32,
    lo: i64,
    hi: i64,
    max_len: usize,
    sc: &mut Scratch,
    budget: &mut Budget,
) {
    sc.reached.clear();
    sc.queue.clear();
    sc.reached.insert(s);
    sc.dist[s as usize] = 0;
    sc.queue.push(s);
    sc.complete = 0;
    let mut head = 0;
    // Levels beyond max_len - 1 cannot matter: the first hop alone takes one.
    let levels = max_len.saturating_sub(1).min(u8::MAX as usize - 1) as u8;
    for depth in 0..levels {
        let end = sc.queue.len();
        while head < end {
            let x = sc.queue[head];
            head += 1;
            let ins = g.in_edges(x);
            for i in ins.range_in(lo, hi) {
                if !budget.spend() {
                    return;
                }
                let p = ins.nbr[i];
                if sc.reached.insert(p) {
                    sc.dist[p as usize] = depth + 1;
                    sc.queue.push(p);
                }
            }
        }
        sc.complete = depth + 1;
        if sc.queue.len() == end {
            // Nothing new: every account that can reach `s` has been reached.
            sc.complete = u8::MAX - 1;
            return;
        }
    }
    // Past the last level searched, an unreached account is farther than any cycle allows.
    sc.complete = u8::MAX - 1;
}

/// Searches the cycles whose earliest hop is `e0` within `budget`, at most `max_per_first_hop`
/// of them.
#[allow(clippy::too_many_arguments)]
fn dfs(
    g: &TemporalGraph,
    cfg: &CycleConfig,
    s: u32,
    e0: Edge,
    sc: &mut Scratch,
    budget: &mut Budget,
    found: &mut usize,
    out: &mut Vec<Found>,
) {
    let (t0, row0) = (e0.ts, e0.tx);
    let end = t0.saturating_add(cfg.window_secs);
    sc.on_path.clear();
    sc.on_path.insert(s);
    sc.on_path.insert(e0.nbr);
    sc.path.clear();
    sc.path.push(e0);
    sc.frames.clear();
    // The frame of `v`, reached by a path of `hops` edges.
    let frame = |sc: &mut Scratch, v: u32, hops: usize| {
        sc.tried[hops].clear();
        if hops + 1 == cfg.max_len {
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
            let lo_i = mine.partition_point(|e| (e.ts, e.tx) <= (t0, row0));
            let hi_i = lo_i + mine[lo_i..].partition_point(|e| e.ts <= end);
            return Frame {
                v,
                next: from + lo_i,
                end: from + hi_i,
                closing: true,
            };
        }
        let r = g.out_edges(v).range_in(t0, end);
        Frame {
            v,
            next: r.start,
            end: r.end,
            closing: false,
        }
    };
    let first = frame(sc, e0.nbr, 1);
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
            return;
        }
        if (e.ts, e.tx) <= (t0, row0) {
            continue;
        }
        let hops = sc.path.len();
        if !sc.tried[hops].insert(e.nbr) {
            continue;
        }
        if e.nbr == s {
            let len = hops + 1;
            if len < cfg.min_len {
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
                    detail: Detail::Cycle { temporal: false },
                },
                first: t0,
            });
            *found += 1;
            if *found >= cfg.max_per_first_hop {
                return;
            }
            continue;
        }
        if hops + 1 >= cfg.max_len
            || sc.on_path.contains(e.nbr)
            || hops + 1 + sc.lower(e.nbr) > cfg.max_len
        {
            continue;
        }
        sc.path.push(e);
        sc.on_path.insert(e.nbr);
        let next = frame(sc, e.nbr, sc.path.len());
        sc.frames.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_ring;
    use crate::config::HopOrder;
    use crate::graph::tests::store;
    use crate::mine::tests::{only, run, D};
    use crate::pattern::Pattern;
    use crate::{mine, MinerConfig, TemporalGraph};
    use std::collections::BTreeSet;

    fn any() -> MinerConfig {
        let mut c = only(Pattern::Cycle);
        c.cycle.hop_order = HopOrder::Any;
        c
    }

    fn rings(rows: &[(i64, u32, u32, i64)], c: &MinerConfig) -> Vec<Vec<u32>> {
        run(rows, c).into_iter().map(|i| i.accounts).collect()
    }

    /// A ring 1 → 2 → … → n → 1 with hops at the given days, in ring order.
    fn ring(days: &[i64]) -> Vec<(i64, u32, u32, i64)> {
        let n = days.len() as u32;
        days.iter()
            .enumerate()
            .map(|(i, &d)| (d * D, i as u32 + 1, (i as u32 + 1) % n + 1, 100))
            .collect()
    }

    #[test]
    fn out_of_order_ring_is_found_once_from_its_earliest_hop() {
        // 1 → 2 on day 5, 2 → 3 on day 1, 3 → 4 on day 9, 4 → 1 on day 3.
        let rows = ring(&[5, 1, 9, 3]);
        let found = run(&rows, &any());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].accounts, vec![2, 3, 4, 1]);
        assert_eq!(found[0].txs, vec![1, 2, 3, 0]);
        assert_eq!(
            found[0].reason,
            "cycle: 4 transfers moved 400.00 KZT round #2 → #3 → #4 → #1 → #2 between \
             1970-01-02T00:00:00Z and 1970-01-10T00:00:00Z (within 30 days, hops in any order)"
        );
        // Time-respecting cycles do not see it.
        assert!(run(&rows, &only(Pattern::Cycle)).is_empty());
    }

    #[test]
    fn the_whole_ring_must_fit_in_the_window() {
        let w = 30;
        assert_eq!(rings(&ring(&[w, 0, 7]), &any()).len(), 1);
        // The last hop one second past the window from the earliest: no cycle.
        let mut rows = ring(&[w, 0, 7]);
        rows[0].0 += 1;
        assert!(rings(&rows, &any()).is_empty());
    }

    #[test]
    fn lengths_are_bounded() {
        let days: Vec<i64> = (0..11).rev().collect();
        assert!(
            rings(&ring(&days), &any()).is_empty(),
            "11 hops > max_len 10"
        );
        let mut c = any();
        c.cycle.max_len = 11;
        assert_eq!(rings(&ring(&days), &c).len(), 1);
        c.cycle.min_len = 3;
        assert!(rings(&ring(&[2, 1]), &c).is_empty(), "2 hops < min_len 3");
    }

    #[test]
    fn repeated_payments_round_one_ring_are_one_instance_per_window() {
        // The ring paid round three times in ten days, then again 100 days later.
        let mut rows = ring(&[2, 1, 3]);
        rows.extend(ring(&[5, 4, 6]));
        rows.extend(ring(&[8, 7, 9]));
        rows.extend(ring(&[102, 101, 103]));
        let found = run(&rows, &any());
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].first.0, D);
        assert_eq!(found[1].first.0, 101 * D);
    }

    #[test]
    fn one_off_hops_leave_out_regular_partners() {
        // A ring whose hop 2 → 3 is a weekly payment; and a ring of one-off payments.
        let mut rows = ring(&[5, 1, 9]);
        rows.extend([(8 * D, 2, 3, 10), (15 * D, 2, 3, 10)]);
        for (d, from, to) in [(3, 10, 11), (1, 11, 12), (2, 12, 10)] {
            rows.push((d * D, from, to, 50));
        }
        let mut c = any();
        assert_eq!(rings(&rows, &c).len(), 2);
        c.cycle.one_off_hops = true;
        assert_eq!(rings(&rows, &c), vec![vec![11, 12, 10]]);
        // A repeat just outside the window either side does not make a partner regular.
        let mut rows = ring(&[5, 1, 9]);
        rows.extend([(D - 30 * D - 1, 2, 3, 10), (D + 30 * D + 1, 2, 3, 10)]);
        assert_eq!(rings(&rows, &c).len(), 1);
    }

    #[test]
    fn both_kinds_report_a_ring_once_under_its_stronger_kind() {
        // A time-respecting ring and an out-of-order one.
        let mut rows = ring(&[1, 2, 3]);
        for (d, from, to) in [(1, 10, 11), (3, 11, 12), (2, 12, 10)] {
            rows.push((d * D, from, to, 50));
        }
        let mut c = only(Pattern::Cycle);
        c.cycle.hop_order = HopOrder::Both;
        let found = run(&rows, &c);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].accounts, vec![1, 2, 3]);
        assert!(found[0]
            .reason
            .contains("each hop no earlier than the one before"));
        assert_eq!(found[1].accounts, vec![10, 11, 12]);
        assert!(found[1].reason.contains("hops in any order"));
    }

    /// Every ring of a random multigraph that fits a window, by brute force: each edge as the
    /// earliest hop, every simple path over the later edges of its window.
    fn brute_force(rows: &[(i64, u32, u32, i64)], w: i64, max_len: usize) -> BTreeSet<Vec<u32>> {
        let mut out = BTreeSet::new();
        fn walk(
            rows: &[(i64, u32, u32, i64)],
            e0: usize,
            w: i64,
            max_len: usize,
            path: &mut Vec<usize>,
            out: &mut BTreeSet<Vec<u32>>,
        ) {
            let (t0, s) = (rows[e0].0, rows[e0].1);
            let at = rows[*path.last().unwrap()].2;
            // The ring so far: each hop's sender, then where the path stands.
            let mut accounts: Vec<u32> = path.iter().map(|&p| rows[p].1).collect();
            accounts.push(at);
            for (i, r) in rows.iter().enumerate() {
                if r.1 != at || r.1 == r.2 || (r.0, i) <= (t0, e0) || r.0 > t0 + w {
                    continue;
                }
                if r.2 == s {
                    out.insert(super::canonical_ring(&accounts));
                } else if path.len() + 1 < max_len && !accounts.contains(&r.2) {
                    path.push(i);
                    walk(rows, e0, w, max_len, path, out);
                    path.pop();
                }
            }
        }
        for e0 in 0..rows.len() {
            if rows[e0].1 != rows[e0].2 {
                walk(rows, e0, w, max_len, &mut vec![e0], &mut out);
            }
        }
        out
    }

    #[test]
    fn pruned_search_finds_every_ring_brute_force_finds() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let rows: Vec<(i64, u32, u32, i64)> = (0..90)
            .map(|_| {
                let t = next(40) as i64 * D;
                (t, next(14) as u32, next(14) as u32, 1)
            })
            .collect();
        let mut c = any();
        c.cycle.window_secs = 10 * D;
        c.cycle.max_len = 5;
        c.cycle.max_per_first_hop = usize::MAX;
        c.cycle.max_work_total = u64::MAX;
        c.cycle.max_work_per_window = usize::MAX;
        let t = store(&rows);
        let g = TemporalGraph::build(&t).unwrap();
        let found: BTreeSet<Vec<u32>> = mine(&g, &t, &c)
            .unwrap()
            .into_iter()
            .map(|i| canonical_ring(&i.accounts))
            .collect();
        let expected = brute_force(&rows, 10 * D, 5);
        assert!(
            expected.len() > 10,
            "a tangle with rings: {}",
            expected.len()
        );
        assert_eq!(found, expected);
    }
}
