//! finmon's scheme detectors: the schemes Kazakhstan's financial monitoring hunts, found from
//! behaviour alone (never from labels, ids or row order), each reported as a whole.
//!
//! - [`cashout`](crate::cashout): drop cards, their holders, and the crypto-to-cash networks
//!   that feed and empty them (`drop_card`, `mule`, `fictitious_identity`, `cash_out_network`);
//! - [`shell`](crate::shell): rings of linked young firms paying each other invoices with no
//!   business behind them (`shell_firm`, `false_invoice`);
//! - [`exchange`](crate::exchange): flows through VASPs without a licence and persons acting as
//!   exchanges (`unlicensed_exchange`, `exchanger`);
//! - [`structuring`](crate::structuring): operations kept just under a threshold.
//!
//! Each finding says why (the figures, the counterparts, the shared device); each network, ring
//! or exchanger is also a [`Group`] with its members, money, time span and evidence, for the
//! AFM's report (`finmon networks`). Settings: [`SchemesConfig`].

pub mod config;

mod cashout;
mod exchange;
mod flows;
mod shell;
mod structuring;
mod svg;
#[cfg(test)]
mod tests;

pub use config::SchemesConfig;
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{Dataset, Finding, Kzt, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, thiserror::Error)]
pub enum SchemesError {
    #[error(transparent)]
    Graph(#[from] finmon_graph::GraphError),
}

/// What kind of scheme a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKind {
    CashOutNetwork,
    ShellRing,
    UnlicensedExchange,
    Exchanger,
    Structuring,
}

impl GroupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::CashOutNetwork => "cash-out network",
            GroupKind::ShellRing => "shell-firm ring",
            GroupKind::UnlicensedExchange => "unlicensed exchange",
            GroupKind::Exchanger => "exchanger",
            GroupKind::Structuring => "structuring",
        }
    }
}

/// One network, ring or exchanger as a whole.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub kind: GroupKind,
    /// Members by id, with their role (`organiser account`, `drop card`, `holder`, `firm` …).
    pub parties: BTreeMap<String, String>,
    pub accounts: BTreeMap<String, String>,
    pub institutions: BTreeSet<String>,
    pub atms: BTreeSet<String>,
    /// Money that came into the members (for an exchange: that went through it either way),
    /// and what left as cash.
    pub volume_in: Kzt,
    pub cashed_out: Kzt,
    pub transactions: usize,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// The strongest evidence first, one line each.
    pub evidence: Vec<String>,
    /// Money between nodes (`account:ID`, `atm:ID`, `cash`), for a picture.
    pub edges: BTreeMap<(String, String), Kzt>,
}

impl Group {
    pub(crate) fn new(id: String, kind: GroupKind) -> Group {
        Group {
            id,
            kind,
            parties: BTreeMap::new(),
            accounts: BTreeMap::new(),
            institutions: BTreeSet::new(),
            atms: BTreeSet::new(),
            volume_in: Kzt(0),
            cashed_out: Kzt(0),
            transactions: 0,
            first: None,
            last: None,
            evidence: Vec::new(),
            edges: BTreeMap::new(),
        }
    }

    pub(crate) fn account(&mut self, f: &flows::Flows, a: u32, role: &str) {
        self.accounts
            .entry(f.ds.account_key(a).to_string())
            .or_insert_with(|| role.to_string());
        if let Some(i) = f.ds.account(a).and_then(|x| x.institution.clone()) {
            self.institutions.insert(i);
        }
    }

    pub(crate) fn party(&mut self, f: &flows::Flows, p: u32, role: &str) {
        self.parties
            .entry(f.ds.parties.key(p as usize).to_string())
            .or_insert_with(|| role.to_string());
    }

    pub(crate) fn add_row(&mut self, f: &flows::Flows, r: u32) {
        let t = &f.ds.transactions;
        let row = r as usize;
        let ts = t.ts[row];
        self.first = Some(self.first.map_or(ts, |x| x.min(ts)));
        self.last = Some(self.last.map_or(ts, |x| x.max(ts)));
        self.transactions += 1;
        let atm = t.atm_id.get(row);
        if let Some(a) = atm {
            self.atms.insert(a.to_string());
        }
        let node = |a: u32| {
            if a == NO_ACCOUNT {
                atm.map_or_else(|| "cash".to_string(), |x| format!("atm:{x}"))
            } else {
                format!("account:{}", f.ds.account_key(a))
            }
        };
        let e = self
            .edges
            .entry((node(t.from[row]), node(t.to[row])))
            .or_insert(Kzt(0));
        e.0 += t.amount_kzt[row].0;
    }
}

/// Findings and groups of every scheme detector.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub groups: Vec<Group>,
    /// Rows a scheme already accounts for (a network's payouts are not also structuring).
    explained: BTreeSet<u32>,
}

/// Runs every scheme detector over a dataset.
pub fn detect(ds: &Dataset, cfg: &SchemesConfig) -> Result<Report, SchemesError> {
    let f = flows::Flows::new(ds)?;
    let mut report = Report::default();
    cashout::detect(&f, cfg, &mut report);
    shell::detect(&f, cfg, &mut report);
    exchange::detect(&f, cfg, &mut report);
    structuring::detect(&f, cfg, &mut report);
    Ok(report)
}
