//! Transactions: validation of one row ([`TxChunk::add`]), the finmon-format row sink, and the
//! parallel CSV path that parses chunks of a file on every core and merges them in order.

use crate::columns::*;
use crate::error::IngestError;
use crate::reject::{LineReject, RowError};
use crate::rows::{csv_rows, recycle, Counts, Outcome, RowSink};
use crate::tables::{Check, Seen};
use finmon_model::tx::{TxCore, NO_ACCOUNT};
use finmon_model::{
    Biometric, Currencies, Currency, Date, Interner, Kzt, Rates, Timestamp, Transactions, TxKind,
};

/// An account id a chunk made itself: the high bit marks it, the rest indexes the chunk's own
/// interner, and the merge maps it to the global id.
const LOCAL: u32 = 1 << 31;

/// What a chunk may read but not change: the listed accounts, rates and known currencies.
pub struct TxContext<'a> {
    pub accounts: &'a Interner,
    pub rates: &'a Rates,
    pub currencies: &'a Currencies,
}

impl<'a> TxContext<'a> {
    /// What a dataset's reference tables give the transaction parsers.
    pub fn of(ds: &'a finmon_model::Dataset) -> Self {
        TxContext {
            accounts: &ds.accounts.keys,
            rates: &ds.rates,
            currencies: &ds.currencies,
        }
    }
}

/// When a row happened: text to parse, or already parsed by an adapter.
pub enum When<'a> {
    Rfc3339(&'a str),
    Parsed(Timestamp, Date),
}

pub enum Kind<'a> {
    Text(&'a str),
    Known(TxKind),
}

/// A transaction row in text form, from whatever format. Adapters fill it from their columns.
pub struct TxFields<'a> {
    /// `None` = use `numeric_id`.
    pub id: Option<&'a str>,
    pub numeric_id: u64,
    pub when: When<'a>,
    pub kind: Kind<'a>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub amount: &'a str,
    pub currency: &'a str,
    pub amount_kzt: Option<&'a str>,
    pub sender_iin: Option<&'a str>,
    pub atm_id: Option<&'a str>,
    pub biometric: Option<&'a str>,
    pub device_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub reference: Option<&'a str>,
    /// Values of the chunk's attribute columns, in the order they were declared.
    pub attrs: &'a [Option<&'a str>],
}

impl<'a> TxFields<'a> {
    /// A row with only its required fields; the rest unknown. Adapters fill what they have.
    pub fn new(when: When<'a>, kind: Kind<'a>, amount: &'a str, currency: &'a str) -> Self {
        TxFields {
            id: None,
            numeric_id: 0,
            when,
            kind,
            from: None,
            to: None,
            amount,
            currency,
            amount_kzt: None,
            sender_iin: None,
            atm_id: None,
            biometric: None,
            device_id: None,
            ip: None,
            reference: None,
            attrs: &[],
        }
    }
}

/// Transactions parsed from one chunk of input, with what the merge needs.
pub struct TxChunk<'a> {
    ctx: &'a TxContext<'a>,
    pub tx: Transactions,
    accounts: Interner,
    currencies: Currencies,
    /// Per row, when ids are keys to check for re-sends: (file line, fingerprint of the row).
    pub keys: Vec<(u64, u64)>,
    pub check_keys: bool,
    /// The last valuation looked up: consecutive rows mostly share currency and day.
    last_rate: Option<(Currency, Date, finmon_model::Decimal)>,
}

impl<'a> TxChunk<'a> {
    pub fn new(ctx: &'a TxContext<'a>, attr_names: &[String], check_keys: bool) -> Self {
        let mut tx = Transactions::new();
        for n in attr_names {
            tx.attr_mut(n);
        }
        TxChunk {
            ctx,
            tx,
            accounts: Interner::new(),
            currencies: ctx.currencies.clone(),
            keys: Vec::new(),
            check_keys,
            last_rate: None,
        }
    }

    fn account(&mut self, key: Option<&str>) -> u32 {
        match key {
            None => NO_ACCOUNT,
            Some(k) => match self.ctx.accounts.get(k) {
                Some(s) => s.0,
                None => self.accounts.intern(k).0 | LOCAL,
            },
        }
    }

