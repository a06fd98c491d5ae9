//! Structuring: one person moves a large sum in pieces kept just under a line — card top-ups
//! under the 500,000 KZT that would require an IIN, spread over days and terminals; or
//! transfers to an offshore account under the 5,000,000 KZT that would be reported.
//!
//! Labels (group `struct-N`): every piece `structuring` (transaction).

use super::{Plant, Scheme};
use crate::background::daytime;
use crate::out::{Out, Tx};
use crate::rng::Rng;
use crate::rules::tenge;
use crate::vocab::{Channel, Cur, Group, GroupKind, Ref};
use crate::world::{Sector, World, NONE};
use finmon_model::{AccountKind, TxKind, Typology};

enum Way {
    /// Top-ups under the IIN line onto the person's cards.
    Topups { cards: Vec<u32> },
    /// Transfers under the offshore reporting line.
    Offshore { from: u32, to: u32 },
}

pub struct Structuring {
    group: Group,
    way: Way,
    /// Tiyn still to move.
    left: i64,
    d0: i32,
    device: u32,
    ip: u32,
    rng: Rng,
}

pub fn plant(w: &mut World, p: &mut Plant) -> Structuring {
    let group = p.group(GroupKind::Structuring);
    let k = p.person(w);
    let me = w.persons[k];
    let offshore: Vec<u32> = w
        .companies
        .iter()
        .filter(|c| c.sector == Sector::OffshorePartner)
        .map(|c| c.account)
        .collect();
    let (way, total) = if offshore.is_empty() || p.rng.chance(0.7) {
        let mut cards = vec![me.main_card];
        for i in 0..usize::from(me.n_cards) {
            cards.push(w.card_of(&me, i + 1));
        }
        if cards.len() < 2 {
            let bank = p.bank(w);
            cards.push(p.card(w, me.party, bank));
        }
        let total = p.rng.range(1_500_000, 12_000_000) * 100;
        (Way::Topups { cards }, total)
    } else {
        let from = if me.bank_account != NONE {
            me.bank_account
        } else {
            let ago = p.rng.range(30, 900);
            w.open(AccountKind::BankAccount, me.party, me.bank, Cur::Kzt, ago)
        };
        let total = p.rng.range(12_000_000, 40_000_000) * 100;
        (
            Way::Offshore {
                from,
                to: *p.rng.pick(&offshore),
            },
            total,
        )
    };
    let (d0, _) = p.window(w, (15, 30));
    Structuring {
        group,
        way,
        left: total,
        d0,
        device: me.device,
        ip: me.home_ip,
        rng: p.stream(),
    }
}

impl Scheme for Structuring {
    fn day(&mut self, w: &World, d: i32, out: &mut Out) {
        if d < self.d0 || self.left <= 0 || self.rng.chance(0.25) {
            return;
        }
        let start = w.day_start(d);
        let rng = &mut self.rng;
        match &self.way {
            Way::Topups { cards } => {
                for _ in 0..rng.range(1, 4) {
                    if self.left <= 0 {
                        break;
                    }
                    // Just under the line, not always a round sum.
                    let piece = if rng.chance(0.5) {
                        tenge(rng.range(440, 499) * 1000)
                    } else {
                        rng.range(tenge(400_000), tenge(499_999))
                    };
                    let card = *rng.pick(cards);
                    let ch = if rng.chance(0.7) {
                        Channel::Terminal
                    } else {
                        Channel::Branch
                    };
                    let t =
                        Tx::new(daytime(rng, start), TxKind::CardTopup, NONE, card, piece).ch(ch);
                    out.push(w, t.label(Typology::Structuring, self.group));
                    self.left -= piece;
                }
            }
            Way::Offshore { from, to } => {
                if rng.chance(0.5) {
                    return;
                }
                let kzt = rng.range(4_300_000, 4_990_000) * 100;
                let units = w.units_for(kzt, Cur::Usd, d);
                let t = Tx::new(daytime(rng, start), TxKind::Transfer, *from, *to, 0)
                    .cur(Cur::Usd, units, rng.chance(0.5))
                    .r(Ref::Consulting(rng.range(1, 999) as u32))
                    .dev(self.device, self.ip)
                    .ch(Channel::Online);
                out.push(w, t.label(Typology::Structuring, self.group));
                self.left -= kzt;
            }
        }
    }
}
