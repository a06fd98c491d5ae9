//! Unlicensed exchanges (a VASP with no AIFC licence, or a revoked one, serving clients in
//! Kazakhstan) and individual exchangers (a person acting as an exchange: many counterparties,
//! tenge in and crypto out or the reverse, high turnover).
//!
//! Labels: the institution `unlicensed_exchange` (group `uex-N`); the person `exchanger`
//! (group `exch-N`). The deals themselves are not labelled: what is unlawful is the business,
//! and a detector names the exchange or the person running it.

use super::{Plant, Scheme};
use crate::background::{daytime, round_to};
use crate::out::{Out, Tx};
use crate::rng::Rng;
use crate::vocab::{Channel, Cur, GroupKind, Ref};
use crate::world::{Institution, Policy, World, NONE};
use finmon_model::{AccountKind, InstitutionKind, License, SubjectKind, TxKind, Typology};

const NAMES: &[&str] = &[
    "Obmen24",
    "CryptoKassa",
    "Bystryi Obmen",
    "Tenge Crypto Swap",
    "QuickCoin KZ",
    "USDT Almaty",
    "CoinCash",
    "Kripto Punkt",
];

/// An unlicensed exchange and the people who trade there (besides the networks that use it).
pub struct Unlicensed {
    pub inst: u32,
    /// The clients: (person, card, exchange account).
    clients: Vec<(u32, u32, u32)>,
    rng: Rng,
}

pub fn plant_unlicensed(w: &mut World, p: &mut Plant, n: usize) -> Vec<Unlicensed> {
    let mut out = Vec::new();
    for k in 0..n {
        let group = p.group(GroupKind::Unlicensed);
        let revoked = p.rng.chance(0.3);
        let inst = w.add_institution(Institution {
            key: format!("UEX{}", k + 1),
            kind: InstitutionKind::Vasp,
            name: NAMES[k % NAMES.len()].to_string(),
            country: if p.rng.chance(0.7) { "KZ" } else { "SC" },
            bin: crate::ids::NO_ID,
            license: if revoked {
                License::Revoked
            } else {
                License::None
            },
            bank_linked: Some(false),
            bank_code: 0,
            weight: 0,
            policy: Policy {
                bio: [1, 0, 0, 0],
                video_days: 365,
                no_video: 0,
            },
            unlicensed: group,
        });
        w.label(
            SubjectKind::Institution,
            inst,
            Typology::UnlicensedExchange,
            group,
        );
        let mut clients = Vec::new();
        let n_clients =
            ((w.persons.len() as f64 * p.rng.range(2, 6) as f64 / 1000.0) as usize).max(5);
        for _ in 0..n_clients {
            let k = p.rng.index(w.persons.len());
            let person = w.persons[k];
            let ago = p.rng.range(10, 400);
            let x = w.open(
                AccountKind::ExchangeAccount,
                person.party,
                inst,
                Cur::Usdt,
                ago,
            );
            clients.push((k as u32, person.main_card, x));
        }
        out.push(Unlicensed {
            inst,
            clients,
            rng: p.stream(),
        });
    }
    out
}

impl Scheme for Unlicensed {
    fn day(&mut self, w: &World, d: i32, out: &mut Out) {
        let start = w.day_start(d);
        let rng = &mut self.rng;
        for _ in 0..rng.poisson(self.clients.len() as f64 * 0.04) {
            let &(k, card, x) = rng.pick(&self.clients);
            let person = &w.persons[k as usize];
            let kzt = round_to(rng.lognormal(60_000.0, 1.0) * 100.0, 100);
            let t = if rng.chance(0.6) {
                Tx::new(daytime(rng, start), TxKind::CryptoBuy, card, x, kzt).ch(Channel::App)
            } else {
                let units = w.units_for(kzt, Cur::Usdt, d);
                Tx::new(daytime(rng, start), TxKind::CryptoSell, x, card, 0)
                    .cur(Cur::Usdt, units, rng.chance(0.5))
                    .ch(Channel::Exchange)
            };
            out.push(w, t.dev(person.device, person.home_ip));
        }
    }
}

/// A person acting as an exchange.
pub struct Exchanger {
    pub cards: Vec<u32>,
    pub wallet: u32,
    exchange: u32,
    device: u32,
    ip: u32,
    /// Clients: (card, own wallet).
    clients: Vec<(u32, u32)>,
    deals: f64,
    d0: i32,
    d1: i32,
    rng: Rng,
}

