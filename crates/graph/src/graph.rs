//! The temporal multigraph: every account-to-account transaction is a directed edge, kept twice
//! in compressed sparse rows (CSR), once by sender (out-edges) and once by receiver (in-edges).
//! Within a vertex the edges are sorted by (time, transaction row), so the edges of a vertex in a
//! time window are a contiguous slice found by two binary searches.

use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{Timestamp, Transactions};
use std::ops::Range;

/// Why a graph could not be built, or a query could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// The columns of the store do not have the same length.
    #[error("transaction columns differ in length: {column} has {len} rows, ts has {rows}")]
    ColumnLengths {
        column: &'static str,
        len: usize,
        rows: usize,
    },
    /// Transaction rows are stored as `u32`; this store has more rows than that.
    #[error("{rows} transactions: the graph holds at most {max} (row numbers are 32-bit)")]
    TooManyRows { rows: usize, max: usize },
    /// The graph was built from a store with a different number of rows than the one given.
    #[error("the graph was built from {graph} transactions, but {given} were given")]
    StoreMismatch { graph: usize, given: usize },
    /// A miner setting is out of range.
    #[error("miner config: {key}: {message}")]
    Config { key: String, message: String },
}

/// One edge as seen from a vertex: the account at the other end, the transaction row, and its
/// time (seconds since the epoch, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edge {
    pub nbr: u32,
    pub tx: u32,
    pub ts: i64,
}

/// A run of edges of one vertex, in (time, row) order: three parallel slices.
#[derive(Debug, Clone, Copy)]
pub struct Edges<'a> {
    pub nbr: &'a [u32],
    pub tx: &'a [u32],
    pub ts: &'a [i64],
}

impl<'a> Edges<'a> {
    const EMPTY: Edges<'static> = Edges {
        nbr: &[],
        tx: &[],
        ts: &[],
    };

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The `i`-th edge; panics when `i >= len()`, like slice indexing.
    pub fn get(&self, i: usize) -> Edge {
        Edge {
            nbr: self.nbr[i],
            tx: self.tx[i],
            ts: self.ts[i],
        }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Edge> + 'a {
        let (nbr, tx, ts) = (self.nbr, self.tx, self.ts);
        (0..ts.len()).map(move |i| Edge {
            nbr: nbr[i],
            tx: tx[i],
            ts: ts[i],
        })
    }

    /// The index range of the edges with `t0 <= ts <= t1` (empty when `t0 > t1`).
    pub fn range_in(&self, t0: i64, t1: i64) -> Range<usize> {
        let lo = self.ts.partition_point(|&t| t < t0);
        let hi = lo + self.ts[lo..].partition_point(|&t| t <= t1);
        lo..hi.max(lo)
    }

    /// The sub-run of index range `r`.
    pub fn slice(&self, r: Range<usize>) -> Edges<'a> {
        Edges {
            nbr: &self.nbr[r.clone()],
            tx: &self.tx[r.clone()],
            ts: &self.ts[r],
        }
    }

    /// The edges with `t0 <= ts <= t1`.
    pub fn between(&self, t0: i64, t1: i64) -> Edges<'a> {
        self.slice(self.range_in(t0, t1))
    }
}

/// One direction of the adjacency: `offsets[v]..offsets[v + 1]` are the slots of vertex `v`.
#[derive(Debug, Clone, Default)]
struct Csr {
    offsets: Vec<u32>,
    nbr: Vec<u32>,
    tx: Vec<u32>,
    ts: Vec<i64>,
}

