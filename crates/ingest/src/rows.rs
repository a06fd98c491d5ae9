//! Reading table files row by row, whatever their format. A reader hands each row to a
//! [`RowSink`] as fields aligned with the header (`None` for an empty cell) and turns every
//! problem it sees — wrong column count, invalid UTF-8, bad JSON — into a reject, so that the
//! sinks only ever see well-formed text.

use crate::error::IngestError;
use crate::reject::{LineReject, RowError};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Jsonl,
    Parquet,
}

impl FileKind {
    pub fn from_path(path: &Path) -> Option<FileKind> {
        match path.extension()?.to_str()? {
            "csv" => Some(FileKind::Csv),
            "jsonl" | "ndjson" => Some(FileKind::Jsonl),
            "parquet" => Some(FileKind::Parquet),
            _ => None,
        }
    }
}

/// What a sink made of a row it did not refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// An identical re-sent row: neither accepted twice nor rejected.
    Duplicate,
}

/// A table's row parser.
pub trait RowSink {
    /// Sees the header before any row; refuses the table (e.g. a missing required column).
    fn header(&mut self, names: &[String]) -> Result<(), IngestError>;
    fn row(&mut self, line: u64, fields: &[Option<&str>]) -> Result<Outcome, RowError>;
}

/// Row counts of one file or chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub duplicates: u64,
}

impl Counts {
    pub fn add(&mut self, o: Counts) {
        self.read += o.read;
        self.accepted += o.accepted;
        self.rejected += o.rejected;
        self.duplicates += o.duplicates;
    }
}

/// Feeds one row to a sink and books the outcome.
fn feed(
    sink: &mut dyn RowSink,
    line: u64,
    fields: &[Option<&str>],
    raw: impl FnOnce() -> String,
    counts: &mut Counts,
    rejects: &mut Vec<LineReject>,
) {
    match sink.row(line, fields) {
        Ok(Outcome::Accepted) => counts.accepted += 1,
        Ok(Outcome::Duplicate) => counts.duplicates += 1,
        Err(e) => reject(
            line,
            e.column.map(str::to_string),
            e.reason,
            raw(),
            counts,
            rejects,
        ),
    }
}

pub(crate) fn reject(
    line: u64,
    column: Option<String>,
    reason: String,
    raw: String,
    counts: &mut Counts,
    rejects: &mut Vec<LineReject>,
) {
    counts.rejected += 1;
    rejects.push(LineReject {
        line,
        column,
        reason,
        raw,
    });
}

/// Reads a whole table file into a sink.
pub fn read_file(
    path: &Path,
    kind: FileKind,
    sink: &mut dyn RowSink,
    rejects: &mut Vec<LineReject>,
) -> Result<Counts, IngestError> {
    match kind {
        FileKind::Csv => {
            let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
            // SAFETY: the map is read-only and dropped before this function returns; a provider
            // truncating the file while finmon reads it is outside what finmon defends against.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| IngestError::io(path, e))?;
            let (names, body_start, body_line) = csv_header(&map, path)?;
            sink.header(&names)?;
            let mut counts = Counts::default();
            csv_rows(
                &map[body_start..],
                body_line,
                &names,
                &|_| {},
                sink,
                &mut counts,
                rejects,
            );
            Ok(counts)
        }
        FileKind::Jsonl => read_jsonl(path, sink, rejects),
        FileKind::Parquet => {
            #[cfg(feature = "parquet")]
            {
                crate::parquet::read(path, sink, rejects)
            }
            #[cfg(not(feature = "parquet"))]
            {
                Err(IngestError::format(
                    path,
                    "this finmon was built without Parquet support (cargo feature `parquet`)",
                ))
            }
        }
    }
}

/// Parses the header line: column names, where the body starts, and the body's first line
/// number. A UTF-8 byte-order mark is dropped.
pub fn csv_header(bytes: &[u8], path: &Path) -> Result<(Vec<String>, usize, u64), IngestError> {
    let bytes_nobom = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bom = bytes.len() - bytes_nobom.len();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes_nobom);
    let mut rec = csv::ByteRecord::new();
    let ok = rdr
        .read_byte_record(&mut rec)
        .map_err(|e| IngestError::format(path, format!("cannot read the header: {e}")))?;
    if !ok {
        return Err(IngestError::format(
            path,
            "the file is empty (no header row)",
        ));
    }
    let mut names = Vec::with_capacity(rec.len());
    for f in rec.iter() {
        let name = std::str::from_utf8(f)
            .map_err(|_| IngestError::format(path, "the header is not valid UTF-8"))?;
        names.push(name.trim().to_string());
    }
    let end = rdr.position().byte() as usize + bom;
    let line = rdr.position().line();
    Ok((names, end, line))
}

