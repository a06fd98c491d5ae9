//! finmon's detectors. Each reads the [`Dataset`] (never the labels) and writes [`Finding`]s
//! whose `reason` says which rule, which transaction or party, and how much.
//!
//! This crate holds the rule breaches that need no graph (`breaches`): the Kazakhstan rules on
//! card top-ups, biometrics, ATM video, threshold reporting and identity numbers; the schemes
//! of `finmon-schemes` (`schemes`: cash-out networks, drops, shell rings, exchanges,
//! structuring); and, when enabled, the graph patterns mined by `finmon-graph` (`patterns`).

pub mod breaches;
pub mod config;
pub mod patterns;
pub mod schemes;

pub use config::{Config, ConfigError};
use finmon_model::{Dataset, Finding};

/// A detector: one family of findings over a whole dataset.
pub trait Detector: Send + Sync {
    /// The name used in timings and logs.
    fn name(&self) -> &'static str;
    fn detect(&self, ds: &Dataset, out: &mut Vec<Finding>);
}

/// Every detector this build has, configured.
pub fn detectors(config: &Config) -> Vec<Box<dyn Detector>> {
    let mut all = breaches::all(config);
    if config.patterns_enabled {
        all.push(Box::new(patterns::Patterns {
            config: config.miner.clone(),
        }));
    }
    if config.schemes.enabled {
        all.push(Box::new(schemes::Schemes {
            config: config.schemes.clone(),
        }));
    }
    all
}

/// Runs every detector and returns the findings in a stable order (by detector, then subject).
pub fn detect_all(ds: &Dataset, config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    for d in detectors(config) {
        d.detect(ds, &mut out);
    }
    out
}
