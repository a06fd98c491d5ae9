//! `finmon eval`: how well finmon's findings agree with a dataset's ground-truth labels.
//!
//! # What is measured
//!
//! Agreement is measured at the **subject level**: a [`Label`] or [`Finding`] is reduced to the
//! triple *(subject kind, subject id, typology)*, duplicates collapse to one, and a true positive
//! is a triple present on both sides. `group_id`, `score` and `reason` play no part: an analyst
//! who is handed the right account for the right reason has been helped, whatever ring number
//! finmon gave it and however confident it was.
//!
//! From the counts come precision (how many of finmon's distinct findings the labels confirm),
//! recall (how many labelled subjects finmon found) and F1, their harmonic mean, per typology and
//! micro-averaged overall and per subject kind. See [`evaluate`] for the exact rules, in
//! particular for findings of typologies the dataset does not label (they are not counted).
//!
//! # Why this way
//!
//! Public AML datasets label at different grains and with different vocabularies. Counting
//! subjects rather than rows keeps a detector that reports the same account twice (once per
//! transaction, say) from being rewarded or punished for the repetition; restricting the score to
//! labelled typologies keeps a dataset that never labels, say, `threshold_report` from calling
//! every such report a false alarm. Datasets whose labels say only "laundering" (AMLSim, AMLworld)
//! are scored with [`Match::Subject`], which ignores the typology altogether.
//!
//! The ratios are `f64`: they are scores, not money.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::Hash;

use finmon_model::{Finding, Label, SubjectKind, Typology};

/// How a finding is matched to a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Subject kind, subject id **and** typology must agree.
    Typology,
    /// Subject kind and id must agree; typology is ignored. For labels that say only
    /// "laundering" without naming a pattern.
    Subject,
}

/// Counts and ratios for one slice of the evaluation (a typology, a subject kind, or everything).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    /// Distinct labelled subjects (or subject–typology pairs) in the slice.
    pub labelled: usize,
    /// Distinct found subjects (or subject–typology pairs) in the slice.
    pub found: usize,
    /// Distinct items both labelled and found.
    pub true_positives: usize,
    /// `true_positives / found`, 0 when nothing was found.
    pub precision: f64,
    /// `true_positives / labelled`, 0 when nothing is labelled.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub f1: f64,
}

impl Score {
    /// The score of the given counts. Never NaN: an empty denominator gives 0.
    pub fn from_counts(labelled: usize, found: usize, true_positives: usize) -> Score {
        let precision = ratio(true_positives, found);
        let recall = ratio(true_positives, labelled);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Score {
            labelled,
            found,
            true_positives,
            precision,
            recall,
            f1,
        }
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    /// Keyed by [`Typology::as_str`]: one entry per typology present in the labels
    /// ([`Match::Typology`]), or a single entry `"any"` ([`Match::Subject`]).
    pub by_typology: BTreeMap<String, Score>,
    /// Micro-average over `by_typology`: summed counts, ratios of the sums.
    pub overall: Score,
    /// The same micro-average split by subject kind (keyed by [`SubjectKind::as_str`]); only kinds
    /// present in the labels appear.
    pub by_subject_kind: BTreeMap<String, Score>,
}

/// Counts for one slice, before the ratios are taken.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    labelled: usize,
    found: usize,
    tp: usize,
}

impl Counts {
    fn score(self) -> Score {
        Score::from_counts(self.labelled, self.found, self.tp)
    }
}

const N_TYPOLOGIES: usize = Typology::ALL.len();
const N_KINDS: usize = SubjectKind::ALL.len();

/// Scores `findings` against `labels`.
///
/// Both sides are first reduced to distinct keys, so duplicates count once; `group_id`, `score`
/// and `reason` are ignored.
///
/// With [`Match::Typology`] the key is *(subject kind, subject id, typology)*:
/// - `by_typology` has one entry per typology present in the **labels**. Findings of a typology
///   the labels never mention are **not counted anywhere** (neither as true nor as false
///   positives): the dataset does not label that typology, so it can say nothing about them.
/// - A subject found under a labelled typology it is not labelled with is a false positive for
///   that typology (and the label it does carry, if unfound, is a miss for its own typology).
/// - `overall` sums the counts of `by_typology`; `by_subject_kind` sums them per subject kind for
///   the kinds present in the labels. Findings about a kind the labels never use still count in
///   `overall` (as false positives), but have no `by_subject_kind` entry.
///
/// With [`Match::Subject`] the key is *(subject kind, subject id)* and typology is ignored on both
/// sides: `by_typology` has the single entry `"any"`, equal to `overall`, comparing the set of
/// labelled subjects with the set of found subjects. Only findings about subject kinds present in
/// the labels are counted (a dataset labelling accounts says nothing about transactions).
///
/// Linear in the input: one hash map of the labels, one lookup per finding, no sorting.
pub fn evaluate(labels: &[Label], findings: &[Finding], how: Match) -> Report {
    match how {
        Match::Typology => evaluate_typology(labels, findings),
        Match::Subject => evaluate_subject(labels, findings),
    }
}