    fn rate(&mut self, cur: Currency, date: Date) -> Option<finmon_model::Decimal> {
        if let Some((c, d, r)) = self.last_rate {
            if c == cur && d == date {
                return Some(r);
            }
        }
        let code = self.currencies.code(cur);
        let r = self
            .ctx
            .currencies
            .get(code)
            .and_then(|g| self.ctx.rates.on(g, date))?;
        self.last_rate = Some((cur, date, r));
        Some(r)
    }

    /// Validates a row and appends it. Nothing is written unless every check passed.
    pub fn add(&mut self, f: &TxFields<'_>, line: u64, print: Option<u64>) -> Result<(), RowError> {
        if let Some(id) = f.id {
            if id.is_empty() {
                return Err(RowError::new("tx_id", "tx_id is empty"));
            }
        }
        let (ts, day) = match f.when {
            When::Rfc3339(s) => timestamp(s, "timestamp")?,
            When::Parsed(t, d) => (t, d),
        };
        let kind = match f.kind {
            Kind::Known(k) => k,
            Kind::Text(s) => token(s, "kind", TxKind::parse, TxKind::expected)?,
        };
        let amount = positive_decimal(f.amount, "amount")?;
        if !Currencies::is_valid_code(f.currency) {
            return Err(RowError::new(
                "currency",
                format!(
                    "invalid currency '{}' (an upper-case ISO 4217 code or crypto ticker)",
                    f.currency
                ),
            ));
        }
        if f.from.is_none() && f.to.is_none() {
            return Err(RowError::row(
                "neither from_account nor to_account is given",
            ));
        }
        let biometric = opt_token(
            f.biometric,
            "biometric",
            Biometric::parse,
            Biometric::expected,
        )?;
        let currency = self
            .currencies
            .intern(f.currency)
            .ok_or_else(|| RowError::new("currency", "more than 65,535 currencies"))?;
        let amount_kzt = match f.amount_kzt {
            Some(v) => {
                let d = positive_decimal(v, "amount_kzt")?;
                Kzt::exact(d).ok_or_else(|| {
                    RowError::new(
                        "amount_kzt",
                        format!("amount_kzt {v} has more than 2 decimals"),
                    )
                })?
            }
            None => {
                let rate = self.rate(currency, day).ok_or_else(|| {
                    RowError::new(
                        "currency",
                        format!(
                            "no KZT rate for {} on or before {day}: give amount_kzt or a rates row",
                            f.currency
                        ),
                    )
                })?;
                Kzt::value_of(amount, rate)
                    .ok_or_else(|| RowError::new("amount", "amount too large to value in KZT"))?
            }
        };
        // Every check has passed: commit the row to every column.
        let row = self.tx.len();
        let from = self.account(f.from);
        let to = self.account(f.to);
        match f.id {
            Some(id) => self.tx.ids.push(id),
            None => self.tx.ids.push_numeric(f.numeric_id),
        }
        self.tx.sender_iin.set(row, f.sender_iin);
        self.tx.atm_id.set(row, f.atm_id);
        self.tx.device_id.set(row, f.device_id);
        self.tx.ip.set(row, f.ip);
        self.tx.reference.set(row, f.reference);
        if f.biometric.is_some() || self.tx.has_biometric_column() {
            self.tx.set_biometric(row, biometric);
        }
        for (col, v) in self.tx.attrs.iter_mut().zip(f.attrs) {
            col.set(row, *v);
        }
        self.tx.push(TxCore {
            ts,
            from,
            to,
            kind,
            amount,
            currency,
            amount_kzt,
        });
        if self.check_keys {
            self.keys.push((line, print.unwrap_or(0)));
        }
        Ok(())
    }

    pub fn fingerprint(&self, fields: &[Option<&str>]) -> u64 {
        crate::tables::fingerprint(fields)
    }

    /// Lets go of the shared context, so that the merge may change what it borrowed.
    pub fn finish(self) -> ChunkOut {
        ChunkOut {
            tx: self.tx,
            accounts: self.accounts,
            currencies: self.currencies,
            keys: self.keys,
            check_keys: self.check_keys,
        }
    }
}

/// A chunk's transactions with chunk-local account and currency ids, ready to merge.
pub struct ChunkOut {
    pub tx: Transactions,
    accounts: Interner,
    currencies: Currencies,
    keys: Vec<(u64, u64)>,
    check_keys: bool,
}

