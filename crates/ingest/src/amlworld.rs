//! IBM AMLworld (Altman et al., NeurIPS 2023): `*_Trans.csv`, optional `*_accounts.csv` and
//! `*_Patterns.txt`. Accounts are keyed `bank:account` (an account number is unique only
//! within its bank). A transaction's id is its line number in `*_Trans.csv`. `Is Laundering`
//! and the patterns file become labels, never transaction attributes.

use crate::reject::RowError;
use crate::rows::{Outcome, RowSink};
use crate::transactions::{Kind, TxChunk, TxFields, When};
use crate::IngestError;
use finmon_model::{Date, Label, Subject, SubjectKind, Timestamp, TxKind, Typology};
use std::collections::HashMap;

pub const HEADER: [&str; 11] = [
    "Timestamp",
    "From Bank",
    "Account",
    "To Bank",
    "Account",
    "Amount Received",
    "Receiving Currency",
    "Amount Paid",
    "Payment Currency",
    "Payment Format",
    "Is Laundering",
];

/// Attribute columns the adapter keeps: the payment format always, the received side only
/// when it differs from what was paid (a currency conversion).
pub const ATTRS: [&str; 3] = ["payment_format", "amount_received", "currency_received"];

/// AMLworld's currency names and their ISO 4217 codes (BTC for Bitcoin).
pub fn currency_code(name: &str) -> Option<&'static str> {
    Some(match name {
        "US Dollar" => "USD",
        "Euro" => "EUR",
        "Yuan" => "CNY",
        "Yen" => "JPY",
        "UK Pound" => "GBP",
        "Rupee" => "INR",
        "Ruble" => "RUB",
        "Australian Dollar" => "AUD",
        "Canadian Dollar" => "CAD",
        "Swiss Franc" => "CHF",
        "Mexican Peso" => "MXN",
        "Brazil Real" => "BRL",
        "Shekel" => "ILS",
        "Saudi Riyal" => "SAR",
        "Bitcoin" => "BTC",
        _ => return None,
    })
}

/// `YYYY/MM/DD HH:MM`, taken as UTC (the data carries no zone).
pub fn parse_timestamp(s: &str) -> Option<(Timestamp, Date)> {
    let b = s.as_bytes();
    if b.len() != 16 || b[4] != b'/' || b[7] != b'/' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    let d = finmon_model::time::digits;
    let y = d(&b[0..4])? as i32;
    let (mo, dd, h, mi) = (d(&b[5..7])?, d(&b[8..10])?, d(&b[11..13])?, d(&b[14..16])?);
    if !(finmon_model::time::MIN_YEAR..=finmon_model::time::MAX_YEAR).contains(&y)
        || h > 23
        || mi > 59
    {
        return None;
    }
    let date = Date::from_ymd(y, mo, dd)?;
    Some((Timestamp::from_local(date, h, mi, 0, 0), date))
}

/// Row sink for `*_Trans.csv`.
pub struct AmlworldTx<'a> {
    pub chunk: TxChunk<'a>,
    from: String,
    to: String,
    /// Laundering rows: (tx id = line, the row's text as the patterns file repeats it).
    pub laundering: Vec<(u64, String)>,
}

impl<'a> AmlworldTx<'a> {
    pub fn new(chunk: TxChunk<'a>) -> Self {
        AmlworldTx {
            chunk,
            from: String::new(),
            to: String::new(),
            laundering: Vec::new(),
        }
    }
}

fn need<'a>(v: Option<&'a str>, column: &'static str) -> Result<&'a str, RowError> {
    v.ok_or_else(|| RowError::new(column, format!("{column} is empty")))
}

