//! Ingest: a dataset folder in, the domain model out, and nothing lost on the way.
//!
//! A folder holds one file per table (`<table>.csv`, `.jsonl` or `.parquet`, see `dataset.md`),
//! or an IBM AMLSim or AMLworld export read through an adapter. Every row is validated; a bad
//! row becomes a [`Reject`] with its file, line, column and reason and the good rows go on. A
//! table that cannot be read at all (a missing required column) is refused with an error that
//! names the column; only a folder without transactions stops the load.
//!
//! Tables load in dependency order (reference tables, then rates, then transactions), so that
//! listed accounts get the first ids and every amount can be valued in tenge as it is read.

pub mod amlsim;
pub mod amlworld;
pub mod columns;
mod error;
pub mod export;
#[cfg(feature = "parquet")]
pub mod parquet;
mod reject;
pub mod rows;
pub mod tables;
pub mod transactions;

pub use error::IngestError;
pub use reject::{LineReject, Reject, RowError};
pub use rows::{Counts, FileKind};

use finmon_model::{
    Dataset, Decimal, Institution, InstitutionKind, Label, Subject, SubjectKind, Typology,
};
use rows::RowSink;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tables::{RefSink, Spec};
use transactions::{ChunkOut, TxContext};

/// Which reader a folder needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Auto,
    Finmon,
    Amlsim,
    Amlworld,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Format::Auto),
            "finmon" => Ok(Format::Finmon),
            "amlsim" => Ok(Format::Amlsim),
            "amlworld" => Ok(Format::Amlworld),
            o => Err(format!(
                "unknown format '{o}' (expected auto, finmon, amlsim or amlworld)"
            )),
        }
    }
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Finmon => "finmon",
            Format::Amlsim => "amlsim",
            Format::Amlworld => "amlworld",
        }
    }
}

/// Told how far loading has got, for a progress bar.
pub trait Progress: Send + Sync {
    /// The transactions file starts being read: `bytes` in all.
    fn start(&self, file: &str, bytes: u64);
    /// `bytes` more of it have been read (called from every parser thread).
    fn advance(&self, bytes: u64);
}

#[derive(Clone)]
pub struct Options {
    pub format: Format,
    /// Parser threads for large transaction files.
    pub threads: usize,
    pub progress: Option<std::sync::Arc<dyn Progress>>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("format", &self.format)
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: Format::Auto,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            progress: None,
        }
    }
}

/// How one table went.
#[derive(Debug, Clone, Default)]
pub struct TableReport {
    pub files: Vec<String>,
    pub counts: Counts,
    /// Set when the whole table was refused.
    pub error: Option<String>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub format: Option<Format>,
    pub tables: BTreeMap<String, TableReport>,
    pub rejects: Vec<Reject>,
    /// Accounts that only transactions named, created with kind `unknown`.
    pub accounts_created: usize,
}

impl Report {
    fn table(&mut self, name: &str) -> &mut TableReport {
        self.tables.entry(name.to_string()).or_default()
    }

    fn add_rejects(&mut self, table: &str, file: &str, rejects: Vec<LineReject>) {
        self.rejects
            .extend(rejects.into_iter().map(|r| r.into_reject(table, file)));
    }

    /// Books a refused table: the error in the report and one reject row that names it.
    fn refuse(&mut self, table: &str, file: &str, err: &IngestError) {
        let column = match err {
            IngestError::MissingColumn { column, .. } => Some(column.clone()),
            _ => None,
        };
        let t = self.table(table);
        t.error = Some(err.to_string());
        self.rejects.push(Reject {
            table: table.to_string(),
            file: file.to_string(),
            line: 1,
            column,
            reason: format!("table not loaded: {err}"),
            raw: String::new(),
        });
    }
}

