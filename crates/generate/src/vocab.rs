//! Small closed vocabularies of the generator: currencies, channels, biometric results,
//! payment references (each with the purpose the threshold rules care about) and label groups.

use finmon_model::{SubjectKind, Typology};

/// The currencies the world trades in, with their decimals in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Cur {
    Kzt,
    Usd,
    Eur,
    Rub,
    Cny,
    Btc,
    Eth,
    Usdt,
}

impl Cur {
    pub const ALL: [Cur; 8] = [
        Cur::Kzt,
        Cur::Usd,
        Cur::Eur,
        Cur::Rub,
        Cur::Cny,
        Cur::Btc,
        Cur::Eth,
        Cur::Usdt,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Cur::Kzt => "KZT",
            Cur::Usd => "USD",
            Cur::Eur => "EUR",
            Cur::Rub => "RUB",
            Cur::Cny => "CNY",
            Cur::Btc => "BTC",
            Cur::Eth => "ETH",
            Cur::Usdt => "USDT",
        }
    }

    /// Decimals an amount is written with (amounts are held in these minor units).
    pub fn decimals(self) -> u32 {
        match self {
            Cur::Btc | Cur::Eth => 8,
            _ => 2,
        }
    }

    /// Tenge per unit around the start of 2025 (tiyn): where each rate's random walk starts.
    pub fn base_rate(self) -> i64 {
        match self {
            Cur::Kzt => 100,
            Cur::Usd => 50_500,
            Cur::Eur => 54_800,
            Cur::Rub => 520,
            Cur::Cny => 6_950,
            Cur::Btc => 4_450_000_000,
            Cur::Eth => 160_000_000,
            Cur::Usdt => 50_450,
        }
    }

    /// Daily volatility of the rate (standard deviation of the log change).
    pub fn volatility(self) -> f64 {
        match self {
            Cur::Kzt => 0.0,
            Cur::Btc | Cur::Eth => 0.03,
            Cur::Usdt => 0.004,
            Cur::Rub => 0.008,
            _ => 0.004,
        }
    }
}

/// How a transaction reached the bank; written as the extra column `channel` (an attribute to
/// finmon, kept and never required).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Pos,
    App,
    Atm,
    Branch,
    Online,
    Terminal,
    Exchange,
    Chain,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Pos => "pos",
            Channel::App => "app",
            Channel::Atm => "atm",
            Channel::Branch => "branch",
            Channel::Online => "online",
            Channel::Terminal => "terminal",
            Channel::Exchange => "exchange",
            Channel::Chain => "chain",
        }
    }
}

/// The biometric cell of a cash operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bio {
    /// Empty: not a withdrawal, or the bank recorded nothing.
    Empty,
    Verified,
    Failed,
    NotChecked,
}

impl Bio {
    pub fn as_str(self) -> &'static str {
        match self {
            Bio::Empty => "",
            Bio::Verified => "verified",
            Bio::Failed => "failed",
            Bio::NotChecked => "not_checked",
        }
    }
}

/// What a payment reference says a payment is for, as far as the threshold-reporting rules
/// care: the generator knows why it wrote a reference and labels by that, never by matching
/// the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Ordinary,
    Gambling,
    CulturalProperty,
    Pawnshop,
}

/// A payment reference: its kind and a number (invoice, contract, month) where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    None,
    Salary {
        month: u8,
        year: u16,
        ru: bool,
    },
    Advance {
        month: u8,
        year: u16,
    },
    Pension,
    Tax {
        month: u8,
        year: u16,
        ru: bool,
    },
    Invoice {
        n: u32,
        ru: bool,
    },
    Utility {
        month: u8,
        year: u16,
    },
    Mobile,
    Gift {
        ru: bool,
    },
    Rent,
    Family,
    LoanRepayment(u32),
    Winnings {
        ru: bool,
    },
    PawnLoan {
        n: u32,
        ru: bool,
    },
    AntiqueSale {
        ru: bool,
    },
    Consulting(u32),
    Prepayment(u32),
    /// A shell firm's invoice for goods or services that never existed.
    FakeServices {
        n: u32,
        what: u8,
    },
    Exchange,
    Savings,
    Car,
}

const FAKE_WHAT: [&str; 6] = [
    "Маркетинговые услуги по договору №",
    "Строительные материалы по счету №",
    "Транспортные услуги по договору №",
    "Consulting services invoice ",
    "IT services contract ",
    "Оплата за товар по счету №",
];

