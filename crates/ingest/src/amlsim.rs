//! IBM AMLSim outputs, in the two layouts it is published in:
//! - the full run: `transactions.csv` (`tran_id,orig_acct,bene_acct,tx_type,base_amt,
//!   tran_timestamp,is_sar,alert_id`), `alert_transactions.csv` (the typology of each alert) and
//!   `accounts.csv`;
//! - the sample graphs: `transactions.csv` (`sourceNodeId,targetNodeId,value,time`, time in
//!   days) and `nodes.csv` (`nodeid,isFraud,…`).
//!
//! Amounts are taken as US dollars. `is_sar`, `alert_id`, `isFraud`, `fraudStep` and
//! `prior_sar_count` are ground truth (AMLSim sets `prior_sar_count` for the accounts it plants
//! alerts on), so they become labels and never reach detection.

use crate::columns::{owned, required, ColumnMap};
use crate::reject::RowError;
use crate::rows::{Outcome, RowSink};
use crate::tables::Spec;
use crate::transactions::{Kind, TxChunk, TxFields, When};
use crate::IngestError;
use finmon_model::{Account, AccountKind, Date, Party, PartyKind, TxKind};

/// Which AMLSim layout a `transactions.csv` header is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Alerts,
    Nodes,
}

pub fn layout_of(header: &[String]) -> Option<Layout> {
    let has = |c: &str| header.iter().any(|h| h == c);
    if has("tran_id") && has("orig_acct") && has("bene_acct") {
        Some(Layout::Alerts)
    } else if has("sourceNodeId") && has("targetNodeId") {
        Some(Layout::Nodes)
    } else {
        None
    }
}

/// AMLSim's first simulated day; the sample graphs count days from it.
pub fn epoch() -> Date {
    Date::from_ymd(2017, 1, 1).expect("valid date")
}

fn tx_kind(t: &str) -> Option<TxKind> {
    Some(match t {
        "TRANSFER" | "WIRE" | "CHECK" | "CREDIT" | "PAYMENT" => TxKind::Transfer,
        "CASH-IN" | "DEPOSIT" => TxKind::CashDeposit,
        "CASH-OUT" | "WITHDRAWAL" => TxKind::CashWithdrawal,
        _ => return None,
    })
}

/// A labelled row: (tx id, from account, to account, alert id).
pub type SarRow = (String, String, String, String);

pub const ALERTS_KNOWN: &[&str] = &[
    "tran_id",
    "orig_acct",
    "bene_acct",
    "tx_type",
    "base_amt",
    "tran_timestamp",
    "is_sar",
    "alert_id",
];
const ALERTS_REQUIRED: &[&str] = &[
    "tran_id",
    "orig_acct",
    "bene_acct",
    "base_amt",
    "tran_timestamp",
];
pub const NODES_KNOWN: &[&str] = &["sourceNodeId", "targetNodeId", "value", "time"];

/// Row sink for both layouts of `transactions.csv`.
pub struct AmlsimTx<'a> {
    pub chunk: TxChunk<'a>,
    layout: Layout,
    cols: ColumnMap,
    attr_idx: Vec<usize>,
    pub sar: Vec<SarRow>,
}

impl<'a> AmlsimTx<'a> {
    pub fn new(
        ctx: &'a crate::transactions::TxContext<'a>,
        layout: Layout,
        file: &str,
        header: &[String],
    ) -> Result<Self, IngestError> {
        let cols = match layout {
            Layout::Alerts => {
                ColumnMap::new("transactions", file, header, ALERTS_KNOWN, ALERTS_REQUIRED)?
            }
            Layout::Nodes => {
                ColumnMap::new("transactions", file, header, NODES_KNOWN, NODES_KNOWN)?
            }
        };
        let names: Vec<String> = cols.attrs.iter().map(|(_, n)| n.clone()).collect();
        let attr_idx = cols.attrs.iter().map(|(i, _)| *i).collect();
        Ok(AmlsimTx {
            chunk: TxChunk::new(ctx, &names, layout == Layout::Alerts),
            layout,
            cols,
            attr_idx,
            sar: Vec::new(),
        })
    }
}

