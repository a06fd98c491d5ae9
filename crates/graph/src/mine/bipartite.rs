//! Bipartite blocks and stacks of them.
//!
//! **Bipartite.** Time is cut into windows of length `W` laid every `W / 2` from the first
//! transaction, so any block that spans at most `W / 2` lies inside one window. For each window
//! and each receiver `r` with at least `min_senders` distinct senders in it (the seed), the
//! senders `S` of `r` and the receivers `R` they pay in the window form a candidate block, which
//! is peeled until every sender pays at least `min_receivers_per_sender` receivers of `R` and
//! every receiver is paid by at least `min_senders_per_receiver` senders of `S`. Accounts with
//! more than `max_member_degree` payments in the window (hubs) are left out. The block is kept
//! when `r` survives the peeling and `|S| >= min_senders`, `|R| >= min_receivers`; the same block
//! found from several seeds or windows is reported once.
//!
//! **Stack.** Two blocks chain when at least `min_shared` receivers of the first are senders of
//! the second, the second does not start before the first nor end before it, and both fit in
//! the stack window. Chains are extended greedily to more layers; a block that continues a
//! chain does not start one of its own.

use super::{dedup_in_order, par_vertices, Detail, Marks, Raw};
use crate::config::{BipartiteConfig, StackConfig};
use crate::graph::TemporalGraph;
use crate::pattern::Pattern;
use std::collections::{BTreeMap, HashSet};

/// A dense block of senders paying receivers within one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub senders: Vec<u32>,
    pub receivers: Vec<u32>,
    /// (time, row), sorted.
    pub txs: Vec<(i64, u32)>,
}

impl Block {
    fn first(&self) -> i64 {
        self.txs.first().map_or(0, |t| t.0)
    }

    fn last(&self) -> i64 {
        self.txs.last().map_or(0, |t| t.0)
    }

    pub fn to_raw(&self) -> Raw {
        let mut accounts = self.senders.clone();
        accounts.extend(&self.receivers);
        Raw {
            kind: Pattern::Bipartite,
            accounts,
            txs: self.txs.iter().map(|t| t.1).collect(),
            detail: Detail::Bipartite {
                senders: self.senders.len(),
            },
        }
    }
}

struct Scratch {
    /// Local index of a receiver in the current candidate block.
    local: Vec<u32>,
    in_block: Marks,
    marks: Marks,
    senders: Vec<u32>,
    receivers: Vec<u32>,
    /// (sender index, receiver index), distinct.
    pairs: Vec<(u32, u32)>,
    s_deg: Vec<usize>,
    r_deg: Vec<usize>,
    s_alive: Vec<bool>,
    r_alive: Vec<bool>,
}

pub(crate) fn blocks(g: &TemporalGraph, cfg: &BipartiteConfig, threads: usize) -> Vec<Block> {
    let n = g.n_vertices();
    let Some((origin, _)) = g.time_span() else {
        return Vec::new();
    };
    let w = cfg.window_secs;
    let stride = (w / 2).max(1);
    // Windows [origin + k·stride, origin + k·stride + w]; those that hold time t.
    let first_window = |t: i64| {
        let x = t.saturating_sub(origin).saturating_sub(w).max(0);
        x / stride + i64::from(x % stride != 0)
    };
    let last_window = |t: i64| t.saturating_sub(origin).max(0) / stride;
    let found = par_vertices(
        n,
        threads,
        1024,
        || Scratch {
            local: vec![0; n],
            in_block: Marks::new(n),
            marks: Marks::new(n),
            senders: Vec::new(),
            receivers: Vec::new(),
            pairs: Vec::new(),
            s_deg: Vec::new(),
            r_deg: Vec::new(),
            s_alive: Vec::new(),
            r_alive: Vec::new(),
        },
        |sc, range, out| {
            for r in range {
                let ins = g.in_edges(r);
                if ins.len() < cfg.min_senders.max(cfg.min_senders_per_receiver) {
                    continue;
                }
                let (Some(&t_first), Some(&t_last)) = (ins.ts.first(), ins.ts.last()) else {
                    continue;
                };
                let mut k = first_window(t_first);
                let k_end = last_window(t_last);
                while k <= k_end {
                    let a = origin.saturating_add(k.saturating_mul(stride));
                    let b = a.saturating_add(w);
                    let rng = ins.range_in(a, b);
                    if rng.is_empty() {
                        // Jump to the first window holding the next edge.
                        match ins.ts.get(rng.start) {
                            Some(&t) => {
                                k = first_window(t).max(k + 1);
                                continue;
                            }
                            None => break,
                        }
                    }
                    if let Some(block) = seed(g, cfg, r, a, b, sc) {
                        out.push(block);
                    }
                    k += 1;
                }
            }
        },
    );
    let mut seen = HashSet::new();
    found
        .into_iter()
        .filter(|b| seen.insert(b.txs.clone()))
        .collect()
}

