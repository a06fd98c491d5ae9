//! Every rule of `rules/kz.toml` on hand-made transactions that must and must not trigger it.

mod common;

use common::*;
use finmon_model::{AccountKind, Dataset, InstitutionKind as IK, License};
use finmon_rules::{Outcome, RuleSet, Severity, TxInput};
use std::sync::Arc;

fn empty() -> Arc<Dataset> {
    Arc::new(Dataset::default())
}

fn topup(id: &str, secs: i64, amount: &str, iin: Option<&str>) -> TxInput {
    TxInput {
        sender_iin: iin.map(Into::into),
        ..tx(id, secs, "card_topup", None, Some("CARD-1"), amount)
    }
}

#[test]
fn the_pack_loads_with_every_rule_documented() {
    let rules = RuleSet::kazakhstan().unwrap();
    let ids: Vec<&str> = rules.rules().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "KZ-IIN-TOPUP",
            "KZ-BIO-FAILED",
            "KZ-BIO-UNVERIFIED",
            "KZ-VASP-UNLICENSED",
            "KZ-VASP-FOREIGN",
            "KZ-VASP-UNLINKED",
            "KZ-CARDS-OVER-LIMIT-FROM",
            "KZ-CARDS-OVER-LIMIT-TO",
            "KZ-MANY-SENDERS",
            "KZ-NEAR-THRESHOLD",
            "KZ-DEVICE-SHARED",
            "KZ-TR-GAMBLING",
            "KZ-TR-CULTURAL",
            "KZ-TR-PAWNSHOP",
            "KZ-TR-OFFSHORE",
        ],
        "enabled rules in file order (the two unconfirmed thresholds are off)"
    );
    assert!(rules
        .rules()
        .all(|r| !r.description.is_empty() && r.typology.is_some()));
    assert_eq!(rules.windows().count(), 3);
}

#[test]
fn iin_topup_strictly_above_500000_without_a_valid_iin_is_blocked() {
    let mut e = kz(empty());
    let d = decide(&mut e, &topup("T1", T0, "600000", None));
    assert_eq!(d.decision, Outcome::Block);
    assert_eq!(fired(&d), ["KZ-IIN-TOPUP"]);
    assert_eq!(d.hits[0].severity, Severity::High);
    assert_eq!(
        reason(&d, "KZ-IIN-TOPUP"),
        "card top-up of 600,000.00 KZT to CARD-1 is above 500,000.00 KZT and the sender IIN (none) is missing or invalid"
    );
    // Invalid check digit (both passes give 10).
    let d = decide(&mut e, &topup("T2", T0, "600000", Some("821214240092")));
    assert_eq!(fired(&d), ["KZ-IIN-TOPUP"]);
    assert!(reason(&d, "KZ-IIN-TOPUP").contains("(821214240092)"));
    // The threshold is exact: 500,000.01 is above, 500,000.00 is not.
    assert_eq!(
        fired(&decide(&mut e, &topup("T3", T0, "500000.01", None))),
        ["KZ-IIN-TOPUP"]
    );
    // Must not.
    assert!(decide(&mut e, &topup("N1", T0, "500000.00", None))
        .hits
        .is_empty());
    assert!(
        decide(&mut e, &topup("N2", T0, "600000", Some("871008401427")))
            .hits
            .is_empty()
    );
    assert!(
        decide(&mut e, &topup("N3", T0, "600000", Some("061211600012")))
            .hits
            .is_empty()
    );
    let transfer = tx("N4", T0, "transfer", Some("A"), Some("B"), "600000");
    assert!(
        decide(&mut e, &transfer).hits.is_empty(),
        "only card top-ups"
    );
}

#[test]
fn iin_topup_values_foreign_currency_in_tenge() {
    let mut r = Reference::default();
    r.rate("USD", "2025-03-14", "500");
    let mut e = kz(r.build());
    let usd = |id: &str, amount: &str| TxInput {
        currency: "USD".into(),
        ..topup(id, T0, amount, None)
    };
    assert!(
        decide(&mut e, &usd("N1", "1000")).hits.is_empty(),
        "exactly 500,000.00 KZT"
    );
    let d = decide(&mut e, &usd("T1", "1000.01"));
    assert_eq!(fired(&d), ["KZ-IIN-TOPUP"]);
    assert!(reason(&d, "KZ-IIN-TOPUP").contains("500,005.00 KZT"));
    // No rate: refused, never valued as zero.
    let eur = TxInput {
        currency: "EUR".into(),
        ..topup("X", T0, "1000", None)
    };
    assert!(e.decide(&eur).is_err());
}