impl Csr {
    fn edges(&self, v: u32) -> Edges<'_> {
        let v = v as usize;
        if v + 1 >= self.offsets.len() {
            return Edges::EMPTY;
        }
        let r = self.offsets[v] as usize..self.offsets[v + 1] as usize;
        Edges {
            nbr: &self.nbr[r.clone()],
            tx: &self.tx[r.clone()],
            ts: &self.ts[r],
        }
    }

    fn filtered(&self, keep: &(dyn Fn(u32) -> bool + Sync)) -> Csr {
        let n = self.offsets.len().saturating_sub(1);
        let mut c = Csr {
            offsets: Vec::with_capacity(n + 1),
            ..Csr::default()
        };
        c.offsets.push(0);
        for v in 0..n {
            let r = self.offsets[v] as usize..self.offsets[v + 1] as usize;
            for i in r {
                if keep(self.tx[i]) {
                    c.nbr.push(self.nbr[i]);
                    c.tx.push(self.tx[i]);
                    c.ts.push(self.ts[i]);
                }
            }
            c.offsets.push(c.nbr.len() as u32);
        }
        c.nbr.shrink_to_fit();
        c.tx.shrink_to_fit();
        c.ts.shrink_to_fit();
        c
    }

    fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 4
            + self.nbr.capacity() * 4
            + self.tx.capacity() * 4
            + self.ts.capacity() * 8
    }

    /// Counting sort of the edges by `key` (the sender for out-edges, the receiver for in-edges):
    /// one pass to count, a prefix sum, one pass to place. Rows are placed in row order, so a
    /// vertex's slots are already in (time, row) order when the store is in time order; the few
    /// vertices whose slots are not (a store out of time order) are sorted in place.
    fn build(key: &[u32], other: &[u32], ts: &[Timestamp], n: usize) -> Csr {
        Csr::build_rows(key, other, ts, n, || 0..key.len())
    }

    /// [`Csr::build`] over the rows `rows()` yields, placed in that order.
    fn build_rows<I: Iterator<Item = usize>>(
        key: &[u32],
        other: &[u32],
        ts: &[Timestamp],
        n: usize,
        rows: impl Fn() -> I,
    ) -> Csr {
        let mut c = Csr::default();
        c.fill_rows(key, other, ts, n, rows);
        // Filling counts in one spare slot.
        c.offsets.shrink_to_fit();
        c
    }

    /// [`Csr::build_rows`] into this adjacency's memory: a caller that builds one slice after
    /// another reuses the same pages instead of faulting in fresh ones for each.
    fn fill_rows<I: Iterator<Item = usize>>(
        &mut self,
        key: &[u32],
        other: &[u32],
        ts: &[Timestamp],
        n: usize,
        rows: impl Fn() -> I,
    ) {
        // Counts go to `offsets[v + 2]`; after the prefix sum `offsets[v + 1]` is where `v`
        // starts and serves as its cursor, so that once every edge is placed it is where `v`
        // ends, which is where `v + 1` starts: the offsets, without a cursor array.
        let offsets = &mut self.offsets;
        offsets.clear();
        offsets.resize(n + 2, 0);
        for r in rows() {
            if key[r] != NO_ACCOUNT && other[r] != NO_ACCOUNT {
                offsets[key[r] as usize + 2] += 1;
            }
        }
        for v in 0..n {
            offsets[v + 2] += offsets[v + 1];
        }
        let edges = offsets[n + 1] as usize;
        let (nbr, tx, t) = (&mut self.nbr, &mut self.tx, &mut self.ts);
        for col in [&mut *nbr, &mut *tx] {
            col.clear();
            col.resize(edges, 0);
        }
        t.clear();
        t.resize(edges, 0);
        for row in rows() {
            let (k, o) = (key[row], other[row]);
            if k != NO_ACCOUNT && o != NO_ACCOUNT {
                let slot = &mut offsets[k as usize + 1];
                let i = *slot as usize;
                *slot += 1;
                nbr[i] = o;
                tx[i] = row as u32;
                t[i] = ts[row].0;
            }
        }
        offsets.truncate(n + 1);
        let mut scratch: Vec<(i64, u32, u32)> = Vec::new();
        for v in 0..n {
            let r = offsets[v] as usize..offsets[v + 1] as usize;
            if t[r.clone()].windows(2).all(|w| w[0] <= w[1]) {
                continue;
            }
            scratch.clear();
            scratch.extend(r.clone().map(|i| (t[i], tx[i], nbr[i])));
            // Rows are unique, so (time, row) is a total order and an unstable sort is exact.
            scratch.sort_unstable();
            for (i, &(time, row, o)) in r.zip(&scratch) {
                t[i] = time;
                tx[i] = row;
                nbr[i] = o;
            }
        }
    }
}

