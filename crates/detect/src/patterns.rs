//! Graph patterns as findings: every instance the miner finds becomes a group (`group_id`
//! `fan_in-12`, …) of findings on its transactions and accounts, each with the instance's
//! reason. A subject in several instances of one pattern is reported once, with its first.

use crate::Detector;
use finmon_graph::{mine_dataset, MinerConfig, TemporalGraph};
use finmon_model::{Dataset, Finding, Subject, SubjectKind};
use std::collections::HashSet;

pub struct Patterns {
    pub config: MinerConfig,
}

/// A shape is a lead, not a verdict: a middling score.
const SCORE: f64 = 0.5;

impl Detector for Patterns {
    fn name(&self) -> &'static str {
        "patterns"
    }

    fn detect(&self, ds: &Dataset, out: &mut Vec<Finding>) {
        let graph = match TemporalGraph::build(&ds.transactions) {
            Ok(g) => g,
            Err(e) => {
                tracing::error!("graph not built, no patterns mined: {e}");
                return;
            }
        };
        let instances = match mine_dataset(&graph, ds, &self.config) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!("patterns not mined: {e}");
                return;
            }
        };
        let mut seen = HashSet::new();
        let mut number = std::collections::HashMap::new();
        for inst in instances {
            let typology = inst.kind.typology();
            let n = number.entry(typology).or_insert(0u32);
            *n += 1;
            let group = format!("{}-{n}", typology.as_str());
            let subjects = inst
                .txs
                .iter()
                .map(|&r| {
                    Subject::new(
                        SubjectKind::Transaction,
                        ds.transactions.ids.get(r as usize),
                    )
                })
                .chain(inst.accounts.iter().map(|&a| {
                    Subject::new(SubjectKind::Account, finmon_graph::account_name(ds, a))
                }));
            for subject in subjects {
                if seen.insert((subject.clone(), typology)) {
                    out.push(Finding {
                        subject,
                        typology,
                        group_id: Some(group.clone()),
                        score: SCORE,
                        reason: inst.reason.clone(),
                    });
                }
            }
        }
    }
}
