//! The reference tables of a dataset and the [`Dataset`] that holds them with the transactions.
//! Reference tables are small beside the transactions, so they are kept row-wise with their keys
//! interned for lookup.

use crate::enums::{AccountKind, IdentifierKind, InstitutionKind, License, PartyKind};
use crate::intern::{Interner, Sym};
use crate::money::{Currencies, Currency};
use crate::time::{Date, Timestamp};
use crate::tx::Transactions;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Columns a table's format does not define, kept as `(column, value)` pairs.
pub type Attrs = Vec<(Box<str>, Box<str>)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstitutionId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyId(pub u32);
/// Dense account id: the value of the transactions' `from` and `to` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub u32);

#[derive(Debug, Clone, PartialEq)]
pub struct Institution {
    pub kind: InstitutionKind,
    pub name: Option<String>,
    pub country: Option<String>,
    pub bin: Option<String>,
    pub license: Option<License>,
    pub bank_linked: Option<bool>,
    pub attrs: Attrs,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub kind: PartyKind,
    pub iin_bin: Option<String>,
    pub name: Option<String>,
    pub birth_date: Option<Date>,
    pub registered_on: Option<Date>,
    pub deregistered_on: Option<Date>,
    pub country: Option<String>,
    pub address: Option<String>,
    pub attrs: Attrs,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub kind: AccountKind,
    /// The holder's `party_id` as given; it may name a party the `parties` table lacks.
    pub holder: Option<String>,
    pub institution: Option<String>,
    pub iban: Option<String>,
    pub pan_hash: Option<String>,
    pub address: Option<String>,
    pub chain: Option<String>,
    pub currency: Option<String>,
    pub opened_on: Option<Date>,
    pub closed_on: Option<Date>,
    pub attrs: Attrs,
}

/// A keyed table: rows in key order of first appearance, keys interned.
#[derive(Debug, Clone)]
pub struct Keyed<T> {
    pub keys: Interner,
    pub rows: Vec<T>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            keys: Interner::new(),
            rows: Vec::new(),
        }
    }
}

impl<T> Keyed<T> {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn index(&self, key: &str) -> Option<usize> {
        self.keys.get(key).map(|s| s.0 as usize)
    }

    /// The row of `key`; `None` for a key without a row (an account only a transaction named).
    pub fn get(&self, key: &str) -> Option<&T> {
        self.index(key).and_then(|i| self.rows.get(i))
    }

    pub fn key(&self, index: usize) -> &str {
        self.keys.resolve(Sym(index as u32))
    }

    /// Inserts a row under a new key; returns its index. The key must not be present.
    pub fn insert(&mut self, key: &str, row: T) -> usize {
        let i = self.keys.intern(key).0 as usize;
        debug_assert_eq!(i, self.rows.len(), "key inserted twice");
        self.rows.push(row);
        i
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.rows.iter().enumerate().map(|(i, r)| (self.key(i), r))
    }
}

/// Accounts by dense id. Ids `0..rows.len()` come from the `accounts` table and have a row; the
/// keys after them were created because a transaction named them (kind `unknown`, no row).
pub type Accounts = Keyed<Account>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub owner: String,
    pub kind: IdentifierKind,
    pub value: String,
    pub attrs: Attrs,
}

/// Tenge per unit of each currency by day. A day without a rate takes the latest earlier one.
#[derive(Debug, Clone, Default)]
pub struct Rates {
    by_currency: HashMap<Currency, Vec<(Date, Decimal)>>,
}

impl Rates {
    pub fn insert(&mut self, currency: Currency, date: Date, kzt: Decimal) {
        let v = self.by_currency.entry(currency).or_default();
        match v.binary_search_by_key(&date, |&(d, _)| d) {
            Ok(i) => v[i].1 = kzt,
            Err(i) => v.insert(i, (date, kzt)),
        }
    }

    /// The rate of `currency` on `date`, or on the latest earlier day that has one. KZT is 1.
    pub fn on(&self, currency: Currency, date: Date) -> Option<Decimal> {
        if currency == Currency::KZT {
            return Some(Decimal::ONE);
        }
        let v = self.by_currency.get(&currency)?;
        let i = v.partition_point(|&(d, _)| d <= date);
        (i > 0).then(|| v[i - 1].1)
    }

    pub fn len(&self) -> usize {
        self.by_currency.values().map(Vec::len).sum()
    }