/// A temporal multigraph over account ids: one directed edge per transaction between two
/// accounts (cash rows, which have [`NO_ACCOUNT`] on one side, are left out; a transfer from an
/// account to itself is kept as a self-loop), in compressed adjacency both ways.
///
/// Per edge it stores, for each direction, the neighbour (`u32`), the transaction row (`u32`)
/// and the time (`i64`): 32 bytes an edge for both directions, plus 8 bytes a vertex for the
/// offsets. Amounts and every other column stay in [`Transactions`], reached by the row.
#[derive(Debug, Clone, Default)]
pub struct TemporalGraph {
    n: usize,
    rows: usize,
    out: Csr,
    inc: Csr,
}

impl TemporalGraph {
    /// Builds the graph of a transaction store in O(rows + accounts): the out- and in-adjacency
    /// are counting-sorted on two threads at once. Vertices are `0..=max account id`.
    pub fn build(txs: &Transactions) -> Result<TemporalGraph, GraphError> {
        let rows = txs.ts.len();
        for (column, len) in [
            ("from", txs.from.len()),
            ("to", txs.to.len()),
            ("amount_kzt", txs.amount_kzt.len()),
        ] {
            if len != rows {
                return Err(GraphError::ColumnLengths { column, len, rows });
            }
        }
        // Row numbers and slot offsets are u32.
        let max = u32::MAX as usize;
        if rows > max {
            return Err(GraphError::TooManyRows { rows, max });
        }
        let mut n = 0usize;
        for (&f, &t) in txs.from.iter().zip(&txs.to) {
            if f != NO_ACCOUNT && t != NO_ACCOUNT {
                n = n.max(f as usize + 1).max(t as usize + 1);
            }
        }
        let (out, inc) = std::thread::scope(|s| {
            let out = s.spawn(|| Csr::build(&txs.from, &txs.to, &txs.ts, n));
            let inc = Csr::build(&txs.to, &txs.from, &txs.ts, n);
            // A panic in the other thread is a bug in this module, not bad input.
            (out.join().expect("out-adjacency thread"), inc)
        });
        Ok(TemporalGraph { n, rows, out, inc })
    }

    /// Vertices: one more than the largest account id that has an edge.
    pub fn n_vertices(&self) -> usize {
        self.n
    }

    /// Edges: the transactions between two accounts.
    pub fn n_edges(&self) -> usize {
        self.out.nbr.len()
    }

    /// Rows of the store the graph was built from (edges plus cash rows).
    pub fn n_rows(&self) -> usize {
        self.rows
    }

