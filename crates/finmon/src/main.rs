//! The `finmon` command line: `scan` a dataset into findings, `eval` findings against labels.

mod decide;
mod generate;
mod learn;
mod networks;
mod output;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use finmon_ingest::{Format, Options};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "finmon",
    version,
    about = "Financial monitoring (AML/CFT) for Kazakhstan"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read a dataset, quarantine bad rows, and write findings with their reasons.
    Scan {
        /// The dataset folder (finmon format, or an AMLSim / AMLworld export).
        dataset: PathBuf,
        /// auto, finmon, amlsim or amlworld.
        #[arg(long, default_value = "auto")]
        format: Format,
        /// Where summary.json, rejects.csv and findings.csv go.
        #[arg(long, default_value = "finmon-out")]
        out: PathBuf,
        /// Detection settings merged over the built-in defaults (see config/finmon.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Parser threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// Also mine graph patterns (fan-in/out, cycles, scatter-gather, …) as findings.
        #[arg(long)]
        patterns: bool,
        /// Also score every transaction with a model from `finmon train` and report those
        /// above its threshold, with the features behind each score.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Write any dataset finmon reads (an AMLSim or AMLworld export too) as a finmon-format
    /// folder of CSV, JSON Lines or Parquet tables, with every amount valued in tenge.
    Convert {
        dataset: PathBuf,
        out: PathBuf,
        #[arg(long, default_value = "auto")]
        format: Format,
        /// csv, jsonl or parquet.
        #[arg(long, default_value = "csv")]
        to: String,
    },
    /// Decide on transactions as they happen: an HTTP server over the rule engine.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// A rule file (TOML + CEL); default: the built-in Kazakhstan pack (rules/kz.toml).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// A dataset whose reference tables (accounts, parties, institutions, rates) the rules read.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Where decided transactions are logged and windows saved, so that a restart (even
        /// after kill -9) goes on where it stopped. Default: memory only.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Largest request body in bytes.
        #[arg(long, default_value_t = 1 << 20)]
        body_limit: usize,
    },
    /// Replay a dataset in time order through rules: hits, decisions, precision/recall.
    Backtest {
        dataset: PathBuf,
        /// A rule file; default: the built-in Kazakhstan pack.
        #[arg(long)]
        rules: Option<PathBuf>,
        #[arg(long, default_value = "auto")]
        format: Format,
        /// Where decisions.csv, findings.csv and backtest.json go.
        #[arg(long, default_value = "finmon-backtest")]
        out: PathBuf,
    },
    /// Write a synthetic Kazakhstan financial system (the dataset format, with labels): a
    /// lawful background and planted, labelled laundering schemes and rule breaches.
    Generate(generate::Args),
    /// finmon's main job on built-in defaults: generate a synthetic Kazakhstan dataset with
    /// planted, labelled schemes, scan it, write the AFM's report of its networks, and score
    /// the findings against the labels.
    Demo {
        /// Where data/, scan/, networks/ and eval.json go.
        #[arg(long, default_value = "finmon-demo")]
        out: PathBuf,
        #[command(flatten)]
        world: generate::World,
    },
    /// The AFM's report: every cash-out network, shell-firm ring, unlicensed exchange,
    /// exchanger and structuring sender, with members, money, evidence and a picture.
    Networks(networks::Args),
    /// Train a gradient-boosted tree model on graph features against a dataset's labels:
    /// the first part (by time) trains, the rest chooses the windows and the threshold.
    Train {
        dataset: PathBuf,
        /// Where the model file goes (JSON).
        #[arg(long)]
        model: PathBuf,
        #[arg(long, default_value = "auto")]
        format: Format,
        /// offline (windows around each transaction) or online (only its past).
        #[arg(long, default_value = "offline")]
        mode: finmon_features::Mode,
        /// Train / validation percentages, in time order.
        #[arg(long, default_value = "80/20")]
        split: String,
        /// Also try a stacked model (a second stage that reads the first stage's scores of
        /// each transaction's neighbours) and keep it if it does at least as well on validation.
        #[arg(long)]
        stack: bool,
    },
    /// The AMLworld protocol: train on the first part by time, choose windows and threshold on
    /// the next, report precision, recall and F1 on the last, for the model and the miner.
    Experiment {
        dataset: PathBuf,
        #[arg(long, default_value = "60/20/20")]
        split: String,
        /// offline (windows around each transaction) or online (only its past).
        #[arg(long, default_value = "offline")]
        mode: finmon_features::Mode,
        /// Also try a stacked model (a second stage that reads the first stage's scores of
        /// each transaction's neighbours) and keep it if it does at least as well on validation.
        #[arg(long)]
        stack: bool,
        /// Also write the scores as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Also write each validation and test transaction's score, truth and (when flagged or
        /// labelled) top features as CSV: what an analyst reads to see the errors.
        #[arg(long)]
        scores: Option<PathBuf>,
        #[arg(long, default_value = "auto")]
        format: Format,
    },
    /// Precision, recall and F1 of findings against labels, per typology.
    Eval {
        /// A dataset whose own labels (adapters' included) are the ground truth.
        dataset: Option<PathBuf>,
        /// A labels CSV (subject_kind,subject_id,typology[,group_id]) instead of a dataset.
        #[arg(long)]
        labels: Option<PathBuf>,
        #[arg(long)]
        findings: PathBuf,
        /// Also write the scores as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        #[arg(long, default_value = "auto")]
        format: Format,
        /// `typology`: a hit is the same subject and typology; `subject`: the same subject.
        #[arg(long = "match", default_value = "typology")]
        match_: String,
    },
}

