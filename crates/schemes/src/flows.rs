//! What every scheme detector reads besides the raw tables: each account's money in and out in
//! time order (cash included), its holder, and the channels (devices, phones, IPs, emails)
//! that tie accounts together.

use finmon_graph::TemporalGraph;
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{AccountKind, Dataset, IdentifierKind, Kzt, TxKind};
use std::collections::HashMap;

/// Rows grouped by a key: `rows[offsets[k]..offsets[k + 1]]`, each group in time order.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    offsets: Vec<u32>,
    rows: Vec<u32>,
}

impl Groups {
    /// Groups `(key, row)` pairs given in time order (a counting sort keeps that order).
    fn build(keys: usize, pairs: impl Iterator<Item = (u32, u32)> + Clone) -> Groups {
        let mut offsets = vec![0u32; keys + 1];
        for (k, _) in pairs.clone() {
            offsets[k as usize + 1] += 1;
        }
        for i in 0..keys {
            offsets[i + 1] += offsets[i];
        }
        let mut at = offsets.clone();
        let mut rows = vec![0u32; offsets[keys] as usize];
        for (k, r) in pairs {
            rows[at[k as usize] as usize] = r;
            at[k as usize] += 1;
        }
        Groups { offsets, rows }
    }

    pub(crate) fn get(&self, k: u32) -> &[u32] {
        let k = k as usize;
        match (self.offsets.get(k), self.offsets.get(k + 1)) {
            (Some(&a), Some(&b)) => &self.rows[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// One movement of money as seen from an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Move {
    pub ts: i64,
    pub row: u32,
    /// The account at the other end; `NO_ACCOUNT` for cash.
    pub other: u32,
    pub kzt: Kzt,
}

pub(crate) struct Flows<'a> {
    pub ds: &'a Dataset,
    pub graph: TemporalGraph,
    /// Rows of transactions in time order.
    pub order: Vec<u32>,
    cash_out: Groups,
    cash_in: Groups,
    /// Holder party index per listed account.
    pub holder: Vec<Option<u32>>,
    /// Accounts per party index.
    pub held: Groups,
    /// Channels (device, phone, IP, email) per account, and accounts per channel.
    pub channels_of: Groups,
    pub accounts_on: Groups,
    /// `(kind, value)` of each channel.
    pub channel_names: Vec<(&'static str, String)>,
}

impl<'a> Flows<'a> {
    pub(crate) fn new(ds: &'a Dataset) -> Result<Flows<'a>, finmon_graph::GraphError> {
        let t = &ds.transactions;
        let graph = TemporalGraph::build(t)?;
        let n_acc = graph.n_vertices().max(ds.accounts.len());
        let mut order: Vec<u32> = (0..t.len() as u32).collect();
        order.sort_by_key(|&r| (t.ts[r as usize], r));
        let cash_out = Groups::build(
            n_acc,
            order.iter().filter_map(|&r| {
                let (f, to) = (t.from[r as usize], t.to[r as usize]);
                (f != NO_ACCOUNT && to == NO_ACCOUNT).then_some((f, r))
            }),
        );
        let cash_in = Groups::build(
            n_acc,
            order.iter().filter_map(|&r| {
                let (f, to) = (t.from[r as usize], t.to[r as usize]);
                (f == NO_ACCOUNT && to != NO_ACCOUNT).then_some((to, r))
            }),
        );
        let holder: Vec<Option<u32>> = ds
            .accounts
            .rows
            .iter()
            .map(|a| {
                a.holder
                    .as_deref()
                    .and_then(|h| ds.parties.index(h))
                    .map(|i| i as u32)
            })
            .collect();
        let held = Groups::build(
            ds.parties.len(),
            holder
                .iter()
                .enumerate()
                .filter_map(|(a, h)| h.map(|p| (p, a as u32))),
        );

        // Channels: identifiers of an account, or of its holder (then every account it holds),
        // and the device and IP a sending account used.
        let mut ids: HashMap<(&'static str, &str), u32> = HashMap::new();
        let mut names = Vec::new();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut channel = |kind: &'static str, value: &'a str, names: &mut Vec<_>| -> u32 {
            let n = ids.len() as u32;
            *ids.entry((kind, value)).or_insert_with(|| {
                names.push((kind, value.to_string()));
                n
            })
        };
        for id in &ds.identifiers {
            let kind = match id.kind {
                IdentifierKind::Device => "device",
                IdentifierKind::Phone => "phone",
                IdentifierKind::Ip => "ip",
                IdentifierKind::Email => "email",
                _ => continue,
            };
            if id.value.trim().is_empty() {
                continue;
            }
            let c = channel(kind, id.value.as_str(), &mut names);
            if let Some(a) = ds.accounts.index(&id.owner) {
                pairs.push((a as u32, c));
            } else if let Some(p) = ds.parties.index(&id.owner) {
                for &a in held.get(p as u32) {
                    pairs.push((a, c));
                }
            }
        }
        for (col, kind) in [(&t.device_id, "device"), (&t.ip, "ip")] {
            if !col.is_present() {
                continue;
            }
            for &r in &order {
                let f = t.from[r as usize];
                if f == NO_ACCOUNT {
                    continue;
                }
                if let Some(v) = col.get(r as usize) {
                    let c = channel(kind, v, &mut names);
                    pairs.push((f, c));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let channels_of = Groups::build(n_acc, pairs.iter().copied());
        let mut by_channel: Vec<(u32, u32)> = pairs.iter().map(|&(a, c)| (c, a)).collect();
        by_channel.sort_unstable();
        let accounts_on = Groups::build(names.len(), by_channel.iter().copied());
        Ok(Flows {
            ds,
            graph,
            order,
            cash_out,
            cash_in,
            holder,
            held,
            channels_of,
            accounts_on,
            channel_names: names,
        })
    }

    pub(crate) fn n_accounts(&self) -> usize {
        self.graph.n_vertices().max(self.ds.accounts.len())
    }

    pub(crate) fn kzt(&self, row: u32) -> Kzt {
        self.ds.transactions.amount_kzt[row as usize]
    }

    pub(crate) fn kind(&self, row: u32) -> TxKind {
        self.ds.transactions.kind[row as usize]
    }

    pub(crate) fn account_kind(&self, a: u32) -> AccountKind {
        self.ds.account_kind(a)
    }

    /// Money into `a`, in time order: transfers from accounts and cash paid in.
    pub(crate) fn ins(&self, a: u32) -> Vec<Move> {
        self.moves(self.graph.in_edges(a), self.cash_in.get(a))
    }

    /// Money out of `a`, in time order: transfers to accounts and cash taken out.
    pub(crate) fn outs(&self, a: u32) -> Vec<Move> {
        self.moves(self.graph.out_edges(a), self.cash_out.get(a))
    }

    /// Edges of one side with the cash rows of that side, in time order.
    fn moves(&self, edges: finmon_graph::Edges<'_>, cash: &[u32]) -> Vec<Move> {
        let t = &self.ds.transactions;
        let mut v: Vec<Move> = edges
            .iter()
            .map(|e| Move {
                ts: e.ts,
                row: e.tx,
                other: e.nbr,
                kzt: self.kzt(e.tx),
            })
            .collect();
        if !cash.is_empty() {
            v.extend(cash.iter().map(|&r| Move {
                ts: t.ts[r as usize].0,
                row: r,
                other: NO_ACCOUNT,
                kzt: self.kzt(r),
            }));
            v.sort_by_key(|m| (m.ts, m.row));
        }
        v
    }

    /// Who is behind account `a`: its holder party, else the account itself (in a separate
    /// range), so that one person's several accounts count once.
    pub(crate) fn owner_key(&self, a: u32) -> u64 {
        self.holder(a).map_or(u64::from(a) | 1 << 40, u64::from)
    }

    /// Cash taken out of `a` (rows, time order).
    pub(crate) fn cash_out(&self, a: u32) -> &[u32] {
        self.cash_out.get(a)
    }

    /// The party index holding account `a`.
    pub(crate) fn holder(&self, a: u32) -> Option<u32> {
        self.holder.get(a as usize).copied().flatten()
    }

    pub(crate) fn channel_name(&self, c: u32) -> String {
        self.channel_names
            .get(c as usize)
            .map(|(k, v)| format!("{k} {v}"))
            .unwrap_or_default()
    }

    /// The tx id of a row.
    pub(crate) fn tx_id(&self, row: u32) -> String {
        self.ds.transactions.ids.get(row as usize).into_owned()
    }
}

/// An account at a foreign institution, or held by a party registered abroad.
pub(crate) fn foreign(f: &Flows, a: u32) -> bool {
    let ds = f.ds;
    let Some(acc) = ds.account(a) else {
        return false;
    };
    let abroad = |c: Option<&str>| c.is_some_and(|c| !c.eq_ignore_ascii_case("KZ"));
    acc.institution
        .as_deref()
        .and_then(|i| ds.institutions.get(i))
        .is_some_and(|i| abroad(i.country.as_deref()))
        || ds.holder(a).is_some_and(|p| abroad(p.country.as_deref()))
}

/// Exchange accounts and self-hosted wallets: where crypto sits.
pub(crate) fn is_crypto(kind: AccountKind) -> bool {
    matches!(kind, AccountKind::ExchangeAccount | AccountKind::Wallet)
}

/// Disjoint sets over dense ids, each named by its smallest member.
pub(crate) struct UnionFind(Vec<u32>);

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        UnionFind((0..n as u32).collect())
    }

    pub(crate) fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = p;
            x = p;
        }
        x
    }

    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b) as usize] = a.min(b);
        }
    }
}

