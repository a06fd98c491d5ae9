//! `finmon serve` and `finmon backtest`: the rule engine over HTTP, and over history.

use anyhow::{Context, Result};
use finmon_ingest::{Format, Options};
use finmon_model::tx::NO_ACCOUNT;
use finmon_model::{Dataset, Finding, Subject, SubjectKind};
use finmon_rules::{Engine, Outcome, RuleSet, TxInput};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

fn load_reference(data: Option<&Path>) -> Result<Arc<Dataset>> {
    Ok(Arc::new(match data {
        Some(d) => {
            finmon_ingest::load(d, &Options::default())
                .with_context(|| format!("loading reference data {}", d.display()))?
                .dataset
        }
        None => Dataset::default(),
    }))
}

pub struct ServeArgs<'a> {
    pub addr: &'a str,
    pub rules: Option<&'a Path>,
    pub data: Option<&'a Path>,
    pub state: Option<&'a Path>,
    pub body_limit: usize,
}

pub fn serve(a: ServeArgs<'_>) -> Result<()> {
    let config = finmon_serve::Config {
        rules: a.rules.map(Path::to_path_buf),
        reference: load_reference(a.data)?,
        state_dir: a.state.map(Path::to_path_buf),
        body_limit: a.body_limit,
        ..finmon_serve::Config::default()
    };
    let app = finmon_serve::App::new(config).context("starting the decision server")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .with_context(|| format!("binding {}", a.addr))?;
        let local = listener.local_addr()?;
        // Tests and scripts read this line to learn the port (with --addr …:0).
        println!("finmon: listening on http://{local}");
        use std::io::Write;
        std::io::stdout().flush()?;
        finmon_serve::serve(app, listener).await.context("serving")
    })
}

/// Overwrites `s` with `v`, keeping its buffer.
fn set(s: &mut String, v: impl std::fmt::Display) {
    use std::fmt::Write;
    s.clear();
    let _ = write!(s, "{v}");
}

/// Overwrites an optional field, keeping its buffer when there is a value.
fn set_opt(s: &mut Option<String>, v: Option<impl std::fmt::Display>) {
    match (v, s.as_mut()) {
        (Some(v), Some(s)) => set(s, v),
        (Some(v), None) => *s = Some(v.to_string()),
        (None, _) => *s = None,
    }
}

/// Stored transaction `row` as the server would receive it, written over `tx` so that a
/// replay reuses the buffers of the previous row instead of allocating a request a row.
fn fill_tx_input(ds: &Dataset, row: usize, tx: &mut TxInput) {
    let t = &ds.transactions;
    let account = |a: u32| (a != NO_ACCOUNT).then(|| ds.account_key(a));
    set(&mut tx.tx_id, t.ids.get(row));
    set(&mut tx.timestamp, t.ts[row]);
    set(&mut tx.kind, t.kind[row].as_str());
    set_opt(&mut tx.from_account, account(t.from[row]));
    set_opt(&mut tx.to_account, account(t.to[row]));
    set(&mut tx.amount, t.amount.get(row));
    set(&mut tx.currency, ds.currencies.code(t.currency[row]));
    set_opt(&mut tx.amount_kzt, Some(t.amount_kzt[row]));
    set_opt(&mut tx.sender_iin, t.sender_iin.get(row));
    set_opt(&mut tx.atm_id, t.atm_id.get(row));
    set_opt(&mut tx.biometric, t.biometric(row).map(|b| b.as_str()));
    set_opt(&mut tx.device_id, t.device_id.get(row));
    set_opt(&mut tx.ip, t.ip.get(row));
    set_opt(&mut tx.reference, t.reference.get(row));
    if !tx.attrs.is_empty() || !t.attrs.is_empty() {
        tx.attrs.clear();
        for c in &t.attrs {
            if let Some(v) = c.get(row) {
                tx.attrs.insert(c.name.clone(), v.to_string());
            }
        }
    }
}

