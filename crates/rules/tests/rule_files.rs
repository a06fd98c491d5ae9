//! Rule files with mistakes are refused with file, line, column and what is wrong; a rule set
//! already loaded is unaffected.

mod common;

use common::*;
use finmon_model::Dataset;
use finmon_rules::{Diagnostic, LoadError, RuleSet};
use std::sync::Arc;

/// A file with one rule whose `when` line is given verbatim.
fn one_rule(when_line: &str) -> String {
    format!(
        "name = \"t\"\n\
         \n\
         [[window]]\n\
         name = \"senders_90d\"\n\
         key = \"tx.to_account\"\n\
         aggregate = \"distinct\"\n\
         of = \"tx.from_account\"\n\
         over = \"90d\"\n\
         \n\
         [[rule]]\n\
         id = \"R1\"\n\
         description = \"d\"\n\
         outcome = \"review\"\n\
         severity = \"low\"\n\
         {when_line}\n\
         reason = \"r\"\n"
    )
}

/// The rule's `when` line is line 15.
const WHEN_LINE: usize = 15;

fn errors(src: &str) -> Vec<Diagnostic> {
    match RuleSet::from_toml(src, "rules/test.toml") {
        Ok(_) => panic!("accepted:\n{src}"),
        Err(e) => e.diagnostics().to_vec(),
    }
}

fn first(src: &str) -> Diagnostic {
    errors(src).remove(0)
}

/// 1-based column of the first `needle` on 1-based `line` of `src`, in characters.
fn col_of(src: &str, line: usize, needle: &str) -> usize {
    let l = src.lines().nth(line - 1).unwrap();
    l[..l.find(needle).unwrap()].chars().count() + 1
}

#[test]
fn a_valid_file_loads() {
    let src = one_rule("when = \"window.senders_90d > 100\"");
    assert!(RuleSet::from_toml(&src, "x").is_ok());
}

#[test]
fn toml_syntax_error() {
    let src = one_rule("when = \"tx.amount_kzt > 1");
    let d = first(&src);
    assert_eq!(d.file, "rules/test.toml");
    assert_eq!(d.line, WHEN_LINE, "{d}");
    assert!(d.message.contains("string"), "{d}");
    assert!(
        d.to_string()
            .starts_with(&format!("rules/test.toml:{WHEN_LINE}:")),
        "{d}"
    );
}

#[test]
fn cel_syntax_error_at_its_place_in_the_file() {
    let src = one_rule("when = \"tx.kind == 'transfer' && && tx.amount_kzt > 5\"");
    let d = first(&src);
    // At the second `&&`.
    assert_eq!((d.line, d.column), (WHEN_LINE, 34), "{d}");
    assert_eq!(d.column, col_of(&src, WHEN_LINE, "&& tx.amount"));
    assert!(
        d.message.starts_with("rule R1: when: CEL syntax error"),
        "{d}"
    );
    // Exactly: `rules/test.toml:15:34: rule R1: when: CEL syntax error: …`.
    assert!(d
        .to_string()
        .starts_with("rules/test.toml:15:34: rule R1: when: CEL syntax error"));
}

#[test]
fn cel_syntax_error_in_a_multi_line_string() {
    let src = one_rule("when = \"\"\"\ntx.kind == 'transfer'\n  && tx.amount_kzt > )\n\"\"\"");
    let d = first(&src);
    assert_eq!((d.line, d.column), (WHEN_LINE + 2, 22), "{d}");
}

#[test]
fn unknown_window_name() {
    let src = one_rule("when = \"tx.kind == 'transfer' && window.senders_91d > 100\"");
    let d = first(&src);
    assert_eq!(
        (d.line, d.column),
        (WHEN_LINE, col_of(&src, WHEN_LINE, "window.")),
        "{d}"
    );
    assert_eq!(
        d.message,
        "rule R1: when: unknown window `senders_91d` (declared: senders_90d)"
    );
}