impl RowSink for AmlsimTx<'_> {
    fn header(&mut self, _names: &[String]) -> Result<(), IngestError> {
        Ok(())
    }

    fn row(&mut self, line: u64, f: &[Option<&str>]) -> Result<Outcome, RowError> {
        let c = &self.cols;
        let attrs: Vec<Option<&str>> = self.attr_idx.iter().map(|&i| f[i]).collect();
        match self.layout {
            Layout::Alerts => {
                let tx_type = c.get(f, 3).unwrap_or("TRANSFER");
                let kind = tx_kind(tx_type).ok_or_else(|| {
                    RowError::new("tx_type", format!("unknown AMLSim tx_type '{tx_type}'"))
                })?;
                let sar = match c.get(f, 6) {
                    None | Some("False" | "false" | "0") => false,
                    Some("True" | "true" | "1") => true,
                    Some(o) => {
                        return Err(RowError::new(
                            "is_sar",
                            format!("is_sar must be True or False, got '{o}'"),
                        ))
                    }
                };
                let id = required(c.get(f, 0), "tran_id")?;
                let from = required(c.get(f, 1), "orig_acct")?;
                let to = required(c.get(f, 2), "bene_acct")?;
                let when = When::Rfc3339(required(c.get(f, 5), "tran_timestamp")?);
                let amount = required(c.get(f, 4), "base_amt")?;
                let fields = TxFields {
                    id: Some(id),
                    from: Some(from),
                    to: Some(to),
                    attrs: &attrs,
                    ..TxFields::new(when, Kind::Known(kind), amount, "USD")
                };
                let print = self.chunk.fingerprint(f);
                self.chunk.add(&fields, line, Some(print))?;
                if sar {
                    let alert = c.get(f, 7).unwrap_or("").to_string();
                    self.sar.push((id.into(), from.into(), to.into(), alert));
                }
            }
            Layout::Nodes => {
                let time = required(c.get(f, 3), "time")?;
                let day: i32 = time
                    .parse()
                    .ok()
                    .filter(|d| (0..=36_500).contains(d))
                    .ok_or_else(|| {
                        RowError::new(
                            "time",
                            format!("time must be a day number 0..36500, got '{time}'"),
                        )
                    })?;
                let date = Date(epoch().0 + day);
                let when = When::Parsed(date.start(), date);
                let amount = required(c.get(f, 2), "value")?;
                let fields = TxFields {
                    numeric_id: line,
                    from: Some(required(c.get(f, 0), "sourceNodeId")?),
                    to: Some(required(c.get(f, 1), "targetNodeId")?),
                    attrs: &attrs,
                    ..TxFields::new(when, Kind::Known(TxKind::Transfer), amount, "USD")
                };
                self.chunk.add(&fields, line, None)?;
            }
        }
        Ok(Outcome::Accepted)
    }
}

/// An `accounts.csv` (full run) or `nodes.csv` (sample graph) row.
pub struct AccountRow {
    pub account: Account,
    pub party: Option<(String, Party)>,
    pub bank: Option<String>,
    /// `isFraud` of a sample-graph node: ground truth, kept apart.
    pub fraud: bool,
}

