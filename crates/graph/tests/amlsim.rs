//! The pattern miner on external labelled data: IBM AMLSim's `amlsim-mix10k` (12,043 accounts,
//! 198,733 transfers over 720 daily steps, ten planted instances each of fan-in, fan-out, cycle,
//! scatter-gather and gather-scatter; 365 labelled transactions). Labels are only used to score.
//!
//! A labelled transaction counts as recalled when it is in some instance of its own pattern.
//! Precision is reported as how many transactions the instances of each pattern cover, and how
//! many of those carry that pattern's label, any laundering label, or none.

mod support;

use finmon_graph::{mine, HopOrder, MinerConfig, Pattern, PatternInstance, TemporalGraph};
use finmon_model::Dataset;
use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;
use support::score::{labelled_accounts, labelled_rows, print, score, score_accounts, Score};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/amlsim-mix10k"
);

/// What every instance must satisfy, whatever the data: checked on all of them.
fn check_shapes(found: &[PatternInstance], ds: &Dataset, cfg: &MinerConfig) {
    let t = &ds.transactions;
    let (from, to, ts) = (
        |r: u32| t.from[r as usize],
        |r: u32| t.to[r as usize],
        |r: u32| t.ts[r as usize].0,
    );
    for i in found {
        let distinct = |v: &[u32]| v.iter().collect::<HashSet<_>>().len();
        assert!(i.first.0 <= i.last.0, "{}", i.reason);
        match i.kind {
            Pattern::Cycle => {
                let n = i.txs.len();
                assert_eq!(n, i.accounts.len(), "{}", i.reason);
                assert_eq!(distinct(&i.accounts), n, "a simple cycle: {}", i.reason);
                assert!((cfg.cycle.min_len..=cfg.cycle.max_len).contains(&n));
                for (k, &r) in i.txs.iter().enumerate() {
                    assert_eq!(from(r), i.accounts[k], "{}", i.reason);
                    assert_eq!(to(r), i.accounts[(k + 1) % n], "{}", i.reason);
                }
                let times: Vec<i64> = i.txs.iter().map(|&r| ts(r)).collect();
                if cfg.cycle.hop_order == HopOrder::NonDecreasing {
                    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{}", i.reason);
                }
                assert!(
                    i.last.0 - i.first.0 <= cfg.cycle.window_secs,
                    "{}",
                    i.reason
                );
            }
            Pattern::FanIn | Pattern::FanOut => {
                let hub = i.accounts[0];
                let inward = i.kind == Pattern::FanIn;
                let c = if inward { &cfg.fan_in } else { &cfg.fan_out };
                assert!(i.accounts.len() > c.min_counterparties, "{}", i.reason);
                for &r in &i.txs {
                    assert_eq!(if inward { to(r) } else { from(r) }, hub, "{}", i.reason);
                }
            }
            Pattern::ScatterGather => {
                let (src, sink) = (i.accounts[0], i.accounts[1]);
                let mids = &i.accounts[2..];
                assert!(mids.len() >= cfg.scatter_gather.min_intermediates);
                for &r in &i.txs {
                    let hop1 = from(r) == src && mids.contains(&to(r));
                    let hop2 = to(r) == sink && mids.contains(&from(r));
                    assert!(hop1 || hop2, "{}", i.reason);
                }
            }
            Pattern::GatherScatter => {
                let hub = i.accounts[0];
                assert!(i.txs.iter().all(|&r| from(r) == hub || to(r) == hub));
            }
            Pattern::Bipartite => {
                // Senders first, then receivers; every payment goes from one to the other.
                let senders: HashSet<u32> = i.txs.iter().map(|&r| from(r)).collect();
                let receivers: HashSet<u32> = i.txs.iter().map(|&r| to(r)).collect();
                assert_eq!(
                    senders.len() + receivers.len(),
                    i.accounts.len(),
                    "{}",
                    i.reason
                );
                assert!(i.accounts[..senders.len()]
                    .iter()
                    .all(|a| senders.contains(a)));
            }
            Pattern::Stack => assert!(i.txs.len() >= 2 * 2 * 2, "{}", i.reason),
        }
    }
}

