//! Breaches of the Kazakhstan rules that a single transaction or party shows on its own:
//! `missing_iin`, `no_biometrics`, `video_gap`, `threshold_report`, `fictitious_identity`.

use crate::config::{Config, ThresholdRule};
use crate::Detector;
use finmon_ident::{Bin, Iin};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{
    Biometric, Dataset, Finding, Kzt, PartyKind, Subject, SubjectKind, Timestamp, TxKind, Typology,
};

pub fn all(c: &Config) -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(MissingIin {
            threshold: c.missing_iin_threshold,
        }),
        Box::new(NoBiometrics {
            flag_unknown: c.no_biometrics.flag_unknown,
        }),
        Box::new(VideoGap {
            retention_secs: i64::from(c.video_retention_days) * 86_400,
            retention_days: c.video_retention_days,
            from: c.video_effective_from.map(|d| d.start()),
        }),
        Box::new(ThresholdReport {
            rules: c.threshold_rules.clone(),
            offshore: c.offshore_countries.clone(),
        }),
        Box::new(FictitiousIdentity),
    ]
}

fn tx_finding(ds: &Dataset, row: usize, typology: Typology, score: f64, reason: String) -> Finding {
    Finding {
        subject: Subject::new(SubjectKind::Transaction, ds.transactions.ids.get(row)),
        typology,
        group_id: None,
        score,
        reason,
    }
}

/// "card top-up of 600,000.00 KZT (1,200.00 USD) on 2025-03-14T04:26:53Z from A to B"
fn describe(ds: &Dataset, row: usize) -> String {
    let t = &ds.transactions;
    let cur = t.currency[row];
    let mut s = format!(
        "{} of {}",
        t.kind[row].as_str().replace('_', " "),
        t.amount_kzt[row].grouped()
    );
    if cur != finmon_model::Currency::KZT {
        s.push_str(&format!(
            " ({} {})",
            t.amount.get(row),
            ds.currencies.code(cur)
        ));
    }
    s.push_str(&format!(" on {}", t.ts[row]));
    if t.from[row] != NO_ACCOUNT {
        s.push_str(&format!(" from {}", ds.account_key(t.from[row])));
    }
    if t.to[row] != NO_ACCOUNT {
        s.push_str(&format!(" to {}", ds.account_key(t.to[row])));
    }
    s
}

/// A card top-up above the threshold without a valid sender IIN.
pub struct MissingIin {
    pub threshold: Kzt,
}

impl Detector for MissingIin {
    fn name(&self) -> &'static str {
        "missing_iin"
    }

    fn detect(&self, ds: &Dataset, out: &mut Vec<Finding>) {
        let t = &ds.transactions;
        for row in 0..t.len() {
            if t.kind[row] != TxKind::CardTopup || t.amount_kzt[row] <= self.threshold {
                continue;
            }
            let why = match t.sender_iin.get(row) {
                None => "no sender IIN was given".to_string(),
                Some(iin) => match Iin::parse(iin) {
                    Ok(_) => continue,
                    Err(e) => format!("the sender IIN {iin} is invalid ({e})"),
                },
            };
            let reason = format!(
                "{}: above the {} identification threshold and {why}",
                describe(ds, row),
                self.threshold.grouped()
            );
            out.push(tx_finding(ds, row, Typology::MissingIin, 0.9, reason));
        }
    }
}

/// A cash withdrawal not biometrically verified.
pub struct NoBiometrics {
    pub flag_unknown: bool,
}

impl Detector for NoBiometrics {
    fn name(&self) -> &'static str {
        "no_biometrics"
    }

    fn detect(&self, ds: &Dataset, out: &mut Vec<Finding>) {
        let t = &ds.transactions;
        if !t.has_biometric_column() {
            return; // the provider does not report checks: silence, not a flood of guesses
        }
        for row in 0..t.len() {
            if t.kind[row] != TxKind::CashWithdrawal {
                continue;
            }
            let (why, score) = match t.biometric(row) {
                Some(Biometric::Verified) => continue,
                Some(Biometric::Failed) => ("the biometric check failed", 0.85),
                Some(Biometric::NotChecked) => ("no biometric check was made", 0.7),
                None if self.flag_unknown => ("no biometric check was recorded", 0.6),
                None => continue,
            };
            let atm = t
                .atm_id
                .get(row)
                .map(|a| format!(" at ATM {a}"))
                .unwrap_or_default();
            let reason = format!("{}{atm}: {why}", describe(ds, row));
            out.push(tx_finding(ds, row, Typology::NoBiometrics, score, reason));
        }
    }
}

/// A cash operation at an ATM with no recording that covers it and is kept long enough.
pub struct VideoGap {
    pub retention_secs: i64,
    pub retention_days: u32,
    pub from: Option<Timestamp>,
}

impl Detector for VideoGap {
    fn name(&self) -> &'static str {
        "video_gap"
    }

    fn detect(&self, ds: &Dataset, out: &mut Vec<Finding>) {
        let t = &ds.transactions;
        if !ds.has_table("atm_video") {
            return; // no recordings were supplied: nothing can be judged
        }
        for row in 0..t.len() {
            if !t.kind[row].is_cash() || self.from.is_some_and(|f| t.ts[row] < f) {
                continue;
            }
            let Some(atm) = t.atm_id.get(row) else {
                continue;
            };
            let ts = t.ts[row];
            let covering: Vec<_> = ds
                .atm_video
                .for_atm(atm)
                .filter(|r| r.from <= ts && ts <= r.to)
                .collect();
            let needed = Timestamp(ts.0 + self.retention_secs);
            if covering
                .iter()
                .any(|r| r.retained_until.is_some_and(|u| u >= needed))
            {
                continue;
            }
            let why = match covering.iter().filter_map(|r| r.retained_until).max() {
                Some(u) => format!(
                    "the recording covering it is kept only until {u}, short of the {} days required (until {needed})",
                    self.retention_days
                ),
                None if !covering.is_empty() => "the recording covering it has no retention date".to_string(),
                None => format!("no recording of ATM {atm} covers that time"),
            };
            let reason = format!("{} at ATM {atm}: {why}", describe(ds, row));
            out.push(tx_finding(ds, row, Typology::VideoGap, 0.6, reason));
        }
    }
}

