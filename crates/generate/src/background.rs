//! The lawful economy, one day at a time: purchases, transfers between people, bills, salaries
//! and pensions, taxes, invoices between firms, imports, cash at ATMs and branches, top-ups,
//! crypto trading at licensed exchanges, lottery winnings, pawn loans. Much of it looks like
//! laundering on purpose — merchants gather from thousands, payrolls fan out, households share a
//! device, suppliers pay in circles, people top up large sums with their IIN — so that a
//! detector must tell the shape from the scheme.

use crate::out::{Out, Tx};
use crate::rng::Rng;
use crate::vocab::{Bio, Channel, Cur, Ref};
use crate::world::{
    Person, Sector, World, DAY, F_CRYPTO, F_HEAVY_TRADER, F_PENSIONER, F_SELLER, NONE,
};
use finmon_model::{Date, TxKind};

/// When in the day people act: hour weights (local time).
const DAYTIME: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 5, 12, 22, 30, 34, 36, 40, 38, 36, 36, 38, 42, 46, 44, 36, 24, 12, 5,
];
/// When firms pay: office hours.
const OFFICE: [u32; 24] = [
    0, 0, 0, 0, 0, 0, 0, 1, 8, 20, 30, 30, 22, 20, 28, 30, 26, 18, 6, 1, 0, 0, 0, 0,
];

/// A time of day drawn from hour weights: UTC seconds within day `start`.
pub fn time_in(rng: &mut Rng, start: i64, hours: &[u32; 24]) -> i64 {
    let h = rng.weighted(hours) as i64;
    start + h * 3600 + rng.below(3600) as i64
}

pub fn daytime(rng: &mut Rng, start: i64) -> i64 {
    time_in(rng, start, &DAYTIME)
}

pub fn office(rng: &mut Rng, start: i64) -> i64 {
    time_in(rng, start, &OFFICE)
}

/// Rounds tiyn down to a multiple of `tenge` tenge (at least one multiple).
pub fn round_to(tiyn: f64, tenge: i64) -> i64 {
    let step = tenge * 100;
    ((tiyn as i64) / step).max(1) * step
}

/// A biometric result drawn from a bank's policy.
pub fn bio_of(w: &World, rng: &mut Rng, account: u32) -> Bio {
    let inst = w.accounts[account as usize].inst;
    let weights = if inst == NONE {
        [1, 0, 0, 0]
    } else {
        w.institutions[inst as usize].policy.bio
    };
    [Bio::Verified, Bio::Failed, Bio::NotChecked, Bio::Empty][rng.weighted(&weights)]
}

/// Calendar facts of a day.
pub struct Cal {
    pub start: i64,
    pub dom: u32,
    pub month: u32,
    pub year: i32,
    pub last_dom: u32,
    pub weekend: bool,
}

impl Cal {
    pub fn of(w: &World, d: i32) -> Cal {
        let date = Date(w.start + d);
        let (year, month, dom) = date.ymd();
        // 1970-01-01 was a Thursday: day 0 mod 7 = Thursday; 2 and 3 are Saturday and Sunday.
        let wd = (date.0 + 3).rem_euclid(7); // 0 = Monday
        Cal {
            start: w.day_start(d),
            dom,
            month,
            year,
            last_dom: finmon_model::time::days_in_month(year, month),
            weekend: wd >= 5,
        }
    }

    /// Whether a monthly date `day` (clamped to the month's length) falls today.
    pub fn is(&self, day: u8) -> bool {
        u32::from(day).min(self.last_dom) == self.dom
    }

    pub fn ym(&self) -> (u8, u16) {
        (self.month as u8, self.year as u16)
    }
}

/// The person-level event kinds and their daily rates per unit of activity.
#[derive(Clone, Copy)]
enum Ev {
    Purchase,
    P2p,
    Atm,
    Branch,
    Deposit,
    Topup,
    BigTopup,
}

const EVENTS: [(Ev, f64); 7] = [
    (Ev::Purchase, 0.72),
    (Ev::P2p, 0.2),
    (Ev::Atm, 0.05),
    (Ev::Branch, 0.002),
    (Ev::Deposit, 0.006),
    (Ev::Topup, 0.012),
    (Ev::BigTopup, 0.0006),
];