/// A loaded dataset: what detection sees, the ground truth kept apart, and the load's report.
#[derive(Debug, Default)]
pub struct Loaded {
    pub dataset: Dataset,
    pub labels: Vec<Label>,
    pub report: Report,
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The file of a finmon table in `dir`, if any.
pub fn table_file(dir: &Path, table: &str) -> Result<Option<(PathBuf, FileKind)>, IngestError> {
    let found: Vec<(PathBuf, FileKind)> = ["csv", "jsonl", "ndjson", "parquet"]
        .iter()
        .map(|ext| dir.join(format!("{table}.{ext}")))
        .filter(|p| p.is_file())
        .filter_map(|p| FileKind::from_path(&p).map(|k| (p, k)))
        .collect();
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.into_iter().next()),
        _ => Err(IngestError::Ambiguous {
            table: table.to_string(),
            files: found
                .iter()
                .map(|(p, _)| file_name(p))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Files in `dir` whose names end with `suffix` (AMLworld's `*_Trans.csv`), sorted.
fn files_ending(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, IngestError> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IngestError::io(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && file_name(p).ends_with(suffix))
        .collect();
    out.sort();
    Ok(out)
}

fn csv_header_of(path: &Path) -> Result<Vec<String>, IngestError> {
    use std::io::BufRead;
    let f = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let mut line = Vec::new();
    std::io::BufReader::new(f)
        .read_until(b'\n', &mut line)
        .map_err(|e| IngestError::io(path, e))?;
    rows::csv_header(&line, path).map(|(names, _, _)| names)
}

/// Recognises the layout of a dataset folder.
pub fn detect_format(dir: &Path) -> Result<Format, IngestError> {
    if !dir.is_dir() {
        return Err(IngestError::NotAFolder(dir.to_path_buf()));
    }
    if !files_ending(dir, "_Trans.csv")?.is_empty() {
        return Ok(Format::Amlworld);
    }
    let tx_csv = dir.join("transactions.csv");
    if tx_csv.is_file() && amlsim::layout_of(&csv_header_of(&tx_csv)?).is_some() {
        return Ok(Format::Amlsim);
    }
    if table_file(dir, "transactions")?.is_some() {
        return Ok(Format::Finmon);
    }
    Err(IngestError::NoTransactions(dir.to_path_buf()))
}

/// Loads a dataset folder.
pub fn load(dir: &Path, opts: &Options) -> Result<Loaded, IngestError> {
    let format = match opts.format {
        Format::Auto => detect_format(dir)?,
        f => {
            if !dir.is_dir() {
                return Err(IngestError::NotAFolder(dir.to_path_buf()));
            }
            f
        }
    };
    let mut loaded = Loaded::default();
    loaded.report.format = Some(format);
    match format {
        Format::Finmon | Format::Auto => load_finmon(dir, opts, &mut loaded)?,
        Format::Amlsim => load_amlsim(dir, opts, &mut loaded)?,
        Format::Amlworld => load_amlworld(dir, opts, &mut loaded)?,
    }
    // Rejects found while merging come after the others: give them file order again.
    loaded
        .report
        .rejects
        .sort_by(|a, b| (&a.table, &a.file, a.line).cmp(&(&b.table, &b.file, b.line)));
    let ds = &mut loaded.dataset;
    loaded.report.accounts_created = ds.accounts.keys.len() - ds.accounts.rows.len();
    ds.accounts.keys.shrink_to_fit();
    Ok(loaded)
}

/// Reads one reference table with its spec; a refused table is booked, not fatal.
fn read_ref<T: 'static>(
    dir: &Path,
    spec: &'static Spec<T>,
    report: &mut Report,
    present: &mut Vec<String>,
) -> Result<Vec<(String, T)>, IngestError> {
    let Some((path, kind)) = table_file(dir, spec.table)? else {
        return Ok(Vec::new());
    };
    read_ref_file(&path, kind, spec, spec.table, report, present)
}

fn read_ref_file<T: 'static>(
    path: &Path,
    kind: FileKind,
    spec: &'static Spec<T>,
    table: &str,
    report: &mut Report,
    present: &mut Vec<String>,
) -> Result<Vec<(String, T)>, IngestError> {
    let start = Instant::now();
    let file = file_name(path);
    let mut sink = RefSink::new(spec, &file);
    let mut rejects = Vec::new();
    let result = rows::read_file(path, kind, &mut sink, &mut rejects);
    report.table(table).files.push(file.clone());
    match result {
        Ok(counts) => {
            report.table(table).counts.add(counts);
            report.add_rejects(table, &file, rejects);
            if !present.iter().any(|t| t == table) {
                present.push(table.to_string());
            }
        }
        Err(e @ (IngestError::MissingColumn { .. } | IngestError::Format { .. })) => {
            report.refuse(table, &file, &e);
            tracing::warn!("{e}");
            return Ok(Vec::new());
        }
        Err(e) => return Err(e),
    }
    report.table(table).seconds += start.elapsed().as_secs_f64();
    Ok(sink.rows)
}

/// Reference tables shared by the finmon format and the adapters (which may sit beside a
/// `rates.csv`, say).
fn load_reference(dir: &Path, loaded: &mut Loaded) -> Result<(), IngestError> {
    let (ds, report) = (&mut loaded.dataset, &mut loaded.report);
    let present = &mut ds.present;
    for (k, v) in read_ref(dir, &tables::INSTITUTIONS, report, present)? {
        ds.institutions.insert(&k, v);
    }
    for (k, v) in read_ref(dir, &tables::PARTIES, report, present)? {
        ds.parties.insert(&k, v);
    }
    for (k, v) in read_ref(dir, &tables::ACCOUNTS, report, present)? {
        ds.accounts.insert(&k, v);
    }
    ds.identifiers = read_ref(dir, &tables::IDENTIFIERS, report, present)?
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    load_rates(dir, ds, report)?;
    for (_, v) in read_ref(dir, &tables::ATM_VIDEO, report, &mut ds.present)? {
        ds.atm_video.push(v);
    }
    Ok(())
}

/// The `rates` table, if the folder has one.
fn load_rates(dir: &Path, ds: &mut Dataset, report: &mut Report) -> Result<(), IngestError> {
    for (_, r) in read_ref(dir, &tables::RATES, report, &mut ds.present)? {
        if let Some(c) = ds.currencies.intern(&r.currency) {
            ds.rates.insert(c, r.date, r.kzt);
        }
    }
    Ok(())
}

fn load_labels(dir: &Path, loaded: &mut Loaded) -> Result<(), IngestError> {
    let mut present = Vec::new();
    let labels = read_ref(dir, &tables::LABELS, &mut loaded.report, &mut present)?;
    loaded.labels.extend(labels.into_iter().map(|(_, l)| l));
    Ok(())
}

/// Nominal tenge rates for adapter data that carries none (AMLSim and AMLworld amounts are
/// in foreign currencies with no rates table). They apply from 1970 on, so every day has one;
/// a `rates` table in the folder overrides them. Values: approximate 2025 averages.
pub const NOMINAL_RATES: &[(&str, &str)] = &[
    ("USD", "500"),
    ("EUR", "540"),
    ("CNY", "69"),
    ("JPY", "3.3"),
    ("GBP", "640"),
    ("INR", "5.9"),
    ("RUB", "5.6"),
    ("AUD", "325"),
    ("CAD", "360"),
    ("CHF", "570"),
    ("MXN", "27"),
    ("BRL", "90"),
    ("ILS", "135"),
    ("SAR", "133"),
    ("BTC", "45000000"),
];

fn nominal_rates(ds: &mut Dataset) {
    if !ds.rates.is_empty() {
        return;
    }
    let day = finmon_model::Date(0);
    for (code, kzt) in NOMINAL_RATES {
        if let (Some(c), Ok(r)) = (ds.currencies.intern(code), code_rate(kzt)) {
            ds.rates.insert(c, day, r);
        }
    }
}

fn code_rate(s: &str) -> Result<Decimal, finmon_model::ParseAmountError> {
    finmon_model::money::parse_decimal(s)
}

/// Reads a transactions file with any sink, in parallel chunks when it is CSV.
fn read_transactions<'a, S, F>(
    path: &Path,
    kind: FileKind,
    opts: &Options,
    make: F,
    report: &mut Report,
) -> Result<Vec<S>, IngestError>
where
    S: RowSink + Send + 'a,
    F: Fn() -> S + Sync,
{
    let file = file_name(path);
    let mut rejects = Vec::new();
    let mut counts = Counts::default();
    let sinks = if kind == FileKind::Csv {
        let f = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
        // SAFETY: read-only map, dropped at the end of this block.
        let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| IngestError::io(path, e))?;
        let (names, body_start, first_line) = rows::csv_header(&map, path)?;
        make().header(&names)?;
        let make_with_header = || {
            let mut s = make();
            s.header(&names).expect("header accepted above");
            s
        };
        let body = &map[body_start..];
        if let Some(p) = &opts.progress {
            p.start(&file, body.len() as u64);
        }
        let advance = |n: u64| {
            if let Some(p) = &opts.progress {
                p.advance(n);
            }
        };
        // Read pages of the file are dropped from this process (they stay in the page cache):
        // resident memory then holds the columns, not the columns plus the whole file.
        let release = |part: &[u8]| {
            let base = map.as_ptr() as usize;
            let page = 4096;
            let from = (part.as_ptr() as usize - base).next_multiple_of(page);
            let to = (part.as_ptr() as usize - base + part.len()) / page * page;
            #[cfg(unix)]
            if to > from {
                // SAFETY: MADV_DONTNEED on whole pages of this read-only file mapping only
                // unmaps them; a later read faults the same file contents back in, so no slice
                // into the map ever sees different bytes.
                let _ = unsafe {
                    map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
                };
            }
        };
        let parsed = transactions::csv_parallel(
            body,
            first_line,
            &names,
            opts.threads,
            &advance,
            &release,
            make_with_header,
        );
        parsed
            .into_iter()
            .map(|p| {
                counts.add(p.counts);
                rejects.extend(p.rejects);
                p.sink
            })
            .collect()
    } else {
        // Parquet is read on all threads, one sink per range of row groups, in file order.
        #[cfg(feature = "parquet")]
        let parsed = if kind == FileKind::Parquet {
            Some(crate::parquet::read_parallel(path, opts.threads, &make)?)
        } else {
            None
        };
        #[cfg(not(feature = "parquet"))]
        let parsed: Option<Vec<transactions::Parsed<S>>> = None;
        match parsed {
            Some(parsed) => parsed
                .into_iter()
                .map(|p| {
                    counts.add(p.counts);
                    rejects.extend(p.rejects);
                    p.sink
                })
                .collect(),
            None => {
                let mut sink = make();
                counts = rows::read_file(path, kind, &mut sink, &mut rejects)?;
                vec![sink]
            }
        }
    };
    let t = report.table("transactions");
    t.files.push(file.clone());
    t.counts.add(counts);
    report.add_rejects("transactions", &file, rejects);
    Ok(sinks)
}

