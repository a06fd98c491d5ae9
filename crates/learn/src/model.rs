//! The model file: everything scoring needs to compute the same columns and cut at the same
//! place, and the trees.

use crate::booster::{Booster, Dense, ForustBooster, Params};
use crate::stack;
use crate::{LearnError, Threshold};
use finmon_features::{FeatureConfig, FeatureMatrix};
use finmon_graph::TemporalGraph;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

/// What the first key of a model file says.
pub const FORMAT: &str = "finmon-model";
/// Bumped when the file or the meaning of a feature changes. Version 2 added the optional
/// first stage, version 3 the list of columns the trees read; older files (which read every
/// column) are still read.
pub const VERSION: u32 = 3;

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    version: u32,
    booster: String,
    features: FeatureConfig,
    names: Vec<String>,
    /// The columns of `names` the final stage reads, in order; absent: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inputs: Option<Vec<String>>,
    threshold: Threshold,
    params: Params,
    /// Free-form facts about training: rows, positives, chosen windows, validation scores.
    notes: BTreeMap<String, serde_json::Value>,
    trees: serde_json::Value,
    /// A stacked model's first stage: its trees over `features.names()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stage1: Option<serde_json::Value>,
}

/// One feature behind a score: its name, its contribution to the log-odds, and the row's value.
pub type Reason = (String, f64, f32);

/// A trained model and how to feed it.
pub struct Model {
    pub features: FeatureConfig,
    /// The columns of the matrix the model is given ([`Model::prepare`]).
    pub names: Vec<String>,
    /// Which of them the final stage reads (indices into `names`). A stacked model's first
    /// stage reads those among the features (the columns before the stacked ones).
    inputs: Vec<usize>,
    pub threshold: Threshold,
    pub params: Params,
    pub notes: BTreeMap<String, serde_json::Value>,
    booster: ForustBooster,
    /// Stacked models only: the first stage, whose scores of each row's neighbours
    /// ([`stack`]) the final stage reads besides the features.
    stage1: Option<ForustBooster>,
}

fn check_names(expected: &[String], m: &FeatureMatrix) -> Result<(), LearnError> {
    if expected != m.names {
        return Err(LearnError::Features {
            expected: expected.join(","),
            found: m.names.join(","),
        });
    }
    Ok(())
}

/// Where each of `wanted` is among `names`.
fn positions(names: &[String], wanted: &[String]) -> Result<Vec<usize>, LearnError> {
    wanted
        .iter()
        .map(|w| {
            names
                .iter()
                .position(|n| n == w)
                .ok_or_else(|| LearnError::Features {
                    expected: w.clone(),
                    found: names.join(","),
                })
        })
        .collect()
}

/// Probabilities of the given rows, computed in blocks so that memory stays small.
fn predict(b: &ForustBooster, m: &FeatureMatrix, rows: &[usize], cols: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(rows.len());
    for block in rows.chunks(1 << 16) {
        out.extend(b.predict(&Dense::from_rows(m, block, cols)));
    }
    out
}

/// A booster trained on the given rows and columns of `m`.
fn fit(
    m: &FeatureMatrix,
    rows: &[usize],
    cols: &[usize],
    labels: &[bool],
    params: &Params,
) -> Result<ForustBooster, LearnError> {
    let x = Dense::from_rows(m, rows, cols);
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
    Ok(booster)
}

/// Rows cut into `k` consecutive runs of about equal size (fewer when there are fewer rows).
fn folds(rows: &[usize], k: usize) -> Vec<&[usize]> {
    let size = rows.len().div_ceil(k.max(1)).max(1);
    rows.chunks(size).collect()
}

impl Model {
    /// Trains on the given rows of `m` (labels per row of `m`) and its
    /// [`FeatureConfig::model_inputs`] columns, with a provisional threshold of 0.5 until
    /// [`Model::set_threshold`].
    pub fn train(
        features: &FeatureConfig,
        m: &FeatureMatrix,
        rows: &[usize],
        labels: &[bool],
        params: &Params,
    ) -> Result<Model, LearnError> {
        check_names(&features.names(), m)?;
        let inputs = positions(&m.names, &features.model_inputs())?;
        Ok(Model {
            features: features.clone(),
            names: m.names.clone(),
            booster: fit(m, rows, &inputs, labels, params)?,
            inputs,
            threshold: Threshold {
                value: 0.5,
                precision: 0.0,
                recall: 0.0,
                f1: 0.0,
            },
            params: params.clone(),
            notes: BTreeMap::new(),
            stage1: None,
        })
    }

