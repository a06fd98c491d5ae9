//! Features of an endpoint: what its account did in the window around the transaction. One
//! sweep per (account, window) visits its transactions in time order, those it sent and those it
//! received together, and slides the window over its out- and in-edges, so each edge enters and
//! leaves the window once: O(degree) per account however wide the window, where a query per
//! transaction would be O(degree²) on a hub.

use crate::matrix::Cell::{self, Half, Small};
use crate::{history, Mode, Side};
use finmon_graph::{Edges, TemporalGraph};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The per-side statistics, in column order. `next_*` only in offline mode; `pair_*` only on the
/// sender side. Counts are stored in a byte.
pub(crate) const COMMON: &[(&str, Cell)] = &[
    ("out_cnt", Small),
    ("out_nbrs", Small),
    ("out_new", Small),
    ("out_sum", Half),
    ("in_cnt", Small),
    ("in_nbrs", Small),
    ("in_new", Small),
    ("in_sum", Half),
    ("balance", Half),
    ("through", Small),
    ("same_amt", Small),
    ("amt_ratio", Half),
    ("prev_in_gap", Half),
    ("prev_out_gap", Half),
];
pub(crate) const FUTURE: &[(&str, Cell)] = &[("next_in_gap", Half), ("next_out_gap", Half)];

/// Stats computed for analysts but not fed to a learned model ([`crate::FeatureConfig::model_inputs`]):
/// they describe how much an account does and when it next acts, and those drift with the
/// account's lifetime and with where the data ends rather than with laundering. On AMLSim runs
/// of other seeds an account's last payments before it runs dry look, by these, like a drop's
/// (the next gap is long, the volume falls), and a model trained with them lost up to half its
/// F1 on data it had not seen; without them it ranked every test set better (bench/RESULTS.md).
pub(crate) const CONTEXT: &[&str] = &[
    "out_cnt",
    "out_sum",
    "in_cnt",
    "in_sum",
    "next_in_gap",
    "next_out_gap",
];
pub(crate) const PAIR: &[(&str, Cell)] = &[("pair_fwd", Small), ("pair_rev", Small)];

/// Amount keys are already well-mixed 64-bit hashes: hash them as themselves.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub(crate) type AmountMap = HashMap<u64, u32, BuildHasherDefault<IdHasher>>;

/// Per-thread scratch, sized by the vertex count once and left clean after every sweep.
pub(crate) struct Scratch {
    cnt_out: Vec<u32>,
    cnt_in: Vec<u32>,
    /// Exact amounts of the out-edges and of the in-edges in the window.
    amounts_out: AmountMap,
    amounts_in: AmountMap,
    first_seen: Vec<(u32, i64)>,
    flags_out: Vec<bool>,
    flags_in: Vec<bool>,
}

impl Scratch {
    pub fn new(n: usize) -> Scratch {
        Scratch {
            cnt_out: vec![0; n],
            cnt_in: vec![0; n],
            amounts_out: AmountMap::default(),
            amounts_in: AmountMap::default(),
            first_seen: vec![(u32::MAX, 0); n],
            flags_out: Vec::new(),
            flags_in: Vec::new(),
        }
    }
}

/// Marks, for the edges of `x` in one direction, those that are the first contact with their
/// counterparty: no edge to (from) the same account earlier in time. Edges tied at the earliest
/// time are all first contacts, so that the flag does not depend on row order.
pub(crate) fn first_contacts(x: u32, e: Edges<'_>, seen: &mut [(u32, i64)], out: &mut Vec<bool>) {
    out.clear();
    for i in 0..e.len() {
        let slot = &mut seen[e.nbr[i] as usize];
        if slot.0 != x {
            *slot = (x, e.ts[i]);
        }
        out.push(slot.1 == e.ts[i]);
    }
    // The stamp is the vertex id, so the next vertex starts clean without a reset pass; only a
    // later sweep of the same vertex (the other direction) must not see these stamps.
    for &n in e.nbr {
        seen[n as usize].0 = u32::MAX;
    }
}

/// One direction's sliding window: `[lo, hi)` are the slots inside.
struct Window<'a> {
    e: Edges<'a>,
    first: &'a [bool],
    lo: usize,
    hi: usize,
    nbrs: u32,
    new: u32,
    sum: f64,
}

