//! Shell-firm rings ("obnal"): firms registered recently (some deregistered soon after), run
//! by the same nominee directors, registered at one address; lawful firms buy invoices for
//! goods and services that never existed; the money goes round the ring as more invoices and
//! leaves as cash at the branch, as "prepayments" abroad (offshore among them), or through the
//! nominees' cards. No wages, and rarely any tax.
//!
//! Labels (group `shell-N`): each firm `shell_firm` (party), and `fictitious_identity` for one
//! registered under a BIN that fails its check; every invoice into or within the ring
//! `false_invoice` (transaction).

use super::{Plant, Scheme};
use crate::background::{office, round_to};
use crate::ids;
use crate::out::{Out, Tx};
use crate::rng::Rng;
use crate::rules::tenge;
use crate::vocab::{Bio, Channel, Cur, Group, GroupKind, Ref};
use crate::world::{Address, Name, Party, Sector, World, NONE, NO_DATE};
use finmon_model::{AccountKind, Date, IdentifierKind, PartyKind, SubjectKind, TxKind, Typology};

struct Firm {
    account: u32,
    /// Last day (index) it operates: the day before it is deregistered, or the end.
    last_day: i32,
}

pub struct ShellRing {
    group: Group,
    firms: Vec<Firm>,
    /// Lawful firms' accounts that buy the invoices.
    clients: Vec<u32>,
    /// Nominees' cards.
    nominees: Vec<u32>,
    abroad: Vec<u32>,
    treasury: u32,
    pays_tax: bool,
    d0: i32,
    d1: i32,
    intensity: f64,
    turn: usize,
    rng: Rng,
}

pub fn plant(w: &mut World, p: &mut Plant) -> ShellRing {
    let group = p.group(GroupKind::Shell);
    let n = p.rng.range(3, 7) as usize;
    let city = World::city_pick(&mut p.rng);
    let nominees: Vec<usize> = (0..p.rng.range(1, 2))
        .map(|_| p.person_in(w, city))
        .collect();
    let mass_address = Address::Office {
        city,
        street: p.rng.index(crate::names::STREETS.len()) as u16,
        house: p.rng.range(1, 300) as u16,
    };
    let shared_address = p.rng.chance(0.75);
    let banks: Vec<u32> = (0..p.rng.range(1, 3)).map(|_| p.bank(w)).collect();
    let (d0, d1) = p.window(w, (30, 120));
    let mut firms = Vec::new();
    for _ in 0..n {
        let age = p.rng.range(20, 330);
        let registered = Date(w.start - age as i32);
        let (y, m, _) = registered.ymd();
        let valid = ids::bin(y, m, p.rng.below(100_000) as u32);
        let fake = p.rng.chance(0.15);
        let id = if fake {
            ids::fictitious(valid, &mut p.rng, true)
        } else {
            valid
        };
        let address = if shared_address {
            mass_address
        } else {
            World::office(&mut p.rng, city)
        };
        // Some are struck off soon: during the period, or just after it.
        let dereg = p
            .rng
            .chance(0.4)
            .then(|| p.rng.range(i64::from(d0) + 20, i64::from(w.days()) + 150) as i32);
        let party = w.add_party(Party {
            kind: PartyKind::Company,
            id,
            name: Name::Company {
                word: p.rng.index(crate::names::COMPANY_WORDS.len()) as u16,
                // Named like any trading or service firm: the name gives nothing away.
                form: (p.rng.below(3) as u8) * 32
                    + *p.rng.pick(&[
                        Sector::Wholesale,
                        Sector::Services,
                        Sector::Construction,
                        Sector::Transport,
                        Sector::It,
                        Sector::Manufacturing,
                    ]) as u8,
            },
            birth: NO_DATE,
            registered: registered.0,
            deregistered: dereg.map_or(NO_DATE, |d| w.start + d),
            country: "KZ",
            city,
            address,
        });
        w.label(SubjectKind::Party, party, Typology::ShellFirm, group);
        if fake {
            w.label(
                SubjectKind::Party,
                party,
                Typology::FictitiousIdentity,
                group,
            );
        }
        let director = w.persons[*p.rng.pick(&nominees)].party;
        w.add_identifier(
            Ok(party),
            IdentifierKind::Director,
            crate::world::IdValue::Party(director),
        );
        let founder = w.persons[*p.rng.pick(&nominees)].party;
        w.add_identifier(
            Ok(party),
            IdentifierKind::Founder,
            crate::world::IdValue::Party(founder),
        );
        if let Some(a) = w.address_text(address) {
            w.add_identifier(
                Ok(party),
                IdentifierKind::Address,
                crate::world::IdValue::Text(a.into()),
            );
        }
        let bank = *p.rng.pick(&banks);
        let opened = (age - p.rng.range(1, 15)).max(1);
        let account = w.open(AccountKind::BankAccount, party, bank, Cur::Kzt, opened);
        firms.push(Firm {
            account,
            last_day: dereg.map_or(i32::MAX, |d| d - 1),
        });
    }
    let regular: Vec<u32> = w
        .companies
        .iter()
        .filter(|c| c.sector.is_supplier() || c.sector.is_merchant() && c.sector != Sector::Stall)
        .map(|c| c.account)
        .collect();
    let clients = (0..p.rng.range(2, 6))
        .map(|_| *p.rng.pick(&regular))
        .collect();
    let mut abroad: Vec<u32> = w
        .companies
        .iter()
        .filter(|c| matches!(c.sector, Sector::ForeignSupplier | Sector::OffshorePartner))
        .map(|c| c.account)
        .collect();
    p.rng.shuffle(&mut abroad);
    abroad.truncate(2);
    ShellRing {
        group,
        firms,
        clients,
        nominees: nominees.iter().map(|&k| w.persons[k].main_card).collect(),
        abroad,
        treasury: w.companies[w.treasury as usize].account,
        pays_tax: p.rng.chance(0.25),
        d0,
        d1,
        intensity: p.rng.range(25, 70) as f64 / 100.0,
        turn: 0,
        rng: p.stream(),
    }
}