fn withdrawal(id: &str, biometric: Option<&str>) -> TxInput {
    TxInput {
        biometric: biometric.map(Into::into),
        atm_id: Some("ATM-7".into()),
        ..tx(id, T0, "cash_withdrawal", Some("CARD-1"), None, "200000")
    }
}

#[test]
fn withdrawals_without_verified_biometrics() {
    let mut e = kz(empty());
    let d = decide(&mut e, &withdrawal("T1", Some("failed")));
    assert_eq!(
        (d.decision, fired(&d)),
        (Outcome::Block, vec!["KZ-BIO-FAILED"])
    );
    assert_eq!(
        reason(&d, "KZ-BIO-FAILED"),
        "cash withdrawal of 200,000.00 KZT from CARD-1 at ATM ATM-7: the biometric check failed"
    );
    let d = decide(&mut e, &withdrawal("T2", Some("not_checked")));
    assert_eq!(
        (d.decision, fired(&d)),
        (Outcome::Review, vec!["KZ-BIO-UNVERIFIED"])
    );
    assert!(reason(&d, "KZ-BIO-UNVERIFIED").ends_with("(biometric: not_checked)"));
    let d = decide(&mut e, &withdrawal("T3", None));
    assert_eq!(
        (d.decision, fired(&d)),
        (Outcome::Review, vec!["KZ-BIO-UNVERIFIED"])
    );
    assert!(reason(&d, "KZ-BIO-UNVERIFIED").ends_with("(biometric: none)"));
    // Must not.
    assert!(decide(&mut e, &withdrawal("N1", Some("verified")))
        .hits
        .is_empty());
    let deposit = TxInput {
        kind: "cash_deposit".into(),
        to_account: Some("CARD-1".into()),
        from_account: None,
        ..withdrawal("N2", Some("not_checked"))
    };
    assert!(
        decide(&mut e, &deposit).hits.is_empty(),
        "deposits are not withdrawals"
    );
}

fn vasps() -> Arc<Dataset> {
    let mut r = Reference::default();
    r.institution("BANK", IK::Bank, "KZ", Some(License::Nbrk), None)
        .institution("BANK-NOLIC", IK::Bank, "KZ", Some(License::None), None)
        .institution("V-NONE", IK::Vasp, "SC", Some(License::None), None)
        .institution(
            "V-REVOKED",
            IK::Vasp,
            "KZ",
            Some(License::Revoked),
            Some(true),
        )
        .institution("V-FOREIGN", IK::Vasp, "US", Some(License::Foreign), None)
        .institution("V-LINKED", IK::Vasp, "KZ", Some(License::Afsa), Some(true))
        .institution(
            "V-UNLINKED",
            IK::Vasp,
            "KZ",
            Some(License::Afsa),
            Some(false),
        )
        .institution("V-LINK-UNKNOWN", IK::Vasp, "KZ", Some(License::Afsa), None)
        .institution("V-LIC-UNKNOWN", IK::Vasp, "KZ", None, None)
        .party("P", "KZ", Some("871008401427"))
        .account("CARD", AccountKind::Card, Some("P"), Some("BANK"))
        .account(
            "ACC-NOLIC",
            AccountKind::BankAccount,
            Some("P"),
            Some("BANK-NOLIC"),
        );
    for v in [
        "V-NONE",
        "V-REVOKED",
        "V-FOREIGN",
        "V-LINKED",
        "V-UNLINKED",
        "V-LINK-UNKNOWN",
        "V-LIC-UNKNOWN",
    ] {
        r.account(
            &format!("EX@{v}"),
            AccountKind::ExchangeAccount,
            Some("P"),
            Some(v),
        );
    }
    r.build()
}

