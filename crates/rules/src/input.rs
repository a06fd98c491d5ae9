//! A transaction as a decision request carries it (text fields, like a JSON body), and its
//! validation into typed values — the same checks ingest makes on a `transactions` row.

use crate::error::InputError;
use finmon_model::money::parse_decimal;
use finmon_model::{
    Biometric, Currencies, Currency, Dataset, Date, Decimal, Kzt, Timestamp, TxKind,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One transaction to decide on, as text: the columns of `transactions` in `dataset.md`.
/// Optional fields may be absent or empty (both mean unknown). Columns the format does not
/// define go to `attrs` (in JSON: any other string field of the object).
///
/// ```
/// let tx: finmon_rules::TxInput = serde_json::from_str(r#"{
///     "tx_id": "T1", "timestamp": "2025-03-14T09:26:53+05:00", "kind": "card_topup",
///     "to_account": "CARD-1", "amount": "600000.00", "currency": "KZT", "channel": "app"
/// }"#).unwrap();
/// assert_eq!(tx.attrs["channel"], "app");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInput {
    pub tx_id: String,
    /// RFC 3339 with offset: `2025-03-14T09:26:53+05:00`.
    pub timestamp: String,
    /// A `transactions.kind` token: `transfer`, `card_topup`, `cash_withdrawal`, …
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_account: Option<String>,
    /// A decimal string (`1250000.00`): never a float.
    pub amount: String,
    pub currency: String,
    /// The tenge value if the sender knows it (at most 2 decimals); otherwise valued from the
    /// reference rates on the transaction's local day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_kzt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_iin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atm_id: Option<String>,
    /// `verified`, `failed` or `not_checked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biometric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Any other column, by name.
    #[serde(flatten)]
    pub attrs: BTreeMap<String, String>,
}

/// A validated transaction, borrowing its text from the [`TxInput`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTx<'a> {
    pub tx_id: &'a str,
    pub timestamp: Timestamp,
    /// The local calendar day the timestamp was written in: the day of valuation.
    pub date: Date,
    pub kind: TxKind,
    pub from_account: Option<&'a str>,
    pub to_account: Option<&'a str>,
    pub amount: Decimal,
    pub currency: &'a str,
    pub amount_kzt: Kzt,
    pub sender_iin: Option<&'a str>,
    pub atm_id: Option<&'a str>,
    pub biometric: Option<Biometric>,
    pub device_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub attrs: &'a BTreeMap<String, String>,
}

impl ParsedTx<'_> {
    /// An extra attribute, `None` when absent or empty.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The last rate looked up: consecutive transactions mostly share currency and day.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateCache {
    last: Option<(Currency, Date, Decimal)>,
}

fn opt(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

fn positive(v: &str, field: &'static str) -> Result<Decimal, InputError> {
    let d = parse_decimal(v).map_err(|e| InputError::field(field, format!("unparsable: {e}")))?;
    if d <= Decimal::ZERO {
        return Err(InputError::field(
            field,
            format!("must be positive, got {v}"),
        ));
    }
    Ok(d)
}

impl TxInput {
    /// A fingerprint of the whole content (every field, attributes included), to tell an
    /// identical re-send of a `tx_id` from a conflicting reuse. finmon's own fixed function
    /// (see `fp`), so a fingerprint saved in a state folder stays valid across builds.
    pub fn fingerprint(&self) -> u64 {
        let text = serde_json::to_vec(self).unwrap_or_default();
        crate::fp::bytes(crate::fp::TAG_STR, &text)
    }

    /// Validates the transaction like ingest validates a row, and values it in tenge: the
    /// given `amount_kzt` (exact, at most 2 decimals), else `amount × rate` from `reference`'s
    /// rates for the local day (or the latest earlier one), rounded half to even. A missing rate
    /// is an error, never a zero.
    pub fn parse<'a>(&'a self, reference: &Dataset) -> Result<ParsedTx<'a>, InputError> {
        self.parse_cached(reference, &mut RateCache::default())
    }

    pub(crate) fn parse_cached<'a>(
        &'a self,
        reference: &Dataset,
        cache: &mut RateCache,
    ) -> Result<ParsedTx<'a>, InputError> {
        if self.tx_id.is_empty() {
            return Err(InputError::field("tx_id", "tx_id is empty"));
        }
        let (timestamp, date) = Timestamp::parse_rfc3339(&self.timestamp)
            .map_err(|e| InputError::field("timestamp", e.to_string()))?;
        let kind = TxKind::parse(&self.kind).ok_or_else(|| {
            InputError::field(
                "kind",
                format!(
                    "unknown kind '{}' (expected one of {})",
                    self.kind,
                    TxKind::expected()
                ),
            )
        })?;
        let amount = positive(&self.amount, "amount")?;
        if !Currencies::is_valid_code(&self.currency) {
            return Err(InputError::field(
                "currency",
                format!(
                    "invalid currency '{}' (an upper-case ISO 4217 code or crypto ticker)",
                    self.currency
                ),
            ));
        }
        let from_account = opt(&self.from_account);
        let to_account = opt(&self.to_account);
        if from_account.is_none() && to_account.is_none() {
            return Err(InputError::NoAccount);
        }
        let biometric = match opt(&self.biometric) {
            None => None,
            Some(b) => Some(Biometric::parse(b).ok_or_else(|| {
                InputError::field(
                    "biometric",
                    format!(
                        "unknown biometric '{b}' (expected one of {})",
                        Biometric::expected()
                    ),
                )
            })?),
        };
        let amount_kzt = match opt(&self.amount_kzt) {
            Some(v) => Kzt::exact(positive(v, "amount_kzt")?).ok_or_else(|| {
                InputError::field(
                    "amount_kzt",
                    format!("amount_kzt {v} has more than 2 decimals"),
                )
            })?,
            None => {
                let rate = rate(reference, cache, &self.currency, date).ok_or_else(|| {
                    InputError::NoRate {
                        currency: self.currency.clone(),
                        date,
                    }
                })?;
                Kzt::value_of(amount, rate)
                    .ok_or_else(|| InputError::field("amount", "too large to value in KZT"))?
            }
        };
        Ok(ParsedTx {
            tx_id: &self.tx_id,
            timestamp,
            date,
            kind,
            from_account,
            to_account,
            amount,
            currency: &self.currency,
            amount_kzt,
            sender_iin: opt(&self.sender_iin),
            atm_id: opt(&self.atm_id),
            biometric,
            device_id: opt(&self.device_id),
            ip: opt(&self.ip),
            reference: opt(&self.reference),
            attrs: &self.attrs,
        })
    }
}