fn main() -> std::process::ExitCode {
    tune_allocator();
    let terminal = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(if terminal { "warn" } else { "info" })
            }),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(terminal)
        .init();
    match run(Cli::parse(), terminal) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, terminal: bool) -> Result<()> {
    match cli.command {
        Command::Scan {
            dataset,
            format,
            out,
            config,
            threads,
            patterns,
            model,
        } => scan(
            &dataset,
            format,
            &out,
            config.as_deref(),
            threads,
            patterns,
            model.as_deref(),
            terminal,
        ),
        Command::Serve {
            addr,
            rules,
            data,
            state,
            body_limit,
        } => decide::serve(decide::ServeArgs {
            addr: &addr,
            rules: rules.as_deref(),
            data: data.as_deref(),
            state: state.as_deref(),
            body_limit,
        }),
        Command::Backtest {
            dataset,
            rules,
            format,
            out,
        } => decide::backtest(&dataset, rules.as_deref(), format, &out),
        Command::Convert {
            dataset,
            out,
            format,
            to,
        } => convert(&dataset, &out, format, &to),
        Command::Generate(args) => generate::run(&args),
        Command::Networks(args) => networks::run(&args),
        Command::Demo { out, world } => demo(&out, &world, terminal),
        Command::Train {
            dataset,
            model,
            format,
            mode,
            split,
            stack,
        } => learn::train(&dataset, &model, format, mode, &split, stack),
        Command::Experiment {
            dataset,
            split,
            mode,
            stack,
            json,
            scores,
            format,
        } => learn::experiment(
            &dataset,
            &split,
            mode,
            stack,
            json.as_deref(),
            scores.as_deref(),
            format,
        ),
        Command::Eval {
            dataset,
            labels,
            findings,
            json,
            format,
            match_,
        } => eval(
            dataset.as_deref(),
            labels.as_deref(),
            &findings,
            json.as_deref(),
            format,
            &match_,
        ),
    }
}

/// Shows the stage on a terminal (a spinner, and a bar of bytes while the transactions are
/// read) and logs it otherwise.
struct Progress(Option<indicatif::ProgressBar>);

/// The bar ingest moves as it reads the transactions file.
struct ReadBar(indicatif::ProgressBar);

impl finmon_ingest::Progress for ReadBar {
    fn start(&self, file: &str, bytes: u64) {
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        self.0.set_style(style);
        self.0.set_length(bytes);
        self.0.set_position(0);
        self.0.set_message(format!("reading {file}"));
    }

    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
}