#[test]
fn payments_to_or_from_vasps_by_licence() {
    let mut e = kz(vasps());
    let to = |v: &str| {
        tx(
            "T",
            T0,
            "crypto_buy",
            Some("CARD"),
            Some(&format!("EX@{v}")),
            "100000",
        )
    };
    let from = |v: &str| {
        tx(
            "T",
            T0,
            "crypto_sell",
            Some(&format!("EX@{v}")),
            Some("CARD"),
            "100000",
        )
    };
    for (v, rule, outcome) in [
        ("V-NONE", "KZ-VASP-UNLICENSED", Outcome::Block),
        ("V-REVOKED", "KZ-VASP-UNLICENSED", Outcome::Block),
        ("V-FOREIGN", "KZ-VASP-FOREIGN", Outcome::Review),
        ("V-UNLINKED", "KZ-VASP-UNLINKED", Outcome::Review),
        ("V-LINK-UNKNOWN", "KZ-VASP-UNLINKED", Outcome::Review),
    ] {
        for t in [to(v), from(v)] {
            let d = decide(&mut e, &t);
            assert_eq!(
                (d.decision, fired(&d)),
                (outcome, vec![rule]),
                "{v} {}",
                t.kind
            );
        }
    }
    let d = decide(&mut e, &to("V-NONE"));
    assert_eq!(
        reason(&d, "KZ-VASP-UNLICENSED"),
        "crypto_buy of 100,000.00 KZT between BANK (licence nbrk) and V-NONE (licence none): an unlicensed VASP"
    );
    // Must not: a licensed, bank-linked VASP; a bank without licence is not a VASP; a VASP
    // whose licence is not on record (no figure to judge); an account the reference lacks.
    for t in [
        to("V-LINKED"),
        from("V-LINKED"),
        to("V-LIC-UNKNOWN"),
        tx(
            "N",
            T0,
            "transfer",
            Some("CARD"),
            Some("ACC-NOLIC"),
            "100000",
        ),
        tx(
            "N",
            T0,
            "crypto_buy",
            Some("CARD"),
            Some("EX@unknown"),
            "100000",
        ),
    ] {
        let d = decide(&mut e, &t);
        assert!(d.hits.is_empty(), "{:?}: {:?}", t.to_account, fired(&d));
    }
}

fn cards() -> Arc<Dataset> {
    let mut r = Reference::default();
    r.institution("B1", IK::Bank, "KZ", Some(License::Nbrk), None)
        .institution("B2", IK::Bank, "KZ", Some(License::Nbrk), None)
        .party("ELEVEN", "KZ", Some("760212350620"))
        .party("TEN", "KZ", Some("800416300257"))
        .party("SPLIT", "KZ", Some("680503450037"));
    for i in 0..11 {
        r.account(
            &format!("E{i}"),
            AccountKind::Card,
            Some("ELEVEN"),
            Some("B1"),
        );
    }
    r.account(
        "E-ACC",
        AccountKind::BankAccount,
        Some("ELEVEN"),
        Some("B1"),
    );
    for i in 0..10 {
        r.account(&format!("T{i}"), AccountKind::Card, Some("TEN"), Some("B1"));
    }
    for i in 0..11 {
        let bank = if i < 6 { "B1" } else { "B2" };
        r.account(
            &format!("S{i}"),
            AccountKind::Card,
            Some("SPLIT"),
            Some(bank),
        );
    }
    r.build()
}

#[test]
fn an_eleventh_card_at_one_bank() {
    let mut e = kz(cards());
    let d = decide(&mut e, &tx("1", T0, "p2p", Some("E3"), Some("T0"), "1000"));
    assert_eq!(
        (d.decision, fired(&d)),
        (Outcome::Review, vec!["KZ-CARDS-OVER-LIMIT-FROM"])
    );
    assert_eq!(
        reason(&d, "KZ-CARDS-OVER-LIMIT-FROM"),
        "card E3 of ELEVEN (760212350620): the holder has 11 cards at B1, more than 10"
    );
    let d = decide(&mut e, &tx("2", T0, "p2p", Some("T0"), Some("E10"), "1000"));
    assert_eq!(fired(&d), ["KZ-CARDS-OVER-LIMIT-TO"]);
    // Must not: 10 cards; 11 cards over two banks; the holder's bank account.
    for (from, to) in [("T1", "T2"), ("S0", "S10"), ("E-ACC", "T3")] {
        let d = decide(&mut e, &tx("N", T0, "p2p", Some(from), Some(to), "1000"));
        assert!(d.hits.is_empty(), "{from} -> {to}: {:?}", fired(&d));
    }
    // Without reference tables nothing is known about cards: silent.
    let mut bare = kz(empty());
    assert!(decide(
        &mut bare,
        &tx("N", T0, "p2p", Some("E3"), Some("T0"), "1000")
    )
    .hits
    .is_empty());
}

