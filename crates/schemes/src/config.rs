//! Settings of the scheme detectors. Every field has a documented default (the
//! `[schemes]` section of `config/finmon.toml`); a user file overrides key by key.

use finmon_model::{money::parse_decimal, Kzt, TxKind};
use serde::{Deserialize, Deserializer};

/// A tenge amount written as a decimal string (`"500000"`, `"499999.99"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tenge(pub Kzt);

impl<'de> Deserialize<'de> for Tenge {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_decimal(&s)
            .ok()
            .and_then(Kzt::exact)
            .filter(|k| k.0 >= 0)
            .map(Tenge)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "'{s}' is not a tenge amount (a decimal string with at most 2 decimals)"
                ))
            })
    }
}

fn kinds<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TxKind>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|k| {
            TxKind::parse(k).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown kind '{k}' (expected one of {})",
                    TxKind::expected()
                ))
            })
        })
        .collect()
}

const fn tenge(t: i64) -> Tenge {
    Tenge(Kzt::from_tenge(t))
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchemesConfig {
    /// Run the scheme detectors in `finmon scan`.
    pub enabled: bool,
    pub structuring: Structuring,
    pub drop_card: DropCard,
    pub network: Network,
    pub shell: Shell,
    pub exchanger: Exchanger,
}

impl Default for SchemesConfig {
    fn default() -> Self {
        SchemesConfig {
            enabled: true,
            structuring: Structuring::default(),
            drop_card: DropCard::default(),
            network: Network::default(),
            shell: Shell::default(),
            exchanger: Exchanger::default(),
        }
    }
}

/// Repeated operations just under a reporting or identification threshold by one sender.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Structuring {
    /// The thresholds watched; each on its own.
    pub lines: Vec<Line>,
}

impl Default for Structuring {
    fn default() -> Self {
        Structuring {
            lines: vec![
                Line {
                    name: "the IIN line on card top-ups".into(),
                    threshold_kzt: tenge(500_000),
                    band: 0.2,
                    min_count: 3,
                    window_hours: 72,
                    kinds: vec![TxKind::CardTopup],
                    abroad: false,
                },
                Line {
                    name: "the reporting line on transfers abroad".into(),
                    threshold_kzt: tenge(5_000_000),
                    band: 0.15,
                    min_count: 3,
                    window_hours: 30 * 24,
                    kinds: vec![TxKind::Transfer, TxKind::P2p],
                    abroad: true,
                },
            ],
        }
    }
}

/// One threshold kept under.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// What the threshold is, for the reason.
    pub name: String,
    /// The threshold avoided: the card top-up IIN rule applies strictly above 500,000 KZT.
    pub threshold_kzt: Tenge,
    /// An operation counts when its KZT value is in `[threshold × (1 − band), threshold]`.
    pub band: f64,
    /// This many such operations by one sender …
    pub min_count: usize,
    /// … within this many hours.
    pub window_hours: i64,
    /// The operations the threshold applies to.
    #[serde(deserialize_with = "kinds")]
    pub kinds: Vec<TxKind>,
    /// Only operations with a counterparty abroad (a foreign bank or a party registered
    /// abroad).
    #[serde(default)]
    pub abroad: bool,
}

/// A card (or a person's account) lent to launder money: money passes through it fast, and
/// something ties it to other cards or to a false identity.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DropCard {
    /// Money that leaves within this many hours of arriving has passed through.
    pub pass_through_hours: i64,
    /// The share of what came in that passed through, at least.
    pub pass_through_ratio: f64,
    /// What came in over the data, at least (small balances are everyday life).
    pub min_inflow_kzt: Tenge,
    /// Inbound operations, at least.
    pub min_inbound: usize,
    /// The rule on many senders: more than this many distinct senders …
    pub many_senders: usize,
    /// … within this many days.
    pub many_senders_days: i64,
    /// A device, phone or IP behind at least this many cards ties them together.
    pub shared_channel_cards: usize,
    /// The rule on cards per person: more than this many cards at one bank.
    pub max_cards_per_bank: usize,
}

