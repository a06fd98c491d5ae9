//! The pattern miner: each shape is a pass over the vertices (split between worker threads in
//! fixed chunks, merged in chunk order, so the output does not depend on the thread count or
//! on scheduling), then one sequential pass writes the reasons.

mod bipartite;
mod cycle;
mod fan;
mod lc_cycle;
mod scatter;

use crate::config::MinerConfig;
use crate::graph::{GraphError, TemporalGraph};
use crate::pattern::{Pattern, PatternInstance};
use finmon_model::{Dataset, Kzt, Timestamp, Transactions};
use std::fmt::{self, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// What a pass found, before the reason is written.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub kind: Pattern,
    pub accounts: Vec<u32>,
    pub txs: Vec<u32>,
    pub detail: Detail,
}

/// The figures a reason needs beyond the accounts and transactions.
#[derive(Debug, Clone)]
pub(crate) enum Detail {
    /// `accounts[0]` is the hub, the rest its counterparties.
    Fan,
    /// `accounts` in hop order; `temporal` when each hop is no earlier than the one before.
    Cycle { temporal: bool },
    /// `accounts` = source, sink, intermediates.
    ScatterGather,
    /// `accounts` = hub, then `sources` senders, then the receivers.
    GatherScatter { sources: usize },
    /// `accounts` = `senders` senders, then the receivers.
    Bipartite { senders: usize },
    /// `accounts` = the layers in order, of these sizes.
    Stack { layers: Vec<usize> },
}

/// The instances found and the seconds each pattern's pass took.
#[derive(Debug, Clone, Default)]
pub struct Mined {
    pub instances: Vec<PatternInstance>,
    /// Seconds per pattern pass, in the order run.
    pub seconds: Vec<(Pattern, f64)>,
    /// Seconds spent writing the reasons.
    pub reasons_seconds: f64,
}

impl Mined {
    pub fn count(&self, kind: Pattern) -> usize {
        self.instances.iter().filter(|i| i.kind == kind).count()
    }
}

/// Mines every enabled pattern. Reasons name accounts by id (`#17`); see [`mine_with`] to name
/// them by key.
pub fn mine(
    graph: &TemporalGraph,
    txs: &Transactions,
    cfg: &MinerConfig,
) -> Result<Vec<PatternInstance>, GraphError> {
    mine_with(graph, txs, cfg, &|id| format!("#{id}"))
}

/// Mines every enabled pattern; `name` turns an account id into the text a reason shows.
pub fn mine_with(
    graph: &TemporalGraph,
    txs: &Transactions,
    cfg: &MinerConfig,
    name: &(dyn Fn(u32) -> String + Sync),
) -> Result<Vec<PatternInstance>, GraphError> {
    mine_detailed(graph, txs, cfg, name).map(|m| m.instances)
}

/// Mines a dataset's transactions (the graph must have been built from them); reasons name
/// accounts by their key.
pub fn mine_dataset(
    graph: &TemporalGraph,
    ds: &Dataset,
    cfg: &MinerConfig,
) -> Result<Vec<PatternInstance>, GraphError> {
    mine_with(graph, &ds.transactions, cfg, &|id| account_name(ds, id))
}

/// An account's key, or `#id` for an id the dataset does not have.
pub fn account_name(ds: &Dataset, id: u32) -> String {
    if (id as usize) < ds.accounts.keys.len() {
        ds.account_key(id).to_string()
    } else {
        format!("#{id}")
    }
}