/// The `transactions` table of the finmon format (its columns are the model's).
pub static KNOWN: &[&str] = finmon_model::tx::COLUMNS;
pub static REQUIRED: &[&str] = &["tx_id", "timestamp", "kind", "amount", "currency"];

/// Row sink for finmon-format transactions. The header makes its column map and chunk.
pub struct FinmonTx<'a> {
    ctx: &'a TxContext<'a>,
    file: String,
    state: Option<(ColumnMap, TxChunk<'a>)>,
    attr_vals: Vec<Option<&'static str>>,
}

impl<'a> FinmonTx<'a> {
    pub fn new(ctx: &'a TxContext<'a>, file: &str) -> Self {
        FinmonTx {
            ctx,
            file: file.to_string(),
            state: None,
            attr_vals: Vec::new(),
        }
    }

    /// The parsed rows; `None` if no header was read.
    pub fn into_chunk(self) -> Option<TxChunk<'a>> {
        self.state.map(|(_, c)| c)
    }
}

impl RowSink for FinmonTx<'_> {
    fn header(&mut self, names: &[String]) -> Result<(), IngestError> {
        let cols = ColumnMap::new("transactions", &self.file, names, KNOWN, REQUIRED)?;
        let attr_names: Vec<String> = cols.attrs.iter().map(|(_, n)| n.clone()).collect();
        self.state = Some((cols, TxChunk::new(self.ctx, &attr_names, true)));
        Ok(())
    }

    fn row(&mut self, line: u64, fields: &[Option<&str>]) -> Result<Outcome, RowError> {
        let (c, chunk) = self.state.as_mut().expect("header before rows");
        let mut attrs = recycle(std::mem::take(&mut self.attr_vals));
        attrs.extend(c.attrs.iter().map(|(i, _)| fields[*i]));
        let f = TxFields {
            id: Some(required(c.get(fields, 0), "tx_id")?),
            numeric_id: 0,
            when: When::Rfc3339(required(c.get(fields, 1), "timestamp")?),
            kind: Kind::Text(required(c.get(fields, 2), "kind")?),
            from: c.get(fields, 3),
            to: c.get(fields, 4),
            amount: required(c.get(fields, 5), "amount")?,
            currency: required(c.get(fields, 6), "currency")?,
            amount_kzt: c.get(fields, 7),
            sender_iin: c.get(fields, 8),
            atm_id: c.get(fields, 9),
            biometric: c.get(fields, 10),
            device_id: c.get(fields, 11),
            ip: c.get(fields, 12),
            reference: c.get(fields, 13),
            attrs: &attrs,
        };
        let print = chunk.fingerprint(fields);
        let r = chunk.add(&f, line, Some(print));
        self.attr_vals = recycle(attrs);
        r.map(|()| Outcome::Accepted)
    }
}

/// A parsed chunk and its bookkeeping.
pub struct Parsed<S> {
    pub sink: S,
    pub counts: Counts,
    pub rejects: Vec<LineReject>,
}

/// Parses a CSV body on `threads` threads. The body is cut at line ends into one chunk per
/// thread; a body with any quote character is read on one thread, since a quoted field may hold
/// a line end and only a sequential reader can tell.
///
/// `release` is handed the parts of `body` that have been read and will not be read again (each
/// chunk after its lines are counted, then its parsed part every [`RELEASE_EVERY`] bytes): for
/// a memory-mapped file, the caller can drop those pages, so that resident memory does not hold
/// the whole file on top of the columns built from it.
/// How much of a chunk is parsed between two calls of `release` (see [`csv_parallel`]).
pub const RELEASE_EVERY: usize = 32 << 20;

