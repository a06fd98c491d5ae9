//! Crypto-to-cash networks: an organiser sells crypto through an unlicensed exchange or a P2P
//! trader; the tenge lands on many drop cards (lent by real people or opened under made-up
//! identities), each emptied at the network's ATMs within hours, often in sums just under a
//! threshold; the drops' apps run on the organiser's few phones; one holder has more than ten
//! cards at one bank. Some networks also take cash in: large top-ups without an IIN, turned
//! into crypto the same day.
//!
//! Labels (group `con-N`): the organiser `cash_out_network` (party); every transaction of the
//! network `cash_out_network`; each drop card `drop_card` (account); each real holder `mule`
//! and each made-up one `fictitious_identity` (party).

use super::exchange::{Exchanger, Trader, Unlicensed};
use super::{Plant, Scheme};
use crate::background::{bio_of, round_to};
use crate::ids::{self, IdNum, NO_ID};
use crate::out::{Out, Tx};
use crate::rng::Rng;
use crate::rules::tenge;
use crate::vocab::{Bio, Channel, Cur, Group, GroupKind};
use crate::world::{World, DAY, NONE};
use finmon_model::{AccountKind, SubjectKind, TxKind, Typology};

struct Drop {
    card: u32,
    /// The holder's IIN as the bank has it (a made-up one for a fictitious holder).
    iin: IdNum,
    fake: bool,
    device: u32,
}

enum Source {
    /// The organiser's account at an unlicensed exchange.
    Exchange {
        account: u32,
    },
    Trader(Trader),
}

pub struct CashOut {
    group: Group,
    wallet: u32,
    source: Source,
    drops: Vec<Drop>,
    atms: Vec<u32>,
    city: u8,
    device: u32,
    ip: u32,
    d0: i32,
    d1: i32,
    per_day: f64,
    /// Payouts kept just under 500,000 KZT.
    under: bool,
    cash_in: bool,
    night: bool,
    next: usize,
    rng: Rng,
}

pub fn plant(
    w: &mut World,
    p: &mut Plant,
    k: usize,
    uex: &[Unlicensed],
    exchangers: &[Exchanger],
) -> CashOut {
    let group = p.group(GroupKind::CashOut);
    let organiser = p.person(w);
    let org = w.persons[organiser];
    let city = org.city;
    w.label(
        SubjectKind::Party,
        org.party,
        Typology::CashOutNetwork,
        group,
    );
    let wallet = w.open(
        AccountKind::Wallet,
        org.party,
        NONE,
        Cur::Usdt,
        p.rng.range(30, 700),
    );
    let source = if exchangers.is_empty() || p.rng.chance(0.6) {
        let u = &uex[k % uex.len()];
        let ago = p.rng.range(20, 300);
        let account = w.open(
            AccountKind::ExchangeAccount,
            org.party,
            u.inst,
            Cur::Usdt,
            ago,
        );
        Source::Exchange { account }
    } else {
        Source::Trader(exchangers[k % exchangers.len()].trader())
    };
    // The organiser's phones: the drops' banking apps run on them.
    let devices: Vec<u32> = (0..p.rng.range(1, 3)).map(|_| w.new_device()).collect();
    let phones: Vec<String> = (0..p.rng.range(1, 2))
        .map(|_| ids::phone(&mut p.rng))
        .collect();
    let holders = p.rng.lognormal(8.0, 0.6).clamp(3.0, 40.0) as usize;
    let fake_share = [0.0, 0.15, 0.3, 0.5][p.rng.index(4)];
    // The first network always has a holder with more than ten cards at one bank; about half
    // of the others too.
    let collector = (k == 0 || p.rng.chance(0.5)).then(|| p.rng.index(holders));
    let banks: Vec<u32> = (0..p.rng.range(2, 4)).map(|_| p.bank(w)).collect();
    let mut drops = Vec::new();
    for h in 0..holders {
        let fake = p.rng.chance(fake_share);
        let (party, device_own) = if fake {
            (p.fictitious_person(w, city), NONE)
        } else {
            let k = p.person_in(w, city);
            (w.persons[k].party, w.persons[k].device)
        };
        let typology = if fake {
            Typology::FictitiousIdentity
        } else {
            Typology::Mule
        };
        w.label(SubjectKind::Party, party, typology, group);
        if p.rng.chance(0.7) {
            super::phone(w, party, p.rng.pick(&phones).as_str());
        }
        let n_cards = if collector == Some(h) {
            p.rng.range(11, 15)
        } else {
            p.rng.range(1, 3)
        };
        let bank = *p.rng.pick(&banks);
        for _ in 0..n_cards {
            let b = if collector == Some(h) || p.rng.chance(0.6) {
                bank
            } else {
                *p.rng.pick(&banks)
            };
            let card = p.card(w, party, b);
            w.label(SubjectKind::Account, card, Typology::DropCard, group);
            let device = *p.rng.pick(&devices);
            if p.rng.chance(0.85) {
                super::device(w, card, device);
            }
            if device_own != NONE && p.rng.chance(0.5) {
                super::device(w, card, device_own);
            }
            drops.push(Drop {
                card,
                iin: w.parties[party as usize].id,
                fake,
                device,
            });
        }
    }
    p.rng.shuffle(&mut drops);
    let mut atms: Vec<u32> = w.city_atms[city as usize].clone();
    p.rng.shuffle(&mut atms);
    atms.truncate(p.rng.range(2, 5) as usize);
    let (d0, d1) = p.window(w, (20, 80));
    let len = f64::from(d1 - d0 + 1);
    // Enough payouts a day that every card is used within the first weeks.
    let per_day = (drops.len() as f64 / len.min(14.0) * 1.3).max(p.rng.range(2, 8) as f64);
    CashOut {
        group,
        wallet,
        source,
        drops,
        atms,
        city,
        device: devices[0],
        ip: w.persons[organiser].home_ip,
        d0,
        d1,
        per_day,
        under: p.rng.chance(0.5),
        cash_in: p.rng.chance(0.35),
        night: p.rng.chance(0.3),
        next: 0,
        rng: p.stream(),
    }
}

