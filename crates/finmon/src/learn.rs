//! `finmon train`, `finmon experiment` and `scan --model`: learned scoring over graph features.
//!
//! The protocol is AMLworld's (Altman et al., NeurIPS 2023): transactions ordered by time, the
//! first part trains, the next chooses (the feature windows and the threshold), the last is
//! reported. Windows are chosen from a few candidates derived from the data's own time span and
//! time step, by F1 on the validation part; nothing is set by hand for a given file.

use anyhow::{bail, Context, Result};
use finmon_eval::Score;
use finmon_features::{compute, FeatureConfig, FeatureMatrix, Mode};
use finmon_graph::{MinerConfig, Pattern, TemporalGraph};
use finmon_ingest::{Format, Options};
use finmon_learn::{average_precision, choose_threshold, Model, Params, Reason, F1_TIE};
use finmon_model::{Dataset, Finding, Label, Subject, SubjectKind, Typology};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

/// Threads for features and training.
const THREADS: usize = 2;
/// Features named as the reason of a scored finding.
const REASONS: usize = 3;
/// Consecutive runs of the training part that score each other for a stacked model.
const FOLDS: usize = 4;
/// Miner presets whose validation mean recall differs by at most this are equally good.
const MINER_RECALL_TIE: f64 = 0.01;

/// The transaction-level truth of a dataset: per row, its typology if labelled laundering.
///
/// A dataset labelled per account only (AMLSim's sample graphs label accounts, not
/// transfers) gets its truth derived: a transfer between two labelled accounts is laundering,
/// with the sender's typology. Said on stderr, since it is a reading of the labels.
fn row_labels(ds: &Dataset, labels: &[Label]) -> Vec<Option<Typology>> {
    let ids = &ds.transactions.ids;
    let row_of: HashMap<String, usize> = (0..ids.len())
        .map(|r| (ids.get(r).into_owned(), r))
        .collect();
    let mut out = vec![None; ids.len()];
    for l in labels {
        if l.subject.kind == SubjectKind::Transaction {
            if let Some(&r) = row_of.get(&l.subject.id) {
                out[r] = Some(l.typology);
            }
        }
    }
    if out.iter().any(Option::is_some) {
        return out;
    }
    let mut typology: HashMap<u32, Typology> = HashMap::new();
    for l in labels
        .iter()
        .filter(|l| l.subject.kind == SubjectKind::Account)
    {
        if let Some(a) = ds.accounts.index(&l.subject.id) {
            typology.entry(a as u32).or_insert(l.typology);
        }
    }
    if typology.is_empty() {
        return out;
    }
    let t = &ds.transactions;
    for (r, o) in out.iter_mut().enumerate() {
        if let (Some(&ty), true) = (typology.get(&t.from[r]), typology.contains_key(&t.to[r])) {
            *o = Some(ty);
        }
    }
    eprintln!(
        "labels are per account: {} transfers between two of the {} labelled accounts taken as laundering",
        out.iter().filter(|o| o.is_some()).count(),
        typology.len()
    );
    out
}

/// Rows in time order (ties in row order: the split is the protocol's, not a feature), cut into
/// consecutive parts of the given percentages.
fn split(ds: &Dataset, parts: &[u32]) -> Vec<Vec<usize>> {
    let ts = &ds.transactions.ts;
    let mut order: Vec<usize> = (0..ts.len()).collect();
    order.sort_by_key(|&r| ts[r]);
    let total: u32 = parts.iter().sum();
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut acc = 0u32;
    for &p in parts {
        acc += p;
        let end = (order.len() as u64 * u64::from(acc) / u64::from(total)) as usize;
        out.push(order[start..end].to_vec());
        start = end;
    }
    out
}

fn parse_split(s: &str, n: usize) -> Result<Vec<u32>> {
    let parts: Vec<u32> = s
        .split('/')
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--split '{s}': expected numbers like 60/20/20"))?;
    if parts.len() != n || parts.contains(&0) {
        bail!("--split '{s}': expected {n} positive parts");
    }
    Ok(parts)
}

