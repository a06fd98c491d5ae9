//! `finmon generate` end to end: the data loads with no reject, the existing breach detectors
//! agree with its labels, the labels name real subjects, and a seed gives the same bytes.

mod common;
use common::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

const BREACHES: [&str; 5] = [
    "missing_iin",
    "no_biometrics",
    "video_gap",
    "threshold_report",
    "fictitious_identity",
];

fn generate(out: &Path, people: &str, days: &str, seed: &str) -> String {
    finmon_ok(&[
        "generate",
        out.to_str().unwrap(),
        "--people",
        people,
        "--days",
        days,
        "--seed",
        seed,
    ])
}

/// The `typology labelled found tp P R F1` rows of `finmon eval`'s table.
fn scores(text: &str) -> BTreeMap<String, (u64, f64)> {
    text.lines()
        .skip(1)
        .filter(|l| !l.starts_with("overall"))
        .filter_map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            Some((
                c.first()?.to_string(),
                (c.get(1)?.parse().ok()?, c.get(6)?.parse().ok()?),
            ))
        })
        .collect()
}

#[test]
fn generated_data_scans_clean_and_the_breach_rules_agree_with_its_labels() {
    let dir = tmp("generate-scan");
    let data = dir.join("data");
    let printed = generate(&data, "3000", "45", "20260101");
    assert!(printed.contains("transactions:"), "{printed}");
    let summary = scan(&data, &dir.join("out"), &[]);
    for table in [
        "institutions",
        "parties",
        "accounts",
        "identifiers",
        "rates",
        "atm_video",
        "transactions",
        "labels",
    ] {
        let (read, accepted, rejected, dup) = counts(&summary, table);
        assert!(read > 0, "{table} is empty");
        assert_eq!((accepted, rejected, dup), (read, 0, 0), "{table}");
    }
    // Score the breach detectors on the breach labels only (the scheme labels are for the
    // scheme detectors).
    let labels = csv_rows(&data.join("labels.csv"));
    let mut text = String::from("subject_kind,subject_id,typology,group_id\n");
    for l in labels
        .iter()
        .filter(|l| BREACHES.contains(&l["typology"].as_str()))
    {
        text += &format!(
            "{},{},{},{}\n",
            l["subject_kind"], l["subject_id"], l["typology"], l["group_id"]
        );
    }
    let breach_labels = dir.join("breach-labels.csv");
    std::fs::write(&breach_labels, text).unwrap();
    let out = finmon_ok(&[
        "eval",
        "--labels",
        breach_labels.to_str().unwrap(),
        "--findings",
        dir.join("out/findings.csv").to_str().unwrap(),
    ]);
    let s = scores(&out);
    for b in BREACHES {
        let (labelled, f1) = s
            .get(b)
            .copied()
            .unwrap_or_else(|| panic!("no {b} labels:\n{out}"));
        assert!(labelled >= 3, "only {labelled} {b} labels:\n{out}");
        assert!(f1 >= 0.99, "{b} F1 {f1}:\n{out}");
    }
}

