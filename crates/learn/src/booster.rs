//! The booster behind a small trait, and its `forust-ml` implementation.

use crate::LearnError;
use finmon_features::FeatureMatrix;
use forust_ml::gradientbooster::ContributionsMethod;
use forust_ml::objective::ObjectiveType;
use forust_ml::{GradientBooster, Matrix};
use serde::{Deserialize, Serialize};

/// Training inputs: `rows × cols`, column-major `f64` (NaN missing), as the boosters read them.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Dense {
    /// The given rows of a feature matrix, in that order.
    pub fn from_rows(m: &FeatureMatrix, rows: &[usize]) -> Dense {
        let mut data = Vec::with_capacity(rows.len() * m.n_cols());
        for c in 0..m.n_cols() {
            let col = m.column(c);
            data.extend(rows.iter().map(|&r| f64::from(col[r])));
        }
        Dense {
            rows: rows.len(),
            cols: m.n_cols(),
            data,
        }
    }
}

/// What a gradient-boosted tree model is trained with. Seeded: the same data gives the same
/// model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub iterations: usize,
    pub learning_rate: f32,
    pub max_depth: usize,
    /// Minimum hessian sum in a leaf: with few positives, what keeps a leaf from isolating one.
    pub min_leaf_weight: f32,
    pub l2: f32,
    pub colsample_bytree: f64,
    pub seed: u64,
    #[serde(skip, default = "two")]
    pub threads: usize,
}

fn two() -> usize {
    2
}

impl Default for Params {
    fn default() -> Self {
        Params {
            iterations: 200,
            learning_rate: 0.1,
            max_depth: 4,
            min_leaf_weight: 1.0,
            l2: 1.0,
            colsample_bytree: 1.0,
            seed: 0,
            threads: 2,
        }
    }
}

/// A binary classifier of gradient-boosted trees.
pub trait Booster {
    /// The library and version, as recorded in model files.
    fn name(&self) -> &'static str;
    /// Trains on `x` against `y` (1.0 laundering, 0.0 not).
    fn fit(&mut self, x: &Dense, y: &[f64]) -> Result<(), LearnError>;
    /// The probability of the laundering class, per row.
    fn predict(&self, x: &Dense) -> Vec<f64>;
    /// Per row, each feature's contribution to the log-odds (tree SHAP), then the bias:
    /// `rows × (cols + 1)`, row-major.
    fn contributions(&self, x: &Dense) -> Vec<f64>;
    /// The trained trees, as JSON.
    fn to_json(&self) -> Result<String, LearnError>;
}

/// `forust-ml`: pure Rust, XGBoost-style histogram trees, exact tree SHAP.
pub struct ForustBooster {
    inner: GradientBooster,
    threads: usize,
}

impl ForustBooster {
    pub const NAME: &'static str = "forust-ml 0.8";

    pub fn new(p: &Params) -> Result<ForustBooster, LearnError> {
        let inner = GradientBooster::default()
            .set_objective_type(ObjectiveType::LogLoss)
            .set_iterations(p.iterations)
            .set_learning_rate(p.learning_rate)
            .set_max_depth(p.max_depth)
            .set_min_leaf_weight(p.min_leaf_weight)
            .set_l2(p.l2)
            .set_colsample_bytree(p.colsample_bytree)
            .set_seed(p.seed)
            .set_num_threads(Some(p.threads.max(1)))
            .set_parallel(p.threads > 1);
        Ok(ForustBooster {
            inner,
            threads: p.threads.max(1),
        })
    }

    pub fn from_json(json: &str, threads: usize) -> Result<ForustBooster, LearnError> {
        let inner =
            GradientBooster::from_json(json).map_err(|e| LearnError::Booster(e.to_string()))?;
        Ok(ForustBooster {
            inner: inner
                .set_num_threads(Some(threads.max(1)))
                .set_parallel(threads > 1),
            threads: threads.max(1),
        })
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Booster for ForustBooster {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn fit(&mut self, x: &Dense, y: &[f64]) -> Result<(), LearnError> {
        if y.len() != x.rows {
            return Err(LearnError::Data(format!(
                "{} labels for {} rows",
                y.len(),
                x.rows
            )));
        }
        let m = Matrix::new(&x.data, x.rows, x.cols);
        let w = vec![1.0; x.rows];
        self.inner
            .fit(&m, y, &w, None)
            .map_err(|e| LearnError::Booster(e.to_string()))
    }

    fn predict(&self, x: &Dense) -> Vec<f64> {
        let m = Matrix::new(&x.data, x.rows, x.cols);
        self.inner
            .predict(&m, self.threads > 1)
            .into_iter()
            .map(sigmoid)
            .collect()
    }

    fn contributions(&self, x: &Dense) -> Vec<f64> {
        let m = Matrix::new(&x.data, x.rows, x.cols);
        self.inner
            .predict_contributions(&m, ContributionsMethod::Shapley, self.threads > 1)
    }

    fn to_json(&self) -> Result<String, LearnError> {
        self.inner
            .json_dump()
            .map_err(|e| LearnError::Booster(e.to_string()))
    }
}
