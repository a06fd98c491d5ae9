//! Laundering shapes in the transaction graph (the AMLworld and AMLSim patterns): fan-in,
//! fan-out, a temporal cycle, scatter-gather, gather-scatter, a bipartite block and a stack of
//! two. Each runs within days to three weeks through accounts opened for it (held by people of
//! the population), with amounts that shrink a little at every hop.
//!
//! Labels (group `<pattern>-N`): the pattern's typology on every transaction and account of it.

use super::{Plant, Scheme};
use crate::background::round_to;
use crate::out::{Out, Tx};
use crate::rng::Rng;
use crate::vocab::{Channel, Cur, Group, GroupKind};
use crate::world::World;
use finmon_model::{AccountKind, SubjectKind, TxKind, Typology};

pub const KINDS: [GroupKind; 7] = [
    GroupKind::FanIn,
    GroupKind::FanOut,
    GroupKind::Cycle,
    GroupKind::ScatterGather,
    GroupKind::GatherScatter,
    GroupKind::Bipartite,
    GroupKind::Stack,
];

fn typology(kind: GroupKind) -> Typology {
    match kind {
        GroupKind::FanIn => Typology::FanIn,
        GroupKind::FanOut => Typology::FanOut,
        GroupKind::Cycle => Typology::Cycle,
        GroupKind::ScatterGather => Typology::ScatterGather,
        GroupKind::GatherScatter => Typology::GatherScatter,
        GroupKind::Bipartite => Typology::Bipartite,
        _ => Typology::Stack,
    }
}

/// Payments of one instance: (from, to) by member index, in order; timing and amounts are
/// drawn when it runs.
pub struct Pattern {
    kind: GroupKind,
    group: Group,
    accounts: Vec<u32>,
    /// Layers of member indices (a fan's centre and leaves, a cycle's ring, …).
    layers: Vec<Vec<usize>>,
    d0: i32,
    rng: Rng,
}

pub fn plant(w: &mut World, p: &mut Plant, kind: GroupKind) -> Pattern {
    let group = p.group(kind);
    let r = &mut p.rng;
    let layers: Vec<usize> = match kind {
        GroupKind::FanIn => vec![r.range(5, 16) as usize, 1],
        GroupKind::FanOut => vec![1, r.range(5, 16) as usize],
        GroupKind::Cycle => vec![r.range(3, 8) as usize],
        GroupKind::ScatterGather => vec![1, r.range(3, 8) as usize, 1],
        GroupKind::GatherScatter => vec![r.range(2, 6) as usize, 1, r.range(2, 6) as usize],
        GroupKind::Bipartite => vec![r.range(3, 5) as usize, r.range(3, 5) as usize],
        _ => vec![
            r.range(3, 4) as usize,
            r.range(3, 4) as usize,
            r.range(3, 4) as usize,
        ],
    };
    let mut accounts = Vec::new();
    let mut idx = Vec::new();
    let card_kind = p.rng.chance(0.5);
    for &n in &layers {
        let mut layer = Vec::new();
        for _ in 0..n {
            let k = p.person(w);
            let holder = w.persons[k].party;
            let bank = p.bank(w);
            let a = if card_kind {
                p.card(w, holder, bank)
            } else {
                let ago = p.rng.range(10, 200);
                w.open(AccountKind::BankAccount, holder, bank, Cur::Kzt, ago)
            };
            w.label(SubjectKind::Account, a, typology(kind), group);
            layer.push(accounts.len());
            accounts.push(a);
        }
        idx.push(layer);
    }
    let (d0, _) = p.window(w, (21, 21));
    Pattern {
        kind,
        group,
        accounts,
        layers: idx,
        d0,
        rng: p.stream(),
    }
}

impl Pattern {
    fn pay(&mut self, w: &World, out: &mut Out, from: usize, to: usize, amount: i64, ts: i64) {
        let kind = if w.accounts[self.accounts[from] as usize].kind == AccountKind::Card {
            TxKind::P2p
        } else {
            TxKind::Transfer
        };
        let t =
            Tx::new(ts, kind, self.accounts[from], self.accounts[to], amount).ch(Channel::Online);
        out.push(w, t.label(typology(self.kind), self.group));
    }