/// foldhash (hashbrown's default): fast on short ids, and seeded per process.
type Build = hashbrown::DefaultHashBuilder;

/// Counts distinct found keys against a map of distinct labelled keys (value: already found?),
/// so that each finding costs one lookup, and one insert only when it is a false positive.
/// Calls `tally(key, is_tp)` once per distinct found key.
fn match_keys<K: Hash + Eq>(
    labelled: &mut HashMap<K, bool, Build>,
    findings: impl Iterator<Item = K>,
    mut tally: impl FnMut(&K, bool),
) {
    let mut false_positives: HashSet<K, Build> = HashSet::default();
    for key in findings {
        match labelled.get_mut(&key) {
            Some(seen) => {
                if !*seen {
                    *seen = true;
                    tally(&key, true);
                }
            }
            None => {
                if !false_positives.contains(&key) {
                    tally(&key, false);
                    false_positives.insert(key);
                }
            }
        }
    }
}

fn evaluate_typology(labels: &[Label], findings: &[Finding]) -> Report {
    let mut labelled: HashMap<(SubjectKind, &str, Typology), bool, Build> =
        HashMap::with_capacity_and_hasher(labels.len(), Build::default());
    for l in labels {
        labelled.insert((l.subject.kind, l.subject.id.as_str(), l.typology), false);
    }

    let mut typ_present = [false; N_TYPOLOGIES];
    let mut kind_present = [false; N_KINDS];
    let mut by_typ = [Counts::default(); N_TYPOLOGIES];
    let mut by_kind = [Counts::default(); N_KINDS];
    for &(kind, _, typ) in labelled.keys() {
        typ_present[typ as usize] = true;
        kind_present[kind as usize] = true;
        by_typ[typ as usize].labelled += 1;
        by_kind[kind as usize].labelled += 1;
    }

    let found = findings
        .iter()
        .filter(|f| typ_present[f.typology as usize])
        .map(|f| (f.subject.kind, f.subject.id.as_str(), f.typology));
    match_keys(&mut labelled, found, |&(kind, _, typ), hit| {
        let tp = usize::from(hit);
        by_typ[typ as usize].found += 1;
        by_typ[typ as usize].tp += tp;
        if kind_present[kind as usize] {
            by_kind[kind as usize].found += 1;
            by_kind[kind as usize].tp += tp;
        }
    });

    let mut overall = Counts::default();
    let mut by_typology = BTreeMap::new();
    for &typ in Typology::ALL {
        if typ_present[typ as usize] {
            let c = by_typ[typ as usize];
            overall.labelled += c.labelled;
            overall.found += c.found;
            overall.tp += c.tp;
            by_typology.insert(typ.as_str().to_string(), c.score());
        }
    }
    Report {
        by_typology,
        overall: overall.score(),
        by_subject_kind: kind_scores(&kind_present, &by_kind),
    }
}

fn evaluate_subject(labels: &[Label], findings: &[Finding]) -> Report {
    let mut labelled: HashMap<(SubjectKind, &str), bool, Build> =
        HashMap::with_capacity_and_hasher(labels.len(), Build::default());
    for l in labels {
        labelled.insert((l.subject.kind, l.subject.id.as_str()), false);
    }

    let mut kind_present = [false; N_KINDS];
    let mut by_kind = [Counts::default(); N_KINDS];
    for &(kind, _) in labelled.keys() {
        kind_present[kind as usize] = true;
        by_kind[kind as usize].labelled += 1;
    }

    let found = findings
        .iter()
        .filter(|f| kind_present[f.subject.kind as usize])
        .map(|f| (f.subject.kind, f.subject.id.as_str()));
    match_keys(&mut labelled, found, |&(kind, _), hit| {
        by_kind[kind as usize].found += 1;
        by_kind[kind as usize].tp += usize::from(hit);
    });

    let sum = by_kind.iter().fold(Counts::default(), |a, c| Counts {
        labelled: a.labelled + c.labelled,
        found: a.found + c.found,
        tp: a.tp + c.tp,
    });
    let overall = sum.score();
    Report {
        by_typology: BTreeMap::from([("any".to_string(), overall.clone())]),
        overall,
        by_subject_kind: kind_scores(&kind_present, &by_kind),
    }
}