/// Reads CSV rows (no header) from `bytes`, whose first line is `first_line` of the file.
pub fn csv_rows(
    bytes: &[u8],
    first_line: u64,
    names: &[String],
    progress: &dyn Fn(u64),
    sink: &mut dyn RowSink,
    counts: &mut Counts,
    rejects: &mut Vec<LineReject>,
) {
    let ncols = names.len();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let mut spare: Vec<Option<&str>> = Vec::with_capacity(ncols);
    let mut reported = 0u64;
    loop {
        if counts.read.is_multiple_of(65_536) {
            let at = rdr.position().byte();
            progress(at - reported);
            reported = at;
        }
        let start = rdr.position().clone();
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // csv only fails on I/O here; a slice cannot, but do not lose the rest silently.
                let line = first_line + start.line() - 1;
                reject(
                    line,
                    None,
                    format!("unreadable CSV: {e}"),
                    String::new(),
                    counts,
                    rejects,
                );
                break;
            }
        }
        counts.read += 1;
        let line = first_line + rec.position().map_or(start.line(), |p| p.line()) - 1;
        let raw = || {
            let s = rec.position().map_or(start.byte(), |p| p.byte()) as usize;
            let e = (rdr.position().byte() as usize).min(bytes.len());
            let text = &bytes[s..e.max(s)];
            let text = text.strip_suffix(b"\n").unwrap_or(text);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            String::from_utf8_lossy(text).into_owned()
        };
        if rec.len() != ncols {
            let reason = format!("expected {ncols} columns, found {}", rec.len());
            reject(line, None, reason, raw(), counts, rejects);
            continue;
        }
        let mut fields = recycle(std::mem::take(&mut spare));
        let mut bad_utf8 = None;
        for (i, f) in rec.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok("") => fields.push(None),
                Ok(s) => fields.push(Some(s)),
                Err(_) => {
                    bad_utf8 = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = bad_utf8 {
            spare = recycle(fields);
            let reason = format!("invalid UTF-8 in column {}", names[i]);
            reject(line, Some(names[i].clone()), reason, raw(), counts, rejects);
            continue;
        }
        feed(sink, line, &fields, raw, counts, rejects);
        spare = recycle(fields);
    }
    progress(bytes.len() as u64 - reported.min(bytes.len() as u64));
}

/// Reuses a vector's allocation for borrows of another lifetime (the in-place `collect` keeps
/// the buffer), so the row loop allocates nothing per row.
pub fn recycle<'b>(mut v: Vec<Option<&str>>) -> Vec<Option<&'b str>> {
    v.clear();
    v.into_iter().map(|_| None).collect()
}

fn json_cell(v: &serde_json::Value) -> Result<Option<String>, &'static str> {
    use serde_json::Value;
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        // With `arbitrary_precision`, a number keeps the exact text it was written with.
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => Err("a nested array or object is not a table cell"),
    }
}