/// Candidate windows from the data: its span and its time step (the typical gap between
/// consecutive distinct times). Each candidate is a pair (short, 8 × short); the short window
/// runs from span/64 up by factors of 2, never below 2 steps, and the long one stays within
/// half the span: a window as long as the data turns every feature into a whole-life figure of
/// the account, which depends on how long the data happens to be, not on behaviour (and an
/// online scorer never has it). Sorted shortest first.
pub fn candidate_windows(graph: &TemporalGraph, ds: &Dataset) -> Vec<Vec<i64>> {
    let Some((t0, t1)) = graph.time_span() else {
        return vec![vec![finmon_graph::DAY]];
    };
    let span = (t1 - t0).max(1);
    let mut times: Vec<i64> = ds.transactions.ts.iter().map(|t| t.0).collect();
    times.sort_unstable();
    times.dedup();
    let mut gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    let step = gaps.get(gaps.len() / 2).copied().unwrap_or(1).max(1);
    let mut out = Vec::new();
    for k in [64, 32, 16] {
        let short = span / k;
        if short >= 2 * step {
            out.push(vec![short, (short * 8).min(span)]);
        }
    }
    if out.is_empty() {
        out.push(vec![span.max(step), span.max(step)]);
    }
    out
}

fn params() -> Params {
    Params {
        threads: THREADS,
        ..Params::default()
    }
}

fn features(graph: &TemporalGraph, ds: &Dataset, cfg: &FeatureConfig) -> Result<FeatureMatrix> {
    compute(graph, &ds.transactions, cfg).context("computing features")
}

fn score_json(s: &Score, by_typology: &BTreeMap<String, (usize, usize)>) -> Value {
    json!({
        "precision": s.precision,
        "recall": s.recall,
        "f1": s.f1,
        "labelled": s.labelled,
        "flagged": s.found,
        "true_positives": s.true_positives,
        "recall_by_typology": by_typology
            .iter()
            .map(|(k, &(hit, n))| (k.clone(), json!(if n == 0 { 0.0 } else { hit as f64 / n as f64 })))
            .collect::<serde_json::Map<String, Value>>(),
        "recalled_by_typology": by_typology
            .iter()
            .map(|(k, &(hit, n))| (k.clone(), json!([hit, n])))
            .collect::<serde_json::Map<String, Value>>(),
    })
}

/// Scores of flagged rows among `rows`, and (recalled, labelled) per typology.
fn evaluate(
    rows: &[usize],
    flagged: &dyn Fn(usize) -> bool,
    truth: &[Option<Typology>],
) -> (Score, BTreeMap<String, (usize, usize)>) {
    let mut by = BTreeMap::new();
    let (mut labelled, mut found, mut tp) = (0, 0, 0);
    for &r in rows {
        let f = flagged(r);
        found += usize::from(f);
        if let Some(t) = truth[r] {
            labelled += 1;
            tp += usize::from(f);
            let e = by.entry(t.as_str().to_string()).or_insert((0, 0));
            e.0 += usize::from(f);
            e.1 += 1;
        }
    }
    (Score::from_counts(labelled, found, tp), by)
}

fn line(name: &str, s: &Score) -> String {
    format!(
        "{name} P={:.3} R={:.3} F1={:.3}",
        s.precision, s.recall, s.f1
    )
}

/// How a model did on the validation part: the F1 at its threshold and the average precision.
#[derive(Debug, Clone, Copy)]
struct Fit {
    f1: f64,
    ap: f64,
}

impl Fit {
    /// Better F1, or F1 as good (within [`F1_TIE`], as for thresholds: with 50 or so
    /// laundering rows many models reach the same F1) and better average precision.
    fn beats(&self, other: &Fit) -> bool {
        if (self.f1 - other.f1).abs() <= F1_TIE * self.f1.max(other.f1) {
            self.ap > other.ap
        } else {
            self.f1 > other.f1
        }
    }
}

/// How a model did on the validation part (`inputs` from [`Model::prepare`]); sets its
/// threshold.
fn validate(
    model: &mut Model,
    inputs: &FeatureMatrix,
    val: &[usize],
    truth: &[bool],
) -> Result<Fit> {
    let scores = model.score(inputs, val)?;
    let labels: Vec<bool> = val.iter().map(|&r| truth[r]).collect();
    let th = choose_threshold(&scores, &labels);
    model.set_threshold(th);
    Ok(Fit {
        f1: th.f1,
        ap: average_precision(&scores, &labels),
    })
}