fn kind_scores(present: &[bool; N_KINDS], counts: &[Counts; N_KINDS]) -> BTreeMap<String, Score> {
    SubjectKind::ALL
        .iter()
        .filter(|k| present[**k as usize])
        .map(|k| (k.as_str().to_string(), counts[*k as usize].score()))
        .collect()
}

impl Report {
    /// A table for the terminal: a header, one aligned row per `by_typology` entry
    /// (`typology  labelled  found  tp  P  R  F1`, ratios to 3 decimals), and a last line
    /// `overall P=0.857 R=0.750 F1=0.800`.
    pub fn to_text(&self) -> String {
        let name_w = self
            .by_typology
            .keys()
            .map(String::len)
            .chain(["typology".len()])
            .max()
            .unwrap_or(0);
        let width = |head: &str, get: fn(&Score) -> usize| {
            self.by_typology
                .values()
                .map(|s| get(s).to_string().len())
                .chain([head.len()])
                .max()
                .unwrap_or(0)
        };
        let lab_w = width("labelled", |s| s.labelled);
        let found_w = width("found", |s| s.found);
        let tp_w = width("tp", |s| s.true_positives);

        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "{:<name_w$}  {:>lab_w$}  {:>found_w$}  {:>tp_w$}  {:>5}  {:>5}  {:>5}",
            "typology", "labelled", "found", "tp", "P", "R", "F1"
        );
        for (name, s) in &self.by_typology {
            let _ = writeln!(
                out,
                "{:<name_w$}  {:>lab_w$}  {:>found_w$}  {:>tp_w$}  {:>5.3}  {:>5.3}  {:>5.3}",
                name, s.labelled, s.found, s.true_positives, s.precision, s.recall, s.f1
            );
        }
        let o = &self.overall;
        let _ = write!(
            out,
            "overall P={:.3} R={:.3} F1={:.3}",
            o.precision, o.recall, o.f1
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use finmon_model::Subject;
    use SubjectKind::{Account, Party, Transaction};
    use Typology::{DropCard, Mule, Structuring, ThresholdReport};

    fn label(kind: SubjectKind, id: &str, typology: Typology) -> Label {
        Label {
            subject: Subject::new(kind, id),
            typology,
            group_id: None,
        }
    }

    fn finding(kind: SubjectKind, id: &str, typology: Typology) -> Finding {
        Finding {
            subject: Subject::new(kind, id),
            typology,
            group_id: Some("g1".into()),
            score: 0.9,
            reason: "test".into(),
        }
    }

    fn counts(s: &Score) -> (usize, usize, usize) {
        (s.labelled, s.found, s.true_positives)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn perfect_match_scores_one() {
        let labels = vec![
            label(Account, "a1", Mule),
            label(Account, "a2", Mule),
            label(Transaction, "t1", Structuring),
        ];
        let findings = vec![
            finding(Transaction, "t1", Structuring),
            finding(Account, "a2", Mule),
            finding(Account, "a1", Mule),
        ];
        let r = evaluate(&labels, &findings, Match::Typology);
        assert_eq!(
            r.by_typology.keys().collect::<Vec<_>>(),
            ["mule", "structuring"]
        );
        assert_eq!(counts(&r.by_typology["mule"]), (2, 2, 2));
        assert_eq!(counts(&r.by_typology["structuring"]), (1, 1, 1));
        assert_eq!(counts(&r.overall), (3, 3, 3));
        for s in r.by_typology.values().chain([&r.overall]) {
            assert_eq!((s.precision, s.recall, s.f1), (1.0, 1.0, 1.0));
        }
        assert_eq!(
            r.by_subject_kind.keys().collect::<Vec<_>>(),
            ["account", "transaction"]
        );
        assert_eq!(counts(&r.by_subject_kind["account"]), (2, 2, 2));
        assert_eq!(counts(&r.by_subject_kind["transaction"]), (1, 1, 1));
    }

    #[test]
    fn unlabelled_typology_is_ignored() {
        // Labels know only `mule`. The threshold_report finding is neither right nor wrong:
        // mule: labelled 1, found 1, tp 1 → all 1.0; no threshold_report entry.
        let labels = vec![label(Account, "a1", Mule)];
        let findings = vec![
            finding(Account, "a1", Mule),
            finding(Transaction, "t9", ThresholdReport),
            finding(Account, "a1", ThresholdReport),
        ];
        let r = evaluate(&labels, &findings, Match::Typology);
        assert_eq!(r.by_typology.keys().collect::<Vec<_>>(), ["mule"]);
        assert_eq!(counts(&r.overall), (1, 1, 1));
        assert_eq!(r.overall.precision, 1.0);
        // The transaction kind is absent from the labels: no entry.
        assert_eq!(r.by_subject_kind.keys().collect::<Vec<_>>(), ["account"]);
        assert_eq!(counts(&r.by_subject_kind["account"]), (1, 1, 1));
    }

    #[test]
    fn duplicates_collapse() {
        // a1 found three times (different groups, scores), labelled twice: one TP.
        // a2 found twice, not labelled: one FP. a3 labelled, not found: one FN.
        // mule: labelled {a1, a3} = 2, found {a1, a2} = 2, tp 1 → P = R = F1 = 0.5.
        let labels = vec![
            label(Account, "a1", Mule),
            label(Account, "a1", Mule),
            label(Account, "a3", Mule),
        ];
        let mut dup = finding(Account, "a1", Mule);
        dup.group_id = None;
        dup.score = 0.1;
        let findings = vec![
            finding(Account, "a1", Mule),
            dup,
            finding(Account, "a1", Mule),
            finding(Account, "a2", Mule),
            finding(Account, "a2", Mule),
        ];
        let r = evaluate(&labels, &findings, Match::Typology);
        let m = &r.by_typology["mule"];
        assert_eq!(counts(m), (2, 2, 1));
        assert_eq!((m.precision, m.recall, m.f1), (0.5, 0.5, 0.5));
    }

    #[test]
    fn wrong_typology_is_fp_only_when_that_typology_is_labelled() {
        // Labels: a1 mule, a2 drop_card.
        // Findings: a1 as drop_card (labelled typology → FP for drop_card, and a1's mule label is
        // a miss), a2 as drop_card (TP), a2 as structuring (unlabelled typology → ignored).
        // mule:      labelled 1, found 0, tp 0 → P 0, R 0, F1 0.
        // drop_card: labelled 1, found 2, tp 1 → P 0.5, R 1, F1 2·0.5·1/1.5 = 2/3.
        // overall:   labelled 2, found 2, tp 1 → P 0.5, R 0.5, F1 0.5.
        let labels = vec![label(Account, "a1", Mule), label(Account, "a2", DropCard)];
        let findings = vec![
            finding(Account, "a1", DropCard),
            finding(Account, "a2", DropCard),
            finding(Account, "a2", Structuring),
        ];
        let r = evaluate(&labels, &findings, Match::Typology);
        assert_eq!(
            r.by_typology.keys().collect::<Vec<_>>(),
            ["drop_card", "mule"]
        );
        let m = &r.by_typology["mule"];
        assert_eq!(counts(m), (1, 0, 0));
        assert_eq!((m.precision, m.recall, m.f1), (0.0, 0.0, 0.0));
        let d = &r.by_typology["drop_card"];
        assert_eq!(counts(d), (1, 2, 1));
        assert_eq!((d.precision, d.recall), (0.5, 1.0));
        assert!(close(d.f1, 2.0 / 3.0), "{}", d.f1);
        assert_eq!(counts(&r.overall), (2, 2, 1));
        assert_eq!(
            (r.overall.precision, r.overall.recall, r.overall.f1),
            (0.5, 0.5, 0.5)
        );
    }

    #[test]
    fn partial_typology_f1() {
        // structuring labelled on t1..t4; found t1, t2, t5.
        // tp 2, found 3, labelled 4 → P = 2/3, R = 2/4 = 1/2,
        // F1 = 2·(2/3)·(1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7 = 0.571428…
        let labels: Vec<_> = ["t1", "t2", "t3", "t4"]
            .iter()
            .map(|id| label(Transaction, id, Structuring))
            .collect();
        let findings: Vec<_> = ["t1", "t2", "t5"]
            .iter()
            .map(|id| finding(Transaction, id, Structuring))
            .collect();
        let r = evaluate(&labels, &findings, Match::Typology);
        let s = &r.by_typology["structuring"];
        assert_eq!(counts(s), (4, 3, 2));
        assert!(close(s.precision, 2.0 / 3.0));
        assert_eq!(s.recall, 0.5);
        assert!(close(s.f1, 4.0 / 7.0), "{}", s.f1);
        assert_eq!(format!("{:.3}", s.f1), "0.571");
        assert_eq!(&r.overall, s);
    }

    #[test]
    fn micro_average_and_subject_kinds() {
        // mule on accounts: labelled a1, a2; found a1 → (2, 1, 1).
        // structuring on transactions: labelled t1; found t1, t2, t3 → (1, 3, 1).
        // structuring on party p1 (kind never labelled): found → FP in overall and structuring,
        // but no `party` entry in by_subject_kind.
        // overall: labelled 3, found 5, tp 2 → P 0.4, R 2/3 (micro, not the mean of per-typology).
        let labels = vec![
            label(Account, "a1", Mule),
            label(Account, "a2", Mule),
            label(Transaction, "t1", Structuring),
        ];
        let findings = vec![
            finding(Account, "a1", Mule),
            finding(Transaction, "t1", Structuring),
            finding(Transaction, "t2", Structuring),
            finding(Transaction, "t3", Structuring),
            finding(Party, "p1", Structuring),
        ];
        let r = evaluate(&labels, &findings, Match::Typology);
        assert_eq!(counts(&r.by_typology["mule"]), (2, 1, 1));
        assert_eq!(counts(&r.by_typology["structuring"]), (1, 4, 1));
        assert_eq!(counts(&r.overall), (3, 5, 2));
        assert_eq!(r.overall.precision, 0.4);
        assert!(close(r.overall.recall, 2.0 / 3.0));
        assert_eq!(
            r.by_subject_kind.keys().collect::<Vec<_>>(),
            ["account", "transaction"]
        );
        assert_eq!(counts(&r.by_subject_kind["account"]), (2, 1, 1));
        assert_eq!(counts(&r.by_subject_kind["transaction"]), (1, 3, 1));
    }

    #[test]
    fn same_id_different_kind_is_a_different_subject() {
        // Account "x" labelled; transaction "x" found: no match.
        let labels = vec![label(Account, "x", Mule)];
        let findings = vec![finding(Transaction, "x", Mule)];
        let r = evaluate(&labels, &findings, Match::Typology);
        assert_eq!(counts(&r.overall), (1, 1, 0));
        let r = evaluate(&labels, &findings, Match::Subject);
        // Subject mode: transactions are not labelled at all, so the finding is not counted.
        assert_eq!(counts(&r.overall), (1, 0, 0));
    }

    #[test]
    fn empty_findings_give_zeros_not_nan() {
        let labels = vec![label(Account, "a1", Mule), label(Account, "a2", Mule)];
        for how in [Match::Typology, Match::Subject] {
            let r = evaluate(&labels, &[], how);
            for s in r
                .by_typology
                .values()
                .chain(r.by_subject_kind.values())
                .chain([&r.overall])
            {
                assert_eq!(counts(s), (2, 0, 0));
                assert_eq!((s.precision, s.recall, s.f1), (0.0, 0.0, 0.0));
            }
            assert!(r.to_text().ends_with("overall P=0.000 R=0.000 F1=0.000"));
        }
        // Nothing at all: an empty report, still no NaN.
        let r = evaluate(&[], &[], Match::Typology);
        assert!(r.by_typology.is_empty() && r.by_subject_kind.is_empty());
        assert_eq!(r.overall, Score::from_counts(0, 0, 0));
        assert_eq!(
            (r.overall.precision, r.overall.recall, r.overall.f1),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn subject_mode_ignores_typology() {
        // Labels (AMLSim-style): accounts a1, a2, a3 "laundering"; a1 labelled twice.
        // Findings: a1 as mule and as fan_in (one subject), a2 as drop_card (a typology the labels
        // never use — still counts here), a4 as mule (FP), transaction t1 (kind not labelled →
        // not counted).
        // labelled {a1, a2, a3} = 3, found {a1, a2, a4} = 3, tp 2 → P = R = F1 = 2/3.
        let labels = vec![
            label(Account, "a1", Typology::Laundering),
            label(Account, "a1", Typology::Laundering),
            label(Account, "a2", Typology::Laundering),
            label(Account, "a3", Typology::Laundering),
        ];
        let findings = vec![
            finding(Account, "a1", Mule),
            finding(Account, "a1", Typology::FanIn),
            finding(Account, "a2", DropCard),
            finding(Account, "a4", Mule),
            finding(Transaction, "t1", Structuring),
        ];
        let r = evaluate(&labels, &findings, Match::Subject);
        assert_eq!(r.by_typology.keys().collect::<Vec<_>>(), ["any"]);
        assert_eq!(r.by_typology["any"], r.overall);
        assert_eq!(counts(&r.overall), (3, 3, 2));
        assert!(close(r.overall.precision, 2.0 / 3.0));
        assert!(close(r.overall.recall, 2.0 / 3.0));
        assert!(close(r.overall.f1, 2.0 / 3.0));
        assert_eq!(r.by_subject_kind.keys().collect::<Vec<_>>(), ["account"]);
        assert_eq!(counts(&r.by_subject_kind["account"]), (3, 3, 2));

        // The same data in Typology mode: only `laundering` is labelled and nothing was found
        // under it.
        let r = evaluate(&labels, &findings, Match::Typology);
        assert_eq!(r.by_typology.keys().collect::<Vec<_>>(), ["laundering"]);
        assert_eq!(counts(&r.overall), (3, 0, 0));
    }

    #[test]
    fn to_text_format() {
        // mule: labelled 8, found 7, tp 6 → P = 6/7 = 0.857, R = 0.75,
        // F1 = 2·(6/7)·(3/4) / (6/7 + 3/4) = (9/7) / (45/28) = 0.8.
        let labels: Vec<_> = (0..8)
            .map(|i| label(Account, &format!("a{i}"), Mule))
            .collect();
        let findings: Vec<_> = (0..6)
            .map(|i| format!("a{i}"))
            .chain(["z".to_string()])
            .map(|id| finding(Account, &id, Mule))
            .collect();
        let r = evaluate(&labels, &findings, Match::Typology);
        let text = r.to_text();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "typology  labelled  found  tp      P      R     F1",
                "mule             8      7   6  0.857  0.750  0.800",
                "overall P=0.857 R=0.750 F1=0.800",
            ]
        );
        assert_eq!(
            text.lines().last(),
            Some("overall P=0.857 R=0.750 F1=0.800")
        );
    }

    #[test]
    fn to_text_columns_align() {
        let labels = vec![
            label(Account, "a1", Mule),
            label(Transaction, "t1", Typology::UnlicensedExchange),
        ];
        let findings = vec![finding(Account, "a1", Mule)];
        let text = evaluate(&labels, &findings, Match::Typology).to_text();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        // Header and rows have the same width, so every column lines up.
        assert_eq!(lines[0].len(), lines[1].len());
        assert_eq!(lines[1].len(), lines[2].len());
        assert!(lines[1].starts_with("mule                 "));
        assert!(lines[2].starts_with("unlicensed_exchange  "));
        assert!(lines[2].ends_with("0.000  0.000  0.000"));
    }

    /// Run with `cargo test -p finmon-eval -- --ignored --nocapture` to see the timing.
    #[test]
    fn many_subjects_half_overlapping() {
        let n = 100_000;
        let labels: Vec<_> = (0..n)
            .map(|i| label(Transaction, &format!("tx{i:08}"), Typology::ALL[i % 5]))
            .collect();
        let findings: Vec<_> = (n / 2..n + n / 2)
            .map(|i| finding(Transaction, &format!("tx{i:08}"), Typology::ALL[i % 5]))
            .collect();
        let r = evaluate(&labels, &findings, Match::Typology);
        let s = evaluate(&labels, &findings, Match::Subject);
        assert_eq!(counts(&r.overall), (n, n, n / 2));
        assert_eq!(counts(&s.overall), (n, n, n / 2));
    }
}