impl RowSink for AmlworldTx<'_> {
    fn header(&mut self, names: &[String]) -> Result<(), IngestError> {
        check_header(names)
    }

    fn row(&mut self, line: u64, f: &[Option<&str>]) -> Result<Outcome, RowError> {
        let ts_text = need(f[0], "Timestamp")?;
        let (ts, day) = parse_timestamp(ts_text).ok_or_else(|| {
            RowError::new(
                "Timestamp",
                format!("unparsable Timestamp '{ts_text}' (expected YYYY/MM/DD HH:MM)"),
            )
        })?;
        let cur_name = need(f[8], "Payment Currency")?;
        let currency = currency_code(cur_name).ok_or_else(|| {
            RowError::new("Payment Currency", format!("unknown currency '{cur_name}'"))
        })?;
        let recv_name = need(f[6], "Receiving Currency")?;
        currency_code(recv_name).ok_or_else(|| {
            RowError::new(
                "Receiving Currency",
                format!("unknown currency '{recv_name}'"),
            )
        })?;
        let format = need(f[9], "Payment Format")?;
        let kind = if format == "Bitcoin" {
            TxKind::CryptoTransfer
        } else {
            TxKind::Transfer
        };
        let laundering = match need(f[10], "Is Laundering")? {
            "0" => false,
            "1" => true,
            o => {
                return Err(RowError::new(
                    "Is Laundering",
                    format!("Is Laundering must be 0 or 1, got '{o}'"),
                ))
            }
        };
        let paid = need(f[7], "Amount Paid")?;
        let received = need(f[5], "Amount Received")?;
        let converted = received != paid || recv_name != cur_name;
        self.from.clear();
        self.from.push_str(need(f[1], "From Bank")?);
        self.from.push(':');
        self.from.push_str(need(f[2], "Account")?);
        self.to.clear();
        self.to.push_str(need(f[3], "To Bank")?);
        self.to.push(':');
        self.to.push_str(need(f[4], "Account")?);
        let attrs = [
            Some(format),
            converted.then_some(received),
            converted.then_some(recv_name),
        ];
        let fields = TxFields {
            numeric_id: line,
            from: Some(&self.from),
            to: Some(&self.to),
            attrs: &attrs,
            ..TxFields::new(When::Parsed(ts, day), Kind::Known(kind), paid, currency)
        };
        self.chunk.add(&fields, line, None)?;
        if laundering {
            let text: Vec<&str> = f.iter().map(|c| c.unwrap_or("")).collect();
            self.laundering.push((line, text.join(",")));
        }
        Ok(Outcome::Accepted)
    }
}

pub fn check_header(names: &[String]) -> Result<(), IngestError> {
    if names.len() != HEADER.len() || names.iter().zip(HEADER).any(|(a, b)| a != b) {
        return Err(IngestError::format(
            "*_Trans.csv",
            format!(
                "not an AMLworld transactions header: expected '{}', found '{}'",
                HEADER.join(","),
                names.join(",")
            ),
        ));
    }
    Ok(())
}

fn pattern_typology(kind: &str) -> Typology {
    match kind {
        "FAN-OUT" => Typology::FanOut,
        "FAN-IN" => Typology::FanIn,
        "CYCLE" => Typology::Cycle,
        "GATHER-SCATTER" => Typology::GatherScatter,
        "SCATTER-GATHER" => Typology::ScatterGather,
        "BIPARTITE" => Typology::Bipartite,
        "STACK" => Typology::Stack,
        _ => Typology::Laundering,
    }
}

/// Pattern rows that name no laundering transaction, as (line, row text).
pub type Unmatched = Vec<(u64, String)>;

/// Turns the laundering rows and the patterns file into labels: each attempt a group, its
/// transactions and their accounts labelled with the attempt's typology. Laundering rows in no
/// attempt are labelled `laundering`.
pub fn labels(
    laundering: &[(u64, String)],
    patterns: Option<&str>,
    tx_accounts: impl Fn(u64) -> Option<(String, String)>,
) -> (Vec<Label>, Unmatched) {
    let mut by_text: HashMap<&str, Vec<u64>> = HashMap::new();
    for (id, text) in laundering.iter().rev() {
        by_text.entry(text.as_str()).or_default().push(*id);
    }
    let mut labels = Vec::new();
    let mut unmatched = Vec::new();
    let mut labelled = std::collections::HashSet::new();
    let mut accounts_done = std::collections::HashSet::new();
    let mut current: Option<(Typology, String)> = None;
    let mut attempt = 0u64;
    for (i, line) in patterns.unwrap_or("").lines().enumerate() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("BEGIN LAUNDERING ATTEMPT - ") {
            attempt += 1;
            let kind = rest.split(':').next().unwrap_or("").trim();
            current = Some((pattern_typology(kind), format!("attempt-{attempt}")));
        } else if line.starts_with("END LAUNDERING ATTEMPT") {
            current = None;
        } else if let (Some((typ, group)), false) = (&current, line.is_empty()) {
            match by_text.get_mut(line).and_then(Vec::pop) {
                Some(id) => {
                    labelled.insert(id);
                    labels.push(Label {
                        subject: Subject::new(SubjectKind::Transaction, id.to_string()),
                        typology: *typ,
                        group_id: Some(group.clone()),
                    });
                    if let Some((a, b)) = tx_accounts(id) {
                        for acc in [a, b] {
                            if accounts_done.insert((acc.clone(), *typ, group.clone())) {
                                labels.push(Label {
                                    subject: Subject::new(SubjectKind::Account, acc),
                                    typology: *typ,
                                    group_id: Some(group.clone()),
                                });
                            }
                        }
                    }
                }
                None => unmatched.push((i as u64 + 1, line.to_string())),
            }
        }
    }
    for (id, _) in laundering {
        if !labelled.contains(id) {
            labels.push(Label {
                subject: Subject::new(SubjectKind::Transaction, id.to_string()),
                typology: Typology::Laundering,
                group_id: None,
            });
        }
    }
    (labels, unmatched)
}

