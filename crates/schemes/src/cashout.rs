//! Drop cards, their holders, and the networks that turn crypto into cash through them.
//!
//! A drop card is lent (or opened in a false name) to move other people's money: what comes in
//! leaves again within hours, as cash at ATMs or onward. Pass-through alone is ordinary life (a
//! salary withdrawn on payday), so a card is reported only with something more: it is fed by an
//! account that feeds other pass-through cards (an organiser), it shares a device, phone or IP
//! with other such cards, it has more distinct senders than the law allows, its holder has more
//! cards at one bank than the law allows, or its holder's IIN is invalid.
//!
//! A network is the cards tied together by a common feeder or a shared channel, with at least
//! `network.min_cards` cards: its drop cards (`drop_card`), their holders (`mule`, or
//! `fictitious_identity` for an invalid IIN), the organiser (the party behind the feeding
//! account) and the network's transactions (`cash_out_network`), all under one group id.

use crate::config::SchemesConfig;
use crate::flows::{is_crypto, passed_through, Flows, Move, UnionFind};
use crate::{Group, GroupKind, Report};
use finmon_ident::Iin;
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{AccountKind, Finding, Kzt, PartyKind, Subject, SubjectKind, TxKind, Typology};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What one account's history says about it.
#[derive(Debug, Default, Clone)]
struct Card {
    inflow: Kzt,
    passed: Kzt,
    n_in: usize,
    cash: Kzt,
    n_cash: usize,
    /// Most distinct senders in any window of `many_senders_days`.
    max_senders: usize,
}

/// Accounts that could be someone's drop: cards, and accounts of persons (never a company's,
/// an exchange's or a self-hosted wallet).
fn personal(f: &Flows, a: u32) -> bool {
    match f.account_kind(a) {
        AccountKind::Card => true,
        AccountKind::BankAccount | AccountKind::Unknown => f
            .holder(a)
            .and_then(|p| f.ds.parties.rows.get(p as usize))
            .is_none_or(|p| p.kind != PartyKind::Company),
        _ => false,
    }
}

fn distinct_in_window(ins: &[Move], days: i64) -> usize {
    let span = days * 86_400;
    let mut counts: HashMap<u32, usize> = HashMap::new();
    let (mut lo, mut best) = (0usize, 0usize);
    for (hi, m) in ins.iter().enumerate() {
        if m.other == NO_ACCOUNT {
            continue;
        }
        *counts.entry(m.other).or_default() += 1;
        while ins[lo].ts <= m.ts - span {
            if ins[lo].other != NO_ACCOUNT {
                if let Some(c) = counts.get_mut(&ins[lo].other) {
                    *c -= 1;
                    if *c == 0 {
                        counts.remove(&ins[lo].other);
                    }
                }
            }
            lo += 1;
        }
        let _ = hi;
        best = best.max(counts.len());
    }
    best
}

fn card(f: &Flows, a: u32, cfg: &SchemesConfig) -> Card {
    let ins = f.ins(a);
    let outs = f.outs(a);
    let mut c = Card {
        n_in: ins.len(),
        inflow: Kzt(ins.iter().map(|m| m.kzt.0).sum()),
        passed: passed_through(&ins, &outs, cfg.drop_card.pass_through_hours),
        ..Card::default()
    };
    for m in &outs {
        if m.other == NO_ACCOUNT && f.kind(m.row) == TxKind::CashWithdrawal {
            c.cash.0 += m.kzt.0;
            c.n_cash += 1;
        }
    }
    if ins.len() > cfg.drop_card.many_senders {
        c.max_senders = distinct_in_window(&ins, cfg.drop_card.many_senders_days);
    }
    c
}

fn ratio(a: Kzt, b: Kzt) -> f64 {
    if b.0 <= 0 {
        0.0
    } else {
        a.0 as f64 / b.0 as f64
    }
}

/// Flows that can feed a drop: not wages, taxes or invoices.
fn feeding(kind: TxKind) -> bool {
    matches!(
        kind,
        TxKind::Transfer | TxKind::P2p | TxKind::CardTopup | TxKind::CryptoSell
    )
}

