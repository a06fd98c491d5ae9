//! The engine: exact money, window edges, hot reload, snapshot and restore.

mod common;

use common::*;
use finmon_model::{AccountKind, Dataset, InstitutionKind as IK, License};
use finmon_rules::{Decision, Engine, Outcome, RuleSet, Snapshot, TxInput};
use std::sync::Arc;

fn empty() -> Arc<Dataset> {
    Arc::new(Dataset::default())
}

fn rule(id: &str, when: &str, reason: &str) -> String {
    format!(
        "[[rule]]\nid = \"{id}\"\ndescription = \"{id}\"\noutcome = \"review\"\nseverity = \"low\"\nwhen = \"{when}\"\nreason = \"{reason}\"\n"
    )
}

#[test]
fn money_compares_exactly_at_500000_00_and_500000_01() {
    let rules = [
        rule("GT", "tx.amount_kzt > 500000", ""),
        rule("GE-01", "tx.amount_kzt >= 500000.01", ""),
        rule("EQ", "tx.amount_kzt == 500000.00", ""),
        rule("HALF-TIYN", "tx.amount_kzt > 500000.005", ""),
        rule("HALF-TIYN-EQ", "tx.amount_kzt == 500000.005", ""),
        rule("FOLDED", "tx.amount_kzt <= 0.9 * 555555.56", ""),
        rule("SUM", "tx.amount_kzt + 0.01 > 500000.01", ""),
        rule("TIMES", "tx.amount_kzt * 2 >= 1000000.02", ""),
        rule("FLIPPED", "500000 < tx.amount_kzt", ""),
    ]
    .concat();
    let mut e = engine(&rules, empty());
    let at = |e: &mut Engine, amount: &str| {
        let d = decide(e, &tx("T", T0, "transfer", Some("A"), Some("B"), amount));
        fired(&d).into_iter().map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(at(&mut e, "500000.00"), ["EQ", "FOLDED"]);
    assert_eq!(at(&mut e, "500000"), ["EQ", "FOLDED"]);
    assert_eq!(
        at(&mut e, "500000.01"),
        ["GT", "GE-01", "HALF-TIYN", "SUM", "TIMES", "FLIPPED"]
    );
    assert_eq!(at(&mut e, "499999.99"), ["FOLDED"]);
    // The same through a foreign currency valued at the day's rate.
    let mut r = Reference::default();
    r.rate("USD", "2025-03-14", "476.19");
    let mut e = engine(&rules, r.build());
    let usd = |amount: &str| TxInput {
        currency: "USD".into(),
        ..tx("T", T0, "transfer", Some("A"), Some("B"), amount)
    };
    // 1050 × 476.19 = 499,999.50; 1050.01 × 476.19 = 500,004.2619 → 500,004.26.
    assert!(!fires(&decide(&mut e, &usd("1050")), "GT"));
    assert!(fires(&decide(&mut e, &usd("1050.01")), "GT"));
}

#[test]
fn absent_values_follow_cel() {
    let rules = [
        rule(
            "ERR-OR-TRUE",
            "tx.device_id == 'D' || tx.kind == 'transfer'",
            "",
        ),
        rule(
            "ERR-AND-FALSE",
            "tx.device_id == 'D' && tx.kind == 'p2p'",
            "",
        ),
        rule(
            "FALSE-AND-ERR",
            "tx.kind == 'p2p' && tx.device_id == 'D'",
            "",
        ),
        rule("NOT-ERR", "!(tx.device_id == 'D')", ""),
        rule("HAS", "!has(tx.device_id) || tx.device_id == 'D'", ""),
        rule(
            "ERR-OR-ERR",
            "tx.device_id == 'D' || tx.device_id != 'D'",
            "",
        ),
        rule(
            "ERR-AND-TRUE",
            "tx.device_id == 'D' && tx.kind == 'transfer'",
            "",
        ),
        rule("TOTAL", "!valid_iin(tx.sender_iin)", ""),
        rule(
            "TERNARY",
            "(has(tx.device_id) ? tx.device_id : tx.from_account) == 'A'",
            "",
        ),
    ]
    .concat();
    let mut e = engine(&rules, empty());
    let d = decide(&mut e, &tx("T", T0, "transfer", Some("A"), Some("B"), "1"));
    assert_eq!(fired(&d), ["ERR-OR-TRUE", "HAS", "TOTAL", "TERNARY"]);
    let with_device = TxInput {
        device_id: Some("D".into()),
        ..tx("T", T0, "transfer", Some("A"), Some("B"), "1")
    };
    let d = decide(&mut e, &with_device);
    assert_eq!(
        fired(&d),
        ["ERR-OR-TRUE", "HAS", "ERR-OR-ERR", "ERR-AND-TRUE", "TOTAL"]
    );
}

const WINDOWS: &str = r#"
[[window]]
name = "n_1h"
key = "tx.from_account"
aggregate = "count"
over = "1h"
when = "tx.kind == 'transfer'"

[[window]]
name = "sum_1h"
key = "tx.from_account"
aggregate = "sum"
of = "tx.amount_kzt"
over = "1h"

[[window]]
name = "max_1h"
key = "tx.from_account"
aggregate = "max"
of = "tx.amount_kzt"
over = "1h"

[[window]]
name = "pairs_1h"
keys = ["tx.from_account", "tx.to_account"]
aggregate = "count"
over = "1h"

[[rule]]
id = "SHOW"
description = "shows the windows"
outcome = "allow"
severity = "low"
when = "true"
reason = "n={window.n_1h} sum={window.sum_1h} max={window.max_1h} pairs={window.pairs_1h}"

[[rule]]
id = "BIG"
description = "over 1,000,000 KZT in an hour"
outcome = "review"
severity = "low"
when = "window.sum_1h > 1000000"
reason = "{window.sum_1h} KZT"
"#;

fn show(e: &mut Engine, t: &TxInput) -> String {
    reason(&decide(e, t), "SHOW").to_string()
}

#[test]
fn windows_are_open_at_t_minus_n_and_closed_at_t() {
    let mut e = engine(WINDOWS, empty());
    let t = |secs: i64, amount: &str| tx("T", secs, "transfer", Some("A"), Some("B"), amount);
    assert_eq!(
        show(&mut e, &t(T0, "100")),
        "n=1 sum=100.00 max=100.00 pairs=1"
    );
    // 3599 s later: the first is still inside (t - 3600, t].
    assert_eq!(
        show(&mut e, &t(T0 + 3_599, "50")),
        "n=2 sum=150.00 max=100.00 pairs=2"
    );
    // 3600 s after the first: exactly N old, expired.
    assert_eq!(
        show(&mut e, &t(T0 + 3_600, "20")),
        "n=2 sum=70.00 max=50.00 pairs=2"
    );
    assert_eq!(
        show(&mut e, &t(T0 + 7_199, "1")),
        "n=2 sum=21.00 max=20.00 pairs=2"
    );
    // Another receiver: the composite key is new.
    let other = tx("T", T0 + 7_199, "transfer", Some("A"), Some("C"), "1");
    assert_eq!(show(&mut e, &other), "n=3 sum=22.00 max=20.00 pairs=1");
}

#[test]
fn a_transaction_that_does_not_feed_a_window_reads_it() {
    let mut e = engine(WINDOWS, empty());
    decide(
        &mut e,
        &tx("1", T0, "transfer", Some("A"), Some("B"), "600000"),
    );
    decide(
        &mut e,
        &tx("2", T0 + 1, "transfer", Some("A"), Some("B"), "600000"),
    );
    // A p2p payment does not feed n_1h (its `when` is false) but reads it: 2, not 3.
    let d = decide(&mut e, &tx("3", T0 + 2, "p2p", Some("A"), Some("B"), "1"));
    assert_eq!(
        reason(&d, "SHOW"),
        "n=2 sum=1,200,001.00 max=600,000.00 pairs=3"
    );
    assert_eq!(reason(&d, "BIG"), "1,200,001.00 KZT");
    // A key never seen: count and sum 0, max has no value.
    let d = decide(&mut e, &tx("4", T0 + 3, "p2p", None, Some("B"), "1"));
    assert_eq!(
        reason(&d, "SHOW"),
        "n=none sum=none max=none pairs=none",
        "no from_account: no key"
    );
    let d = decide(&mut e, &tx("5", T0 + 4, "p2p", Some("NEW"), Some("B"), "1"));
    assert_eq!(reason(&d, "SHOW"), "n=0 sum=1.00 max=1.00 pairs=1");
}

#[test]
fn state_is_bounded_expired_keys_are_evicted() {
    let mut e = engine(WINDOWS, empty());
    for i in 0..1_000 {
        decide(
            &mut e,
            &tx(
                &format!("{i}"),
                T0 + i,
                "transfer",
                Some(&format!("A{i}")),
                Some("B"),
                "1",
            ),
        );
    }
    let keys: usize = e.stats().iter().map(|s| s.keys).sum();
    assert_eq!(keys, 4 * 1_000);
    // Two hours later nobody touches those keys again; the sweep frees them.
    for i in 0..1_000 {
        decide(
            &mut e,
            &tx(
                &format!("later{i}"),
                T0 + 7_200 + i,
                "transfer",
                Some("Z"),
                Some("B"),
                "1",
            ),
        );
    }
    for s in e.stats() {
        assert_eq!(s.keys, 1, "{s:?}");
        assert!(s.events <= 1_000, "{s:?}");
    }
}

#[test]
fn reserving_room_changes_no_decision() {
    let mut a = engine(WINDOWS, empty());
    let mut b = engine(WINDOWS, empty());
    assert!(b.reserve("sum_1h", 10_000));
    assert!(!b.reserve("nope", 1));
    for i in 0..3_000 {
        let t = tx(
            &format!("{i}"),
            T0 + i,
            "transfer",
            Some(&format!("A{}", i % 700)),
            Some("B"),
            "400",
        );
        assert_eq!(decide(&mut a, &t).hits, decide(&mut b, &t).hits);
    }
}

#[test]
fn decide_into_reuses_the_decision() {
    let mut e = kz(empty());
    let t = tx("T1", T0, "card_topup", None, Some("C"), "600000");
    let mut d = Decision::default();
    e.decide_into(&t, &mut d).unwrap();
    let fresh = kz(empty()).decide(&t).unwrap();
    assert_eq!(
        (d.tx_id.as_str(), d.decision, &d.hits),
        (fresh.tx_id.as_str(), fresh.decision, &fresh.hits)
    );
    // An invalid transaction is refused and changes nothing.
    let mut bad = t.clone();
    bad.amount = "6e5".into();
    assert!(e.decide_into(&bad, &mut d).is_err());
    assert_eq!(d.tx_id, "T1");
}

/// A deterministic stream with few accounts and devices, so that every window fills.
fn stream(n: usize) -> Vec<TxInput> {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let kinds = [
        "transfer",
        "p2p",
        "card_topup",
        "cash_withdrawal",
        "crypto_buy",
    ];
    (0..n)
        .map(|i| {
            let r = next();
            let kind = kinds[(r % 5) as usize];
            let amount = match r >> 8 & 3 {
                0 => format!("{}", 450_000 + (r >> 12) % 60_000),
                1 => format!("{}.{:02}", (r >> 12) % 8_000_000, r % 100),
                _ => format!("{}", 1 + (r >> 12) % 20_000),
            };
            let from = format!("C{}", (r >> 20) % 150);
            let to = format!("C{}", (r >> 28) % 40);
            let (from, to) = match kind {
                "card_topup" => (None, Some(to)),
                "cash_withdrawal" => (Some(from), None),
                "crypto_buy" => (Some(from), Some(format!("EX{}", (r >> 36) % 4))),
                _ => (Some(from), Some(to)),
            };
            TxInput {
                tx_id: format!("T{i}"),
                timestamp: ts(T0 + (i as i64) * 37),
                kind: kind.into(),
                from_account: from,
                to_account: to,
                amount,
                currency: "KZT".into(),
                sender_iin: (r >> 40 & 1 == 0).then(|| "871008401427".into()),
                biometric: ["verified", "failed", "not_checked", ""]
                    .get((r >> 44 & 3) as usize)
                    .map(|s| s.to_string()),
                device_id: Some(format!("D{}", (r >> 48) % 12)),
                ..TxInput::default()
            }
        })
        .collect()
}

fn reference() -> Arc<Dataset> {
    let mut r = Reference::default();
    r.institution("B", IK::Bank, "KZ", Some(License::Nbrk), None)
        .institution("V0", IK::Vasp, "KZ", Some(License::Afsa), Some(true))
        .institution("V1", IK::Vasp, "KZ", Some(License::None), None)
        .institution("V2", IK::Vasp, "US", Some(License::Foreign), None)
        .institution("V3", IK::Vasp, "KY", Some(License::Afsa), Some(false))
        .party("P", "KZ", None)
        .party("Q", "KY", None);
    for i in 0..150 {
        let holder = if i % 3 == 0 { "Q" } else { "P" };
        r.account(&format!("C{i}"), AccountKind::Card, Some(holder), Some("B"));
    }
    for v in 0..4 {
        r.account(
            &format!("EX{v}"),
            AccountKind::ExchangeAccount,
            Some("P"),
            Some(&format!("V{v}")),
        );
    }
    r.build()
}

fn strip(d: Decision) -> (String, Outcome, Vec<finmon_rules::Hit>) {
    (d.tx_id, d.decision, d.hits)
}

#[test]
fn snapshot_then_restore_gives_identical_decisions() {
    let txs = stream(6_000);
    let (before, after) = txs.split_at(3_000);
    let mut original = kz(reference());
    for t in before {
        decide(&mut original, t);
    }
    let snap = original.snapshot();
    assert!(snap
        .windows
        .iter()
        .any(|w| w.keys.iter().any(|k| k.events.len() > 3)));
    let bytes = snap.to_bytes();
    let json = snap.to_json();
    let mut from_bytes = kz(reference());
    let report = from_bytes
        .restore(&Snapshot::from_bytes(&bytes).unwrap())
        .unwrap();
    assert_eq!(report.kept.len(), 3);
    assert!(report.reset.is_empty());
    let mut from_json = kz(reference());
    from_json
        .restore(&Snapshot::from_json(&json).unwrap())
        .unwrap();
    let mut hits = 0;
    for t in after {
        let a = strip(decide(&mut original, t));
        hits += a.2.len();
        assert_eq!(a, strip(decide(&mut from_bytes, t)), "{}", t.tx_id);
        assert_eq!(a, strip(decide(&mut from_json, t)), "{}", t.tx_id);
    }
    assert!(hits > 100, "the stream exercises the rules ({hits} hits)");
    // Every KZ rule fires somewhere in this stream... the structural ones at least.
    let mut all = kz(reference());
    let mut seen = std::collections::BTreeSet::new();
    for t in &txs {
        for h in decide(&mut all, t).hits {
            seen.insert(h.rule.to_string());
        }
    }
    for r in [
        "KZ-NEAR-THRESHOLD",
        "KZ-DEVICE-SHARED",
        "KZ-IIN-TOPUP",
        "KZ-VASP-UNLICENSED",
        "KZ-TR-OFFSHORE",
    ] {
        assert!(seen.contains(r), "{r} never fired: {seen:?}");
    }
}

#[test]
fn hot_reload_keeps_the_state_of_unchanged_windows() {
    let mut e = kz(empty());
    for i in 0..100 {
        decide(
            &mut e,
            &tx(
                &format!("{i}"),
                T0 + i,
                "transfer",
                Some(&format!("A{i}")),
                Some("M"),
                "10",
            ),
        );
    }
    let report = e.replace_rules(RuleSet::kazakhstan().unwrap());
    assert_eq!(
        report.kept,
        ["senders_90d", "near_threshold_24h", "cards_per_device_30d"]
    );
    let d = decide(
        &mut e,
        &tx("101", T0 + 200, "transfer", Some("A100"), Some("M"), "10"),
    );
    assert_eq!(
        fired(&d),
        ["KZ-MANY-SENDERS"],
        "the 100 senders survived the reload"
    );

    // A pack whose senders window changed its span: that window starts empty, the others stay.
    let changed = finmon_rules::KZ_PACK.replace("over = \"90d\"", "over = \"60d\"");
    let report = e.replace_rules(RuleSet::from_toml(&changed, "kz60.toml").unwrap());
    assert_eq!(report.reset, ["senders_90d"]);
    assert_eq!(report.kept, ["near_threshold_24h", "cards_per_device_30d"]);
    let d = decide(
        &mut e,
        &tx("102", T0 + 300, "transfer", Some("A101"), Some("M"), "10"),
    );
    assert!(d.hits.is_empty());
    // Whitespace in an expression does not change a definition.
    let spaced = finmon_rules::KZ_PACK.replace(
        "when = \"has(tx.from_account) && has(tx.to_account)\"",
        "when = \"has(tx.from_account)   &&   has(tx.to_account)\"",
    );
    assert_ne!(spaced, finmon_rules::KZ_PACK);
    let mut e = kz(empty());
    let report = e.replace_rules(RuleSet::from_toml(&spaced, "x").unwrap());
    assert!(report.reset.is_empty(), "{report:?}");
    // A changed list that a window reads changes its definition; other lists do not.
    let with_lists = |big: &str, other: &str| {
        format!(
            "[lists]\nbig = [{big}]\nother = [{other}]\n\n[[window]]\nname = \"w\"\nkey = \"tx.from_account\"\naggregate = \"count\"\nover = \"1h\"\nwhen = \"tx.kind in lists.big\"\n"
        )
    };
    let mut w = engine(&with_lists("'transfer'", "'x'"), empty());
    let same = RuleSet::from_toml(&with_lists("'transfer'", "'y'"), "x").unwrap();
    assert_eq!(w.replace_rules(same).kept, ["w"]);
    let changed = RuleSet::from_toml(&with_lists("'transfer', 'p2p'", "'y'"), "x").unwrap();
    assert_eq!(w.replace_rules(changed).reset, ["w"]);
}

#[test]
fn restore_skips_windows_whose_definition_changed() {
    let mut e = kz(empty());
    for i in 0..10 {
        decide(
            &mut e,
            &tx(
                &format!("{i}"),
                T0 + i,
                "transfer",
                Some(&format!("A{i}")),
                Some("M"),
                "460000",
            ),
        );
    }
    let snap = e.snapshot();
    let changed = finmon_rules::KZ_PACK.replace("over = \"24h\"", "over = \"12h\"");
    let mut other = Engine::new(RuleSet::from_toml(&changed, "x").unwrap(), empty());
    let report = other.restore(&snap).unwrap();
    assert_eq!(report.reset, ["near_threshold_24h"]);
    assert_eq!(report.kept, ["senders_90d", "cards_per_device_30d"]);
    let mut corrupt = snap.clone();
    corrupt.windows[0].keys[0].events.reverse();
    corrupt.windows[0].keys[0].events.push((0, 0));
    assert!(other.restore(&corrupt).is_err());
}
