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

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> Config {
        Config {
            people: 400,
            days: 20,
            seed,
            ..Config::default()
        }
    }

    fn read(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
            .collect()
    }

    #[test]
    fn a_small_world_has_every_table_and_scheme() {
        let dir = std::env::temp_dir().join(format!("finmon-gen-{}-small", std::process::id()));
        let s = generate(&small(3), &dir).expect("generates");
        let names: Vec<&str> = s.tables.iter().map(|t| t.0).collect();
        for t in [
            "institutions",
            "parties",
            "accounts",
            "identifiers",
            "rates",
            "atm_video",
            "transactions",
            "labels",
        ] {
            assert!(names.contains(&t), "{t} missing from {names:?}");
        }
        assert!(s.tables.iter().all(|t| t.1 > 0), "{:?}", s.tables);
        for (kind, n) in &s.groups {
            assert!(*n >= 1, "no {kind} planted");
        }
        let labels = std::fs::read_to_string(dir.join("labels.csv")).expect("labels");
        for typology in finmon_model::Typology::ALL {
            if *typology != finmon_model::Typology::Laundering {
                assert!(
                    labels.contains(&format!(",{},", typology.as_str())),
                    "no {typology} label"
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_seed_gives_the_same_bytes() {
        let base = std::env::temp_dir().join(format!("finmon-gen-{}-seed", std::process::id()));
        let (a, b, c) = (base.join("a"), base.join("b"), base.join("c"));
        generate(&small(9), &a).expect("a");
        generate(&small(9), &b).expect("b");
        generate(&small(10), &c).expect("c");
        let (ra, rb, rc) = (read(&a), read(&b), read(&c));
        assert_eq!(ra.len(), rb.len());
        for (x, y) in ra.iter().zip(&rb) {
            assert!(x.1 == y.1, "{} and {} differ", x.0, y.0);
        }
        let tx = |r: &[(String, Vec<u8>)]| {
            r.iter()
                .find(|f| f.0.ends_with("transactions.csv"))
                .map(|f| f.1.clone())
        };
        assert_ne!(tx(&ra), tx(&rc), "another seed, the same transactions");
        let _ = std::fs::remove_dir_all(&base);
    }

    /// The smallest world, one day, and a long thin one: nothing panics, everything is written.
    #[test]
    fn extreme_settings_still_generate() {
        let base = std::env::temp_dir().join(format!("finmon-gen-{}-extreme", std::process::id()));
        for (people, days) in [(100, 1), (100, 2), (150, 400)] {
            let cfg = Config {
                people,
                days,
                seed: 5,
                ..Config::default()
            };
            let dir = base.join(format!("{people}-{days}"));
            let s = generate(&cfg, &dir).expect("generates");
            assert!(
                s.transactions > 0,
                "{people} people, {days} days: no transactions"
            );
        }
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let bad = Config {
            people: 5,
            ..Config::default()
        };
        assert!(matches!(bad.validate(), Err(GenError::Config(m)) if m.contains("--people")));
        let bad = Config {
            days: 0,
            ..Config::default()
        };
        assert!(bad.validate().is_err());
    }
}