impl CashOut {
    fn lab(&self, t: Tx) -> Tx {
        t.label(Typology::CashOutNetwork, self.group)
    }

    /// Empties a card at the network's ATMs: one to three withdrawals in multiples of 5,000,
    /// leaving change of under 5,000 on it.
    fn cash_out(&mut self, w: &World, out: &mut Out, drop: usize, amount: i64, mut ts: i64) {
        let rng = &mut self.rng;
        let parts = if amount > tenge(300_000) {
            rng.range(1, 3)
        } else {
            1
        };
        let atm = *rng.pick(&self.atms);
        let d = &self.drops[drop];
        let mut left = amount;
        for i in 0..parts {
            let share = if i == parts - 1 {
                left
            } else {
                left / (parts - i) + rng.range(-20_000, 20_000) * 100
            };
            let cash = round_to(share as f64, 5000).min(left / 500_000 * 500_000);
            if cash <= 0 {
                break;
            }
            left -= cash;
            let bio = if d.fake {
                [Bio::Failed, Bio::NotChecked, Bio::Empty][rng.weighted(&[3, 5, 2])]
            } else if rng.chance(0.4) {
                Bio::NotChecked
            } else {
                bio_of(w, rng, d.card)
            };
            let at = if rng.chance(0.8) {
                atm
            } else {
                *rng.pick(&self.atms)
            };
            let t = Tx::new(ts, TxKind::CashWithdrawal, d.card, NONE, cash).atm(at, bio);
            let t = t.label(Typology::CashOutNetwork, self.group);
            out.push(w, t);
            ts += rng.range(40, 600);
        }
    }
}

