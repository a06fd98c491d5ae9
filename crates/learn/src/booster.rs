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
    /// The given rows and columns of a feature matrix, in those orders.
    pub fn from_rows(m: &FeatureMatrix, rows: &[usize], cols: &[usize]) -> Dense {
        let mut data = Vec::with_capacity(rows.len() * cols.len());
        for &c in cols {
            data.extend(rows.iter().map(|&r| f64::from(m.get(r, c))));
        }
        Dense {
            rows: rows.len(),
            cols: cols.len(),
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
    /// Members of the ensemble, each seeded `seed + i` (so each draws its own columns);
    /// their log-odds are averaged. With a few hundred laundering rows one booster's score
    /// of a borderline row depends on its seed; the average does much less.
    #[serde(default = "one")]
    pub bag: usize,
    #[serde(skip, default = "two")]
    pub threads: usize,
}

fn one() -> usize {
    1
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
            colsample_bytree: 0.8,
            seed: 0,
            bag: 5,
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

/// `forust-ml`: pure Rust, XGBoost-style histogram trees, exact tree SHAP; an ensemble of
/// [`Params::bag`] boosters whose log-odds (and so SHAP values) are averaged.
pub struct ForustBooster {
    members: Vec<GradientBooster>,
    params: Params,
}

impl ForustBooster {
    pub const NAME: &'static str = "forust-ml 0.8";

    pub fn new(p: &Params) -> Result<ForustBooster, LearnError> {
        if p.bag == 0 {
            return Err(LearnError::Data("bag must be at least 1".into()));
        }
        Ok(ForustBooster {
            members: Vec::new(),
            params: Params {
                threads: p.threads.max(1),
                ..p.clone()
            },
        })
    }

    fn member(p: &Params, i: usize) -> GradientBooster {
        GradientBooster::default()
            .set_objective_type(ObjectiveType::LogLoss)
            .set_iterations(p.iterations)
            .set_learning_rate(p.learning_rate)
            .set_max_depth(p.max_depth)
            .set_min_leaf_weight(p.min_leaf_weight)
            .set_l2(p.l2)
            .set_colsample_bytree(p.colsample_bytree)
            .set_seed(p.seed.wrapping_add(i as u64))
            .set_num_threads(Some(p.threads.max(1)))
            .set_parallel(p.threads > 1)
    }

    /// The trees as [`Booster::to_json`] wrote them: one booster, or an array of them.
    pub fn from_json(json: &str, threads: usize) -> Result<ForustBooster, LearnError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| LearnError::Booster(e.to_string()))?;
        let texts: Vec<String> = match value {
            serde_json::Value::Array(items) => items.iter().map(|v| v.to_string()).collect(),
            _ => vec![json.to_string()],
        };
        let mut members = Vec::with_capacity(texts.len());
        for t in &texts {
            let inner =
                GradientBooster::from_json(t).map_err(|e| LearnError::Booster(e.to_string()))?;
            members.push(
                inner
                    .set_num_threads(Some(threads.max(1)))
                    .set_parallel(threads > 1),
            );
        }
        if members.is_empty() {
            return Err(LearnError::Booster("no trees".into()));
        }
        Ok(ForustBooster {
            params: Params {
                bag: members.len(),
                threads: threads.max(1),
                ..Params::default()
            },
            members,
        })
    }

    /// The average log-odds of the members, per row.
    fn margins(&self, x: &Dense) -> Vec<f64> {
        let m = Matrix::new(&x.data, x.rows, x.cols);
        let mut sum = vec![0.0; x.rows];
        for b in &self.members {
            for (s, v) in sum.iter_mut().zip(b.predict(&m, self.params.threads > 1)) {
                *s += v;
            }
        }
        let n = self.members.len().max(1) as f64;
        sum.into_iter().map(|s| s / n).collect()
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
        self.members.clear();
        for i in 0..self.params.bag {
            let mut b = Self::member(&self.params, i);
            b.fit(&m, y, &w, None)
                .map_err(|e| LearnError::Booster(e.to_string()))?;
            self.members.push(b);
        }
        Ok(())
    }

    fn predict(&self, x: &Dense) -> Vec<f64> {
        self.margins(x).into_iter().map(sigmoid).collect()
    }

    fn contributions(&self, x: &Dense) -> Vec<f64> {
        let m = Matrix::new(&x.data, x.rows, x.cols);
        let mut sum: Vec<f64> = Vec::new();
        for b in &self.members {
            let c =
                b.predict_contributions(&m, ContributionsMethod::Shapley, self.params.threads > 1);
            if sum.is_empty() {
                sum = c;
            } else {
                for (s, v) in sum.iter_mut().zip(c) {
                    *s += v;
                }
            }
        }
        let n = self.members.len().max(1) as f64;
        sum.into_iter().map(|s| s / n).collect()
    }

    fn to_json(&self) -> Result<String, LearnError> {
        let mut parts = Vec::with_capacity(self.members.len());
        for b in &self.members {
            parts.push(
                b.json_dump()
                    .map_err(|e| LearnError::Booster(e.to_string()))?,
            );
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            format!("[{}]", parts.join(","))
        })
    }
}
