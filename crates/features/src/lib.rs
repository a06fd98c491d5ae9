//! Graph features for learned scoring: one row of model inputs per transaction (and per
//! account), computed from the temporal graph ([`finmon_graph::TemporalGraph`]) and the columnar
//! store, in the spirit of IBM's Graph Feature Preprocessor (Blanuša et al., ICAIF 2024).
//!
//! # What a row holds
//!
//! For a transaction `u → v` at time `t` and each window `W` of the config (columns suffixed
//! `@w0`, `@w1`, … in window order):
//!
//! | columns | meaning |
//! |---|---|
//! | `src.*`, `dst.*` | the sender's and the receiver's activity in the window: edges out and in (`out_cnt`, `in_cnt`), distinct counterparties (`out_nbrs`, `in_nbrs`: fan-out and fan-in), first contacts among them (`out_new`, `in_new`), tenge moved (`out_sum`, `in_sum`, as `ln(1 + KZT)`), `balance` (in − out)/(in + out) (pass-through is near 0), `through` = min(in, out counterparties) (a gather-scatter hub), `same_amt` (edges in the same direction with exactly this amount), `amt_ratio` (this amount over their mean), time since the previous in- and out-edge (`prev_in_gap`, `prev_out_gap`) and, offline, to the next (`next_in_gap`, `next_out_gap`), as fractions of the window |
//! | `src.pair_fwd`, `src.pair_rev` | edges `u → v` and `v → u` in the window |
//! | `cycL` | simple cycles of `L` accounts through the edge among novel edges, in any hop order: offline, those spanning at most `W` (each found once, from its earliest edge, and counted on all its edges); online, those whose edges all lie in `[t - W, t]` (so only the cycle's last edge counts it) |
//! | `sg_scatter`, `sg_gather` | scatter-gather through the edge: the most other intermediates that share this edge's source and a sink (edge as the scatter hop), or its sink and a source (edge as the gather hop) |
//!
//! and once per row: `amount` (`ln(1 + KZT)`), `kind`, `foreign` (not in tenge), `hour`,
//! `weekday`, `round` (trailing zeros of the amount; negative: decimals), `first_contact` (the
//! first payment from `u` to `v` in the data) and `cash` (one side is the cash desk); and each
//! endpoint's life before `t`, whatever the windows: `src.prior`, `dst.prior` (ln(1 + its
//! edges before `t`)) and `src.idle`, `dst.idle` (time since the last of them, as a fraction of
//! the widest window) — a new account and a busy one back from a quiet season look alike in a
//! window, not here.
//!
//! Not every column is a model input ([`FeatureConfig::model_inputs`]): the counts and sums of
//! edges (`*_cnt`, `*_sum`) and the gaps to the next edge (`next_*_gap`) say how busy an
//! account is and when it acts again, which drift with its lifetime and with where the data
//! ends; they are computed for analysts and left out of the model.
//!
//! **Never** an account id, a transaction id or a row number: the features describe behaviour,
//! so a model learnt on one dataset means the same on another. Ties in time are never broken by
//! row order (edges at the same second are all "at or before" each other).
//!
//! # Modes
//!
//! - [`Mode::Offline`]: the window is `[t - W, t + W]`, as an investigator scanning history sees
//!   it.
//! - [`Mode::Online`]: the window is `[t - W, t]`: each transaction sees only edges at or before
//!   its time, as a monitor scoring it when it happens would.
//!
//! # Cost
//!
//! The endpoint columns come from one sweep per (account, direction, window) that slides the
//! window over the account's time-sorted edges: O(edges) per window, whatever the window width.
//! The shape columns are a bounded search per row: accounts with more than
//! [`FeatureConfig::hub_degree`] edges in the window are not walked through, and each search
//! stops after [`FeatureConfig::search_budget`] edge visits. Rows are split between
//! [`FeatureConfig::threads`] threads; every cell is computed from the data alone, so the output
//! does not depend on the thread count.
//!
//! # Incremental
//!
//! A row's features read only edges within its window, so when a new day is appended
//! ([`update`]) only the rows whose window reaches the new edges are recomputed: online, the new
//! rows (and rows at the very same time as the first new one); offline, the rows within the
//! widest window of the new day.

