//! Hand-made transactions and reference tables for the tests.
#![allow(dead_code)]

use finmon_model::{
    Account, AccountKind, Dataset, Date, Decimal, Institution, InstitutionKind, License, Party,
    PartyKind, Timestamp,
};
use finmon_rules::{Decision, Engine, Outcome, RuleSet, TxInput};
use std::sync::Arc;

/// 2025-03-14T00:00:00Z
pub const T0: i64 = 1_741_910_400;
pub const DAY: i64 = 86_400;

pub fn ts(secs: i64) -> String {
    Timestamp(secs).to_rfc3339()
}

/// A KZT transaction at `secs` (UTC).
pub fn tx(
    id: &str,
    secs: i64,
    kind: &str,
    from: Option<&str>,
    to: Option<&str>,
    amount: &str,
) -> TxInput {
    TxInput {
        tx_id: id.into(),
        timestamp: ts(secs),
        kind: kind.into(),
        from_account: from.map(Into::into),
        to_account: to.map(Into::into),
        amount: amount.into(),
        currency: "KZT".into(),
        ..TxInput::default()
    }
}

/// Reference tables built by hand.
#[derive(Default)]
pub struct Reference(pub Dataset);

impl Reference {
    pub fn institution(
        &mut self,
        id: &str,
        kind: InstitutionKind,
        country: &str,
        license: Option<License>,
        bank_linked: Option<bool>,
    ) -> &mut Self {
        self.0.institutions.insert(
            id,
            Institution {
                kind,
                name: Some(format!("{id} name")),
                country: Some(country.into()),
                bin: None,
                license,
                bank_linked,
                attrs: Vec::new(),
            },
        );
        self
    }

    pub fn party(&mut self, id: &str, country: &str, iin: Option<&str>) -> &mut Self {
        self.0.parties.insert(
            id,
            Party {
                kind: PartyKind::Person,
                iin_bin: iin.map(Into::into),
                name: Some(format!("{id} name")),
                birth_date: None,
                registered_on: None,
                deregistered_on: None,
                country: Some(country.into()),
                address: None,
                attrs: Vec::new(),
            },
        );
        self
    }

    pub fn account(
        &mut self,
        id: &str,
        kind: AccountKind,
        holder: Option<&str>,
        inst: Option<&str>,
    ) -> &mut Self {
        self.0.accounts.insert(
            id,
            Account {
                kind,
                holder: holder.map(Into::into),
                institution: inst.map(Into::into),
                iban: None,
                pan_hash: None,
                address: None,
                chain: None,
                currency: Some("KZT".into()),
                opened_on: None,
                closed_on: None,
                attrs: Vec::new(),
            },
        );
        self
    }

    pub fn rate(&mut self, code: &str, day: &str, kzt: &str) -> &mut Self {
        let c = self.0.currencies.intern(code).expect("currency");
        self.0.rates.insert(
            c,
            Date::parse(day).expect("date"),
            finmon_model::money::parse_decimal(kzt).expect("rate"),
        );
        self
    }

    pub fn build(self) -> Arc<Dataset> {
        Arc::new(self.0)
    }
}

pub fn kz(reference: Arc<Dataset>) -> Engine {
    Engine::new(RuleSet::kazakhstan().expect("the KZ pack loads"), reference)
}

pub fn engine(rules: &str, reference: Arc<Dataset>) -> Engine {
    match RuleSet::from_toml(rules, "test.toml") {
        Ok(r) => Engine::new(r, reference),
        Err(e) => panic!("rules do not load:\n{e}"),
    }
}

pub fn decide(e: &mut Engine, t: &TxInput) -> Decision {
    match e.decide(t) {
        Ok(d) => d,
        Err(err) => panic!("{}: {err}", t.tx_id),
    }
}

/// The ids of the rules that fired.
pub fn fired(d: &Decision) -> Vec<&str> {
    d.hits.iter().map(|h| h.rule.as_ref()).collect()
}

pub fn fires(d: &Decision, rule: &str) -> bool {
    d.hits.iter().any(|h| h.rule.as_ref() == rule)
}

pub fn reason<'a>(d: &'a Decision, rule: &str) -> &'a str {
    d.hits
        .iter()
        .find(|h| h.rule.as_ref() == rule)
        .map_or("", |h| h.reason.as_str())
}

pub fn outcome(d: &Decision) -> Outcome {
    d.decision
}

pub fn dec(s: &str) -> Decimal {
    finmon_model::money::parse_decimal(s).expect("decimal")
}
