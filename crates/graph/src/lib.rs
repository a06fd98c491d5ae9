//! finmon's graph engine: the laundering the AFM finds — money fanned out to drops, gathered
//! back, circled through firms — is a shape in the transaction graph over time.
//!
//! # The graph
//!
//! [`TemporalGraph::build`] turns the columnar [`finmon_model::Transactions`] store into a
//! temporal multigraph: one directed edge per transaction between two accounts (cash rows, with
//! [`finmon_model::tx::NO_ACCOUNT`] on one side, are left out; parallel edges and self-loops are
//! kept). The adjacency is held twice in compressed sparse rows, by sender and by receiver, and
//! within each account the edges are sorted by (time, transaction row), so the edges of an
//! account in a window `[t0, t1]` are a slice found by two binary searches
//! ([`TemporalGraph::out_edges_in`]).
//!
//! **Memory.** Each direction stores per edge the neighbour (`u32`), the transaction row
//! (`u32`) and the time (`i64`), as three parallel arrays: **32 bytes an edge** for both
//! directions, plus 8 bytes an account for the offsets. Amounts and everything else stay in the
//! store and are reached by the row. The build is a counting sort (one pass to count, one to
//! place, O(edges + accounts)), the two directions on two threads; vertices whose edges are not
//! in time order (a store not sorted by time) are sorted in place afterwards.
//!
//! # The patterns
//!
//! [`mine`] runs every enabled pattern over the graph and returns [`PatternInstance`]s, each
//! with its accounts, transaction rows, first and last time, total in tenge and a reason an
//! analyst reads. Settings are in [`MinerConfig`] (serde `Deserialize`, every key optional);
//! defaults below. All windows are inclusive: `W` means the last payment is at most `W` seconds
//! after the first. Shapes follow the IBM AMLworld paper (Altman et al., NeurIPS 2023) and
//! AMLSim.
//!
//! | pattern | definition | defaults |
//! |---|---|---|
//! | `fan_in` / `fan_out` | one account receives from (pays) at least `k` distinct counterparties within a window; an instance is a maximal run of overlapping qualifying windows | window 30 days, `k` = 5, only *new* counterparties count (the first payment between the two in the data), so a monthly payer does not make a fan |
//! | `cycle` | a simple directed ring of accounts, each paying the next, back to the first, all hops within a window. Two kinds ([`HopOrder`]): *time-respecting* (each hop no earlier than the one before: a temporal Johnson / 2SCENT search from every edge as the first hop, pruned by a time-bounded reverse search — accounts that cannot get the money back in the remaining time are never entered) and *order-free* (GFP's length-constrained cycles: every edge as the earliest hop, pruned by hop distance to the start account, one edge per neighbour followed); `both` runs the two and reports a ring once, under the stronger kind. Bounded by a work budget pooled per chunk of start accounts | window 30 days, 2–10 hops, time-respecting; at most 10 rings per start account and window (time-respecting), 1 per earliest hop (order-free); 50 M edge visits in all, at most 20,000 per (start account, window); optionally only one-off hops (no other payment between the two within the window) or first contacts |
//! | `scatter_gather` | a source pays at least `k` intermediates, each of which pays one common sink no earlier than it was paid, all within a window from the first payment | window 30 days, `k` = 3, intermediates with more than 20 onward payments in the window are hubs and skipped, 100,000 two-hop paths per source |
//! | `gather_scatter` | at least `k1` senders pay a hub, which then (at or after the `k1`-th sender's payment) pays at least `k2` receivers, within a window from the first payment in | window 30 days, `k1` = `k2` = 2, only new counterparties |
//! | `bipartite` | at least `k1` senders and `k2` receivers within one window, each sender paying at least 2 of the receivers and each receiver paid by at least 2 of the senders | window 30 days (windows laid every 15 days), 3 × 3, members with more than 64 payments in the window are hubs and left out |
//! | `stack` | bipartite blocks chained: at least 2 receivers of one block are senders of the next, which neither starts nor ends before it, all within a window | window 30 days, 2 shared accounts |
//!
//! [`MinerConfig::long_horizon`] is a preset for simulated data in daily steps whose shapes
//! unfold over months and whose rings pay on before they are paid (as IBM AMLSim plants them):
//! year-long fans of 4 new counterparties, and both kinds of cycle, order-free ones through
//! one-off hops. On AMLSim's `amlsim-mix10k` it recalls, per transaction, fan-in 1.00, fan-out
//! 0.92, cycle 0.88 (every planted ring that closes), scatter-gather 1.00, gather-scatter 0.95
//! (`tests/amlsim.rs`; `examples/amlsim_score.rs` scores any config on any labelled data).
//!
//! Every pattern caps its work per account (the limits above), visits the edges through the
//! sorted adjacency, and splits the accounts between `threads` worker threads (default 2). On a
//! 5,000,000-transaction, 500,000-account AMLworld-shaped file the graph builds in about 0.2 s
//! and all patterns together take about 15 s on two cores shared with other work
//! (`examples/mine_bench.rs`). The output does not depend on the thread count: each pass
//! collects results per chunk of accounts and joins them in account order; instances come
//! grouped by pattern in the order of the table.
//!
//! # Naming accounts
//!
//! The graph knows account ids only. [`mine`] names them `#id` in reasons; [`mine_with`] takes
//! a closure from id to text, and [`mine_dataset`] names them by the dataset's account keys.
//!
//! ```
//! use finmon_graph::{mine, MinerConfig, TemporalGraph};
//! # use finmon_model::{tx::TxCore, Currency, Decimal, Kzt, Timestamp, Transactions, TxKind};
//! # let mut txs = Transactions::new();
//! # for (i, (from, to)) in [(1, 2), (2, 3), (3, 1)].into_iter().enumerate() {
//! #     txs.ids.push(&i.to_string());
//! #     txs.push(TxCore { ts: Timestamp(i as i64 * 3600), from, to, kind: TxKind::Transfer,
//! #         amount: Decimal::new(100, 0), currency: Currency::KZT, amount_kzt: Kzt::from_tenge(100) });
//! # }
//! let graph = TemporalGraph::build(&txs)?;
//! let found = mine(&graph, &txs, &MinerConfig::default())?;
//! assert_eq!(found.len(), 1);
//! assert!(found[0].reason.starts_with("cycle: 3 transfers moved 300.00 KZT round #1 → #2 → #3 → #1"));
//! # Ok::<(), finmon_graph::GraphError>(())
//! ```

pub mod config;
pub mod graph;
mod mine;
pub mod pattern;
pub mod scc;

pub use config::{
    BipartiteConfig, CycleConfig, FanConfig, GatherScatterConfig, HopOrder, MinerConfig,
    ScatterGatherConfig, StackConfig, DAY, PRESETS,
};
pub use graph::{Edge, Edges, GraphError, TemporalGraph};
pub use mine::{account_name, mine, mine_dataset, mine_detailed, mine_with, Mined};
pub use pattern::{Pattern, PatternInstance};
pub use scc::Components;
