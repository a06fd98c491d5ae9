//! `finmon experiment`, `train` and `scan --model` end to end on a small labelled AMLSim-layout
//! dataset the test writes: repeat trade and one-off payments in the background, laundering
//! rings (cycles, scatter-gather, fan-outs, gather-scatter) planted between accounts that had
//! never paid each other.

mod common;
use common::*;
use std::fmt::Write as _;
use std::path::Path;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Writes `transactions.csv` and `alert_transactions.csv`; returns the laundering row count.
fn write_dataset(dir: &Path, seed: u64) -> usize {
    let mut rng = Lcg(seed);
    const ACCOUNTS: u64 = 300;
    const DAYS: u64 = 240;
    // (day, from, to, amount cents, alert id, alert type)
    let mut rows: Vec<(u64, u64, u64, u64, i64, &str)> = Vec::new();
    for _ in 0..400 {
        let (a, b) = (rng.next(ACCOUNTS), rng.next(ACCOUNTS));
        if a == b {
            continue;
        }
        let period = 5 + rng.next(25);
        let mut day = rng.next(period);
        while day < DAYS {
            rows.push((day, a, b, 1_000 + rng.next(90_000), -1, ""));
            day += period;
        }
    }
    for _ in 0..300 {
        let (a, b) = (rng.next(ACCOUNTS), rng.next(ACCOUNTS));
        if a != b {
            rows.push((rng.next(DAYS), a, b, 1_000 + rng.next(90_000), -1, ""));
        }
    }
    let mut alert = 0i64;
    let mut start = 3;
    while start + 8 < DAYS {
        let kind = ["cycle", "scatter_gather", "fan_out", "gather_scatter"][alert as usize % 4];
        let mut members: Vec<u64> = Vec::new();
        while members.len() < 7 {
            let m = rng.next(ACCOUNTS);
            if !members.contains(&m) {
                members.push(m);
            }
        }
        let day = |rng: &mut Lcg| start + rng.next(7);
        let amount = 20_000 + rng.next(50_000);
        let mut add = |d: u64, a: u64, b: u64, amt: u64| rows.push((d, a, b, amt, alert, kind));
        match kind {
            "cycle" => {
                for i in 0..5 {
                    add(day(&mut rng), members[i], members[(i + 1) % 5], amount);
                }
            }
            "scatter_gather" => {
                for &mid in &members[1..5] {
                    add(start, members[0], mid, amount);
                    add(start + 2 + rng.next(4), mid, members[5], amount);
                }
            }
            "fan_out" => {
                for &to in &members[1..7] {
                    add(day(&mut rng), members[0], to, amount + rng.next(5_000));
                }
            }
            _ => {
                for &from in &members[1..4] {
                    add(
                        start + rng.next(3),
                        from,
                        members[0],
                        amount + rng.next(5_000),
                    );
                }
                for &to in &members[4..7] {
                    add(
                        start + 3 + rng.next(3),
                        members[0],
                        to,
                        amount + rng.next(5_000),
                    );
                }
            }
        }
        alert += 1;
        start += 9;
    }
    rows.sort_by_key(|r| r.0);
    let (mut tx, mut alerts) = (String::new(), String::new());
    tx.push_str("tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n");
    alerts.push_str(
        "alert_id,alert_type,is_sar,tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp\n",
    );
    let mut laundering = 0;
    for (i, &(day, a, b, cents, id, kind)) in rows.iter().enumerate() {
        let (y, m, d) = ymd(day);
        let ts = format!("{y}-{m:02}-{d:02}T00:00:00Z");
        let amt = format!("{}.{:02}", cents / 100, cents % 100);
        let sar = if id >= 0 { "True" } else { "False" };
        writeln!(tx, "{i},{a},{b},TRANSFER,{amt},{ts},{sar},{id}").unwrap();
        if id >= 0 {
            laundering += 1;
            writeln!(alerts, "{id},{kind},True,{i},{a},{b},TRANSFER,{amt},{ts}").unwrap();
        }
    }
    std::fs::write(dir.join("transactions.csv"), tx).unwrap();
    std::fs::write(dir.join("alert_transactions.csv"), alerts).unwrap();
    laundering
}

/// The date `day` days after 2017-01-01 (no leap day within 240 days of it).
fn ymd(day: u64) -> (u64, u64, u64) {
    let months = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut m, mut d) = (0, day);
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    (2017, m as u64 + 1, d + 1)
}

fn experiment(data: &Path, out: &Path, mode: &str) -> (String, serde_json::Value) {
    let stdout = finmon_ok(&[
        "experiment",
        data.to_str().unwrap(),
        "--mode",
        mode,
        "--json",
        out.to_str().unwrap(),
    ]);
    let json = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    (stdout, json)
}