impl Scheme for CashOut {
    fn day(&mut self, w: &World, d: i32, out: &mut Out) {
        if d < self.d0 || d > self.d1 || self.drops.is_empty() {
            return;
        }
        // Cards not paid yet when the network's last day comes are paid that day: every drop
        // card labelled is a card that was used.
        let unused = self.drops.len().saturating_sub(self.next);
        if d < self.d1 && self.rng.chance(0.12) {
            return; // a quiet day
        }
        let start = w.day_start(d);
        let mut n = self.rng.poisson(self.per_day).max(1) as usize;
        if d == self.d1 {
            n = n.max(unused);
        }
        let hour = if self.night {
            self.rng.range(0, 4)
        } else {
            self.rng.range(9, 13)
        };
        let mut ts = start + hour * 3600 + self.rng.range(0, 3599);
        let mut payouts = Vec::with_capacity(n);
        for _ in 0..n {
            let drop = self.next % self.drops.len();
            self.next += 1;
            let amount = if self.under {
                self.rng.range(420_000, 499_900) * 100
            } else {
                round_to(
                    self.rng.lognormal(180_000.0, 0.5).min(1_500_000.0) * 100.0,
                    1000,
                )
            };
            payouts.push((drop, amount));
        }
        let total: i64 = payouts.iter().map(|p| p.1).sum();
        // Crypto comes in from the organiser's wallet.
        let units = w.units_for(total / 100 * 103, Cur::Usdt, d);
        let to = match &self.source {
            Source::Exchange { account } => *account,
            Source::Trader(t) => t.wallet,
        };
        let t = Tx::new(ts, TxKind::CryptoTransfer, self.wallet, to, 0)
            .cur(Cur::Usdt, units, false)
            .ch(Channel::Chain);
        out.push(w, self.lab(t));
        ts += self.rng.range(600, 3600);
        for (drop, amount) in payouts {
            let card = self.drops[drop].card;
            let t = match &self.source {
                Source::Exchange { account } => {
                    let units = w.units_for(amount, Cur::Usdt, d);
                    Tx::new(ts, TxKind::CryptoSell, *account, card, 0)
                        .cur(Cur::Usdt, units, self.rng.chance(0.5))
                        .ch(Channel::Exchange)
                        .dev(self.device, self.ip)
                }
                Source::Trader(tr) => {
                    let from = *self.rng.pick(&tr.cards);
                    Tx::new(ts, TxKind::P2p, from, card, amount)
                }
            };
            let t = self.lab(t);
            out.push(w, t);
            let paid = if t.cur == Cur::Kzt {
                amount
            } else {
                crate::out::value(t.amount, t.cur, w.rate(t.cur, d))
            };
            let delay = self
                .rng
                .lognormal(1.5 * 3600.0, 0.8)
                .clamp(600.0, 10.0 * 3600.0) as i64;
            if self.rng.chance(0.12) && self.drops.len() > 1 {
                // Layering: the drop passes it on to another drop, who cashes it.
                let other = (drop + 1 + self.rng.index(self.drops.len() - 1)) % self.drops.len();
                let fwd = paid / 100 * 100 - self.rng.range(0, 20) * 100;
                let dev = self.drops[drop].device;
                let t = Tx::new(
                    ts + delay / 2,
                    TxKind::P2p,
                    card,
                    self.drops[other].card,
                    fwd,
                )
                .dev(dev, self.ip);
                out.push(w, t.label(Typology::CashOutNetwork, self.group));
                self.cash_out(w, out, other, fwd, ts + delay);
            } else {
                self.cash_out(w, out, drop, paid, ts + delay);
            }
            ts += self.rng.range(120, 1500);
        }
        // Real holders now and then use a drop card as their own: a purchase in town.
        for _ in 0..self.rng.poisson(self.drops.len() as f64 * 0.03) {
            let dr = &self.drops[self.rng.index(self.drops.len())];
            let shops = &w.city_merchants[self.city as usize];
            if dr.fake || shops.is_empty() {
                continue;
            }
            let shop = w.companies[shops[self.rng.skewed(shops.len(), 2.0)] as usize].account;
            let amount = round_to(self.rng.lognormal(4_000.0, 0.9) * 100.0, 1);
            let at = crate::background::daytime(&mut self.rng, start);
            out.push(
                w,
                Tx::new(at, TxKind::Transfer, dr.card, shop, amount).ch(Channel::Pos),
            );
        }
        if self.cash_in && self.rng.chance(0.3) {
            // Cash in: a large top-up without an IIN (or with the made-up one), bought into crypto.
            let drop = self.rng.index(self.drops.len());
            let dr = &self.drops[drop];
            let amount = round_to(self.rng.range(510_000, 950_000) as f64 * 100.0, 1000);
            let iin = if dr.fake && self.rng.chance(0.5) {
                dr.iin
            } else {
                NO_ID
            };
            let at = start + self.rng.range(10, 19) * 3600;
            let t = Tx::new(at, TxKind::CardTopup, NONE, dr.card, amount)
                .iin(iin)
                .ch(Channel::Terminal);
            out.push(w, t.label(Typology::CashOutNetwork, self.group));
            let later = at + self.rng.range(600, 3 * 3600);
            let t = match &self.source {
                Source::Exchange { account } => {
                    Tx::new(later, TxKind::CryptoBuy, dr.card, *account, amount)
                        .ch(Channel::App)
                        .dev(dr.device, self.ip)
                }
                Source::Trader(tr) => Tx::new(later, TxKind::P2p, dr.card, tr.cards[0], amount)
                    .dev(dr.device, self.ip),
            };
            out.push(w, self.lab(t));
        }
        let _ = DAY;
    }
}
