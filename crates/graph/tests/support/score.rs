//! Scoring the miner against AMLSim labels, shared by `tests/amlsim.rs` and
//! `examples/amlsim_score.rs`.
//!
//! A labelled transaction counts as recalled when it is in some instance of its own pattern.
//! Precision is how many of the transactions the instances of a pattern cover carry that
//! pattern's label (and, more leniently, any laundering label). For data labelled per account
//! (AMLSim's sample graphs), the same over accounts.

#![allow(dead_code)]

use finmon_graph::{Pattern, PatternInstance};
use finmon_model::{Dataset, Label, SubjectKind};
use std::collections::{HashMap, HashSet};

pub const KINDS: [Pattern; 5] = [
    Pattern::FanIn,
    Pattern::FanOut,
    Pattern::Cycle,
    Pattern::ScatterGather,
    Pattern::GatherScatter,
];

pub struct Score {
    pub kind: Pattern,
    pub labelled: usize,
    pub recalled: usize,
    pub instances: usize,
    pub covered: usize,
    pub covered_same: usize,
    pub covered_any_label: usize,
}

impl Score {
    pub fn recall(&self) -> f64 {
        if self.labelled == 0 {
            return 0.0;
        }
        self.recalled as f64 / self.labelled as f64
    }

    /// Of the transactions the pattern's instances cover, the share labelled with the pattern.
    pub fn precision(&self) -> f64 {
        if self.covered == 0 {
            return 0.0;
        }
        self.covered_same as f64 / self.covered as f64
    }
}

/// Transaction rows labelled with each pattern.
pub fn labelled_rows(ds: &Dataset, labels: &[Label]) -> HashMap<Pattern, HashSet<u32>> {
    let ids = &ds.transactions.ids;
    let row_of: HashMap<String, u32> = (0..ids.len())
        .map(|r| (ids.get(r).into_owned(), r as u32))
        .collect();
    let mut out: HashMap<Pattern, HashSet<u32>> = HashMap::new();
    for l in labels {
        if l.subject.kind != SubjectKind::Transaction {
            continue;
        }
        let (Some(kind), Some(&row)) = (
            Pattern::from_typology(l.typology),
            row_of.get(&l.subject.id),
        ) else {
            continue;
        };
        out.entry(kind).or_default().insert(row);
    }
    out
}

pub fn score(
    found: &[PatternInstance],
    truth: &HashMap<Pattern, HashSet<u32>>,
    any_label: &HashSet<u32>,
) -> Vec<Score> {
    KINDS
        .iter()
        .map(|&kind| {
            let covered: HashSet<u32> = found
                .iter()
                .filter(|i| i.kind == kind)
                .flat_map(|i| i.txs.iter().copied())
                .collect();
            let mine = truth.get(&kind).cloned().unwrap_or_default();
            Score {
                kind,
                labelled: mine.len(),
                recalled: mine.iter().filter(|r| covered.contains(r)).count(),
                instances: found.iter().filter(|i| i.kind == kind).count(),
                covered: covered.len(),
                covered_same: covered.iter().filter(|r| mine.contains(r)).count(),
                covered_any_label: covered.iter().filter(|r| any_label.contains(r)).count(),
            }
        })
        .collect()
}

pub fn print(title: &str, scores: &[Score], found: &[PatternInstance], secs: f64) {
    println!("\n{title} (mined in {secs:.2} s)");
    println!(
        "{:<15} {:>8} {:>8} {:>7} {:>9} {:>9} {:>9} {:>12} {:>11} {:>10}",
        "pattern",
        "labelled",
        "recalled",
        "recall",
        "precision",
        "instances",
        "tx_cover",
        "same_label",
        "any_label",
        "unlabelled"
    );
    for s in scores {
        println!(
            "{:<15} {:>8} {:>8} {:>7.3} {:>9.4} {:>9} {:>9} {:>12} {:>11} {:>10}",
            s.kind.as_str(),
            s.labelled,
            s.recalled,
            s.recall(),
            s.precision(),
            s.instances,
            s.covered,
            s.covered_same,
            s.covered_any_label,
            s.covered - s.covered_any_label
        );
    }
    for kind in [Pattern::Bipartite, Pattern::Stack] {
        let n = found.iter().filter(|i| i.kind == kind).count();
        println!(
            "{:<15} (not labelled in AMLSim) {n} instances",
            kind.as_str()
        );
    }
}

/// Account-level score of data labelled per account (AMLSim's sample graphs): the accounts in
/// instances of `kinds` against the accounts labelled as laundering.
pub struct AccountScore {
    pub labelled: usize,
    pub flagged: usize,
    pub hits: usize,
}

impl AccountScore {
    pub fn recall(&self) -> f64 {
        self.hits as f64 / self.labelled.max(1) as f64
    }

    pub fn precision(&self) -> f64 {
        self.hits as f64 / self.flagged.max(1) as f64
    }
}

/// Account ids labelled as laundering, by the dataset's account keys.
pub fn labelled_accounts(ds: &Dataset, labels: &[Label]) -> HashSet<u32> {
    let keys: HashMap<&str, u32> = (0..ds.accounts.keys.len() as u32)
        .map(|id| (ds.account_key(id), id))
        .collect();
    labels
        .iter()
        .filter(|l| l.subject.kind == SubjectKind::Account)
        .filter_map(|l| keys.get(l.subject.id.as_str()).copied())
        .collect()
}

pub fn score_accounts(
    found: &[PatternInstance],
    kinds: &[Pattern],
    truth: &HashSet<u32>,
) -> AccountScore {
    let flagged: HashSet<u32> = found
        .iter()
        .filter(|i| kinds.contains(&i.kind))
        .flat_map(|i| i.accounts.iter().copied())
        .collect();
    AccountScore {
        labelled: truth.len(),
        flagged: flagged.len(),
        hits: flagged.iter().filter(|a| truth.contains(a)).count(),
    }
}