#[test]
fn more_than_100_distinct_senders_in_90_days() {
    let mut e = kz(empty());
    for i in 0..100 {
        let d = decide(
            &mut e,
            &tx(
                &format!("S{i}"),
                T0 + i,
                "transfer",
                Some(&format!("A{i}")),
                Some("MULE"),
                "1000",
            ),
        );
        assert!(d.hits.is_empty(), "sender {i}");
    }
    // A sender already counted does not make 101.
    let d = decide(
        &mut e,
        &tx("R", T0 + 200, "transfer", Some("A5"), Some("MULE"), "1000"),
    );
    assert!(d.hits.is_empty());
    // The 101st distinct sender, just inside 90 days of the first: (t - 90d, t].
    let last = T0 + 90 * DAY - 1;
    let d = decide(
        &mut e,
        &tx("S100", last, "transfer", Some("A100"), Some("MULE"), "1000"),
    );
    assert_eq!(
        (d.decision, fired(&d)),
        (Outcome::Review, vec!["KZ-MANY-SENDERS"])
    );
    assert_eq!(
        reason(&d, "KZ-MANY-SENDERS"),
        "MULE received from 101 distinct senders in 90 days (more than 100); this one from A100"
    );
    // Exactly 90 days after the first sender it has expired: 100 again (A5 was seen at +200).
    let d = decide(
        &mut e,
        &tx(
            "S101",
            T0 + 90 * DAY,
            "transfer",
            Some("A100"),
            Some("MULE"),
            "1000",
        ),
    );
    assert!(d.hits.is_empty(), "{:?}", fired(&d));
    // Other receivers are not affected.
    let d = decide(
        &mut e,
        &tx("O", last, "transfer", Some("A1"), Some("OTHER"), "1000"),
    );
    assert!(d.hits.is_empty());
}

#[test]
fn repeated_amounts_just_under_the_threshold() {
    let mut e = kz(empty());
    let t = |id: &str, secs: i64, amount: &str| {
        tx(id, secs, "transfer", Some("SENDER"), Some("X"), amount)
    };
    assert!(decide(&mut e, &t("1", T0, "460000")).hits.is_empty());
    assert!(decide(&mut e, &t("2", T0 + 60, "450000.00"))
        .hits
        .is_empty());
    // Out of the band: not counted.
    assert!(decide(&mut e, &t("n1", T0 + 70, "449999.99"))
        .hits
        .is_empty());
    let d = decide(&mut e, &t("n2", T0 + 80, "500000.01"));
    assert!(!fires(&d, "KZ-NEAR-THRESHOLD"));
    let d = decide(&mut e, &t("3", T0 + DAY - 1, "500000.00"));
    assert_eq!(
        (d.decision, fired(&d)),
        (Outcome::Review, vec!["KZ-NEAR-THRESHOLD"])
    );
    assert_eq!(
        reason(&d, "KZ-NEAR-THRESHOLD"),
        "transfer of 500,000.00 KZT: 3 operations of 450,000–500,000 KZT by this sender in 24 hours, just under the 500,000.00 KZT identification threshold"
    );
    // 24 hours after the first, the first has expired: 3 again (2, 3 and this one), not 4.
    let d = decide(&mut e, &t("4", T0 + DAY, "470000"));
    assert!(
        reason(&d, "KZ-NEAR-THRESHOLD").contains(": 3 operations"),
        "{:?}",
        d.hits
    );
    // Another sender, same amounts: its own count.
    let other = tx("o", T0 + DAY, "p2p", Some("OTHER"), Some("X"), "470000");
    assert!(decide(&mut e, &other).hits.is_empty());
    // Kinds outside top-ups and transfers are not counted.
    let mut e = kz(empty());
    for i in 0..3 {
        let pay = tx(
            &format!("i{i}"),
            T0 + i,
            "invoice_payment",
            Some("S"),
            Some("X"),
            "480000",
        );
        assert!(decide(&mut e, &pay).hits.is_empty());
    }
}

#[test]
fn near_threshold_cash_topups_are_keyed_by_sender_iin() {
    let mut e = kz(empty());
    for i in 0..2 {
        assert!(decide(
            &mut e,
            &topup(&format!("{i}"), T0 + i, "490000", Some("871008401427"))
        )
        .hits
        .is_empty());
    }
    let d = decide(
        &mut e,
        &topup("other", T0 + 5, "490000", Some("760212350620")),
    );
    assert!(d.hits.is_empty(), "a different sender");
    let d = decide(&mut e, &topup("3", T0 + 10, "490000", Some("871008401427")));
    assert_eq!(fired(&d), ["KZ-NEAR-THRESHOLD"]);
}