/// Trains one model per candidate window set on `train`, chooses the threshold on `val`, and
/// keeps the candidate that [`Fit::beats`] the others. With `stack`,
/// then trains a stacked model on the chosen windows ([`Model::train_stacked`]) and keeps it
/// if it does at least as well on validation. Returns the model and its final-stage inputs
/// ([`Model::prepare`]) over every row.
fn fit_choose(
    graph: &TemporalGraph,
    ds: &Dataset,
    truth: &[bool],
    mode: Mode,
    (train, val): (&[usize], &[usize]),
    stack: bool,
) -> Result<(Model, FeatureMatrix, Vec<Value>)> {
    let mut best: Option<(Model, FeatureMatrix, Fit)> = None;
    let mut tried = Vec::new();
    for windows in candidate_windows(graph, ds) {
        let t = Instant::now();
        let mut cfg = FeatureConfig::new(mode, windows.clone());
        cfg.threads = THREADS;
        let m = features(graph, ds, &cfg)?;
        let feat_secs = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut model = Model::train(&cfg, &m, train, truth, &params())?;
        let train_secs = t.elapsed().as_secs_f64();
        // A single-stage model reads the features as they are.
        let key = validate(&mut model, &m, val, truth)?;
        let th = model.threshold;
        let days: Vec<f64> = windows.iter().map(|&w| w as f64 / 86_400.0).collect();
        eprintln!(
            "  windows {days:?} days: validation P={:.3} R={:.3} F1={:.3} AP={:.3} (features {feat_secs:.1} s, training {train_secs:.1} s)",
            th.precision, th.recall, th.f1, key.ap
        );
        tried.push(json!({"windows_secs": windows, "validation_f1": th.f1,
            "validation_ap": key.ap, "features_secs": feat_secs, "train_secs": train_secs}));
        if best.as_ref().is_none_or(|(_, _, b)| key.beats(b)) {
            best = Some((model, m, key));
        }
    }
    let (single, m, key) = best.context("no candidate windows")?;
    if !stack {
        return Ok((single, m, tried));
    }
    let t = Instant::now();
    let mut stacked =
        Model::train_stacked(graph, &single.features, &m, train, truth, &params(), FOLDS)?;
    let train_secs = t.elapsed().as_secs_f64();
    let inputs = stacked.prepare(graph, &m)?.into_owned();
    let skey = validate(&mut stacked, &inputs, val, truth)?;
    let th = stacked.threshold;
    eprintln!(
        "  stacked on those windows: validation P={:.3} R={:.3} F1={:.3} AP={:.3} (training {train_secs:.1} s)",
        th.precision, th.recall, th.f1, skey.ap
    );
    tried.push(
        json!({"windows_secs": single.features.windows, "stacked": true,
        "validation_f1": th.f1, "validation_ap": skey.ap, "train_secs": train_secs}),
    );
    Ok(if !key.beats(&skey) {
        (stacked, inputs, tried)
    } else {
        (single, m, tried)
    })
}

/// The pattern miner's result under the settings chosen on validation.
struct MinerRun {
    preset: &'static str,
    /// Per row, whether an instance of a labelled pattern family covers it.
    covered: Vec<bool>,
    secs: f64,
    tried: Vec<Value>,
}

/// Mean recall over the typologies present, the miner's measure of a candidate generator.
fn mean_recall(by: &BTreeMap<String, (usize, usize)>) -> f64 {
    let parts: Vec<f64> = by
        .values()
        .filter(|&&(_, n)| n > 0)
        .map(|&(hit, n)| hit as f64 / n as f64)
        .collect();
    parts.iter().sum::<f64>() / parts.len().max(1) as f64
}