pub fn day(w: &World, d: i32, rng: &mut Rng, out: &mut Out) {
    let cal = Cal::of(w, d);
    let total: f64 = EVENTS.iter().map(|e| e.1).sum();
    let weekend = if cal.weekend { 1.15 } else { 1.0 };
    for k in 0..w.persons.len() {
        let p = &w.persons[k];
        let n = rng.poisson(total * f64::from(p.activity) * weekend);
        for _ in 0..n {
            let mut x = rng.f64() * total;
            let mut ev = Ev::Purchase;
            for &(e, r) in &EVENTS {
                if x < r {
                    ev = e;
                    break;
                }
                x -= r;
            }
            person_event(w, p, ev, &cal, rng, out);
        }
        if p.flags & F_CRYPTO != 0 {
            crypto(w, p, &cal, rng, out);
        }
        if p.flags & F_SELLER != 0 {
            seller(w, k, &cal, rng, out);
        }
        if cal.is(p.bill_day) {
            for _ in 0..rng.range(1, 3) {
                let u = w.companies[*rng.pick(&w.utilities) as usize].account;
                let amount = round_to(rng.lognormal(9_000.0, 0.6) * 100.0, 1);
                let (m, y) = cal.ym();
                let r = if rng.chance(0.5) {
                    Ref::Utility { month: m, year: y }
                } else {
                    Ref::Mobile
                };
                let t = Tx::new(
                    daytime(rng, cal.start),
                    TxKind::InvoicePayment,
                    p.main_card,
                    u,
                    amount,
                )
                .r(r)
                .dev(p.device, p.home_ip);
                out.push(w, t);
            }
        }
        if p.flags & F_PENSIONER != 0 && cal.is(22) {
            let t = Tx::new(
                office(rng, cal.start),
                TxKind::Transfer,
                w.companies[w.pension_fund as usize].account,
                p.main_card,
                p.income,
            )
            .r(Ref::Pension)
            .ch(Channel::Online);
            out.push(w, t);
        }
    }
    for c in 0..w.companies.len() {
        company(w, c, &cal, rng, out);
    }
    special(w, &cal, rng, out);
}

fn card(w: &World, p: &Person, rng: &mut Rng) -> u32 {
    if p.n_cards == 0 || rng.chance(0.75) {
        p.main_card
    } else {
        w.card_of(p, 1 + rng.index(usize::from(p.n_cards)))
    }
}

fn person_event(w: &World, p: &Person, ev: Ev, cal: &Cal, rng: &mut Rng, out: &mut Out) {
    let ts = daytime(rng, cal.start);
    let from = card(w, p, rng);
    let t = match ev {
        Ev::Purchase => {
            let shops = &w.city_merchants[p.city as usize];
            if shops.is_empty() {
                return;
            }
            let shop = w.companies[shops[rng.skewed(shops.len(), 2.2)] as usize].account;
            let amount = round_to(rng.lognormal(3_500.0, 0.95) * 100.0, 1);
            let t = Tx::new(ts, TxKind::Transfer, from, shop, amount);
            if rng.chance(0.2) {
                t.ch(Channel::Online).dev(p.device, p.home_ip)
            } else {
                t.ch(Channel::Pos)
            }
        }
        Ev::P2p => {
            let contacts = w.contacts_of(p);
            if contacts.is_empty() {
                return;
            }
            let to = w.persons[*rng.pick(contacts) as usize].main_card;
            let step = if rng.chance(0.7) { 100 } else { 1 };
            let amount = round_to(rng.lognormal(7_000.0, 1.0) * 100.0, step);
            let r = if rng.chance(0.08) {
                Ref::Gift {
                    ru: rng.chance(0.6),
                }
            } else {
                Ref::None
            };
            Tx::new(ts, TxKind::P2p, from, to, amount)
                .r(r)
                .dev(p.device, p.home_ip)
        }
        Ev::Atm => {
            let atms = &w.city_atms[p.city as usize];
            let atm = *rng.pick(atms);
            let amount = round_to(rng.lognormal(25_000.0, 0.8).min(490_000.0) * 100.0, 1000);
            Tx::new(ts, TxKind::CashWithdrawal, from, NONE, amount).atm(atm, bio_of(w, rng, from))
        }
        Ev::Branch => {
            let amount = round_to(rng.lognormal(250_000.0, 0.8) * 100.0, 1000);
            let bio = if rng.chance(0.97) {
                Bio::Verified
            } else {
                Bio::NotChecked
            };
            Tx::new(ts, TxKind::CashWithdrawal, from, NONE, amount)
                .bio(bio)
                .ch(Channel::Branch)
        }
        Ev::Deposit => {
            let atm = *rng.pick(&w.city_atms[p.city as usize]);
            let amount = round_to(rng.lognormal(40_000.0, 0.9) * 100.0, 1000);
            Tx::new(ts, TxKind::CashDeposit, NONE, from, amount).atm(atm, Bio::Empty)
        }
        Ev::Topup => {
            let amount = round_to(rng.lognormal(20_000.0, 0.9).min(480_000.0) * 100.0, 100);
            Tx::new(ts, TxKind::CardTopup, NONE, from, amount).ch(Channel::Terminal)
        }
        Ev::BigTopup => {
            // Savings for a car or a flat put on a card: lawful, and identified by the IIN.
            let own = w.parties[p.party as usize].id;
            let (amount, iin) = match rng.below(100) {
                0..=3 => (crate::rules::TOPUP_IIN_ABOVE, crate::ids::NO_ID), // exactly at the line: no IIN needed
                4..=6 => (
                    round_to(rng.range(520_000, 2_500_000) as f64 * 100.0, 1000),
                    crate::ids::NO_ID,
                ),
                7 => (
                    round_to(rng.range(520_000, 2_500_000) as f64 * 100.0, 1000),
                    own / 10 * 10 + (own % 10 + 1) % 10,
                ),
                // Once in a while just under it, for a lawful reason: not structuring.
                8..=13 => (
                    round_to(rng.range(440_000, 499_999) as f64 * 100.0, 1),
                    crate::ids::NO_ID,
                ),
                _ => (
                    round_to(rng.lognormal(900_000.0, 0.5).max(510_000.0) * 100.0, 1000),
                    own,
                ),
            };
            let ch = if rng.chance(0.5) {
                Channel::Branch
            } else {
                Channel::Terminal
            };
            Tx::new(ts, TxKind::CardTopup, NONE, from, amount)
                .iin(iin)
                .ch(ch)
                .r(if rng.chance(0.3) {
                    Ref::Car
                } else {
                    Ref::Savings
                })
        }
    };
    out.push(w, t);
}