/// Operations the AFM must receive a threshold report on.
pub struct ThresholdReport {
    pub rules: Vec<ThresholdRule>,
    pub offshore: Vec<String>,
}

impl ThresholdReport {
    /// Where an account's holder or bank is registered, if it is an offshore zone.
    fn offshore_of(&self, ds: &Dataset, account: u32) -> Option<String> {
        if account == NO_ACCOUNT {
            return None;
        }
        let acc = ds.account(account)?;
        let holder = ds.holder(account).and_then(|p| p.country.clone());
        let bank = acc
            .institution
            .as_deref()
            .and_then(|i| ds.institutions.get(i))
            .and_then(|i| i.country.clone());
        [holder.map(|c| (c, "holder")), bank.map(|c| (c, "bank"))]
            .into_iter()
            .flatten()
            .find(|(c, _)| self.offshore.contains(c))
            .map(|(c, who)| format!("{} {who} registered in {c}", ds.account_key(account)))
    }
}

impl Detector for ThresholdReport {
    fn name(&self) -> &'static str {
        "threshold_report"
    }

    fn detect(&self, ds: &Dataset, out: &mut Vec<Finding>) {
        let t = &ds.transactions;
        let min = self
            .rules
            .iter()
            .map(|r| r.min)
            .min()
            .unwrap_or(Kzt(i64::MAX));
        for row in 0..t.len() {
            let amount = t.amount_kzt[row];
            if amount < min {
                continue;
            }
            let mut hits = Vec::new();
            for r in &self.rules {
                if amount < r.min || (!r.kinds.is_empty() && !r.kinds.contains(&t.kind[row])) {
                    continue;
                }
                let mut why = Vec::new();
                if !r.keywords.is_empty() {
                    let Some(reference) = t.reference.get(row) else {
                        continue;
                    };
                    let lower = reference.to_lowercase();
                    let Some(k) = r.keywords.iter().find(|k| mentions_word(&lower, k)) else {
                        continue;
                    };
                    why.push(format!("reference '{reference}' mentions '{k}'"));
                }
                if r.offshore {
                    let Some(o) = self
                        .offshore_of(ds, t.from[row])
                        .or_else(|| self.offshore_of(ds, t.to[row]))
                    else {
                        continue;
                    };
                    why.push(o);
                }
                let cond = if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", why.join("; "))
                };
                hits.push(format!("{} ≥ {}{cond}", r.name, r.min.grouped()));
            }
            if !hits.is_empty() {
                let reason = format!(
                    "{}: reportable to the AFM by the next business day — {}",
                    describe(ds, row),
                    hits.join(", ")
                );
                out.push(tx_finding(ds, row, Typology::ThresholdReport, 0.5, reason));
            }
        }
    }
}

/// A party whose IIN (persons, sole proprietors) or BIN (companies) fails its check digit or
/// structure. A valid number whose date or sex digits disagree with the party is not one: since
/// 2013 numbers need not match their holder.
pub struct FictitiousIdentity;

impl Detector for FictitiousIdentity {
    fn name(&self) -> &'static str {
        "fictitious_identity"
    }

    fn detect(&self, ds: &Dataset, out: &mut Vec<Finding>) {
        let mut held: Option<std::collections::HashMap<&str, usize>> = None;
        for (id, p) in ds.parties.iter() {
            let Some(number) = p.iin_bin.as_deref() else {
                continue;
            };
            let (what, err) = match p.kind {
                PartyKind::Company => ("BIN", Bin::parse(number).err()),
                PartyKind::Person | PartyKind::SoleProprietor => ("IIN", Iin::parse(number).err()),
            };
            let Some(err) = err else { continue };
            let name = p
                .name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            // Counted once, and only when there is a fictitious identity to describe.
            let held = held.get_or_insert_with(|| {
                let mut m = std::collections::HashMap::new();
                for a in &ds.accounts.rows {
                    if let Some(h) = a.holder.as_deref() {
                        *m.entry(h).or_insert(0) += 1;
                    }
                }
                m
            });
            let accounts = held.get(id).copied().unwrap_or(0);
            out.push(Finding {
                subject: Subject::new(SubjectKind::Party, id),
                typology: Typology::FictitiousIdentity,
                group_id: None,
                score: 0.95,
                reason: format!(
                    "{} {id}{name} holds {accounts} account(s) under {what} {number}, which is invalid: {err}",
                    p.kind.as_str().replace('_', " ")
                ),
            });
        }
    }
}

/// Whether `keyword` (a word or the start of one, lower case) begins a word of `text` (lower
/// case): `ставк` is in "ставка на матч", not in "поставка товара".
pub(crate) fn mentions_word(text: &str, keyword: &str) -> bool {
    text.match_indices(keyword).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

#[cfg(test)]
mod word_tests {
    use super::mentions_word;

    #[test]
    fn a_keyword_starts_a_word() {
        assert!(mentions_word("ставка на матч", "ставк"));
        assert!(mentions_word("выигрыш: ставка", "ставк"));
        assert!(!mentions_word("оплата за поставку товара", "ставк"));
        assert!(!mentions_word("доставка", "ставк"));
        assert!(mentions_word("lottery win", "lottery"));
        assert!(!mentions_word("pawnshop", "shop"));
    }
}
