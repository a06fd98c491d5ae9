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