    /// Every rate, by currency then day.
    pub fn iter(&self) -> impl Iterator<Item = (Currency, Date, Decimal)> + '_ {
        let mut currencies: Vec<&Currency> = self.by_currency.keys().collect();
        currencies.sort();
        currencies
            .into_iter()
            .flat_map(move |c| self.by_currency[c].iter().map(move |&(d, r)| (*c, d, r)))
    }

    pub fn is_empty(&self) -> bool {
        self.by_currency.is_empty()
    }
}

/// One ATM camera recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub atm_id: String,
    pub institution_id: Option<String>,
    pub from: Timestamp,
    pub to: Timestamp,
    pub retained_until: Option<Timestamp>,
}

/// ATM recordings, looked up by ATM.
#[derive(Debug, Clone, Default)]
pub struct AtmVideo {
    pub recordings: Vec<Recording>,
    by_atm: HashMap<String, Vec<usize>>,
}

impl AtmVideo {
    pub fn push(&mut self, r: Recording) {
        self.by_atm
            .entry(r.atm_id.clone())
            .or_default()
            .push(self.recordings.len());
        self.recordings.push(r);
    }

    pub fn for_atm<'a>(&'a self, atm: &str) -> impl Iterator<Item = &'a Recording> + 'a {
        self.by_atm
            .get(atm)
            .into_iter()
            .flatten()
            .map(move |&i| &self.recordings[i])
    }

    pub fn len(&self) -> usize {
        self.recordings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recordings.is_empty()
    }
}

/// Everything detection may see. Labels are deliberately not here.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub institutions: Keyed<Institution>,
    pub parties: Keyed<Party>,
    pub accounts: Accounts,
    pub identifiers: Vec<Identifier>,
    pub currencies: Currencies,
    pub rates: Rates,
    pub atm_video: AtmVideo,
    pub transactions: Transactions,
    /// Which tables the input had: a rule that needs a table the input lacks stays silent rather
    /// than flag everything.
    pub present: Vec<String>,
}

impl Dataset {
    pub fn has_table(&self, table: &str) -> bool {
        self.present.iter().any(|t| t == table)
    }

    pub fn account_key(&self, id: u32) -> &str {
        self.accounts.key(id as usize)
    }

    /// The `accounts` row of an account id, `None` for an account only transactions name.
    pub fn account(&self, id: u32) -> Option<&Account> {
        self.accounts.rows.get(id as usize)
    }

    pub fn account_kind(&self, id: u32) -> AccountKind {
        self.account(id).map_or(AccountKind::Unknown, |a| a.kind)
    }

    /// The holder party of an account, when listed.
    pub fn holder(&self, id: u32) -> Option<&Party> {
        self.account(id)?
            .holder
            .as_deref()
            .and_then(|p| self.parties.get(p))
    }
}

/// The columns `dataset.md` defines for each reference table, in its order: what readers know
/// and what writers (export, the generator) write.
pub mod columns {
    pub const INSTITUTIONS: &[&str] = &[
        "institution_id",
        "kind",
        "name",
        "country",
        "bin",
        "license",
        "bank_linked",
    ];
    pub const PARTIES: &[&str] = &[
        "party_id",
        "kind",
        "iin_bin",
        "name",
        "birth_date",
        "registered_on",
        "deregistered_on",
        "country",
        "address",
    ];
    pub const ACCOUNTS: &[&str] = &[
        "account_id",
        "kind",
        "holder_party_id",
        "institution_id",
        "iban",
        "pan_hash",
        "address",
        "chain",
        "currency",
        "opened_on",
        "closed_on",
    ];
    pub const IDENTIFIERS: &[&str] = &["owner_id", "kind", "value"];
    pub const RATES: &[&str] = &["date", "currency", "kzt"];
    pub const ATM_VIDEO: &[&str] = &[
        "atm_id",
        "institution_id",
        "recorded_from",
        "recorded_to",
        "retained_until",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_take_latest_earlier_day() {
        let mut c = Currencies::default();
        let usd = c.intern("USD").unwrap();
        let mut r = Rates::default();
        let d = |s| Date::parse(s).unwrap();
        r.insert(usd, d("2025-03-10"), Decimal::new(500, 0));
        r.insert(usd, d("2025-03-12"), Decimal::new(510, 0));
        assert_eq!(r.on(usd, d("2025-03-09")), None);
        assert_eq!(r.on(usd, d("2025-03-10")), Some(Decimal::new(500, 0)));
        assert_eq!(r.on(usd, d("2025-03-11")), Some(Decimal::new(500, 0)));
        assert_eq!(r.on(usd, d("2025-03-30")), Some(Decimal::new(510, 0)));
        assert_eq!(r.on(Currency::KZT, d("1990-01-01")), Some(Decimal::ONE));
    }
}