impl<'a> Window<'a> {
    fn new(e: Edges<'a>, first: &'a [bool], start: i64) -> Window<'a> {
        let i = e.ts.partition_point(|&t| t < start);
        Window {
            e,
            first,
            lo: i,
            hi: i,
            nbrs: 0,
            new: 0,
            sum: 0.0,
        }
    }

    /// Moves the window to `[t0, t1]`; both ends only move forward.
    fn slide(
        &mut self,
        t0: i64,
        t1: i64,
        cnt: &mut [u32],
        amounts: &mut AmountMap,
        info: &RowInfo<'_>,
    ) {
        while self.hi < self.e.len() && self.e.ts[self.hi] <= t1 {
            let (n, row) = (self.e.nbr[self.hi] as usize, self.e.tx[self.hi] as usize);
            cnt[n] += 1;
            self.nbrs += u32::from(cnt[n] == 1);
            self.new += u32::from(self.first[self.hi]);
            self.sum += info.tenge(row);
            *amounts.entry(info.key[row]).or_insert(0) += 1;
            self.hi += 1;
        }
        while self.lo < self.hi && self.e.ts[self.lo] < t0 {
            self.remove(cnt, amounts, info);
        }
    }

    fn remove(&mut self, cnt: &mut [u32], amounts: &mut AmountMap, info: &RowInfo<'_>) {
        let (n, row) = (self.e.nbr[self.lo] as usize, self.e.tx[self.lo] as usize);
        cnt[n] -= 1;
        self.nbrs -= u32::from(cnt[n] == 0);
        self.new -= u32::from(self.first[self.lo]);
        self.sum -= info.tenge(row);
        let k = info.key[row];
        if let Some(c) = amounts.get_mut(&k) {
            *c -= 1;
            if *c == 0 {
                amounts.remove(&k);
            }
        }
        self.lo += 1;
    }

    /// Empties the window, leaving the counters at zero for the next sweep.
    fn clear(&mut self, cnt: &mut [u32], amounts: &mut AmountMap, info: &RowInfo<'_>) {
        while self.lo < self.hi {
            self.remove(cnt, amounts, info);
        }
    }

    fn cnt(&self) -> u32 {
        (self.hi - self.lo) as u32
    }
}

/// What every sweep reads per transaction row.
pub(crate) struct RowInfo<'a> {
    pub kzt: &'a [finmon_model::Kzt],
    /// A hash of the exact amount and its currency: equal amounts, equal keys.
    pub key: &'a [u64],
}

impl RowInfo<'_> {
    #[inline]
    fn tenge(&self, row: usize) -> f64 {
        self.kzt[row].0 as f64 / 100.0
    }
}

/// Where a sweep writes: the first column of the sender's and of the receiver's block.
pub(crate) struct Target<'a> {
    pub cols: &'a crate::sink::Cols,
    pub src_base: usize,
    pub dst_base: usize,
    pub mode: Mode,
    pub window: i64,
    pub t_from: i64,
    /// Column of the raw `first_contact` feature, written by the sender side of the first
    /// window only.
    pub first_contact_col: Option<usize>,
    /// Where the history columns start (see [`crate::history`]), and the widest window: written
    /// by the first window's sweep of the whole graph, whose slot counts before each row are
    /// the account's edges before it.
    pub history: Option<(usize, f64)>,
}

/// Time from `t` to `other` as a fraction of the window, NaN when there is no such edge within
/// the window.
fn gap(t: i64, other: Option<i64>, w: i64) -> f32 {
    match other {
        Some(o) if (o - t).abs() <= w => ((o - t).abs() as f64 / w as f64) as f32,
        _ => f32::NAN,
    }
}

/// The latest slot with time `<= t` other than `row`, given `le` = the count of slots with time
/// `<= t`.
fn latest_other(e: &Edges<'_>, le: usize, row: u32) -> Option<i64> {
    (0..le)
        .rev()
        .take(2)
        .find(|&i| e.tx[i] != row)
        .map(|i| e.ts[i])
}

/// The earliest slot with time `>= t` other than `row`, given `lt` = the count of slots with
/// time `< t`.
fn earliest_other(e: &Edges<'_>, lt: usize, row: u32) -> Option<i64> {
    (lt..e.len())
        .take(2)
        .find(|&i| e.tx[i] != row)
        .map(|i| e.ts[i])
}