/// Runs the miner under each named preset ([`finmon_graph::PRESETS`]) and keeps the one with
/// the best mean recall per typology on the validation rows; presets within
/// [`MINER_RECALL_TIE`] of the best count as equal and the one that flags fewer validation
/// rows wins. The miner is the candidate generator whose instances an analyst reads, so what
/// it must do is find each family; the model, not the miner, is judged on precision. Which
/// windows fit depends on how slowly the data's shapes unfold (AMLSim's fans take months), so
/// it is chosen, like the model's windows, rather than fixed.
fn choose_miner(
    graph: &TemporalGraph,
    ds: &Dataset,
    typ: &[Option<Typology>],
    val: &[usize],
) -> Result<MinerRun> {
    let mut best: Option<(MinerRun, f64, usize)> = None;
    let mut tried = Vec::new();
    for name in finmon_graph::PRESETS {
        let cfg = MinerConfig::preset(name).context("a listed preset")?;
        let t = Instant::now();
        let instances = finmon_graph::mine(graph, &ds.transactions, &cfg)
            .with_context(|| format!("mining patterns ({name})"))?;
        let secs = t.elapsed().as_secs_f64();
        let mut covered = vec![false; typ.len()];
        for i in instances.iter().filter(|i| Pattern::ALL.contains(&i.kind)) {
            for &r in &i.txs {
                covered[r as usize] = true;
            }
        }
        let (s, by) = evaluate(val, &|r| covered[r], typ);
        let recall = mean_recall(&by);
        eprintln!(
            "  miner {name}: validation mean recall per typology {recall:.3}, {} rows flagged ({secs:.1} s)",
            s.found
        );
        tried.push(json!({"preset": name, "validation_mean_recall": recall,
            "validation_flagged": s.found, "secs": secs}));
        let better = best.as_ref().is_none_or(|&(_, r, found)| {
            if (recall - r).abs() <= MINER_RECALL_TIE {
                s.found < found
            } else {
                recall > r
            }
        });
        if better {
            let run = MinerRun {
                preset: name,
                covered,
                secs,
                tried: Vec::new(),
            };
            best = Some((run, recall, s.found));
        }
    }
    let (mut run, _, _) = best.context("no miner presets")?;
    run.tried = tried;
    Ok(run)
}

fn load(dataset: &Path, format: Format) -> Result<finmon_ingest::Loaded> {
    let opts = Options {
        format,
        ..Options::default()
    };
    finmon_ingest::load(dataset, &opts)
        .with_context(|| format!("loading dataset {}", dataset.display()))
}

/// `finmon train DATASET --model FILE`: trains on the first part (by time), chooses windows and
/// threshold on the rest, writes the model.
pub fn train(
    dataset: &Path,
    model_path: &Path,
    format: Format,
    mode: Mode,
    split_arg: &str,
    stack: bool,
) -> Result<()> {
    let loaded = load(dataset, format)?;
    let ds = &loaded.dataset;
    let truth: Vec<bool> = row_labels(ds, &loaded.labels)
        .iter()
        .map(Option::is_some)
        .collect();
    if !truth.iter().any(|&t| t) {
        bail!(
            "{} has no labelled laundering transactions to learn from",
            dataset.display()
        );
    }
    let parts = split(ds, &parse_split(split_arg, 2)?);
    let graph = TemporalGraph::build(&ds.transactions).context("building the graph")?;
    let (mut model, _, tried) =
        fit_choose(&graph, ds, &truth, mode, (&parts[0], &parts[1]), stack)?;
    model
        .notes
        .insert("dataset".into(), json!(dataset.display().to_string()));
    model.notes.insert("split".into(), json!(split_arg));
    model
        .notes
        .insert("train_rows".into(), json!(parts[0].len()));
    model.notes.insert(
        "train_positives".into(),
        json!(parts[0].iter().filter(|&&r| truth[r]).count()),
    );
    model.notes.insert("candidates".into(), json!(tried));
    model
        .save(model_path)
        .with_context(|| format!("writing {}", model_path.display()))?;
    let t = model.threshold;
    println!(
        "finmon: model written to {} ({} mode, windows {:?} s, threshold {:.4}); validation P={:.3} R={:.3} F1={:.3}",
        model_path.display(),
        mode,
        model.features.windows,
        t.value,
        t.precision,
        t.recall,
        t.f1
    );
    Ok(())
}

/// A score's reasons as text: `feature=value (+contribution)`, largest first.
fn reason_text(reasons: &[Reason]) -> String {
    let text: Vec<String> = reasons
        .iter()
        .map(|(n, c, v)| format!("{n}={v} (+{c:.2})"))
        .collect();
    text.join(", ")
}

/// The pattern family a reason points to, from the feature that contributed most.
fn typology_of(reasons: &[Reason]) -> Typology {
    for (name, _, _) in reasons {
        let base = name.split('@').next().unwrap_or(name);
        let base = base.strip_prefix("n.").unwrap_or(base);
        let t = if base.starts_with("cyc") {
            Typology::Cycle
        } else if base.starts_with("sg_") {
            Typology::ScatterGather
        } else if base.ends_with(".through") {
            Typology::GatherScatter
        } else if base == "dst.in_nbrs" || base == "dst.in_new" {
            Typology::FanIn
        } else if base == "src.out_nbrs" || base == "src.out_new" {
            Typology::FanOut
        } else {
            continue;
        };
        return t;
    }
    Typology::Mule
}

