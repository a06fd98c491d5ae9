//! Shell-firm rings ("obnal"): firms tied together by a common director, founder, address or
//! device, young or already deregistered, paying each other invoices with no wages or taxes
//! behind them, with the money finally leaving as cash or abroad.
//!
//! A ring is a connected set of at least `shell.min_firms` linked firms with at least
//! `shell.min_invoices` invoice payments among them and at least `shell.min_exit_ratio` of what
//! leaves the ring going to cash or to foreign accounts. Its firms that pay neither wages nor
//! taxes and are young (first active within `shell.young_days` of registration) or deregistered
//! are `shell_firm`; the invoice payments among them are `false_invoice`. Legitimate suppliers
//! also pay each other in circles and share business-centre addresses, but they employ people
//! and pay taxes.

use crate::config::SchemesConfig;
use crate::flows::{foreign, Flows, UnionFind};
use crate::{Group, GroupKind, Report};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{
    Finding, IdentifierKind, Kzt, PartyKind, Subject, SubjectKind, TxKind, Typology,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Default, Clone)]
struct Firm {
    pays_wages: bool,
    tax: Kzt,
    outflow: Kzt,
    invalid_bin: bool,
    first: Option<i64>,
    young: bool,
    deregistered: bool,
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub(crate) fn detect(f: &Flows, cfg: &SchemesConfig, report: &mut Report) {
    let ds = f.ds;
    let c = &cfg.shell;
    let is_firm = |p: usize| {
        ds.parties
            .rows
            .get(p)
            .is_some_and(|x| x.kind == PartyKind::Company)
    };
    // Links: what two firms have in common, by the value shared.
    let mut links: HashMap<(&'static str, String), BTreeSet<u32>> = HashMap::new();
    for id in &ds.identifiers {
        let kind = match id.kind {
            IdentifierKind::Director => "director",
            IdentifierKind::Founder => "founder",
            IdentifierKind::Address => "address",
            IdentifierKind::Phone => "phone",
            IdentifierKind::Email => "email",
            _ => continue,
        };
        let Some(p) = ds.parties.index(&id.owner).filter(|&p| is_firm(p)) else {
            continue;
        };
        let value = if kind == "address" {
            norm(&id.value)
        } else {
            id.value.trim().to_string()
        };
        if !value.is_empty() {
            // A director and a founder are both a person in control of the firm.
            let kind = if kind == "founder" { "director" } else { kind };
            links.entry((kind, value)).or_default().insert(p as u32);
        }
    }
    for (p, party) in ds.parties.rows.iter().enumerate() {
        if party.kind != PartyKind::Company {
            continue;
        }
        if let Some(a) = party.address.as_deref().map(norm).filter(|a| !a.is_empty()) {
            links.entry(("address", a)).or_default().insert(p as u32);
        }
        for &acc in f.held.get(p as u32) {
            for &ch in f.channels_of.get(acc) {
                links
                    .entry(("device", f.channel_name(ch)))
                    .or_default()
                    .insert(p as u32);
            }
        }
    }
    // What each firm does.
    let mut firms: BTreeMap<u32, Firm> = BTreeMap::new();
    for (p, party) in ds.parties.rows.iter().enumerate() {
        let p = p as u32;
        if party.kind != PartyKind::Company || f.held.get(p).is_empty() {
            continue;
        }
        let mut firm = Firm {
            deregistered: party.deregistered_on.is_some(),
            invalid_bin: party
                .iin_bin
                .as_deref()
                .is_some_and(|b| finmon_ident::Bin::parse(b).is_err()),
            ..Firm::default()
        };
        for &a in f.held.get(p) {
            for m in f.outs(a).iter().chain(f.ins(a).iter()) {
                firm.first = Some(firm.first.map_or(m.ts, |x| x.min(m.ts)));
            }
            for m in f.outs(a) {
                firm.outflow.0 += m.kzt.0;
                match f.kind(m.row) {
                    TxKind::Salary => firm.pays_wages = true,
                    TxKind::Tax => firm.tax.0 += m.kzt.0,
                    _ => {}
                }
            }
        }
        if let (Some(reg), Some(first)) = (party.registered_on, firm.first) {
            let first_day = (first.div_euclid(86_400)) as i32;
            firm.young = first_day - reg.0 <= c.young_days;
        }
        firms.insert(p, firm);
    }
    // The shell profile: no wages, at most a token tax (it does not make a business), and
    // young, deregistered or under an invalid BIN.
    let shell_like: BTreeSet<u32> = firms
        .iter()
        .filter(|(_, x)| {
            let token_tax = (x.tax.0 as f64) <= c.max_tax_ratio * x.outflow.0 as f64;
            !x.pays_wages && token_tax && (x.young || x.deregistered || x.invalid_bin)
        })
        .map(|(&p, _)| p)
        .collect();

    // Rings: shell-like firms joined by what they share, and by the invoices they pay each
    // other (a firm with its own nominee is still in the circle it trades in); a ring needs
    // at least one shared director, founder, address or channel among its firms.
    let n = ds.parties.len();
    let mut rings_of = UnionFind::new(n);
    let mut why_linked: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut link_list: Vec<(&(&str, String), &BTreeSet<u32>)> = links.iter().collect();
    link_list.sort();
    for ((kind, value), linked) in link_list {
        let members: Vec<u32> = linked
            .iter()
            .copied()
            .filter(|p| shell_like.contains(p))
            .collect();
        if members.len() < 2 {
            continue;
        }
        for &p in &members {
            rings_of.union(members[0], p);
            why_linked.entry(p).or_default().push(format!(
                "{kind} {value} shared with {} such firm(s)",
                members.len() - 1
            ));
        }
    }
    for &p in &shell_like {
        for &a in f.held.get(p) {
            for e in f.graph.out_edges(a).iter() {
                if f.kind(e.tx) == TxKind::InvoicePayment {
                    if let Some(q) = f.holder(e.nbr).filter(|q| shell_like.contains(q)) {
                        rings_of.union(p, q);
                    }
                }
            }
        }
    }
    let mut rings: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &p in &shell_like {
        rings.entry(rings_of.find(p)).or_default().push(p);
    }

    for members in rings
        .values()
        .filter(|m| m.len() >= c.min_firms && m.iter().any(|p| why_linked.contains_key(p)))
    {
        let suspect: BTreeSet<u32> = members.iter().copied().collect();
        let owner = |a: u32| f.holder(a).filter(|p| suspect.contains(p));
        let mut invoices: Vec<u32> = Vec::new();
        let (mut exit, mut out_total) = (Kzt(0), Kzt(0));
        let mut exits: Vec<u32> = Vec::new();
        let mut bought: Vec<u32> = Vec::new();
        for &p in &suspect {
            for &a in f.held.get(p) {
                for m in f.outs(a) {
                    if m.other != NO_ACCOUNT && owner(m.other).is_some() {
                        if f.kind(m.row) == TxKind::InvoicePayment {
                            invoices.push(m.row);
                        }
                        continue;
                    }
                    out_total.0 += m.kzt.0;
                    // Out of the business: cash, abroad, or to a person's account (not wages).
                    let to_person = m.other != NO_ACCOUNT
                        && f.kind(m.row) != TxKind::Salary
                        && f.holder(m.other)
                            .and_then(|h| ds.parties.rows.get(h as usize))
                            .is_some_and(|h| h.kind == PartyKind::Person);
                    let abroad = m.other != NO_ACCOUNT && foreign(f, m.other);
                    if m.other == NO_ACCOUNT || abroad || to_person {
                        exit.0 += m.kzt.0;
                        exits.push(m.row);
                    }
                }
                // Invoices the ring sold to firms outside it: paid for, never delivered.
                for m in f.ins(a) {
                    if m.other != NO_ACCOUNT
                        && owner(m.other).is_none()
                        && f.kind(m.row) == TxKind::InvoicePayment
                    {
                        bought.push(m.row);
                    }
                }
            }
        }
        let exit_ratio = if out_total.0 > 0 {
            exit.0 as f64 / out_total.0 as f64
        } else {
            0.0
        };
        if invoices.len() < c.min_invoices || exit_ratio < c.min_exit_ratio {
            continue;
        }
        let circulating = invoices.len();
        invoices.extend(bought);
        invoices.sort_unstable();
        let gid = format!("RING-{}", report.groups.len() + 1);
        let mut group = Group::new(gid.clone(), GroupKind::ShellRing);
        let circulated = Kzt(invoices.iter().map(|&r| f.kzt(r).0).sum());
        for &p in &suspect {
            let x = &firms[&p];
            group.party(f, p, "firm");
            for &a in f.held.get(p) {
                group.account(f, a, "firm account");
            }
            let mut why = why_linked.get(&p).cloned().unwrap_or_default();
            why.truncate(3);
            let age = if x.deregistered {
                "deregistered"
            } else {
                "young"
            };
            report.findings.push(Finding {
                subject: Subject::new(SubjectKind::Party, ds.parties.key(p as usize)),
                typology: Typology::ShellFirm,
                group_id: Some(gid.clone()),
                score: 0.85,
                reason: format!(
                    "shell firm of ring {gid} ({} firms): {age}, pays no wages or taxes; {}",
                    suspect.len(),
                    why.join("; ")
                ),
            });
        }
        for &r in &invoices {
            group.add_row(f, r);
            let row = r as usize;
            let t = &ds.transactions;
            report.findings.push(Finding {
                subject: Subject::new(SubjectKind::Transaction, f.tx_id(r)),
                typology: Typology::FalseInvoice,
                group_id: Some(gid.clone()),
                score: 0.8,
                reason: format!(
                    "invoice payment of {} KZT from {} to {}, into shell ring {gid} of firms that pay no wages or taxes{}",
                    f.kzt(r),
                    ds.account_key(t.from[row]),
                    ds.account_key(t.to[row]),
                    t.reference
                        .get(row)
                        .map(|s| format!(" (reference '{s}')"))
                        .unwrap_or_default()
                ),
            });
        }
        for &r in &exits {
            group.add_row(f, r);
            group.cashed_out.0 += f.kzt(r).0;
        }
        group.volume_in = circulated;
        group.evidence.push(format!(
            "{} linked firms without wages or taxes took {} KZT in {} invoices ({} among themselves); {:.0}% of what left the ring ({} KZT) went to cash, abroad or to persons",
            suspect.len(),
            circulated,
            invoices.len(),
            circulating,
            exit_ratio * 100.0,
            exit
        ));
        report.groups.push(group);
    }
}
