//! Parquet tables, read and written with the `parquet` crate's record and column APIs (no
//! arrow). In a finmon dataset every cell is text, so a reader turns each typed value into the
//! exact text a CSV file would hold: integers and decimals digit for digit, dates as
//! `YYYY-MM-DD`, timestamps as RFC 3339 in UTC. Floating-point values are refused row by row:
//! an amount that went through a binary float is no longer the amount that was booked.

use crate::error::IngestError;
use crate::reject::LineReject;
use crate::rows::{recycle, reject, Counts, Outcome, RowSink};
use crate::transactions::Parsed;
use ::parquet::basic::{
    Compression, ConvertedType, LogicalType, Repetition, TimeUnit, Type as PhysicalType,
};
use ::parquet::column::reader::ColumnReader;
use ::parquet::data_type::{ByteArray, ByteArrayType};
use ::parquet::file::metadata::ParquetMetaData;
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::reader::{FileReader, SerializedFileReader};
use ::parquet::file::writer::SerializedFileWriter;
use ::parquet::record::{Field, Row};
use ::parquet::schema::types::{ColumnDescriptor, Type as SchemaType};
use finmon_model::time::{Date, Timestamp};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

/// Rows per row group written by [`write_strings`] (the only rows it holds in memory).
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Days since the epoch of 0000-01-01 and 9999-12-31: the dates RFC 3339 can write.
const MIN_DAY: i64 = -719_528;
const MAX_DAY: i64 = 2_932_896;

/// How a column's plain integers are to be read, when the record API does not say it itself
/// (it has no nanosecond types and hands UUIDs over as raw bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    TimestampNanos,
    TimeNanos,
    Uuid,
}

/// Reads a Parquet table into a sink, row by row (the `parquet` crate's record API, no arrow).
///
/// The header is the top-level fields of the schema; row `i` (0-based) is line `i + 2`, as if
/// the header were line 1. A value finmon cannot take as exact text (a float, a nested value,
/// bytes that are not UTF-8) rejects its row; a file that cannot be opened or decoded is an
/// [`IngestError::Format`].
pub(crate) fn read(
    path: &Path,
    sink: &mut dyn RowSink,
    rejects: &mut Vec<LineReject>,
) -> Result<Counts, IngestError> {
    let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let bad = |what: &str, e: String| IngestError::format(path, format!("{what}: {e}"));
    let reader = guard(|| SerializedFileReader::new(file).map_err(|e| e.to_string()))
        .map_err(|e| bad("not a readable Parquet file", e))?;
    let schema = reader.metadata().file_metadata().schema();
    let names: Vec<String> = schema
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let kinds: Vec<Kind> = schema.get_fields().iter().map(|f| kind(f)).collect();
    sink.header(&names)?;

    let mut iter = guard(|| reader.get_row_iter(None).map_err(|e| e.to_string()))
        .map_err(|e| bad("cannot read the rows", e))?;
    let mut counts = Counts::default();
    // One text buffer per column, reused row after row; an empty buffer is an empty cell.
    let mut cells: Vec<String> = vec![String::new(); names.len()];
    let mut spare: Vec<Option<&str>> = Vec::with_capacity(names.len());
    let mut index: u64 = 0;
    loop {
        let line = index + 2;
        let row = match guard(|| {
            iter.next()
                .map(|r| r.map_err(|e| e.to_string()))
                .transpose()
        }) {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                return Err(bad(
                    &format!("cannot decode line {line} (row {})", index + 1),
                    e,
                ))
            }
        };
        index += 1;
        counts.read += 1;
        if let Err((column, reason)) = cells_of(&row, &names, &kinds, &mut cells) {
            reject(line, column, reason, row.to_string(), &mut counts, rejects);
            continue;
        }
        let mut fields = recycle(std::mem::take(&mut spare));
        fields.extend(cells.iter().map(|c| (!c.is_empty()).then_some(c.as_str())));
        match sink.row(line, &fields) {
            Ok(Outcome::Accepted) => counts.accepted += 1,
            Ok(Outcome::Duplicate) => counts.duplicates += 1,
            Err(e) => {
                let column = e.column.map(str::to_string);
                reject(
                    line,
                    column,
                    e.reason,
                    row.to_string(),
                    &mut counts,
                    rejects,
                );
            }
        }
        spare = recycle(fields);
    }
    Ok(counts)
}

/// Runs a step of the `parquet` crate, turning a panic on a malformed file (the record API
/// still has a few `unimplemented!`s and asserts) into an error message.
fn guard<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unsupported or corrupt data".to_string());
            Err(format!("the Parquet decoder failed: {msg}"))
        }
    }
}

/// Rows decoded per column at a time by [`read_parallel`].
const BATCH_ROWS: usize = 4096;

/// A column [`read_parallel`] decodes itself, and how its values become text. The text and the
/// raw form of a rejected row are exactly what the record API path makes of the same values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fast {
    /// BYTE_ARRAY with the String (UTF8) type; the record API's `Field::Str`.
    Str,
    /// BYTE_ARRAY without a logical type; the record API's `Field::Bytes`.
    Bytes,
    /// INT32, plain or an integer type (narrowed as the converted type says).
    Int32(ConvertedType),
    /// INT64, plain or a 64-bit integer type.
    Int64(ConvertedType),
    Bool,
}

/// How [`read_parallel`] decodes a column, or `None` if only the record API path may read it.
fn fast_kind(col: &ColumnDescriptor) -> Option<Fast> {
    use ConvertedType as C;
    if col.max_rep_level() != 0 || col.max_def_level() > 1 {
        return None;
    }
    let logical = col.logical_type_ref();
    let conv = col.converted_type();
    let int = matches!(logical, None | Some(LogicalType::Integer(_)));
    match col.physical_type() {
        PhysicalType::BYTE_ARRAY => match (logical, conv) {
            (None | Some(LogicalType::String), C::UTF8) => Some(Fast::Str),
            (None, C::NONE) => Some(Fast::Bytes),
            _ => None,
        },
        PhysicalType::INT32 => match conv {
            C::NONE | C::INT_8 | C::INT_16 | C::INT_32 | C::UINT_8 | C::UINT_16 | C::UINT_32
                if int =>
            {
                Some(Fast::Int32(conv))
            }
            _ => None,
        },
        PhysicalType::INT64 => match conv {
            C::NONE | C::INT_64 | C::UINT_64 if int => Some(Fast::Int64(conv)),
            _ => None,
        },
        PhysicalType::BOOLEAN if logical.is_none() && conv == C::NONE => Some(Fast::Bool),
        _ => None,
    }
}

/// The fast decoding of every column, if the schema is flat and every column has one.
fn fast_plan(meta: &ParquetMetaData) -> Option<Vec<Fast>> {
    let fields = meta.file_metadata().schema().get_fields();
    let descr = meta.file_metadata().schema_descr();
    if fields.is_empty()
        || descr.num_columns() != fields.len()
        || fields.iter().any(|f| !f.is_primitive())
    {
        return None;
    }
    (0..fields.len())
        .map(|i| fast_kind(&descr.column(i)))
        .collect()
}

/// One column's current batch: definition levels (when the column is OPTIONAL) and the values
/// present, integers also as text.
struct ColBuf {
    fast: Fast,
    max_def: i16,
    defs: Vec<i16>,
    bytes: Vec<ByteArray>,
    i32s: Vec<i32>,
    i64s: Vec<i64>,
    bools: Vec<bool>,
    /// Integer value `k` as text is `text[bounds[k]..bounds[k + 1]]`.
    text: String,
    bounds: Vec<usize>,
    /// For an OPTIONAL column, the index of each row's value (if it has one) among the values.
    idx: Vec<u32>,
}