/// One `*_accounts.csv` row: the account, its holder entity and its bank.
pub struct AccountRow {
    pub account: finmon_model::Account,
    pub party_id: String,
    pub party: finmon_model::Party,
    pub bank_id: String,
    pub bank_name: Option<String>,
}

/// Entity names in AMLworld carry the entity's type (`Corporation #33450`).
fn entity_kind(name: &str) -> finmon_model::PartyKind {
    use finmon_model::PartyKind;
    if name.starts_with("Sole Proprietorship") {
        PartyKind::SoleProprietor
    } else if name.starts_with("Corporation") || name.starts_with("Partnership") {
        PartyKind::Company
    } else {
        PartyKind::Person
    }
}

pub static ACCOUNTS: crate::tables::Spec<AccountRow> = crate::tables::Spec {
    table: "accounts",
    known: &[
        "Bank Name",
        "Bank ID",
        "Account Number",
        "Entity ID",
        "Entity Name",
    ],
    required: &["Bank ID", "Account Number", "Entity ID"],
    parse: |c, f| {
        use crate::columns::{owned, required};
        let bank = required(c.get(f, 1), "Bank ID")?;
        let number = required(c.get(f, 2), "Account Number")?;
        let entity = required(c.get(f, 3), "Entity ID")?;
        let name = c.get(f, 4);
        Ok((
            format!("{bank}:{number}"),
            AccountRow {
                account: finmon_model::Account {
                    kind: finmon_model::AccountKind::BankAccount,
                    holder: Some(entity.to_string()),
                    institution: Some(bank.to_string()),
                    iban: None,
                    pan_hash: None,
                    address: None,
                    chain: None,
                    currency: None,
                    opened_on: None,
                    closed_on: None,
                    attrs: c.attrs_of(f),
                },
                party_id: entity.to_string(),
                party: finmon_model::Party {
                    kind: entity_kind(name.unwrap_or("")),
                    iin_bin: None,
                    name: owned(name),
                    birth_date: None,
                    registered_on: None,
                    deregistered_on: None,
                    country: None,
                    address: None,
                    attrs: Vec::new(),
                },
                bank_id: bank.to_string(),
                bank_name: owned(c.get(f, 0)),
            },
        ))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let (t, d) = parse_timestamp("2022/09/01 00:20").unwrap();
        assert_eq!(t.to_string(), "2022-09-01T00:20:00Z");
        assert_eq!(d.to_string(), "2022-09-01");
        for bad in [
            "2022-09-01 00:20",
            "2022/09/31 00:20",
            "2022/09/01 24:00",
            "2022/09/01 0:20",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn patterns_become_groups() {
        let laundering = vec![
            (2, "a,1".to_string()),
            (3, "b,1".to_string()),
            (4, "a,1".to_string()),
            (9, "z,1".to_string()),
        ];
        let patterns = "BEGIN LAUNDERING ATTEMPT - FAN-OUT\na,1\nb,1\nEND LAUNDERING ATTEMPT - FAN-OUT\n\nBEGIN LAUNDERING ATTEMPT - CYCLE:  Max 3 hops\na,1\nq,1\nEND LAUNDERING ATTEMPT - CYCLE\n";
        let (labels, unmatched) = labels(&laundering, Some(patterns), |id| {
            Some((format!("acc{id}"), "hub".to_string()))
        });
        let tx: Vec<(String, Typology, Option<String>)> = labels
            .iter()
            .filter(|l| l.subject.kind == SubjectKind::Transaction)
            .map(|l| (l.subject.id.clone(), l.typology, l.group_id.clone()))
            .collect();
        assert_eq!(
            tx,
            vec![
                ("2".into(), Typology::FanOut, Some("attempt-1".into())),
                ("3".into(), Typology::FanOut, Some("attempt-1".into())),
                ("4".into(), Typology::Cycle, Some("attempt-2".into())),
                ("9".into(), Typology::Laundering, None),
            ]
        );
        assert_eq!(unmatched, vec![(8, "q,1".to_string())]);
        let hub: Vec<_> = labels
            .iter()
            .filter(|l| l.subject.id == "hub")
            .map(|l| l.group_id.clone().unwrap())
            .collect();
        assert_eq!(
            hub,
            ["attempt-1", "attempt-2"],
            "one account label per attempt"
        );
    }
}