/// Merges parsed chunks into the dataset and books what the merge dropped.
fn finish_transactions(
    chunks: Vec<ChunkOut>,
    ds: &mut Dataset,
    report: &mut Report,
    path: &Path,
    start: Instant,
) {
    let mut counts = report.table("transactions").counts;
    let mut rejects = Vec::new();
    let tx = transactions::merge(
        chunks,
        &mut ds.accounts.keys,
        &mut ds.currencies,
        &mut counts,
        &mut rejects,
    );
    fill_raw(path, &mut rejects);
    report.table("transactions").counts = counts;
    report.add_rejects("transactions", &file_name(path), rejects);
    ds.transactions = tx;
    ds.present.push("transactions".into());
    report.table("transactions").seconds = start.elapsed().as_secs_f64();
}

/// Gives rejects found after parsing (re-sent ids across chunks) their raw line from the file.
fn fill_raw(path: &Path, rejects: &mut [LineReject]) {
    if rejects.is_empty() || FileKind::from_path(path) != Some(FileKind::Csv) {
        return;
    }
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let mut wanted: Vec<u64> = rejects.iter().map(|r| r.line).collect();
    wanted.sort_unstable();
    let mut text = std::collections::HashMap::new();
    for (i, l) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i as u64 + 1;
        if wanted.binary_search(&line).is_ok() {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            text.insert(line, String::from_utf8_lossy(l).into_owned());
        }
    }
    for r in rejects {
        if let Some(t) = text.remove(&r.line) {
            r.raw = t;
        }
    }
}

