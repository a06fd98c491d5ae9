//! Unlicensed exchanges and persons acting as exchanges.
//!
//! An exchange without a licence is a VASP whose `license` is `none` or `revoked` that money
//! moved through (the institution is the finding; its clients' accounts and volume are in the
//! group). An exchanger is a person trading crypto for fiat with the public: many distinct
//! fiat counterparties, high fiat turnover, and a crypto side of comparable size (fiat in and
//! crypto out, or the reverse) — not a client buying once through a licensed exchange.

use crate::config::SchemesConfig;
use crate::flows::Flows;
use crate::{Group, GroupKind, Report};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{
    AccountKind, Finding, InstitutionKind, Kzt, License, PartyKind, Subject, SubjectKind, TxKind,
    Typology,
};
use std::collections::{BTreeMap, BTreeSet};

fn crypto(kind: TxKind) -> bool {
    matches!(
        kind,
        TxKind::CryptoTransfer | TxKind::CryptoBuy | TxKind::CryptoSell
    )
}

pub(crate) fn detect(f: &Flows, cfg: &SchemesConfig, report: &mut Report) {
    unlicensed(f, report);
    exchangers(f, cfg, report);
}

fn unlicensed(f: &Flows, report: &mut Report) {
    let ds = f.ds;
    // Accounts at each unlicensed VASP.
    let mut at: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for (a, acc) in ds.accounts.rows.iter().enumerate() {
        let Some(i) = acc
            .institution
            .as_deref()
            .and_then(|i| ds.institutions.index(i))
        else {
            continue;
        };
        let inst = &ds.institutions.rows[i];
        if inst.kind == InstitutionKind::Vasp
            && matches!(inst.license, Some(License::None | License::Revoked))
        {
            at.entry(i).or_default().push(a as u32);
        }
    }
    for (i, accounts) in at {
        let inst = &ds.institutions.rows[i];
        let key = ds.institutions.key(i);
        let gid = format!("EXCH-{}", report.groups.len() + 1);
        let mut group = Group::new(gid.clone(), GroupKind::UnlicensedExchange);
        group.institutions.insert(key.to_string());
        let (mut inflow, mut outflow, mut n) = (Kzt(0), Kzt(0), 0usize);
        let mut clients: BTreeSet<u32> = BTreeSet::new();
        let mut counterparts: BTreeSet<u32> = BTreeSet::new();
        for &a in &accounts {
            let (ins, outs) = (f.ins(a), f.outs(a));
            if ins.is_empty() && outs.is_empty() {
                continue;
            }
            group.account(f, a, "account at the exchange");
            if let Some(p) = f.holder(a) {
                clients.insert(p);
                group.party(f, p, "client");
            }
            for m in &ins {
                inflow.0 += m.kzt.0;
                counterparts.insert(m.other);
                group.add_row(f, m.row);
            }
            for m in &outs {
                outflow.0 += m.kzt.0;
                counterparts.insert(m.other);
                group.add_row(f, m.row);
            }
            n += ins.len() + outs.len();
        }
        if n == 0 {
            continue;
        }
        counterparts.remove(&NO_ACCOUNT);
        let licence = inst.license.map_or("none", |l| l.as_str());
        let name = inst.name.as_deref().unwrap_or(key);
        let country = inst.country.as_deref().unwrap_or("unknown country");
        report.findings.push(Finding {
            subject: Subject::new(SubjectKind::Institution, key),
            typology: Typology::UnlicensedExchange,
            group_id: Some(gid.clone()),
            score: 0.9,
            reason: format!(
                "VASP {name} ({country}) has licence '{licence}': {n} operations, {inflow} KZT in and {outflow} KZT out through {} accounts of {} clients, {} counterpart accounts",
                group.accounts.len(),
                clients.len(),
                counterparts.len()
            ),
        });
        // For an exchange, the money that went through it either way.
        group.volume_in = Kzt(inflow.0 + outflow.0);
        group.evidence.push(format!(
            "licence '{licence}': not an AIFC participant; {n} operations, {inflow} KZT in, {outflow} KZT out"
        ));
        report.groups.push(group);
    }
}