#[test]
fn labels_name_real_subjects_with_groups_and_valid_numbers() {
    let dir = tmp("generate-labels");
    let data = dir.join("data");
    generate(&data, "1500", "30", "7");
    let ids = |table: &str, key: &str| -> HashSet<String> {
        csv_rows(&data.join(format!("{table}.csv")))
            .into_iter()
            .map(|r| r[key].clone())
            .collect()
    };
    let parties = csv_rows(&data.join("parties.csv"));
    let accounts = csv_rows(&data.join("accounts.csv"));
    let known: HashMap<&str, HashSet<String>> = HashMap::from([
        ("transaction", ids("transactions", "tx_id")),
        (
            "account",
            accounts.iter().map(|r| r["account_id"].clone()).collect(),
        ),
        (
            "party",
            parties.iter().map(|r| r["party_id"].clone()).collect(),
        ),
        ("institution", ids("institutions", "institution_id")),
    ]);
    let labels = csv_rows(&data.join("labels.csv"));
    let mut groups: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut fictitious = HashSet::new();
    for l in &labels {
        let kind = l["subject_kind"].as_str();
        assert!(
            known[kind].contains(&l["subject_id"]),
            "label of a missing {kind}: {l:?}"
        );
        let t = l["typology"].as_str();
        if !BREACHES.contains(&t) {
            assert!(
                !l["group_id"].is_empty(),
                "scheme label without a group: {l:?}"
            );
            groups
                .entry(t.to_string())
                .or_default()
                .insert(l["group_id"].clone());
        }
        if t == "fictitious_identity" {
            fictitious.insert(l["subject_id"].clone());
        }
    }
    for t in [
        "cash_out_network",
        "drop_card",
        "mule",
        "shell_firm",
        "false_invoice",
        "unlicensed_exchange",
        "exchanger",
        "structuring",
        "fan_in",
        "fan_out",
        "cycle",
        "scatter_gather",
        "gather_scatter",
        "bipartite",
        "stack",
    ] {
        assert!(
            groups.get(t).is_some_and(|g| !g.is_empty()),
            "no {t} group: {groups:?}"
        );
    }
    // A perfect detector (the labels themselves as findings) scores exactly 1 on every typology.
    let perfect = finmon_ok(&[
        "eval",
        data.to_str().unwrap(),
        "--findings",
        data.join("labels.csv").to_str().unwrap(),
    ]);
    assert_eq!(
        perfect.trim_end().lines().last(),
        Some("overall P=1.000 R=1.000 F1=1.000"),
        "{perfect}"
    );
    assert!(
        scores(&perfect).values().all(|&(n, f1)| n > 0 && f1 == 1.0),
        "{perfect}"
    );
    // Valid check digits everywhere but on the fictitious identities.
    for p in &parties {
        let id = p["iin_bin"].as_str();
        if id.is_empty() {
            continue;
        }
        let valid = match p["kind"].as_str() {
            "company" => finmon_ident::Bin::parse(id).is_ok(),
            _ => finmon_ident::Iin::parse(id).is_ok(),
        };
        assert_eq!(!valid, fictitious.contains(&p["party_id"]), "{p:?}");
    }
    for a in &accounts {
        if !a["iban"].is_empty() {
            assert!(finmon_ident::Iban::parse(&a["iban"]).is_ok(), "{a:?}");
        }
    }
    // Somebody holds more than ten cards at one bank, and is labelled for it.
    let mut cards: HashMap<(&str, &str), usize> = HashMap::new();
    for a in accounts.iter().filter(|a| a["kind"] == "card") {
        *cards
            .entry((a["holder_party_id"].as_str(), a["institution_id"].as_str()))
            .or_default() += 1;
    }
    let labelled: HashSet<&str> = labels
        .iter()
        .filter(|l| matches!(l["typology"].as_str(), "mule" | "fictitious_identity"))
        .map(|l| l["subject_id"].as_str())
        .collect();
    let collectors: Vec<&str> = cards
        .iter()
        .filter(|(_, &n)| n > 10)
        .map(|((p, _), _)| *p)
        .collect();
    assert!(
        !collectors.is_empty(),
        "nobody has more than 10 cards at a bank"
    );
    assert!(
        collectors.iter().all(|p| labelled.contains(p)),
        "{collectors:?}"
    );
}

#[test]
fn a_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let dir = tmp("generate-seed");
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    generate(&a, "600", "15", "42");
    generate(&b, "600", "15", "42");
    generate(&c, "600", "15", "43");
    let mut names: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 8, "{names:?}");
    for n in &names {
        let (x, y) = (
            std::fs::read(a.join(n)).unwrap(),
            std::fs::read(b.join(n)).unwrap(),
        );
        assert!(x == y, "{n:?} differs between two runs of one seed");
    }
    assert_ne!(
        std::fs::read(a.join("transactions.csv")).unwrap(),
        std::fs::read(c.join("transactions.csv")).unwrap()
    );
}

#[test]
fn bad_settings_are_refused_with_a_reason() {
    let dir = tmp("generate-bad");
    let out = finmon(&["generate", dir.join("x").to_str().unwrap(), "--people", "3"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--people"));
    let out = finmon(&[
        "generate",
        dir.join("y").to_str().unwrap(),
        "--start",
        "2025-13-01",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--start"));
}