fn load_finmon(dir: &Path, opts: &Options, loaded: &mut Loaded) -> Result<(), IngestError> {
    let Some((path, kind)) = table_file(dir, "transactions")? else {
        return Err(IngestError::NoTransactions(dir.to_path_buf()));
    };
    load_reference(dir, loaded)?;
    let start = Instant::now();
    let ds = &mut loaded.dataset;
    let ctx = TxContext::of(ds);
    let file = file_name(&path);
    let sinks = read_transactions(
        &path,
        kind,
        opts,
        || transactions::FinmonTx::new(&ctx, &file),
        &mut loaded.report,
    )?;
    let chunks: Vec<ChunkOut> = sinks
        .into_iter()
        .filter_map(|s| s.into_chunk().map(|c| c.finish()))
        .collect();
    finish_transactions(chunks, ds, &mut loaded.report, &path, start);
    load_labels(dir, loaded)
}

/// Adds an institution of kind `bank` for an id an adapter names, once.
fn ensure_bank(ds: &mut Dataset, id: &str, name: Option<String>) {
    if ds.institutions.index(id).is_none() {
        ds.institutions.insert(
            id,
            Institution {
                kind: InstitutionKind::Bank,
                name,
                country: None,
                bin: None,
                license: None,
                bank_linked: None,
                attrs: Vec::new(),
            },
        );
    }
}

