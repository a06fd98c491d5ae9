//! `finmon networks` end to end: the report, its JSON, its pictures and its findings.

mod common;
use common::*;

#[test]
fn report_of_the_example_dataset() {
    let out = tmp("networks-example");
    let stdout = finmon_ok(&[
        "networks",
        repo().join("examples/kz-small").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let line = stdout.lines().next().unwrap_or_default();
    assert!(
        line.starts_with(
            "0 cash-out networks, 0.00 KZT (0.00 KZT out as cash); 0 shell-firm rings"
        ) && line.contains("1 unlicensed exchanges, 126,250.00 KZT"),
        "{line}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("networks.json")).unwrap()).unwrap();
    assert_eq!(doc["summary"], line);
    let g = &doc["groups"][0];
    assert_eq!(g["kind"], "unlicensed exchange");
    assert_eq!(g["institutions"][0], "MEXC");
    assert_eq!(g["accounts"]["X002"], "account at the exchange");
    assert_eq!(g["transactions"], 1);
    let svg = std::fs::read_to_string(out.join("EXCH-1.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("X002"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## EXCH-1 — unlicensed exchange") && md.contains("![EXCH-1](EXCH-1.svg)"));
    let findings = csv_rows(&out.join("findings.csv"));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["typology"], "unlicensed_exchange");
}

/// The scheme detectors on a generated dataset they were never tuned on: every scheme typology
/// planted is found with F1 ≥ 0.85 (the quality bar on full-size data is 0.90; a small world
/// has few schemes, so one miss weighs more), and the report names the networks.
#[test]
fn schemes_are_found_in_generated_data() {
    let dir = tmp("networks-generated");
    let data = dir.join("data");
    finmon_ok(&[
        "generate",
        data.to_str().unwrap(),
        "--people",
        "4000",
        "--days",
        "60",
        "--seed",
        "4242",
    ]);
    let out = dir.join("scan");
    scan(&data, &out, &[]);
    let json = dir.join("eval.json");
    finmon_ok(&[
        "eval",
        data.to_str().unwrap(),
        "--findings",
        out.join("findings.csv").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let eval: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let mut checked = 0;
    for t in [
        "cash_out_network",
        "drop_card",
        "mule",
        "fictitious_identity",
        "shell_firm",
        "false_invoice",
        "unlicensed_exchange",
        "exchanger",
        "structuring",
        "missing_iin",
        "no_biometrics",
        "video_gap",
        "threshold_report",
    ] {
        let s = &eval["by_typology"][t];
        if s["labelled"].as_u64().unwrap_or(0) == 0 {
            continue;
        }
        checked += 1;
        let f1 = s["f1"].as_f64().unwrap_or(0.0);
        assert!(f1 >= 0.85, "{t}: {s}");
    }
    assert!(checked >= 10, "the world planted most schemes: {checked}");
    let report = dir.join("networks");
    let stdout = finmon_ok(&[
        "networks",
        data.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(!first.starts_with("0 cash-out networks"), "{first}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("networks.json")).unwrap())
            .unwrap();
    let groups = doc["groups"].as_array().unwrap();
    let net = groups
        .iter()
        .find(|g| g["kind"] == "cash-out network")
        .expect("a network");
    let id = net["id"].as_str().unwrap();
    let svg = std::fs::read_to_string(report.join(format!("{id}.svg"))).unwrap();
    assert!(svg.contains("drop card") && svg.contains("<line"));
    assert!(net["evidence"][0].as_str().unwrap().contains("drop cards"));
}

/// `finmon demo` chains generate, scan, networks and eval into one folder.
#[test]
fn demo_writes_every_stage() {
    let out = tmp("demo");
    let stdout = finmon_ok(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--people",
        "2000",
        "--days",
        "30",
        "--seed",
        "3",
    ]);
    for stage in ["generate", "scan", "networks", "eval"] {
        assert!(stdout.contains(&format!("== finmon {stage}")), "{stdout}");
    }
    assert!(
        stdout.lines().any(|l| l.starts_with("overall P=")),
        "{stdout}"
    );
    for file in [
        "data/transactions.csv",
        "data/labels.csv",
        "scan/findings.csv",
        "scan/summary.json",
        "networks/report.md",
        "networks/networks.json",
        "eval.json",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
}
