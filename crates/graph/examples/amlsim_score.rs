//! `amlsim_score DATASET_DIR [PRESET|CONFIG.toml]`: mines an AMLSim run (or any labelled
//! dataset finmon reads) and prints recall and precision per pattern against its labels —
//! per transaction when the data labels transactions, per account otherwise. `PRESET` is
//! `default` or `long_horizon`; a TOML file deserializes over the defaults.
//!
//! ```sh
//! cargo run --release -p finmon-graph --example amlsim_score -- ../shared/data/amlsim-mix10k long_horizon
//! ```

#[path = "../tests/support/score.rs"]
mod score;

use finmon_graph::{mine, MinerConfig, Pattern, TemporalGraph};
use finmon_model::SubjectKind;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn config(arg: Option<String>) -> Result<MinerConfig, String> {
    let name = arg.unwrap_or_else(|| "default".into());
    match MinerConfig::preset(&name) {
        Some(c) => Ok(c),
        None => std::fs::read_to_string(&name)
            .map_err(|e| format!("{name}: {e}"))
            .and_then(|t| toml::from_str(&t).map_err(|e| format!("{name}: {e}"))),
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: amlsim_score DATASET_DIR [default|long_horizon|CONFIG.toml]");
        return ExitCode::from(2);
    };
    let cfg = match config(args.next()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let loaded = match finmon_ingest::load(&dir, &finmon_ingest::Options::default()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let ds = &loaded.dataset;
    let graph = match TemporalGraph::build(&ds.transactions) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("graph: {e}");
            return ExitCode::FAILURE;
        }
    };
    let t = Instant::now();
    let found = match mine(&graph, &ds.transactions, &cfg) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("mine: {e}");
            return ExitCode::FAILURE;
        }
    };
    let secs = t.elapsed().as_secs_f64();
    let per_tx = loaded
        .labels
        .iter()
        .any(|l| l.subject.kind == SubjectKind::Transaction);
    if per_tx {
        let truth = score::labelled_rows(ds, &loaded.labels);
        let any: HashSet<u32> = truth.values().flatten().copied().collect();
        let s = score::score(&found, &truth, &any);
        score::print(&dir.display().to_string(), &s, &found, secs);
    } else {
        let truth = score::labelled_accounts(ds, &loaded.labels);
        println!(
            "\n{} (mined in {secs:.2} s): {} accounts labelled",
            dir.display(),
            truth.len()
        );
        println!(
            "{:<15} {:>9} {:>8} {:>8} {:>7} {:>9}",
            "pattern", "instances", "flagged", "labelled", "recall", "precision"
        );
        for kind in Pattern::ALL {
            let s = score::score_accounts(&found, &[kind], &truth);
            println!(
                "{:<15} {:>9} {:>8} {:>8} {:>7.3} {:>9.4}",
                kind.as_str(),
                found.iter().filter(|i| i.kind == kind).count(),
                s.flagged,
                s.hits,
                s.recall(),
                s.precision()
            );
        }
        let s = score::score_accounts(&found, &Pattern::ALL, &truth);
        println!(
            "{:<15} {:>9} {:>8} {:>8} {:>7.3} {:>9.4}",
            "all",
            found.len(),
            s.flagged,
            s.hits,
            s.recall(),
            s.precision()
        );
    }
    ExitCode::SUCCESS
}