pub static ACCOUNTS: Spec<AccountRow> = Spec {
    table: "accounts",
    known: &[
        "acct_id",
        "dsply_nm",
        "type",
        "acct_rptng_crncy",
        "bank_id",
        "first_name",
        "last_name",
        "street_addr",
        "city",
        "state",
        "zip",
        "country",
        "birth_date",
        "prior_sar_count",
    ],
    required: &["acct_id"],
    parse: |c, f| {
        let id = required(c.get(f, 0), "acct_id")?;
        let party_id = c
            .get(f, 1)
            .map_or_else(|| format!("C_{id}"), str::to_string);
        let name = match (c.get(f, 5), c.get(f, 6)) {
            (Some(a), Some(b)) => Some(format!("{a} {b}")),
            (a, b) => owned(a.or(b)),
        };
        let address = [c.get(f, 7), c.get(f, 8), c.get(f, 9), c.get(f, 10)]
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let country = c
            .get(f, 11)
            .filter(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()))
            .map(str::to_string);
        let party = Party {
            kind: if c.get(f, 2) == Some("I") {
                PartyKind::Person
            } else {
                PartyKind::Company
            },
            iin_bin: None,
            name,
            birth_date: c.get(f, 12).and_then(|d| Date::parse(d).ok()),
            registered_on: None,
            deregistered_on: None,
            country,
            address: (!address.is_empty()).then_some(address),
            attrs: Vec::new(),
        };
        Ok((
            id.to_string(),
            AccountRow {
                account: Account {
                    kind: AccountKind::BankAccount,
                    holder: Some(party_id.clone()),
                    institution: owned(c.get(f, 4)),
                    iban: None,
                    pan_hash: None,
                    address: None,
                    chain: None,
                    currency: owned(c.get(f, 3)),
                    opened_on: None,
                    closed_on: None,
                    attrs: c.attrs_of(f),
                },
                party: Some((party_id, party)),
                bank: owned(c.get(f, 4)),
                fraud: false,
            },
        ))
    },
};

pub static NODES: Spec<AccountRow> = Spec {
    table: "accounts",
    known: &["nodeid", "isFraud", "fraudStep"],
    required: &["nodeid"],
    parse: |c, f| {
        let id = required(c.get(f, 0), "nodeid")?;
        let fraud = match c.get(f, 1) {
            None | Some("0") => false,
            Some("1") => true,
            Some(o) => {
                return Err(RowError::new(
                    "isFraud",
                    format!("isFraud must be 0 or 1, got '{o}'"),
                ))
            }
        };
        Ok((
            id.to_string(),
            AccountRow {
                account: Account {
                    kind: AccountKind::BankAccount,
                    holder: None,
                    institution: None,
                    iban: None,
                    pan_hash: None,
                    address: None,
                    chain: None,
                    currency: Some("USD".into()),
                    opened_on: None,
                    closed_on: None,
                    attrs: c.attrs_of(f),
                },
                party: None,
                bank: None,
                fraud,
            },
        ))
    },
};

/// `alert_transactions.csv`: alert id → typology name.
pub static ALERT_TYPES: Spec<String> = Spec {
    table: "labels",
    known: &["alert_id", "alert_type", "tran_id"],
    required: &["alert_id", "alert_type"],
    parse: |c, f| {
        let alert = required(c.get(f, 0), "alert_id")?;
        let t = required(c.get(f, 1), "alert_type")?;
        // Many rows per alert: the key is the row, so that repeats are not conflicts.
        Ok((
            format!("{alert}\u{1f}{}", c.get(f, 2).unwrap_or("")),
            format!("{alert}\u{1f}{t}"),
        ))
    },
};

/// AMLSim alert types are typology names already, in either spelling.
pub fn alert_typology(t: &str) -> finmon_model::Typology {
    let norm = t.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let norm = match norm.as_str() {
        "fanin" => "fan_in".to_string(),
        "fanout" => "fan_out".to_string(),
        _ => norm,
    };
    finmon_model::Typology::parse(&norm).unwrap_or(finmon_model::Typology::Laundering)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_types_map() {
        assert_eq!(alert_typology("fan_in"), finmon_model::Typology::FanIn);
        assert_eq!(
            alert_typology("scatter-gather"),
            finmon_model::Typology::ScatterGather
        );
        assert_eq!(alert_typology("FanOut"), finmon_model::Typology::FanOut);
        assert_eq!(alert_typology("weird"), finmon_model::Typology::Laundering);
    }

    #[test]
    fn layouts() {
        let h = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            layout_of(&h("tran_id,orig_acct,bene_acct,tx_type")),
            Some(Layout::Alerts)
        );
        assert_eq!(
            layout_of(&h("sourceNodeId,targetNodeId,value,time")),
            Some(Layout::Nodes)
        );
        assert_eq!(layout_of(&h("tx_id,timestamp")), None);
    }
}