impl Ref {
    pub fn purpose(self) -> Purpose {
        match self {
            Ref::Winnings { .. } => Purpose::Gambling,
            Ref::PawnLoan { .. } => Purpose::Pawnshop,
            Ref::AntiqueSale { .. } => Purpose::CulturalProperty,
            _ => Purpose::Ordinary,
        }
    }

    /// Appends the text. No commas or quotes, so the CSV cell needs no quoting.
    pub fn write(self, out: &mut Vec<u8>) {
        let mut num = itoa::Buffer::new();
        let mut push = |s: &str| out.extend_from_slice(s.as_bytes());
        let mm = |m: u8, y: u16| format!("{m:02}.{y}");
        match self {
            Ref::None => {}
            Ref::Salary { month, year, ru } => {
                push(if ru {
                    "Заработная плата за "
                } else {
                    "Salary "
                });
                push(&mm(month, year));
            }
            Ref::Advance { month, year } => {
                push("Аванс за ");
                push(&mm(month, year));
            }
            Ref::Pension => push("Пенсионные выплаты"),
            Ref::Tax { month, year, ru } => {
                push(if ru {
                    "ИПН и социальные отчисления за "
                } else {
                    "Payroll taxes "
                });
                push(&mm(month, year));
            }
            Ref::Invoice { n, ru } => {
                push(if ru {
                    "Оплата по счету на оплату №"
                } else {
                    "Invoice "
                });
                push(num.format(n));
            }
            Ref::Utility { month, year } => {
                push("Коммунальные услуги ");
                push(&mm(month, year));
            }
            Ref::Mobile => push("Mobile services"),
            Ref::Gift { ru } => push(if ru { "Подарок" } else { "Gift" }),
            Ref::Rent => push("Аренда квартиры"),
            Ref::Family => push("Family support"),
            Ref::LoanRepayment(n) => {
                push("Loan repayment ");
                push(num.format(n));
            }
            Ref::Winnings { ru } => push(if ru {
                "Выплата выигрыша по лотерее"
            } else {
                "Lottery winnings payout"
            }),
            Ref::PawnLoan { n, ru } => {
                push(if ru {
                    "Ломбард: выдача займа №"
                } else {
                    "Pawn loan "
                });
                push(num.format(n));
            }
            Ref::AntiqueSale { ru } => push(if ru {
                "Продажа антикварной картины"
            } else {
                "Sale of an antique painting"
            }),
            Ref::Consulting(n) => {
                push("Консалтинговые услуги по договору №");
                push(num.format(n));
            }
            Ref::Prepayment(n) => {
                push("Prepayment for equipment contract ");
                push(num.format(n));
            }
            Ref::FakeServices { n, what } => {
                push(FAKE_WHAT[usize::from(what) % FAKE_WHAT.len()]);
                push(num.format(n));
            }
            Ref::Exchange => push("USDT"),
            Ref::Savings => push("Пополнение"),
            Ref::Car => push("За автомобиль"),
        }
    }

    pub fn fake_kinds() -> u8 {
        FAKE_WHAT.len() as u8
    }
}

/// What kind of planted scheme a label group belongs to: the prefix of its `group_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum GroupKind {
    CashOut,
    Unlicensed,
    Exchanger,
    Shell,
    Structuring,
    FanIn,
    FanOut,
    Cycle,
    ScatterGather,
    GatherScatter,
    Bipartite,
    Stack,
}

impl GroupKind {
    pub fn prefix(self) -> &'static str {
        match self {
            GroupKind::CashOut => "con",
            GroupKind::Unlicensed => "uex",
            GroupKind::Exchanger => "exch",
            GroupKind::Shell => "shell",
            GroupKind::Structuring => "struct",
            GroupKind::FanIn => "fan_in",
            GroupKind::FanOut => "fan_out",
            GroupKind::Cycle => "cycle",
            GroupKind::ScatterGather => "scatter_gather",
            GroupKind::GatherScatter => "gather_scatter",
            GroupKind::Bipartite => "bipartite",
            GroupKind::Stack => "stack",
        }
    }
}

/// A label group (`group_id`): a kind and a number, written `con-3`. `Group::NONE` is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group(pub u32);

impl Group {
    pub const NONE: Group = Group(u32::MAX);

    pub fn new(kind: GroupKind, n: u32) -> Group {
        Group((kind as u32) << 24 | (n & 0x00FF_FFFF))
    }

