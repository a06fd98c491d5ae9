//! `finmon networks DATASET`: the AFM's report — every cash-out network, shell-firm ring,
//! unlicensed exchange, exchanger and structuring sender found, each as a whole: members,
//! money, time span, the strongest evidence, and a picture.
//!
//! Writes `report.md` (for people), `networks.json` (for tools), one `<group>.svg` per group and
//! `findings.csv` (the scheme findings, for `finmon eval`), and prints the summary line.

use anyhow::{Context, Result};
use finmon_ingest::{Format, Options};
use finmon_model::Kzt;
use finmon_schemes::{Group, GroupKind};
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The dataset folder.
    dataset: PathBuf,
    /// Where report.md, networks.json, the pictures and findings.csv go.
    #[arg(long, default_value = "finmon-networks")]
    out: PathBuf,
    /// auto, finmon, amlsim or amlworld.
    #[arg(long, default_value = "auto")]
    format: Format,
    /// Detection settings merged over the built-in defaults (the `[schemes]` section).
    #[arg(long)]
    config: Option<PathBuf>,
}

fn ts(t: Option<finmon_model::Timestamp>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// One line per kind of group, the way the AFM reports: how many, and how much money.
pub fn summary(groups: &[Group]) -> String {
    let mut parts = Vec::new();
    for (kind, what) in [
        (GroupKind::CashOutNetwork, "cash-out networks"),
        (GroupKind::ShellRing, "shell-firm rings"),
        (GroupKind::UnlicensedExchange, "unlicensed exchanges"),
        (GroupKind::Exchanger, "exchangers"),
        (GroupKind::Structuring, "structuring senders"),
    ] {
        let of: Vec<&Group> = groups.iter().filter(|g| g.kind == kind).collect();
        let volume = Kzt(of.iter().map(|g| g.volume_in.0).sum());
        let cash = Kzt(of.iter().map(|g| g.cashed_out.0).sum());
        let mut s = format!("{} {what}, {}", of.len(), volume.grouped());
        if kind == GroupKind::CashOutNetwork || kind == GroupKind::ShellRing {
            let _ = write!(s, " ({} out as cash)", cash.grouped());
        }
        parts.push(s);
    }
    parts.join("; ")
}

fn group_json(g: &Group) -> serde_json::Value {
    json!({
        "id": g.id,
        "kind": g.kind.as_str(),
        "parties": g.parties,
        "accounts": g.accounts,
        "institutions": g.institutions,
        "atms": g.atms,
        "volume_in_kzt": g.volume_in.to_string(),
        "cashed_out_kzt": g.cashed_out.to_string(),
        "transactions": g.transactions,
        "first": ts(g.first),
        "last": ts(g.last),
        "evidence": g.evidence,
        "picture": format!("{}.svg", g.id),
    })
}

fn markdown(groups: &[Group], dataset: &Path, line: &str) -> String {
    let mut s = format!("# finmon networks: {}\n\n**{line}**\n\n", dataset.display());
    for g in groups {
        let _ = writeln!(s, "## {} — {}\n", g.id, g.kind.as_str());
        let _ = writeln!(
            s,
            "{} in, {} out as cash; {} transactions from {} to {}.\n",
            g.volume_in.grouped(),
            g.cashed_out.grouped(),
            g.transactions,
            ts(g.first),
            ts(g.last)
        );
        for e in g.evidence.iter().take(5) {
            let _ = writeln!(s, "- {e}");
        }
        let _ = writeln!(s, "\n| member | kind | role |\n|---|---|---|");
        for (id, role) in &g.parties {
            let _ = writeln!(s, "| {id} | party | {role} |");
        }
        for (id, role) in &g.accounts {
            let _ = writeln!(s, "| {id} | account | {role} |");
        }
        for id in &g.institutions {
            let _ = writeln!(s, "| {id} | institution | |");
        }
        for id in &g.atms {
            let _ = writeln!(s, "| {id} | ATM | cash point |");
        }
        let _ = writeln!(s, "\n![{}]({}.svg)\n", g.id, g.id);
    }
    s
}

impl Args {
    /// The report of `dataset` into `out`, with the built-in settings.
    pub fn of(dataset: PathBuf, out: PathBuf) -> Args {
        Args {
            dataset,
            out,
            format: Format::Auto,
            config: None,
        }
    }
}

pub fn run(a: &Args) -> Result<()> {
    let config = crate::detect_config(a.config.as_deref())?;
    let opts = Options {
        format: a.format,
        ..Options::default()
    };
    let loaded = finmon_ingest::load(&a.dataset, &opts)
        .with_context(|| format!("loading dataset {}", a.dataset.display()))?;
    let report = finmon_schemes::detect(&loaded.dataset, &config.schemes)
        .context("running the scheme detectors")?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let line = summary(&report.groups);
    for g in &report.groups {
        let path = a.out.join(format!("{}.svg", g.id));
        std::fs::write(&path, g.to_svg()).with_context(|| format!("writing {}", path.display()))?;
    }
    let doc = json!({
        "dataset": a.dataset.display().to_string(),
        "summary": line,
        "groups": report.groups.iter().map(group_json).collect::<Vec<_>>(),
    });
    let path = a.out.join("networks.json");
    std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    let path = a.out.join("report.md");
    std::fs::write(&path, markdown(&report.groups, &a.dataset, &line))
        .with_context(|| format!("writing {}", path.display()))?;
    let findings = finmon_detect::merge_duplicates(report.findings);
    crate::output::write_findings(&a.out.join("findings.csv"), &findings)?;
    println!("{line}");
    println!(
        "{} groups, {} findings; wrote {}",
        report.groups.len(),
        findings.len(),
        a.out.display()
    );
    Ok(())
}