impl ColBuf {
    fn new(fast: Fast, max_def: i16) -> Self {
        ColBuf {
            fast,
            max_def,
            defs: Vec::new(),
            bytes: Vec::new(),
            i32s: Vec::new(),
            i64s: Vec::new(),
            bools: Vec::new(),
            text: String::new(),
            bounds: Vec::new(),
            idx: Vec::new(),
        }
    }

    /// Decodes the next `n` rows of the column, checking that the levels and values agree (so
    /// that indexing them afterwards cannot fail).
    fn fill(&mut self, reader: &mut ColumnReader, n: usize) -> Result<(), String> {
        self.defs.clear();
        self.bytes.clear();
        self.i32s.clear();
        self.i64s.clear();
        self.bools.clear();
        let defs = (self.max_def > 0).then_some(&mut self.defs);
        let got = match (reader, self.fast) {
            (ColumnReader::ByteArrayColumnReader(r), Fast::Str | Fast::Bytes) => {
                r.read_records(n, defs, None, &mut self.bytes)
            }
            (ColumnReader::Int32ColumnReader(r), Fast::Int32(_)) => {
                r.read_records(n, defs, None, &mut self.i32s)
            }
            (ColumnReader::Int64ColumnReader(r), Fast::Int64(_)) => {
                r.read_records(n, defs, None, &mut self.i64s)
            }
            (ColumnReader::BoolColumnReader(r), Fast::Bool) => {
                r.read_records(n, defs, None, &mut self.bools)
            }
            _ => return Err("the column reader does not match the schema".to_string()),
        };
        let (records, values, _) = got.map_err(|e| e.to_string())?;
        if records != n {
            return Err(format!(
                "the column ends after {records} of the {n} rows still expected"
            ));
        }
        let present = if self.max_def == 0 {
            n
        } else if self.defs.len() != n {
            return Err(format!(
                "{} definition levels for {n} rows",
                self.defs.len()
            ));
        } else {
            self.defs.iter().filter(|&&d| d == self.max_def).count()
        };
        let held = match self.fast {
            Fast::Str | Fast::Bytes => self.bytes.len(),
            Fast::Int32(_) => self.i32s.len(),
            Fast::Int64(_) => self.i64s.len(),
            Fast::Bool => self.bools.len(),
        };
        if values != present || held != present {
            return Err(format!("{held} values for {present} non-null cells"));
        }
        self.idx.clear();
        if self.max_def > 0 {
            let mut k = 0u32;
            for &d in &self.defs {
                self.idx.push(k);
                k += u32::from(d == self.max_def);
            }
        }
        self.text.clear();
        self.bounds.clear();
        self.bounds.push(0);
        // `write!` to a String cannot fail.
        match self.fast {
            Fast::Int32(conv) => {
                for &v in &self.i32s {
                    _ = match conv {
                        ConvertedType::INT_8 => write!(self.text, "{}", v as i8),
                        ConvertedType::INT_16 => write!(self.text, "{}", v as i16),
                        ConvertedType::UINT_8 => write!(self.text, "{}", v as u8),
                        ConvertedType::UINT_16 => write!(self.text, "{}", v as u16),
                        ConvertedType::UINT_32 => write!(self.text, "{}", v as u32),
                        _ => write!(self.text, "{v}"),
                    };
                    self.bounds.push(self.text.len());
                }
            }
            Fast::Int64(conv) => {
                for &v in &self.i64s {
                    _ = match conv {
                        ConvertedType::UINT_64 => write!(self.text, "{}", v as u64),
                        _ => write!(self.text, "{v}"),
                    };
                    self.bounds.push(self.text.len());
                }
            }
            Fast::Str | Fast::Bytes | Fast::Bool => {}
        }
        Ok(())
    }

    /// The index of row `r`'s value among the batch's values, if it has one.
    fn value_of(&self, r: usize) -> Option<usize> {
        if self.max_def == 0 {
            Some(r)
        } else {
            (self.defs[r] == self.max_def).then(|| self.idx[r] as usize)
        }
    }

    /// Writes the batch's cells as column `c` of `grid` (`n` rows of `ncols` cells, all `None`
    /// on entry; an empty text stays `None`), and marks in `bad` (if not marked yet) the rows
    /// whose bytes are not UTF-8.
    fn cells<'a>(&'a self, c: usize, ncols: usize, grid: &mut [Option<&'a str>], bad: &mut [u32]) {
        let slots = grid[c..].iter_mut().step_by(ncols);
        // The rows that have a value, paired with their slot and row number.
        let mut present = slots
            .enumerate()
            .filter(|(r, _)| self.max_def == 0 || self.defs[*r] == self.max_def);
        match self.fast {
            Fast::Str | Fast::Bytes => {
                for (v, (r, slot)) in self.bytes.iter().zip(&mut present) {
                    let b = v.data();
                    // Most cells are ASCII, which is quicker to check.
                    let text = if b.is_ascii() {
                        // SAFETY: ASCII is valid UTF-8.
                        Ok(unsafe { std::str::from_utf8_unchecked(b) })
                    } else {
                        std::str::from_utf8(b)
                    };
                    match text {
                        Ok("") => {}
                        Ok(text) => *slot = Some(text),
                        Err(_) => {
                            if bad[r] == NO_BAD {
                                bad[r] = c as u32;
                            }
                        }
                    }
                }
            }
            Fast::Int32(_) | Fast::Int64(_) => {
                for (b, (_, slot)) in self.bounds.windows(2).zip(&mut present) {
                    *slot = Some(&self.text[b[0]..b[1]]);
                }
            }
            Fast::Bool => {
                for (&v, (_, slot)) in self.bools.iter().zip(&mut present) {
                    *slot = Some(if v { "true" } else { "false" });
                }
            }
        }
    }

    /// Value `k` as the record API's `Row` display shows it.
    fn raw(&self, k: usize, out: &mut String) {
        match self.fast {
            Fast::Str | Fast::Bytes => {
                let b = self.bytes[k].data();
                match std::str::from_utf8(b) {
                    Ok(s) if self.fast == Fast::Str => _ = write!(out, "\"{s}\""),
                    _ => _ = write!(out, "{b:?}"),
                }
            }
            Fast::Int32(_) | Fast::Int64(_) => {
                out.push_str(&self.text[self.bounds[k]..self.bounds[k + 1]])
            }
            Fast::Bool => out.push_str(if self.bools[k] { "true" } else { "false" }),
        }
    }
}

/// No column of the row has bytes that are not UTF-8.
const NO_BAD: u32 = u32::MAX;