/// Replays a dataset in time order through the rules: hits per rule, decisions per outcome,
/// precision and recall of the rules that name a typology against the dataset's labels.
pub fn backtest(dataset: &Path, rules: Option<&Path>, format: Format, out: &Path) -> Result<()> {
    let rules = match rules {
        Some(p) => RuleSet::load(p).with_context(|| format!("rules {}", p.display()))?,
        None => RuleSet::kazakhstan().context("the built-in Kazakhstan pack")?,
    };
    let opts = Options {
        format,
        ..Options::default()
    };
    let loaded = finmon_ingest::load(dataset, &opts)
        .with_context(|| format!("loading dataset {}", dataset.display()))?;
    let labels = loaded.labels;
    let ds = Arc::new(loaded.dataset);
    let mut engine = Engine::new(rules, ds.clone());
    let t = &ds.transactions;
    let mut order: Vec<u32> = (0..t.len() as u32).collect();
    order.sort_by_key(|&r| (t.ts[r as usize], r));

    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join("decisions.csv");
    let mut w =
        csv::Writer::from_path(&path).with_context(|| format!("creating {}", path.display()))?;
    w.write_record(["tx_id", "decision", "rules", "reasons"])?;
    let mut per_outcome = [0u64; 3];
    let mut per_rule: BTreeMap<String, u64> = BTreeMap::new();
    let mut invalid = 0u64;
    let mut findings = Vec::new();
    let typology: BTreeMap<String, finmon_model::Typology> = engine
        .rules()
        .rules()
        .filter_map(|r| r.typology.map(|t| (r.id.to_string(), t)))
        .collect();
    // Window state sampled as the replay goes: it must level off, not grow with history.
    let mut state_samples = Vec::new();
    let sample_every = (order.len() / 20).max(1);
    let start = std::time::Instant::now();
    let mut tx = TxInput::default();
    let mut d = finmon_rules::Decision::default();
    for (i, &row) in order.iter().enumerate() {
        if i % sample_every == 0 || i + 1 == order.len() {
            let stats = engine.stats();
            state_samples.push(serde_json::json!({
                "decisions": i,
                "at": t.ts[row as usize].to_string(),
                "window_keys": stats.iter().map(|w| w.keys).sum::<usize>(),
                "window_events": stats.iter().map(|w| w.events).sum::<usize>(),
                "window_event_bytes": stats.iter().map(|w| w.event_bytes).sum::<usize>(),
            }));
        }
        fill_tx_input(&ds, row as usize, &mut tx);
        match engine.decide_into(&tx, &mut d) {
            Ok(()) => {}
            Err(e) => {
                invalid += 1;
                tracing::warn!("{}: {e}", tx.tx_id);
                continue;
            }
        };
        per_outcome[d.decision as usize] += 1;
        if d.hits.is_empty() {
            continue;
        }
        let mut ids = Vec::new();
        let mut reasons = Vec::new();
        for h in &d.hits {
            *per_rule.entry(h.rule.to_string()).or_default() += 1;
            ids.push(h.rule.to_string());
            reasons.push(h.reason.clone());
            if let Some(&typ) = typology.get(&*h.rule) {
                findings.push(Finding {
                    subject: Subject::new(SubjectKind::Transaction, d.tx_id.clone()),
                    typology: typ,
                    group_id: None,
                    score: match h.outcome {
                        Outcome::Block => 0.9,
                        Outcome::Review => 0.6,
                        Outcome::Allow => 0.3,
                    },
                    reason: format!("rule {}: {}", h.rule, h.reason),
                });
            }
        }
        w.write_record([
            d.tx_id.as_str(),
            d.decision.as_str(),
            &ids.join(";"),
            &reasons.join(" | "),
        ])?;
    }
    w.flush()?;
    let secs = start.elapsed().as_secs_f64();
    crate::output::write_findings(&out.join("findings.csv"), &findings)?;
    let report = finmon_eval::evaluate(&labels, &findings, finmon_eval::Match::Typology);
    let summary = serde_json::json!({
        "transactions": t.len(),
        "invalid": invalid,
        "decisions": {"allow": per_outcome[0], "review": per_outcome[1], "block": per_outcome[2]},
        "hits_by_rule": per_rule,
        "seconds": secs,
        "decisions_per_second": (t.len() as f64 / secs.max(1e-9)).round(),
        "window_state": state_samples,
        "eval": report,
    });
    std::fs::write(
        out.join("backtest.json"),
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    println!(
        "backtest: {} transactions in {secs:.2} s: allow {}, review {}, block {} ({invalid} invalid)",
        t.len(),
        per_outcome[0],
        per_outcome[1],
        per_outcome[2]
    );
    for (rule, n) in &per_rule {
        println!("  {rule}: {n}");
    }
    if !labels.is_empty() {
        println!("{}", report.to_text());
    }
    Ok(())
}
