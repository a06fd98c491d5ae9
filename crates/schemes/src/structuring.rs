//! Structuring: one sender repeating operations just under a threshold within a short time,
//! so that none of them crosses it (top-ups kept under the 500,000 KZT IIN rule).
//!
//! The sender is the IIN given, else the sending account, else (cash paid in without a name)
//! the account paid into. An operation counts when its KZT value lies in
//! `[threshold × (1 − band), threshold]`; `min_count` of them within `window_hours` make every
//! one of them a finding, grouped per sender.

use crate::config::SchemesConfig;
use crate::flows::Flows;
use crate::{Group, GroupKind, Report};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{Finding, Kzt, Subject, SubjectKind, Typology};
use std::collections::BTreeMap;

pub(crate) fn detect(f: &Flows, cfg: &SchemesConfig, report: &mut Report) {
    let s = &cfg.structuring;
    let t = &f.ds.transactions;
    let hi = s.threshold_kzt.0 .0;
    let lo = hi - ((hi as f64) * s.band.clamp(0.0, 1.0)).round() as i64;
    let mut by_sender: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for &r in &f.order {
        let row = r as usize;
        if !s.kinds.contains(&t.kind[row]) {
            continue;
        }
        let v = t.amount_kzt[row].0;
        if v < lo || v > hi {
            continue;
        }
        let key = if let Some(iin) = t.sender_iin.get(row).filter(|s| !s.is_empty()) {
            format!("IIN {iin}")
        } else if t.from[row] != NO_ACCOUNT {
            format!("account {}", f.ds.account_key(t.from[row]))
        } else if t.to[row] != NO_ACCOUNT {
            format!("unnamed cash into account {}", f.ds.account_key(t.to[row]))
        } else {
            continue;
        };
        by_sender.entry(key).or_default().push(r);
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
                    "{} of {} KZT by {sender}: one of {} operations of {}–{} KZT (just under {}) within {} h, {} KZT in all",
                    t.kind[row].as_str().replace('_', " "),
                    f.kzt(r),
                    hits.len(),
                    Kzt(lo),
                    Kzt(hi),
                    Kzt(hi),
                    s.window_hours,
                    total
                ),
            });
        }
        group.volume_in = total;
        group.evidence.push(format!(
            "{sender}: {} operations of {}–{} KZT within {} h windows, {} KZT in all",
            hits.len(),
            Kzt(lo),
            Kzt(hi),
            s.window_hours,
            total
        ));
        report.groups.push(group);
    }
}
