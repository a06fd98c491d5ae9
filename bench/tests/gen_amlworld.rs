//! Runs the `gen-amlworld` binary on small inputs and checks its output.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

const TRANS_HEADER: &str = "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering";
const ACCOUNTS_HEADER: &str = "Bank Name,Bank ID,Account Number,Entity ID,Entity Name";
const CURRENCIES: [&str; 15] = [
    "US Dollar",
    "Euro",
    "Yuan",
    "Yen",
    "UK Pound",
    "Rupee",
    "Ruble",
    "Australian Dollar",
    "Canadian Dollar",
    "Swiss Franc",
    "Mexican Peso",
    "Brazil Real",
    "Shekel",
    "Saudi Riyal",
    "Bitcoin",
];
const FORMATS: [&str; 7] = [
    "Reinvestment",
    "Cheque",
    "Credit Card",
    "ACH",
    "Cash",
    "Wire",
    "Bitcoin",
];

/// A fresh, empty directory under the system temp dir; removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("finmon-bench-{tag}-{}-{nanos}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn generate(dir: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_gen-amlworld"))
        .arg(dir)
        .args(args)
        .output()
        .expect("run gen-amlworld");
    assert!(
        out.status.success(),
        "gen-amlworld failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rows="), "no summary line: {stderr}");
}

fn is_id(s: &str) -> bool {
    s.len() == 9
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

fn is_bank(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY/MM/DD HH:MM`, within 2022/09/01 .. 2022/09/18.
fn check_timestamp(ts: &str) {
    let b = ts.as_bytes();
    assert_eq!(b.len(), 16, "timestamp {ts}");
    for (i, &c) in b.iter().enumerate() {
        match i {
            4 | 7 => assert_eq!(c, b'/', "timestamp {ts}"),
            10 => assert_eq!(c, b' ', "timestamp {ts}"),
            13 => assert_eq!(c, b':', "timestamp {ts}"),
            _ => assert!(c.is_ascii_digit(), "timestamp {ts}"),
        }
    }
    assert_eq!(&ts[..8], "2022/09/", "timestamp {ts}");
    let day: u32 = ts[8..10].parse().unwrap();
    let hour: u32 = ts[11..13].parse().unwrap();
    let minute: u32 = ts[14..16].parse().unwrap();
    assert!((1..=18).contains(&day), "timestamp {ts}");
    assert!(hour < 24, "timestamp {ts}");
    assert!(minute < 60, "timestamp {ts}");
}

/// Digits, a dot, digits; parses to a positive number.
fn check_amount(a: &str) -> f64 {
    let (int, frac) = a.split_once('.').unwrap_or_else(|| panic!("amount {a}"));
    assert!(
        !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()),
        "amount {a}"
    );
    assert!(
        !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()),
        "amount {a}"
    );
    let v: f64 = a.parse().unwrap();
    assert!(v > 0.0, "amount {a}");
    v
}

#[test]
fn output_is_well_formed() {
    let tmp = TempDir::new("wellformed");
    generate(&tmp.0, &["--rows", "1000", "--seed", "42"]);

    let trans = fs::read_to_string(tmp.0.join("bench_Trans.csv")).unwrap();
    let accounts = fs::read_to_string(tmp.0.join("bench_accounts.csv")).unwrap();

    // Accounts file: header, then (bank, account) -> entity.
    let mut acct_lines = accounts.lines();
    assert_eq!(acct_lines.next(), Some(ACCOUNTS_HEADER));
    let mut listed: HashMap<(String, String), String> = HashMap::new();
    let mut entities: HashMap<String, usize> = HashMap::new();
    for line in acct_lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 5, "accounts row {line}");
        assert!(f[0].contains('#'), "bank name {line}");
        assert!(is_bank(f[1]), "bank id {line}");
        assert!(is_id(f[2]) && is_id(f[3]), "ids {line}");
        assert!(
            [
                "Corporation #",
                "Sole Proprietorship #",
                "Partnership #",
                "Person #"
            ]
            .iter()
            .any(|p| f[4].starts_with(p)),
            "entity name {line}"
        );
        let prev = listed.insert((f[1].into(), f[2].into()), f[3].into());
        assert!(prev.is_none(), "duplicate account {line}");
        *entities.entry(f[3].into()).or_default() += 1;
    }
    assert_eq!(listed.len(), 100, "default accounts = rows / 10");
    // Each account number belongs to exactly one bank.
    let numbers: HashSet<&String> = listed.keys().map(|(_, a)| a).collect();
    assert_eq!(numbers.len(), listed.len());
    assert!(
        entities.values().any(|&n| n > 1),
        "some entity should own several accounts"
    );

    let mut lines = trans.lines();
    assert_eq!(lines.next(), Some(TRANS_HEADER));
    let mut rows = 0;
    let mut cross = 0;
    for line in lines {
        rows += 1;
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 11, "row {line}");
        check_timestamp(f[0]);
        for (bank, acct) in [(f[1], f[2]), (f[3], f[4])] {
            assert!(is_bank(bank) && is_id(acct), "row {line}");
            assert!(
                listed.contains_key(&(bank.to_string(), acct.to_string())),
                "account {bank}/{acct} not in accounts file"
            );
        }
        let received = check_amount(f[5]);
        let paid = check_amount(f[7]);
        assert!(received <= 1e7 && paid <= 1e7, "row {line}");
        assert!(CURRENCIES.contains(&f[6]), "row {line}");
        assert!(CURRENCIES.contains(&f[8]), "row {line}");
        assert!(FORMATS.contains(&f[9]), "row {line}");
        assert!(f[10] == "0" || f[10] == "1", "row {line}");
        if f[6] != f[8] {
            cross += 1;
        } else {
            assert_eq!(f[5], f[7], "same currency, same amount: {line}");
        }
        if f[9] == "Reinvestment" {
            assert_eq!((f[1], f[2]), (f[3], f[4]), "self-transfer: {line}");
        }
        assert_eq!(
            f[9] == "Bitcoin",
            f[8] == "Bitcoin",
            "Bitcoin format iff Bitcoin currency: {line}"
        );
    }
    assert_eq!(rows, 1000);
    assert!(cross < 100, "cross-currency rows {cross}");
}

#[test]
fn same_seed_same_bytes() {
    let a = TempDir::new("det-a");
    let b = TempDir::new("det-b");
    let c = TempDir::new("det-c");
    let args = ["--rows", "3000", "--accounts", "250", "--seed", "7"];
    generate(&a.0, &args);
    generate(&b.0, &args);
    generate(
        &c.0,
        &["--rows", "3000", "--accounts", "250", "--seed", "8"],
    );
    for name in ["bench_Trans.csv", "bench_accounts.csv"] {
        let x = fs::read(a.0.join(name)).unwrap();
        let y = fs::read(b.0.join(name)).unwrap();
        let z = fs::read(c.0.join(name)).unwrap();
        assert!(x == y, "{name} differs between runs with the same seed");
        assert!(x != z, "{name} identical for different seeds");
    }
}

#[test]
fn laundering_rate_is_honoured() {
    let tmp = TempDir::new("rate");
    generate(&tmp.0, &["--rows", "2000", "--laundering-rate", "0.5"]);
    let trans = fs::read_to_string(tmp.0.join("bench_Trans.csv")).unwrap();
    let ones = trans.lines().skip(1).filter(|l| l.ends_with(",1")).count();
    assert!((800..1200).contains(&ones), "laundering rows {ones}");
}

#[test]
fn bad_arguments_fail() {
    let out = Command::new(env!("CARGO_BIN_EXE_gen-amlworld"))
        .arg(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!out.status.success(), "missing --rows must fail");
}