/// Row `r` of the batch as the record API's `Row` display shows it (`{name: value, …}`).
fn raw_row(cols: &[ColBuf], names: &[String], r: usize) -> String {
    let mut out = String::from("{");
    for (c, col) in cols.iter().enumerate() {
        if c > 0 {
            out.push_str(", ");
        }
        out.push_str(&names[c]);
        out.push_str(": ");
        match col.value_of(r) {
            Some(k) => col.raw(k, &mut out),
            None => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

/// Splits row groups (their row counts) into at most `parts` contiguous ranges of about equal
/// rows, each with the index of its first row in the file. There is always at least one range.
fn split_groups(rows: &[u64], parts: usize) -> Vec<(std::ops::Range<usize>, u64)> {
    let parts = parts.clamp(1, rows.len().max(1)) as u128;
    let total: u128 = rows.iter().map(|&n| u128::from(n)).sum();
    let mut cuts = vec![0usize];
    let mut cum: u128 = 0;
    for (i, &n) in rows.iter().enumerate() {
        cum += u128::from(n);
        let k = cuts.len() as u128;
        if k < parts && cum * parts >= total * k && i + 1 < rows.len() {
            cuts.push(i + 1);
        }
    }
    cuts.push(rows.len());
    let mut first: u64 = 0;
    cuts.windows(2)
        .map(|w| {
            let start = first;
            first = first.saturating_add(rows[w[0]..w[1]].iter().sum::<u64>());
            (w[0]..w[1], start)
        })
        .collect()
}

/// Reads a Parquet table on up to `threads` threads: the row groups are cut into contiguous
/// ranges, one per thread, each read into its own sink from `make` (its header already given),
/// so that the results in order are the file in order. Row `i` of the file is line `i + 2`.
///
/// Flat tables of text, integer and boolean columns are decoded with the column API in
/// batches, with no allocation per cell; a table with any other column (decimals, dates,
/// timestamps, floats, nested values…) is read on one thread by [`read`], which knows every
/// conversion. Either way a cell's text and a row's reject are the same: the one difference is
/// that text that is not UTF-8 in a String column rejects its row, where the record API fails
/// the file.
pub(crate) fn read_parallel<S, F>(
    path: &Path,
    threads: usize,
    make: F,
) -> Result<Vec<Parsed<S>>, IngestError>
where
    S: RowSink + Send,
    F: Fn() -> S + Sync,
{
    let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let bad = |what: &str, e: String| IngestError::format(path, format!("{what}: {e}"));
    let reader = guard(|| SerializedFileReader::new(file).map_err(|e| e.to_string()))
        .map_err(|e| bad("not a readable Parquet file", e))?;
    let meta = reader.metadata();
    let Some(plan) = fast_plan(meta) else {
        drop(reader);
        let mut sink = make();
        let mut rejects = Vec::new();
        let counts = read(path, &mut sink, &mut rejects)?;
        return Ok(vec![Parsed {
            sink,
            counts,
            rejects,
        }]);
    };
    let names: Vec<String> = meta
        .file_metadata()
        .schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let descr = meta.file_metadata().schema_descr();
    let max_defs: Vec<i16> = (0..plan.len())
        .map(|c| descr.column(c).max_def_level())
        .collect();
    let mut group_rows = Vec::with_capacity(meta.num_row_groups());
    for (g, rg) in meta.row_groups().iter().enumerate() {
        let n = u64::try_from(rg.num_rows()).map_err(|_| {
            bad(
                "corrupt footer",
                format!("row group {} has {} rows", g + 1, rg.num_rows()),
            )
        })?;
        group_rows.push(n);
    }
    if group_rows
        .iter()
        .try_fold(0u64, |a, &n| a.checked_add(n))
        .is_none_or(|t| t > u64::MAX - 2)
    {
        return Err(bad("corrupt footer", "too many rows".to_string()));
    }
    drop(reader);

    let ranges = split_groups(&group_rows, threads);
    let mut jobs = Vec::with_capacity(ranges.len());
    for (groups, first) in ranges {
        let mut sink = make();
        sink.header(&names)?;
        jobs.push((groups, first, sink));
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    let results: Vec<Result<Parsed<S>, IngestError>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(groups, first, mut sink)| {
                let (names, plan, max_defs, group_rows, stop) =
                    (&names, &plan, &max_defs, &group_rows, &stop);
                s.spawn(move || {
                    let mut counts = Counts::default();
                    let mut rejects = Vec::new();
                    let job = RangeJob {
                        path,
                        names,
                        plan,
                        max_defs,
                        group_rows,
                        stop,
                    };
                    let r = job.run(groups, first, &mut sink, &mut counts, &mut rejects);
                    if r.is_err() {
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    r.map(|()| Parsed {
                        sink,
                        counts,
                        rejects,
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.into_iter().collect()
}

/// What every thread of [`read_parallel`] shares.
struct RangeJob<'a> {
    path: &'a Path,
    names: &'a [String],
    plan: &'a [Fast],
    max_defs: &'a [i16],
    group_rows: &'a [u64],
    /// Set when a thread fails, so that the others stop early.
    stop: &'a std::sync::atomic::AtomicBool,
}

impl RangeJob<'_> {
    /// Reads row groups `groups`, whose first row is row `first` of the file, into `sink`.
    fn run<S: RowSink>(
        &self,
        groups: std::ops::Range<usize>,
        first: u64,
        sink: &mut S,
        counts: &mut Counts,
        rejects: &mut Vec<LineReject>,
    ) -> Result<(), IngestError> {
        let path = self.path;
        let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
        let reader = guard(|| SerializedFileReader::new(file).map_err(|e| e.to_string()))
            .map_err(|e| IngestError::format(path, format!("not a readable Parquet file: {e}")))?;
        let mut cols: Vec<ColBuf> = self
            .plan
            .iter()
            .zip(self.max_defs)
            .map(|(&f, &d)| ColBuf::new(f, d))
            .collect();
        let ncols = cols.len();
        // The batch's cells, row after row, and each row's first column that is not UTF-8.
        let mut spare: Vec<Option<&str>> = Vec::new();
        let mut bad: Vec<u32> = Vec::new();
        let mut index = first;
        for g in groups {
            if self.stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Another range failed; its error is the one reported.
                return Ok(());
            }
            let rows = self.group_rows[g];
            let group_first = index;
            let fail = move |e: String| {
                IngestError::format(
                    path,
                    format!(
                        "cannot decode row group {} (lines {} to {}): {e}",
                        g + 1,
                        group_first + 2,
                        group_first + 1 + rows
                    ),
                )
            };
            let mut readers = guard(|| {
                let rg = reader.get_row_group(g).map_err(|e| e.to_string())?;
                (0..cols.len())
                    .map(|c| {
                        rg.get_column_reader(c)
                            .map_err(|e| format!("column {}: {e}", self.names[c]))
                    })
                    .collect::<Result<Vec<ColumnReader>, String>>()
            })
            .map_err(fail)?;
            let mut left = rows;
            while left > 0 {
                let n = left.min(BATCH_ROWS as u64) as usize;
                guard(|| {
                    for (c, (col, r)) in cols.iter_mut().zip(readers.iter_mut()).enumerate() {
                        col.fill(r, n)
                            .map_err(|e| format!("column {}: {e}", self.names[c]))?;
                    }
                    Ok(())
                })
                .map_err(fail)?;
                let mut grid = recycle(std::mem::take(&mut spare));
                grid.resize(n * ncols, None);
                bad.clear();
                bad.resize(n, NO_BAD);
                guard(|| {
                    for (c, col) in cols.iter().enumerate() {
                        col.cells(c, ncols, &mut grid, &mut bad);
                    }
                    Ok(())
                })
                .map_err(fail)?;
                for (r, fields) in grid.chunks_exact(ncols.max(1)).enumerate().take(n) {
                    let line = index + 2;
                    index += 1;
                    counts.read += 1;
                    let raw = || raw_row(&cols, self.names, r);
                    if let Some(&c) = bad.get(r).filter(|&&c| c != NO_BAD) {
                        let column = Some(self.names[c as usize].clone());
                        let reason = "invalid UTF-8".to_string();
                        reject(line, column, reason, raw(), counts, rejects);
                        continue;
                    }
                    match sink.row(line, fields) {
                        Ok(Outcome::Accepted) => counts.accepted += 1,
                        Ok(Outcome::Duplicate) => counts.duplicates += 1,
                        Err(e) => {
                            let column = e.column.map(str::to_string);
                            reject(line, column, e.reason, raw(), counts, rejects);
                        }
                    }
                }
                spare = recycle(grid);
                left -= n as u64;
            }
        }
        Ok(())
    }
}

fn kind(field: &SchemaType) -> Kind {
    if !field.is_primitive() {
        return Kind::Plain;
    }
    match (
        field.get_physical_type(),
        field.get_basic_info().logical_type_ref(),
    ) {
        (PhysicalType::INT64, Some(LogicalType::Timestamp(t))) if t.unit == TimeUnit::NANOS => {
            Kind::TimestampNanos
        }
        (PhysicalType::INT64, Some(LogicalType::Time(t))) if t.unit == TimeUnit::NANOS => {
            Kind::TimeNanos
        }
        (PhysicalType::FIXED_LEN_BYTE_ARRAY, Some(LogicalType::Uuid)) => Kind::Uuid,
        _ => Kind::Plain,
    }
}

/// Writes a row's cells as text into `cells` (cleared first; empty = no value), or says which
/// column refuses the row and why.
fn cells_of(
    row: &Row,
    names: &[String],
    kinds: &[Kind],
    cells: &mut [String],
) -> Result<(), (Option<String>, String)> {
    if row.len() != cells.len() {
        let reason = format!("expected {} columns, found {}", cells.len(), row.len());
        return Err((None, reason));
    }
    for (i, ((_, field), out)) in row.get_column_iter().zip(cells.iter_mut()).enumerate() {
        out.clear();
        cell(field, &names[i], kinds[i], out).map_err(|reason| (Some(names[i].clone()), reason))?;
    }
    Ok(())
}

/// The exact text of one value.
fn cell(field: &Field, name: &str, kind: Kind, out: &mut String) -> Result<(), String> {
    // `write!` to a String cannot fail.
    match field {
        Field::Null => {}
        Field::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Field::Byte(v) => _ = write!(out, "{v}"),
        Field::Short(v) => _ = write!(out, "{v}"),
        Field::Int(v) => _ = write!(out, "{v}"),
        Field::Long(v) => match kind {
            Kind::TimestampNanos => timestamp(v.div_euclid(1_000_000_000), out)?,
            Kind::TimeNanos => time_of_day(*v, 1_000_000_000, out)?,
            _ => _ = write!(out, "{v}"),
        },
        Field::UByte(v) => _ = write!(out, "{v}"),
        Field::UShort(v) => _ = write!(out, "{v}"),
        Field::UInt(v) => _ = write!(out, "{v}"),
        Field::ULong(v) => _ = write!(out, "{v}"),
        Field::Decimal(d) => decimal_text(d.data(), d.scale(), out)?,
        Field::Str(s) => out.push_str(s),
        Field::Bytes(b) if kind == Kind::Uuid && b.len() == 16 => {
            for (i, byte) in b.data().iter().enumerate() {
                if matches!(i, 4 | 6 | 8 | 10) {
                    out.push('-');
                }
                _ = write!(out, "{byte:02x}");
            }
        }
        Field::Bytes(b) => match std::str::from_utf8(b.data()) {
            Ok(s) => out.push_str(s),
            Err(_) => return Err("invalid UTF-8".to_string()),
        },
        Field::Date(d) => {
            if !(MIN_DAY..=MAX_DAY).contains(&i64::from(*d)) {
                return Err(format!("date out of range (years 0000 to 9999): {d} days"));
            }
            _ = write!(out, "{}", Date(*d));
        }
        Field::TimeMillis(v) => time_of_day(i64::from(*v), 1_000, out)?,
        Field::TimeMicros(v) => time_of_day(*v, 1_000_000, out)?,
        Field::TimestampMillis(v) => timestamp(v.div_euclid(1_000), out)?,
        Field::TimestampMicros(v) => timestamp(v.div_euclid(1_000_000), out)?,
        Field::Float16(_) | Field::Float(_) | Field::Double(_) => {
            return Err(format!(
                "floating-point value in column {name}: amounts and other values must be exact \
                 (write it as a decimal or a string)"
            ))
        }
        Field::Group(_) | Field::ListInternal(_) | Field::MapInternal(_) => {
            return Err(format!("nested value in column {name}"))
        }
    }
    Ok(())
}

/// Whole seconds since the epoch as RFC 3339 UTC, within years 0000 to 9999.
fn timestamp(secs: i64, out: &mut String) -> Result<(), String> {
    if !(MIN_DAY * 86_400..(MAX_DAY + 1) * 86_400).contains(&secs) {
        return Err(format!(
            "timestamp out of range (years 0000 to 9999): {secs} seconds"
        ));
    }
    _ = write!(out, "{}", Timestamp(secs));
    Ok(())
}

/// A time of day `v` in units of `1/per_sec` second as `HH:MM:SS`, with the fraction written
/// out in full when it is not zero.
fn time_of_day(v: i64, per_sec: i64, out: &mut String) -> Result<(), String> {
    if !(0..86_400 * per_sec).contains(&v) {
        return Err(format!("time of day out of range: {v}"));
    }
    let (secs, frac) = (v / per_sec, v % per_sec);
    _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 {
        let width = per_sec.ilog10() as usize;
        _ = write!(out, ".{frac:0width$}");
    }
    Ok(())
}

/// The exact decimal text of an unscaled big-endian two's-complement integer and a scale
/// (`12345`, scale 2 → `123.45`), trailing zeros kept. Values beyond 128 bits are refused.
fn decimal_text(bytes: &[u8], scale: i32, out: &mut String) -> Result<(), String> {
    const MAX_SCALE: i32 = 76;
    if !(-MAX_SCALE..=MAX_SCALE).contains(&scale) {
        return Err(format!("decimal scale {scale} out of range"));
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let ext = if negative { 0xFF } else { 0x00 };
    let (high, low) = bytes.split_at(bytes.len().saturating_sub(16));
    // Bytes beyond the low 16 may only repeat the sign.
    if high.iter().any(|&b| b != ext) || low.first().is_some_and(|b| (b & 0x80 != 0) != negative) {
        return Err("decimal value too large (more than 38 digits)".to_string());
    }
    let mut v: i128 = if negative { -1 } else { 0 };
    for &b in low {
        v = (v << 8) | i128::from(b);
    }
    let digits = v.unsigned_abs().to_string();
    if negative {
        out.push('-');
    }
    if scale <= 0 {
        out.push_str(&digits);
        if v != 0 {
            out.extend(std::iter::repeat_n('0', scale.unsigned_abs() as usize));
        }
        return Ok(());
    }
    let scale = scale as usize;
    if digits.len() <= scale {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
    Ok(())
}

/// One column of the row group being built: the values present and every row's definition
/// level (1 = value, 0 = null).
#[derive(Default)]
struct ColumnBuf {
    values: Vec<ByteArray>,
    defs: Vec<i16>,
}

/// Writes a table of text cells as Parquet: every column OPTIONAL BYTE_ARRAY with the String
/// logical type, Snappy-compressed, in row groups of up to [`ROW_GROUP_ROWS`] rows. Only one
/// row group is held in memory. Returns the number of rows written. A row whose length differs
/// from the header's is an error (and leaves a partial file behind).
pub fn write_strings<I>(path: &Path, header: &[String], rows: I) -> Result<u64, IngestError>
where
    I: IntoIterator<Item = Vec<Option<String>>>,
{
    let fail = |e: ::parquet::errors::ParquetError| {
        IngestError::format(path, format!("cannot write Parquet: {e}"))
    };
    if header.is_empty() {
        return Err(IngestError::format(
            path,
            "cannot write a table without columns",
        ));
    }
    for (i, name) in header.iter().enumerate() {
        if header[..i].contains(name) {
            return Err(IngestError::format(
                path,
                format!("duplicate column name '{name}'"),
            ));
        }
    }
    let mut fields = Vec::with_capacity(header.len());
    for name in header {
        let t = SchemaType::primitive_type_builder(name, PhysicalType::BYTE_ARRAY)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(Some(LogicalType::String))
            .build()
            .map_err(fail)?;
        fields.push(Arc::new(t));
    }
    let schema = SchemaType::group_type_builder("schema")
        .with_fields(fields)
        .build()
        .map_err(fail)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let file = std::fs::File::create(path).map_err(|e| IngestError::io(path, e))?;
    let mut writer =
        SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props)).map_err(fail)?;

    let mut cols: Vec<ColumnBuf> = (0..header.len()).map(|_| ColumnBuf::default()).collect();
    let mut buffered = 0usize;
    let mut written: u64 = 0;
    for row in rows {
        if row.len() != header.len() {
            return Err(IngestError::format(
                path,
                format!(
                    "row {} has {} cells but the header has {} columns",
                    written + buffered as u64 + 1,
                    row.len(),
                    header.len()
                ),
            ));
        }
        for (cell, col) in row.into_iter().zip(cols.iter_mut()) {
            match cell {
                Some(s) => {
                    col.values.push(ByteArray::from(s.into_bytes()));
                    col.defs.push(1);
                }
                None => col.defs.push(0),
            }
        }
        buffered += 1;
        if buffered == ROW_GROUP_ROWS {
            flush(&mut writer, &mut cols).map_err(fail)?;
            written += buffered as u64;
            buffered = 0;
        }
    }
    if buffered > 0 {
        flush(&mut writer, &mut cols).map_err(fail)?;
        written += buffered as u64;
    }
    writer.close().map_err(fail)?;
    Ok(written)
}

/// Writes the buffered rows as one row group and empties the buffers.
fn flush<W: std::io::Write + Send>(
    writer: &mut SerializedFileWriter<W>,
    cols: &mut [ColumnBuf],
) -> Result<(), ::parquet::errors::ParquetError> {
    let mut group = writer.next_row_group()?;
    for col in cols.iter_mut() {
        let mut column = group.next_column()?.ok_or_else(|| {
            ::parquet::errors::ParquetError::General("fewer columns than the schema".into())
        })?;
        column
            .typed::<ByteArrayType>()
            .write_batch(&col.values, Some(&col.defs), None)?;
        column.close()?;
        col.values.clear();
        col.defs.clear();
    }
    group.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::tests::{tmp, Collect};
    use ::parquet::data_type::{
        BoolType, DoubleType, FixedLenByteArray, FixedLenByteArrayType, Int32Type, Int64Type,
    };
    use ::parquet::schema::parser::parse_message_type;

    fn dec(bytes: &[u8], scale: i32) -> Result<String, String> {
        let mut s = String::new();
        decimal_text(bytes, scale, &mut s).map(|()| s)
    }

    #[test]
    fn parquet_decimal_text() {
        let be = |v: i128, n: usize| v.to_be_bytes()[16 - n..].to_vec();
        assert_eq!(dec(&be(12345, 4), 2).unwrap(), "123.45");
        assert_eq!(dec(&be(-12345, 4), 2).unwrap(), "-123.45");
        assert_eq!(dec(&be(-5, 8), 2).unwrap(), "-0.05");
        assert_eq!(dec(&be(5, 1), 3).unwrap(), "0.005");
        assert_eq!(dec(&be(100, 2), 2).unwrap(), "1.00");
        assert_eq!(dec(&be(0, 9), 2).unwrap(), "0.00");
        assert_eq!(dec(&be(42, 4), 0).unwrap(), "42");
        assert_eq!(dec(&be(-42, 4), -2).unwrap(), "-4200");
        assert_eq!(dec(&be(0, 4), -2).unwrap(), "0");
        assert_eq!(dec(&[], 2).unwrap(), "0.00");
        assert_eq!(dec(&[0xFF], 0).unwrap(), "-1");
        assert_eq!(dec(&[0x7F], 0).unwrap(), "127");
        assert_eq!(dec(&[0x80], 1).unwrap(), "-12.8");
        assert_eq!(dec(&be(i128::MAX, 16), 0).unwrap(), i128::MAX.to_string());
        assert_eq!(dec(&be(i128::MIN, 16), 0).unwrap(), i128::MIN.to_string());
        // Sign-extended beyond 16 bytes is fine; real extra magnitude is not.
        let mut wide = vec![0xFF; 4];
        wide.extend(be(-123_456_789, 16));
        assert_eq!(dec(&wide, 4).unwrap(), "-12345.6789");
        let mut wide = vec![0x00; 4];
        wide.extend(be(i128::MAX, 16));
        assert_eq!(
            dec(&wide, 38).unwrap(),
            "1.70141183460469231731687303715884105727"
        );
        let mut too_big = vec![0x01];
        too_big.extend([0; 16]);
        assert!(dec(&too_big, 0).is_err());
        let mut too_big = vec![0x00];
        too_big.extend(be(-1, 16));
        assert!(dec(&too_big, 0).is_err(), "a positive value past 127 bits");
        assert!(dec(&be(1, 4), 1000).is_err());
    }

    #[test]
    fn parquet_day_range() {
        assert_eq!(Date::from_ymd(0, 1, 1), Some(Date(MIN_DAY as i32)));
        assert_eq!(Date::from_ymd(9999, 12, 31), Some(Date(MAX_DAY as i32)));
        let mut s = String::new();
        timestamp((MAX_DAY + 1) * 86_400 - 1, &mut s).unwrap();
        assert_eq!(s, "9999-12-31T23:59:59Z");
        assert!(timestamp((MAX_DAY + 1) * 86_400, &mut String::new()).is_err());
        assert!(timestamp(i64::MIN, &mut String::new()).is_err());
        let mut s = String::new();
        time_of_day(34_013_050, 1_000, &mut s).unwrap();
        assert_eq!(s, "09:26:53.050");
    }

    fn cell_text(i: usize) -> Vec<Option<String>> {
        vec![
            Some(i.to_string()),
            (!i.is_multiple_of(7)).then(|| format!("Алматы ✓ №{i} 🏦")),
            match i % 5 {
                0 => None,
                1 => Some(String::new()),
                _ => Some(format!("{}.{:02}", i / 100, i % 100)),
            },
        ]
    }

    #[test]
    fn parquet_round_trip_crosses_row_groups() {
        let d = tmp("parquet-round-trip");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("t.parquet");
        let header: Vec<String> = ["id", "note", "amount"].map(String::from).to_vec();
        let n = 300_000;
        let rows = (0..n).map(|i| {
            let mut r = cell_text(i);
            if i == 5 {
                r[0] = Some("bad".into());
            }
            r
        });
        assert_eq!(write_strings(&p, &header, rows).unwrap(), n as u64);

        let meta = SerializedFileReader::new(std::fs::File::open(&p).unwrap()).unwrap();
        let meta = meta.metadata();
        assert_eq!(meta.num_row_groups(), 3, "128k + 128k + the rest");
        assert_eq!(meta.row_group(0).num_rows(), ROW_GROUP_ROWS as i64);
        assert_eq!(
            meta.row_group(0).column(1).compression(),
            Compression::SNAPPY
        );
        for f in meta.file_metadata().schema().get_fields() {
            assert_eq!(f.get_basic_info().repetition(), Repetition::OPTIONAL);
            assert_eq!(
                f.get_basic_info().logical_type_ref(),
                Some(&LogicalType::String)
            );
            assert_eq!(f.get_physical_type(), PhysicalType::BYTE_ARRAY);
        }

        let mut sink = Collect::default();
        let mut rejects = vec![];
        let c = read(&p, &mut sink, &mut rejects).unwrap();
        assert_eq!(sink.names, header);
        assert_eq!(
            c,
            Counts {
                read: n as u64,
                accepted: n as u64 - 1,
                rejected: 1,
                duplicates: 0
            }
        );
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0].line, 7);
        assert_eq!(rejects[0].column.as_deref(), Some("a"));
        assert_eq!(rejects[0].reason, "bad row");
        assert!(rejects[0].raw.contains("\"bad\""), "{}", rejects[0].raw);
        assert_eq!(sink.rows.len(), n - 1);
        for (line, cells) in &sink.rows {
            let i = (*line - 2) as usize;
            let mut want = cell_text(i);
            for c in &mut want {
                if c.as_deref() == Some("") {
                    *c = None;
                }
            }
            assert_eq!(cells, &want, "line {line}");
        }
        assert_eq!(sink.rows[0].0, 2);
        assert_eq!(sink.rows.last().unwrap().0, n as u64 + 1);
        assert_eq!(sink.rows[1].1[1].as_deref(), Some("Алматы ✓ №1 🏦"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn parquet_write_refuses_ragged_rows() {
        let d = tmp("parquet-ragged");
        std::fs::create_dir_all(&d).unwrap();
        let header = vec!["a".to_string(), "b".to_string()];
        let e = write_strings(&d.join("t.parquet"), &header, [vec![None]]).unwrap_err();
        assert!(matches!(e, IngestError::Format { .. }), "{e}");
        let dup = vec!["a".to_string(), "a".to_string()];
        let e = write_strings(&d.join("u.parquet"), &dup, Vec::new()).unwrap_err();
        assert!(matches!(e, IngestError::Format { .. }), "{e}");
        // No rows is a valid, empty table.
        let p = d.join("empty.parquet");
        assert_eq!(write_strings(&p, &header, Vec::new()).unwrap(), 0);
        let mut sink = Collect::default();
        let c = read(&p, &mut sink, &mut vec![]).unwrap();
        assert_eq!((sink.names, c.read), (header, 0));
        let _ = std::fs::remove_dir_all(&d);
    }

    /// Writes one column of a row group with the low-level writer.
    macro_rules! column {
        ($group:expr, $ty:ty, $values:expr, $defs:expr) => {{
            let mut c = $group.next_column().unwrap().unwrap();
            c.typed::<$ty>()
                .write_batch(&$values, Some(&$defs[..]), None)
                .unwrap();
            c.close().unwrap();
        }};
    }

    #[test]
    fn parquet_typed_columns() {
        let d = tmp("parquet-typed");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("t.parquet");
        let schema = parse_message_type(
            "message t {
                required int64 n;
                optional int32 d (DATE);
                optional int64 ts (TIMESTAMP(MILLIS,true));
                optional fixed_len_byte_array(9) amt (DECIMAL(20,2));
                optional int64 fee (DECIMAL(18,3));
                optional double x;
                optional boolean flag;
                optional binary raw;
                optional int64 tsn (TIMESTAMP(NANOS,true));
                optional group g { optional int32 inner; }
            }",
        )
        .unwrap();
        let file = std::fs::File::create(&p).unwrap();
        let mut w = SerializedFileWriter::new(file, Arc::new(schema), Default::default()).unwrap();
        let mut g = w.next_row_group().unwrap();
        let day = Date::from_ymd(2024, 3, 15).unwrap().0;
        let ms = 1_710_495_413_999_i64; // 2024-03-15T09:36:53.999Z
        let flba = |v: i128| FixedLenByteArray::from(v.to_be_bytes()[7..].to_vec());
        // Rows: 0 all set; 1 a double; 2 invalid UTF-8; 3 negative values; 4 a nested value.
        column!(g, Int64Type, [1, -2, 3, i64::MIN, 5], [1i16; 5]);
        column!(g, Int32Type, [day, -1], [1, 0, 0, 1, 0]);
        column!(g, Int64Type, [ms, -1], [1, 0, 0, 1, 0]);
        column!(
            g,
            FixedLenByteArrayType,
            [flba(12345), flba(-12345), flba(-5)],
            [1, 0, 1, 1, 0]
        );
        column!(g, Int64Type, [-5i64, 1_000], [1, 0, 0, 1, 0]);
        column!(g, DoubleType, [1.5f64], [0, 1, 0, 0, 0]);
        column!(g, BoolType, [true, false, false], [1, 0, 1, 1, 0]);
        let raw = ["héllo".as_bytes().to_vec(), vec![0xFF, 0xFE], vec![]];
        let raw = raw.map(ByteArray::from);
        column!(g, ByteArrayType, raw, [1, 0, 1, 1, 0]);
        column!(g, Int64Type, [ms * 1_000_000 + 1], [1, 0, 0, 0, 0]);
        column!(g, Int32Type, [7], [0, 0, 0, 0, 2]);
        g.close().unwrap();
        w.close().unwrap();

        let mut sink = Collect::default();
        let mut rejects = vec![];
        let c = read(&p, &mut sink, &mut rejects).unwrap();
        assert_eq!(
            sink.names,
            ["n", "d", "ts", "amt", "fee", "x", "flag", "raw", "tsn", "g"]
        );
        assert_eq!((c.read, c.accepted, c.rejected), (5, 2, 3));
        let s = |v: &str| Some(v.to_string());
        assert_eq!(sink.rows[0].0, 2);
        assert_eq!(
            sink.rows[0].1,
            [
                s("1"),
                s("2024-03-15"),
                s("2024-03-15T09:36:53Z"),
                s("123.45"),
                s("-0.005"),
                None,
                s("true"),
                s("héllo"),
                s("2024-03-15T09:36:53Z"),
                None,
            ]
        );
        assert_eq!(sink.rows[1].0, 5);
        assert_eq!(
            sink.rows[1].1,
            [
                Some(i64::MIN.to_string()),
                s("1969-12-31"),
                s("1969-12-31T23:59:59Z"),
                s("-0.05"),
                s("1.000"),
                None,
                s("false"),
                None,
                None,
                None,
            ]
        );
        let r: Vec<(u64, Option<&str>)> = rejects
            .iter()
            .map(|r| (r.line, r.column.as_deref()))
            .collect();
        assert_eq!(r, [(3, Some("x")), (4, Some("raw")), (6, Some("g"))]);
        assert_eq!(
            rejects[0].reason,
            "floating-point value in column x: amounts and other values must be exact \
             (write it as a decimal or a string)"
        );
        assert!(rejects[0].raw.contains("x: 1.5"), "{}", rejects[0].raw);
        assert_eq!(rejects[1].reason, "invalid UTF-8");
        assert_eq!(rejects[2].reason, "nested value in column g");
        let _ = std::fs::remove_dir_all(&d);
    }

    type Rej = (u64, Option<String>, String, String);

    /// Everything a read produced: header, rows, counts and rejects.
    struct Got {
        names: Vec<String>,
        rows: Vec<(u64, Vec<Option<String>>)>,
        counts: Counts,
        rejects: Vec<Rej>,
    }

    fn rej(r: Vec<LineReject>) -> Vec<Rej> {
        r.into_iter()
            .map(|r| (r.line, r.column, r.reason, r.raw))
            .collect()
    }

    fn by_record_api(p: &Path) -> Got {
        let mut sink = Collect::default();
        let mut rejects = vec![];
        let counts = read(p, &mut sink, &mut rejects).unwrap();
        Got {
            names: sink.names,
            rows: sink.rows,
            counts,
            rejects: rej(rejects),
        }
    }

    /// Reads with [`read_parallel`] and concatenates the chunks; also says how many there were.
    fn by_columns(p: &Path, threads: usize) -> (Got, usize) {
        let parsed = read_parallel(p, threads, Collect::default).unwrap();
        let chunks = parsed.len();
        let mut got = Got {
            names: parsed[0].sink.names.clone(),
            rows: vec![],
            counts: Counts::default(),
            rejects: vec![],
        };
        for p in parsed {
            assert_eq!(p.sink.names, got.names, "every sink sees the header");
            got.rows.extend(p.sink.rows);
            got.counts.add(p.counts);
            got.rejects.extend(rej(p.rejects));
        }
        (got, chunks)
    }

    fn assert_same(a: &Got, b: &Got) {
        assert_eq!(a.names, b.names);
        assert_eq!(a.counts, b.counts);
        assert_eq!(a.rows.len(), b.rows.len());
        for (x, y) in a.rows.iter().zip(&b.rows) {
            assert_eq!(x, y);
        }
        assert_eq!(a.rejects, b.rejects);
    }

    fn six_cells(i: usize) -> Vec<Option<String>> {
        let mut r = cell_text(i);
        if i % 50_000 == 17 {
            r[0] = Some("bad".into());
        }
        r.push((!i.is_multiple_of(3)).then(|| format!("ACC-{:06}", i % 9973)));
        r.push(Some(["KZT", "USD", "€uro", "₸"][i % 4].to_string()));
        r.push(match i % 11 {
            0 => None,
            1 => Some(String::new()),
            _ => Some(format!("{}\n\"q\", {}", i * 7, "日本語".repeat(i % 4))),
        });
        r
    }

    #[test]
    fn parquet_parallel_matches_record_api() {
        let d = tmp("parquet-parallel");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("t.parquet");
        let header: Vec<String> = ["id", "note", "amount", "acct", "cur", "memo"]
            .map(String::from)
            .to_vec();
        let n = 300_000;
        write_strings(&p, &header, (0..n).map(six_cells)).unwrap();
        let meta = SerializedFileReader::new(std::fs::File::open(&p).unwrap()).unwrap();
        assert!(
            fast_plan(meta.metadata()).is_some(),
            "text columns are fast"
        );

        let want = by_record_api(&p);
        assert_eq!(want.counts.read, n as u64);
        assert_eq!(want.counts.rejected, 6);
        assert_eq!(want.rejects[0].0, 19);
        assert!(want.rejects[0].3.starts_with("{id: \"bad\", note: "));
        for threads in [1, 2, 3, 8] {
            let (got, chunks) = by_columns(&p, threads);
            assert_eq!(chunks, threads.min(3), "3 row groups, {threads} threads");
            assert_same(&got, &want);
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn parquet_parallel_splits_row_groups() {
        let ranges = |rows: &[u64], t| -> Vec<(usize, usize, u64)> {
            split_groups(rows, t)
                .into_iter()
                .map(|(r, first)| (r.start, r.end, first))
                .collect()
        };
        assert_eq!(ranges(&[], 4), [(0, 0, 0)]);
        assert_eq!(ranges(&[10], 4), [(0, 1, 0)]);
        assert_eq!(ranges(&[10, 10, 10, 10], 2), [(0, 2, 0), (2, 4, 20)]);
        assert_eq!(ranges(&[10, 10, 10], 0), [(0, 3, 0)]);
        assert_eq!(ranges(&[10, 10, 5], 3), [(0, 1, 0), (1, 2, 10), (2, 3, 20)]);
        assert_eq!(ranges(&[100, 1, 1, 1], 2), [(0, 1, 0), (1, 4, 100)]);
        assert_eq!(ranges(&[0, 0, 0], 2), [(0, 1, 0), (1, 3, 0)]);
    }

    #[test]
    fn parquet_parallel_integer_and_boolean_columns() {
        let d = tmp("parquet-parallel-ints");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("t.parquet");
        let schema = parse_message_type(
            "message t {
                required binary id (UTF8);
                required int64 n;
                optional int64 u (UINT_64);
                optional int32 i;
                optional int32 b (INT_8);
                optional int32 w (UINT_32);
                optional int64 l (INTEGER(64,true));
                optional boolean flag;
                optional binary raw;
            }",
        )
        .unwrap();
        let file = std::fs::File::create(&p).unwrap();
        let mut w = SerializedFileWriter::new(file, Arc::new(schema), Default::default()).unwrap();
        // Two row groups, so that two threads each get one.
        for group in 0..2 {
            let rows = 5000;
            let mut g = w.next_row_group().unwrap();
            let ids: Vec<ByteArray> = (0..rows)
                .map(|i| {
                    let s = if i == 7 {
                        "bad".into()
                    } else {
                        format!("{group}-{i}")
                    };
                    ByteArray::from(s.into_bytes())
                })
                .collect();
            column!(g, ByteArrayType, ids, vec![0i16; rows]);
            let n: Vec<i64> = (0..rows as i64).map(|i| i * 1_000_003 - 7).collect();
            column!(g, Int64Type, n, vec![0i16; rows]);
            let defs: Vec<i16> = (0..rows).map(|i| i16::from(i % 3 != 0)).collect();
            let some = defs.iter().filter(|&&d| d == 1).count();
            let u: Vec<i64> = (0..some as i64).map(|i| -1 - i).collect();
            column!(g, Int64Type, u, defs);
            let i: Vec<i32> = (0..some as i32).map(|i| i32::MIN + i).collect();
            column!(g, Int32Type, i, defs);
            let b: Vec<i32> = (0..some as i32).map(|i| i * 37).collect();
            column!(g, Int32Type, b, defs);
            let wv: Vec<i32> = (0..some as i32).map(|i| -i).collect();
            column!(g, Int32Type, wv, defs);
            let l: Vec<i64> = (0..some as i64).map(|i| i64::MAX - i).collect();
            column!(g, Int64Type, l, defs);
            let f: Vec<bool> = (0..some).map(|i| i % 2 == 0).collect();
            column!(g, BoolType, f, defs);
            let raw: Vec<ByteArray> = (0..some)
                .map(|i| match i % 1000 {
                    5 => vec![b'x', 0xC3],
                    6 => vec![],
                    _ => format!("r{i} ✓").into_bytes(),
                })
                .map(ByteArray::from)
                .collect();
            column!(g, ByteArrayType, raw, defs);
            g.close().unwrap();
        }
        w.close().unwrap();
        let meta = SerializedFileReader::new(std::fs::File::open(&p).unwrap()).unwrap();
        assert!(fast_plan(meta.metadata()).is_some(), "integers are fast");

        let want = by_record_api(&p);
        assert_eq!(
            want.rows[0].1,
            [
                Some("0-0".to_string()),
                Some("-7".to_string()),
                None,
                None,
                None,
                None,
                None,
                None,
                None
            ]
        );
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            want.rows[1].1,
            [
                s("0-1"),
                s("999996"),
                s(&u64::MAX.to_string()),
                s(&i32::MIN.to_string()),
                s("0"),
                s("0"),
                s(&i64::MAX.to_string()),
                s("true"),
                s("r0 ✓"),
            ]
        );
        // Invalid UTF-8 in `raw` rejects its row only; the sink refuses the `bad` ids.
        let r: Vec<(u64, Option<&str>, &str)> = want
            .rejects
            .iter()
            .map(|r| (r.0, r.1.as_deref(), r.2.as_str()))
            .collect();
        assert_eq!(r.len(), 2 + 2 * 4, "{r:?}");
        assert_eq!(r[0], (9, Some("a"), "bad row"));
        assert!(r
            .iter()
            .any(|x| x.1 == Some("raw") && x.2 == "invalid UTF-8"));
        assert_eq!(want.counts.read, 10_000);
        for threads in [1, 2] {
            let (got, chunks) = by_columns(&p, threads);
            assert_eq!(chunks, threads);
            assert_same(&got, &want);
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn parquet_parallel_falls_back_for_other_types() {
        let d = tmp("parquet-parallel-double");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("t.parquet");
        let schema =
            parse_message_type("message t { required int64 n; optional double x; }").unwrap();
        let file = std::fs::File::create(&p).unwrap();
        let mut w = SerializedFileWriter::new(file, Arc::new(schema), Default::default()).unwrap();
        for _ in 0..2 {
            let mut g = w.next_row_group().unwrap();
            column!(g, Int64Type, [1i64, 2, 3], [0i16; 3]);
            column!(g, DoubleType, [2.5f64], [0, 1, 0]);
            g.close().unwrap();
        }
        w.close().unwrap();
        let meta = SerializedFileReader::new(std::fs::File::open(&p).unwrap()).unwrap();
        assert!(fast_plan(meta.metadata()).is_none(), "a double is not");

        let want = by_record_api(&p);
        let (got, chunks) = by_columns(&p, 2);
        assert_eq!(chunks, 1, "the record API path is one thread");
        assert_same(&got, &want);
        assert_eq!((got.counts.read, got.counts.rejected), (6, 2));
        let lines: Vec<u64> = got.rejects.iter().map(|r| r.0).collect();
        assert_eq!(lines, [3, 6]);
        assert_eq!(got.rejects[0].1.as_deref(), Some("x"));
        assert!(got.rejects[0].3.contains("x: 2.5"), "{}", got.rejects[0].3);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn parquet_parallel_invalid_utf8_rejects_the_row() {
        let d = tmp("parquet-parallel-utf8");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("t.parquet");
        let schema =
            parse_message_type("message t { optional binary a; optional binary s (UTF8); }")
                .unwrap();
        let file = std::fs::File::create(&p).unwrap();
        let mut w = SerializedFileWriter::new(file, Arc::new(schema), Default::default()).unwrap();
        let mut g = w.next_row_group().unwrap();
        let a = [
            b"1".to_vec(),
            vec![0xFF, b'x'],
            b"3".to_vec(),
            b"4".to_vec(),
        ];
        column!(g, ByteArrayType, a.map(ByteArray::from), [1i16; 4]);
        let s = [
            b"ok".to_vec(),
            b"ok".to_vec(),
            vec![0xE2, 0x82],
            b"".to_vec(),
        ];
        column!(g, ByteArrayType, s.map(ByteArray::from), [1i16; 4]);
        g.close().unwrap();
        w.close().unwrap();

        let (got, _) = by_columns(&p, 2);
        let s = |v: &str| Some(v.to_string());
        assert_eq!(got.counts.read, 4);
        assert_eq!(got.counts.accepted, 2);
        assert_eq!(
            got.rows,
            [(2, vec![s("1"), s("ok")]), (5, vec![s("4"), None])]
        );
        assert_eq!(
            got.rejects,
            [
                (
                    3,
                    s("a"),
                    "invalid UTF-8".to_string(),
                    "{a: [255, 120], s: \"ok\"}".to_string()
                ),
                (
                    4,
                    s("s"),
                    "invalid UTF-8".to_string(),
                    "{a: [51], s: [226, 130]}".to_string()
                ),
            ]
        );
        // The record API refuses the whole file over the String column; the plain column's
        // reject is the same.
        assert!(read(&p, &mut Collect::default(), &mut vec![]).is_err());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn parquet_decoder_panics_become_format_errors() {
        // The record API has no conversion for INTERVAL and panics (`unimplemented!`).
        let d = tmp("parquet-interval");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("t.parquet");
        let schema =
            parse_message_type("message t { optional fixed_len_byte_array(12) iv (INTERVAL); }")
                .unwrap();
        let file = std::fs::File::create(&p).unwrap();
        let mut w = SerializedFileWriter::new(file, Arc::new(schema), Default::default()).unwrap();
        let mut g = w.next_row_group().unwrap();
        let iv = [FixedLenByteArray::from(vec![1u8; 12])];
        column!(g, FixedLenByteArrayType, iv, [1i16]);
        g.close().unwrap();
        w.close().unwrap();
        let mut sink = Collect::default();
        match read(&p, &mut sink, &mut vec![]) {
            Err(IngestError::Format { message, .. }) => {
                assert!(message.contains("line 2"), "{message}")
            }
            other => panic!("expected a format error, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn parquet_corrupt_files_are_format_errors() {
        let d = tmp("parquet-corrupt");
        std::fs::create_dir_all(&d).unwrap();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let mut framed = b"PAR1".to_vec();
        framed.extend(&noise);
        framed.extend(100u32.to_le_bytes());
        framed.extend(b"PAR1");
        let good = d.join("good.parquet");
        let header = vec!["a".to_string()];
        let rows = (0..1000).map(|i| vec![Some(format!("value {i}"))]);
        write_strings(&good, &header, rows).unwrap();
        let good = std::fs::read(&good).unwrap();
        // The footer intact but the data pages scrambled.
        let mut scrambled = good.clone();
        for b in &mut scrambled[4..good.len() / 2] {
            *b ^= 0x5A;
        }
        let cases: [(&str, &[u8]); 5] = [
            ("noise", &noise),
            ("framed", &framed),
            ("empty", b""),
            ("truncated", &good[..good.len() / 2]),
            ("scrambled", &scrambled),
        ];
        for (name, bytes) in cases {
            let p = d.join(format!("{name}.parquet"));
            std::fs::write(&p, bytes).unwrap();
            let mut sink = Collect::default();
            match read(&p, &mut sink, &mut vec![]) {
                Err(IngestError::Format { .. }) => {}
                other => panic!("{name}: expected a format error, got {other:?}"),
            }
            for threads in [1, 2] {
                match read_parallel(&p, threads, Collect::default) {
                    Err(IngestError::Format { .. }) => {}
                    Err(e) => panic!("{name}: expected a format error, got {e:?}"),
                    Ok(_) => panic!("{name}: expected a format error, got rows"),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