mod account;
mod history;
mod matrix;
mod novel;
mod raw;
mod sink;
mod structure;
mod vertex;

pub use account::{account_features, ACCOUNT_FEATURES};
pub use matrix::{small, Cell, Column, FeatureMatrix};

use finmon_graph::{Components, GraphError, TemporalGraph};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::Transactions;
use serde::{Deserialize, Serialize};
use sink::{par_chunks, Cols};
use std::sync::atomic::{AtomicU8, Ordering};

/// Why features could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeatureError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("feature config: {0}")]
    Config(String),
    #[error("the matrix has {matrix} rows, but the store has {store} ({why})")]
    Rows {
        matrix: usize,
        store: usize,
        why: &'static str,
    },
}

/// What a transaction may see: its whole window, or only the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Offline,
    Online,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Offline => "offline",
            Mode::Online => "online",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "offline" => Ok(Mode::Offline),
            "online" => Ok(Mode::Online),
            o => Err(format!("unknown mode '{o}' (expected offline or online)")),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which endpoint a block of columns describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Src,
    Dst,
}

fn default_threads() -> usize {
    2
}

/// How features are computed. Saved with a model, so that scoring computes the same columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    pub mode: Mode,
    /// Window half-widths in seconds, one block of columns each.
    pub windows: Vec<i64>,
    /// Longest cycle counted, in accounts (`cyc2` … `cycN`). Default 10.
    pub max_cycle_len: usize,
    /// Accounts with more edges than this in the window (in the direction searched) are not
    /// walked through by the cycle and scatter-gather searches. Default 50.
    pub hub_degree: usize,
    /// Edge visits per row and search. Default 4,000.
    pub search_budget: usize,
    #[serde(skip, default = "default_threads")]
    pub threads: usize,
}

impl FeatureConfig {
    pub fn new(mode: Mode, windows: Vec<i64>) -> FeatureConfig {
        FeatureConfig {
            mode,
            windows,
            max_cycle_len: 10,
            hub_degree: 50,
            search_budget: 4_000,
            threads: default_threads(),
        }
    }

    pub fn validate(&self) -> Result<(), FeatureError> {
        let bad = |m: String| Err(FeatureError::Config(m));
        if self.windows.is_empty() {
            return bad("at least one window".into());
        }
        if let Some(w) = self.windows.iter().find(|&&w| w <= 0) {
            return bad(format!("windows must be positive seconds, got {w}"));
        }
        if !(2..=32).contains(&self.max_cycle_len) {
            return bad(format!(
                "max_cycle_len must be 2 to 32, got {}",
                self.max_cycle_len
            ));
        }
        if self.hub_degree == 0 || self.search_budget == 0 {
            return bad("hub_degree and search_budget must be positive".into());
        }
        Ok(())
    }

    /// The column names, in order.
    pub fn names(&self) -> Vec<String> {
        Layout::of(self).names
    }

    /// The columns a learned model reads, in column order: all but the context stats, which
    /// describe volume and future activity and drift with an account's lifetime (see
    /// `vertex::CONTEXT`). They stay in the matrix for analysts.
    pub fn model_inputs(&self) -> Vec<String> {
        let layout = Layout::of(self);
        layout
            .names
            .into_iter()
            .zip(layout.input)
            .filter_map(|(n, keep)| keep.then_some(n))
            .collect()
    }
}

/// Where each block of columns starts: per (graph, window), graph 0 being the whole graph and
/// graph 1 the novel edges.
struct Layout {
    names: Vec<String>,
    /// How each column is stored.
    kinds: Vec<Cell>,
    /// Whether each column is a model input ([`FeatureConfig::model_inputs`]).
    input: Vec<bool>,
    src: Vec<[usize; 2]>,
    dst: Vec<[usize; 2]>,
    shape: Vec<[usize; 2]>,
}

/// Column prefixes of the two graphs: all edges, and novel edges only.
const GRAPHS: [&str; 2] = ["", "n."];