    pub fn is_none(self) -> bool {
        self == Group::NONE
    }

    fn kind(self) -> GroupKind {
        const KINDS: [GroupKind; 12] = [
            GroupKind::CashOut,
            GroupKind::Unlicensed,
            GroupKind::Exchanger,
            GroupKind::Shell,
            GroupKind::Structuring,
            GroupKind::FanIn,
            GroupKind::FanOut,
            GroupKind::Cycle,
            GroupKind::ScatterGather,
            GroupKind::GatherScatter,
            GroupKind::Bipartite,
            GroupKind::Stack,
        ];
        KINDS[(self.0 >> 24) as usize % KINDS.len()]
    }

    pub fn write(self, out: &mut Vec<u8>) {
        if self.is_none() {
            return;
        }
        out.extend_from_slice(self.kind().prefix().as_bytes());
        out.push(b'-');
        out.extend_from_slice(itoa::Buffer::new().format(self.0 & 0x00FF_FFFF).as_bytes());
    }
}

/// A label on a party, account or institution (transactions carry theirs with them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityLabel {
    pub kind: SubjectKind,
    pub index: u32,
    pub typology: Typology,
    pub group: Group,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_print_their_prefix_and_number() {
        let mut v = Vec::new();
        Group::new(GroupKind::ScatterGather, 12).write(&mut v);
        assert_eq!(v, b"scatter_gather-12");
        v.clear();
        Group::NONE.write(&mut v);
        assert!(v.is_empty());
    }
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    /// Every reference the generator writes, in each language.
    fn all_refs() -> Vec<Ref> {
        let mut v = vec![
            Ref::None,
            Ref::Pension,
            Ref::Mobile,
            Ref::Rent,
            Ref::Family,
            Ref::Exchange,
            Ref::Savings,
            Ref::Car,
        ];
        for ru in [true, false] {
            v.extend([
                Ref::Salary {
                    month: 3,
                    year: 2025,
                    ru,
                },
                Ref::Tax {
                    month: 3,
                    year: 2025,
                    ru,
                },
                Ref::Invoice { n: 17, ru },
                Ref::Gift { ru },
                Ref::Winnings { ru },
                Ref::PawnLoan { n: 5, ru },
                Ref::AntiqueSale { ru },
            ]);
        }
        v.extend([
            Ref::Advance {
                month: 1,
                year: 2025,
            },
            Ref::Utility {
                month: 1,
                year: 2025,
            },
            Ref::LoanRepayment(3),
            Ref::Consulting(9),
            Ref::Prepayment(9),
        ]);
        v.extend((0..Ref::fake_kinds()).map(|what| Ref::FakeServices { n: 1, what }));
        v
    }

    /// The keywords of the shipped threshold rules (`config/finmon.toml`): an ordinary payment
    /// must not carry one, or a detector would rightly report what the labels call ordinary.
    #[test]
    fn only_references_with_a_reportable_purpose_carry_a_rule_keyword() {
        let text = include_str!("../../../config/finmon.toml");
        let config: toml::Table = toml::from_str(text).expect("config parses");
        let rules = config["threshold_report"]["rules"]
            .as_array()
            .expect("rules");
        let keywords: Vec<String> = rules
            .iter()
            .filter_map(|r| r.get("reference_keywords")?.as_array().cloned())
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_lowercase))
            .collect();
        assert!(keywords.len() > 10, "{keywords:?}");
        for r in all_refs() {
            let mut v = Vec::new();
            r.write(&mut v);
            let text = String::from_utf8(v).expect("utf-8").to_lowercase();
            assert!(
                !text.contains(',') && !text.contains('"'),
                "{text} needs CSV quoting"
            );
            let hit = keywords.iter().find(|k| text.contains(k.as_str()));
            match r.purpose() {
                Purpose::Ordinary => assert!(hit.is_none(), "'{text}' contains '{hit:?}'"),
                _ => assert!(hit.is_some(), "'{text}' names no keyword of its rule"),
            }
        }
    }

    #[test]
    fn offshore_countries_are_the_afm_list() {
        let text = include_str!("../../../config/finmon.toml");
        let config: toml::Table = toml::from_str(text).expect("config parses");
        let list: Vec<&str> = config["threshold_report"]["offshore_countries"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|c| c.as_str())
            .collect();
        for &(country, offshore) in crate::world::COUNTRIES {
            assert_eq!(list.contains(&country), offshore, "{country}");
        }
    }
}