#[test]
fn unknown_fields_identifiers_and_functions() {
    let src = one_rule("when = \"tx.amout_kzt > 5\"");
    let d = first(&src);
    assert_eq!((d.line, d.column), (WHEN_LINE, 9));
    assert!(d.message.contains("unknown field `tx.amout_kzt`"), "{d}");
    let d = first(&one_rule("when = \"txn.kind == 'transfer'\""));
    assert!(d.message.contains("unknown identifier `txn`"), "{d}");
    let d = first(&one_rule("when = \"from.holder.iin == 'x'\""));
    assert!(
        d.message.contains("holder fields: id, kind, iin_bin"),
        "{d}"
    );
    let d = first(&one_rule("when = \"valid_inn(tx.sender_iin)\""));
    assert!(d.message.contains("unknown function `valid_inn`"), "{d}");
    let d = first(&one_rule("when = \"tx.reference in lists.nope\""));
    assert!(d.message.contains("unknown list `nope`"), "{d}");
}

#[test]
fn type_errors_are_found_at_load() {
    let cases = [
        (
            "when = \"tx.kind > 5\"",
            ">",
            "cannot compare transaction kind with number",
        ),
        (
            "when = \"tx.kind == 'cardtopup'\"",
            "==",
            "'cardtopup' is not a transaction kind (expected one of transfer, card_topup",
        ),
        (
            "when = \"tx.kind in ['transfer', 'wire']\"",
            "in [",
            "'wire' is not a transaction kind",
        ),
        (
            "when = \"tx.amount_kzt == tx.device_id\"",
            "==",
            "cannot compare money (KZT) with string",
        ),
        (
            "when = \"tx.amount_kzt > window.senders_90d\"",
            ">",
            "money compares with money, or with a number literal in tenge",
        ),
        (
            "when = \"tx.amount > tx.amount_kzt\"",
            ">",
            "tx.amount is in the transaction's currency",
        ),
        (
            "when = \"tx.amount_kzt\"",
            "tx.amount_kzt",
            "a condition must be a bool",
        ),
        (
            "when = \"tx.amount_kzt + 0.001 > 5\"",
            "+",
            "0.001 is not an exact tenge amount",
        ),
        (
            "when = \"tx.device_id < 'b'\"",
            "<",
            "strings compare only with == and !=",
        ),
        (
            "when = \"tx.kind == 'transfer' && 5\"",
            "5",
            "expected a condition (bool), found number",
        ),
        (
            "when = \"[1, 2].exists(x, x > 1)\"",
            "(",
            "macros over lists (all, exists, map, filter) are not supported",
        ),
        (
            "when = \"tx.kind in ['transfer', 2]\"",
            "2]",
            "list literals hold string literals only",
        ),
        (
            "when = \"tx.amount_kzt > 1e-3\"",
            "1e-3",
            "plain decimal notation",
        ),
    ];
    for (line, at, msg) in cases {
        let src = one_rule(line);
        let d = first(&src);
        assert!(d.message.contains(msg), "{line}: {d}");
        assert_eq!(
            (d.line, d.column),
            (WHEN_LINE, col_of(&src, WHEN_LINE, at)),
            "{line}: {d}"
        );
    }
}

#[test]
fn positions_account_for_escapes_and_non_ascii() {
    // `\"` takes two characters in the file, one in the expression; Cyrillic letters one each.
    let src = one_rule("when = \"tx.reference == \\\"выигрыш\\\" && tx.kind == 'cardtopup'\"");
    let d = first(&src);
    assert_eq!(d.column, col_of(&src, WHEN_LINE, "== 'card"), "{d}");
    assert_eq!(d.column, 48);
}

#[test]
fn toml_schema_errors_are_located() {
    let src = one_rule("when = \"true\"\noutcom = \"block\"");
    let d = first(&src);
    assert_eq!(d.line, WHEN_LINE + 1, "{d}");
    assert!(d.message.contains("unknown field `outcom`"), "{d}");
    let src = one_rule("when = \"true\"").replace("outcome = \"review\"", "outcome = \"deny\"");
    let d = first(&src);
    assert_eq!(d.line, 13, "{d}");
    assert!(d.message.contains("deny"), "{d}");
    let src = one_rule("when = \"true\"").replace("reason = \"r\"\n", "");
    let d = first(&src);
    assert!(d.message.contains("missing field `reason`"), "{d}");
}