/// [`mine_with`], with the time each pattern took.
pub fn mine_detailed(
    graph: &TemporalGraph,
    txs: &Transactions,
    cfg: &MinerConfig,
    name: &(dyn Fn(u32) -> String + Sync),
) -> Result<Mined, GraphError> {
    cfg.validate()?;
    if txs.len() != graph.n_rows() || txs.amount_kzt.len() != graph.n_rows() {
        return Err(GraphError::StoreMismatch {
            graph: graph.n_rows(),
            given: txs.len(),
        });
    }
    let mut raws: Vec<Raw> = Vec::new();
    let mut seconds = Vec::new();
    let mut timed = |kind: Pattern, f: &mut dyn FnMut() -> Vec<Raw>| {
        let start = Instant::now();
        raws.extend(f());
        seconds.push((kind, start.elapsed().as_secs_f64()));
    };
    let t = cfg.threads;
    if cfg.fan_in.enabled {
        timed(Pattern::FanIn, &mut || {
            fan::mine(graph, &cfg.fan_in, fan::Dir::In, t)
        });
    }
    if cfg.fan_out.enabled {
        timed(Pattern::FanOut, &mut || {
            fan::mine(graph, &cfg.fan_out, fan::Dir::Out, t)
        });
    }
    if cfg.cycle.enabled {
        timed(Pattern::Cycle, &mut || cycle::mine(graph, &cfg.cycle, t));
    }
    if cfg.scatter_gather.enabled {
        timed(Pattern::ScatterGather, &mut || {
            scatter::scatter_gather(graph, &cfg.scatter_gather, t)
        });
    }
    if cfg.gather_scatter.enabled {
        timed(Pattern::GatherScatter, &mut || {
            scatter::gather_scatter(graph, &cfg.gather_scatter, t)
        });
    }
    if cfg.bipartite.enabled || cfg.stack.enabled {
        let start = Instant::now();
        let blocks = bipartite::blocks(graph, &cfg.bipartite, t);
        let found = start.elapsed().as_secs_f64();
        if cfg.bipartite.enabled {
            raws.extend(blocks.iter().map(bipartite::Block::to_raw));
            seconds.push((Pattern::Bipartite, found));
        }
        if cfg.stack.enabled {
            let start = Instant::now();
            raws.extend(bipartite::stacks(&blocks, &cfg.stack));
            let chained = start.elapsed().as_secs_f64();
            let own = if cfg.bipartite.enabled {
                chained
            } else {
                chained + found
            };
            seconds.push((Pattern::Stack, own));
        }
    }
    let start = Instant::now();
    let instances = finish_all(raws, txs, cfg, name);
    let written = start.elapsed().as_secs_f64();
    Ok(Mined {
        instances,
        seconds,
        reasons_seconds: written,
    })
}

/// Writes the reasons, in parallel, keeping the order.
fn finish_all(
    mut raws: Vec<Raw>,
    txs: &Transactions,
    cfg: &MinerConfig,
    name: &(dyn Fn(u32) -> String + Sync),
) -> Vec<PatternInstance> {
    let threads = cfg.threads.clamp(1, 64);
    if threads == 1 || raws.len() < 1024 {
        return raws
            .into_iter()
            .map(|r| finish(r, txs, cfg, name))
            .collect();
    }
    let per = raws.len().div_ceil(threads);
    let mut parts = Vec::new();
    while raws.len() > per {
        let tail = raws.split_off(raws.len() - per);
        parts.push(tail);
    }
    parts.push(raws);
    parts.reverse();
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    part.into_iter()
                        .map(|r| finish(r, txs, cfg, name))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// `30 days`, `6 hours`, `90 seconds`.
pub(crate) fn duration(secs: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs % 86_400 == 0 {
        plural(secs / 86_400, "day")
    } else if secs % 3_600 == 0 {
        plural(secs / 3_600, "hour")
    } else {
        plural(secs, "second")
    }
}

type NameFn<'a> = &'a (dyn Fn(u32) -> String + Sync);

/// Up to five names, then how many more.
struct Names<'a>(&'a [u32], NameFn<'a>);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 5;
        for (i, &id) in self.0.iter().take(SHOWN).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&(self.1)(id))?;
        }
        if self.0.len() > SHOWN {
            write!(f, ", and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// The accounts of a ring in hop order, back to the first: `A → B → C → A`.
struct Ring<'a>(&'a [u32], NameFn<'a>);

impl fmt::Display for Ring<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &id) in self.0.iter().chain(self.0.first()).enumerate() {
            if i > 0 {
                f.write_str(" → ")?;
            }
            f.write_str(&(self.1)(id))?;
        }
        Ok(())
    }
}

/// `between FIRST and LAST`.
struct Span(Timestamp, Timestamp);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "between {} and {}", self.0, self.1)
    }
}