impl Scheme for ShellRing {
    fn day(&mut self, w: &World, d: i32, out: &mut Out) {
        if d < self.d0 || d > self.d1 {
            return;
        }
        let start = w.day_start(d);
        let rng = &mut self.rng;
        let live: Vec<usize> = (0..self.firms.len())
            .filter(|&i| self.firms[i].last_day >= d + 12)
            .collect();
        if live.len() < 2 {
            return;
        }
        let cal = crate::background::Cal::of(w, d);
        if self.pays_tax && cal.is(25) {
            // A token tax now and then, to look alive.
            let f = &self.firms[live[0]];
            let amount = round_to(rng.lognormal(40_000.0, 0.6) * 100.0, 1);
            let (m, y) = cal.ym();
            out.push(
                w,
                Tx::new(
                    office(rng, start),
                    TxKind::Tax,
                    f.account,
                    self.treasury,
                    amount,
                )
                .r(Ref::Tax {
                    month: m,
                    year: y,
                    ru: true,
                })
                .ch(Channel::Online),
            );
        }
        if cal.weekend || !rng.chance(self.intensity) {
            return;
        }
        let g = self.group;
        let fake = |rng: &mut Rng| Ref::FakeServices {
            n: rng.range(1, 999) as u32,
            what: rng.below(u64::from(Ref::fake_kinds())) as u8,
        };
        // A client buys an invoice.
        // Entry firms take turns, so that every firm of the ring trades.
        let entry = self.turn % live.len();
        self.turn += 1;
        let mut amount = round_to(
            rng.lognormal(6_000_000.0, 0.8)
                .clamp(800_000.0, 60_000_000.0)
                * 100.0,
            1,
        );
        let mut ts = office(rng, start);
        let client = *rng.pick(&self.clients);
        let first = self.firms[live[entry]].account;
        let t = Tx::new(ts, TxKind::InvoicePayment, client, first, amount)
            .r(fake(rng))
            .ch(Channel::Online);
        out.push(w, t.label(Typology::FalseInvoice, g));
        // Round the ring, a commission kept at each hop.
        let hops = rng.range(1, (live.len() as i64 - 1).min(4)) as usize;
        let mut at = first;
        for h in 1..=hops {
            let next = self.firms[live[(entry + h) % live.len()]].account;
            ts += rng.range(2 * 3600, 2 * 86_400);
            amount = round_to(amount as f64 * rng.range(970, 995) as f64 / 1000.0, 1);
            let t = Tx::new(ts, TxKind::InvoicePayment, at, next, amount)
                .r(fake(rng))
                .ch(Channel::Online);
            out.push(w, t.label(Typology::FalseInvoice, g));
            at = next;
        }
        if hops + 1 >= live.len() && rng.chance(0.5) {
            // Back to where it came in: a full circle.
            ts += rng.range(3600, 86_400);
            let back = round_to(amount as f64 * 0.4, 1);
            let t = Tx::new(ts, TxKind::InvoicePayment, at, first, back)
                .r(fake(rng))
                .ch(Channel::Online);
            out.push(w, t.label(Typology::FalseInvoice, g));
            amount -= back;
        }
        // Out of the ring.
        ts += rng.range(3 * 3600, 3 * 86_400);
        let mut left = amount * rng.range(90, 99) / 100;
        match rng.below(100) {
            0..=39 => {
                while left > tenge(100_000) {
                    let cash = round_to(
                        (left as f64).min(rng.range(2_000_000, 9_500_000) as f64 * 100.0),
                        1000,
                    );
                    let bio = if rng.chance(0.9) {
                        Bio::Verified
                    } else {
                        Bio::NotChecked
                    };
                    out.push(
                        w,
                        Tx::new(ts, TxKind::CashWithdrawal, at, NONE, cash)
                            .bio(bio)
                            .ch(Channel::Branch),
                    );
                    left -= cash;
                    ts += rng.range(3600, 86_400);
                }
            }
            40..=74 if !self.abroad.is_empty() => {
                let to = *rng.pick(&self.abroad);
                let cur = w.accounts[to as usize].cur;
                let units = w.units_for(left, cur, w.day_of(ts));
                let t = Tx::new(ts, TxKind::Transfer, at, to, 0)
                    .cur(cur, units / 100 * 100, rng.chance(0.5))
                    .r(Ref::Prepayment(rng.range(1, 999) as u32))
                    .ch(Channel::Online);
                out.push(w, t);
            }
            _ => {
                let card = *rng.pick(&self.nominees);
                let pay = round_to((left as f64).min(3_000_000.0 * 100.0), 1000);
                out.push(
                    w,
                    Tx::new(ts, TxKind::Transfer, at, card, pay).ch(Channel::Online),
                );
                let mut rest = pay;
                let mut t2 = ts + rng.range(1800, 6 * 3600);
                while rest >= 500_000 {
                    let cash = round_to(
                        (rest as f64).min(rng.range(150_000, 490_000) as f64 * 100.0),
                        5000,
                    )
                    .min(rest);
                    out.push(
                        w,
                        Tx::new(t2, TxKind::CashWithdrawal, card, NONE, cash)
                            .bio(Bio::Verified)
                            .ch(Channel::Branch),
                    );
                    rest -= cash;
                    t2 += rng.range(600, 86_400);
                }
            }
        }
    }
}