/// How much of what came in left again within `hours`: each outflow is matched to the
/// earliest unmatched inflow no older than `hours` (first in, first out).
pub(crate) fn passed_through(ins: &[Move], outs: &[Move], hours: i64) -> Kzt {
    let span = hours * 3_600;
    let mut queue: std::collections::VecDeque<(i64, i64)> = std::collections::VecDeque::new();
    let (mut i, mut fast) = (0usize, 0i64);
    for o in outs {
        while i < ins.len() && ins[i].ts <= o.ts {
            queue.push_back((ins[i].ts, ins[i].kzt.0));
            i += 1;
        }
        while queue.front().is_some_and(|&(t, _)| t < o.ts - span) {
            queue.pop_front();
        }
        let mut need = o.kzt.0;
        while need > 0 {
            let Some(front) = queue.front_mut() else {
                break;
            };
            let take = front.1.min(need);
            front.1 -= take;
            need -= take;
            fast += take;
            if front.1 == 0 {
                queue.pop_front();
            }
        }
    }
    Kzt(fast)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(ts: i64, kzt: i64) -> Move {
        Move {
            ts,
            row: 0,
            other: 0,
            kzt: Kzt(kzt),
        }
    }

    #[test]
    fn pass_through_matches_outflow_to_recent_inflow() {
        let h = 3_600;
        // 100 in at 0, 80 out at 1 h: 80 passed. 50 in at 10 h, 50 out at 40 h: too late.
        let ins = [mv(0, 100), mv(10 * h, 50)];
        let outs = [mv(h, 80), mv(40 * h, 50)];
        assert_eq!(passed_through(&ins, &outs, 24), Kzt(80));
        assert_eq!(passed_through(&ins, &outs, 48), Kzt(130));
        // Out before anything came in passes nothing.
        assert_eq!(passed_through(&ins, &[mv(-1, 10)], 24), Kzt(0));
        // Exactly at the edge of the window still counts.
        assert_eq!(passed_through(&[mv(0, 10)], &[mv(24 * h, 10)], 24), Kzt(10));
    }
}
