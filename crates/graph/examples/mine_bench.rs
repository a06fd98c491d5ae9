//! `mine_bench DATASET_DIR [CONFIG.toml]`: loads a dataset folder with finmon-ingest, builds the
//! temporal graph and mines every pattern, printing the seconds of each stage, edges per
//! second, bytes per edge and the instances per pattern.
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
    ExitCode::SUCCESS
}