impl Default for DropCard {
    fn default() -> Self {
        DropCard {
            pass_through_hours: 48,
            pass_through_ratio: 0.7,
            min_inflow_kzt: tenge(300_000),
            min_inbound: 2,
            many_senders: 100,
            many_senders_days: 90,
            shared_channel_cards: 3,
            max_cards_per_bank: 10,
        }
    }
}

/// Crypto-to-cash networks: drop cards fed by one organiser and cashed out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Network {
    /// A network has at least this many drop cards.
    pub min_cards: usize,
    /// An account feeding at least this many pass-through cards …
    pub min_fed_cards: usize,
    /// … with at least this share of what it pays out, is an organiser's (or its P2P
    /// trader's).
    pub min_hub_share: f64,
    /// A network's cards took out at least this share of what came into them as cash.
    pub min_cash_share: f64,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            min_cards: 3,
            min_fed_cards: 3,
            min_hub_share: 0.5,
            min_cash_share: 0.5,
        }
    }
}

/// Shell-firm rings and their false invoices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Shell {
    /// A firm active within this many days of its registration is young.
    pub young_days: i32,
    /// A ring has at least this many firms.
    pub min_firms: usize,
    /// Invoice payments among the ring's firms, at least.
    pub min_invoices: usize,
    /// The share of the ring's outflow leaving as cash, abroad or to persons, at least.
    pub min_exit_ratio: f64,
    /// Taxes of at most this share of a firm's outflow are a token, not a business.
    pub max_tax_ratio: f64,
}

impl Default for Shell {
    fn default() -> Self {
        Shell {
            young_days: 730,
            min_firms: 3,
            min_invoices: 3,
            min_exit_ratio: 0.2,
            max_tax_ratio: 0.005,
        }
    }
}

/// Persons acting as an exchange without a licence: deals with the public, each tenge one way
/// and crypto the other.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Exchanger {
    /// Distinct counterparts dealt with, at least.
    pub min_counterparties: usize,
    /// Tenge turnover of the deals, at least.
    pub min_turnover_kzt: Tenge,
    /// A tenge leg and a crypto leg in the opposite direction this close in time are a deal …
    pub match_hours: i64,
    /// … when they are with the same counterpart, or of values this close (a share).
    pub value_tolerance: f64,
}

impl Default for Exchanger {
    fn default() -> Self {
        Exchanger {
            min_counterparties: 10,
            min_turnover_kzt: tenge(3_000_000),
            match_hours: 6,
            value_tolerance: 0.05,
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_values_override_key_by_key() {
        let line = "name = 'x'\nthreshold_kzt = \"1000000.50\"\nband = 0.1\nmin_count = 4\nwindow_hours = 24\nkinds = [\"cash_deposit\"]\n";
        let c: SchemesConfig = toml::from_str(&format!("[[structuring.lines]]\n{line}")).unwrap();
        let l = &c.structuring.lines[0];
        assert_eq!(l.threshold_kzt, Tenge(Kzt(100_000_050)));
        assert_eq!(
            (l.min_count, l.kinds.as_slice()),
            (4, [TxKind::CashDeposit].as_slice())
        );
        assert!(!l.abroad);
        assert_eq!(
            c.drop_card.pass_through_hours, 48,
            "untouched keys keep defaults"
        );
        let bad = line.replace("1000000.50", "1.005");
        assert!(toml::from_str::<SchemesConfig>(&format!("[[structuring.lines]]\n{bad}")).is_err());
        let bad = line.replace("cash_deposit", "cash");
        assert!(toml::from_str::<SchemesConfig>(&format!("[[structuring.lines]]\n{bad}")).is_err());
        assert!(toml::from_str::<SchemesConfig>("[drop_card]\nwindow = 3").is_err());
    }
}
