//! The model file: everything scoring needs to compute the same columns and cut at the same
//! place, and the trees.

use crate::booster::{Booster, Dense, ForustBooster, Params};
use crate::{LearnError, Threshold};
use finmon_features::{FeatureConfig, FeatureMatrix};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// What the first key of a model file says.
pub const FORMAT: &str = "finmon-model";
/// Bumped when the file or the meaning of a feature changes; older files are refused.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    version: u32,
    booster: String,
    features: FeatureConfig,
    names: Vec<String>,
    threshold: Threshold,
    params: Params,
    /// Free-form facts about training: rows, positives, chosen windows, validation scores.
    notes: BTreeMap<String, serde_json::Value>,
    trees: serde_json::Value,
}

/// One feature behind a score: its name, its contribution to the log-odds, and the row's value.
pub type Reason = (String, f64, f32);

/// A trained model and how to feed it.
pub struct Model {
    pub features: FeatureConfig,
    pub names: Vec<String>,
    pub threshold: Threshold,
    pub params: Params,
    pub notes: BTreeMap<String, serde_json::Value>,
    booster: ForustBooster,
}

impl Model {
    /// Trains on the given rows of `m` (labels per row of `m`), with a provisional threshold of
    /// 0.5 until [`Model::set_threshold`].
    pub fn train(
        features: &FeatureConfig,
        m: &FeatureMatrix,
        rows: &[usize],
        labels: &[bool],
        params: &Params,
    ) -> Result<Model, LearnError> {
        if features.names() != m.names {
            return Err(LearnError::Features {
                expected: features.names().join(","),
                found: m.names.join(","),
            });
        }
        let x = Dense::from_rows(m, rows);
        let y: Vec<f64> = rows
            .iter()
            .map(|&r| f64::from(u8::from(labels[r])))
            .collect();
        if !y.iter().any(|&v| v > 0.0) {
            return Err(LearnError::Data(
                "no laundering transaction among the training rows".into(),
            ));
        }
        let mut booster = ForustBooster::new(params)?;
        booster.fit(&x, &y)?;
        Ok(Model {
            features: features.clone(),
            names: m.names.clone(),
            threshold: Threshold {
                value: 0.5,
                precision: 0.0,
                recall: 0.0,
                f1: 0.0,
            },
            params: params.clone(),
            notes: BTreeMap::new(),
            booster,
        })
    }

    pub fn set_threshold(&mut self, t: Threshold) {
        self.threshold = t;
    }

    fn check(&self, m: &FeatureMatrix) -> Result<(), LearnError> {
        if self.names != m.names {
            return Err(LearnError::Features {
                expected: self.names.join(","),
                found: m.names.join(","),
            });
        }
        Ok(())
    }

    /// Probabilities of the given rows, computed in blocks so that memory stays small.
    pub fn score(&self, m: &FeatureMatrix, rows: &[usize]) -> Result<Vec<f64>, LearnError> {
        self.check(m)?;
        let mut out = Vec::with_capacity(rows.len());
        for block in rows.chunks(1 << 16) {
            out.extend(self.booster.predict(&Dense::from_rows(m, block)));
        }
        Ok(out)
    }

    /// Per row, the `k` features that raised its log-odds the most (tree SHAP), largest first,
    /// with their contribution and the row's value. Stable order: ties by column.
    pub fn explain(
        &self,
        m: &FeatureMatrix,
        rows: &[usize],
        k: usize,
    ) -> Result<Vec<Vec<Reason>>, LearnError> {
        self.check(m)?;
        let cols = m.n_cols();
        let mut out = Vec::with_capacity(rows.len());
        for block in rows.chunks(4096) {
            let c = self.booster.contributions(&Dense::from_rows(m, block));
            for (i, &row) in block.iter().enumerate() {
                let rc = &c[i * (cols + 1)..i * (cols + 1) + cols];
                let mut idx: Vec<usize> = (0..cols).filter(|&j| rc[j] > 0.0).collect();
                idx.sort_by(|&a, &b| rc[b].total_cmp(&rc[a]).then(a.cmp(&b)));
                out.push(
                    idx.into_iter()
                        .take(k)
                        .map(|j| (m.names[j].clone(), rc[j], m.get(row, j)))
                        .collect(),
                );
            }
        }
        Ok(out)
    }

    pub fn save(&self, path: &Path) -> Result<(), LearnError> {
        let err = |message: String| LearnError::File {
            path: path.display().to_string(),
            message,
        };
        let trees: serde_json::Value =
            serde_json::from_str(&self.booster.to_json()?).map_err(|e| err(e.to_string()))?;
        let file = File {
            format: FORMAT.into(),
            version: VERSION,
            booster: self.booster.name().into(),
            features: self.features.clone(),
            names: self.names.clone(),
            threshold: self.threshold,
            params: self.params.clone(),
            notes: self.notes.clone(),
            trees,
        };
        let text = serde_json::to_string(&file).map_err(|e| err(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| err(e.to_string()))
    }

    pub fn load(path: &Path, threads: usize) -> Result<Model, LearnError> {
        let err = |message: String| LearnError::File {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let file: File = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        if file.format != FORMAT {
            return Err(err(format!(
                "not a finmon model (format '{}')",
                file.format
            )));
        }
        if file.version != VERSION {
            return Err(err(format!(
                "model format version {} (this finmon reads {VERSION}); train it again",
                file.version
            )));
        }
        if file.booster != ForustBooster::NAME {
            return Err(err(format!("booster '{}' is not supported", file.booster)));
        }
        if file.features.names() != file.names {
            return Err(err("feature names do not match the feature config".into()));
        }
        let mut features = file.features;
        features.threads = threads.max(1);
        let booster = ForustBooster::from_json(&file.trees.to_string(), threads)?;
        let mut params = file.params;
        params.threads = threads.max(1);
        Ok(Model {
            features,
            names: file.names,
            threshold: file.threshold,
            params,
            notes: file.notes,
            booster,
        })
    }
}
