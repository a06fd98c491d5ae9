//! Unlicensed exchanges and persons acting as exchanges.
//!
//! An exchange without a licence is a VASP whose `license` is `none` or `revoked` that money
//! moved through (the institution is the finding; its clients' accounts and volume are in the
//! group). An exchanger is a person trading crypto for fiat with the public: many distinct
//! fiat counterparties, high fiat turnover, and a crypto side of comparable size (fiat in and
//! crypto out, or the reverse) — not a client buying once through a licensed exchange.

use crate::config::SchemesConfig;
use crate::flows::{is_crypto, Flows};
use crate::{Group, GroupKind, Report};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{
    Finding, InstitutionKind, Kzt, License, PartyKind, Subject, SubjectKind, TxKind, Typology,
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

/// One leg of a deal: when, how much, and with whom (the counterpart's party, else account).
#[derive(Clone, Copy)]
struct Leg {
    ts: i64,
    kzt: i64,
    with: u64,
    row: u32,
}

fn exchangers(f: &Flows, cfg: &SchemesConfig, report: &mut Report) {
    let ds = f.ds;
    let c = &cfg.exchanger;
    let span = c.match_hours * 3_600;
    for (p, party) in ds.parties.rows.iter().enumerate() {
        if party.kind == PartyKind::Company {
            continue;
        }
        let accounts = f.held.get(p as u32);
        if accounts.len() < 2 {
            continue;
        }
        let mine: BTreeSet<u32> = accounts.iter().copied().collect();
        // Fiat legs with the public on cards and bank accounts; crypto legs on wallets and
        // exchange accounts. In: +, out: −.
        let mut fiat: Vec<(bool, Leg)> = Vec::new();
        let mut crypto_legs: Vec<(bool, Leg)> = Vec::new();
        for &a in accounts {
            let on_crypto = is_crypto(f.account_kind(a));
            for (incoming, moves) in [(true, f.ins(a)), (false, f.outs(a))] {
                for m in moves {
                    if m.other == NO_ACCOUNT || mine.contains(&m.other) {
                        continue;
                    }
                    let leg = Leg {
                        ts: m.ts,
                        kzt: m.kzt.0,
                        with: f.owner_key(m.other),
                        row: m.row,
                    };
                    if on_crypto && crypto(f.kind(m.row)) {
                        crypto_legs.push((incoming, leg));
                    } else if !on_crypto && matches!(f.kind(m.row), TxKind::Transfer | TxKind::P2p)
                    {
                        fiat.push((incoming, leg));
                    }
                }
            }
        }
        if fiat.len() < c.min_counterparties || crypto_legs.is_empty() {
            continue;
        }
        crypto_legs.sort_by_key(|(_, l)| l.ts);
        // A deal: tenge one way and crypto the other, with the same counterpart or of about
        // the same value, within `match_hours`.
        let mut swapped: BTreeSet<u64> = BTreeSet::new();
        let mut rows: Vec<u32> = Vec::new();
        let (mut fiat_in, mut fiat_out) = (Kzt(0), Kzt(0));
        for &(incoming, leg) in &fiat {
            let lo = crypto_legs.partition_point(|(_, l)| l.ts < leg.ts - span);
            let matched = crypto_legs[lo..]
                .iter()
                .take_while(|(_, l)| l.ts <= leg.ts + span)
                .find(|(dir, l)| {
                    *dir != incoming
                        && (l.with == leg.with
                            || (l.kzt as f64 - leg.kzt as f64).abs()
                                <= c.value_tolerance * leg.kzt as f64)
                });
            if let Some((_, l)) = matched {
                swapped.insert(leg.with);
                rows.push(leg.row);
                rows.push(l.row);
                if incoming {
                    fiat_in.0 += leg.kzt;
                } else {
                    fiat_out.0 += leg.kzt;
                }
            }
        }
        let turnover = Kzt(fiat_in.0 + fiat_out.0);
        if swapped.len() < c.min_counterparties || turnover < c.min_turnover_kzt.0 {
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
        rows.dedup();
        for &r in &rows {
            group.add_row(f, r);
        }
        group.volume_in = turnover;
        let reason = format!(
            "acts as an exchange: {} deals with {} distinct counterparts, tenge one way and crypto the other within {} h — {} KZT of tenge in (crypto out), {} KZT out (crypto in)",
            rows.len() / 2,
            swapped.len(),
            c.match_hours,
            fiat_in,
            fiat_out
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