/// Sweeps vertex `x` for one window, writing the sender-side columns of every row it sent and
/// the receiver-side columns of every row it received (its out- and in-edges in `g`) whose time
/// is at least `t_from`. The window slides over the edges of `x` in `win`: `g` itself, or a
/// subgraph of it (the novel edges).
pub(crate) fn sweep(
    g: &TemporalGraph,
    win: &TemporalGraph,
    x: u32,
    info: &RowInfo<'_>,
    out: &Target<'_>,
    s: &mut Scratch,
) {
    let (oe, ie) = (win.out_edges(x), win.in_edges(x));
    let (sent, received) = (g.out_edges(x), g.in_edges(x));
    let mut next = [
        sent.ts.partition_point(|&t| t < out.t_from),
        received.ts.partition_point(|&t| t < out.t_from),
    ];
    let first = sent
        .ts
        .get(next[0])
        .into_iter()
        .chain(received.ts.get(next[1]));
    let Some(&first_t) = first.min() else {
        return;
    };
    let w = out.window;
    first_contacts(x, oe, &mut s.first_seen, &mut s.flags_out);
    first_contacts(x, ie, &mut s.first_seen, &mut s.flags_in);
    let mut wo = Window::new(oe, &s.flags_out, first_t - w);
    let mut wi = Window::new(ie, &s.flags_in, first_t - w);
    // Counts of slots with time < t and <= t, for the gap features.
    let (mut out_lt, mut out_le, mut in_lt, mut in_le) = (0usize, 0usize, 0usize, 0usize);
    let offline = out.mode == Mode::Offline;
    loop {
        // The earlier of the next row sent and the next row received.
        let side = match (sent.ts.get(next[0]), received.ts.get(next[1])) {
            (None, None) => break,
            (Some(_), None) => Side::Src,
            (None, Some(_)) => Side::Dst,
            (Some(a), Some(b)) => {
                if a <= b {
                    Side::Src
                } else {
                    Side::Dst
                }
            }
        };
        let (queries, k) = match side {
            Side::Src => (&sent, 0),
            Side::Dst => (&received, 1),
        };
        let q = next[k];
        next[k] += 1;
        let (t, row, nbr) = (queries.ts[q], queries.tx[q], queries.nbr[q]);
        let t1 = if offline { t + w } else { t };
        wo.slide(t - w, t1, &mut s.cnt_out, &mut s.amounts_out, info);
        wi.slide(t - w, t1, &mut s.cnt_in, &mut s.amounts_in, info);
        while out_lt < oe.len() && oe.ts[out_lt] < t {
            out_lt += 1;
        }
        out_le = out_le.max(out_lt);
        while out_le < oe.len() && oe.ts[out_le] <= t {
            out_le += 1;
        }
        while in_lt < ie.len() && ie.ts[in_lt] < t {
            in_lt += 1;
        }
        in_le = in_le.max(in_lt);
        while in_le < ie.len() && ie.ts[in_le] <= t {
            in_le += 1;
        }
        let (same_dir, same_cnt, amounts) = match side {
            Side::Src => (wo.sum, wo.cnt(), &s.amounts_out),
            Side::Dst => (wi.sum, wi.cnt(), &s.amounts_in),
        };
        let mean = if same_cnt > 0 {
            same_dir / f64::from(same_cnt)
        } else {
            0.0
        };
        let amount = info.tenge(row as usize);
        let same_amt = amounts.get(&info.key[row as usize]).copied().unwrap_or(0);
        let (sum_in, sum_out) = (wi.sum.max(0.0), wo.sum.max(0.0));
        let balance = if sum_in + sum_out > 0.0 {
            (sum_in - sum_out) / (sum_in + sum_out)
        } else {
            0.0
        };
        let mut v: [f32; 20] = [f32::NAN; 20];
        v[0] = wo.cnt() as f32;
        v[1] = wo.nbrs as f32;
        v[2] = wo.new as f32;
        v[3] = sum_out.ln_1p() as f32;
        v[4] = wi.cnt() as f32;
        v[5] = wi.nbrs as f32;
        v[6] = wi.new as f32;
        v[7] = sum_in.ln_1p() as f32;
        v[8] = balance as f32;
        v[9] = wi.nbrs.min(wo.nbrs) as f32;
        v[10] = same_amt as f32;
        v[11] = if mean > 0.0 {
            (amount / mean) as f32
        } else {
            f32::NAN
        };
        v[12] = gap(t, latest_other(&ie, in_le, row), w);
        v[13] = gap(t, latest_other(&oe, out_le, row), w);
        let mut n = COMMON.len();
        if offline {
            v[n] = gap(t, earliest_other(&ie, in_lt, row), w);
            v[n + 1] = gap(t, earliest_other(&oe, out_lt, row), w);
            n += FUTURE.len();
        }
        let base = match side {
            Side::Src => out.src_base,
            Side::Dst => out.dst_base,
        };
        if side == Side::Src {
            v[n] = s.cnt_out[nbr as usize] as f32;
            v[n + 1] = s.cnt_in[nbr as usize] as f32;
            n += PAIR.len();
            if let Some(c) = out.first_contact_col {
                // Only set when `win` is `g`, so the query is slot q of the window's list.
                out.cols
                    .set(c, row as usize, if s.flags_out[q] { 1.0 } else { 0.0 });
            }
        }
        for (j, &val) in v[..n].iter().enumerate() {
            out.cols.set(base + j, row as usize, val);
        }
        if let Some((h, widest)) = out.history {
            // Only set when `win` is `g`: `out_lt` and `in_lt` count all of x's edges before t.
            let k = match side {
                Side::Src => 0,
                Side::Dst => 1,
            };
            let last = out_lt.checked_sub(1).map(|i| oe.ts[i]);
            let last = last.max(in_lt.checked_sub(1).map(|i| ie.ts[i]));
            let (prior, idle) = history::values(out_lt + in_lt, last, t, widest);
            out.cols.set(h + 2 * k, row as usize, prior);
            if let Some(idle) = idle {
                out.cols.set(h + 2 * k + 1, row as usize, idle);
            }
        }
    }
    wo.clear(&mut s.cnt_out, &mut s.amounts_out, info);
    wi.clear(&mut s.cnt_in, &mut s.amounts_in, info);
}