fn crypto(w: &World, p: &Person, cal: &Cal, rng: &mut Rng, out: &mut Out) {
    let heavy = p.flags & F_HEAVY_TRADER != 0;
    let scale = if heavy { 12.0 } else { 1.0 };
    let d = w.day_of(cal.start);
    let rate = if heavy { 0.4 } else { 0.05 };
    for _ in 0..rng.poisson(rate) {
        let ts = daytime(rng, cal.start);
        let amount = round_to(rng.lognormal(40_000.0 * scale, 1.0) * 100.0, 100);
        let t = Tx::new(ts, TxKind::CryptoBuy, p.main_card, p.exchange, amount)
            .ch(Channel::App)
            .dev(p.device, p.home_ip);
        out.push(w, t);
    }
    for _ in 0..rng.poisson(rate * 0.6) {
        let ts = daytime(rng, cal.start);
        let kzt = rng.lognormal(50_000.0 * scale, 1.0) * 100.0;
        let units = w.units_for(kzt as i64, Cur::Usdt, d);
        let t = Tx::new(ts, TxKind::CryptoSell, p.exchange, p.main_card, 0)
            .cur(Cur::Usdt, units, rng.chance(0.5))
            .ch(Channel::Exchange)
            .dev(p.device, p.home_ip);
        out.push(w, t);
    }
    if p.wallet != NONE && rng.chance(0.01 * scale) {
        let units = w.units_for(
            (rng.lognormal(60_000.0 * scale, 0.8) * 100.0) as i64,
            Cur::Usdt,
            d,
        );
        let t = Tx::new(
            daytime(rng, cal.start),
            TxKind::CryptoTransfer,
            p.exchange,
            p.wallet,
            0,
        )
        .cur(Cur::Usdt, units, false)
        .ch(Channel::Chain);
        out.push(w, t);
    }
}

/// Someone who sells on Instagram and is paid by strangers: many unrelated senders, no crypto.
fn seller(w: &World, k: usize, cal: &Cal, rng: &mut Rng, out: &mut Out) {
    let me = w.persons[k].main_card;
    for _ in 0..rng.poisson(2.5) {
        let buyer = &w.persons[rng.index(w.persons.len())];
        let amount = round_to(rng.lognormal(12_000.0, 0.7) * 100.0, 100);
        let t = Tx::new(
            daytime(rng, cal.start),
            TxKind::P2p,
            buyer.main_card,
            me,
            amount,
        )
        .dev(buyer.device, buyer.home_ip);
        out.push(w, t);
    }
}

