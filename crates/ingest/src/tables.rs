//! The reference tables of `dataset.md` (everything but transactions): their columns, their
//! keys and their row parsers. Each parser returns the row's key and value; [`RefSink`] does the
//! rest the same way for every table: header check, duplicate keys, attributes.

use crate::columns::*;
use crate::error::IngestError;
use crate::reject::RowError;
use crate::rows::{Outcome, RowSink};
use finmon_model::dataset::columns as defined;
use finmon_model::dataset::Attrs;
use finmon_model::{
    Account, AccountKind, Date, Decimal, Identifier, IdentifierKind, Institution, InstitutionKind,
    Interner, Label, License, Party, PartyKind, Recording, Subject, SubjectKind, Typology,
};
use std::hash::BuildHasher;

/// Keys seen so far, with the line and a fingerprint of the row that first gave them: a re-sent
/// identical row is a duplicate, a different row under the same key a conflict.
///
/// Keys live in an [`Interner`] (one arena, short keys inline in the hash slots), so that
/// checking millions of transaction ids allocates nothing per key.
#[derive(Default)]
pub struct Seen {
    keys: Interner,
    /// By key id: (line, fingerprint) of the row that first gave the key.
    first: Vec<(u64, u64)>,
}

pub enum Check {
    New,
    Same,
}

/// A hash of a row's cells: equal rows, equal prints. The seed is fixed, so that rows parsed
/// on different threads compare.
pub fn fingerprint(fields: &[Option<&str>]) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5EED_F1A6).hash_one(fields)
}

impl Seen {
    /// Room for `n` keys without growing.
    pub fn with_capacity(n: usize) -> Seen {
        Seen {
            keys: Interner::with_capacity(n),
            first: Vec::with_capacity(n),
        }
    }

    pub fn fingerprint(&self, fields: &[Option<&str>]) -> u64 {
        fingerprint(fields)
    }

    pub fn check(
        &mut self,
        what: &str,
        key: &str,
        line: u64,
        print: u64,
    ) -> Result<Check, RowError> {
        let id = self.keys.intern(key).0 as usize;
        if id == self.first.len() {
            self.first.push((line, print));
            return Ok(Check::New);
        }
        match self.first[id] {
            (_, p) if p == print => Ok(Check::Same),
            (first, _) => Err(RowError::row(format!(
                "{what} '{key}' conflicts with line {first}: same key, different values (this is line {line})"
            ))),
        }
    }
}

/// Parses one row: its key (for duplicate detection) and value.
pub type ParseRow<T> = fn(&ColumnMap, &[Option<&str>]) -> Result<(String, T), RowError>;

/// How one reference table is read.
pub struct Spec<T> {
    pub table: &'static str,
    pub known: &'static [&'static str],
    pub required: &'static [&'static str],
    pub parse: ParseRow<T>,
}

pub struct RefSink<T: 'static> {
    spec: &'static Spec<T>,
    file: String,
    cols: Option<ColumnMap>,
    seen: Seen,
    pub rows: Vec<(String, T)>,
}

impl<T: 'static> RefSink<T> {
    pub fn new(spec: &'static Spec<T>, file: &str) -> Self {
        RefSink {
            spec,
            file: file.to_string(),
            cols: None,
            seen: Seen::default(),
            rows: Vec::new(),
        }
    }
}

impl<T: 'static> RowSink for RefSink<T> {
    fn header(&mut self, names: &[String]) -> Result<(), IngestError> {
        let s = self.spec;
        self.cols = Some(ColumnMap::new(
            s.table, &self.file, names, s.known, s.required,
        )?);
        Ok(())
    }

    fn row(&mut self, line: u64, fields: &[Option<&str>]) -> Result<Outcome, RowError> {
        let cols = self.cols.as_ref().expect("header before rows");
        let (key, value) = (self.spec.parse)(cols, fields)?;
        let print = self.seen.fingerprint(fields);
        match self.seen.check(self.spec.table, &key, line, print)? {
            Check::New => {
                self.rows.push((key, value));
                Ok(Outcome::Accepted)
            }
            Check::Same => Ok(Outcome::Duplicate),
        }
    }
}