fn kzt(sum: i128) -> Kzt {
    Kzt(sum.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

fn finish(r: Raw, txs: &Transactions, cfg: &MinerConfig, name: NameFn<'_>) -> PatternInstance {
    let time = |row: u32| txs.ts[row as usize];
    let amount = |row: u32| i128::from(txs.amount_kzt[row as usize].0);
    let first = r.txs.iter().map(|&x| time(x)).min().unwrap_or_default();
    let last = r.txs.iter().map(|&x| time(x)).max().unwrap_or_default();
    let total: i128 = r.txs.iter().map(|&x| amount(x)).sum();
    // Sum and span of the rows that satisfy `keep`.
    let part = |keep: &dyn Fn(usize) -> bool| {
        let mut sum = 0i128;
        let mut span: Option<(Timestamp, Timestamp)> = None;
        for &x in r.txs.iter().filter(|&&x| keep(x as usize)) {
            sum += amount(x);
            let t = time(x);
            span = Some(span.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))));
        }
        let (lo, hi) = span.unwrap_or_default();
        (kzt(sum), lo, hi)
    };
    let a = &r.accounts;
    let n_tx = r.txs.len();
    let sum = |x: i128| kzt(x).grouped_display();
    let mut reason = String::with_capacity(320);
    // Writing to a String cannot fail.
    let _ = match &r.detail {
        Detail::Fan => {
            let (c, dir, verb) = match r.kind {
                Pattern::FanIn => (&cfg.fan_in, "senders", "paid"),
                _ => (&cfg.fan_out, "receivers", "were paid"),
            };
            let new = if c.new_counterparties_only {
                "new "
            } else {
                "distinct "
            };
            let into = match r.kind {
                Pattern::FanIn => "into",
                _ => "by",
            };
            write!(
                reason,
                "{}: {} {new}{dir} {verb} {} {into} {} in {n_tx} transfers {} (at least {} within {}); {dir}: {}",
                r.kind,
                a.len() - 1,
                sum(total),
                name(a[0]),
                Span(first, last),
                c.min_counterparties,
                duration(c.window_secs),
                Names(&a[1..], name)
            )
        }
        Detail::Cycle { temporal } => {
            let order = if *temporal {
                "each hop no earlier than the one before"
            } else {
                "hops in any order"
            };
            write!(
                reason,
                "cycle: {} transfers moved {} round {} {} (within {}, {order})",
                n_tx,
                sum(total),
                Ring(a, name),
                Span(first, last),
                duration(cfg.cycle.window_secs),
            )
        }
        Detail::ScatterGather => {
            let (src, sink) = (a[0], a[1]);
            let (out, o0, _) = part(&|x| txs.from[x] == src);
            let (inn, _, i1) = part(&|x| txs.to[x] == sink);
            write!(
                reason,
                "scatter-gather: {} paid {} to {} intermediates ({}), which passed {} on to {} between {o0} and {i1} (window {})",
                name(src),
                out.grouped_display(),
                a.len() - 2,
                Names(&a[2..], name),
                inn.grouped_display(),
                name(sink),
                duration(cfg.scatter_gather.window_secs)
            )
        }
        Detail::GatherScatter { sources } => {
            let hub = a[0];
            let (inn, i0, i1) = part(&|x| txs.to[x] == hub);
            let (out, o0, o1) = part(&|x| txs.from[x] == hub);
            let srcs = &a[1..1 + sources];
            let dsts = &a[1 + sources..];
            write!(
                reason,
                "gather-scatter: {} senders ({}) paid {} into {} {}, which then paid {} to {} receivers ({}) {} (window {})",
                srcs.len(),
                Names(srcs, name),
                inn.grouped_display(),
                name(hub),
                Span(i0, i1),
                out.grouped_display(),
                dsts.len(),
                Names(dsts, name),
                Span(o0, o1),
                duration(cfg.gather_scatter.window_secs)
            )
        }
        Detail::Bipartite { senders } => {
            let b = &cfg.bipartite;
            write!(
                reason,
                "bipartite: {} senders ({}) each paid at least {} of {} receivers ({}): {} transfers, {} {} (window {})",
                senders,
                Names(&a[..*senders], name),
                b.min_receivers_per_sender,
                a.len() - senders,
                Names(&a[*senders..], name),
                n_tx,
                sum(total),
                Span(first, last),
                duration(b.window_secs)
            )
        }
        Detail::Stack { layers } => {
            let sizes: Vec<String> = layers.iter().map(usize::to_string).collect();
            let _ = write!(
                reason,
                "stack: {} layers of accounts ({} accounts) passed money on layer to layer: {} transfers, {} {} (window {}); layers: ",
                layers.len(),
                sizes.join(" → "),
                n_tx,
                sum(total),
                Span(first, last),
                duration(cfg.stack.window_secs),
            );
            let mut at = 0;
            for (i, &n) in layers.iter().enumerate() {
                let sep = if i > 0 { " → " } else { "" };
                let _ = write!(reason, "{sep}[{}]", Names(&a[at..at + n], name));
                at += n;
            }
            Ok(())
        }
    };
    PatternInstance {
        kind: r.kind,
        accounts: r.accounts,
        txs: r.txs,
        first,
        last,
        total: kzt(total),
        reason,
    }
}

