//! The planted schemes. Each is planted while the world is built — its people, firms, cards
//! and exchanges are in the reference tables like everyone else's — and then acts day by day,
//! with its own random stream, so that adding or changing one scheme leaves the others' data
//! as it was.
//!
//! Sizes, timing and amounts vary from one instance to the next (drawn, not fixed), so that a
//! detector has to recognise the behaviour, not a signature.

mod breaches;
mod cashout;
mod exchange;
mod patterns;
mod shell;
mod structuring;

use crate::ids;
use crate::names;
use crate::out::Out;
use crate::rng::Rng;
use crate::vocab::{Cur, Group, GroupKind};
use crate::world::{Address, Name, Party, World, NONE, NO_DATE};
use finmon_model::{AccountKind, Date, IdentifierKind, PartyKind};

pub trait Scheme {
    fn day(&mut self, w: &World, d: i32, out: &mut Out);
}

/// What planting needs beyond the world: a stream, the people already given a role, and the
/// group counters.
pub struct Plant {
    pub rng: Rng,
    used: Vec<bool>,
    counters: [u32; 12],
    seed: u64,
    streams: u64,
}

impl Plant {
    /// The next group of a kind: `con-1`, `con-2`, …
    pub fn group(&mut self, kind: GroupKind) -> Group {
        let c = &mut self.counters[kind as usize];
        *c += 1;
        Group::new(kind, *c)
    }

    /// A stream of its own for one scheme instance.
    pub fn stream(&mut self) -> Rng {
        self.streams += 1;
        Rng::new(self.seed, 10_000_000 + self.streams)
    }

    /// A person of the population nobody planted anything on yet (person index).
    pub fn person(&mut self, w: &World) -> usize {
        for _ in 0..1000 {
            let k = self.rng.index(w.persons.len());
            if !self.used[k] {
                self.used[k] = true;
                return k;
            }
        }
        self.rng.index(w.persons.len())
    }

    /// A person in a given city if one is free (most tries), else anywhere.
    pub fn person_in(&mut self, w: &World, city: u8) -> usize {
        for _ in 0..200 {
            let k = self.rng.index(w.persons.len());
            if !self.used[k] && w.persons[k].city == city {
                self.used[k] = true;
                return k;
            }
        }
        self.person(w)
    }

    /// Days `[d0, d1]` a scheme runs: `len` days somewhere in the period (all of it if short).
    pub fn window(&mut self, w: &World, len: (i64, i64)) -> (i32, i32) {
        let days = i64::from(w.days());
        let len = self.rng.range(len.0, len.1).min(days);
        let d0 = self.rng.range(0, days - len);
        (d0 as i32, (d0 + len - 1) as i32)
    }

    /// A made-up person: a name and an address, and an IIN whose check digit fails.
    pub fn fictitious_person(&mut self, w: &mut World, city: u8) -> u32 {
        let rng = &mut self.rng;
        let female = rng.chance(0.4);
        let birth = Date(w.start - rng.range(18 * 365, 45 * 365) as i32);
        let (y, m, d) = birth.ymd();
        let valid = ids::iin(y, m, d, female, rng.below(10_000) as u32);
        let id = ids::fictitious(valid, rng, false);
        let first = if female {
            names::FEMALE.len()
        } else {
            names::MALE.len()
        };
        let name = Name::Person {
            first: rng.index(first) as u16,
            last: rng.index(names::SURNAMES.len()) as u16,
            female,
        };
        let address = Address::Home {
            city,
            street: rng.index(names::STREETS.len()) as u16,
            house: rng.range(1, 250) as u16,
            flat: rng.range(1, 300) as u16,
        };
        w.add_party(Party {
            kind: PartyKind::Person,
            id,
            name,
            birth: birth.0,
            registered: NO_DATE,
            deregistered: NO_DATE,
            country: "KZ",
            city,
            address,
        })
    }

    /// A new card of `holder` at `bank`, opened a few weeks to months before it is used.
    pub fn card(&mut self, w: &mut World, holder: u32, bank: u32) -> u32 {
        let ago = self.rng.range(5, 150);
        w.open(AccountKind::Card, holder, bank, Cur::Kzt, ago)
    }

    pub fn bank(&mut self, w: &World) -> u32 {
        *self.rng.pick(&w.kz_banks)
    }
}

pub struct Schemes {
    list: Vec<Box<dyn Scheme>>,
    groups: Vec<(&'static str, u32)>,
}

impl Schemes {
    /// Plants every scheme in the world. Counts scale with the population (at least two of
    /// each, so that a small world still has something to find).
    pub fn plant(w: &mut World) -> Schemes {
        let mut p = Plant {
            rng: Rng::new(w.cfg.seed, 7),
            used: vec![false; w.persons.len()],
            counters: [0; 12],
            seed: w.cfg.seed,
            streams: 0,
        };
        let s = w.persons.len() as f64 / 10_000.0;
        let n = |per_10k: f64, min: usize| ((per_10k * s).round() as usize).max(min);
        let mut list: Vec<Box<dyn Scheme>> = Vec::new();

        let uex = exchange::plant_unlicensed(w, &mut p, n(2.0, 1));
        let exchangers = exchange::plant_exchangers(w, &mut p, n(4.0, 2));
        for k in 0..n(5.0, 2) {
            list.push(Box::new(cashout::plant(w, &mut p, k, &uex, &exchangers)));
        }
        for e in exchangers {
            list.push(Box::new(e));
        }
        for u in uex {
            list.push(Box::new(u));
        }
        for _ in 0..n(4.0, 2) {
            list.push(Box::new(shell::plant(w, &mut p)));
        }
        for _ in 0..n(8.0, 3) {
            list.push(Box::new(structuring::plant(w, &mut p)));
        }
        list.push(Box::new(breaches::plant(w, &mut p)));
        for kind in patterns::KINDS {
            for _ in 0..n(3.0, 2) {
                list.push(Box::new(patterns::plant(w, &mut p, kind)));
            }
        }
        let kinds = [
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
        let groups = kinds
            .iter()
            .map(|&k| (k.prefix(), p.counters[k as usize]))
            .collect();
        Schemes { list, groups }
    }

    pub fn day(&mut self, w: &World, d: i32, out: &mut Out) {
        for s in &mut self.list {
            s.day(w, d, out);
        }
    }

    pub fn groups(&self) -> Vec<(&'static str, u32)> {
        self.groups.clone()
    }
}

/// Adds a phone identifier.
pub fn phone(w: &mut World, party: u32, number: &str) {
    w.add_identifier(
        Ok(party),
        IdentifierKind::Phone,
        crate::world::IdValue::Text(number.into()),
    );
}

pub fn device(w: &mut World, account: u32, device: u32) {
    w.add_identifier(
        Err(account),
        IdentifierKind::Device,
        crate::world::IdValue::Device(device),
    );
}

pub const NOBODY: u32 = NONE;