fn rate(ds: &Dataset, cache: &mut RateCache, code: &str, date: Date) -> Option<Decimal> {
    if code == "KZT" {
        return Some(Decimal::ONE);
    }
    let cur = ds.currencies.get(code)?;
    if let Some((c, d, r)) = cache.last {
        if c == cur && d == date {
            return Some(r);
        }
    }
    let r = ds.rates.on(cur, date)?;
    cache.last = Some((cur, date, r));
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx() -> TxInput {
        TxInput {
            tx_id: "T1".into(),
            timestamp: "2025-03-14T09:26:53+05:00".into(),
            kind: "transfer".into(),
            from_account: Some("A".into()),
            amount: "100.50".into(),
            currency: "KZT".into(),
            ..TxInput::default()
        }
    }

    #[test]
    fn validates_like_ingest() {
        let ds = Dataset::default();
        let t = tx();
        let p = t.parse(&ds).unwrap();
        assert_eq!(p.amount_kzt, Kzt(10_050));
        assert_eq!(p.date.to_string(), "2025-03-14");
        let bad = |f: fn(&mut TxInput)| {
            let mut t = tx();
            f(&mut t);
            t.parse(&ds).unwrap_err()
        };
        assert!(matches!(
            bad(|t| t.amount = "1e6".into()),
            InputError::Field {
                field: "amount",
                ..
            }
        ));
        assert!(matches!(
            bad(|t| t.amount = "-5".into()),
            InputError::Field {
                field: "amount",
                ..
            }
        ));
        assert!(matches!(
            bad(|t| t.kind = "Transfer".into()),
            InputError::Field { field: "kind", .. }
        ));
        assert!(matches!(
            bad(|t| t.timestamp = "2025-03-14".into()),
            InputError::Field {
                field: "timestamp",
                ..
            }
        ));
        assert!(matches!(
            bad(|t| t.currency = "usd".into()),
            InputError::Field {
                field: "currency",
                ..
            }
        ));
        assert!(matches!(
            bad(|t| t.biometric = Some("ok".into())),
            InputError::Field {
                field: "biometric",
                ..
            }
        ));
        assert!(matches!(
            bad(|t| t.amount_kzt = Some("1.005".into())),
            InputError::Field {
                field: "amount_kzt",
                ..
            }
        ));
        assert_eq!(
            bad(|t| t.from_account = Some(String::new())),
            InputError::NoAccount
        );
        assert_eq!(
            bad(|t| t.tx_id.clear()),
            InputError::field("tx_id", "tx_id is empty")
        );
    }

    #[test]
    fn foreign_amounts_need_a_rate_never_zero() {
        let mut ds = Dataset::default();
        let mut t = tx();
        t.currency = "USD".into();
        t.amount = "1000".into();
        assert!(matches!(t.parse(&ds), Err(InputError::NoRate { .. })));
        let usd = ds.currencies.intern("USD").unwrap();
        ds.rates.insert(
            usd,
            Date::parse("2025-03-14").unwrap(),
            Decimal::new(500_123, 3),
        );
        assert!(t.parse(&ds).is_ok());
        assert_eq!(t.parse(&ds).unwrap().amount_kzt, Kzt(50_012_300));
        // The local day decides: 02:00 in Almaty on the 14th is the 13th in UTC, still valued
        // with the rate of the 14th.
        t.timestamp = "2025-03-14T02:00:00+05:00".into();
        assert_eq!(t.parse(&ds).unwrap().amount_kzt, Kzt(50_012_300));
        t.timestamp = "2025-03-13T23:00:00+05:00".into();
        assert!(matches!(t.parse(&ds), Err(InputError::NoRate { .. })));
        // A given amount_kzt wins over the rate.
        t.amount_kzt = Some("1.00".into());
        assert_eq!(t.parse(&ds).unwrap().amount_kzt, Kzt(100));
    }
}
