//! The columnar transaction store: one `Vec` per column (struct of arrays), accounts as dense
//! `u32` ids, kinds and currencies as small enums. Engines scan the columns they need and
//! nothing else; a transaction is its row index.

use crate::enums::{Biometric, TxKind};
use crate::intern::Interner;
use crate::money::{Currency, Kzt};
use crate::time::Timestamp;
use rust_decimal::Decimal;

/// The columns of the `transactions` table of the dataset format, in its order.
pub const COLUMNS: &[&str] = &[
    "tx_id",
    "timestamp",
    "kind",
    "from_account",
    "to_account",
    "amount",
    "currency",
    "amount_kzt",
    "sender_iin",
    "atm_id",
    "biometric",
    "device_id",
    "ip",
    "reference",
];

/// The account column value for "no account" (the cash side of a cash operation).
pub const NO_ACCOUNT: u32 = u32::MAX;
const NONE: u32 = u32::MAX;

/// Transaction ids. Numeric ids (AMLSim's, a line number) cost 8 bytes a row; any other id
/// switches the column to text once and for all.
#[derive(Debug, Clone)]
pub enum TxIds {
    Numeric(Vec<u64>),
    /// Numeric ids that all fit in 32 bits, compacted after loading.
    Small(Vec<u32>),
    /// Consecutive numeric ids `start, start + 1, …` (an adapter's line numbers with no row
    /// rejected): nothing stored per row.
    Range {
        start: u64,
        len: usize,
    },
    Text {
        bytes: String,
        ends: Vec<usize>,
    },
}

impl Default for TxIds {
    fn default() -> Self {
        TxIds::Numeric(Vec::new())
    }
}

/// A canonical decimal u64 (`0`, `17`, never `017` or `+1`): only those survive a round trip
/// through `u64` unchanged.
fn canonical_u64(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 19 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.parse().ok()
}

impl TxIds {
    pub fn len(&self) -> usize {
        match self {
            TxIds::Numeric(v) => v.len(),
            TxIds::Small(v) => v.len(),
            TxIds::Range { len, .. } => *len,
            TxIds::Text { ends, .. } => ends.len(),
        }
    }

    /// The row of a numeric id, when the ids increase with the rows (line numbers do).
    pub fn position_numeric(&self, id: u64) -> Option<usize> {
        match self {
            TxIds::Numeric(v) => v.binary_search(&id).ok(),
            TxIds::Small(v) => u32::try_from(id)
                .ok()
                .and_then(|id| v.binary_search(&id).ok()),
            TxIds::Range { start, len } => {
                let row = id.checked_sub(*start)? as usize;
                (row < *len).then_some(row)
            }
            TxIds::Text { .. } => None,
        }
    }

    /// Back from the compact form, before rows are added or removed.
    fn widen(&mut self) {
        match self {
            TxIds::Small(v) => *self = TxIds::Numeric(v.iter().map(|&x| u64::from(x)).collect()),
            TxIds::Range { start, len } => {
                *self = TxIds::Numeric((*start..*start + *len as u64).collect())
            }
            _ => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, id: &str) {
        self.widen();
        if let TxIds::Numeric(v) = self {
            if let Some(n) = canonical_u64(id) {
                v.push(n);
                return;
            }
            self.make_text();
        }
        if let TxIds::Text { bytes, ends } = self {
            bytes.push_str(id);
            ends.push(bytes.len());
        }
    }

    pub fn push_numeric(&mut self, id: u64) {
        self.widen();
        match self {
            TxIds::Text { bytes, ends } => {
                bytes.push_str(&id.to_string());
                ends.push(bytes.len());
            }
            TxIds::Numeric(v) => v.push(id),
            TxIds::Small(_) | TxIds::Range { .. } => unreachable!("widened above"),
        }
    }

    fn make_text(&mut self) {
        self.widen();
        if let TxIds::Numeric(v) = self {
            let mut bytes = String::with_capacity(v.len() * 8);
            let mut ends = Vec::with_capacity(v.len());
            for n in v.iter() {
                bytes.push_str(&n.to_string());
                ends.push(bytes.len());
            }
            *self = TxIds::Text { bytes, ends };
        }
    }

    pub fn get(&self, row: usize) -> std::borrow::Cow<'_, str> {
        match self {
            TxIds::Numeric(v) => v[row].to_string().into(),
            TxIds::Small(v) => v[row].to_string().into(),
            TxIds::Range { start, .. } => (start + row as u64).to_string().into(),
            TxIds::Text { bytes, ends } => {
                let start = if row == 0 { 0 } else { ends[row - 1] };
                bytes[start..ends[row]].into()
            }
        }
    }