    /// Trains a stacked model: a first stage on the features, then a final stage on the
    /// features plus the first stage's scores of each row and of its neighbours.
    ///
    /// So that the final stage learns from first-stage scores like those it will meet on new
    /// data, the training rows' first-stage scores are out of fold: `rows` (in time order) are
    /// cut into `k` consecutive runs, and each run is scored by a first stage trained on the
    /// others. Rows outside `rows` are scored by the first stage trained on all of them, the
    /// one kept in the model.
    #[allow(clippy::too_many_arguments)]
    pub fn train_stacked(
        graph: &TemporalGraph,
        features: &FeatureConfig,
        m: &FeatureMatrix,
        rows: &[usize],
        labels: &[bool],
        params: &Params,
        k: usize,
    ) -> Result<Model, LearnError> {
        let first = Model::train(features, m, rows, labels, params)?;
        let all: Vec<usize> = (0..m.rows).collect();
        let mut p = first.score(m, &all)?;
        let runs = folds(rows, k);
        if runs.len() < 2 {
            return Err(LearnError::Data(
                "a stacked model needs at least two training rows".into(),
            ));
        }
        for (i, held) in runs.iter().enumerate() {
            let rest: Vec<usize> = runs
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .flat_map(|(_, r)| r.iter().copied())
                .collect();
            // A run without any laundering leaves nothing to learn from: its rows keep the
            // full first stage's score.
            if !rest.iter().any(|&r| labels[r]) {
                continue;
            }
            let fold = Model::train(features, m, &rest, labels, params)?;
            for (&r, s) in held.iter().zip(fold.score(m, held)?) {
                p[r] = s;
            }
        }
        let full = stack::with_neighbours(graph, features, m, &p);
        // The final stage reads the first stage's columns and every stacked one.
        let mut inputs = first.inputs;
        inputs.extend(m.n_cols()..full.n_cols());
        Ok(Model {
            names: full.names.clone(),
            booster: fit(&full, rows, &inputs, labels, params)?,
            inputs,
            stage1: Some(first.booster),
            ..first
        })
    }

    /// Whether the model has a first stage (see [`Model::train_stacked`]).
    pub fn is_stacked(&self) -> bool {
        self.stage1.is_some()
    }