pub(crate) fn detect(f: &Flows, cfg: &SchemesConfig, report: &mut Report) {
    let d = &cfg.drop_card;
    let ds = f.ds;
    let n = f.n_accounts();

    // 1. Pass-through accounts.
    let mut cards: BTreeMap<u32, Card> = BTreeMap::new();
    for a in 0..n as u32 {
        if !personal(f, a) {
            continue;
        }
        let c = card(f, a, cfg);
        if c.n_in >= d.min_inbound
            && c.inflow >= d.min_inflow_kzt.0
            && ratio(c.passed, c.inflow) >= d.pass_through_ratio
        {
            cards.insert(a, c);
        }
    }

    // 2. What ties them: feeders and shared channels.
    let mut fed: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for &a in cards.keys() {
        for e in f.graph.in_edges(a).iter() {
            if feeding(f.kind(e.tx)) {
                fed.entry(e.nbr).or_default().insert(a);
            }
        }
    }
    // An organiser's own account passes money through too: it is the hub, not a drop. A firm
    // that employs people or pays taxes paying many cards is a payroll or a pension fund.
    let employer = |h: u32| {
        f.holder(h).is_some_and(|p| {
            ds.parties.rows[p as usize].kind == PartyKind::Company
                && f.held.get(p).iter().any(|&a| {
                    f.graph
                        .out_edges(a)
                        .iter()
                        .any(|e| matches!(f.kind(e.tx), TxKind::Salary | TxKind::Tax))
                })
        })
    };
    // Most of what a hub pays out goes to pass-through cards: a person who pays sixty people
    // a month, three of whom happen to withdraw their money fast, is not one.
    let concentrated = |h: u32| {
        let (mut to_cards, mut all) = (0i64, 0i64);
        for e in f.graph.out_edges(h).iter() {
            if feeding(f.kind(e.tx)) {
                all += f.kzt(e.tx).0;
                if cards.contains_key(&e.nbr) {
                    to_cards += f.kzt(e.tx).0;
                }
            }
        }
        all > 0 && to_cards as f64 >= cfg.network.min_hub_share * all as f64
    };
    // Cards of as many different holders: a client paying one trader's three cards is not
    // feeding a network.
    let holders = |c: &BTreeSet<u32>| {
        c.iter()
            .map(|&a| f.owner_key(a))
            .collect::<BTreeSet<u64>>()
            .len()
    };
    let candidates: BTreeSet<u32> = fed
        .iter()
        .filter(|(h, c)| holders(c) >= cfg.network.min_fed_cards && !employer(**h))
        .map(|(&h, _)| h)
        .collect();
    let strong: BTreeSet<u32> = candidates
        .iter()
        .copied()
        .filter(|&h| concentrated(h))
        .collect();
    // A drop that passes money on to other drops (layering) is fed by a hub itself: it stays
    // a drop. A hub's money comes from elsewhere (crypto sold, P2P buyers).
    let layering = |h: u32| {
        cards.contains_key(&h)
            && f.graph.in_edges(h).iter().any(|e| {
                strong.contains(&e.nbr)
                    && feeding(f.kind(e.tx))
                    && (f.holder(e.nbr).is_none() || f.holder(e.nbr) != f.holder(h))
            })
    };
    let demoted: BTreeSet<u32> = candidates
        .iter()
        .copied()
        .filter(|&h| layering(h))
        .collect();
    let hubs: BTreeMap<u32, BTreeSet<u32>> = fed
        .into_iter()
        .filter(|(h, _)| candidates.contains(h) && !demoted.contains(h))
        .map(|(h, mut c)| {
            c.remove(&h);
            (h, c)
        })
        .collect();
    for h in hubs.keys() {
        cards.remove(h);
    }
    let hubs: BTreeMap<u32, BTreeSet<u32>> = hubs
        .into_iter()
        .map(|(h, c)| {
            let c: BTreeSet<u32> = c.into_iter().filter(|a| cards.contains_key(a)).collect();
            (h, c)
        })
        .filter(|(_, c)| c.len() >= cfg.network.min_fed_cards)
        .collect();
    let mut shared: BTreeMap<u32, (u32, usize)> = BTreeMap::new();
    for &a in cards.keys() {
        for &ch in f.channels_of.get(a) {
            let on = f
                .accounts_on
                .get(ch)
                .iter()
                .filter(|&&b| cards.contains_key(&b))
                .count();
            if on >= d.shared_channel_cards && shared.get(&a).is_none_or(|s| s.1 < on) {
                shared.insert(a, (ch, on));
            }
        }
    }
    // Cards per holder per bank.
    let mut per_bank: HashMap<(u32, &str), usize> = HashMap::new();
    for (a, acc) in ds.accounts.rows.iter().enumerate() {
        if acc.kind != AccountKind::Card {
            continue;
        }
        if let (Some(p), Some(bank)) = (f.holder(a as u32), acc.institution.as_deref()) {
            *per_bank.entry((p, bank)).or_default() += 1;
        }
    }
    let too_many = |a: u32| -> Option<(usize, &str)> {
        let p = f.holder(a)?;
        let bank = ds.account(a)?.institution.as_deref()?;
        let k = *per_bank.get(&(p, bank))?;
        (k > d.max_cards_per_bank).then_some((k, bank))
    };
    let invalid_iin = |a: u32| -> Option<String> {
        let p = f.holder(a)?;
        let party = ds.parties.rows.get(p as usize)?;
        if party.kind == PartyKind::Company {
            return None;
        }
        let iin = party.iin_bin.as_deref()?;
        Iin::parse(iin).err().map(|e| format!("{iin} ({e})"))
    };

    // 3. Networks: cards joined through a common feeder or a shared channel.
    let mut uf = UnionFind::new(n);
    for (&h, cs) in &hubs {
        for &c in cs.iter() {
            uf.union(h, c);
        }
    }
    for (&a, &(ch, _)) in &shared {
        for &b in f.accounts_on.get(ch) {
            if cards.contains_key(&b) {
                uf.union(a, b);
            }
        }
    }
    let fed_by_hub: BTreeSet<u32> = hubs.values().flatten().copied().collect();
    let mut hubs_of: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &h in hubs.keys() {
        hubs_of.entry(uf.find(h)).or_default().push(h);
    }
    let mut comps: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &a in cards.keys() {
        if fed_by_hub.contains(&a) || shared.contains_key(&a) {
            comps.entry(uf.find(a)).or_default().push(a);
        }
    }
    let mut in_network: BTreeSet<u32> = BTreeSet::new();
    // A crypto-to-cash network ends in cash: most of what its cards took in left at ATMs.
    let cashes_out = |m: &Vec<u32>| {
        let inflow: i64 = m.iter().map(|a| cards[a].inflow.0).sum();
        let cash: i64 = m.iter().map(|a| cards[a].cash.0).sum();
        inflow > 0 && cash as f64 >= cfg.network.min_cash_share * inflow as f64
    };
    for members in comps
        .values()
        .filter(|m| m.len() >= cfg.network.min_cards && cashes_out(m))
    {
        let gid = format!("NET-{}", report.groups.len() + 1);
        let root = uf.find(members[0]);
        let organisers: Vec<u32> = hubs_of.get(&root).cloned().unwrap_or_default();
        let mut group = Group::new(gid.clone(), GroupKind::CashOutNetwork);
        let mut rows: BTreeSet<u32> = BTreeSet::new();
        // The payouts' span: the crypto that paid for them came in during it.
        let (mut t0, mut t1) = (i64::MAX, i64::MIN);
        for &h in &organisers {
            for e in f.graph.out_edges(h).iter() {
                if members.binary_search(&e.nbr).is_ok() && feeding(f.kind(e.tx)) {
                    rows.insert(e.tx);
                    t0 = t0.min(e.ts);
                    t1 = t1.max(e.ts);
                }
            }
        }
        let mut organiser_parties: BTreeMap<String, String> = BTreeMap::new();
        for &h in &organisers {
            let fed = hubs.get(&h).map_or(0, |c| c.len());
            // Crypto the hub's holder sold onto the hub from an exchange account of their own.
            let self_sold: Vec<(u32, u32)> = f
                .graph
                .in_edges(h)
                .iter()
                .filter(|e| {
                    f.kind(e.tx) == TxKind::CryptoSell
                        && f.holder(h).is_some()
                        && f.holder(e.nbr) == f.holder(h)
                })
                .map(|e| (e.nbr, e.tx))
                .collect();
            let crypto_hub = is_crypto(f.account_kind(h)) || !self_sold.is_empty();
            group.account(
                f,
                h,
                if crypto_hub {
                    "organiser account"
                } else {
                    "P2P trader's account"
                },
            );
            // The crypto behind the payouts: sent into the exchange account that sold it (the
            // organiser's own), or, when a P2P trader paid the cards, into the trader's crypto
            // accounts during the payouts — the organiser is whoever sent most of it.
            rows.extend(self_sold.iter().map(|&(_, r)| r));
            let sinks: Vec<u32> = if crypto_hub {
                let mut s: Vec<u32> = self_sold.iter().map(|&(x, _)| x).collect();
                s.push(h);
                s.sort_unstable();
                s.dedup();
                s
            } else {
                f.holder(h)
                    .map(|p| {
                        f.held
                            .get(p)
                            .iter()
                            .copied()
                            .filter(|&a| is_crypto(f.account_kind(a)))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let mut senders: BTreeMap<u32, (Kzt, Vec<u32>)> = BTreeMap::new();
            for &sink in &sinks {
                for e in f.graph.in_edges_in(sink, t0 - 86_400, t1).iter() {
                    if f.kind(e.tx) == TxKind::CryptoTransfer && f.holder(e.nbr) != f.holder(h)
                        || crypto_hub && f.kind(e.tx) == TxKind::CryptoTransfer
                    {
                        let s = senders.entry(e.nbr).or_insert((Kzt(0), Vec::new()));
                        s.0 .0 += f.kzt(e.tx).0;
                        s.1.push(e.tx);
                    }
                }
            }
            let source = if crypto_hub {
                senders
                    .values()
                    .flat_map(|s| s.1.iter().copied())
                    .for_each(|r| {
                        rows.insert(r);
                    });
                f.holder(h)
            } else {
                let top = senders
                    .iter()
                    .max_by_key(|(_, s)| s.0)
                    .map(|(&w, s)| (w, s));
                top.and_then(|(w, s)| {
                    rows.extend(s.1.iter().copied());
                    group.account(f, w, "organiser's wallet");
                    group.evidence.push(format!(
                        "wallet {} sent {} KZT of crypto to the P2P trader behind account {} while it paid the cards",
                        ds.account_key(w),
                        s.0,
                        ds.account_key(h)
                    ));
                    f.holder(w)
                })
            };
            if crypto_hub {
                let inst = ds
                    .account(h)
                    .and_then(|a| a.institution.as_deref())
                    .unwrap_or("a self-hosted wallet");
                group.evidence.push(format!(
                    "organiser account {} at {inst} sold crypto straight onto {fed} drop cards",
                    ds.account_key(h)
                ));
            }
            let (kind, id) = match source {
                Some(p) => (SubjectKind::Party, ds.parties.key(p as usize).to_string()),
                None => (SubjectKind::Account, ds.account_key(h).to_string()),
            };
            if let Some(p) = source {
                group.party(f, p, "organiser");
            }
            let how = if crypto_hub {
                format!(
                    "its account {} sold crypto onto {fed} pass-through cards",
                    ds.account_key(h)
                )
            } else {
                format!(
                    "sent the crypto a P2P trader paid out as tenge from account {} to {fed} pass-through cards",
                    ds.account_key(h)
                )
            };
            organiser_parties.entry(id.clone()).or_insert_with(|| {
                report.findings.push(Finding {
                    subject: Subject::new(kind, id.clone()),
                    typology: Typology::CashOutNetwork,
                    group_id: Some(gid.clone()),
                    score: 0.9,
                    reason: format!(
                        "organiser of cash-out network {gid} ({} cards): {how}",
                        members.len()
                    ),
                });
                how
            });
        }
        for &a in members {
            in_network.insert(a);
            let c = &cards[&a];
            for &r in f.cash_out(a) {
                if f.kind(r) == TxKind::CashWithdrawal {
                    rows.insert(r);
                }
            }
            // The other way round: cash paid onto the card and turned into crypto.
            for e in f.graph.out_edges(a).iter() {
                if f.kind(e.tx) == TxKind::CryptoBuy {
                    rows.insert(e.tx);
                }
            }
            for m in f.ins(a) {
                if m.other == NO_ACCOUNT && f.kind(m.row) == TxKind::CardTopup {
                    rows.insert(m.row);
                }
            }
            for e in f.graph.out_edges(a).iter() {
                if members.binary_search(&e.nbr).is_ok() {
                    rows.insert(e.tx);
                }
            }
            group.account(f, a, "drop card");
            group.volume_in.0 += c.inflow.0;
            group.cashed_out.0 += c.cash.0;
            let mut why = vec![format!(
                "{} of {} KZT in passed through within {} h",
                c.passed, c.inflow, d.pass_through_hours
            )];
            if c.n_cash > 0 {
                why.push(format!("{} cash withdrawals of {} KZT", c.n_cash, c.cash));
            }
            if let Some(&(ch, k)) = shared.get(&a) {
                why.push(format!("{} shared by {k} such cards", f.channel_name(ch)));
            }
            if let Some((k, bank)) = too_many(a) {
                why.push(format!("holder has {k} cards at {bank}"));
            }
            let bad = invalid_iin(a);
            if let Some(b) = &bad {
                why.push(format!("holder's IIN {b} is invalid"));
            }
            report.findings.push(Finding {
                subject: Subject::new(SubjectKind::Account, ds.account_key(a)),
                typology: Typology::DropCard,
                group_id: Some(gid.clone()),
                score: 0.85,
                reason: format!("drop card of cash-out network {gid}: {}", why.join("; ")),
            });
            if let Some(p) = f.holder(a) {
                let pid = ds.parties.key(p as usize);
                let typology = if bad.is_some() {
                    Typology::FictitiousIdentity
                } else {
                    Typology::Mule
                };
                report.findings.push(Finding {
                    subject: Subject::new(SubjectKind::Party, pid),
                    typology,
                    group_id: Some(gid.clone()),
                    score: 0.8,
                    reason: format!(
                        "holder of drop card {} in cash-out network {gid}{}",
                        ds.account_key(a),
                        bad.as_ref()
                            .map(|b| format!(", under invalid IIN {b}"))
                            .unwrap_or_default()
                    ),
                });
                group.party(f, p, "holder");
            }
        }
        report.explained.extend(rows.iter().copied());
        for &r in &rows {
            group.add_row(f, r);
            report.findings.push(Finding {
                subject: Subject::new(SubjectKind::Transaction, f.tx_id(r)),
                typology: Typology::CashOutNetwork,
                group_id: Some(gid.clone()),
                score: 0.8,
                reason: format!(
                    "{} of {} KZT in cash-out network {gid}",
                    f.kind(r).as_str().replace('_', " "),
                    f.kzt(r)
                ),
            });
        }
        group.evidence.insert(
            0,
            format!(
                "{} drop cards fed by {} organiser account(s): {} KZT in, {} KZT cashed out at ATMs",
                members.len(),
                organisers.len(),
                group.volume_in,
                group.cashed_out
            ),
        );
        report.groups.push(group);
    }

    // 4. Drops outside networks: pass-through with a hard signal of their own.
    for (&a, c) in &cards {
        if in_network.contains(&a) {
            continue;
        }
        let mut why = Vec::new();
        if c.max_senders > d.many_senders {
            why.push(format!(
                "{} distinct senders within {} days (more than {})",
                c.max_senders, d.many_senders_days, d.many_senders
            ));
        }
        if let Some(&(ch, k)) = shared.get(&a) {
            why.push(format!(
                "{} shared by {k} pass-through cards",
                f.channel_name(ch)
            ));
        }
        if let Some((k, bank)) = too_many(a) {
            why.push(format!(
                "holder has {k} cards at {bank} (more than {})",
                d.max_cards_per_bank
            ));
        }
        let bad = invalid_iin(a);
        if let Some(b) = &bad {
            why.push(format!("holder's IIN {b} is invalid"));
        }
        if why.is_empty() {
            continue;
        }
        report.findings.push(Finding {
            subject: Subject::new(SubjectKind::Account, ds.account_key(a)),
            typology: Typology::DropCard,
            group_id: None,
            score: 0.7,
            reason: format!(
                "drop card: {} of {} KZT in passed through within {} h; {}",
                c.passed,
                c.inflow,
                d.pass_through_hours,
                why.join("; ")
            ),
        });
        if let Some(p) = f.holder(a) {
            report.findings.push(Finding {
                subject: Subject::new(SubjectKind::Party, ds.parties.key(p as usize)),
                typology: if bad.is_some() {
                    Typology::FictitiousIdentity
                } else {
                    Typology::Mule
                },
                group_id: None,
                score: 0.65,
                reason: format!(
                    "holder of drop card {}: {}",
                    ds.account_key(a),
                    why.join("; ")
                ),
            });
        }
    }
}