fn attrs(c: &ColumnMap, f: &[Option<&str>]) -> Attrs {
    c.attrs_of(f)
}

pub static INSTITUTIONS: Spec<Institution> = Spec {
    table: "institutions",
    known: defined::INSTITUTIONS,
    required: &["institution_id", "kind"],
    parse: |c, f| {
        let id = required(c.get(f, 0), "institution_id")?;
        let kind = token(
            required(c.get(f, 1), "kind")?,
            "kind",
            InstitutionKind::parse,
            InstitutionKind::expected,
        )?;
        Ok((
            id.to_string(),
            Institution {
                kind,
                name: owned(c.get(f, 2)),
                country: country(c.get(f, 3), "country")?,
                bin: owned(c.get(f, 4)),
                license: opt_token(c.get(f, 5), "license", License::parse, License::expected)?,
                bank_linked: boolean(c.get(f, 6), "bank_linked")?,
                attrs: attrs(c, f),
            },
        ))
    },
};

pub static PARTIES: Spec<Party> = Spec {
    table: "parties",
    known: defined::PARTIES,
    required: &["party_id", "kind"],
    parse: |c, f| {
        let id = required(c.get(f, 0), "party_id")?;
        let kind = token(
            required(c.get(f, 1), "kind")?,
            "kind",
            PartyKind::parse,
            PartyKind::expected,
        )?;
        let registered_on = date(c.get(f, 5), "registered_on")?;
        let deregistered_on = date(c.get(f, 6), "deregistered_on")?;
        if let (Some(r), Some(d)) = (registered_on, deregistered_on) {
            if d < r {
                return Err(RowError::new(
                    "deregistered_on",
                    format!("deregistered_on {d} is before registered_on {r}"),
                ));
            }
        }
        Ok((
            id.to_string(),
            Party {
                kind,
                iin_bin: owned(c.get(f, 2)),
                name: owned(c.get(f, 3)),
                birth_date: date(c.get(f, 4), "birth_date")?,
                registered_on,
                deregistered_on,
                country: country(c.get(f, 7), "country")?,
                address: owned(c.get(f, 8)),
                attrs: attrs(c, f),
            },
        ))
    },
};

pub static ACCOUNTS: Spec<Account> = Spec {
    table: "accounts",
    known: defined::ACCOUNTS,
    required: &["account_id", "kind"],
    parse: |c, f| {
        let id = required(c.get(f, 0), "account_id")?;
        let kind = token(
            required(c.get(f, 1), "kind")?,
            "kind",
            AccountKind::parse,
            AccountKind::expected,
        )?;
        let opened_on = date(c.get(f, 9), "opened_on")?;
        let closed_on = date(c.get(f, 10), "closed_on")?;
        if let (Some(o), Some(cl)) = (opened_on, closed_on) {
            if cl < o {
                return Err(RowError::new(
                    "closed_on",
                    format!("closed_on {cl} is before opened_on {o}"),
                ));
            }
        }
        let currency = c.get(f, 8);
        if let Some(cur) = currency {
            if !finmon_model::Currencies::is_valid_code(cur) {
                return Err(RowError::new(
                    "currency",
                    format!("invalid currency code '{cur}'"),
                ));
            }
        }
        Ok((
            id.to_string(),
            Account {
                kind,
                holder: owned(c.get(f, 2)),
                institution: owned(c.get(f, 3)),
                iban: owned(c.get(f, 4)),
                pan_hash: owned(c.get(f, 5)),
                address: owned(c.get(f, 6)),
                chain: owned(c.get(f, 7)),
                currency: owned(currency),
                opened_on,
                closed_on,
                attrs: attrs(c, f),
            },
        ))
    },
};

