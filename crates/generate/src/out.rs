//! Transactions on their way out: built by the background and the schemes, buffered for one
//! day, sorted by time, numbered, labelled, and written as CSV. Memory holds one day (and the
//! few operations already scheduled for the days after), never the whole output.

use crate::error::GenError;
use crate::ids::{self, IdNum, NO_ID};
use crate::rules;
use crate::vocab::{Bio, Channel, Cur, Group, Ref};
use crate::world::{World, DAY, NONE};
use finmon_model::{Date, Decimal, Kzt, TxKind, Typology};
use std::collections::BinaryHeap;
use std::io::Write;

/// Labels a scheme can put on one transaction (breaches come on top).
pub const MAX_LABELS: usize = 3;

#[derive(Debug, Clone, Copy)]
pub struct Tx {
    /// UTC seconds.
    pub ts: i64,
    pub seq: u64,
    pub kind: TxKind,
    pub from: u32,
    pub to: u32,
    /// In `cur`'s minor units.
    pub amount: i64,
    pub cur: Cur,
    /// Tenge value, tiyn: set on push.
    pub kzt: i64,
    /// Write `amount_kzt` (foreign currency only; tenge needs no value of its own).
    pub give_kzt: bool,
    pub iin: IdNum,
    pub atm: u32,
    pub bio: Bio,
    pub device: u32,
    pub ip: u32,
    pub reference: Ref,
    pub channel: Channel,
    pub labels: [(Typology, Group); MAX_LABELS],
    pub n_labels: u8,
}

impl Tx {
    /// A tenge movement of `tiyn` from `from` to `to` (`NONE` for the cash side).
    pub fn new(ts: i64, kind: TxKind, from: u32, to: u32, tiyn: i64) -> Tx {
        Tx {
            ts,
            seq: 0,
            kind,
            from,
            to,
            amount: tiyn.max(1),
            cur: Cur::Kzt,
            kzt: 0,
            give_kzt: false,
            iin: NO_ID,
            atm: NONE,
            bio: Bio::Empty,
            device: NONE,
            ip: NONE,
            reference: Ref::None,
            channel: Channel::App,
            labels: [(Typology::Laundering, Group::NONE); MAX_LABELS],
            n_labels: 0,
        }
    }

    pub fn cur(mut self, cur: Cur, units: i64, give_kzt: bool) -> Tx {
        self.cur = cur;
        self.amount = units.max(1);
        self.give_kzt = give_kzt && cur != Cur::Kzt;
        self
    }

    pub fn ch(mut self, c: Channel) -> Tx {
        self.channel = c;
        self
    }

    pub fn r(mut self, r: Ref) -> Tx {
        self.reference = r;
        self
    }

    pub fn atm(mut self, atm: u32, bio: Bio) -> Tx {
        self.atm = atm;
        self.bio = bio;
        self.channel = Channel::Atm;
        self
    }

    pub fn bio(mut self, bio: Bio) -> Tx {
        self.bio = bio;
        self
    }

    pub fn dev(mut self, device: u32, ip: u32) -> Tx {
        self.device = device;
        self.ip = ip;
        self
    }

    pub fn iin(mut self, iin: IdNum) -> Tx {
        self.iin = iin;
        self
    }

    /// Adds a scheme label (typology and group); a typology already on it is not repeated.
    pub fn label(mut self, typology: Typology, group: Group) -> Tx {
        let n = usize::from(self.n_labels);
        if n < MAX_LABELS && !self.labels[..n].iter().any(|l| l.0 == typology) {
            self.labels[n] = (typology, group);
            self.n_labels += 1;
        }
        self
    }

    /// The group of its first scheme label: breaches of a scheme's transaction belong to it.
    fn group(&self) -> Group {
        if self.n_labels > 0 {
            self.labels[0].1
        } else {
            Group::NONE
        }
    }
}

/// A transaction scheduled after the current day, ordered earliest first.
struct Later(Tx);

impl PartialEq for Later {
    fn eq(&self, o: &Self) -> bool {
        (self.0.ts, self.0.seq) == (o.0.ts, o.0.seq)
    }
}
impl Eq for Later {}
impl PartialOrd for Later {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Later {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.0.ts, o.0.seq).cmp(&(self.0.ts, self.0.seq))
    }
}

/// Counts of what was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub transactions: u64,
    pub tx_labels: u64,
    pub bytes: u64,
}

pub struct Out {
    tx_file: Box<dyn Write>,
    label_file: Box<dyn Write>,
    buf: Vec<Tx>,
    order: Vec<(u64, u32)>,
    later: BinaryHeap<Later>,
    seq: u64,
    day_end: i64,
    day_start: i64,
    line: Vec<u8>,
    labels: Vec<u8>,
    breaches: Vec<Typology>,
    date_prefix: [u8; 11],
    seed: u64,
    pub written: Written,
}