fn company(w: &World, c: usize, cal: &Cal, rng: &mut Rng, out: &mut Out) {
    let co = &w.companies[c];
    if matches!(
        co.sector,
        Sector::Shell | Sector::ForeignSupplier | Sector::OffshorePartner
    ) {
        return;
    }
    let (m, y) = cal.ym();
    // Payroll: the whole staff in one batch, seconds apart.
    if co.n_emp > 0 && cal.is(co.payday) {
        let mut ts = office(rng, cal.start);
        let ru = rng.chance(0.7);
        for &e in w.employees_of(co) {
            let p = &w.persons[e as usize];
            let jitter = 1.0 + rng.normal() * 0.01;
            let amount = round_to(p.income as f64 * jitter, 1);
            out.push(
                w,
                Tx::new(ts, TxKind::Salary, co.account, p.main_card, amount)
                    .r(Ref::Salary {
                        month: m,
                        year: y,
                        ru,
                    })
                    .ch(Channel::Online),
            );
            if rng.chance(0.15) {
                // Payday cash: much of the salary out at an ATM within hours, the way a drop
                // empties a card, and entirely lawful.
                let atm = *rng.pick(&w.city_atms[p.city as usize]);
                let cash = round_to(amount as f64 * rng.range(30, 95) as f64 / 100.0, 5000)
                    .min(amount / 500_000 * 500_000);
                if cash > 0 {
                    let at = ts + rng.range(1800, 8 * 3600);
                    let t = Tx::new(at, TxKind::CashWithdrawal, p.main_card, NONE, cash)
                        .atm(atm, bio_of(w, rng, p.main_card));
                    out.push(w, t);
                }
            }
            ts += rng.range(1, 4);
        }
    }
    if cal.is(25) && co.sector != Sector::Treasury {
        let payroll: i64 = w
            .employees_of(co)
            .iter()
            .map(|&e| w.persons[e as usize].income)
            .sum();
        let amount = round_to(
            payroll as f64 * 0.21 + f64::from(co.size) * rng.lognormal(60_000.0, 0.5) * 100.0,
            1,
        );
        let t = Tx::new(
            office(rng, cal.start),
            TxKind::Tax,
            co.account,
            w.companies[w.treasury as usize].account,
            amount,
        )
        .r(Ref::Tax {
            month: m,
            year: y,
            ru: rng.chance(0.8),
        })
        .ch(Channel::Online);
        out.push(w, t);
    }
    if cal.weekend {
        return;
    }
    let size = f64::from(co.size);
    let sups = w.suppliers_of(co);
    if !sups.is_empty() {
        for _ in 0..rng.poisson((0.12 + size * 0.12).min(6.0)) {
            let s = w.companies[*rng.pick(sups) as usize].account;
            let amount = round_to(rng.lognormal(450_000.0 * size.sqrt(), 0.9) * 100.0, 1)
                + rng.below(100) as i64;
            let from = if co.account2 != NONE && rng.chance(0.3) {
                co.account2
            } else {
                co.account
            };
            let t = Tx::new(
                office(rng, cal.start),
                TxKind::InvoicePayment,
                from,
                s,
                amount,
            )
            .r(Ref::Invoice {
                n: rng.range(100, 99_999) as u32,
                ru: rng.chance(0.7),
            })
            .ch(Channel::Online);
            out.push(w, t);
        }
    }
    let d = w.day_of(cal.start);
    if co.foreign_supplier != NONE && cal.dom == 10 {
        let to = w.companies[co.foreign_supplier as usize].account;
        let cur = w.accounts[to as usize].cur;
        let units = w.units_for((rng.lognormal(6_000_000.0, 0.8) * 100.0) as i64, cur, d);
        let t = Tx::new(
            office(rng, cal.start),
            TxKind::InvoicePayment,
            co.account,
            to,
            0,
        )
        .cur(cur, units / 100 * 100, rng.chance(0.5))
        .r(Ref::Invoice {
            n: rng.range(1, 9_999) as u32,
            ru: false,
        })
        .ch(Channel::Online);
        out.push(w, t);
    }
    if co.offshore_partner != NONE && cal.dom == 15 {
        // Lawful payments to an offshore partner: reportable at 5M KZT and above.
        let to = w.companies[co.offshore_partner as usize].account;
        let units = w.units_for(
            (rng.lognormal(4_500_000.0, 0.5) * 100.0) as i64,
            Cur::Usd,
            d,
        );
        let t = Tx::new(office(rng, cal.start), TxKind::Transfer, co.account, to, 0)
            .cur(Cur::Usd, units / 100 * 100, rng.chance(0.5))
            .r(Ref::Consulting(rng.range(1, 999) as u32))
            .ch(Channel::Online);
        out.push(w, t);
    }
    if co.sector.is_merchant() {
        // The day's takings paid in: the same account, most days, similar sums.
        for _ in 0..rng.poisson(if co.sector == Sector::Stall {
            0.5
        } else {
            0.4 * size.min(5.0)
        }) {
            let amount = round_to(rng.lognormal(150_000.0 * size.sqrt(), 0.6) * 100.0, 1000);
            let ts = time_in(rng, cal.start, &OFFICE) + 6 * 3600;
            let t = if rng.chance(0.3) {
                let atm = *rng.pick(&w.city_atms[co.city as usize]);
                Tx::new(ts, TxKind::CashDeposit, NONE, co.account, amount).atm(atm, Bio::Empty)
            } else {
                Tx::new(ts, TxKind::CashDeposit, NONE, co.account, amount).ch(Channel::Branch)
            };
            out.push(w, t);
        }
    }
    if rng.chance(0.04 * size.min(5.0)) {
        let amount = round_to(rng.lognormal(400_000.0, 0.8) * 100.0, 1000);
        let bio = if rng.chance(0.95) {
            Bio::Verified
        } else {
            Bio::NotChecked
        };
        out.push(
            w,
            Tx::new(
                office(rng, cal.start),
                TxKind::CashWithdrawal,
                co.account,
                NONE,
                amount,
            )
            .bio(bio)
            .ch(Channel::Branch),
        );
    }
}