/// Runs `work` over the vertices `0..n` in chunks of `chunk`, on `threads` threads, each with its
/// own scratch from `init`; the outputs are concatenated in chunk order, so the result is the
/// same for any thread count.
pub(crate) fn par_vertices<T, S>(
    n: usize,
    threads: usize,
    chunk: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, Range<u32>, &mut Vec<T>) + Sync,
) -> Vec<T>
where
    T: Send,
{
    let chunk = chunk.max(1);
    let chunks = n.div_ceil(chunk);
    let range = |c: usize| (c * chunk) as u32..((c + 1) * chunk).min(n) as u32;
    if threads <= 1 || chunks <= 1 {
        let mut s = init();
        let mut out = Vec::new();
        for c in 0..chunks {
            work(&mut s, range(c), &mut out);
        }
        return out;
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<(usize, Vec<T>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(chunks))
            .map(|_| {
                scope.spawn(|| {
                    let mut s = init();
                    let mut mine = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= chunks {
                            break;
                        }
                        let mut out = Vec::new();
                        work(&mut s, range(c), &mut out);
                        if !out.is_empty() {
                            mine.push((c, out));
                        }
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            // A worker panic is a bug in the miner, not bad input: pass it on.
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    parts.sort_unstable_by_key(|&(c, _)| c);
    parts.into_iter().flat_map(|(_, v)| v).collect()
}

/// A per-thread marker over the vertices: `mark(v)` is true once per generation, so a set can be
/// cleared in O(1) by starting a new generation.
#[derive(Debug, Clone)]
pub(crate) struct Marks {
    gen: Vec<u32>,
    cur: u32,
}

impl Marks {
    pub fn new(n: usize) -> Self {
        Marks {
            gen: vec![0; n],
            cur: 1,
        }
    }

    /// Starts an empty set.
    pub fn clear(&mut self) {
        self.cur = self.cur.wrapping_add(1);
        if self.cur == 0 {
            self.gen.iter_mut().for_each(|g| *g = 0);
            self.cur = 1;
        }
    }

    /// Adds `v`; true when it was not in the set.
    pub fn insert(&mut self, v: u32) -> bool {
        let g = &mut self.gen[v as usize];
        let new = *g != self.cur;
        *g = self.cur;
        new
    }

    pub fn contains(&self, v: u32) -> bool {
        self.gen[v as usize] == self.cur
    }

    pub fn remove(&mut self, v: u32) {
        self.gen[v as usize] = 0;
    }
}

/// `ids` with repeats removed, first appearance kept.
pub(crate) fn dedup_in_order(ids: impl IntoIterator<Item = u32>, marks: &mut Marks) -> Vec<u32> {
    marks.clear();
    ids.into_iter().filter(|&v| marks.insert(v)).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    pub(crate) use crate::graph::tests::store;

    pub(crate) const D: i64 = 86_400;

    /// Only `kind` enabled, on one thread.
    pub(crate) fn only(kind: Pattern) -> MinerConfig {
        let mut c = MinerConfig {
            threads: 1,
            ..MinerConfig::default()
        };
        c.fan_in.enabled = kind == Pattern::FanIn;
        c.fan_out.enabled = kind == Pattern::FanOut;
        c.cycle.enabled = kind == Pattern::Cycle;
        c.scatter_gather.enabled = kind == Pattern::ScatterGather;
        c.gather_scatter.enabled = kind == Pattern::GatherScatter;
        c.bipartite.enabled = kind == Pattern::Bipartite;
        c.stack.enabled = kind == Pattern::Stack;
        c
    }

    pub(crate) fn run(rows: &[(i64, u32, u32, i64)], cfg: &MinerConfig) -> Vec<PatternInstance> {
        let t = store(rows);
        let g = TemporalGraph::build(&t).unwrap();
        mine(&g, &t, cfg).unwrap()
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(30 * D), "30 days");
        assert_eq!(duration(D), "1 day");
        assert_eq!(duration(7200), "2 hours");
        assert_eq!(duration(61), "61 seconds");
    }

    #[test]
    fn par_vertices_is_deterministic() {
        let work = |_: &mut (), r: Range<u32>, out: &mut Vec<u32>| out.extend(r.map(|v| v * 2));
        let one = par_vertices(1000, 1, 7, || (), work);
        let two = par_vertices(1000, 2, 7, || (), work);
        let many = par_vertices(1000, 5, 3, || (), work);
        assert_eq!(one, two);
        assert_eq!(one, many);
        assert_eq!(one.len(), 1000);
    }

    /// A pseudo-random graph with every shape in it somewhere.
    fn tangle() -> Vec<(i64, u32, u32, i64)> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        (0..3000)
            .map(|i| {
                let t = i * 600 + next(3600) as i64;
                let from = next(60) as u32;
                let to = next(60) as u32;
                (t, from, to, 1 + next(1000) as i64)
            })
            .collect()
    }

    #[test]
    fn same_input_same_output_whatever_the_threads() {
        let rows = tangle();
        let t = store(&rows);
        let g = TemporalGraph::build(&t).unwrap();
        let mut cfg = MinerConfig::default();
        for f in [&mut cfg.fan_in, &mut cfg.fan_out] {
            f.window_secs = D;
            f.min_counterparties = 4;
            f.new_counterparties_only = false;
        }
        cfg.cycle.window_secs = D;
        cfg.scatter_gather.window_secs = D;
        cfg.gather_scatter.window_secs = D;
        cfg.gather_scatter.new_counterparties_only = false;
        cfg.bipartite.window_secs = 2 * D;
        cfg.stack.window_secs = 2 * D;
        cfg.threads = 1;
        let one = mine(&g, &t, &cfg).unwrap();
        for p in Pattern::ALL {
            assert!(one.iter().any(|i| i.kind == p), "no {p} in the tangle");
        }
        // Grouped by pattern, in the documented order.
        assert!(one.windows(2).all(|w| w[0].kind <= w[1].kind));
        assert_eq!(one, mine(&g, &t, &cfg).unwrap(), "same run twice");
        cfg.threads = 2;
        assert_eq!(one, mine(&g, &t, &cfg).unwrap(), "two threads");
        cfg.threads = 5;
        assert_eq!(one, mine(&g, &t, &cfg).unwrap(), "five threads");
    }

    #[test]
    fn reasons_use_the_callers_names() {
        let rows = [(1, 1, 2, 100), (2, 2, 3, 90), (3, 3, 1, 80)];
        let t = store(&rows);
        let g = TemporalGraph::build(&t).unwrap();
        let found = mine_with(&g, &t, &only(Pattern::Cycle), &|id| format!("ACC-{id}")).unwrap();
        assert!(found[0].reason.contains("ACC-1 → ACC-2 → ACC-3 → ACC-1"));
        let ds = Dataset {
            transactions: t,
            ..Dataset::default()
        };
        // No account keys: ids are shown as `#id`.
        let found = mine_dataset(&g, &ds, &only(Pattern::Cycle)).unwrap();
        assert!(found[0].reason.contains("#1 → #2 → #3 → #1"));
    }

    #[test]
    fn store_mismatch_and_bad_config_are_errors() {
        let t = store(&[(0, 0, 1, 5)]);
        let g = TemporalGraph::build(&t).unwrap();
        let other = store(&[(0, 0, 1, 5), (1, 1, 0, 5)]);
        assert!(matches!(
            mine(&g, &other, &MinerConfig::default()),
            Err(GraphError::StoreMismatch { graph: 1, given: 2 })
        ));
        let c = MinerConfig {
            threads: 0,
            ..MinerConfig::default()
        };
        assert!(matches!(mine(&g, &t, &c), Err(GraphError::Config { .. })));
    }
}
