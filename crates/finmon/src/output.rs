//! What `scan` writes: `summary.json`, `rejects.csv` and `findings.csv`.

use anyhow::{Context, Result};
use finmon_ingest::{Loaded, Reject};
use finmon_model::{Finding, Kzt, TxKind};
use serde_json::{json, Map, Value};
use std::path::Path;

fn csv_writer(path: &Path) -> Result<csv::Writer<std::fs::File>> {
    csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))
}

pub fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<()> {
    let mut w = csv_writer(path)?;
    w.write_record(["table", "file", "line", "column", "reason", "raw"])?;
    for r in rejects {
        w.write_record([
            r.table.as_str(),
            r.file.as_str(),
            &r.line.to_string(),
            r.column.as_deref().unwrap_or(""),
            &r.reason,
            &r.raw,
        ])?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))
}

pub fn write_findings(path: &Path, findings: &[Finding]) -> Result<()> {
    let mut w = csv_writer(path)?;
    w.write_record([
        "subject_kind",
        "subject_id",
        "typology",
        "group_id",
        "score",
        "reason",
    ])?;
    for f in findings {
        w.write_record([
            f.subject.kind.as_str(),
            &f.subject.id,
            f.typology.as_str(),
            f.group_id.as_deref().unwrap_or(""),
            &format!("{:.2}", f.score),
            &f.reason,
        ])?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))
}

pub struct Memory {
    pub rss_before: u64,
    pub rss_after: u64,
    pub heap_transactions: u64,
}

pub struct Summary<'a> {
    pub dataset: &'a Path,
    pub loaded: &'a Loaded,
    pub findings: &'a [Finding],
    pub ingest_secs: f64,
    pub detect_secs: &'a [(&'static str, f64)],
    pub detect_total: f64,
    pub write_secs: f64,
    pub total_secs: f64,
    pub memory: Memory,
}

fn secs(s: f64) -> Value {
    json!((s * 1000.0).round() / 1000.0)
}

pub fn write_summary(path: &Path, s: &Summary<'_>) -> Result<()> {
    let report = &s.loaded.report;
    let mut tables = Map::new();
    for (name, t) in &report.tables {
        let mut o = json!({
            "read": t.counts.read,
            "accepted": t.counts.accepted,
            "rejected": t.counts.rejected,
            "duplicates": t.counts.duplicates,
            "files": t.files,
        });
        if let Some(e) = &t.error {
            o["error"] = json!(e);
        }
        tables.insert(name.clone(), o);
    }
    let tx = &s.loaded.dataset.transactions;
    let mut by_kind = vec![Kzt(0); TxKind::ALL.len()];
    let mut count = vec![0u64; TxKind::ALL.len()];
    for (k, a) in tx.kind.iter().zip(&tx.amount_kzt) {
        by_kind[*k as usize].0 += a.0;
        count[*k as usize] += 1;
    }
    let kzt_by_kind: Map<String, Value> = TxKind::ALL
        .iter()
        .filter(|k| count[**k as usize] > 0)
        .map(|k| {
            (
                k.as_str().to_string(),
                json!(by_kind[*k as usize].to_string()),
            )
        })
        .collect();
    let mut by_typology = std::collections::BTreeMap::<&str, u64>::new();
    for f in s.findings {
        *by_typology.entry(f.typology.as_str()).or_default() += 1;
    }
    let mut seconds = Map::new();
    seconds.insert("ingest".into(), secs(s.ingest_secs));
    for (name, t) in &report.tables {
        seconds.insert(format!("ingest.{name}"), secs(t.seconds));
    }
    seconds.insert("detect".into(), secs(s.detect_total));
    for (name, t) in s.detect_secs {
        seconds.insert(format!("detect.{name}"), secs(*t));
    }
    seconds.insert("write".into(), secs(s.write_secs));
    seconds.insert("total".into(), secs(s.total_secs));
    let n = tx.len().max(1) as f64;
    let grown = s.memory.rss_after.saturating_sub(s.memory.rss_before);
    let summary = json!({
        "dataset": s.dataset.display().to_string(),
        "format": report.format.map(|f| f.as_str()),
        "tables": tables,
        "accounts_created_from_transactions": report.accounts_created,
        "kzt_by_kind": kzt_by_kind,
        "findings_by_typology": by_typology,
        "seconds": seconds,
        "memory": {
            "rss_bytes_after_load": s.memory.rss_after,
            "rss_growth_bytes": grown,
            "rss_bytes_per_transaction": (grown as f64 / n * 10.0).round() / 10.0,
            "column_bytes_per_transaction": (s.memory.heap_transactions as f64 / n * 10.0).round() / 10.0,
        },
        "transactions_per_second": (tx.len() as f64 / s.ingest_secs.max(1e-9)).round(),
    });
    let text = serde_json::to_string_pretty(&summary)? + "\n";
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