#[test]
fn recall_per_pattern_on_amlsim_mix10k() {
    let dir = Path::new(DATA);
    assert!(dir.is_dir(), "external data missing: {DATA}");
    let t = Instant::now();
    let loaded = finmon_ingest::load(dir, &finmon_ingest::Options::default()).expect("load");
    let ds = &loaded.dataset;
    println!(
        "loaded {} transactions, {} labels in {:.2} s",
        ds.transactions.len(),
        loaded.labels.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let graph = TemporalGraph::build(&ds.transactions).expect("graph");
    println!(
        "graph: {} vertices, {} edges, {:.1} bytes/edge, built in {:.3} s",
        graph.n_vertices(),
        graph.n_edges(),
        graph.heap_bytes() as f64 / graph.n_edges() as f64,
        t.elapsed().as_secs_f64()
    );
    assert_eq!(
        graph.n_edges(),
        198_733,
        "AMLSim transfers are all account to account"
    );
    let truth = labelled_rows(ds, &loaded.labels);
    let any_label: HashSet<u32> = truth.values().flatten().copied().collect();
    assert_eq!(any_label.len(), 365, "the data's 365 labelled transactions");

    // Defaults.
    let cfg = MinerConfig::default();
    let t = Instant::now();
    let found = mine(&graph, &ds.transactions, &cfg).expect("mine");
    let d = score(&found, &truth, &any_label);
    print("defaults", &d, &found, t.elapsed().as_secs_f64());
    check_shapes(&found, ds, &cfg);
    let single = MinerConfig {
        threads: 1,
        ..cfg.clone()
    };
    assert_eq!(
        found,
        mine(&graph, &ds.transactions, &single).expect("mine"),
        "one thread or two, the same instances in the same order"
    );
    let recall =
        |s: &[Score], k: Pattern| s.iter().find(|x| x.kind == k).map_or(0.0, Score::recall);
    // Reached with the defaults: scatter-gather 104/104, gather-scatter 59/62 (the misses are
    // AMLSim's alert 66: one sender, so no gather).
    assert!(recall(&d, Pattern::ScatterGather) >= 0.90);
    assert!(recall(&d, Pattern::GatherScatter) >= 0.90);
    // Not reached with 30-day windows: AMLSim spreads its fans over months (one counterparty
    // every one to three months), and plants cycles with hops in random order, which no
    // time-respecting cycle follows. What the defaults reach:
    assert!(recall(&d, Pattern::FanIn) >= 0.20);
    assert!(recall(&d, Pattern::FanOut) >= 0.68);
    assert!(recall(&d, Pattern::Cycle) >= 0.0);

    // The long-horizon preset: year-long fans; cycles of both kinds, order-free ones through
    // one-off hops.
    let cfg = MinerConfig::long_horizon();
    let t = Instant::now();
    let found = mine(&graph, &ds.transactions, &cfg).expect("mine");
    let l = score(&found, &truth, &any_label);
    print("long-horizon preset", &l, &found, t.elapsed().as_secs_f64());
    check_shapes(&found, ds, &cfg);
    assert!(recall(&l, Pattern::FanIn) >= 0.90);
    assert!(recall(&l, Pattern::FanOut) >= 0.90);
    assert!(recall(&l, Pattern::ScatterGather) >= 0.90);
    assert!(recall(&l, Pattern::GatherScatter) >= 0.90);
    // Two of AMLSim's ten planted cycles never close (alerts 42 and 47 each miss a hop), so
    // 57/68 = 0.84 is what a closed ring can cover; the order-free search finds all eight
    // closed rings, and 3 transactions of the broken ones lie on other rings of the data.
    assert!(recall(&l, Pattern::Cycle) >= 0.85);
    // A shape is not guilt, but a miner that flags everything is useless: the preset's fans
    // and cycles each cover under a fifth of the 198,733 transactions, scatter-gather under
    // 1%.
    let cover = |k: Pattern| l.iter().find(|x| x.kind == k).map_or(0, |x| x.covered);
    for k in [Pattern::FanIn, Pattern::FanOut, Pattern::Cycle] {
        assert!(cover(k) < 198_733 / 5, "{k}: {}", cover(k));
    }
    assert!(cover(Pattern::ScatterGather) < 2_000);
    // The order-free search runs on both threads with pooled budgets: same output on one.
    let mut only_cycles = cfg.clone();
    for f in [&mut only_cycles.fan_in, &mut only_cycles.fan_out] {
        f.enabled = false;
    }
    only_cycles.scatter_gather.enabled = false;
    only_cycles.gather_scatter.enabled = false;
    only_cycles.bipartite.enabled = false;
    only_cycles.stack.enabled = false;
    let two = mine(&graph, &ds.transactions, &only_cycles).expect("mine");
    only_cycles.threads = 1;
    assert_eq!(
        two,
        mine(&graph, &ds.transactions, &only_cycles).expect("mine")
    );
    assert_eq!(
        two,
        found
            .iter()
            .filter(|i| i.kind == Pattern::Cycle)
            .cloned()
            .collect::<Vec<_>>()
    );
}

const DATA_20K: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/amlsim-20k-fanin-cycle"
);

/// AMLSim's published sample `20K_fanin200cycle200`: 20,000 accounts, 120,558 transfers over
/// 149 daily steps, 200 fan-ins and 200 cycles; labels per account only (1,804 accounts).
#[test]
fn account_recall_on_amlsim_20k_fanin_cycle() {
    let dir = Path::new(DATA_20K);
    assert!(dir.is_dir(), "external data missing: {DATA_20K}");
    let loaded = finmon_ingest::load(dir, &finmon_ingest::Options::default()).expect("load");
    let ds = &loaded.dataset;
    let graph = TemporalGraph::build(&ds.transactions).expect("graph");
    let truth = labelled_accounts(ds, &loaded.labels);
    assert_eq!(truth.len(), 1_804);
    let base = truth.len() as f64 / 20_000.0;
    for (name, cfg) in [
        ("defaults", MinerConfig::default()),
        ("long-horizon preset", MinerConfig::long_horizon()),
    ] {
        let found = mine(&graph, &ds.transactions, &cfg).expect("mine");
        check_shapes(&found, ds, &cfg);
        let fan = score_accounts(&found, &[Pattern::FanIn], &truth);
        let cyc = score_accounts(&found, &[Pattern::Cycle], &truth);
        println!(
            "{name}: fan_in accounts recall {:.3} precision {:.3} ({} flagged); cycle accounts recall {:.3} precision {:.3} ({} flagged); base rate {base:.3}",
            fan.recall(),
            fan.precision(),
            fan.flagged,
            cyc.recall(),
            cyc.precision(),
            cyc.flagged
        );
        // Cycles lift precision well above the base rate with either setting.
        assert!(cyc.precision() > base, "{name}");
    }
}