impl Progress {
    fn new(terminal: bool) -> Self {
        Progress(terminal.then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        }))
    }

    fn reader(&self) -> Option<std::sync::Arc<dyn finmon_ingest::Progress>> {
        self.0.as_ref().map(|pb| {
            std::sync::Arc::new(ReadBar(pb.clone())) as std::sync::Arc<dyn finmon_ingest::Progress>
        })
    }

    /// Back to a spinner after the bar.
    fn spin(&self) {
        if let Some(pb) = &self.0 {
            pb.set_style(indicatif::ProgressStyle::default_spinner());
        }
    }

    fn stage(&self, msg: String) {
        match &self.0 {
            Some(pb) => pb.set_message(msg),
            None => tracing::info!("{msg}"),
        }
    }

    fn done(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

/// Makes every large allocation (≥ 1 MiB: column vectors, hash tables) its own mapping, which
/// goes back to the OS when freed. Without it glibc raises its threshold as big blocks are
/// freed and serves the next ones from arenas that keep the memory after loading is done.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt only changes allocator tuning; called before any threads start.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1 << 20);
        }
    }
}

/// Hands the heap that loading freed (parse buffers, chunk columns) back to the OS, so that
/// resident memory is what the loaded data holds. glibc keeps freed memory in its arenas
/// otherwise; other allocators return it by themselves.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only releases free heap pages; it has no preconditions.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Resident memory of this process, from /proc (Linux); 0 elsewhere.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Generate → scan → networks → eval, into `out`.
fn demo(out: &Path, world: &generate::World, terminal: bool) -> Result<()> {
    let data = out.join("data");
    println!("== finmon generate {}", data.display());
    generate::run(&generate::Args::demo(data.clone(), world))?;
    println!("== finmon scan {}", data.display());
    let scanned = out.join("scan");
    scan(
        &data,
        Format::Finmon,
        &scanned,
        None,
        None,
        false,
        None,
        terminal,
    )?;
    println!("== finmon networks {}", data.display());
    networks::run(&networks::Args::of(data.clone(), out.join("networks")))?;
    println!("== finmon eval {}", data.display());
    eval(
        Some(&data),
        None,
        &scanned.join("findings.csv"),
        Some(&out.join("eval.json")),
        Format::Finmon,
        "typology",
    )
}

/// The detection settings: the built-in defaults, with a user's file merged over them.
fn detect_config(path: Option<&Path>) -> Result<finmon_detect::Config> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading config {}", p.display()))?;
            finmon_detect::Config::from_toml(&text)
                .with_context(|| format!("config {}", p.display()))
        }
        None => Ok(finmon_detect::Config::default()),
    }
}

#[allow(clippy::too_many_arguments)]
fn scan(
    dataset: &Path,
    format: Format,
    out: &Path,
    config: Option<&Path>,
    threads: Option<usize>,
    patterns: bool,
    model: Option<&Path>,
    terminal: bool,
) -> Result<()> {
    let total = Instant::now();
    let mut config = detect_config(config)?;
    config.patterns_enabled |= patterns;
    let progress = Progress::new(terminal);
    progress.stage(format!("reading {}", dataset.display()));
    let mut opts = Options {
        format,
        progress: progress.reader(),
        ..Options::default()
    };
    if let Some(t) = threads {
        opts.threads = t.max(1);
    }
    let rss_before = rss_bytes();
    let t = Instant::now();
    let loaded = finmon_ingest::load(dataset, &opts)
        .with_context(|| format!("loading dataset {}", dataset.display()))?;
    release_free_memory();
    let ingest_secs = t.elapsed().as_secs_f64();
    let rss_after = rss_bytes();
    let n = loaded.dataset.transactions.len();
    progress.spin();
    progress.stage(format!("{n} transactions read; detecting"));

    let t = Instant::now();
    let mut findings = Vec::new();
    let mut detect_secs = Vec::new();
    for d in finmon_detect::detectors(&config) {
        let s = Instant::now();
        d.detect(&loaded.dataset, &mut findings);
        detect_secs.push((d.name(), s.elapsed().as_secs_f64()));
    }
    if let Some(m) = model {
        let s = Instant::now();
        learn::scored_findings(&loaded.dataset, m, &mut findings)?;
        detect_secs.push(("model", s.elapsed().as_secs_f64()));
    }
    let findings = finmon_detect::merge_duplicates(findings);
    let detect_total = t.elapsed().as_secs_f64();

    progress.stage(format!("writing {}", out.display()));
    let t = Instant::now();
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    output::write_rejects(&out.join("rejects.csv"), &loaded.report.rejects)?;
    output::write_findings(&out.join("findings.csv"), &findings)?;
    let write_secs = t.elapsed().as_secs_f64();
    let summary = output::Summary {
        dataset,
        loaded: &loaded,
        findings: &findings,
        ingest_secs,
        detect_secs: &detect_secs,
        detect_total,
        write_secs,
        total_secs: total.elapsed().as_secs_f64(),
        memory: output::Memory {
            rss_before,
            rss_after,
            heap_transactions: loaded.dataset.transactions.heap_bytes() as u64,
        },
    };
    output::write_summary(&out.join("summary.json"), &summary)?;
    progress.done();
    let tables = &loaded.report.tables;
    let rejected: u64 = tables.values().map(|t| t.counts.rejected).sum();
    println!(
        "finmon: {n} transactions accepted, {rejected} rows rejected, {} findings; wrote {}",
        findings.len(),
        out.display()
    );
    for (name, t) in tables {
        if let Some(e) = &t.error {
            eprintln!("warning: table {name} not loaded: {e}");
        }
    }
    Ok(())
}

