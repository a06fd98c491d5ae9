//! Rule breaches planted on purpose, so that even a small world has each one, beside its near
//! miss: gambling winnings, pawnshop loans, cash sales of cultural property and payments to
//! offshore accounts at and just under their reporting lines; card top-ups above 500,000 KZT
//! without an IIN, or with a mistyped one, and top-ups of exactly 500,000.
//!
//! Labels come from the rules (`crate::rules`), as for every other transaction: these carry no
//! group, as a lone breach has none.

use super::{Plant, Scheme};
use crate::background::office;
use crate::ids::NO_ID;
use crate::out::{Out, Tx};
use crate::rng::Rng;
use crate::rules::{
    tenge, CULTURAL_CASH_MIN, GAMBLING_MIN, OFFSHORE_MIN, PAWNSHOP_MIN, TOPUP_IIN_ABOVE,
};
use crate::vocab::{Channel, Cur, Ref};
use crate::world::{Sector, World, NONE};
use finmon_model::TxKind;

pub struct Breaches {
    /// (day, what, over the line?)
    plan: Vec<(i32, u8, bool)>,
    rng: Rng,
}

const KINDS: u8 = 6;

pub fn plant(w: &World, p: &mut Plant) -> Breaches {
    let n = (w.persons.len() / 2_500).max(3) * KINDS as usize;
    let mut plan: Vec<(i32, u8, bool)> = (0..n)
        .map(|i| {
            let d = p.rng.range(0, i64::from(w.days()) - 1) as i32;
            (d, (i % KINDS as usize) as u8, p.rng.chance(0.7))
        })
        .collect();
    plan.sort_unstable();
    Breaches {
        plan,
        rng: p.stream(),
    }
}

impl Scheme for Breaches {
    fn day(&mut self, w: &World, d: i32, out: &mut Out) {
        let start = w.day_start(d);
        let today: Vec<(u8, bool)> = self
            .plan
            .iter()
            .filter(|x| x.0 == d)
            .map(|x| (x.1, x.2))
            .collect();
        for (what, over) in today {
            let rng = &mut self.rng;
            let person = w.persons[rng.index(w.persons.len())];
            // Over the line, or just under it.
            let near = |rng: &mut Rng, line: i64| {
                if over {
                    line + tenge(rng.range(0, line / 100 / 2) / 1000 * 1000)
                } else {
                    line - tenge(rng.range(1, 50) * 1000)
                }
            };
            let ts = office(rng, start);
            let company = |s: Sector| {
                w.companies
                    .iter()
                    .find(|c| c.sector == s)
                    .map(|c| c.account)
            };
            let t = match what {
                0 => Tx::new(
                    ts,
                    TxKind::Transfer,
                    w.companies[w.lottery as usize].account,
                    person.main_card,
                    near(rng, GAMBLING_MIN),
                )
                .r(Ref::Winnings {
                    ru: rng.chance(0.5),
                }),
                1 => {
                    let shop = w.companies[*rng.pick(&w.pawnshops) as usize].account;
                    Tx::new(
                        ts,
                        TxKind::Transfer,
                        shop,
                        person.main_card,
                        near(rng, PAWNSHOP_MIN),
                    )
                    .r(Ref::PawnLoan {
                        n: rng.range(1, 9_999) as u32,
                        ru: rng.chance(0.5),
                    })
                }
                2 => Tx::new(
                    ts,
                    TxKind::CashDeposit,
                    NONE,
                    w.companies[w.antiques as usize].account,
                    near(rng, CULTURAL_CASH_MIN),
                )
                .r(Ref::AntiqueSale {
                    ru: rng.chance(0.5),
                })
                .ch(Channel::Branch),
                3 => {
                    let Some(to) = company(Sector::OffshorePartner) else {
                        continue;
                    };
                    let from = w.companies[rng.index(w.companies.len())].account;
                    if w.accounts[from as usize].offshore
                        || w.accounts[from as usize].cur != Cur::Kzt
                    {
                        continue;
                    }
                    // A little over the line in dollars, or a little under it.
                    let kzt = if over {
                        OFFSHORE_MIN + tenge(rng.range(50_000, 2_000_000))
                    } else {
                        OFFSHORE_MIN - tenge(rng.range(50_000, 400_000))
                    };
                    let units = w.units_for(kzt, Cur::Usd, d);
                    Tx::new(ts, TxKind::Transfer, from, to, 0)
                        .cur(Cur::Usd, units, rng.chance(0.5))
                        .r(Ref::Consulting(rng.range(1, 999) as u32))
                        .ch(Channel::Online)
                }
                4 => {
                    // No IIN above the line, or exactly at it (lawful).
                    let amount = if over {
                        near(rng, TOPUP_IIN_ABOVE) + tenge(1000)
                    } else {
                        TOPUP_IIN_ABOVE
                    };
                    Tx::new(ts, TxKind::CardTopup, NONE, person.main_card, amount)
                        .ch(Channel::Terminal)
                }
                _ => {
                    // A mistyped IIN above the line, or the right one (lawful).
                    let own = w.parties[person.party as usize].id;
                    let iin = if over && own != NO_ID {
                        own / 10 * 10 + (own % 10 + 1 + rng.below(9)) % 10
                    } else {
                        own
                    };
                    let amount = TOPUP_IIN_ABOVE + tenge(rng.range(1, 900) * 1000);
                    Tx::new(ts, TxKind::CardTopup, NONE, person.main_card, amount)
                        .iin(iin)
                        .ch(Channel::Branch)
                }
            };
            out.push(w, t);
        }
    }
}