#[test]
fn experiment_train_and_scan_with_a_model() {
    let dir = tmp("experiment");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let laundering = write_dataset(&data, 7);
    assert!(laundering > 100, "{laundering} planted rows");

    let (stdout, json) = experiment(&data, &dir.join("off.json"), "offline");
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("test P="), "last line: {last}");
    for part in ["test", "miner", "validation"] {
        for key in ["precision", "recall", "f1", "recall_by_typology"] {
            assert!(!json[part][key].is_null(), "{part}.{key} in {json}");
        }
    }
    let f1 = json["test"]["f1"].as_f64().unwrap();
    assert!(
        last.contains(&format!("F1={f1:.3}")),
        "{last} vs {}",
        json["test"]
    );
    // Planted rings between strangers are what the features describe: the model finds them.
    assert!(f1 >= 0.8, "offline test F1 {f1}: {}", json["test"]);
    assert!(
        json["test"]["recall_by_typology"]["cycle"]
            .as_f64()
            .unwrap()
            > 0.5
    );

    // Same input, same output (timings aside).
    let (_, again) = experiment(&data, &dir.join("off2.json"), "offline");
    // The miner's settings are chosen on validation among the named presets, not fixed.
    let preset = json["miner_preset"].as_str().unwrap();
    assert!(
        finmon_graph::PRESETS.contains(&preset),
        "miner_preset {preset}"
    );
    assert_eq!(
        json["miner_candidates"].as_array().unwrap().len(),
        finmon_graph::PRESETS.len()
    );
    for key in [
        "test",
        "validation",
        "miner",
        "windows_secs",
        "threshold",
        "miner_preset",
    ] {
        assert_eq!(json[key], again[key], "{key} differs between two runs");
    }

    let (_, online) = experiment(&data, &dir.join("on.json"), "online");
    assert!(
        online["test"]["f1"].as_f64().unwrap() >= 0.3,
        "{}",
        online["test"]
    );

    // Per-transaction scores for the analyst: every validation and test row, the flagged and
    // the labelled ones with their top features.
    let scores = dir.join("scores.csv");
    finmon_ok(&[
        "experiment",
        data.to_str().unwrap(),
        "--scores",
        scores.to_str().unwrap(),
    ]);
    let rows = csv_rows(&scores);
    assert!(
        rows.iter().any(|r| r["part"] == "test") && rows.iter().any(|r| r["part"] == "validation")
    );
    let flagged: Vec<_> = rows.iter().filter(|r| r["flagged"] == "1").collect();
    assert!(!flagged.is_empty());
    assert!(flagged.iter().all(|r| !r["top_features"].is_empty()));
    let test_tp = rows
        .iter()
        .filter(|r| r["part"] == "test" && r["flagged"] == "1" && !r["typology"].is_empty())
        .count();
    assert_eq!(
        test_tp as u64,
        json["test"]["true_positives"].as_u64().unwrap()
    );

    // Asked to stack, train tries a second stage over the first stage's scores of the
    // neighbours and keeps it only if it does as well on validation; either way the model
    // file says which, and scans. (Stacked scoring itself is tested in finmon-learn.)
    let stacked = dir.join("stacked.json");
    let out = finmon(&[
        "train",
        data.to_str().unwrap(),
        "--model",
        stacked.to_str().unwrap(),
        "--stack",
    ]);
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("stacked on those windows"), "{log}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stacked).unwrap()).unwrap();
    let names = m["names"].to_string();
    assert_eq!(
        !m["stage1"].is_null(),
        names.contains("nb.in_src@w0") && names.contains("stage1"),
        "{names}"
    );
    let out = dir.join("scan-stacked");
    scan(&data, &out, &["--model", stacked.to_str().unwrap()]);
    assert!(csv_rows(&out.join("findings.csv"))
        .iter()
        .any(|f| f["reason"].starts_with("model score")));

    // train, then scan with the model: scored findings with their reasons.
    let model = dir.join("model.json");
    finmon_ok(&[
        "train",
        data.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&model).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(m["format"], "finmon-model");
    assert!(m["names"].as_array().unwrap().len() > 50);
    assert!(m["features"]["windows"].as_array().is_some());
    let names = m["names"].to_string();
    assert!(
        !names.contains("id") || !names.contains("tran_id"),
        "no id columns"
    );
    let out = dir.join("scan");
    scan(&data, &out, &["--model", model.to_str().unwrap()]);
    let findings = csv_rows(&out.join("findings.csv"));
    let scored: Vec<_> = findings
        .iter()
        .filter(|f| f["reason"].starts_with("model score"))
        .collect();
    assert!(!scored.is_empty(), "the model flags something");
    for f in &scored {
        assert_eq!(f["subject_kind"], "transaction");
        assert!(f["reason"].contains("top features:"), "{}", f["reason"]);
    }
    // A file that is not a model is refused with its name.
    std::fs::write(dir.join("bad.json"), "{\"format\":\"x\"}").unwrap();
    let bad = finmon(&[
        "scan",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--model",
        dir.join("bad.json").to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad.json"));
}
