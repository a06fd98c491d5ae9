//! `features_bench DATASET_DIR [offline|online] [WINDOW_DAYS ...] [--max-cycle-len N] [--hub-degree N] [--search-budget N] [--mine] [--csv OUT]`: loads a dataset,
//! builds the temporal graph, computes every feature and prints seconds, edges per second and
//! bytes per edge of each stage; with `--mine`, then mines every pattern (default miner
//! settings, reasons written) in the same process and prints build + features + mining; with
//! `--csv`, also writes the matrix with each row's label (`label`, `typology`) and day for
//! offline analysis.
//!
//! ```sh
//! cargo run --release -p finmon-features --example features_bench -- /tmp/finmon-bench/aw-trans offline 1
//! ```

use finmon_features::{compute, FeatureConfig, Mode};
use finmon_graph::TemporalGraph;
use finmon_model::SubjectKind;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let csv = match args.iter().position(|a| a == "--csv") {
        Some(i) => {
            let p = args.get(i + 1).cloned().ok_or("--csv needs a path")?;
            args.drain(i..i + 2);
            Some(PathBuf::from(p))
        }
        None => None,
    };
    let mine = match args.iter().position(|a| a == "--mine") {
        Some(i) => {
            args.remove(i);
            true
        }
        None => false,
    };
    let mut number = |flag: &str| -> Result<Option<usize>, Box<dyn std::error::Error>> {
        let Some(i) = args.iter().position(|a| a == flag) else {
            return Ok(None);
        };
        let n: usize = args
            .get(i + 1)
            .ok_or(format!("{flag} needs a number"))?
            .parse()?;
        args.drain(i..i + 2);
        Ok(Some(n))
    };
    let max_cycle_len = number("--max-cycle-len")?;
    let hub = number("--hub-degree")?;
    let budget = number("--search-budget")?;
    let dir = PathBuf::from(args.first().ok_or(
        "usage: features_bench DATASET_DIR [offline|online] [WINDOW_DAYS ...] [--csv OUT]",
    )?);
    let mode: Mode = args.get(1).map_or(Ok(Mode::Offline), |m| m.parse())?;
    let windows: Vec<i64> = if args.len() > 2 {
        args[2..]
            .iter()
            .map(|d| d.parse::<f64>().map(|d| (d * 86_400.0) as i64))
            .collect::<Result<_, _>>()?
    } else {
        vec![7 * 86_400]
    };
    let t = Instant::now();
    let loaded = finmon_ingest::load(&dir, &finmon_ingest::Options::default())?;
    let txs = &loaded.dataset.transactions;
    println!(
        "load     {:>8.2} s  {} transactions, process peak {}",
        t.elapsed().as_secs_f64(),
        txs.len(),
        peak_rss()
    );
    let t = Instant::now();
    let graph = TemporalGraph::build(txs)?;
    let s = t.elapsed().as_secs_f64();
    let mut stages = s;
    let edges = graph.n_edges().max(1) as f64;
    println!(
        "graph    {s:>8.2} s  {} edges, {:.0} edges/s, {:.1} bytes/edge",
        graph.n_edges(),
        edges / s.max(1e-9),
        graph.heap_bytes() as f64 / edges
    );
    let mut cfg = FeatureConfig::new(mode, windows);
    if let Some(n) = max_cycle_len {
        cfg.max_cycle_len = n;
    }
    if let Some(n) = hub {
        cfg.hub_degree = n;
    }
    if let Some(n) = budget {
        cfg.search_budget = n;
    }
    let t = Instant::now();
    let m = compute(&graph, txs, &cfg)?;
    let s = t.elapsed().as_secs_f64();
    stages += s;
    println!(
        "features {s:>8.2} s  {} columns, {:.0} edges/s, {:.1} bytes/edge, process peak {}",
        m.n_cols(),
        edges / s.max(1e-9),
        m.heap_bytes() as f64 / edges,
        peak_rss()
    );
    if mine {
        let t = Instant::now();
        let ds = &loaded.dataset;
        let mined = finmon_graph::mine_dataset(&graph, ds, &finmon_graph::MinerConfig::default())?;
        let s = t.elapsed().as_secs_f64();
        stages += s;
        println!(
            "mining   {s:>8.2} s  {} instances, {:.0} edges/s",
            mined.len(),
            edges / s.max(1e-9)
        );
        println!(
            "build + features + mining {stages:.2} s; graph + matrix {:.1} bytes/edge; process peak {}",
            (graph.heap_bytes() + m.heap_bytes()) as f64 / edges,
            peak_rss()
        );
    }
    if let Some(path) = csv {
        let ids = &txs.ids;
        let row_of: HashMap<String, usize> = (0..ids.len())
            .map(|r| (ids.get(r).into_owned(), r))
            .collect();
        let mut typ = vec![""; txs.len()];
        for l in &loaded.labels {
            if l.subject.kind == SubjectKind::Transaction {
                if let Some(&r) = row_of.get(&l.subject.id) {
                    typ[r] = l.typology.as_str();
                }
            }
        }
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
        writeln!(w, "day,label,typology,{}", m.names.join(","))?;
        for (r, ty) in typ.iter().enumerate() {
            write!(
                w,
                "{},{},{}",
                txs.ts[r].0.div_euclid(86_400),
                u8::from(!ty.is_empty()),
                ty
            )?;
            for c in 0..m.n_cols() {
                write!(w, ",{}", m.get(r, c))?;
            }
            writeln!(w)?;
        }
    }
    Ok(())
}

/// The process's peak resident memory, from `/proc/self/status` (Linux).
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
