//! `finmon eval` end to end on hand-made labels and findings with known answers.

mod common;
use common::*;

#[test]
fn eval_scores_per_typology_and_overall() {
    let dir = tmp("eval");
    let labels = dir.join("labels.csv");
    let findings = dir.join("findings.csv");
    // structuring: 4 labelled, 3 found, 2 right → P 2/3, R 2/4, F1 4/7.
    // mule: 1 labelled, found with a different group and twice → P 1, R 1.
    // cycle: found but never labelled → not counted.
    std::fs::write(
        &labels,
        "subject_kind,subject_id,typology,group_id\n\
account,A1,structuring,g1\naccount,A2,structuring,g1\naccount,A3,structuring,g2\naccount,A4,structuring,g2\n\
party,P1,mule,n1\n",
    )
    .unwrap();
    std::fs::write(
        &findings,
        "subject_kind,subject_id,typology,group_id,score,reason\n\
account,A1,structuring,x,0.9,r\naccount,A3,structuring,x,0.9,r\naccount,A9,structuring,x,0.9,r\n\
party,P1,mule,other,0.5,r\nparty,P1,mule,other2,0.6,r\naccount,A5,cycle,c,0.9,r\n",
    )
    .unwrap();
    let json = dir.join("scores.json");
    let text = finmon_ok(&[
        "eval",
        "--labels",
        labels.to_str().unwrap(),
        "--findings",
        findings.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    // overall: TP 3, found 4, labelled 5 → P 0.750, R 0.600, F1 0.667.
    assert_eq!(
        text.trim_end().lines().last(),
        Some("overall P=0.750 R=0.600 F1=0.667"),
        "{text}"
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let st = &s["by_typology"]["structuring"];
    assert_eq!(
        (
            st["labelled"].as_u64(),
            st["found"].as_u64(),
            st["true_positives"].as_u64()
        ),
        (Some(4), Some(3), Some(2))
    );
    assert!((st["f1"].as_f64().unwrap() - 4.0 / 7.0).abs() < 1e-12);
    assert_eq!(s["by_typology"]["mule"]["precision"], 1.0);
    assert!(
        s["by_typology"].get("cycle").is_none(),
        "unlabelled typologies are not scored"
    );

    // Subject matching ignores the typology.
    let text = finmon_ok(&[
        "eval",
        "--labels",
        labels.to_str().unwrap(),
        "--findings",
        findings.to_str().unwrap(),
        "--match",
        "subject",
    ]);
    assert!(
        text.trim_end()
            .ends_with("overall P=0.600 R=0.600 F1=0.600"),
        "{text}"
    );
}

#[test]
fn eval_refuses_a_findings_file_without_its_columns() {
    let dir = tmp("eval-bad");
    let f = dir.join("f.csv");
    std::fs::write(&f, "subject,typology\nA1,mule\n").unwrap();
    let out = finmon(&[
        "eval",
        "--labels",
        f.to_str().unwrap(),
        "--findings",
        f.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing required column 'subject_kind'"));
}