/// The block seeded by receiver `r` in window `[a, b]`, if any.
fn seed(
    g: &TemporalGraph,
    cfg: &BipartiteConfig,
    r: u32,
    a: i64,
    b: i64,
    sc: &mut Scratch,
) -> Option<Block> {
    let max_deg = cfg.max_member_degree;
    let ins = g.in_edges_in(r, a, b);
    if ins.len() > max_deg || ins.len() < cfg.min_senders {
        return None;
    }
    // Senders that could pay enough receivers without being hubs.
    sc.senders = dedup_in_order(ins.nbr.iter().copied().filter(|&s| s != r), &mut sc.marks);
    sc.senders.retain(|&s| {
        let d = g.out_edges_in(s, a, b).len();
        d <= max_deg && d >= cfg.min_receivers_per_sender
    });
    if sc.senders.len() < cfg.min_senders {
        return None;
    }
    // Candidate receivers: what the senders pay in the window, with how many senders pay each.
    sc.receivers.clear();
    sc.pairs.clear();
    sc.in_block.clear();
    sc.r_deg.clear();
    for (si, &s) in sc.senders.iter().enumerate() {
        sc.marks.clear();
        for x in g.out_edges_in(s, a, b).nbr.iter().copied() {
            if x == s || !sc.marks.insert(x) {
                continue;
            }
            if sc.in_block.insert(x) {
                sc.local[x as usize] = sc.receivers.len() as u32;
                sc.receivers.push(x);
                sc.r_deg.push(0);
            }
            let ri = sc.local[x as usize];
            sc.r_deg[ri as usize] += 1;
            sc.pairs.push((si as u32, ri));
        }
    }
    // Receivers paid by too few senders go first; hubs are checked only among the rest.
    sc.r_alive.clear();
    for (i, &x) in sc.receivers.iter().enumerate() {
        let alive =
            sc.r_deg[i] >= cfg.min_senders_per_receiver && g.in_edges_in(x, a, b).len() <= max_deg;
        sc.r_alive.push(alive);
    }
    if !sc.in_block.contains(r) || !sc.r_alive[sc.local[r as usize] as usize] {
        return None;
    }
    // Peel until every sender and receiver has enough partners among the survivors.
    sc.s_alive.clear();
    sc.s_alive.resize(sc.senders.len(), true);
    loop {
        sc.s_deg.clear();
        sc.s_deg.resize(sc.senders.len(), 0);
        sc.r_deg.iter_mut().for_each(|d| *d = 0);
        for &(si, ri) in &sc.pairs {
            if sc.s_alive[si as usize] && sc.r_alive[ri as usize] {
                sc.s_deg[si as usize] += 1;
                sc.r_deg[ri as usize] += 1;
            }
        }
        let mut changed = false;
        for (alive, &d) in sc.s_alive.iter_mut().zip(&sc.s_deg) {
            if *alive && d < cfg.min_receivers_per_sender {
                *alive = false;
                changed = true;
            }
        }
        for (alive, &d) in sc.r_alive.iter_mut().zip(&sc.r_deg) {
            if *alive && d < cfg.min_senders_per_receiver {
                *alive = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let alive = |v: &[u32], keep: &[bool]| -> Vec<u32> {
        v.iter()
            .zip(keep)
            .filter(|(_, &k)| k)
            .map(|(&x, _)| x)
            .collect()
    };
    let senders = alive(&sc.senders, &sc.s_alive);
    if !sc.r_alive[sc.local[r as usize] as usize] || senders.len() < cfg.min_senders {
        return None;
    }
    let receivers = alive(&sc.receivers, &sc.r_alive);
    if receivers.len() < cfg.min_receivers {
        return None;
    }
    sc.in_block.clear();
    for &x in &receivers {
        sc.in_block.insert(x);
    }
    let mut txs: Vec<(i64, u32)> = Vec::new();
    for &s in &senders {
        for e in g.out_edges_in(s, a, b).iter() {
            if e.nbr != s && sc.in_block.contains(e.nbr) {
                txs.push((e.ts, e.tx));
            }
        }
    }
    txs.sort_unstable();
    Some(Block {
        senders,
        receivers,
        txs,
    })
}

/// Chains of blocks, receivers of one the senders of the next.
pub(crate) fn stacks(blocks: &[Block], cfg: &StackConfig) -> Vec<Raw> {
    let mut by_sender: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, b) in blocks.iter().enumerate() {
        for &s in &b.senders {
            by_sender.entry(s).or_default().push(i);
        }
    }
    // The first block (lowest index) that continues `from` within the window opened at `start`.
    let next = |from: usize, start: i64, used: &[usize]| -> Option<usize> {
        let b1 = &blocks[from];
        let mut shared: BTreeMap<usize, usize> = BTreeMap::new();
        for x in &b1.receivers {
            for &j in by_sender.get(x).map_or(&[][..], Vec::as_slice) {
                *shared.entry(j).or_default() += 1;
            }
        }
        shared.into_iter().find_map(|(j, c)| {
            let b2 = &blocks[j];
            let ok = c >= cfg.min_shared
                && !used.contains(&j)
                && b2.first() >= b1.first()
                && b2.last() >= b1.last()
                && b2.last().saturating_sub(start) <= cfg.window_secs;
            ok.then_some(j)
        })
    };
    let mut continues = vec![false; blocks.len()];
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for i in 0..blocks.len() {
        if continues[i] {
            continue;
        }
        let start = blocks[i].first();
        let mut chain = vec![i];
        while chain.len() < 16 {
            let Some(j) = next(chain[chain.len() - 1], start, &chain) else {
                break;
            };
            chain.push(j);
        }
        if chain.len() < 2 {
            continue;
        }
        for &j in &chain[1..] {
            continues[j] = true;
        }
        let mut marks_accounts = Vec::new();
        let mut layers = Vec::new();
        let first = &blocks[chain[0]];
        layers.push(first.senders.len());
        marks_accounts.extend(&first.senders);
        for (pos, &j) in chain.iter().enumerate() {
            let mut layer: Vec<u32> = blocks[j].receivers.clone();
            if let Some(&nx) = chain.get(pos + 1) {
                layer.extend(&blocks[nx].senders);
            }
            let mut seen_layer = HashSet::new();
            layer.retain(|x| seen_layer.insert(*x));
            layers.push(layer.len());
            marks_accounts.extend(layer);
        }
        let mut txs: Vec<(i64, u32)> = chain
            .iter()
            .flat_map(|&j| blocks[j].txs.iter().copied())
            .collect();
        txs.sort_unstable();
        txs.dedup();
        let rows: Vec<u32> = txs.into_iter().map(|t| t.1).collect();
        if !seen.insert(rows.clone()) {
            continue;
        }
        out.push(Raw {
            kind: Pattern::Stack,
            accounts: marks_accounts,
            txs: rows,
            detail: Detail::Stack { layers },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::mine::tests::{only, run, D};
    use crate::pattern::Pattern;

    /// Every sender pays every receiver, at `day` + a few minutes.
    fn complete(senders: &[u32], receivers: &[u32], day: i64) -> Vec<(i64, u32, u32, i64)> {
        let mut rows = vec![];
        let mut i = 0;
        for &s in senders {
            for &r in receivers {
                rows.push((day * D + i * 60, s, r, 100));
                i += 1;
            }
        }
        rows
    }

    #[test]
    fn a_dense_block_is_found_once() {
        let rows = complete(&[1, 2, 3], &[10, 11, 12], 0);
        let found = run(&rows, &only(Pattern::Bipartite));
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(f.accounts, vec![1, 2, 3, 10, 11, 12]);
        assert_eq!(f.txs, (0..9).collect::<Vec<u32>>());
        assert!(f
            .reason
            .starts_with("bipartite: 3 senders (#1, #2, #3) each paid at least 2 of 3 receivers (#10, #11, #12): 9 transfers, 900.00 KZT"));
    }

    #[test]
    fn sparse_or_small_blocks_are_not() {
        // Each sender pays only one receiver: a matching, not a block.
        let rows = [(0, 1, 10, 1), (1, 2, 11, 1), (2, 3, 12, 1)];
        assert!(run(&rows, &only(Pattern::Bipartite)).is_empty());
        // Two senders only.
        let rows = complete(&[1, 2], &[10, 11, 12], 0);
        assert!(run(&rows, &only(Pattern::Bipartite)).is_empty());
        // One sender's payments fall outside any window with the others: 3 senders never
        // meet, so no block (stride 15 days, window 30 days).
        let mut rows = complete(&[1, 2], &[10, 11, 12], 0);
        rows.extend(complete(&[3], &[10, 11, 12], 31));
        assert!(run(&rows, &only(Pattern::Bipartite)).is_empty());
    }

    #[test]
    fn peeling_drops_loose_members() {
        // A 3×3 block plus sender 4 who pays one block receiver and one stranger.
        let mut rows = complete(&[1, 2, 3], &[10, 11, 12], 0);
        rows.push((D, 4, 10, 1));
        rows.push((D, 4, 50, 1));
        let found = run(&rows, &only(Pattern::Bipartite));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].accounts, vec![1, 2, 3, 10, 11, 12]);
    }

    #[test]
    fn two_layers_make_a_stack() {
        let mut rows = complete(&[1, 2, 3], &[10, 11, 12], 0);
        rows.extend(complete(&[10, 11, 12], &[20, 21, 22], 2));
        let found = run(&rows, &only(Pattern::Stack));
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(f.accounts, vec![1, 2, 3, 10, 11, 12, 20, 21, 22]);
        assert_eq!(f.txs.len(), 18);
        assert!(
            f.reason
                .starts_with("stack: 3 layers of accounts (3 → 3 → 3 accounts)"),
            "{}",
            f.reason
        );
        // Layer two entirely before layer one is no stack.
        let mut rows = complete(&[1, 2, 3], &[10, 11, 12], 5);
        rows.extend(complete(&[10, 11, 12], &[20, 21, 22], 0));
        assert!(run(&rows, &only(Pattern::Stack)).is_empty());
        // Nor is a second layer that ends past the stack window.
        let mut rows = complete(&[1, 2, 3], &[10, 11, 12], 0);
        rows.extend(complete(&[10, 11, 12], &[20, 21, 22], 31));
        assert!(run(&rows, &only(Pattern::Stack)).is_empty());
    }
}