pub static IDENTIFIERS: Spec<Identifier> = Spec {
    table: "identifiers",
    known: defined::IDENTIFIERS,
    required: &["owner_id", "kind", "value"],
    parse: |c, f| {
        let owner = required(c.get(f, 0), "owner_id")?;
        let kind = token(
            required(c.get(f, 1), "kind")?,
            "kind",
            IdentifierKind::parse,
            IdentifierKind::expected,
        )?;
        let value = required(c.get(f, 2), "value")?;
        // The whole row is the key: the same link given twice is one link.
        let key = format!("{owner}\u{1f}{kind}\u{1f}{value}");
        Ok((
            key,
            Identifier {
                owner: owner.to_string(),
                kind,
                value: value.to_string(),
                attrs: attrs(c, f),
            },
        ))
    },
};

/// A rate row: currency code, day, tenge per unit.
pub struct RateRow {
    pub currency: String,
    pub date: Date,
    pub kzt: Decimal,
}

pub static RATES: Spec<RateRow> = Spec {
    table: "rates",
    known: defined::RATES,
    required: &["date", "currency", "kzt"],
    parse: |c, f| {
        let date = date(Some(required(c.get(f, 0), "date")?), "date")?.expect("given");
        let cur = required(c.get(f, 1), "currency")?;
        if !finmon_model::Currencies::is_valid_code(cur) {
            return Err(RowError::new(
                "currency",
                format!("invalid currency code '{cur}'"),
            ));
        }
        let kzt = positive_decimal(required(c.get(f, 2), "kzt")?, "kzt")?;
        Ok((
            format!("{date}/{cur}"),
            RateRow {
                currency: cur.to_string(),
                date,
                kzt,
            },
        ))
    },
};

pub static ATM_VIDEO: Spec<Recording> = Spec {
    table: "atm_video",
    known: defined::ATM_VIDEO,
    required: &["atm_id", "recorded_from", "recorded_to"],
    parse: |c, f| {
        let atm = required(c.get(f, 0), "atm_id")?;
        let (from, _) = timestamp(required(c.get(f, 2), "recorded_from")?, "recorded_from")?;
        let (to, _) = timestamp(required(c.get(f, 3), "recorded_to")?, "recorded_to")?;
        if to < from {
            return Err(RowError::new(
                "recorded_to",
                format!("recorded_to {to} is before recorded_from {from}"),
            ));
        }
        let retained_until = date_or_timestamp(c.get(f, 4), "retained_until")?;
        Ok((
            format!("{atm}\u{1f}{}\u{1f}{}", from.0, to.0),
            Recording {
                atm_id: atm.to_string(),
                institution_id: owned(c.get(f, 1)),
                from,
                to,
                retained_until,
            },
        ))
    },
};

pub static LABELS: Spec<Label> = Spec {
    table: "labels",
    known: &["subject_kind", "subject_id", "typology", "group_id"],
    required: &["subject_kind", "subject_id", "typology"],
    parse: |c, f| parse_label(c, f),
};

/// Findings have the labels' shape plus `score` and `reason`; `finmon eval` reads them with this.
pub static FINDINGS: Spec<Label> = Spec {
    table: "findings",
    known: &["subject_kind", "subject_id", "typology", "group_id"],
    required: &["subject_kind", "subject_id", "typology"],
    parse: |c, f| parse_label(c, f),
};

fn parse_label(c: &ColumnMap, f: &[Option<&str>]) -> Result<(String, Label), RowError> {
    let kind = token(
        required(c.get(f, 0), "subject_kind")?,
        "subject_kind",
        SubjectKind::parse,
        SubjectKind::expected,
    )?;
    let id = required(c.get(f, 1), "subject_id")?;
    let typology = token(
        required(c.get(f, 2), "typology")?,
        "typology",
        Typology::parse,
        Typology::expected,
    )?;
    Ok((
        format!("{kind}\u{1f}{id}\u{1f}{typology}"),
        Label {
            subject: Subject::new(kind, id),
            typology,
            group_id: owned(c.get(f, 3)),
        },
    ))
}