fn exchangers(f: &Flows, cfg: &SchemesConfig, report: &mut Report) {
    let ds = f.ds;
    let c = &cfg.exchanger;
    for (p, party) in ds.parties.rows.iter().enumerate() {
        if party.kind == PartyKind::Company {
            continue;
        }
        let accounts = f.held.get(p as u32);
        if accounts.is_empty() {
            continue;
        }
        let mine: BTreeSet<u32> = accounts.iter().copied().collect();
        let (mut fiat_in, mut fiat_out, mut crypto_in, mut crypto_out) =
            (Kzt(0), Kzt(0), Kzt(0), Kzt(0));
        let mut counterparties: BTreeSet<u32> = BTreeSet::new();
        let mut rows: Vec<u32> = Vec::new();
        for &a in accounts {
            let kind = f.account_kind(a);
            let crypto_account = matches!(kind, AccountKind::ExchangeAccount | AccountKind::Wallet);
            for m in f.ins(a) {
                if mine.contains(&m.other) {
                    continue;
                }
                if crypto_account || crypto(f.kind(m.row)) {
                    crypto_in.0 += m.kzt.0;
                } else if matches!(f.kind(m.row), TxKind::Transfer | TxKind::P2p) {
                    fiat_in.0 += m.kzt.0;
                    if m.other != NO_ACCOUNT {
                        counterparties.insert(f.holder(m.other).map_or(m.other, |h| h | 1 << 31));
                    }
                    rows.push(m.row);
                }
            }
            for m in f.outs(a) {
                if mine.contains(&m.other) {
                    continue;
                }
                if crypto_account || crypto(f.kind(m.row)) {
                    crypto_out.0 += m.kzt.0;
                } else if matches!(f.kind(m.row), TxKind::Transfer | TxKind::P2p) {
                    fiat_out.0 += m.kzt.0;
                    if m.other != NO_ACCOUNT {
                        counterparties.insert(f.holder(m.other).map_or(m.other, |h| h | 1 << 31));
                    }
                    rows.push(m.row);
                }
            }
        }
        let fiat = Kzt(fiat_in.0 + fiat_out.0);
        let crypto_total = Kzt(crypto_in.0 + crypto_out.0);
        if counterparties.len() < c.min_counterparties || fiat < c.min_turnover_kzt.0 {
            continue;
        }
        let (small, large) = if fiat.0 < crypto_total.0 {
            (fiat.0, crypto_total.0)
        } else {
            (crypto_total.0, fiat.0)
        };
        if large == 0 || (small as f64) < c.min_balance_ratio * large as f64 {
            continue;
        }
        let pid = ds.parties.key(p);
        let gid = format!("XCHG-{}", report.groups.len() + 1);
        let mut group = Group::new(gid.clone(), GroupKind::Exchanger);
        group.party(f, p as u32, "exchanger");
        for &a in accounts {
            group.account(f, a, "exchanger's account");
        }
        rows.sort_unstable();
        for &r in &rows {
            group.add_row(f, r);
        }
        group.volume_in = Kzt(fiat_in.0 + crypto_in.0);
        let direction = if fiat_in.0 >= fiat_out.0 {
            "fiat in, crypto out"
        } else {
            "crypto in, fiat out"
        };
        let reason = format!(
            "acts as an exchange ({direction}): {} distinct fiat counterparties, fiat {} KZT in / {} KZT out, crypto {} KZT in / {} KZT out",
            counterparties.len(),
            fiat_in,
            fiat_out,
            crypto_in,
            crypto_out
        );
        group.evidence.push(reason.clone());
        report.findings.push(Finding {
            subject: Subject::new(SubjectKind::Party, pid),
            typology: Typology::Exchanger,
            group_id: Some(gid),
            score: 0.8,
            reason,
        });
        report.groups.push(group);
    }
}