    fn amount(rng: &mut Rng, base: f64) -> i64 {
        round_to(
            base * rng.range(85, 115) as f64 / 100.0,
            if rng.chance(0.5) { 1000 } else { 1 },
        )
    }

    /// Every sender of `a` pays at least two of `b`, every one of `b` is paid by at least two.
    fn block(
        &mut self,
        w: &World,
        out: &mut Out,
        a: &[usize],
        b: &[usize],
        base: f64,
        ts: &mut i64,
    ) {
        for (i, &s) in a.iter().enumerate() {
            for (j, &t) in b.iter().enumerate() {
                // A complete block but for a few missing edges that leave every degree ≥ 2.
                if a.len() > 2 && b.len() > 2 && (i + j) % 3 == 2 && self.rng.chance(0.5) {
                    continue;
                }
                let amt = Self::amount(&mut self.rng, base);
                self.pay(w, out, s, t, amt, *ts);
                *ts += self.rng.range(1800, 12 * 3600);
            }
        }
    }
}

impl Scheme for Pattern {
    fn day(&mut self, w: &World, d: i32, out: &mut Out) {
        if d != self.d0 {
            return;
        }
        let mut ts = w.day_start(d) + self.rng.range(8 * 3600, 20 * 3600);
        let base = self
            .rng
            .lognormal(400_000.0, 0.7)
            .clamp(50_000.0, 5_000_000.0)
            * 100.0;
        let layers = self.layers.clone();
        let rng_gap = |r: &mut Rng| r.range(1800, 36 * 3600);
        match self.kind {
            GroupKind::FanIn | GroupKind::FanOut => {
                let (a, b) = (&layers[0], &layers[1]);
                for &s in a {
                    for &t in b {
                        let amt = Self::amount(&mut self.rng, base);
                        self.pay(w, out, s, t, amt, ts);
                        ts += rng_gap(&mut self.rng) / 2;
                    }
                }
            }
            GroupKind::Cycle => {
                let ring = &layers[0];
                let mut amt = base as i64;
                for i in 0..ring.len() {
                    self.pay(w, out, ring[i], ring[(i + 1) % ring.len()], amt, ts);
                    ts += rng_gap(&mut self.rng);
                    amt = round_to(amt as f64 * self.rng.range(95, 99) as f64 / 100.0, 1);
                }
            }
            GroupKind::ScatterGather => {
                let (src, mids, sink) = (layers[0][0], &layers[1], layers[2][0]);
                let t0 = ts;
                for &m in mids {
                    let amt = Self::amount(&mut self.rng, base);
                    let at = t0 + self.rng.range(0, 6 * 3600);
                    self.pay(w, out, src, m, amt, at);
                    let fwd = round_to(amt as f64 * self.rng.range(96, 99) as f64 / 100.0, 1);
                    let later = at + rng_gap(&mut self.rng);
                    self.pay(w, out, m, sink, fwd, later);
                }
            }
            GroupKind::GatherScatter => {
                let (ins, hub, outs) = (&layers[0], layers[1][0], &layers[2]);
                let mut total = 0;
                for &s in ins {
                    let amt = Self::amount(&mut self.rng, base);
                    total += amt;
                    self.pay(w, out, s, hub, amt, ts);
                    ts += rng_gap(&mut self.rng) / 2;
                }
                let each = total as f64 * 0.97 / outs.len() as f64;
                for &t in outs {
                    ts += rng_gap(&mut self.rng) / 2;
                    let amt = Self::amount(&mut self.rng, each);
                    self.pay(w, out, hub, t, amt, ts);
                }
            }
            GroupKind::Bipartite => {
                let (a, b) = (layers[0].clone(), layers[1].clone());
                self.block(w, out, &a, &b, base, &mut ts);
            }
            _ => {
                let (a, b, c) = (layers[0].clone(), layers[1].clone(), layers[2].clone());
                self.block(w, out, &a, &b, base, &mut ts);
                ts += rng_gap(&mut self.rng);
                self.block(w, out, &b, &c, base * 0.95, &mut ts);
            }
        }
    }
}