impl Layout {
    fn of(cfg: &FeatureConfig) -> Layout {
        let mut cols: Vec<(String, Cell, bool)> = Vec::new();
        cols.extend(
            raw::RAW
                .iter()
                .map(|&(name, kind)| (name.to_string(), kind, true)),
        );
        cols.extend(
            history::HISTORY
                .iter()
                .map(|&name| (name.to_string(), Cell::Half, true)),
        );
        let n = cfg.windows.len();
        let (mut src, mut dst, mut shape) = (vec![[0; 2]; n], vec![[0; 2]; n], vec![[0; 2]; n]);
        for (gi, pre) in GRAPHS.iter().enumerate() {
            for w in 0..n {
                for (side, starts) in [("src", &mut src), ("dst", &mut dst)] {
                    starts[w][gi] = cols.len();
                    let mut stats: Vec<(&str, Cell)> = vertex::COMMON.to_vec();
                    if cfg.mode == Mode::Offline {
                        stats.extend_from_slice(vertex::FUTURE);
                    }
                    if side == "src" {
                        stats.extend_from_slice(vertex::PAIR);
                    }
                    cols.extend(stats.iter().map(|&(s, kind)| {
                        let input = !vertex::CONTEXT.contains(&s);
                        (format!("{pre}{side}.{s}@w{w}"), kind, input)
                    }));
                }
                // Cycles only among novel edges: in the whole graph every busy neighbourhood
                // has cycles (repeat trade both ways), so they say little and cost the most.
                // Their cells are counted into by many threads at once, so they are half floats.
                shape[w][gi] = cols.len();
                if gi == 1 {
                    cols.extend(
                        (2..=cfg.max_cycle_len)
                            .map(|l| (format!("{pre}cyc{l}@w{w}"), Cell::Half, true)),
                    );
                }
                cols.push((format!("{pre}sg_scatter@w{w}"), Cell::Small, true));
                cols.push((format!("{pre}sg_gather@w{w}"), Cell::Small, true));
            }
        }
        let (mut names, mut kinds, mut input) = (Vec::new(), Vec::new(), Vec::new());
        for (n, k, i) in cols {
            names.push(n);
            kinds.push(k);
            input.push(i);
        }
        Layout {
            names,
            kinds,
            input,
            src,
            dst,
            shape,
        }
    }
}

/// Computes every feature of every row of `txs`; `graph` must be built from `txs`.
pub fn compute(
    graph: &TemporalGraph,
    txs: &Transactions,
    cfg: &FeatureConfig,
) -> Result<FeatureMatrix, FeatureError> {
    cfg.validate()?;
    check_store(graph, txs)?;
    let layout = Layout::of(cfg);
    let cols = Cols::new(txs.len(), &layout.kinds, cfg.threads);
    fill(graph, txs, cfg, &layout, &cols, i64::MIN);
    Ok(FeatureMatrix {
        names: layout.names,
        rows: txs.len(),
        columns: cols.into_columns(),
    })
}

/// Brings `m` up to date after rows were appended to the store (`txs` holds the old rows
/// followed by the new ones; `graph` is built from all of them): appends the new rows and
/// recomputes only the old rows whose window reaches the new edges. Returns how many rows were
/// computed. `cfg` must be the config `m` was computed with.
pub fn update(
    m: &mut FeatureMatrix,
    graph: &TemporalGraph,
    txs: &Transactions,
    cfg: &FeatureConfig,
) -> Result<usize, FeatureError> {
    cfg.validate()?;
    check_store(graph, txs)?;
    let layout = Layout::of(cfg);
    if layout.names != m.names {
        return Err(FeatureError::Config(
            "the matrix was computed with another config".into(),
        ));
    }
    if txs.len() < m.rows {
        return Err(FeatureError::Rows {
            matrix: m.rows,
            store: txs.len(),
            why: "rows can only be appended",
        });
    }
    let Some(t_new) = txs.ts[m.rows..].iter().map(|t| t.0).min() else {
        return Ok(0);
    };
    // Offline, a row reads edges up to a window away, and whether those are novel depends on
    // edges up to another window beyond.
    let reach = match cfg.mode {
        Mode::Offline => cfg
            .windows
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .saturating_mul(2),
        Mode::Online => 0,
    };
    let t_from = t_new.saturating_sub(reach);
    let cols = Cols::grown(&m.columns, txs.len(), &layout.kinds, cfg.threads);
    fill(graph, txs, cfg, &layout, &cols, t_from);
    m.columns = cols.into_columns();
    m.rows = txs.len();
    Ok(txs.ts.iter().filter(|t| t.0 >= t_from).count())
}