/// Adds the transactions the model flags to `out`, each with its score and top features.
pub fn scored_findings(ds: &Dataset, model_path: &Path, out: &mut Vec<Finding>) -> Result<usize> {
    let model = Model::load(model_path, THREADS)
        .with_context(|| format!("loading model {}", model_path.display()))?;
    let graph = TemporalGraph::build(&ds.transactions).context("building the graph")?;
    let m = features(&graph, ds, &model.features)?;
    let m = model.prepare(&graph, &m)?;
    let rows: Vec<usize> = (0..m.rows).collect();
    let scores = model.score(&m, &rows)?;
    let flagged: Vec<usize> = rows
        .into_iter()
        .filter(|&r| scores[r] >= model.threshold.value)
        .collect();
    let reasons = model.explain(&m, &flagged, REASONS)?;
    for (&r, why) in flagged.iter().zip(&reasons) {
        out.push(Finding {
            subject: Subject::new(SubjectKind::Transaction, ds.transactions.ids.get(r)),
            typology: typology_of(why),
            group_id: None,
            score: scores[r],
            reason: format!(
                "model score {:.3} ≥ threshold {:.3}; top features: {}",
                scores[r],
                model.threshold.value,
                reason_text(why)
            ),
        });
    }
    Ok(flagged.len())
}