/// JSON Lines: one object per line. The columns are every key any line uses, in first-seen
/// order (a first pass collects them), so that a key missing from early lines is not lost.
fn read_jsonl(
    path: &Path,
    sink: &mut dyn RowSink,
    rejects: &mut Vec<LineReject>,
) -> Result<Counts, IngestError> {
    let bytes = std::fs::read(path).map_err(|e| IngestError::io(path, e))?;
    let lines = || {
        bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l.strip_suffix(b"\r").unwrap_or(l)))
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
    };
    let mut names: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    for (_, l) in lines() {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(l) {
            for k in m.keys() {
                if !index.contains_key(k) {
                    index.insert(k.clone(), names.len());
                    names.push(k.clone());
                }
            }
        }
    }
    sink.header(&names)?;
    let mut counts = Counts::default();
    let mut cells: Vec<Option<String>> = vec![None; names.len()];
    for (line, l) in lines() {
        counts.read += 1;
        let raw = || String::from_utf8_lossy(l).into_owned();
        let text = match std::str::from_utf8(l) {
            Ok(t) => t,
            Err(_) => {
                reject(
                    line,
                    None,
                    "invalid UTF-8".into(),
                    raw(),
                    &mut counts,
                    rejects,
                );
                continue;
            }
        };
        let obj = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(_) => {
                let reason = "a JSON Lines row must be an object".to_string();
                reject(line, None, reason, raw(), &mut counts, rejects);
                continue;
            }
            Err(e) => {
                let reason = format!("invalid JSON: {e}");
                reject(line, None, reason, raw(), &mut counts, rejects);
                continue;
            }
        };
        cells.iter_mut().for_each(|c| *c = None);
        let mut bad = None;
        for (k, v) in &obj {
            let i = index[k];
            match json_cell(v) {
                Ok(c) => cells[i] = c,
                Err(why) => {
                    bad = Some((k.clone(), why));
                    break;
                }
            }
        }
        if let Some((k, why)) = bad {
            reject(line, Some(k), why.to_string(), raw(), &mut counts, rejects);
            continue;
        }
        let fields: Vec<Option<&str>> = cells.iter().map(|c| c.as_deref()).collect();
        feed(sink, line, &fields, raw, &mut counts, rejects);
    }
    Ok(counts)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A sink that keeps rows as text and refuses rows whose first cell is `bad`.
    #[derive(Default)]
    pub struct Collect {
        pub names: Vec<String>,
        pub rows: Vec<(u64, Vec<Option<String>>)>,
    }

    impl RowSink for Collect {
        fn header(&mut self, names: &[String]) -> Result<(), IngestError> {
            self.names = names.to_vec();
            Ok(())
        }
        fn row(&mut self, line: u64, fields: &[Option<&str>]) -> Result<Outcome, RowError> {
            if fields[0] == Some("bad") {
                return Err(RowError::new("a", "bad row"));
            }
            self.rows
                .push((line, fields.iter().map(|f| f.map(str::to_string)).collect()));
            Ok(Outcome::Accepted)
        }
    }

    pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("finmon-ingest-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn csv_rows_with_bad_lines() {
        let d = tmp("csv");
        let p = write(
            &d,
            "t.csv",
            b"\xEF\xBB\xBFa,b\n1,x\n\"multi\nline\",y\nbad,z\n2\n3,\xff\n4,\r\n",
        );
        let mut sink = Collect::default();
        let mut rejects = vec![];
        let c = read_file(&p, FileKind::Csv, &mut sink, &mut rejects).unwrap();
        assert_eq!(sink.names, ["a", "b"]);
        assert_eq!(
            c,
            Counts {
                read: 6,
                accepted: 3,
                rejected: 3,
                duplicates: 0
            }
        );
        let lines: Vec<u64> = sink.rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 3, 8]);
        assert_eq!(sink.rows[1].1[0].as_deref(), Some("multi\nline"));
        assert_eq!(sink.rows[2].1[1], None, "empty cell is None");
        let r: Vec<(u64, &str)> = rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            r,
            [
                (5, "bad row"),
                (6, "expected 2 columns, found 1"),
                (7, "invalid UTF-8 in column b")
            ]
        );
        assert_eq!(rejects[0].raw, "bad,z");
        assert_eq!(rejects[2].raw, "3,\u{FFFD}");
        assert_eq!(rejects[2].column.as_deref(), Some("b"));
    }

    #[test]
    fn jsonl_rows() {
        let d = tmp("jsonl");
        let p = write(
            &d,
            "t.jsonl",
            b"{\"a\":\"1\",\"n\":1250000.10}\n\n{\"a\":\"bad\"}\n[1]\n{\"a\":\"2\",\"z\":true,\"n\":null}\n{oops\n{\"a\":{\"x\":1}}\n",
        );
        let mut sink = Collect::default();
        let mut rejects = vec![];
        let c = read_file(&p, FileKind::Jsonl, &mut sink, &mut rejects).unwrap();
        assert_eq!(sink.names, ["a", "n", "z"]);
        assert_eq!((c.read, c.accepted, c.rejected), (6, 2, 4));
        assert_eq!(
            sink.rows[0].1[1].as_deref(),
            Some("1250000.10"),
            "numbers keep their text"
        );
        assert_eq!(sink.rows[1].1[2].as_deref(), Some("true"));
        let lines: Vec<u64> = rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 6, 7]);
    }
}