/// The lottery, pawnshops and the antique dealer: ordinary business with occasional operations
/// the AFM must be told about.
fn special(w: &World, cal: &Cal, rng: &mut Rng, out: &mut Out) {
    let scale = (w.persons.len() as f64 / 10_000.0).max(0.1);
    let person = |rng: &mut Rng| &w.persons[rng.index(w.persons.len())];
    let lottery = w.companies[w.lottery as usize].account;
    for _ in 0..rng.poisson(0.8 * scale) {
        let amount = match rng.below(100) {
            0..=84 => round_to(rng.lognormal(20_000.0, 1.0) * 100.0, 100),
            85..=96 => round_to(rng.range(100_000, 999_999) as f64 * 100.0, 100),
            _ => round_to(
                rng.lognormal(2_500_000.0, 0.8).max(1_000_000.0) * 100.0,
                1000,
            ),
        };
        let to = person(rng).main_card;
        out.push(
            w,
            Tx::new(
                office(rng, cal.start),
                TxKind::Transfer,
                lottery,
                to,
                amount,
            )
            .r(Ref::Winnings {
                ru: rng.chance(0.5),
            })
            .ch(Channel::Online),
        );
    }
    for &ps in &w.pawnshops {
        let acc = w.companies[ps as usize].account;
        for _ in 0..rng.poisson(1.0 * scale / w.pawnshops.len() as f64) {
            let amount = if rng.chance(0.03) {
                round_to(rng.range(3_000_000, 9_000_000) as f64 * 100.0, 1000)
            } else {
                round_to(rng.lognormal(150_000.0, 1.0).min(2_900_000.0) * 100.0, 1000)
            };
            let to = person(rng).main_card;
            out.push(
                w,
                Tx::new(office(rng, cal.start), TxKind::Transfer, acc, to, amount)
                    .r(Ref::PawnLoan {
                        n: rng.range(1, 99_999) as u32,
                        ru: rng.chance(0.6),
                    })
                    .ch(Channel::Online),
            );
        }
    }
    if !cal.weekend && rng.chance(0.06 * scale.min(3.0)) {
        let acc = w.companies[w.antiques as usize].account;
        let amount = if rng.chance(0.6) {
            round_to(
                rng.lognormal(2_000_000.0, 0.7).max(1_000_000.0) * 100.0,
                1000,
            )
        } else {
            round_to(rng.range(200_000, 990_000) as f64 * 100.0, 1000)
        };
        out.push(
            w,
            Tx::new(
                office(rng, cal.start),
                TxKind::CashDeposit,
                NONE,
                acc,
                amount,
            )
            .r(Ref::AntiqueSale {
                ru: rng.chance(0.5),
            })
            .ch(Channel::Branch),
        );
    }
    let _ = DAY;
}
