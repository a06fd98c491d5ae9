//! Detection settings: the documented defaults in `config/finmon.toml`, built in, with any
//! user file merged over them key by key.

use finmon_model::{money::parse_decimal, Date, Kzt, TxKind};
use serde::Deserialize;

/// The defaults, as shipped and documented.
pub const DEFAULT_TOML: &str = include_str!("../../../config/finmon.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("config: {key}: {message}")]
    Value { key: String, message: String },
}

#[derive(Debug, Clone, Deserialize)]
struct Raw {
    missing_iin: RawMissingIin,
    no_biometrics: NoBiometrics,
    video_gap: RawVideoGap,
    threshold_report: RawThresholds,
    patterns: RawPatterns,
    #[serde(default)]
    schemes: finmon_schemes::SchemesConfig,
}

#[derive(Debug, Clone, Deserialize)]
struct RawPatterns {
    enabled: bool,
    #[serde(default)]
    miner: finmon_graph::MinerConfig,
}

#[derive(Debug, Clone, Deserialize)]
struct RawMissingIin {
    threshold_kzt: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NoBiometrics {
    pub flag_unknown: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct RawVideoGap {
    retention_days: u32,
    effective_from: String,
}

#[derive(Debug, Clone, Deserialize)]
struct RawThresholds {
    offshore_countries: Vec<String>,
    rules: Vec<RawRule>,
}

#[derive(Debug, Clone, Deserialize)]
struct RawRule {
    name: String,
    min_kzt: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    reference_keywords: Vec<String>,
    #[serde(default)]
    offshore: bool,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

/// One threshold-reporting rule: all the conditions it sets must hold.
#[derive(Debug, Clone)]
pub struct ThresholdRule {
    pub name: String,
    pub min: Kzt,
    /// Empty: any kind.
    pub kinds: Vec<TxKind>,
    /// Lower-case; empty: no keyword condition.
    pub keywords: Vec<String>,
    pub offshore: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub missing_iin_threshold: Kzt,
    pub no_biometrics: NoBiometrics,
    pub video_retention_days: u32,
    pub video_effective_from: Option<Date>,
    pub offshore_countries: Vec<String>,
    pub threshold_rules: Vec<ThresholdRule>,
    /// Mine graph patterns (fan-in/out, cycles, scatter-gather, …) as findings.
    pub patterns_enabled: bool,
    pub miner: finmon_graph::MinerConfig,
    /// The scheme detectors (networks, drops, shell rings, exchanges, structuring).
    pub schemes: finmon_schemes::SchemesConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config::from_toml("").expect("the built-in config is valid")
    }
}

/// Merges `over` into `base`: tables key by key, anything else replaced.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn kzt(key: &str, v: &str) -> Result<Kzt, ConfigError> {
    parse_decimal(v)
        .ok()
        .and_then(Kzt::exact)
        .filter(|k| k.0 > 0)
        .ok_or_else(|| ConfigError::Value {
            key: key.into(),
            message: format!("'{v}' is not a positive tenge amount with at most 2 decimals"),
        })
}

impl Config {
    /// The defaults with a user's TOML merged over them.
    pub fn from_toml(user: &str) -> Result<Config, ConfigError> {
        let mut base: toml::Table = toml::from_str(DEFAULT_TOML)?;
        merge(&mut base, toml::from_str(user)?);
        let raw: Raw = toml::Value::Table(base).try_into()?;
        let mut rules = Vec::new();
        for r in raw.threshold_report.rules.into_iter().filter(|r| r.enabled) {
            let key = format!("threshold_report.rules[{}]", r.name);
            let kinds = r
                .kinds
                .iter()
                .map(|k| {
                    TxKind::parse(k).ok_or_else(|| ConfigError::Value {
                        key: key.clone(),
                        message: format!(
                            "unknown kind '{k}' (expected one of {})",
                            TxKind::expected()
                        ),
                    })
                })
                .collect::<Result<_, _>>()?;
            rules.push(ThresholdRule {
                min: kzt(&key, &r.min_kzt)?,
                name: r.name,
                kinds,
                keywords: r
                    .reference_keywords
                    .iter()
                    .map(|k| k.to_lowercase())
                    .collect(),
                offshore: r.offshore,
            });
        }
        let effective = raw.video_gap.effective_from.trim();
        Ok(Config {
            missing_iin_threshold: kzt(
                "missing_iin.threshold_kzt",
                &raw.missing_iin.threshold_kzt,
            )?,
            no_biometrics: raw.no_biometrics,
            video_retention_days: raw.video_gap.retention_days,
            video_effective_from: if effective.is_empty() {
                None
            } else {
                Some(Date::parse(effective).map_err(|e| ConfigError::Value {
                    key: "video_gap.effective_from".into(),
                    message: e.to_string(),
                })?)
            },
            offshore_countries: raw.threshold_report.offshore_countries,
            threshold_rules: rules,
            patterns_enabled: raw.patterns.enabled,
            miner: raw.patterns.miner,
            schemes: raw.schemes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `[schemes]` section of the shipped file documents the built-in defaults exactly.
    #[test]
    fn schemes_section_is_the_built_in_default() {
        let c = Config::default();
        assert_eq!(c.schemes, finmon_schemes::SchemesConfig::default());
        let raw: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
        assert!(
            raw.contains_key("schemes"),
            "documented in config/finmon.toml"
        );
        let c = Config::from_toml("[schemes.drop_card]\nmin_inbound = 5\n").unwrap();
        assert_eq!(c.schemes.drop_card.min_inbound, 5);
        assert_eq!(c.schemes.drop_card.pass_through_hours, 48);
        assert_eq!(c.schemes.structuring.lines.len(), 2);
        assert!(Config::from_toml("[schemes.drop_card]\nmin_inbuond = 5\n").is_err());
    }

    /// The `long_horizon` preset spelled out in the `[patterns]` comments of the shipped file
    /// is the crate's preset, key for key.
    #[test]
    fn documented_long_horizon_miner_settings_are_the_preset() {
        let section = DEFAULT_TOML
            .split("\n[patterns]\n")
            .nth(1)
            .and_then(|rest| rest.split("\n[schemes]").next())
            .expect("a [patterns] section");
        let example: String = section
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .skip_while(|l| !l.starts_with("[patterns.miner"))
            .filter(|l| !l.starts_with(' '))
            .map(|l| format!("{l}\n"))
            .collect();
        let user = format!("[patterns]\nenabled = true\n{example}");
        let c = Config::from_toml(&user).expect("the documented example parses");
        assert_eq!(c.miner, finmon_graph::MinerConfig::long_horizon());
        assert!(c.patterns_enabled);
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = Config::default();
        assert_eq!(c.missing_iin_threshold, Kzt::from_tenge(500_000));
        assert_eq!(c.video_retention_days, 180);
        let names: Vec<&str> = c.threshold_rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "gambling winnings",
                "cultural property",
                "pawnshop",
                "offshore"
            ]
        );
        assert!(c.offshore_countries.iter().any(|c| c == "KY"));
    }

    #[test]
    fn user_values_override_key_by_key() {
        let c = Config::from_toml("[missing_iin]\nthreshold_kzt = \"100000.50\"\n[video_gap]\neffective_from = \"2026-01-01\"").unwrap();
        assert_eq!(c.missing_iin_threshold, Kzt(10_000_050));
        assert_eq!(
            c.video_retention_days, 180,
            "untouched keys keep their defaults"
        );
        assert_eq!(
            c.video_effective_from.map(|d| d.to_string()).as_deref(),
            Some("2026-01-01")
        );
    }

    #[test]
    fn bad_values_are_named() {
        let e = Config::from_toml("[missing_iin]\nthreshold_kzt = \"5e5\"").unwrap_err();
        assert!(e.to_string().contains("missing_iin.threshold_kzt"), "{e}");
        assert!(Config::from_toml("[video_gap\n").is_err());
        let e = Config::from_toml(
            "[[threshold_report.rules]]\nname=\"x\"\nmin_kzt=\"1\"\nkinds=[\"cash\"]",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown kind 'cash'"), "{e}");
    }
}