    /// The final stage's inputs from the features: `m` itself, or for a stacked model `m` with
    /// the first stage's scores of each row and its neighbours. [`Model::score`] and
    /// [`Model::explain`] read this matrix.
    pub fn prepare<'m>(
        &self,
        graph: &TemporalGraph,
        m: &'m FeatureMatrix,
    ) -> Result<Cow<'m, FeatureMatrix>, LearnError> {
        let Some(first) = &self.stage1 else {
            check_names(&self.names, m)?;
            return Ok(Cow::Borrowed(m));
        };
        check_names(&self.features.names(), m)?;
        let all: Vec<usize> = (0..m.rows).collect();
        let features: Vec<usize> = self
            .inputs
            .iter()
            .copied()
            .filter(|&c| c < m.n_cols())
            .collect();
        let p = predict(first, m, &all, &features);
        let full = stack::with_neighbours(graph, &self.features, m, &p);
        check_names(&self.names, &full)?;
        Ok(Cow::Owned(full))
    }

    pub fn set_threshold(&mut self, t: Threshold) {
        self.threshold = t;
    }

    fn check(&self, m: &FeatureMatrix) -> Result<(), LearnError> {
        check_names(&self.names, m)
    }

    /// Probabilities of the given rows.
    pub fn score(&self, m: &FeatureMatrix, rows: &[usize]) -> Result<Vec<f64>, LearnError> {
        self.check(m)?;
        Ok(predict(&self.booster, m, rows, &self.inputs))
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
        let cols = self.inputs.len();
        let mut out = Vec::with_capacity(rows.len());
        for block in rows.chunks(4096) {
            let c = self
                .booster
                .contributions(&Dense::from_rows(m, block, &self.inputs));
            for (i, &row) in block.iter().enumerate() {
                let rc = &c[i * (cols + 1)..i * (cols + 1) + cols];
                let mut idx: Vec<usize> = (0..cols).filter(|&j| rc[j] > 0.0).collect();
                idx.sort_by(|&a, &b| rc[b].total_cmp(&rc[a]).then(a.cmp(&b)));
                out.push(
                    idx.into_iter()
                        .take(k)
                        .map(|j| {
                            let c = self.inputs[j];
                            (m.names[c].clone(), rc[j], m.get(row, c))
                        })
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
            inputs: Some(self.inputs.iter().map(|&c| self.names[c].clone()).collect()),
            threshold: self.threshold,
            params: self.params.clone(),
            notes: self.notes.clone(),
            trees,
            stage1: match &self.stage1 {
                Some(b) => {
                    Some(serde_json::from_str(&b.to_json()?).map_err(|e| err(e.to_string()))?)
                }
                None => None,
            },
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
        if !(1..=VERSION).contains(&file.version) {
            return Err(err(format!(
                "model format version {} (this finmon reads 1 to {VERSION}); train it again",
                file.version
            )));
        }
        if file.booster != ForustBooster::NAME {
            return Err(err(format!("booster '{}' is not supported", file.booster)));
        }
        let mut expected = file.features.names();
        if file.stage1.is_some() {
            expected.extend(stack::names(&file.features));
        }
        if expected != file.names {
            return Err(err("feature names do not match the feature config".into()));
        }
        let inputs = match &file.inputs {
            Some(wanted) => positions(&file.names, wanted).map_err(|e| err(e.to_string()))?,
            None => (0..file.names.len()).collect(),
        };
        let stage1 = match &file.stage1 {
            Some(t) => Some(ForustBooster::from_json(&t.to_string(), threads)?),
            None => None,
        };
        let mut features = file.features;
        features.threads = threads.max(1);
        let booster = ForustBooster::from_json(&file.trees.to_string(), threads)?;
        let mut params = file.params;
        params.threads = threads.max(1);
        Ok(Model {
            features,
            names: file.names,
            inputs,
            threshold: file.threshold,
            params,
            notes: file.notes,
            booster,
            stage1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use finmon_features::{compute, Mode};
    use finmon_model::Transactions;

    const D: i64 = 86_400;

    /// Busy random trade among 60 accounts over 40 days, and every fifth day a ring of five
    /// fresh accounts passing the same sum round: the ring rows are the laundering.
    fn planted() -> (Transactions, Vec<bool>) {
        let (mut rows, mut labels) = (Vec::new(), Vec::new());
        let mut x = 7u64;
        for i in 0..2_000i64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = ((x >> 33) % 60) as u32;
            let b = (a + 1 + ((x >> 13) % 59) as u32) % 60;
            rows.push((i * 40 * D / 2_000, a, b, (x % 900) as i64 + 100));
            labels.push(false);
        }
        for k in 0..8u32 {
            let base = 100 + 5 * k;
            for j in 0..5 {
                let t = i64::from(5 * k) * D + i64::from(j) * 3_600;
                rows.push((t, base + j, base + (j + 1) % 5, 9_000));
                labels.push(true);
            }
        }
        (Transactions::transfers(&rows), labels)
    }

    struct Fixture {
        g: TemporalGraph,
        cfg: FeatureConfig,
        m: FeatureMatrix,
        labels: Vec<bool>,
        params: Params,
        all: Vec<usize>,
    }

    /// The planted data's graph and features, and small training settings.
    fn fixture() -> Fixture {
        let (t, labels) = planted();
        let g = TemporalGraph::build(&t).unwrap();
        let cfg = FeatureConfig::new(Mode::Offline, vec![3 * D]);
        let m = compute(&g, &t, &cfg).unwrap();
        let params = Params {
            iterations: 30,
            bag: 2,
            ..Params::default()
        };
        Fixture {
            all: (0..t.len()).collect(),
            g,
            cfg,
            m,
            labels,
            params,
        }
    }

    #[test]
    fn a_stacked_model_scores_the_same_after_a_round_trip() {
        let Fixture {
            g,
            cfg,
            m,
            labels,
            params,
            all,
        } = fixture();
        let model = Model::train_stacked(&g, &cfg, &m, &all, &labels, &params, 4).unwrap();
        assert!(model.is_stacked());
        let inputs = model.prepare(&g, &m).unwrap();
        assert!(inputs.col("nb.sib_out@w0").is_some() && inputs.col("stage1").is_some());
        let scores = model.score(&inputs, &all).unwrap();
        let mean = |ring: bool| {
            let s: Vec<f64> = all
                .iter()
                .filter(|&&r| labels[r] == ring)
                .map(|&r| scores[r])
                .collect();
            s.iter().sum::<f64>() / s.len() as f64
        };
        assert!(
            mean(true) > mean(false) + 0.5,
            "{} vs {}",
            mean(true),
            mean(false)
        );
        // Saved and loaded, both stages score exactly as before.
        let path = std::env::temp_dir().join(format!("finmon-stacked-{}.json", std::process::id()));
        model.save(&path).unwrap();
        let back = Model::load(&path, 2).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(back.is_stacked());
        let again = back.score(&back.prepare(&g, &m).unwrap(), &all).unwrap();
        assert_eq!(scores, again);
    }

    #[test]
    fn a_model_reads_and_explains_only_its_inputs() {
        let Fixture {
            cfg,
            m,
            labels,
            params,
            all,
            ..
        } = fixture();
        let model = Model::train(&cfg, &m, &all, &labels, &params).unwrap();
        let inputs = cfg.model_inputs();
        assert!(inputs.len() < m.n_cols());
        let ring: Vec<usize> = all.iter().copied().filter(|&r| labels[r]).collect();
        let reasons = model.explain(&m, &ring, 5).unwrap();
        assert!(reasons.iter().all(|r| !r.is_empty()));
        for (name, _, value) in reasons.iter().flatten() {
            assert!(inputs.contains(name), "{name} is not a model input");
            let c = m.col(name).unwrap();
            assert!(ring.iter().any(|&r| m.get(r, c) == *value));
        }
        // The file lists the inputs; loaded, the model scores exactly as before.
        let path = std::env::temp_dir().join(format!("finmon-inputs-{}.json", std::process::id()));
        model.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let back = Model::load(&path, 2).unwrap();
        let _ = std::fs::remove_file(&path);
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["inputs"], serde_json::json!(inputs));
        assert_eq!(
            model.score(&m, &all).unwrap(),
            back.score(&m, &all).unwrap()
        );
    }
}