#[test]
fn a_device_shared_by_five_cards_in_30_days() {
    let mut r = Reference::default();
    r.institution("B", IK::Bank, "KZ", Some(License::Nbrk), None)
        .account("ACC", AccountKind::BankAccount, None, Some("B"));
    let mut e = kz(r.build());
    let pay = |id: &str, secs: i64, card: &str, device: &str| TxInput {
        device_id: Some(device.into()),
        ..tx(id, secs, "p2p", Some(card), Some("SHOP"), "5000")
    };
    for i in 0..4 {
        assert!(decide(
            &mut e,
            &pay(&format!("{i}"), T0 + i, &format!("C{i}"), "DEV")
        )
        .hits
        .is_empty());
    }
    // The same card again: still 4.
    assert!(decide(&mut e, &pay("again", T0 + 10, "C0", "DEV"))
        .hits
        .is_empty());
    // A bank account (not a card) on the same device does not count.
    assert!(decide(&mut e, &pay("acc", T0 + 11, "ACC", "DEV"))
        .hits
        .is_empty());
    let d = decide(&mut e, &pay("5", T0 + 20, "C4", "DEV"));
    assert_eq!(
        (d.decision, fired(&d)),
        (Outcome::Review, vec!["KZ-DEVICE-SHARED"])
    );
    assert_eq!(
        reason(&d, "KZ-DEVICE-SHARED"),
        "card C4 paid from device DEV, used by 5 distinct cards in 30 days"
    );
    // Every card of the device is held while 5 remain in the window...
    assert!(fires(
        &decide(&mut e, &pay("6", T0 + 30 * DAY - 1, "C1", "DEV")),
        "KZ-DEVICE-SHARED"
    ));
    // ...and 30 days and 3 s later the uses of the first 3 s have expired: C0 (again at +10 s),
    // C4 (+20 s), C1 (30 days - 1 s) and this C9 make 4.
    let d = decide(&mut e, &pay("7", T0 + 30 * DAY + 3, "C9", "DEV"));
    assert!(d.hits.is_empty(), "{:?}", d.hits);
    // Another device: its own count.
    assert!(decide(&mut e, &pay("8", T0 + 30 * DAY + 4, "C5", "DEV2"))
        .hits
        .is_empty());
}

fn with_reference(t: TxInput, r: &str) -> TxInput {
    TxInput {
        reference: Some(r.into()),
        ..t
    }
}

#[test]
fn threshold_reports_are_allowed_and_recorded() {
    let mut e = kz(empty());
    let t = |amount: &str, kind: &str, r: &str| {
        with_reference(tx("T", T0, kind, Some("A"), Some("B"), amount), r)
    };
    let d = decide(&mut e, &t("1000000", "transfer", "Lottery WINNINGS March"));
    assert_eq!(
        (d.decision, fired(&d)),
        (Outcome::Allow, vec!["KZ-TR-GAMBLING"])
    );
    assert_eq!(
        reason(&d, "KZ-TR-GAMBLING"),
        "reportable to the AFM: gambling winnings of 1,000,000.00 KZT (≥ 1,000,000.00), reference 'Lottery WINNINGS March'"
    );
    assert_eq!(
        fired(&decide(
            &mut e,
            &t("2500000", "transfer", "Выигрыш в казино")
        )),
        ["KZ-TR-GAMBLING"]
    );
    assert!(decide(&mut e, &t("999999.99", "transfer", "casino"))
        .hits
        .is_empty());
    assert!(decide(&mut e, &t("5000000", "transfer", "salary"))
        .hits
        .is_empty());
    assert!(
        decide(
            &mut e,
            &tx("T", T0, "transfer", Some("A"), Some("B"), "5000000")
        )
        .hits
        .is_empty(),
        "no reference"
    );

    let cash = |kind: &str, amount: &str, r: &str| {
        let (from, to) = if kind == "cash_deposit" {
            (None, Some("B"))
        } else {
            (Some("A"), None)
        };
        with_reference(
            TxInput {
                biometric: Some("verified".into()),
                ..tx("C", T0, kind, from, to, amount)
            },
            r,
        )
    };
    assert_eq!(
        fired(&decide(
            &mut e,
            &cash("cash_withdrawal", "1000000", "antique vase")
        )),
        ["KZ-TR-CULTURAL"]
    );
    assert_eq!(
        fired(&decide(
            &mut e,
            &cash("cash_deposit", "1200000", "Картина маслом")
        )),
        ["KZ-TR-CULTURAL"]
    );
    assert!(
        decide(&mut e, &t("1000000", "transfer", "antique vase"))
            .hits
            .is_empty(),
        "not cash"
    );
    assert!(
        decide(&mut e, &cash("cash_deposit", "999999.99", "antique"))
            .hits
            .is_empty()
    );

    assert_eq!(
        fired(&decide(&mut e, &t("3000000", "transfer", "ломбард №5"))),
        ["KZ-TR-PAWNSHOP"]
    );
    assert!(decide(&mut e, &t("2999999.99", "transfer", "pawn ticket"))
        .hits
        .is_empty());

    // The unconfirmed 7,000,000 cash threshold is off, as in config/finmon.toml.
    assert!(decide(&mut e, &cash("cash_deposit", "9000000", ""))
        .hits
        .is_empty());
}

