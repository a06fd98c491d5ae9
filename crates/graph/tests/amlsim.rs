//! The pattern miner on external labelled data: IBM AMLSim's `amlsim-mix10k` (12,043 accounts,
//! 198,733 transfers over 720 daily steps, ten planted instances each of fan-in, fan-out, cycle,
//! scatter-gather and gather-scatter; 365 labelled transactions). Labels are only used to score.
//!
//! A labelled transaction counts as recalled when it is in some instance of its own pattern.
//! Precision is reported as how many transactions the instances of each pattern cover, and how
//! many of those carry that pattern's label, any laundering label, or none.

use finmon_graph::{mine, HopOrder, MinerConfig, Pattern, PatternInstance, TemporalGraph};
use finmon_model::{Dataset, Label, SubjectKind};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/amlsim-mix10k"
);

const KINDS: [Pattern; 5] = [
    Pattern::FanIn,
    Pattern::FanOut,
    Pattern::Cycle,
    Pattern::ScatterGather,
    Pattern::GatherScatter,
];

struct Score {
    kind: Pattern,
    labelled: usize,
    recalled: usize,
    instances: usize,
    covered: usize,
    covered_same: usize,
    covered_any_label: usize,
}

impl Score {
    fn recall(&self) -> f64 {
        if self.labelled == 0 {
            return 0.0;
        }
        self.recalled as f64 / self.labelled as f64
    }
}

/// Transaction rows labelled with each pattern.
fn labelled_rows(ds: &Dataset, labels: &[Label]) -> HashMap<Pattern, HashSet<u32>> {
    let ids = &ds.transactions.ids;
    let row_of: HashMap<String, u32> = (0..ids.len())
        .map(|r| (ids.get(r).into_owned(), r as u32))
        .collect();
    let mut out: HashMap<Pattern, HashSet<u32>> = HashMap::new();
    for l in labels {
        if l.subject.kind != SubjectKind::Transaction {
            continue;
        }
        let (Some(kind), Some(&row)) = (
            Pattern::from_typology(l.typology),
            row_of.get(&l.subject.id),
        ) else {
            continue;
        };
        out.entry(kind).or_default().insert(row);
    }
    out
}

fn score(
    found: &[PatternInstance],
    truth: &HashMap<Pattern, HashSet<u32>>,
    any_label: &HashSet<u32>,
) -> Vec<Score> {
    KINDS
        .iter()
        .map(|&kind| {
            let covered: HashSet<u32> = found
                .iter()
                .filter(|i| i.kind == kind)
                .flat_map(|i| i.txs.iter().copied())
                .collect();
            let mine = truth.get(&kind).cloned().unwrap_or_default();
            Score {
                kind,
                labelled: mine.len(),
                recalled: mine.iter().filter(|r| covered.contains(r)).count(),
                instances: found.iter().filter(|i| i.kind == kind).count(),
                covered: covered.len(),
                covered_same: covered.iter().filter(|r| mine.contains(r)).count(),
                covered_any_label: covered.iter().filter(|r| any_label.contains(r)).count(),
            }
        })
        .collect()
}

fn print(title: &str, scores: &[Score], found: &[PatternInstance], secs: f64) {
    println!("\n{title} (mined in {secs:.2} s)");
    println!(
        "{:<15} {:>8} {:>8} {:>7} {:>9} {:>9} {:>12} {:>11} {:>10}",
        "pattern",
        "labelled",
        "recalled",
        "recall",
        "instances",
        "tx_cover",
        "same_label",
        "any_label",
        "unlabelled"
    );
    for s in scores {
        println!(
            "{:<15} {:>8} {:>8} {:>7.3} {:>9} {:>9} {:>12} {:>11} {:>10}",
            s.kind.as_str(),
            s.labelled,
            s.recalled,
            s.recall(),
            s.instances,
            s.covered,
            s.covered_same,
            s.covered_any_label,
            s.covered - s.covered_any_label
        );
    }
    for kind in [Pattern::Bipartite, Pattern::Stack] {
        let n = found.iter().filter(|i| i.kind == kind).count();
        println!(
            "{:<15} (not labelled in AMLSim) {n} instances",
            kind.as_str()
        );
    }
}

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

    // The long-horizon preset: year-long fans, cycles in any hop order through new pairs.
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
    // Two of AMLSim's ten cycles never close (a hop is missing), so at most 57/68 = 0.84 is
    // reachable; within the default work budget the any-order search reaches 0.45.
    assert!(recall(&l, Pattern::Cycle) >= 0.40);
}
