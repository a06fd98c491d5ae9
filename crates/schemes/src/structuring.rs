//! Structuring: one sender repeating operations just under a threshold within a short time,
//! so that none of them crosses it — top-ups kept under the 500,000 KZT IIN rule, transfers
//! abroad kept under the 5,000,000 KZT reporting line.
//!
//! The sender is the IIN given; else the party holding the sending account (or the account);
//! else — cash paid in without a name — the party holding the accounts paid into, so that
//! top-ups spread over one person's cards count together. An operation counts for a line when
//! its kind is the line's, its KZT value lies in `[threshold × (1 − band), threshold]` and, for
//! a line on transfers abroad, its counterparty is abroad; `min_count` of them within
//! `window_hours` make every one of them a finding, grouped per sender and line. Operations a
//! cash-out network already accounts for are left to it.

use crate::config::{Line, SchemesConfig};
use crate::flows::Flows;
use crate::{Group, GroupKind, Report};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{Finding, Kzt, Subject, SubjectKind, Typology};
use std::collections::BTreeMap;

pub(crate) fn detect(f: &Flows, cfg: &SchemesConfig, report: &mut Report) {
    for line in &cfg.structuring.lines {
        detect_line(f, line, report);
    }
}

/// Who sent row `r`, as an analyst would name them.
fn sender(f: &Flows, r: usize) -> Option<String> {
    let t = &f.ds.transactions;
    let party = |a: u32| {
        f.holder(a)
            .map(|p| format!("party {}", f.ds.parties.key(p as usize)))
            .unwrap_or_else(|| format!("account {}", f.ds.account_key(a)))
    };
    if let Some(iin) = t.sender_iin.get(r).filter(|s| !s.is_empty()) {
        Some(format!("IIN {iin}"))
    } else if t.from[r] != NO_ACCOUNT {
        Some(party(t.from[r]))
    } else if t.to[r] != NO_ACCOUNT {
        Some(format!(
            "unnamed cash onto the accounts of {}",
            party(t.to[r])
        ))
    } else {
        None
    }
}

fn detect_line(f: &Flows, s: &Line, report: &mut Report) {
    let t = &f.ds.transactions;
    let hi = s.threshold_kzt.0 .0;
    let lo = hi - ((hi as f64) * s.band.clamp(0.0, 1.0)).round() as i64;
    let mut by_sender: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for &r in &f.order {
        let row = r as usize;
        let v = t.amount_kzt[row].0;
        if v < lo || v > hi || !s.kinds.contains(&t.kind[row]) || report.explained.contains(&r) {
            continue;
        }
        if s.abroad
            && ![t.from[row], t.to[row]]
                .iter()
                .any(|&a| a != NO_ACCOUNT && crate::flows::foreign(f, a))
        {
            continue;
        }
        if let Some(key) = sender(f, row) {
            by_sender.entry(key).or_default().push(r);
        }
    }
    let span = s.window_hours * 3_600;
    for (sender, rows) in by_sender {
        if rows.len() < s.min_count {
            continue;
        }
        let mut marked = vec![false; rows.len()];
        let mut lo_i = 0;
        for hi_i in 0..rows.len() {
            let th = t.ts[rows[hi_i] as usize].0;
            while t.ts[rows[lo_i] as usize].0 <= th - span {
                lo_i += 1;
            }
            if hi_i + 1 - lo_i >= s.min_count {
                marked[lo_i..=hi_i].iter_mut().for_each(|m| *m = true);
            }
        }
        let hits: Vec<u32> = rows
            .iter()
            .zip(&marked)
            .filter_map(|(&r, &m)| m.then_some(r))
            .collect();
        if hits.is_empty() {
            continue;
        }
        let gid = format!("STR-{}", report.groups.len() + 1);
        let mut group = Group::new(gid.clone(), GroupKind::Structuring);
        let total = Kzt(hits.iter().map(|&r| f.kzt(r).0).sum());
        let what = format!(
            "{} operations of {}–{} KZT within {} h windows, just under {} ({} KZT)",
            hits.len(),
            Kzt(lo),
            Kzt(hi),
            s.window_hours,
            s.name,
            Kzt(hi)
        );
        for &r in &hits {
            group.add_row(f, r);
            let row = r as usize;
            for a in [t.from[row], t.to[row]] {
                if a != NO_ACCOUNT {
                    group.account(f, a, "account");
                }
            }
            report.findings.push(Finding {
                subject: Subject::new(SubjectKind::Transaction, f.tx_id(r)),
                typology: Typology::Structuring,
                group_id: Some(gid.clone()),
                score: 0.75,
                reason: format!(
                    "{} of {} KZT by {sender}: one of {what}; {total} KZT in all",
                    t.kind[row].as_str().replace('_', " "),
                    f.kzt(r),
                ),
            });
        }
        group.volume_in = total;
        group
            .evidence
            .push(format!("{sender}: {what}; {total} KZT in all"));
        report.groups.push(group);
    }
}