#[test]
fn threshold_report_with_an_offshore_party_or_bank() {
    let mut r = Reference::default();
    r.institution("KZBANK", IK::Bank, "KZ", Some(License::Nbrk), None)
        .institution("VGBANK", IK::Bank, "VG", None, None)
        .party("LOCAL", "KZ", Some("871008401427"))
        .party("CAYMAN", "KY", None)
        .account("L", AccountKind::BankAccount, Some("LOCAL"), Some("KZBANK"))
        .account(
            "K",
            AccountKind::BankAccount,
            Some("CAYMAN"),
            Some("KZBANK"),
        )
        .account("V", AccountKind::BankAccount, Some("LOCAL"), Some("VGBANK"));
    let mut e = kz(r.build());
    let d = decide(
        &mut e,
        &tx("1", T0, "transfer", Some("L"), Some("K"), "5000000"),
    );
    assert_eq!(
        (d.decision, fired(&d)),
        (Outcome::Allow, vec!["KZ-TR-OFFSHORE"])
    );
    assert_eq!(
        reason(&d, "KZ-TR-OFFSHORE"),
        "reportable to the AFM: transfer of 5,000,000.00 KZT (≥ 5,000,000.00) with an offshore party or bank (sender KZ/KZ, receiver KY/KZ)"
    );
    assert_eq!(
        fired(&decide(
            &mut e,
            &tx("2", T0, "transfer", Some("V"), Some("L"), "7000000")
        )),
        ["KZ-TR-OFFSHORE"]
    );
    // Must not: below 5,000,000; nobody offshore; an unlisted counterparty.
    assert!(decide(
        &mut e,
        &tx("3", T0, "transfer", Some("L"), Some("K"), "4999999.99")
    )
    .hits
    .is_empty());
    assert!(decide(
        &mut e,
        &tx("4", T0, "transfer", Some("L"), Some("L"), "9000000")
    )
    .hits
    .is_empty());
    assert!(decide(
        &mut e,
        &tx("5", T0, "transfer", Some("L"), Some("NEW"), "9000000")
    )
    .hits
    .is_empty());
}

#[test]
fn the_decision_is_the_strictest_hit() {
    let mut e = kz(vasps());
    // A payment from an unlinked VASP (review) of 3,000,000 with a pawn reference (allow).
    let t = with_reference(
        tx(
            "M",
            T0,
            "crypto_sell",
            Some("EX@V-UNLINKED"),
            Some("CARD"),
            "3000000",
        ),
        "pawn",
    );
    let d = decide(&mut e, &t);
    assert_eq!(fired(&d), ["KZ-VASP-UNLINKED", "KZ-TR-PAWNSHOP"]);
    assert_eq!(d.decision, Outcome::Review);
    let t = with_reference(
        tx(
            "M2",
            T0,
            "crypto_sell",
            Some("EX@V-NONE"),
            Some("CARD"),
            "3000000",
        ),
        "pawn",
    );
    let d = decide(&mut e, &t);
    assert_eq!(fired(&d), ["KZ-VASP-UNLICENSED", "KZ-TR-PAWNSHOP"]);
    assert_eq!(d.decision, Outcome::Block);
}