fn check_store(graph: &TemporalGraph, txs: &Transactions) -> Result<(), FeatureError> {
    if graph.n_rows() != txs.len() {
        return Err(GraphError::StoreMismatch {
            graph: graph.n_rows(),
            given: txs.len(),
        }
        .into());
    }
    Ok(())
}

const VERTEX_CHUNK: usize = 1024;
const ROW_CHUNK: usize = 2048;

/// Writes every column of the rows with time `>= t_from`.
fn fill(
    graph: &TemporalGraph,
    txs: &Transactions,
    cfg: &FeatureConfig,
    layout: &Layout,
    cols: &Cols,
    t_from: i64,
) {
    let rows = txs.len();
    let threads = cfg.threads.max(1);
    let row_chunks = rows.div_ceil(ROW_CHUNK);
    let widest = cfg.windows.iter().copied().max().unwrap_or(1);
    par_chunks(threads, row_chunks, &|| (), &|_, c| {
        let r = c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(rows);
        raw::fill(txs, r.clone(), t_from, cols);
        history::fill(graph, txs, r, t_from, widest, cols, raw::RAW.len());
    });
    let keys = raw::amount_keys(txs, threads);
    let info = vertex::RowInfo {
        kzt: &txs.amount_kzt,
        key: &keys,
    };
    let n = graph.n_vertices();
    let v_chunks = n.div_ceil(VERTEX_CHUNK);
    let first_contact = raw::RAW
        .iter()
        .position(|&(r, _)| r == "first_contact")
        .expect("first_contact is a raw column");
    let horizon = cfg.windows.iter().copied().max().unwrap_or(0);
    let novel = novel::novel(graph, rows, cfg.mode, horizon, threads);
    let novel_graph = graph.filtered(&|row| novel[row as usize]);
    let order = by_time(txs);
    let sg_zeros: Vec<Vec<AtomicU8>> = cfg
        .windows
        .iter()
        .map(|_| (0..rows).map(|_| AtomicU8::new(0)).collect())
        .collect();
    for (gi, win) in [graph, &novel_graph].into_iter().enumerate() {
        for (wi, &w) in cfg.windows.iter().enumerate() {
            let target = vertex::Target {
                cols,
                src_base: layout.src[wi][gi],
                dst_base: layout.dst[wi][gi],
                mode: cfg.mode,
                window: w,
                t_from,
                first_contact_col: (gi == 0 && wi == 0).then_some(first_contact),
                history: (gi == 0 && wi == 0).then_some((raw::RAW.len(), widest.max(1) as f64)),
            };
            par_chunks(threads, v_chunks, &|| vertex::Scratch::new(n), &|s, c| {
                for x in c * VERTEX_CHUNK..((c + 1) * VERTEX_CHUNK).min(n) {
                    vertex::sweep(graph, win, x as u32, &info, &target, s);
                }
            });
            shapes(
                n,
                txs,
                &order,
                cfg,
                cols,
                layout.shape[wi][gi],
                w,
                t_from,
                (gi == 1).then_some(&novel[..]),
                if gi == 0 {
                    Zeros::Record(&sg_zeros[wi])
                } else {
                    Zeros::Skip(&sg_zeros[wi])
                },
            );
        }
    }
}

/// Rows in time order (ties by row), for the searches made block by block of time.
fn by_time(txs: &Transactions) -> Vec<u32> {
    let ts = &txs.ts;
    let mut order: Vec<u32> = (0..ts.len() as u32).collect();
    if !ts.windows(2).all(|p| p[0] <= p[1]) {
        order.sort_unstable_by_key(|&r| (ts[r as usize], r));
    }
    order
}

/// Most blocks of time the searches of one (graph, window) are split into.
const MAX_BLOCKS: i64 = 256;