pub const TX_HEADER: &str = "tx_id,timestamp,kind,from_account,to_account,amount,currency,amount_kzt,sender_iin,atm_id,biometric,device_id,ip,reference,channel\n";

/// Flush to the file every this many bytes.
const CHUNK: usize = 1 << 20;

impl Out {
    pub fn new(
        mut tx_file: Box<dyn Write>,
        label_file: Box<dyn Write>,
        seed: u64,
    ) -> Result<Self, GenError> {
        tx_file.write_all(TX_HEADER.as_bytes())?;
        Ok(Out {
            tx_file,
            label_file,
            buf: Vec::new(),
            order: Vec::new(),
            later: BinaryHeap::new(),
            seq: 0,
            day_end: i64::MIN,
            day_start: i64::MIN,
            line: Vec::with_capacity(CHUNK + 4096),
            labels: Vec::with_capacity(CHUNK + 4096),
            breaches: Vec::new(),
            date_prefix: *b"1970-01-01T",
            seed,
            written: Written::default(),
        })
    }

    /// Starts day `d`: what was scheduled for it comes out of the queue.
    pub fn begin_day(&mut self, w: &World, d: i32) {
        self.day_start = w.day_start(d);
        self.day_end = w.day_start(d + 1);
        while let Some(l) = self.later.peek() {
            if l.0.ts >= self.day_end {
                break;
            }
            if let Some(Later(t)) = self.later.pop() {
                self.buf.push(t);
            }
        }
        let (y, m, dd) = Date(w.start + d).ymd();
        let s = format!("{y:04}-{m:02}-{dd:02}T");
        self.date_prefix.copy_from_slice(s.as_bytes());
    }

    /// Values a transaction in tenge and queues it (today or, if later, for its day).
    pub fn push(&mut self, w: &World, mut t: Tx) {
        // Nothing happens before the day being generated: a late-running scheme moves on.
        t.ts = t.ts.max(self.day_start);
        self.seq += 1;
        t.seq = self.seq;
        t.kzt = if t.cur == Cur::Kzt {
            t.amount
        } else {
            value(t.amount, t.cur, w.rate(t.cur, w.day_of(t.ts)))
        };
        if t.ts < self.day_end {
            self.buf.push(t);
        } else {
            self.later.push(Later(t));
        }
    }

    /// Sorts the day by time and writes it.
    pub fn end_day(&mut self, w: &World) -> Result<(), GenError> {
        let buf = std::mem::take(&mut self.buf);
        // Sort small keys, not the transactions: (seconds into the day, sequence) in one u64.
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(buf.iter().enumerate().map(|(i, t)| {
            let secs = (t.ts - self.day_start).clamp(0, DAY) as u64;
            (secs << 40 | (t.seq & ((1 << 40) - 1)), i as u32)
        }));
        order.sort_unstable();
        for &(_, i) in &order {
            self.write_tx(w, &buf[i as usize])?;
        }
        self.order = order;
        self.buf = buf;
        self.buf.clear();
        Ok(())
    }

    /// Writes what is left in the buffers. Operations scheduled after the last day are not
    /// written: the data ends where the period ends.
    pub fn finish(mut self) -> Result<Written, GenError> {
        self.tx_file.write_all(&self.line)?;
        self.label_file.write_all(&self.labels)?;
        self.written.bytes += self.line.len() as u64;
        self.tx_file.flush()?;
        self.label_file.flush()?;
        Ok(self.written)
    }