    pub fn append(&mut self, mut other: TxIds) {
        self.widen();
        other.widen();
        match (&mut *self, other) {
            (TxIds::Numeric(a), TxIds::Numeric(b)) => a.extend(b),
            (_, other) => {
                self.make_text();
                if let TxIds::Text { bytes, ends } = self {
                    for i in 0..other.len() {
                        bytes.push_str(&other.get(i));
                        ends.push(bytes.len());
                    }
                }
            }
        }
    }

    fn retain(&mut self, keep: &[bool]) {
        self.widen();
        match self {
            TxIds::Numeric(v) => retain_by(v, keep),
            TxIds::Small(_) | TxIds::Range { .. } => unreachable!("widened above"),
            TxIds::Text { .. } => {
                let mut out = TxIds::Text {
                    bytes: String::new(),
                    ends: Vec::new(),
                };
                for (i, &k) in keep.iter().enumerate() {
                    if k {
                        out.push(&self.get(i));
                    }
                }
                *self = out;
            }
        }
    }

    fn shrink_to_fit(&mut self) {
        if let TxIds::Numeric(v) = self {
            let consecutive = v.windows(2).all(|w| w[0].checked_add(1) == Some(w[1]));
            if consecutive && !v.is_empty() {
                *self = TxIds::Range {
                    start: v[0],
                    len: v.len(),
                };
            } else if v.iter().all(|&x| x <= u64::from(u32::MAX)) {
                *self = TxIds::Small(v.iter().map(|&x| x as u32).collect());
            }
        }
        match self {
            TxIds::Numeric(v) => v.shrink_to_fit(),
            TxIds::Small(v) => v.shrink_to_fit(),
            TxIds::Range { .. } => {}
            TxIds::Text { bytes, ends } => {
                bytes.shrink_to_fit();
                ends.shrink_to_fit();
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            TxIds::Numeric(v) => v.capacity() * 8,
            TxIds::Small(v) => v.capacity() * 4,
            TxIds::Range { .. } => 0,
            TxIds::Text { bytes, ends } => bytes.capacity() + ends.capacity() * 8,
        }
    }
}

fn retain_by<T: Copy>(v: &mut Vec<T>, keep: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

/// How a text column stores its rows. Built dense; compacted after loading to the narrowest
/// form that fits: one byte a row for a column of few values (a payment format), or only the
/// rows that have a value for a mostly-empty column.
#[derive(Debug, Clone)]
enum Cells {
    Dense(Vec<u32>),
    /// Values below `u8::MAX`; `u8::MAX` is none.
    Narrow(Vec<u8>),
    /// (row, value) of the rows that have a value, by row; `len` rows in all.
    Sparse {
        rows: Vec<u32>,
        syms: Vec<u32>,
        len: usize,
    },
}

impl Default for Cells {
    fn default() -> Self {
        Cells::Dense(Vec::new())
    }
}

/// An optional text column: interned values, `None` for an empty cell. A column the input does
/// not have costs nothing (it has no rows).
#[derive(Debug, Clone, Default)]
pub struct StrColumn {
    pub name: String,
    pub values: Interner,
    cells: Cells,
}

impl StrColumn {
    pub fn new(name: impl Into<String>) -> Self {
        StrColumn {
            name: name.into(),
            ..Default::default()
        }
    }

    fn len(&self) -> usize {
        match &self.cells {
            Cells::Dense(v) => v.len(),
            Cells::Narrow(v) => v.len(),
            Cells::Sparse { len, .. } => *len,
        }
    }

    /// Whether the input had this column at all.
    pub fn is_present(&self) -> bool {
        self.len() > 0
    }

    /// The dense form, for changes.
    fn dense(&mut self) -> &mut Vec<u32> {
        let dense = match std::mem::take(&mut self.cells) {
            Cells::Dense(v) => v,
            Cells::Narrow(v) => v
                .into_iter()
                .map(|x| if x == u8::MAX { NONE } else { u32::from(x) })
                .collect(),
            Cells::Sparse { rows, syms, len } => {
                let mut v = vec![NONE; len];
                for (r, s) in rows.into_iter().zip(syms) {
                    v[r as usize] = s;
                }
                v
            }
        };
        self.cells = Cells::Dense(dense);
        match &mut self.cells {
            Cells::Dense(v) => v,
            _ => unreachable!("just set"),
        }
    }

    /// Sets the value of row `row`, the next row; earlier rows of a column first seen now are
    /// `None`.
    pub fn set(&mut self, row: usize, value: Option<&str>) {
        let v = value.map_or(NONE, |s| self.values.intern(s).0);
        let rows = self.dense();
        if rows.len() < row {
            rows.resize(row, NONE);
        }
        rows.push(v);
    }

    /// The interned id of a row's value (for grouping by value without string compares).
    pub fn sym(&self, row: usize) -> Option<u32> {
        let v = match &self.cells {
            Cells::Dense(v) => v.get(row).copied().unwrap_or(NONE),
            Cells::Narrow(v) => match v.get(row) {
                Some(&x) if x != u8::MAX => u32::from(x),
                _ => NONE,
            },
            Cells::Sparse { rows, syms, .. } => match rows.binary_search(&(row as u32)) {
                Ok(i) => syms[i],
                Err(_) => NONE,
            },
        };
        (v != NONE).then_some(v)
    }

    pub fn get(&self, row: usize) -> Option<&str> {
        self.sym(row).map(|v| self.values.resolve(crate::Sym(v)))
    }

    fn pad(&mut self, len: usize) {
        if self.is_present() && self.len() < len {
            self.dense().resize(len, NONE);
        }
    }

    fn append(&mut self, mut other: StrColumn, self_len: usize, other_len: usize) {
        if !other.is_present() {
            self.pad(self_len + other_len);
            return;
        }
        other.pad(other_len);
        let remap = self.values.absorb(&other.values);
        let theirs = std::mem::take(other.dense());
        let mine = self.dense();
        if mine.len() < self_len {
            mine.resize(self_len, NONE);
        }
        mine.extend(
            theirs
                .iter()
                .map(|&v| if v == NONE { NONE } else { remap[v as usize] }),
        );
    }

    fn retain(&mut self, keep: &[bool]) {
        if self.is_present() {
            self.pad(keep.len());
            retain_by(self.dense(), keep);
        }
    }

    /// Picks the narrowest storage and releases spare capacity.
    fn compact(&mut self) {
        self.values.shrink_to_fit();
        let Cells::Dense(v) = &mut self.cells else {
            return;
        };
        let len = v.len();
        let filled = v.iter().filter(|&&x| x != NONE).count();
        self.cells = if filled * 8 < len {
            let (rows, syms) = v
                .iter()
                .enumerate()
                .filter(|(_, &x)| x != NONE)
                .map(|(r, &x)| (r as u32, x))
                .unzip();
            Cells::Sparse { rows, syms, len }
        } else if self.values.len() < usize::from(u8::MAX) {
            Cells::Narrow(
                v.iter()
                    .map(|&x| if x == NONE { u8::MAX } else { x as u8 })
                    .collect(),
            )
        } else {
            v.shrink_to_fit();
            Cells::Dense(std::mem::take(v))
        };
    }

    fn heap_bytes(&self) -> usize {
        let cells = match &self.cells {
            Cells::Dense(v) => v.capacity() * 4,
            Cells::Narrow(v) => v.capacity(),
            Cells::Sparse { rows, syms, .. } => (rows.capacity() + syms.capacity()) * 4,
        };
        cells + self.values.heap_bytes()
    }
}

/// Exact amounts in 9 bytes a row: a 64-bit mantissa and a decimal scale. The rare amount whose
/// mantissa needs more (an ETH amount to 18 decimals, say) is kept whole on the side.
#[derive(Debug, Clone, Default)]
pub struct Amounts {
    mantissa: Vec<i64>,
    scale: Vec<u8>,
    /// Rows whose mantissa is `i64::MIN`: their full value, by row.
    big: Vec<(u32, Decimal)>,
}

impl Amounts {
    pub fn len(&self) -> usize {
        self.mantissa.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mantissa.is_empty()
    }

    pub fn push(&mut self, d: Decimal) {
        match i64::try_from(d.mantissa()) {
            Ok(m) if m != i64::MIN => {
                self.mantissa.push(m);
                self.scale.push(d.scale() as u8);
            }
            _ => {
                self.big.push((self.mantissa.len() as u32, d));
                self.mantissa.push(i64::MIN);
                self.scale.push(0);
            }
        }
    }

    pub fn get(&self, row: usize) -> Decimal {
        match self.mantissa[row] {
            i64::MIN => {
                let i = self
                    .big
                    .binary_search_by_key(&(row as u32), |&(r, _)| r)
                    .expect("a big amount is recorded for its row");
                self.big[i].1
            }
            m => Decimal::new(m, u32::from(self.scale[row])),
        }
    }

    fn append(&mut self, other: Amounts) {
        let offset = self.len() as u32;
        self.mantissa.extend(other.mantissa);
        self.scale.extend(other.scale);
        self.big
            .extend(other.big.into_iter().map(|(r, d)| (r + offset, d)));
    }

    fn retain(&mut self, keep: &[bool]) {
        let mut out = Amounts::default();
        for (row, &k) in keep.iter().enumerate() {
            if k {
                out.push(self.get(row));
            }
        }
        *self = out;
    }

    fn shrink_to_fit(&mut self) {
        self.mantissa.shrink_to_fit();
        self.scale.shrink_to_fit();
        self.big.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        self.mantissa.capacity() * 8 + self.scale.capacity() + self.big.capacity() * 20
    }
}

/// Every transaction of a dataset, column-wise. All columns have the same length; a row index is
/// a transaction's identity inside finmon (its `tx_id` is in [`Transactions::ids`]).
#[derive(Debug, Clone, Default)]
pub struct Transactions {
    pub ids: TxIds,
    pub ts: Vec<Timestamp>,
    /// Account ids ([`crate::AccountId`]), [`NO_ACCOUNT`] for the cash side.
    pub from: Vec<u32>,
    pub to: Vec<u32>,
    pub kind: Vec<TxKind>,
    pub amount: Amounts,
    pub currency: Vec<Currency>,
    /// Every amount valued in tenge: given, or derived from `rates` at ingest.
    pub amount_kzt: Vec<Kzt>,
    /// `0` = unknown, else `1 + Biometric as u8`; empty when the input has no such column.
    biometric: Vec<u8>,
    pub sender_iin: StrColumn,
    pub atm_id: StrColumn,
    pub device_id: StrColumn,
    pub ip: StrColumn,
    pub reference: StrColumn,
    /// Columns the format does not define, kept as the provider sent them.
    pub attrs: Vec<StrColumn>,
}

/// One transaction's required fields, as pushed by a parser.
#[derive(Debug, Clone, Copy)]
pub struct TxCore {
    pub ts: Timestamp,
    pub from: u32,
    pub to: u32,
    pub kind: TxKind,
    pub amount: Decimal,
    pub currency: Currency,
    pub amount_kzt: Kzt,
}

impl Transactions {
    pub fn new() -> Self {
        Transactions {
            sender_iin: StrColumn::new("sender_iin"),
            atm_id: StrColumn::new("atm_id"),
            device_id: StrColumn::new("device_id"),
            ip: StrColumn::new("ip"),
            reference: StrColumn::new("reference"),
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// A store of tenge transfers `(time in seconds, from, to, whole tenge)`, ids `T0`, `T1`, …
    /// in the order given: the hand-built graphs of tests and examples.
    pub fn transfers(rows: &[(i64, u32, u32, i64)]) -> Transactions {
        let mut t = Transactions::new();
        for (i, &(ts, from, to, tenge)) in rows.iter().enumerate() {
            t.ids.push(&format!("T{i}"));
            t.push(TxCore {
                ts: Timestamp(ts),
                from,
                to,
                kind: TxKind::Transfer,
                amount: Decimal::new(tenge, 0),
                currency: Currency::KZT,
                amount_kzt: Kzt::from_tenge(tenge),
            });
        }
        t
    }

    /// Appends a row's required fields. Optional columns are set with the `set_*` methods for the
    /// same row *before* this call (they take the row index `len()`).
    pub fn push(&mut self, core: TxCore) {
        self.ts.push(core.ts);
        self.from.push(core.from);
        self.to.push(core.to);
        self.kind.push(core.kind);
        self.amount.push(core.amount);
        self.currency.push(core.currency);
        self.amount_kzt.push(core.amount_kzt);
    }

    pub fn set_biometric(&mut self, row: usize, b: Option<Biometric>) {
        if self.biometric.len() < row {
            self.biometric.resize(row, 0);
        }
        self.biometric.push(b.map_or(0, |b| b as u8 + 1));
    }

    pub fn has_biometric_column(&self) -> bool {
        !self.biometric.is_empty()
    }

    pub fn biometric(&self, row: usize) -> Option<Biometric> {
        match self.biometric.get(row) {
            Some(&v) if v > 0 => Some(Biometric::ALL[(v - 1) as usize]),
            _ => None,
        }
    }

    pub fn attr_mut(&mut self, name: &str) -> &mut StrColumn {
        let i = match self.attrs.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                self.attrs.push(StrColumn::new(name));
                self.attrs.len() - 1
            }
        };
        &mut self.attrs[i]
    }

    pub fn attr(&self, name: &str) -> Option<&StrColumn> {
        self.attrs.iter().find(|c| c.name == name)
    }

    fn str_columns_mut(&mut self) -> [&mut StrColumn; 5] {
        [
            &mut self.sender_iin,
            &mut self.atm_id,
            &mut self.device_id,
            &mut self.ip,
            &mut self.reference,
        ]
    }

    /// Appends another store's rows (whose account and currency ids must already be this
    /// store's). This is how chunks parsed in parallel become one store.
    pub fn append(&mut self, other: Transactions) {
        let (n, m) = (self.len(), other.len());
        self.ids.append(other.ids);
        self.ts.extend(other.ts);
        self.from.extend(other.from);
        self.to.extend(other.to);
        self.kind.extend(other.kind);
        self.amount.append(other.amount);
        self.currency.extend(other.currency);
        self.amount_kzt.extend(other.amount_kzt);
        if !other.biometric.is_empty() || !self.biometric.is_empty() {
            self.biometric.resize(n, 0);
            let mut b = other.biometric;
            b.resize(m, 0);
            self.biometric.extend(b);
        }
        let Transactions {
            sender_iin,
            atm_id,
            device_id,
            ip,
            reference,
            attrs,
            ..
        } = other;
        for (mine, theirs) in self
            .str_columns_mut()
            .into_iter()
            .zip([sender_iin, atm_id, device_id, ip, reference])
        {
            mine.append(theirs, n, m);
        }
        for col in attrs {
            let name = col.name.clone();
            self.attr_mut(&name).append(col, n, m);
        }
        for col in &mut self.attrs {
            col.pad(n + m);
        }
    }

    /// Keeps the rows whose `keep` flag is set (used to drop re-sent duplicates).
    pub fn retain(&mut self, keep: &[bool]) {
        assert_eq!(keep.len(), self.len());
        self.ids.retain(keep);
        retain_by(&mut self.ts, keep);
        retain_by(&mut self.from, keep);
        retain_by(&mut self.to, keep);
        retain_by(&mut self.kind, keep);
        self.amount.retain(keep);
        retain_by(&mut self.currency, keep);
        retain_by(&mut self.amount_kzt, keep);
        if !self.biometric.is_empty() {
            self.biometric.resize(keep.len(), 0);
            retain_by(&mut self.biometric, keep);
        }
        for col in self.str_columns_mut().into_iter() {
            col.retain(keep);
        }
        for col in &mut self.attrs {
            col.retain(keep);
        }
    }

    /// Pads optional columns to full length and releases spare capacity: done once, after
    /// loading, so that resident memory is what the data needs.
    pub fn finish(&mut self) {
        let len = self.len();
        if !self.biometric.is_empty() {
            self.biometric.resize(len, 0);
        }
        for col in self.str_columns_mut().into_iter() {
            col.pad(len);
            col.compact();
        }
        for col in &mut self.attrs {
            col.pad(len);
            col.compact();
        }
        self.ids.shrink_to_fit();
        self.ts.shrink_to_fit();
        self.from.shrink_to_fit();
        self.to.shrink_to_fit();
        self.kind.shrink_to_fit();
        self.amount.shrink_to_fit();
        self.currency.shrink_to_fit();
        self.amount_kzt.shrink_to_fit();
        self.biometric.shrink_to_fit();
    }

    /// Heap bytes held by the columns (for memory reports).
    pub fn heap_bytes(&self) -> usize {
        let fixed = self.ts.capacity() * 8
            + self.from.capacity() * 4
            + self.to.capacity() * 4
            + self.kind.capacity()
            + self.amount.heap_bytes()
            + self.currency.capacity() * 2
            + self.amount_kzt.capacity() * 8
            + self.biometric.capacity();
        let strs: usize = [
            &self.sender_iin,
            &self.atm_id,
            &self.device_id,
            &self.ip,
            &self.reference,
        ]
        .iter()
        .map(|c| c.heap_bytes())
        .sum();
        fixed
            + strs
            + self.attrs.iter().map(StrColumn::heap_bytes).sum::<usize>()
            + self.ids.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(ts: i64, from: u32, to: u32) -> TxCore {
        TxCore {
            ts: Timestamp(ts),
            from,
            to,
            kind: TxKind::Transfer,
            amount: Decimal::new(100, 2),
            currency: Currency::KZT,
            amount_kzt: Kzt(100),
        }
    }

    #[test]
    fn ids_switch_to_text_once() {
        let mut ids = TxIds::default();
        ids.push("1");
        ids.push("2");
        assert!(matches!(ids, TxIds::Numeric(_)));
        ids.push("007");
        assert!(matches!(ids, TxIds::Text { .. }));
        ids.push("T-9");
        assert_eq!(
            (0..4).map(|i| ids.get(i).into_owned()).collect::<Vec<_>>(),
            ["1", "2", "007", "T-9"]
        );
    }

    #[test]
    fn append_remaps_accounts_and_columns() {
        let mut a = Transactions::new();
        a.ids.push("1");
        a.push(core(10, 0, 1));
        let mut b = Transactions::new();
        b.ids.push("2");
        b.device_id.set(0, Some("dev-1"));
        b.set_biometric(0, Some(Biometric::Failed));
        b.push(core(20, 0, NO_ACCOUNT));
        b.attr_mut("channel").set(0, Some("app"));
        b.from[0] = 7;
        a.append(b);
        a.finish();
        assert_eq!(a.len(), 2);
        assert_eq!(a.from, vec![0, 7]);
        assert_eq!(a.to, vec![1, NO_ACCOUNT]);
        assert_eq!(a.device_id.get(0), None);
        assert_eq!(a.device_id.get(1), Some("dev-1"));
        assert_eq!(a.biometric(0), None);
        assert_eq!(a.biometric(1), Some(Biometric::Failed));
        assert_eq!(a.attr("channel").and_then(|c| c.get(1)), Some("app"));
        assert_eq!(a.attr("channel").and_then(|c| c.get(0)), None);
    }

    #[test]
    fn text_columns_compact_and_still_read() {
        let mut t = Transactions::new();
        for i in 0..100usize {
            t.ids.push(&i.to_string());
            t.device_id
                .set(i, Some(if i % 2 == 0 { "even" } else { "odd" }));
            t.reference.set(i, (i == 42).then_some("memo"));
            t.ip.set(i, Some(&format!("10.0.0.{i}")));
            t.push(core(i as i64, 0, 1));
        }
        t.finish();
        assert!(matches!(t.device_id.cells, Cells::Narrow(_)));
        assert!(matches!(t.reference.cells, Cells::Sparse { .. }));
        assert_eq!(t.device_id.get(3), Some("odd"));
        assert_eq!(t.reference.get(42), Some("memo"));
        assert_eq!(t.reference.get(41), None);
        assert_eq!(t.ip.get(99), Some("10.0.0.99"));
        assert!(matches!(t.ids, TxIds::Range { start: 0, len: 100 }));
        assert_eq!(t.ids.position_numeric(57), Some(57));
        // Changes after compaction still work (the column widens again).
        t.retain(&(0..100).map(|i| i != 42).collect::<Vec<_>>());
        assert_eq!(t.reference.get(42), None);
        assert_eq!(t.device_id.get(42), Some("odd"));
        assert_eq!(t.ids.get(42), "43");
    }

    #[test]
    fn amounts_are_exact_at_any_scale() {
        let mut a = Amounts::default();
        let big = Decimal::from_i128_with_scale(123_456_789_012_345_678_901_234, 18);
        a.push(Decimal::new(125_000_000, 2));
        a.push(big);
        a.push(Decimal::new(-5, 0));
        assert_eq!(a.get(0).to_string(), "1250000.00");
        assert_eq!(a.get(1), big);
        assert_eq!(a.get(2).to_string(), "-5");
        let mut b = Amounts::default();
        b.push(big);
        a.append(b);
        assert_eq!(a.get(3), big);
        a.retain(&[false, true, true, true]);
        assert_eq!((a.get(0), a.get(2)), (big, big));
    }

    #[test]
    fn retain_drops_rows_in_every_column() {
        let mut t = Transactions::new();
        for i in 0..3u32 {
            t.ids.push(&format!("T{i}"));
            t.reference.set(i as usize, Some(&format!("r{i}")));
            t.push(core(i64::from(i), i, i));
        }
        t.retain(&[true, false, true]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.ids.get(1), "T2");
        assert_eq!(t.reference.get(1), Some("r2"));
        assert_eq!(t.from, vec![0, 2]);
    }
}