/// `order` (rows in time order) cut into runs that each span less than a block of time: a
/// quarter of the window, or more when the data is long enough to make that over
/// [`MAX_BLOCKS`] blocks.
fn time_blocks(txs: &Transactions, order: &[u32], w: i64) -> Vec<std::ops::Range<usize>> {
    let t = |i: usize| txs.ts[order[i] as usize].0;
    let Some(last) = order.len().checked_sub(1) else {
        return Vec::new();
    };
    let span = t(last).saturating_sub(t(0));
    let len = (w / 4).max(span / MAX_BLOCKS).max(1);
    let mut blocks = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let end_t = t(start).saturating_add(len);
        let end = start + order[start..].partition_point(|&r| txs.ts[r as usize].0 < end_t);
        blocks.push(start..end);
        start = end;
    }
    blocks
}

/// Per row, which scatter-gather counts of the whole graph were exact zeros: those of the novel
/// edges, a subgraph, are zeros too and need no search.
#[derive(Clone, Copy)]
enum Zeros<'a> {
    /// The whole graph: write the bits.
    Record(&'a [AtomicU8]),
    /// The novel edges: read them.
    Skip(&'a [AtomicU8]),
}

const SCATTER_ZERO: u8 = 1;
const GATHER_ZERO: u8 = 2;
const BOTH_ZERO: u8 = SCATTER_ZERO | GATHER_ZERO;

/// The scatter-gather columns of one (graph, window) block: of the whole graph, or with `novel`
/// of the novel edges' graph, which also has the cycle columns. `n` is the vertex count.
///
/// The searches go block by block of time: each worker takes a block of rows and builds the
/// slice of the graph those rows' windows can reach, a few times the window wide, from the
/// rows in time order, so that the random reads of the searches land in a graph that fits in
/// cache rather than in the whole history.
#[allow(clippy::too_many_arguments)]
fn shapes(
    n: usize,
    txs: &Transactions,
    order: &[u32],
    cfg: &FeatureConfig,
    cols: &Cols,
    base: usize,
    w: i64,
    t_from: i64,
    novel: Option<&[bool]>,
    zeros: Zeros<'_>,
) {
    let rows = txs.len();
    let lens = novel.map_or(0, |_| cfg.max_cycle_len - 1);
    let threads = cfg.threads.max(1);
    let wanted =
        |r: usize| txs.ts[r].0 >= t_from && txs.from[r] != NO_ACCOUNT && txs.to[r] != NO_ACCOUNT;
    let bounds = |t0: i64, t1: i64| structure::Bounds {
        t0,
        t1,
        hub: cfg.hub_degree,
        budget: cfg.search_budget,
    };
    // Offline, each cycle is found once, from its earliest edge, and counted on every edge of
    // it: a search per edge would find a cycle of L edges L times, in a window twice as wide.
    let rooted = novel.filter(|_| cfg.mode == Mode::Offline);
    let row_chunks = rows.div_ceil(ROW_CHUNK);
    let chunk = |c: usize| c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(rows);
    if rooted.is_some() {
        par_chunks(threads, row_chunks, &|| (), &|_, c| {
            for r in chunk(c).filter(|&r| wanted(r)) {
                (0..lens).for_each(|j| cols.start_count(base + j, r));
            }
        });
    }
    let blocks = time_blocks(txs, order, w);
    par_chunks(
        threads,
        blocks.len(),
        &|| {
            let slice = TemporalGraph::default();
            let comps = Components::default();
            (
                structure::Scratch::new(n),
                vec![0u32; lens],
                Vec::new(),
                slice,
                comps,
            )
        },
        &|(s, counts, slice_rows, g, comps), bi| {
            let rows_in = &order[blocks[bi].clone()];
            let (Some(&first), Some(&last)) = (rows_in.first(), rows_in.last()) else {
                return;
            };
            let (t_lo, t_hi) = (txs.ts[first as usize].0, txs.ts[last as usize].0);
            if t_hi < t_from.saturating_sub(w) {
                return;
            }
            // The slice: the rows the block's windows reach (online, nothing after the block),
            // from the rows in time order.
            let ahead = match cfg.mode {
                Mode::Offline => w,
                Mode::Online => 0,
            };
            let (s0, s1) = (t_lo.saturating_sub(w), t_hi.saturating_add(ahead));
            let lo = order.partition_point(|&r| txs.ts[r as usize].0 < s0);
            let hi = order.partition_point(|&r| txs.ts[r as usize].0 <= s1);
            slice_rows.clear();
            slice_rows.extend(
                order[lo..hi]
                    .iter()
                    .filter(|&&r| novel.is_none_or(|keep| keep[r as usize])),
            );
            if let Some(is_novel) = rooted {
                // A rooted cycle lies in [t, t + w] of its root, so its slice starts at the
                // block, half the width of the one scatter-gather needs; and it lies inside one
                // strong component of that slice, which spares the roots whose edge joins two
                // components and keeps the searches of the others inside theirs.
                let c0 = slice_rows.partition_point(|&r| txs.ts[r as usize].0 < t_lo);
                g.refill_rows(txs, &slice_rows[c0..], n);
                comps.compute(g);
                for &r in rows_in {
                    let r = r as usize;
                    let t = txs.ts[r].0;
                    // Cycles rooted up to a window before t_from reach rows after it.
                    if !is_novel[r] || t < t_from.saturating_sub(w) {
                        continue;
                    }
                    let root = structure::Root {
                        row: r as u32,
                        u: txs.from[r],
                        v: txs.to[r],
                        t,
                    };
                    let b = bounds(t, t.saturating_add(w));
                    structure::rooted_cycles(g, comps, root, cfg.max_cycle_len, b, s, &mut |on| {
                        let col = base + on.len() - 2;
                        for &x in on {
                            if txs.ts[x as usize].0 >= t_from {
                                cols.add_count(col, x as usize);
                            }
                        }
                    });
                }
            }
            let online_cycles = novel.is_some() && rooted.is_none();
            let known = |r: usize| match zeros {
                Zeros::Skip(z) => z[r].load(Ordering::Relaxed),
                Zeros::Record(_) => 0,
            };
            let searched = |r: usize| online_cycles || known(r) != BOTH_ZERO;
            if !rows_in
                .iter()
                .map(|&r| r as usize)
                .filter(|&r| wanted(r))
                .any(searched)
            {
                for r in rows_in.iter().map(|&r| r as usize).filter(|&r| wanted(r)) {
                    cols.set(base + lens, r, 0.0);
                    cols.set(base + lens + 1, r, 0.0);
                }
                return;
            }
            g.refill_rows(txs, slice_rows, n);
            if online_cycles {
                comps.compute(g);
            }
            for r in rows_in.iter().map(|&r| r as usize).filter(|&r| wanted(r)) {
                let (u, v, t) = (txs.from[r], txs.to[r], txs.ts[r].0);
                let b = bounds(
                    t.saturating_sub(w),
                    match cfg.mode {
                        Mode::Offline => t.saturating_add(w),
                        Mode::Online => t,
                    },
                );
                // Online, a row sees only the past, so a cycle is counted by its last edge
                // alone: the search per row is already once per cycle.
                if online_cycles {
                    // A novel row's own edge is in the slice, so its cycles lie in one strong
                    // component of the slice; a repeat payment's edge is not, so its are
                    // searched without that bound.
                    let is_novel = novel.is_some_and(|keep| keep[r]);
                    let c = is_novel.then_some(&*comps);
                    structure::cycles(g, c, u, v, b, s, counts);
                    for (j, &k) in counts.iter().enumerate() {
                        cols.set(base + j, r, k as f32);
                    }
                }
                let k = known(r);
                let want = [k & SCATTER_ZERO == 0, k & GATHER_ZERO == 0];
                let (sc, ga) = structure::scatter_gather(g, u, v, b, want, s);
                cols.set(base + lens, r, sc.n as f32);
                cols.set(base + lens + 1, r, ga.n as f32);
                if let Zeros::Record(z) = zeros {
                    let zero =
                        |c: structure::Count, bit: u8| if c.exact && c.n == 0 { bit } else { 0 };
                    let bits = zero(sc, SCATTER_ZERO) | zero(ga, GATHER_ZERO);
                    z[r].store(bits, Ordering::Relaxed);
                }
            }
        },
    );
    if rooted.is_some() {
        par_chunks(threads, row_chunks, &|| (), &|_, c| {
            for r in chunk(c).filter(|&r| wanted(r)) {
                (0..lens).for_each(|j| cols.count_to_value(base + j, r));
            }
        });
    }
}

#[cfg(test)]
mod tests;