    /// Out-edges of `v` (the transactions it sent), by (time, row). Empty for an unknown vertex.
    pub fn out_edges(&self, v: u32) -> Edges<'_> {
        self.out.edges(v)
    }

    /// In-edges of `v` (the transactions it received), by (time, row).
    pub fn in_edges(&self, v: u32) -> Edges<'_> {
        self.inc.edges(v)
    }

    /// Out-edges of `v` with `t0 <= time <= t1`: two binary searches.
    pub fn out_edges_in(&self, v: u32, t0: i64, t1: i64) -> Edges<'_> {
        self.out.edges(v).between(t0, t1)
    }

    /// In-edges of `v` with `t0 <= time <= t1`.
    pub fn in_edges_in(&self, v: u32, t0: i64, t1: i64) -> Edges<'_> {
        self.inc.edges(v).between(t0, t1)
    }

    /// Heap bytes held by the adjacency.
    pub fn heap_bytes(&self) -> usize {
        self.out.heap_bytes() + self.inc.heap_bytes()
    }

    /// The graph of the edges whose transaction row passes `keep`, over the same vertices: both
    /// adjacencies are filtered in place order, so no sort is needed. O(edges).
    pub fn filtered(&self, keep: &(dyn Fn(u32) -> bool + Sync)) -> TemporalGraph {
        let (out, inc) = std::thread::scope(|s| {
            let out = s.spawn(|| self.out.filtered(keep));
            let inc = self.inc.filtered(keep);
            (out.join().expect("out-adjacency thread"), inc)
        });
        TemporalGraph {
            n: self.n,
            rows: self.rows,
            out,
            inc,
        }
    }

    /// The graph of the given rows of `txs` only, over the first `n` vertices (rows with an
    /// account id at or beyond `n` must not be given): a time slice built from the rows in it,
    /// O(rows + vertices), for a caller that has the store in time order (rows given in time
    /// order need no sort). On the calling thread.
    pub fn of_rows(txs: &Transactions, rows: &[u32], n: usize) -> TemporalGraph {
        let mut g = TemporalGraph::default();
        g.refill_rows(txs, rows, n);
        g
    }

    /// Makes this graph [`TemporalGraph::of_rows`]`(txs, rows, n)`, reusing its memory.
    pub fn refill_rows(&mut self, txs: &Transactions, rows: &[u32], n: usize) {
        let each = || rows.iter().map(|&r| r as usize);
        self.n = n;
        self.rows = txs.len();
        self.out.fill_rows(&txs.from, &txs.to, &txs.ts, n, each);
        self.inc.fill_rows(&txs.to, &txs.from, &txs.ts, n, each);
    }

    /// Per transaction row, whether it is the first transaction from its sender to its receiver
    /// (in (time, row) order); self-loops and cash rows are not.
    pub fn first_contacts(&self) -> Vec<bool> {
        let mut first = vec![false; self.rows];
        let mut last_seen = vec![u32::MAX; self.n];
        for v in 0..self.n as u32 {
            for e in self.out_edges(v).iter() {
                let seen = &mut last_seen[e.nbr as usize];
                if *seen != v && e.nbr != v {
                    *seen = v;
                    first[e.tx as usize] = true;
                }
            }
        }
        first
    }

    /// Per transaction row, whether it is a one-off within `w` seconds: no other transaction
    /// from its sender to its receiver lies within `w` before or after it (self-loops and cash
    /// rows are not). A payment in a regular relationship (rent, salary, a supplier paid every
    /// week) is not one-off; a transfer to someone the sender does not otherwise pay is.
    pub fn one_off_within(&self, w: i64) -> Vec<bool> {
        let mut one_off = vec![false; self.rows];
        let mut scratch: Vec<(u32, i64, u32)> = Vec::new();
        for v in 0..self.n as u32 {
            let outs = self.out_edges(v);
            scratch.clear();
            scratch.extend(
                outs.iter()
                    .filter(|e| e.nbr != v)
                    .map(|e| (e.nbr, e.ts, e.tx)),
            );
            // By receiver, then time: a payment's nearest repeats are its neighbours here.
            scratch.sort_unstable();
            for (i, &(nbr, ts, tx)) in scratch.iter().enumerate() {
                let near = |j: usize| {
                    let (n2, t2, _) = scratch[j];
                    n2 == nbr && (t2 - ts).abs() <= w
                };
                let before = i > 0 && near(i - 1);
                let after = i + 1 < scratch.len() && near(i + 1);
                one_off[tx as usize] = !before && !after;
            }
        }
        one_off
    }

    /// The earliest and latest edge time, `None` for a graph without edges.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        let min = (0..self.n as u32)
            .filter_map(|v| self.out_edges(v).ts.first().copied())
            .min()?;
        let max = (0..self.n as u32)
            .filter_map(|v| self.out_edges(v).ts.last().copied())
            .max()?;
        Some((min, max))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A store of `(time, from, to, tenge)` rows, in the order given.
    pub(crate) fn store(rows: &[(i64, u32, u32, i64)]) -> Transactions {
        Transactions::transfers(rows)
    }

    fn rows(e: Edges<'_>) -> Vec<(u32, u32, i64)> {
        e.iter().map(|e| (e.nbr, e.tx, e.ts)).collect()
    }

    #[test]
    fn csr_by_hand() {
        // Rows out of time order on purpose; row 3 is cash (no receiver), row 5 a self-loop.
        let t = store(&[
            (30, 0, 1, 10), // 0
            (10, 0, 2, 10), // 1
            (20, 1, 0, 10), // 2
            (5, 0, NO_ACCOUNT, 10),
            (10, 0, 1, 10), // 4: same time as row 1, later row
            (40, 2, 2, 10), // 5
        ]);
        let g = TemporalGraph::build(&t).unwrap();
        assert_eq!((g.n_vertices(), g.n_edges(), g.n_rows()), (3, 5, 6));
        assert_eq!(
            rows(g.out_edges(0)),
            vec![(2, 1, 10), (1, 4, 10), (1, 0, 30)]
        );
        assert_eq!(rows(g.in_edges(0)), vec![(1, 2, 20)]);
        assert_eq!(rows(g.in_edges(1)), vec![(0, 4, 10), (0, 0, 30)]);
        assert_eq!(rows(g.in_edges(2)), vec![(0, 1, 10), (2, 5, 40)]);
        assert_eq!(rows(g.out_edges(2)), vec![(2, 5, 40)]);
        // Windows are inclusive at both ends.
        assert_eq!(
            rows(g.out_edges_in(0, 10, 10)),
            vec![(2, 1, 10), (1, 4, 10)]
        );
        assert_eq!(rows(g.out_edges_in(0, 11, 30)), vec![(1, 0, 30)]);
        assert_eq!(rows(g.out_edges_in(0, 31, 99)), vec![]);
        assert_eq!(rows(g.out_edges_in(0, 30, 10)), vec![], "t0 > t1 is empty");
        assert_eq!(rows(g.in_edges_in(1, 0, 29)), vec![(0, 4, 10)]);
        // Unknown vertices have no edges rather than panicking.
        assert!(g.out_edges(3).is_empty() && g.in_edges(u32::MAX).is_empty());
        assert_eq!(g.time_span(), Some((10, 40)));
        // 5 edges × 2 directions × 16 bytes + 4 offsets × 2 × 4 bytes.
        assert_eq!(g.heap_bytes(), 5 * 32 + 4 * 8);
    }

    #[test]
    fn empty_and_mismatched_stores() {
        let g = TemporalGraph::build(&Transactions::new()).unwrap();
        assert_eq!((g.n_vertices(), g.n_edges()), (0, 0));
        assert_eq!(g.time_span(), None);
        let mut t = store(&[(1, 0, 1, 5)]);
        t.to.push(3);
        assert_eq!(
            TemporalGraph::build(&t).unwrap_err(),
            GraphError::ColumnLengths {
                column: "to",
                len: 2,
                rows: 1
            }
        );
    }

    #[test]
    fn first_contacts_and_filtered_graph() {
        let t = store(&[
            (5, 0, 1, 1), // 0: first 0 → 1
            (1, 0, 1, 1), // 1: earlier, so this is the first 0 → 1
            (2, 1, 0, 1), // 2: first 1 → 0
            (3, 2, 2, 1), // 3: self-loop, never a contact
            (4, 1, 0, 1), // 4: repeat
        ]);
        let g = TemporalGraph::build(&t).unwrap();
        assert_eq!(g.first_contacts(), vec![false, true, true, false, false]);
        let keep = g.first_contacts();
        let f = g.filtered(&|row| keep[row as usize]);
        assert_eq!((f.n_vertices(), f.n_edges(), f.n_rows()), (3, 2, 5));
        assert_eq!(rows(f.out_edges(0)), vec![(1, 1, 1)]);
        assert_eq!(rows(f.in_edges(0)), vec![(1, 2, 2)]);
        assert!(f.out_edges(2).is_empty() && f.in_edges(2).is_empty());
    }

    #[test]
    fn time_slice() {
        let t = store(&[
            (5, 0, 1, 1),
            (1, 0, 1, 1),
            (2, 1, 0, 1),
            (3, 2, 2, 1),
            (9, 1, 2, 1),
        ]);
        let g = TemporalGraph::build(&t).unwrap();
        // The rows at times 2 to 5 (rows 2, 3, 0, in time order).
        let s = TemporalGraph::of_rows(&t, &[2, 3, 0], g.n_vertices());
        assert_eq!((s.n_vertices(), s.n_edges(), s.n_rows()), (3, 3, 5));
        assert_eq!(rows(s.out_edges(0)), vec![(1, 0, 5)]);
        assert_eq!(rows(s.in_edges(0)), vec![(1, 2, 2)]);
        assert_eq!(rows(s.out_edges(2)), vec![(2, 3, 3)]);
        // Every vertex's edges are those of the whole graph in that time.
        for v in 0..3 {
            assert_eq!(rows(s.out_edges(v)), rows(g.out_edges_in(v, 2, 5)));
            assert_eq!(rows(s.in_edges(v)), rows(g.in_edges_in(v, 2, 5)));
        }
        // Refilled in place from a graph that held every row: the same slice, nothing left over.
        let mut r = TemporalGraph::of_rows(&t, &[1, 2, 3, 0, 4], g.n_vertices());
        r.refill_rows(&t, &[2, 3, 0], g.n_vertices());
        assert_eq!((r.n_vertices(), r.n_edges(), r.n_rows()), (3, 3, 5));
        for v in 0..3 {
            assert_eq!(rows(r.out_edges(v)), rows(s.out_edges(v)));
            assert_eq!(rows(r.in_edges(v)), rows(s.in_edges(v)));
        }
    }

    #[test]
    fn one_off_payments_within_a_window() {
        let t = store(&[
            (0, 0, 1, 1),   // 0: 0 → 1 again at 10: not one-off within 10
            (10, 0, 1, 1),  // 1
            (100, 0, 1, 1), // 2: 90 after the last: one-off within 10, not within 90
            (5, 0, 2, 1),   // 3: the only 0 → 2
            (6, 2, 2, 1),   // 4: self-loop
            (7, 1, 0, 1),   // 5: the reverse direction is another pair
            (0, 0, NO_ACCOUNT, 1),
        ]);
        let g = TemporalGraph::build(&t).unwrap();
        assert_eq!(
            g.one_off_within(10),
            vec![false, false, true, true, false, true, false]
        );
        assert_eq!(
            g.one_off_within(90),
            vec![false, false, false, true, false, true, false]
        );
        assert_eq!(g.one_off_within(9)[..3], [true, true, true]);
    }

    #[test]
    fn sorted_input_matches_shuffled_input() {
        let mut base = Vec::new();
        for i in 0..200i64 {
            base.push((i * 7 % 50, (i % 13) as u32, (i * 5 % 11) as u32, i));
        }
        let g = TemporalGraph::build(&store(&base)).unwrap();
        for v in 0..g.n_vertices() as u32 {
            for e in [g.out_edges(v), g.in_edges(v)] {
                let keys: Vec<(i64, u32)> = e.iter().map(|e| (e.ts, e.tx)).collect();
                assert!(keys.windows(2).all(|w| w[0] < w[1]), "vertex {v}");
            }
        }
        assert_eq!(g.n_edges(), 200);
    }
}