fn convert(dataset: &Path, out: &Path, format: Format, to: &str) -> Result<()> {
    let kind = match to {
        "csv" => finmon_ingest::FileKind::Csv,
        "jsonl" => finmon_ingest::FileKind::Jsonl,
        "parquet" => finmon_ingest::FileKind::Parquet,
        o => anyhow::bail!("--to must be csv, jsonl or parquet, not '{o}'"),
    };
    let opts = Options {
        format,
        ..Options::default()
    };
    let loaded = finmon_ingest::load(dataset, &opts)
        .with_context(|| format!("loading dataset {}", dataset.display()))?;
    let written = finmon_ingest::export::write_dataset(&loaded.dataset, &loaded.labels, out, kind)
        .with_context(|| format!("writing {}", out.display()))?;
    for (table, n) in &written {
        println!("{table}: {n} rows");
    }
    let rejects = &loaded.report.rejects;
    if !rejects.is_empty() {
        // The rows that could not be read go beside the tables, so that none is lost.
        output::write_rejects(&out.join("rejects.csv"), rejects)?;
        eprintln!(
            "warning: {} rows could not be read; see {}",
            rejects.len(),
            out.join("rejects.csv").display()
        );
    }
    Ok(())
}

fn eval(
    dataset: Option<&Path>,
    labels: Option<&Path>,
    findings: &Path,
    json: Option<&Path>,
    format: Format,
    match_: &str,
) -> Result<()> {
    let how = match match_ {
        "typology" => finmon_eval::Match::Typology,
        "subject" => finmon_eval::Match::Subject,
        o => anyhow::bail!("--match must be typology or subject, not '{o}'"),
    };
    let labels = match (labels, dataset) {
        (Some(l), _) => {
            let (labels, rejects) = finmon_ingest::read_findings(l)
                .with_context(|| format!("reading labels {}", l.display()))?;
            warn_rejects(l, &rejects);
            labels
        }
        (None, Some(d)) => {
            let opts = Options {
                format,
                ..Options::default()
            };
            finmon_ingest::load(d, &opts)
                .with_context(|| format!("loading dataset {}", d.display()))?
                .labels
        }
        (None, None) => anyhow::bail!("give a DATASET or --labels FILE"),
    };
    let (found, rejects) = finmon_ingest::read_findings(findings)
        .with_context(|| format!("reading findings {}", findings.display()))?;
    warn_rejects(findings, &rejects);
    let found: Vec<finmon_model::Finding> = found
        .into_iter()
        .map(|l| finmon_model::Finding {
            subject: l.subject,
            typology: l.typology,
            group_id: l.group_id,
            score: 0.0,
            reason: String::new(),
        })
        .collect();
    let report = finmon_eval::evaluate(&labels, &found, how);
    if let Some(p) = json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?;
    }
    println!("{}", report.to_text());
    Ok(())
}

fn warn_rejects(path: &Path, rejects: &[finmon_ingest::Reject]) {
    for r in rejects.iter().take(10) {
        eprintln!("warning: {}:{}: {}", path.display(), r.line, r.reason);
    }
    if rejects.len() > 10 {
        eprintln!(
            "warning: {} more rows of {} were skipped",
            rejects.len() - 10,
            path.display()
        );
    }
}