    fn write_tx(&mut self, w: &World, t: &Tx) -> Result<(), GenError> {
        self.written.transactions += 1;
        let n = self.written.transactions;
        let mut num = itoa::Buffer::new();
        let l = &mut self.line;
        l.push(b'T');
        l.extend_from_slice(num.format(n).as_bytes());
        l.push(b',');
        // Timestamps in local time (+05:00); the day's date is written once per day.
        let s = (t.ts - self.day_start).clamp(0, DAY - 1) as u32;
        l.extend_from_slice(&self.date_prefix);
        two(l, s / 3600);
        l.push(b':');
        two(l, s / 60 % 60);
        l.push(b':');
        two(l, s % 60);
        l.extend_from_slice(b"+05:00,");
        l.extend_from_slice(t.kind.as_str().as_bytes());
        l.push(b',');
        account_key(l, w, t.from);
        l.push(b',');
        account_key(l, w, t.to);
        l.push(b',');
        decimal(l, t.amount, t.cur.decimals());
        l.push(b',');
        l.extend_from_slice(t.cur.code().as_bytes());
        l.push(b',');
        if t.give_kzt {
            decimal(l, t.kzt, 2);
        }
        l.push(b',');
        if t.iin != NO_ID {
            ids::write12(l, t.iin);
        }
        l.push(b',');
        if t.atm != NONE {
            atm_key(l, w, t.atm);
        }
        l.push(b',');
        l.extend_from_slice(t.bio.as_str().as_bytes());
        l.push(b',');
        if t.device != NONE {
            ids::write_device(l, self.seed, t.device);
        }
        l.push(b',');
        if t.ip != NONE {
            ids::write_ip(l, self.seed, t.ip);
        }
        l.push(b',');
        t.reference.write(l);
        l.push(b',');
        l.extend_from_slice(t.channel.as_str().as_bytes());
        l.push(b'\n');

        // Labels: the scheme's, then the rule breaches.
        let mut breaches = std::mem::take(&mut self.breaches);
        breaches.clear();
        rules::breaches(w, t, &mut breaches);
        let group = t.group();
        for &(typ, g) in &t.labels[..usize::from(t.n_labels)] {
            self.label_row(n, typ, g);
        }
        for &typ in &breaches {
            self.label_row(n, typ, group);
        }
        self.breaches = breaches;

        if self.line.len() >= CHUNK {
            self.tx_file.write_all(&self.line)?;
            self.written.bytes += self.line.len() as u64;
            self.line.clear();
        }
        if self.labels.len() >= CHUNK {
            self.label_file.write_all(&self.labels)?;
            self.labels.clear();
        }
        Ok(())
    }

    fn label_row(&mut self, n: u64, typ: Typology, g: Group) {
        self.written.tx_labels += 1;
        let l = &mut self.labels;
        l.extend_from_slice(b"transaction,T");
        l.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        l.push(b',');
        l.extend_from_slice(typ.as_str().as_bytes());
        l.push(b',');
        g.write(l);
        l.push(b'\n');
    }
}

#[inline]
fn two(l: &mut Vec<u8>, v: u32) {
    l.push(b'0' + (v / 10) as u8);
    l.push(b'0' + (v % 10) as u8);
}

/// `units` minor units with `decimals` places: `123456, 2` → `1234.56`.
pub fn decimal(l: &mut Vec<u8>, units: i64, decimals: u32) {
    let scale = 10i64.pow(decimals);
    let mut num = itoa::Buffer::new();
    l.extend_from_slice(num.format(units / scale).as_bytes());
    l.push(b'.');
    let frac = units % scale;
    let digits = num.format(frac).as_bytes();
    for _ in digits.len()..decimals as usize {
        l.push(b'0');
    }
    l.extend_from_slice(digits);
}

/// The tenge value of `units` of `cur` at `rate` tiyn per unit: the valuation finmon does
/// (`Kzt::value_of`, half to even), so that a written `amount_kzt` and one derived from the
/// rates agree to the tiyn.
pub fn value(units: i64, cur: Cur, rate: i64) -> i64 {
    let amount = Decimal::new(units, cur.decimals());
    let rate = Decimal::new(rate, 2);
    Kzt::value_of(amount, rate).map_or(i64::MAX, |k| k.0)
}

pub fn account_prefix(kind: finmon_model::AccountKind) -> u8 {
    use finmon_model::AccountKind as K;
    match kind {
        K::Card => b'C',
        K::BankAccount => b'A',
        K::ExchangeAccount => b'X',
        K::Wallet => b'W',
        K::Unknown => b'U',
    }
}

pub fn account_key(l: &mut Vec<u8>, w: &World, a: u32) {
    if a == NONE {
        return;
    }
    l.push(w.prefixes[a as usize]);
    l.extend_from_slice(itoa::Buffer::new().format(a).as_bytes());
}

pub fn atm_key(l: &mut Vec<u8>, w: &World, atm: u32) {
    let a = &w.atms[atm as usize];
    l.extend_from_slice(b"ATM-");
    l.extend_from_slice(crate::names::CITIES[a.city as usize].1.as_bytes());
    l.push(b'-');
    let mut num = itoa::Buffer::new();
    let s = num.format(a.number);
    for _ in s.len()..3 {
        l.push(b'0');
    }
    l.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_text() {
        let mut v = Vec::new();
        decimal(&mut v, 123_456, 2);
        v.push(b' ');
        decimal(&mut v, 5, 8);
        v.push(b' ');
        decimal(&mut v, 100, 2);
        assert_eq!(String::from_utf8(v).unwrap(), "1234.56 0.00000005 1.00");
    }

    #[test]
    fn valuation_rounds_half_to_even() {
        // 0.5 tiyn rounds to the even neighbour: 2.5 → 2, 3.5 → 4.
        assert_eq!(value(5, Cur::Usd, 50), 2);
        assert_eq!(value(7, Cur::Usd, 50), 4);
        assert_eq!(value(100_000_000, Cur::Btc, 4_450_000_000), 4_450_000_000);
    }
}
