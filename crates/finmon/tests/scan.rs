//! `finmon scan` end to end: the example dataset, the shared AMLSim runs, malformed input.

mod common;
use common::*;
use std::collections::BTreeSet;

#[test]
fn example_dataset_findings_are_exactly_its_labels() {
    let out = tmp("example");
    let s = scan(&repo().join("examples/kz-small"), &out, &[]);
    assert_eq!(
        counts(&s, "transactions"),
        (23, 22, 0, 1),
        "T001 is re-sent once"
    );
    for (table, n) in [
        ("institutions", 7),
        ("parties", 11),
        ("accounts", 15),
        ("identifiers", 10),
        ("rates", 5),
        ("atm_video", 2),
        ("labels", 15),
    ] {
        assert_eq!(counts(&s, table), (n, n, 0, 0), "{table}");
    }
    assert_eq!(s["accounts_created_from_transactions"], 0);
    assert_eq!(s["kzt_by_kind"]["card_topup"], "2812000.01");
    assert_eq!(
        s["kzt_by_kind"]["crypto_sell"], "126250.00",
        "250 USDT × 505.00"
    );
    let findings = csv_rows(&out.join("findings.csv"));
    let got: BTreeSet<(String, String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["subject_kind"].clone(),
                f["subject_id"].clone(),
                f["typology"].clone(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> =
        csv_rows(&repo().join("examples/kz-small/labels.csv"))
            .iter()
            .map(|l| {
                (
                    l["subject_kind"].clone(),
                    l["subject_id"].clone(),
                    l["typology"].clone(),
                )
            })
            .collect();
    assert_eq!(got, want);
    assert_eq!(
        findings.len(),
        want.len(),
        "one row per subject and typology"
    );
    // Every reason names the figures: the T005 valuation uses the latest earlier USD rate.
    let t005 = findings.iter().find(|f| f["subject_id"] == "T005").unwrap();
    assert!(
        t005["reason"].contains("612,000.00 KZT (1200.00 USD)"),
        "{}",
        t005["reason"]
    );
    assert!(
        t005["reason"].contains("500,000.00 KZT"),
        "{}",
        t005["reason"]
    );
    let p006 = findings.iter().find(|f| f["subject_id"] == "P006").unwrap();
    assert!(p006["reason"].contains("949940000385") && p006["reason"].contains("month is 99"));
    assert_eq!(csv_rows(&out.join("rejects.csv")).len(), 0);

    let text = finmon_ok(&[
        "eval",
        repo().join("examples/kz-small").to_str().unwrap(),
        "--findings",
        out.join("findings.csv").to_str().unwrap(),
    ]);
    assert_eq!(
        text.trim_end().lines().last(),
        Some("overall P=1.000 R=1.000 F1=1.000")
    );
}

#[test]
fn rescanning_is_idempotent() {
    let (a, b) = (tmp("idem-a"), tmp("idem-b"));
    scan(&repo().join("examples/kz-small"), &a, &[]);
    scan(&repo().join("examples/kz-small"), &b, &[]);
    for f in ["findings.csv", "rejects.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between two scans"
        );
    }
}

#[test]
fn malformed_rows_are_quarantined_and_good_rows_arrive() {
    let out = tmp("malformed");
    let s = scan(&fixture("malformed"), &out, &[]);
    assert_eq!(counts(&s, "transactions"), (20, 4, 15, 1));
    assert_eq!(counts(&s, "accounts"), (6, 2, 3, 1));
    assert_eq!(counts(&s, "rates"), (3, 1, 2, 0));
    assert!(s["tables"]["parties"]["error"]
        .as_str()
        .unwrap()
        .contains("missing required column 'kind'"));
    assert_eq!(
        s["accounts_created_from_transactions"], 1,
        "ZZZ is created as unknown"
    );
    let rejects = csv_rows(&out.join("rejects.csv"));
    let tx: Vec<(u64, &str, &str)> = rejects
        .iter()
        .filter(|r| r["table"] == "transactions")
        .map(|r| {
            (
                r["line"].parse().unwrap(),
                r["column"].as_str(),
                r["reason"].as_str(),
            )
        })
        .collect();
    let expect: &[(u64, &str, &str)] = &[
        (3, "", "expected 10 columns, found 9"),
        (4, "timestamp", "unparsable timestamp"),
        (5, "timestamp", "out-of-range timestamp"),
        (6, "amount", "unparsable amount"),
        (7, "amount", "amount must be positive, got 0.00"),
        (8, "amount", "amount must be positive, got -5.00"),
        (9, "kind", "unknown kind 'wire'"),
        (10, "reference", "invalid UTF-8 in column reference"),
        (13, "tx_id", "conflicts with line 11"),
        (14, "currency", "invalid currency 'usd'"),
        (
            15,
            "currency",
            "no KZT rate for GBP on or before 2025-03-14",
        ),
        (16, "biometric", "unknown biometric 'maybe'"),
        (18, "amount_kzt", "more than 2 decimals"),
        (19, "", "neither from_account nor to_account"),
        (20, "tx_id", "tx_id is empty"),
    ];
    assert_eq!(tx.len(), expect.len(), "{tx:#?}");
    for ((line, col, reason), (el, ec, er)) in tx.iter().zip(expect) {
        assert_eq!((line, col), (el, ec), "{reason}");
        assert!(
            reason.contains(er),
            "line {line}: '{reason}' should contain '{er}'"
        );
    }
    let conflict = rejects.iter().find(|r| r["line"] == "13").unwrap();
    assert!(
        conflict["raw"].contains("999.99"),
        "the raw row is kept: {conflict:?}"
    );
    assert_eq!(
        rejects.iter().find(|r| r["line"] == "10").unwrap()["raw"],
        "B10,2025-03-14T09:00:00+05:00,transfer,A1,A2,1000.00,KZT,,,caf\u{FFFD}"
    );
    let refused = rejects.iter().find(|r| r["table"] == "parties").unwrap();
    assert_eq!(
        (refused["line"].as_str(), refused["column"].as_str()),
        ("1", "kind")
    );
    // Every good row arrived, valued in tenge.
    assert_eq!(
        s["kzt_by_kind"]["transfer"], "1075.00",
        "G1 1000.00 + G3 75.00"
    );
    assert_eq!(
        s["kzt_by_kind"]["p2p"], "126532.56",
        "G2 250.50 USD × 505.12"
    );
    assert_eq!(
        s["kzt_by_kind"]["cash_withdrawal"], "109660.00",
        "G4 valued by its sender"
    );
}

#[test]
fn a_missing_required_transaction_column_stops_with_its_name() {
    let out = finmon(&[
        "scan",
        fixture("no-amount").to_str().unwrap(),
        "--out",
        tmp("noamount").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing required column 'amount'"), "{err}");
}

#[test]
fn a_missing_folder_or_one_without_transactions_is_a_clear_error() {
    let out = finmon(&["scan", "/nonexistent/finmon-data"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let empty = tmp("empty");
    let out = finmon(&["scan", empty.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no transactions table"));
}

#[test]
fn amlsim_full_run_with_its_labels() {
    let out = tmp("mix10k");
    let s = scan(&shared("amlsim-mix10k"), &out, &[]);
    assert_eq!(s["format"], "amlsim");
    assert_eq!(counts(&s, "transactions"), (198_733, 198_733, 0, 0));
    assert_eq!(counts(&s, "accounts"), (12_043, 12_043, 0, 0));
    assert_eq!(s["accounts_created_from_transactions"], 0);
    // The labels: 365 laundering transactions by typology, as the data's README counts them.
    let labels_json = out.join("scores.json");
    let findings = out.join("labelled.csv");
    let mut w = csv::Writer::from_path(&findings).unwrap();
    w.write_record(["subject_kind", "subject_id", "typology"])
        .unwrap();
    for r in csv_rows(&shared("amlsim-mix10k/alert_transactions.csv")) {
        w.write_record(["transaction", &r["tran_id"], &r["alert_type"]])
            .unwrap();
    }
    w.flush().unwrap();
    let text = finmon_ok(&[
        "eval",
        shared("amlsim-mix10k").to_str().unwrap(),
        "--findings",
        findings.to_str().unwrap(),
        "--json",
        labels_json.to_str().unwrap(),
    ]);
    let scores: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&labels_json).unwrap()).unwrap();
    for (t, n) in [
        ("fan_in", 67),
        ("fan_out", 64),
        ("cycle", 68),
        ("scatter_gather", 104),
        ("gather_scatter", 62),
    ] {
        assert_eq!(scores["by_typology"][t]["true_positives"], n, "{t}: {text}");
    }
    // Every labelled transaction found; the account labels (365 account-alert pairs) not.
    assert_eq!(scores["by_subject_kind"]["transaction"]["recall"], 1.0);
    assert_eq!(scores["by_subject_kind"]["account"]["labelled"], 365);
    assert_eq!(scores["overall"]["precision"], 1.0);
}

#[test]
fn amlsim_sample_graph_layout() {
    let out = tmp("20k");
    let s = scan(
        &shared("amlsim-20k-fanin-cycle"),
        &out,
        &["--format", "amlsim"],
    );
    assert_eq!(counts(&s, "transactions"), (120_558, 120_558, 0, 0));
    assert_eq!(counts(&s, "accounts"), (20_000, 20_000, 0, 0));
    assert_eq!(counts(&s, "labels").1, 1_804, "one label per isFraud node");
}

#[test]
fn amlworld_export_with_patterns() {
    let dir = tmp("amlworld");
    std::fs::write(
        dir.join("Tiny_Trans.csv"),
        "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering\n\
2022/09/01 00:20,010,8000EBD30,010,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,Reinvestment,0\n\
2022/09/01 00:21,010,8000EBD30,020,8000F0000,100.00,US Dollar,100.00,US Dollar,ACH,1\n\
2022/09/01 00:22,010,8000EBD30,030,8000F1111,200.00,US Dollar,200.00,US Dollar,ACH,1\n\
2022/09/01 00:23,040,8000F2222,010,8000EBD30,0.002941,Bitcoin,0.002941,Bitcoin,Bitcoin,0\n\
2022/09/01 00:24,040,8000F2222,010,8000EBD30,92.10,Euro,100.00,US Dollar,Wire,0\n\
2022/09/01 25:00,040,8000F2222,010,8000EBD30,1.00,US Dollar,1.00,US Dollar,Wire,0\n\
2022/09/01 00:25,040,8000F2222,010,8000EBD30,1.00,Dinar,1.00,Dinar,Wire,0\n\
2022/09/01 00:26,050,8000F3333,060,8000F4444,7.00,US Dollar,7.00,US Dollar,Cash,1\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("Tiny_Patterns.txt"),
        "BEGIN LAUNDERING ATTEMPT - FAN-OUT\n\
2022/09/01 00:21,010,8000EBD30,020,8000F0000,100.00,US Dollar,100.00,US Dollar,ACH,1\n\
2022/09/01 00:22,010,8000EBD30,030,8000F1111,200.00,US Dollar,200.00,US Dollar,ACH,1\n\
END LAUNDERING ATTEMPT - FAN-OUT\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("Tiny_accounts.csv"),
        "Bank Name,Bank ID,Account Number,Entity ID,Entity Name\nFirst Bank,010,8000EBD30,E1,Corporation #1\n",
    )
    .unwrap();
    let out = tmp("amlworld-out");
    let s = scan(&dir, &out, &[]);
    assert_eq!(s["format"], "amlworld");
    assert_eq!(counts(&s, "transactions"), (8, 6, 2, 0));
    assert_eq!(counts(&s, "accounts"), (1, 1, 0, 0));
    assert_eq!(
        s["accounts_created_from_transactions"], 5,
        "rejected rows create none"
    );
    assert_eq!(
        s["kzt_by_kind"]["crypto_transfer"], "132345.00",
        "0.002941 BTC × 45,000,000 nominal"
    );
    let rejects = csv_rows(&out.join("rejects.csv"));
    let lines: Vec<&str> = rejects.iter().map(|r| r["line"].as_str()).collect();
    assert_eq!(lines, ["7", "8"]);
    assert!(rejects[0]["reason"].contains("unparsable Timestamp"));
    assert!(rejects[1]["reason"].contains("unknown currency 'Dinar'"));
    // Labels: the attempt's two transactions (ids = line numbers) as one fan-out group, their
    // accounts too, and the lone laundering row as `laundering`.
    let findings = out.join("f.csv");
    std::fs::write(&findings, "subject_kind,subject_id,typology\ntransaction,3,fan_out\ntransaction,4,fan_out\ntransaction,9,laundering\naccount,010:8000EBD30,fan_out\n").unwrap();
    let json = out.join("scores.json");
    finmon_ok(&[
        "eval",
        dir.to_str().unwrap(),
        "--findings",
        findings.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let scores: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        scores["by_typology"]["fan_out"]["labelled"], 5,
        "2 transactions + 3 accounts"
    );
    assert_eq!(scores["by_typology"]["fan_out"]["true_positives"], 3);
    assert_eq!(scores["by_typology"]["laundering"]["true_positives"], 1);
}

#[test]
fn a_large_csv_parsed_in_parallel_matches_one_thread() {
    // Over 1 MiB without quotes, so that the parser cuts it into chunks; a re-sent id and a
    // conflicting one sit in different chunks.
    let dir = tmp("parallel");
    let mut text = String::from("tx_id,timestamp,kind,from_account,to_account,amount,currency\n");
    for i in 0..40_000 {
        text.push_str(&format!(
            "T{i},2025-03-14T09:{:02}:00+05:00,transfer,A{},A{},{}.{:02},KZT\n",
            i % 60,
            i % 997,
            (i * 7) % 1013,
            1 + i % 50_000,
            i % 100
        ));
    }
    text.push_str("T5,2025-03-14T09:05:00+05:00,transfer,A5,A35,6.05,KZT\n");
    text.push_str("T6,2025-03-14T09:06:00+05:00,transfer,A6,A42,999.99,KZT\n");
    std::fs::write(dir.join("transactions.csv"), text).unwrap();
    let (one, two) = (tmp("parallel-1"), tmp("parallel-2"));
    let s1 = scan(&dir, &one, &["--threads", "1"]);
    let s2 = scan(&dir, &two, &["--threads", "2"]);
    assert_eq!(counts(&s1, "transactions"), (40_002, 40_000, 1, 1));
    assert_eq!(counts(&s2, "transactions"), counts(&s1, "transactions"));
    assert_eq!(s1["kzt_by_kind"], s2["kzt_by_kind"]);
    assert_eq!(
        std::fs::read_to_string(one.join("rejects.csv")).unwrap(),
        std::fs::read_to_string(two.join("rejects.csv")).unwrap()
    );
    let r = csv_rows(&two.join("rejects.csv"));
    assert_eq!(r[0]["line"], "40003");
    assert!(
        r[0]["reason"].contains("conflicts with line 8"),
        "{}",
        r[0]["reason"]
    );
    assert!(
        r[0]["raw"].starts_with("T6,"),
        "raw is recovered for a cross-chunk conflict"
    );
}

#[test]
fn every_format_gives_the_same_findings() {
    let base = tmp("formats-csv");
    let want = scan(&repo().join("examples/kz-small"), &base, &[]);
    let want_findings = std::fs::read_to_string(base.join("findings.csv")).unwrap();
    for to in ["csv", "jsonl", "parquet"] {
        let dir = tmp(&format!("formats-{to}"));
        let data = dir.join("data");
        finmon_ok(&[
            "convert",
            repo().join("examples/kz-small").to_str().unwrap(),
            data.to_str().unwrap(),
            "--to",
            to,
        ]);
        assert!(data.join(format!("transactions.{to}")).is_file());
        let out = dir.join("out");
        let got = scan(&data, &out, &[]);
        assert_eq!(got["kzt_by_kind"], want["kzt_by_kind"], "{to}");
        assert_eq!(counts(&got, "transactions"), (22, 22, 0, 0), "{to}");
        assert_eq!(counts(&got, "labels"), counts(&want, "labels"), "{to}");
        assert_eq!(
            std::fs::read_to_string(out.join("findings.csv")).unwrap(),
            want_findings,
            "{to}: the same findings, reasons included"
        );
    }
}

#[test]
fn an_amlsim_export_converts_to_parquet_in_the_finmon_format() {
    let out = tmp("convert-amlsim");
    let data = out.join("data");
    finmon_ok(&[
        "convert",
        shared("amlsim-mix10k").to_str().unwrap(),
        data.to_str().unwrap(),
        "--to",
        "parquet",
    ]);
    let s = scan(&data, &out.join("scan"), &[]);
    assert_eq!(s["format"], "finmon");
    assert_eq!(counts(&s, "transactions"), (198_733, 198_733, 0, 0));
    assert_eq!(counts(&s, "labels"), (730, 730, 0, 0));
    assert_eq!(counts(&s, "accounts").1, 12_043);
}

#[test]
fn patterns_are_reported_as_groups_when_asked() {
    let dir = tmp("patterns");
    let mut text = String::from("tx_id,timestamp,kind,from_account,to_account,amount,currency\n");
    // Six new senders pay one account within a day: a fan-in. Background: a pair that pays
    // every month.
    for i in 0..6 {
        text.push_str(&format!(
            "F{i},2025-03-14T1{i}:00:00+05:00,transfer,S{i},HUB,90000.00,KZT\n"
        ));
    }
    for m in 1..=9 {
        text.push_str(&format!(
            "B{m},2025-0{m}-01T10:00:00+05:00,transfer,X,Y,1000.00,KZT\n"
        ));
    }
    std::fs::write(dir.join("transactions.csv"), text).unwrap();
    let plain = scan(&dir, &dir.join("plain"), &[]);
    assert!(
        plain["findings_by_typology"].get("fan_in").is_none(),
        "off by default"
    );
    let s = scan(&dir, &dir.join("out"), &["--patterns"]);
    assert_eq!(
        s["findings_by_typology"]["fan_in"], 13,
        "6 transactions, the hub and its 6 senders"
    );
    let f = csv_rows(&dir.join("out/findings.csv"));
    let fan: Vec<_> = f.iter().filter(|r| r["typology"] == "fan_in").collect();
    assert!(fan.iter().all(|r| r["group_id"] == "fan_in-1"));
    assert!(fan
        .iter()
        .any(|r| r["subject_kind"] == "account" && r["subject_id"] == "HUB"));
    assert!(
        fan[0]["reason"].contains("6 new senders"),
        "{}",
        fan[0]["reason"]
    );
    assert!(
        !f.iter().any(|r| r["subject_id"].starts_with('B')),
        "a monthly payer is no pattern"
    );
}
