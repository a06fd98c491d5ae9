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

/// Runs every detector and returns the findings in a stable order (by detector, then subject),
/// one per subject and typology (see [`merge_duplicates`]).
pub fn detect_all(ds: &Dataset, config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    for d in detectors(config) {
        d.detect(ds, &mut out);
    }
    merge_duplicates(out)
}

/// One finding per subject and typology, as `dataset.md` has it: a party holding three drop
/// cards, or flagged both by a rule and inside a network, is one row. The first finding stays
/// where it was, with the highest score, the first group named, and every distinct reason
/// (the first three, and how many more).
pub fn merge_duplicates(findings: Vec<Finding>) -> Vec<Finding> {
    use std::collections::HashMap;
    let mut at: HashMap<(finmon_model::SubjectKind, String, finmon_model::Typology), usize> =
        HashMap::new();
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut reasons: Vec<Vec<String>> = Vec::with_capacity(findings.len());
    for f in findings {
        let key = (f.subject.kind, f.subject.id.clone(), f.typology);
        match at.get(&key) {
            Some(&i) => {
                let kept = &mut out[i];
                kept.score = kept.score.max(f.score);
                if kept.group_id.is_none() {
                    kept.group_id = f.group_id;
                }
                if !reasons[i].contains(&f.reason) {
                    reasons[i].push(f.reason);
                }
            }
            None => {
                at.insert(key, out.len());
                reasons.push(vec![f.reason.clone()]);
                out.push(f);
            }
        }
    }
    for (f, r) in out.iter_mut().zip(reasons) {
        if r.len() > 1 {
            let more = r.len().saturating_sub(3);
            let mut joined = r.into_iter().take(3).collect::<Vec<_>>().join(" | ");
            if more > 0 {
                joined.push_str(&format!(" | and {more} more"));
            }
            f.reason = joined;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::merge_duplicates;
    use finmon_model::{Finding, Subject, SubjectKind, Typology};

    fn f(id: &str, t: Typology, group: Option<&str>, score: f64, reason: &str) -> Finding {
        Finding {
            subject: Subject::new(SubjectKind::Party, id),
            typology: t,
            group_id: group.map(String::from),
            score,
            reason: reason.into(),
        }
    }

    #[test]
    fn one_finding_per_subject_and_typology() {
        let merged = merge_duplicates(vec![
            f(
                "P1",
                Typology::FictitiousIdentity,
                None,
                0.95,
                "invalid IIN",
            ),
            f("P2", Typology::Mule, Some("NET-1"), 0.8, "holder of C1"),
            f(
                "P1",
                Typology::FictitiousIdentity,
                Some("NET-1"),
                0.8,
                "holder of C2",
            ),
            f("P2", Typology::Mule, Some("NET-1"), 0.8, "holder of C3"),
            f("P2", Typology::Mule, Some("NET-1"), 0.8, "holder of C3"),
            f("P2", Typology::DropCard, None, 0.5, "other typology"),
        ]);
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[0].reason, "invalid IIN | holder of C2");
        assert_eq!(merged[0].group_id.as_deref(), Some("NET-1"));
        assert_eq!(merged[0].score, 0.95);
        assert_eq!(merged[1].reason, "holder of C1 | holder of C3");
        assert_eq!(merged[2].typology, Typology::DropCard);
    }
}