pub fn plant_exchangers(w: &mut World, p: &mut Plant, n: usize) -> Vec<Exchanger> {
    let mut out = Vec::new();
    for _ in 0..n {
        let group = p.group(GroupKind::Exchanger);
        let k = p.person(w);
        let me = w.persons[k];
        w.label(SubjectKind::Party, me.party, Typology::Exchanger, group);
        let mut cards = Vec::new();
        for _ in 0..p.rng.range(2, 5) {
            let bank = p.bank(w);
            let c = p.card(w, me.party, bank);
            super::device(w, c, me.device);
            cards.push(c);
        }
        let wallet = w.open(
            AccountKind::Wallet,
            me.party,
            NONE,
            Cur::Usdt,
            p.rng.range(30, 600),
        );
        let vasp = if p.rng.chance(0.5) {
            *p.rng.pick(&w.vasps_foreign)
        } else {
            *p.rng.pick(&w.vasps_licensed)
        };
        let exchange = w.open(
            AccountKind::ExchangeAccount,
            me.party,
            vasp,
            Cur::Usdt,
            p.rng.range(60, 900),
        );
        let mut clients = Vec::new();
        for _ in 0..p.rng.range(15, 120) {
            let c = w.persons[p.rng.index(w.persons.len())];
            let wal = w.open(
                AccountKind::Wallet,
                c.party,
                NONE,
                Cur::Usdt,
                p.rng.range(1, 400),
            );
            clients.push((c.main_card, wal));
        }
        let (d0, d1) = p.window(w, (40, 400));
        out.push(Exchanger {
            cards,
            wallet,
            exchange,
            device: me.device,
            ip: me.home_ip,
            clients,
            deals: p.rng.range(2, 9) as f64,
            d0,
            d1,
            rng: p.stream(),
        });
    }
    out
}

impl Scheme for Exchanger {
    fn day(&mut self, w: &World, d: i32, out: &mut Out) {
        if d < self.d0 || d > self.d1 {
            return;
        }
        let start = w.day_start(d);
        let rng = &mut self.rng;
        let mut bought = 0i64;
        for _ in 0..rng.poisson(self.deals) {
            let &(client, wallet) = rng.pick(&self.clients);
            let card = *rng.pick(&self.cards);
            let kzt = round_to(rng.lognormal(180_000.0, 0.9).min(6_000_000.0) * 100.0, 1000);
            let ts = daytime(rng, start);
            let later = ts + rng.range(300, 3 * 3600);
            let spread = if rng.chance(0.5) { 0.985 } else { 0.975 };
            let units = w.units_for((kzt as f64 * spread) as i64, Cur::Usdt, d);
            if rng.chance(0.6) {
                // Tenge in, USDT out.
                let r = if rng.chance(0.15) {
                    Ref::Exchange
                } else {
                    Ref::None
                };
                out.push(w, Tx::new(ts, TxKind::P2p, client, card, kzt).r(r));
                let t = Tx::new(later, TxKind::CryptoTransfer, self.wallet, wallet, 0)
                    .cur(Cur::Usdt, units / 100 * 100, false)
                    .ch(Channel::Chain);
                out.push(w, t);
                bought += kzt;
            } else {
                // USDT in, tenge out.
                let t = Tx::new(ts, TxKind::CryptoTransfer, wallet, self.wallet, 0)
                    .cur(Cur::Usdt, units / 100 * 100, false)
                    .ch(Channel::Chain);
                out.push(w, t);
                let pay = Tx::new(
                    later,
                    TxKind::P2p,
                    card,
                    client,
                    (kzt as f64 * spread) as i64 / 100 * 100,
                )
                .dev(self.device, self.ip);
                out.push(w, pay);
            }
        }
        // Topping up the float: tenge from a card to an exchange, USDT on to the wallet.
        if bought > 0 && rng.chance(0.35) {
            let card = *rng.pick(&self.cards);
            let ts = daytime(rng, start);
            let kzt = round_to(bought as f64 * rng.range(80, 120) as f64 / 100.0, 1000);
            out.push(
                w,
                Tx::new(ts, TxKind::CryptoBuy, card, self.exchange, kzt)
                    .dev(self.device, self.ip)
                    .ch(Channel::App),
            );
            let units = w.units_for(kzt * 99 / 100, Cur::Usdt, d);
            let t = Tx::new(
                ts + rng.range(600, 7200),
                TxKind::CryptoTransfer,
                self.exchange,
                self.wallet,
                0,
            )
            .cur(Cur::Usdt, units, false)
            .ch(Channel::Chain);
            out.push(w, t);
        }
    }
}

/// What a cash-out network needs of a P2P trader who pays its drops.
#[derive(Clone)]
pub struct Trader {
    pub cards: Vec<u32>,
    pub wallet: u32,
}

impl Exchanger {
    pub fn trader(&self) -> Trader {
        Trader {
            cards: self.cards.clone(),
            wallet: self.wallet,
        }
    }
}