/// One CSV row per transaction of the given parts: its score, whether it is flagged, its truth,
/// and for the flagged or labelled ones the features that pushed the score most.
fn write_scores(
    path: &Path,
    ds: &Dataset,
    model: &Model,
    m: &FeatureMatrix,
    parts: &[(&str, &Vec<usize>)],
    scores: &[f64],
    truth: &[Option<Typology>],
) -> Result<()> {
    let th = model.threshold.value;
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    w.write_record([
        "tx_id",
        "part",
        "score",
        "flagged",
        "typology",
        "top_features",
    ])?;
    for (name, rows) in parts {
        let shown: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&r| scores[r] >= th || truth[r].is_some())
            .collect();
        let why = model.explain(m, &shown, REASONS)?;
        let why_of: HashMap<usize, String> = shown
            .iter()
            .zip(&why)
            .map(|(&r, reasons)| (r, reason_text(reasons)))
            .collect();
        for &r in rows.iter() {
            w.write_record([
                ds.transactions.ids.get(r).as_ref(),
                name,
                &format!("{:.5}", scores[r]),
                if scores[r] >= th { "1" } else { "0" },
                truth[r].map_or("", |t| t.as_str()),
                why_of.get(&r).map_or("", String::as_str),
            ])?;
        }
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `finmon experiment`: the AMLworld protocol, for the model and for the pattern miner alone.
pub fn experiment(
    dataset: &Path,
    split_arg: &str,
    mode: Mode,
    stack: bool,
    json_out: Option<&Path>,
    scores_out: Option<&Path>,
    format: Format,
) -> Result<()> {
    let total = Instant::now();
    let loaded = load(dataset, format)?;
    let ds = &loaded.dataset;
    let typ = row_labels(ds, &loaded.labels);
    let truth: Vec<bool> = typ.iter().map(Option::is_some).collect();
    let parts = split(ds, &parse_split(split_arg, 3)?);
    let (train, val, test) = (&parts[0], &parts[1], &parts[2]);
    let positives = |rows: &[usize]| rows.iter().filter(|&&r| truth[r]).count();
    println!(
        "{}: {} transactions; train {} ({} laundering), validation {} ({}), test {} ({}); mode {mode}",
        dataset.display(),
        truth.len(),
        train.len(),
        positives(train),
        val.len(),
        positives(val),
        test.len(),
        positives(test)
    );
    if positives(train) == 0 {
        bail!("no laundering transaction in the training part");
    }
    let graph = TemporalGraph::build(&ds.transactions).context("building the graph")?;
    let (model, m, tried) = fit_choose(&graph, ds, &truth, mode, (train, val), stack)?;
    let th = model.threshold.value;
    let all: Vec<usize> = (0..m.rows).collect();
    let scores = model.score(&m, &all)?;
    let flagged = |r: usize| scores[r] >= th;
    let (val_s, val_by) = evaluate(val, &flagged, &typ);
    let (test_s, test_by) = evaluate(test, &flagged, &typ);
    if let Some(p) = scores_out {
        write_scores(
            p,
            ds,
            &model,
            &m,
            &[("validation", val), ("test", test)],
            &scores,
            &typ,
        )?;
    }

    let miner = choose_miner(&graph, ds, &typ, val)?;
    let covered = &miner.covered;
    let (miner_s, miner_by) = evaluate(test, &|r| covered[r], &typ);
    let (miner_val, miner_val_by) = evaluate(val, &|r| covered[r], &typ);

    println!(
        "chosen windows: {:?} s{}; threshold {th:.4}",
        model.features.windows,
        if model.is_stacked() { ", stacked" } else { "" }
    );
    println!("{:<16} {:>9}", "typology", "test");
    for (k, (hit, n)) in &test_by {
        println!("{k:<16} {hit:>4}/{n:<4}");
    }
    println!("miner settings: {} (chosen on validation)", miner.preset);
    for (k, (hit, n)) in &miner_by {
        println!("  miner {k:<16} {hit:>4}/{n:<4}");
    }
    println!("{}", line("miner", &miner_s));
    println!("{}", line("validation", &val_s));
    println!("(total {:.1} s)", total.elapsed().as_secs_f64());
    if let Some(p) = json_out {
        let doc = json!({
            "dataset": dataset.display().to_string(),
            "mode": mode.as_str(),
            "stacked": model.is_stacked(),
            "split": split_arg,
            "windows_secs": model.features.windows,
            "threshold": th,
            "candidates": tried,
            "test": score_json(&test_s, &test_by),
            "validation": score_json(&val_s, &val_by),
            "miner": score_json(&miner_s, &miner_by),
            "miner_validation": score_json(&miner_val, &miner_val_by),
            "miner_preset": miner.preset,
            "miner_candidates": miner.tried,
            "miner_secs": miner.secs,
            "booster": model.params,
        });
        let text = serde_json::to_string_pretty(&doc)?;
        std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?;
    }
    println!("{}", line("test", &test_s));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_parse() {
        assert_eq!(parse_split("60/20/20", 3).unwrap(), vec![60, 20, 20]);
        assert!(parse_split("60/40", 3).is_err());
        assert!(parse_split("60/x/20", 3).is_err());
        assert!(parse_split("80/0", 2).is_err());
    }

    #[test]
    fn typology_from_reasons() {
        let r = |n: &str| vec![(n.to_string(), 1.0, 1.0f32)];
        assert_eq!(typology_of(&r("n.cyc4@w0")), Typology::Cycle);
        assert_eq!(typology_of(&r("sg_gather@w1")), Typology::ScatterGather);
        assert_eq!(typology_of(&r("n.dst.in_nbrs@w1")), Typology::FanIn);
        assert_eq!(typology_of(&r("amount")), Typology::Mule);
    }

    #[test]
    fn truth_from_account_labels() {
        // AMLSim's sample layout: accounts 1 and 2 are labelled, 3 is not.
        let dir = std::env::temp_dir().join(format!("finmon-truth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("nodes.csv"),
            "nodeid,isFraud,init_balance,fraudStep\n1,1,10.0,3\n2,1,10.0,3\n3,0,10.0,-1\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("transactions.csv"),
            "sourceNodeId,targetNodeId,value,time\n1,2,5.0,1\n2,3,5.0,2\n3,1,5.0,3\n2,1,7.0,4\n",
        )
        .unwrap();
        let loaded = finmon_ingest::load(&dir, &Options::default()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let truth = row_labels(&loaded.dataset, &loaded.labels);
        let ds = &loaded.dataset;
        assert_eq!(truth.len(), 4);
        // Only the transfers between two labelled accounts, 1 → 2 and 2 → 1.
        assert_eq!(truth.iter().filter(|l| l.is_some()).count(), 2, "{truth:?}");
        for (r, label) in truth.iter().enumerate() {
            let f = ds.account_key(ds.transactions.from[r]);
            let t = ds.account_key(ds.transactions.to[r]);
            let both = ["1", "2"].contains(&f) && ["1", "2"].contains(&t);
            assert_eq!(label.is_some(), both, "row {r}: {f} -> {t}");
        }
    }
}
