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
use crate::flows::{passed_through, Flows, Move};
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

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n as u32).collect())
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = p;
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (lo, hi) = (a.min(b), a.max(b));
            self.0[hi as usize] = lo;
        }
    }
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
    let hubs: BTreeMap<u32, BTreeSet<u32>> = fed
        .into_iter()
        .filter(|(h, c)| c.len() >= cfg.network.min_fed_cards && !employer(*h))
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
        .map(|(h, c)| (h, c.into_iter().filter(|a| cards.contains_key(a)).collect()))
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
    let mut comps: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &a in cards.keys() {
        let tied = hubs.values().any(|cs| cs.contains(&a)) || shared.contains_key(&a);
        if tied {
            comps.entry(uf.find(a)).or_default().push(a);
        }
    }
    let mut in_network: BTreeSet<u32> = BTreeSet::new();
    for members in comps.values().filter(|m| m.len() >= cfg.network.min_cards) {
        let gid = format!("NET-{}", report.groups.len() + 1);
        let root = uf.find(members[0]);
        let organisers: Vec<u32> = hubs
            .keys()
            .copied()
            .filter(|&h| uf.find(h) == root)
            .collect();
        let mut group = Group::new(gid.clone(), GroupKind::CashOutNetwork);
        let mut rows: BTreeSet<u32> = BTreeSet::new();
        for &h in &organisers {
            group.account(f, h, "organiser account");
            for e in f.graph.out_edges(h).iter() {
                if members.binary_search(&e.nbr).is_ok() && feeding(f.kind(e.tx)) {
                    rows.insert(e.tx);
                }
            }
            // Where the organiser's money came from: crypto sold, or paid in by P2P buyers.
            for e in f.graph.in_edges(h).iter() {
                if matches!(
                    f.account_kind(e.nbr),
                    AccountKind::ExchangeAccount | AccountKind::Wallet
                ) {
                    group.evidence.push(format!(
                        "organiser account {} received {} KZT from {} account {} (tx {})",
                        ds.account_key(h),
                        f.kzt(e.tx),
                        f.account_kind(e.nbr).as_str().replace('_', " "),
                        ds.account_key(e.nbr),
                        f.tx_id(e.tx)
                    ));
                    break;
                }
            }
            let party = f.holder(h);
            let (kind, id) = match party {
                Some(p) => (SubjectKind::Party, ds.parties.key(p as usize).to_string()),
                None => (SubjectKind::Account, ds.account_key(h).to_string()),
            };
            let fed = hubs.get(&h).map_or(0, |c| c.len());
            report.findings.push(Finding {
                subject: Subject::new(kind, id),
                typology: Typology::CashOutNetwork,
                group_id: Some(gid.clone()),
                score: 0.9,
                reason: format!(
                    "organiser of cash-out network {gid}: account {} fed {fed} pass-through cards of the {}-card network",
                    ds.account_key(h),
                    members.len()
                ),
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
