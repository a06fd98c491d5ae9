//! Learned scoring: a gradient-boosted tree model over the graph features of
//! [`finmon_features`], saved as a self-describing file (feature names, feature config with its
//! windows, threshold, booster and format version), with a threshold chosen on validation data
//! and, for every prediction, the features that pushed it up the most.
//!
//! The booster sits behind the small [`Booster`] trait; the one in use is `forust-ml` (pure
//! Rust, histogram-based, exact tree SHAP), chosen by measurement against `perpetual`, `gbdt`,
//! `lightgbm3` and `xgboost`: see `crates/learn/README.md` for the build times, training times
//! and F1 on the same features, and the commands that measured them.
//!
//! Scores are probabilities (`f64`): model outputs, not money.

mod booster;
mod model;
pub mod stack;

pub use booster::{Booster, Dense, ForustBooster, Params};
pub use model::{Model, Reason, FORMAT, VERSION};
pub use stack::with_neighbours;

use finmon_eval::Score;

/// Why a model could not be trained, saved, loaded or applied.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error("booster: {0}")]
    Booster(String),
    #[error("model file {path}: {message}")]
    File { path: String, message: String },
    #[error("the model expects features {expected}, the matrix has {found}")]
    Features { expected: String, found: String },
    #[error("training data: {0}")]
    Data(String),
    #[error(transparent)]
    Compute(#[from] finmon_features::FeatureError),
}

/// A cut on the scores: flagged when `score >= value`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Threshold {
    pub value: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Cuts whose validation F1 is within this fraction of the best count as equally good. With a
/// few dozen laundering rows, trading one missed row for one false alarm moves F1 by less than
/// this, and which of two such cuts wins is noise.
pub const F1_TIE: f64 = 0.005;

/// The cut with the best F1 of the laundering class on `(scores, labels)`; among cuts as good
/// (within [`F1_TIE`] of the best F1) the highest, which raises the fewest alerts. The value is
/// the midpoint between the lowest score kept and the highest left out, so that a slightly
/// different score on new data falls on the same side.
pub fn choose_threshold(scores: &[f64], labels: &[bool]) -> Threshold {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let positives = labels.iter().filter(|&&l| l).count();
    let mut cuts = Vec::new();
    let (mut tp, mut i) = (0usize, 0usize);
    while i < order.len() {
        let s = scores[order[i]];
        while i < order.len() && scores[order[i]] == s {
            tp += usize::from(labels[order[i]]);
            i += 1;
        }
        let sc = Score::from_counts(positives, i, tp);
        let next = order.get(i).map_or(0.0, |&r| scores[r]);
        cuts.push(Threshold {
            value: (s + next) / 2.0,
            precision: sc.precision,
            recall: sc.recall,
            f1: sc.f1,
        });
    }
    let best = cuts.iter().map(|c| c.f1).fold(0.0, f64::max);
    cuts.into_iter()
        .find(|c| best > 0.0 && c.f1 >= best * (1.0 - F1_TIE))
        .unwrap_or(Threshold {
            value: 1.0 + 1e-9,
            precision: 0.0,
            recall: 0.0,
            f1: 0.0,
        })
}

/// Average precision of `scores` against `labels`: the mean, over the laundering rows, of the
/// precision among rows scored at least as high. A threshold-free measure of the ranking, used
/// to break ties between models whose best F1 on a small validation part is the same.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 {
        return 0.0;
    }
    let (mut tp, mut sum, mut i) = (0usize, 0.0, 0usize);
    while i < order.len() {
        // Rows with equal scores are one step: none of them ranks above another.
        let s = scores[order[i]];
        let mut hits = 0usize;
        while i < order.len() && scores[order[i]] == s {
            hits += usize::from(labels[order[i]]);
            i += 1;
        }
        tp += hits;
        sum += hits as f64 * tp as f64 / i as f64;
    }
    sum / positives as f64
}

/// Precision, recall and F1 of the flagged rows (`score >= threshold`) against the labels.
pub fn score_at(scores: &[f64], labels: &[bool], threshold: f64) -> Score {
    let labelled = labels.iter().filter(|&&l| l).count();
    let found = scores.iter().filter(|&&s| s >= threshold).count();
    let tp = scores
        .iter()
        .zip(labels)
        .filter(|&(&s, &l)| l && s >= threshold)
        .count();
    Score::from_counts(labelled, found, tp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_by_hand() {
        // Scores sorted: 0.9 (+), 0.8 (+), 0.7 (-), 0.6 (+), 0.1 (-).
        let scores = [0.1, 0.9, 0.7, 0.8, 0.6];
        let labels = [false, true, false, true, true];
        let t = choose_threshold(&scores, &labels);
        // Top 2: P 1, R 2/3, F1 0.8; top 4: P 3/4, R 1, F1 6/7 = 0.857 — the best.
        assert!((t.f1 - 6.0 / 7.0).abs() < 1e-12, "{t:?}");
        assert!(
            (t.value - 0.35).abs() < 1e-12,
            "midpoint of 0.6 and 0.1: {t:?}"
        );
        let s = score_at(&scores, &labels, t.value);
        assert_eq!((s.found, s.true_positives), (4, 3));
        // No positives: nothing is flagged.
        let t = choose_threshold(&[0.2, 0.3], &[false, false]);
        assert_eq!(score_at(&[0.2, 0.3], &[false, false], t.value).found, 0);
    }

    #[test]
    fn average_precision_by_hand() {
        // Ranked: + + - + -: precisions at the hits 1, 1, 3/4; mean 11/12.
        let scores = [0.1, 0.9, 0.7, 0.8, 0.6];
        let labels = [false, true, false, true, true];
        assert!((average_precision(&scores, &labels) - 11.0 / 12.0).abs() < 1e-12);
        // A tie of a hit and a miss at the top counts as one step: precision 1/2.
        assert!((average_precision(&[0.5, 0.5], &[true, false]) - 0.5).abs() < 1e-12);
        assert_eq!(average_precision(&[0.5], &[false]), 0.0);
    }

    #[test]
    fn ties_move_together() {
        // Two rows at 0.5, one positive: both are in or both are out. Top 1: F1 2/3; all
        // three: P 2/3, R 1, F1 0.8 — the cut goes below the tie, never through it.
        let scores = [0.9, 0.5, 0.5];
        let labels = [true, true, false];
        let t = choose_threshold(&scores, &labels);
        assert!((t.f1 - 0.8).abs() < 1e-12, "{t:?}");
        assert!((t.value - 0.25).abs() < 1e-12, "{t:?}");
    }

    #[test]
    fn near_ties_go_to_the_higher_cut() {
        // 50 positives above 50 negatives, then one negative and one positive: taking all 51
        // positives (one false alarm) has F1 0.990; stopping at 50 has 0.990 less 0.0002, a
        // tie in effect, so the higher cut wins.
        let mut scores: Vec<f64> = (0..50).map(|i| 0.9 + f64::from(i) * 1e-3).collect();
        scores.extend((0..50).map(|i| 0.1 + f64::from(i) * 1e-3));
        scores.extend([0.8, 0.7]);
        let mut labels = vec![true; 50];
        labels.extend(vec![false; 50]);
        labels.extend([false, true]);
        let t = choose_threshold(&scores, &labels);
        assert!((t.value - 0.85).abs() < 1e-12, "{t:?}");
        assert_eq!(score_at(&scores, &labels, t.value).true_positives, 50);
    }
}