#[test]
fn reason_placeholders_are_checked() {
    let src = one_rule("when = \"true\"").replace(
        "reason = \"r\"",
        "reason = \"sent {tx.amount_kzt} KZT, {tx.amount_kzz}\"",
    );
    let d = first(&src);
    assert_eq!(
        (d.line, d.column),
        (16, col_of(&src, 16, "tx.amount_kzz")),
        "{d}"
    );
    assert!(d
        .message
        .starts_with("rule R1: reason placeholder: unknown field `tx.amount_kzz`"));
    let src = one_rule("when = \"true\"").replace("reason = \"r\"", "reason = \"open {tx.kind\"");
    let d = first(&src);
    assert_eq!((d.line, d.column), (16, col_of(&src, 16, "{")), "{d}");
}

#[test]
fn window_definition_errors() {
    let src = one_rule("when = \"true\"").replace("over = \"90d\"", "over = \"90 days\"");
    let d = first(&src);
    assert_eq!((d.line, d.column), (8, 8), "{d}");
    assert!(d.message.contains("is not a duration"), "{d}");
    let src =
        one_rule("when = \"true\"").replace("aggregate = \"distinct\"", "aggregate = \"median\"");
    let d = first(&src);
    assert_eq!(d.line, 6, "{d}");
    let src = one_rule("when = \"true\"")
        .replace("key = \"tx.to_account\"", "key = \"window.senders_90d\"");
    let d = first(&src);
    assert_eq!((d.line, d.column), (5, 8), "{d}");
    assert!(
        d.message
            .contains("a window definition cannot read windows"),
        "{d}"
    );
    let src =
        one_rule("when = \"true\"").replace("key = \"tx.to_account\"", "key = \"'constant'\"");
    assert!(first(&src)
        .message
        .contains("must come from the transaction"));
    let src = one_rule("when = \"true\"").replace("of = \"tx.from_account\"\n", "");
    assert!(first(&src).message.contains("a distinct window needs `of`"));
}

#[test]
fn every_mistake_is_reported_in_file_order() {
    let src = one_rule("when = \"tx.kind == 'x'\"").replace("over = \"90d\"", "over = \"0d\"");
    let all = errors(&src);
    let lines: Vec<usize> = all.iter().map(|d| d.line).collect();
    assert_eq!(lines, [8, WHEN_LINE], "{all:?}");
}

#[test]
fn a_refused_file_leaves_the_loaded_rules_alone() {
    let good = one_rule("when = \"window.senders_90d > 2\"");
    let mut engine = engine(&good, Arc::new(Dataset::default()));
    for i in 0..3 {
        decide(
            &mut engine,
            &tx(
                &format!("{i}"),
                T0 + i,
                "transfer",
                Some(&format!("S{i}")),
                Some("M"),
                "10",
            ),
        );
    }
    let broken = one_rule("when = \"window.senders_90d > \"");
    let err = RuleSet::from_toml(&broken, "rules/test.toml").unwrap_err();
    assert!(matches!(err, LoadError::Invalid(_)));
    // The engine still runs the good rules, with its windows.
    let d = decide(
        &mut engine,
        &tx("4", T0 + 10, "transfer", Some("S9"), Some("M"), "10"),
    );
    assert_eq!(fired(&d), ["R1"]);
    // And a missing file is an I/O error naming it.
    let e = RuleSet::load("/nonexistent/kz.toml").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/kz.toml: cannot read"),
        "{e}"
    );
}

#[test]
fn the_shipped_pack_file_matches_the_built_in_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/kz.toml");
    let from_disk = RuleSet::load(path).unwrap();
    let built_in = RuleSet::kazakhstan().unwrap();
    assert!(from_disk.rules().eq(built_in.rules()));
    assert!(from_disk.windows().eq(built_in.windows()));
}
