//! `finmon generate`: a synthetic Kazakhstan financial system in the finmon dataset format
//! (`dataset.md`), with every planted laundering scheme and every rule breach labelled.
//!
//! See the README section of the crate (below) for the world, the schemes and the labels.
#![doc = include_str!("../README.md")]

pub mod background;
pub mod error;
pub mod ids;
pub mod names;
pub mod out;
pub mod rng;
pub mod rules;
pub mod schemes;
pub mod tables;
pub mod vocab;
pub mod world;

pub use error::GenError;

use finmon_model::Date;
use std::path::Path;
use std::time::Instant;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// People in the population (firms, banks, ATMs and schemes scale with them).
    pub people: u32,
    /// Days of transactions.
    pub days: u32,
    pub seed: u64,
    /// The first day (local calendar, UTC+5).
    pub start: Date,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            people: 10_000,
            days: 90,
            seed: 1,
            start: Date::from_ymd(2025, 1, 1).unwrap_or(Date(20_089)),
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), GenError> {
        if self.people < 100 {
            return Err(GenError::Config(format!(
                "--people must be at least 100 (got {}): the planted schemes need a population to hide in",
                self.people
            )));
        }
        if self.people > 50_000_000 {
            return Err(GenError::Config(format!(
                "--people {} is more than 50,000,000",
                self.people
            )));
        }
        if !(1..=3660).contains(&self.days) {
            return Err(GenError::Config(format!(
                "--days must be 1 to 3660 (got {})",
                self.days
            )));
        }
        Ok(())
    }
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Rows per table, in the order written.
    pub tables: Vec<(&'static str, u64)>,
    pub transactions: u64,
    pub labels: u64,
    pub transaction_bytes: u64,
    /// Planted groups per scheme kind (`con`, `shell`, …).
    pub groups: Vec<(&'static str, u32)>,
    pub seconds: f64,
}

/// Writes a dataset into `dir` (created if missing): the reference tables first, then the
/// transactions day by day, each day sorted by time, with the labels beside them.
pub fn generate(cfg: &Config, dir: &Path) -> Result<Summary, GenError> {
    cfg.validate()?;
    let started = Instant::now();
    std::fs::create_dir_all(dir).map_err(|source| GenError::File {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut world = world::World::new(cfg);
    let mut schemes = schemes::Schemes::plant(&mut world);
    let mut tables = tables::write(&world, dir)?;
    let (labels, entity_labels) = tables::open_labels(&world, dir)?;
    let path = dir.join("transactions.csv");
    let file = std::fs::File::create(&path).map_err(|source| GenError::File { path, source })?;
    let mut out = out::Out::new(Box::new(file), labels, cfg.seed)?;
    for d in 0..world.days() {
        out.begin_day(&world, d);
        let mut rng = rng::Rng::new(cfg.seed, 1_000_000 + d as u64);
        background::day(&world, d, &mut rng, &mut out);
        schemes.day(&world, d, &mut out);
        out.end_day(&world)?;
    }
    let written = out.finish()?;
    tables.push(("transactions", written.transactions));
    tables.push(("labels", entity_labels + written.tx_labels));
    Ok(Summary {
        tables,
        transactions: written.transactions,
        labels: entity_labels + written.tx_labels,
        transaction_bytes: written.bytes + out::TX_HEADER.len() as u64,
        groups: schemes.groups(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
