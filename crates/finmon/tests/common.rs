//! Helpers for the end-to-end tests: run the real binary, read what it wrote.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// External labelled data beside the repository (`../shared/data/NAME`).
pub fn shared(name: &str) -> PathBuf {
    repo().join("../shared/data").join(name)
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh, empty folder for one test.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("finmon-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

pub fn finmon(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_finmon"))
        .args(args)
        .output()
        .expect("run finmon")
}

/// Runs finmon and fails the test with its stderr if it does not succeed.
pub fn finmon_ok(args: &[&str]) -> String {
    let out = finmon(args);
    assert!(
        out.status.success(),
        "finmon {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

pub fn scan(dataset: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "scan",
        dataset.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    finmon_ok(&args);
    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("summary is JSON")
}

/// CSV rows (header excluded) as string maps.
pub fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let headers = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

pub fn counts(summary: &serde_json::Value, table: &str) -> (u64, u64, u64, u64) {
    let t = &summary["tables"][table];
    let n = |k: &str| {
        t[k].as_u64()
            .unwrap_or_else(|| panic!("{table}.{k} in {t}"))
    };
    (n("read"), n("accepted"), n("rejected"), n("duplicates"))
}
