//! `finmon generate OUT`: writes a synthetic dataset with labels (see `finmon-generate`).

use anyhow::{Context, Result};
use finmon_model::Date;
use std::path::PathBuf;

/// How big a world to generate, and from which seed: shared by `generate` and `demo`.
#[derive(clap::Args, Clone)]
pub struct World {
    /// People in the population; firms, banks' ATMs and planted schemes scale with them.
    #[arg(long, default_value_t = 10_000)]
    people: u32,
    /// Days of transactions.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// The same seed (and the same other arguments) gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(clap::Args)]
pub struct Args {
    /// The folder to write (created if missing; tables in it are overwritten).
    out: PathBuf,
    #[command(flatten)]
    world: World,
    /// The first day, YYYY-MM-DD (local time, UTC+5).
    #[arg(long, default_value = "2025-01-01")]
    start: String,
}

impl Args {
    /// The defaults, writing to `out` (what `finmon demo` generates).
    pub fn demo(out: PathBuf, world: &World) -> Args {
        Args {
            out,
            world: world.clone(),
            start: "2025-01-01".into(),
        }
    }
}

pub fn run(a: &Args) -> Result<()> {
    let start = Date::parse(&a.start).with_context(|| format!("--start {}", a.start))?;
    let cfg = finmon_generate::Config {
        people: a.world.people,
        days: a.world.days,
        seed: a.world.seed,
        start,
    };
    let s = finmon_generate::generate(&cfg, &a.out)
        .with_context(|| format!("generating into {}", a.out.display()))?;
    for (table, rows) in &s.tables {
        println!("{table}: {rows} rows");
    }
    let planted: Vec<String> = s.groups.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!("planted groups: {}", planted.join(", "));
    let mb = s.transaction_bytes as f64 / 1e6;
    println!(
        "{} transactions ({mb:.0} MB) in {:.2} s: {:.0} transactions/s, {:.0} MB/s; wrote {}",
        s.transactions,
        s.seconds,
        s.transactions as f64 / s.seconds.max(1e-9),
        mb / s.seconds.max(1e-9),
        a.out.display()
    );
    Ok(())
}