pub fn csv_parallel<S, F>(
    body: &[u8],
    first_line: u64,
    names: &[String],
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    release: &(dyn Fn(&[u8]) + Sync),
    make: F,
) -> Vec<Parsed<S>>
where
    S: RowSink + Send,
    F: Fn() -> S + Sync,
{
    let threads = if memchr::memchr(b'"', body).is_some() || body.len() < 1 << 20 {
        1
    } else {
        threads.max(1)
    };
    let mut cuts = vec![0usize];
    for k in 1..threads {
        let guess = body.len() * k / threads;
        let cut = memchr::memchr(b'\n', &body[guess..]).map_or(body.len(), |i| guess + i + 1);
        if cut > *cuts.last().expect("non-empty") {
            cuts.push(cut);
        }
    }
    cuts.push(body.len());
    let chunks: Vec<&[u8]> = cuts.windows(2).map(|w| &body[w[0]..w[1]]).collect();
    let starts: Vec<u64> = {
        let counts: Vec<u64> = std::thread::scope(|s| {
            let hs: Vec<_> = chunks
                .iter()
                .map(|c| {
                    s.spawn(move || {
                        c.chunks(RELEASE_EVERY)
                            .map(|piece| {
                                let n = memchr::memchr_iter(b'\n', piece).count() as u64;
                                release(piece);
                                n
                            })
                            .sum::<u64>()
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("line count"))
                .collect()
        });
        let mut acc = first_line;
        counts
            .iter()
            .map(|n| {
                let s = acc;
                acc += n;
                s
            })
            .collect()
    };
    std::thread::scope(|s| {
        let hs: Vec<_> = chunks
            .iter()
            .zip(starts)
            .map(|(chunk, start)| {
                let make = &make;
                s.spawn(move || {
                    let mut sink = make();
                    let mut counts = Counts::default();
                    let mut rejects = Vec::new();
                    let (done, released) =
                        (std::cell::Cell::new(0usize), std::cell::Cell::new(0usize));
                    let advance = |n: u64| {
                        progress(n);
                        let at = (done.get() + n as usize).min(chunk.len());
                        done.set(at);
                        // Behind the reader: rows are parsed line by line, never revisited.
                        if at - released.get() >= RELEASE_EVERY {
                            release(&chunk[released.get()..at]);
                            released.set(at);
                        }
                    };
                    csv_rows(
                        chunk,
                        start,
                        names,
                        &advance,
                        &mut sink,
                        &mut counts,
                        &mut rejects,
                    );
                    release(&chunk[released.get()..]);
                    Parsed {
                        sink,
                        counts,
                        rejects,
                    }
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("parser thread panicked"))
            .collect()
    })
}

/// Merges chunks, in order, into the dataset's transactions: local accounts and currencies get
/// global ids, and re-sent rows are dropped (identical) or rejected (conflicting).
pub fn merge(
    chunks: Vec<ChunkOut>,
    accounts: &mut Interner,
    currencies: &mut Currencies,
    counts: &mut Counts,
    rejects: &mut Vec<LineReject>,
) -> Transactions {
    let mut out = Transactions::new();
    // Sized for every row up front: growing a table of millions of keys holds the old and the
    // new one at once, the peak of a load.
    let rows: usize = chunks
        .iter()
        .filter(|c| c.check_keys)
        .map(|c| c.tx.len())
        .sum();
    let mut seen = Seen::with_capacity(rows);
    let mut keep = Vec::new();
    let mut any_dropped = false;
    for mut chunk in chunks {
        let amap = accounts.absorb(&chunk.accounts);
        let cmap: Vec<Currency> = chunk
            .currencies
            .iter()
            .map(|(_, code)| currencies.intern(code).unwrap_or(Currency::KZT))
            .collect();
        let remap = |a: &mut u32| {
            if *a != NO_ACCOUNT && *a & LOCAL != 0 {
                *a = amap[(*a & !LOCAL) as usize];
            }
        };
        chunk.tx.from.iter_mut().for_each(remap);
        chunk.tx.to.iter_mut().for_each(remap);
        chunk
            .tx
            .currency
            .iter_mut()
            .for_each(|c| *c = cmap[c.0 as usize]);
        if chunk.check_keys {
            for (row, &(line, print)) in chunk.keys.iter().enumerate() {
                let id = chunk.tx.ids.get(row);
                let ok = match seen.check("tx_id", &id, line, print) {
                    Ok(Check::New) => true,
                    Ok(Check::Same) => {
                        counts.accepted -= 1;
                        counts.duplicates += 1;
                        false
                    }
                    Err(e) => {
                        counts.accepted -= 1;
                        counts.rejected += 1;
                        rejects.push(LineReject {
                            line,
                            column: Some("tx_id".into()),
                            reason: e.reason,
                            raw: String::new(),
                        });
                        false
                    }
                };
                any_dropped |= !ok;
                keep.push(ok);
            }
        } else {
            keep.extend(std::iter::repeat_n(true, chunk.tx.len()));
        }
        out.append(chunk.tx);
    }
    if any_dropped {
        out.retain(&keep);
    }
    out.finish();
    out
}
