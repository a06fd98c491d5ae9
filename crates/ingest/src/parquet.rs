//! Parquet tables, read and written with the `parquet` crate's record and column APIs (no
//! arrow). In a finmon dataset every cell is text, so a reader turns each typed value into the
//! exact text a CSV file would hold: integers and decimals digit for digit, dates as
//! `YYYY-MM-DD`, timestamps as RFC 3339 in UTC. Floating-point values are refused row by row:
//! an amount that went through a binary float is no longer the amount that was booked.

use crate::error::IngestError;
use crate::reject::LineReject;
use crate::rows::{recycle, Counts, Outcome, RowSink};
use ::parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as PhysicalType};
use ::parquet::data_type::{ByteArray, ByteArrayType};
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::reader::{FileReader, SerializedFileReader};
use ::parquet::file::writer::SerializedFileWriter;
use ::parquet::record::{Field, Row};
use ::parquet::schema::types::Type as SchemaType;
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
            reject(line, column, reason, &row, &mut counts, rejects);
            continue;
        }
        let mut fields = recycle(std::mem::take(&mut spare));
        fields.extend(cells.iter().map(|c| (!c.is_empty()).then_some(c.as_str())));
        match sink.row(line, &fields) {
            Ok(Outcome::Accepted) => counts.accepted += 1,
            Ok(Outcome::Duplicate) => counts.duplicates += 1,
            Err(e) => {
                let column = e.column.map(str::to_string);
                reject(line, column, e.reason, &row, &mut counts, rejects);
            }
        }
        spare = recycle(fields);
    }
    Ok(counts)
}

fn reject(
    line: u64,
    column: Option<String>,
    reason: String,
    row: &Row,
    counts: &mut Counts,
    rejects: &mut Vec<LineReject>,
) {
    counts.rejected += 1;
    rejects.push(LineReject {
        line,
        column,
        reason,
        raw: row.to_string(),
    });
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
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
