//! `mine_bench DATASET_DIR [CONFIG.toml]`: loads a dataset folder with finmon-ingest, builds the
//! temporal graph and mines every pattern, printing the seconds of each stage, edges per
//! second, bytes per edge and the instances per pattern. Then each pattern is mined alone, with
//! its wall and CPU seconds (user + system, all threads: a figure that holds on a machine
//! shared with other work, where wall time does not), for a side-by-side with other tools'
//! per-feature throughput (`bench/gfp`).
//!
//! ```sh
//! cargo run --release -p finmon-graph --example mine_bench -- /tmp/finmon-bench/aw-trans
//! ```

use finmon_graph::{mine_detailed, MinerConfig, Pattern, TemporalGraph};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: mine_bench DATASET_DIR [CONFIG.toml]");
        return ExitCode::from(2);
    };
    let cfg = match args.next() {
        Some(path) => match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| toml::from_str::<MinerConfig>(&text).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => MinerConfig::default(),
    };

    let t = Instant::now();
    let loaded = match finmon_ingest::load(&dir, &finmon_ingest::Options::default()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let txs = &loaded.dataset.transactions;
    println!(
        "load        {:>8.2} s  {} transactions",
        t.elapsed().as_secs_f64(),
        txs.len()
    );

    let t = Instant::now();
    let graph = match TemporalGraph::build(txs) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("graph: {e}");
            return ExitCode::FAILURE;
        }
    };
    let build = t.elapsed().as_secs_f64();
    let edges = graph.n_edges().max(1) as f64;
    println!(
        "graph build {build:>8.2} s  {} vertices, {} edges, {:.0} edges/s, {:.1} bytes/edge ({:.1} MiB)",
        graph.n_vertices(),
        graph.n_edges(),
        edges / build.max(1e-9),
        graph.heap_bytes() as f64 / edges,
        graph.heap_bytes() as f64 / (1 << 20) as f64
    );

    let t = Instant::now();
    let ds = &loaded.dataset;
    let name = |id: u32| finmon_graph::account_name(ds, id);
    let mined = match mine_detailed(&graph, txs, &cfg, &name) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("mine: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mining = t.elapsed().as_secs_f64();
    for (kind, secs) in &mined.seconds {
        println!(
            "  {:<14} {secs:>8.2} s  {:>9} instances  {:.0} edges/s",
            kind.as_str(),
            mined.count(*kind),
            edges / secs.max(1e-9)
        );
    }
    println!("  {:<14} {:>8.2} s", "reasons", mined.reasons_seconds);
    println!(
        "mine        {mining:>8.2} s  {} instances, {:.0} edges/s",
        mined.instances.len(),
        edges / mining.max(1e-9)
    );
    println!("build + mine {:>7.2} s", build + mining);
    for kind in Pattern::ALL {
        if let Some(i) = mined.instances.iter().find(|i| i.kind == kind) {
            println!("e.g. {}", i.reason);
        }
    }

    println!("each pattern alone (reasons included):");
    println!(
        "  {:<14} {:>8} {:>8} {:>14} {:>14}",
        "stage", "wall s", "cpu s", "edges/s wall", "edges/s cpu"
    );
    let row = |name: &str, wall: f64, cpu: f64| {
        println!(
            "  {name:<14} {wall:>8.2} {cpu:>8.2} {:>14.0} {:>14.0}",
            edges / wall.max(1e-9),
            edges / cpu.max(1e-9)
        );
    };
    let (t, c) = (Instant::now(), cpu_seconds());
    drop(TemporalGraph::build(txs));
    row("graph build", t.elapsed().as_secs_f64(), cpu_seconds() - c);
    for kind in Pattern::ALL {
        let alone = only(&cfg, kind);
        let (t, c) = (Instant::now(), cpu_seconds());
        if let Err(e) = mine_detailed(&graph, txs, &alone, &name) {
            eprintln!("mine {kind}: {e}");
            return ExitCode::FAILURE;
        }
        row(kind.as_str(), t.elapsed().as_secs_f64(), cpu_seconds() - c);
    }
    ExitCode::SUCCESS
}

/// `cfg` with only `kind` enabled.
fn only(cfg: &MinerConfig, kind: Pattern) -> MinerConfig {
    let mut c = cfg.clone();
    c.fan_in.enabled = kind == Pattern::FanIn;
    c.fan_out.enabled = kind == Pattern::FanOut;
    c.cycle.enabled = kind == Pattern::Cycle;
    c.scatter_gather.enabled = kind == Pattern::ScatterGather;
    c.gather_scatter.enabled = kind == Pattern::GatherScatter;
    c.bipartite.enabled = kind == Pattern::Bipartite;
    c.stack.enabled = kind == Pattern::Stack;
    c
}

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at state, field 3.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15: indices 11 and 12 after the state.
    (ticks(11) + ticks(12)) / 100.0
}