fn load_amlworld(dir: &Path, opts: &Options, loaded: &mut Loaded) -> Result<(), IngestError> {
    let trans = files_ending(dir, "_Trans.csv")?;
    let Some(path) = trans.first().cloned() else {
        return Err(IngestError::NoTransactions(dir.to_path_buf()));
    };
    if trans.len() > 1 {
        return Err(IngestError::Ambiguous {
            table: "transactions".into(),
            files: trans
                .iter()
                .map(|p| file_name(p))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    load_reference(dir, loaded)?;
    let stem = file_name(&path).trim_end_matches("_Trans.csv").to_string();
    let (ds, report) = (&mut loaded.dataset, &mut loaded.report);
    let accounts_path = dir.join(format!("{stem}_accounts.csv"));
    if accounts_path.is_file() {
        let rows = read_ref_file(
            &accounts_path,
            FileKind::Csv,
            &amlworld::ACCOUNTS,
            "accounts",
            report,
            &mut ds.present,
        )?;
        for (key, r) in rows {
            ensure_bank(ds, &r.bank_id, r.bank_name);
            if ds.parties.index(&r.party_id).is_none() {
                ds.parties.insert(&r.party_id, r.party);
            }
            if ds.accounts.index(&key).is_none() {
                ds.accounts.insert(&key, r.account);
            }
        }
    }
    nominal_rates(ds);
    let start = Instant::now();
    let ctx = TxContext::of(ds);
    let names: Vec<String> = amlworld::ATTRS.iter().map(|s| s.to_string()).collect();
    let sinks = read_transactions(
        &path,
        FileKind::Csv,
        opts,
        || amlworld::AmlworldTx::new(transactions::TxChunk::new(&ctx, &names, false)),
        report,
    )?;
    let mut laundering = Vec::new();
    let mut chunks = Vec::new();
    for s in sinks {
        laundering.extend(s.laundering);
        chunks.push(s.chunk.finish());
    }
    finish_transactions(chunks, ds, report, &path, start);

    // Labels: `Is Laundering` and the attempts of the patterns file.
    let patterns_path = dir.join(format!("{stem}_Patterns.txt"));
    let patterns = if patterns_path.is_file() {
        Some(
            std::fs::read_to_string(&patterns_path)
                .map_err(|e| IngestError::io(&patterns_path, e))?,
        )
    } else {
        None
    };
    let tx = &ds.transactions;
    let accounts = &ds.accounts;
    // Ids are line numbers, increasing through the file: a binary search finds a row.
    let row_of = |id: u64| match &tx.ids {
        finmon_model::TxIds::Text { .. } => None,
        ids => ids.position_numeric(id),
    };
    let (labels, unmatched) = amlworld::labels(&laundering, patterns.as_deref(), |id| {
        let row = row_of(id)?;
        Some((
            accounts.key(tx.from[row] as usize).to_string(),
            accounts.key(tx.to[row] as usize).to_string(),
        ))
    });
    let t = report.table("labels");
    t.counts.read += labels.len() as u64 + unmatched.len() as u64;
    t.counts.accepted += labels.len() as u64;
    t.counts.rejected += unmatched.len() as u64;
    let pfile = file_name(&patterns_path);
    if patterns.is_some() {
        t.files.push(pfile.clone());
    }
    for (line, raw) in unmatched {
        report.rejects.push(Reject {
            table: "labels".into(),
            file: pfile.clone(),
            line,
            column: None,
            reason: "pattern row matches no laundering transaction of the transactions file".into(),
            raw,
        });
    }
    loaded.labels = labels;
    load_labels(dir, loaded)
}

fn load_amlsim(dir: &Path, opts: &Options, loaded: &mut Loaded) -> Result<(), IngestError> {
    let path = dir.join("transactions.csv");
    if !path.is_file() {
        return Err(IngestError::NoTransactions(dir.to_path_buf()));
    }
    let header = csv_header_of(&path)?;
    let layout = amlsim::layout_of(&header).ok_or_else(|| {
        IngestError::format(
            &path,
            "not an AMLSim transactions header (expected tran_id,orig_acct,bene_acct,… or sourceNodeId,targetNodeId,value,time)",
        )
    })?;
    // Reference tables of the finmon format may sit beside (a rates table, say); AMLSim's own
    // accounts.csv is not one of them.
    let (ds, report) = (&mut loaded.dataset, &mut loaded.report);
    load_rates(dir, ds, report)?;
    let (acc_path, spec) = match layout {
        amlsim::Layout::Alerts => (dir.join("accounts.csv"), &amlsim::ACCOUNTS),
        amlsim::Layout::Nodes => (dir.join("nodes.csv"), &amlsim::NODES),
    };
    let mut labels = Vec::new();
    if acc_path.is_file() {
        let rows = read_ref_file(
            &acc_path,
            FileKind::Csv,
            spec,
            "accounts",
            report,
            &mut ds.present,
        )?;
        for (key, r) in rows {
            if let Some(b) = &r.bank {
                ensure_bank(ds, b, None);
            }
            if let Some((pid, p)) = r.party {
                if ds.parties.index(&pid).is_none() {
                    ds.parties.insert(&pid, p);
                }
            }
            if r.fraud {
                labels.push(Label {
                    subject: Subject::new(SubjectKind::Account, key.clone()),
                    typology: Typology::Laundering,
                    group_id: None,
                });
            }
            ds.accounts.insert(&key, r.account);
        }
    }
    nominal_rates(ds);
    let start = Instant::now();
    let ctx = TxContext::of(ds);
    let file = file_name(&path);
    let sinks = read_transactions(
        &path,
        FileKind::Csv,
        opts,
        || amlsim::AmlsimTx::new(&ctx, layout, &file, &header).expect("header checked"),
        report,
    )?;
    let mut sar = Vec::new();
    let mut chunks = Vec::new();
    for s in sinks {
        sar.extend(s.sar);
        chunks.push(s.chunk.finish());
    }
    finish_transactions(chunks, ds, report, &path, start);

    if layout == amlsim::Layout::Alerts {
        let alerts_path = dir.join("alert_transactions.csv");
        let mut types: std::collections::HashMap<String, Typology> = Default::default();
        if alerts_path.is_file() {
            let mut present = Vec::new();
            let rows = read_ref_file(
                &alerts_path,
                FileKind::Csv,
                &amlsim::ALERT_TYPES,
                "labels",
                report,
                &mut present,
            )?;
            for (_, v) in rows {
                if let Some((alert, t)) = v.split_once('\u{1f}') {
                    types.insert(alert.to_string(), amlsim::alert_typology(t));
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (tx, from, to, alert) in sar {
            let typology = types.get(&alert).copied().unwrap_or(Typology::Laundering);
            let group = (!alert.is_empty() && alert != "-1").then(|| format!("alert-{alert}"));
            labels.push(Label {
                subject: Subject::new(SubjectKind::Transaction, tx),
                typology,
                group_id: group.clone(),
            });
            for acc in [from, to] {
                if seen.insert((acc.clone(), typology, group.clone())) {
                    labels.push(Label {
                        subject: Subject::new(SubjectKind::Account, acc),
                        typology,
                        group_id: group.clone(),
                    });
                }
            }
        }
    }
    let t = report.table("labels");
    t.counts.accepted = labels.len() as u64;
    t.counts.read = t.counts.read.max(labels.len() as u64);
    loaded.labels = labels;
    load_labels(dir, loaded)
}

/// Reads a findings (or labels) CSV for `finmon eval`: rows that do not parse are rejects.
pub fn read_findings(path: &Path) -> Result<(Vec<Label>, Vec<Reject>), IngestError> {
    let kind = FileKind::from_path(path).unwrap_or(FileKind::Csv);
    let mut report = Report::default();
    let mut present = Vec::new();
    let table = "findings";
    if !path.is_file() {
        return Err(IngestError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let rows = read_ref_file(
        path,
        kind,
        &tables::FINDINGS,
        table,
        &mut report,
        &mut present,
    )?;
    if let Some(e) = report.tables.get(table).and_then(|t| t.error.clone()) {
        return Err(IngestError::format(path, e));
    }
    Ok((rows.into_iter().map(|(_, l)| l).collect(), report.rejects))
}
