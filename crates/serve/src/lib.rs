//! The decision server: `POST /v1/decisions` answers allow / review / block for each
//! transaction with every rule hit and its reason, over the rule engine of `finmon-rules`.
//!
//! One engine serves all requests behind a mutex: a decision takes microseconds, far less than
//! the HTTP work around it, and one engine keeps the windows exact (no sharding by key).
//! Every decided transaction is logged (see [`store`]) before its answer goes out; the windows
//! are checkpointed every `snapshot_every` transactions and at shutdown.
//!
//! Errors are JSON `{"error": "…"}` with a 4xx status: 400 malformed JSON or fields of the
//! wrong type, 413 a body over the limit, 422 a transaction that fails validation (nothing of
//! the request is decided then) or a rule file refused at reload (with `diagnostics`), 409 a
//! `tx_id` re-sent with different content. A `tx_id` re-sent with the same content gets the
//! first answer again and is not counted twice in any window.

pub mod metrics;
pub mod store;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use finmon_model::Dataset;
use finmon_rules::{Decision, Engine, RuleSet, TxInput};
use metrics::Metrics;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use store::{Remembered, Store};

/// The OpenAPI 3 description of this API, served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("rules: {0}")]
    Rules(#[from] finmon_rules::LoadError),
    #[error("state: {0}")]
    Store(#[from] store::StoreError),
    #[error("state: the saved windows cannot be restored: {0}")]
    Snapshot(#[from] finmon_rules::SnapshotError),
    #[error("state: logged transaction {seq} cannot be replayed: {error}")]
    Replay { seq: u64, error: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// How to run the server.
pub struct Config {
    /// The rule file; `None` = the built-in Kazakhstan pack.
    pub rules: Option<PathBuf>,
    /// Reference tables (accounts, parties, institutions, rates) the rules read.
    pub reference: Arc<Dataset>,
    /// Where decisions are logged and windows saved; `None` = in memory only.
    pub state_dir: Option<PathBuf>,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Checkpoint the windows after this many logged transactions.
    pub snapshot_every: u64,
    /// How many recent `tx_id`s are remembered to answer re-sent requests.
    pub remember: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rules: None,
            reference: Arc::new(Dataset::default()),
            state_dir: None,
            body_limit: 1 << 20,
            snapshot_every: 1_000_000,
            remember: 100_000,
        }
    }
}

/// Recent decisions by `tx_id`, oldest evicted first.
struct Recent {
    map: HashMap<String, (u64, Decision)>,
    order: VecDeque<String>,
    cap: usize,
}

impl Recent {
    fn get(&self, id: &str) -> Option<&(u64, Decision)> {
        self.map.get(id)
    }

    /// What is remembered, oldest first (saved with each checkpoint).
    fn entries(&self) -> Vec<Remembered> {
        self.order
            .iter()
            .filter_map(|id| {
                self.map.get(id).map(|(print, d)| Remembered {
                    tx_id: id.clone(),
                    print: *print,
                    decision: d.clone(),
                })
            })
            .collect()
    }

    fn put(&mut self, id: &str, print: u64, d: Decision) {
        if self.cap == 0 {
            return;
        }
        if self.map.len() >= self.cap {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        self.order.push_back(id.to_string());
        self.map.insert(id.to_string(), (print, d));
    }
}

/// A checkpoint's copy of the state, taken under the lock and written without it.
struct Checkpoint {
    dir: PathBuf,
    seq: u64,
    windows: finmon_rules::Snapshot,
    recent: Vec<Remembered>,
}

impl Checkpoint {
    fn write(&self) -> Result<(), store::StoreError> {
        store::write_snapshot(&self.dir, self.seq, &self.windows, &self.recent)
    }
}

/// Everything that changes under the lock.
struct Core {
    engine: Engine,
    store: Option<Store>,
    seq: u64,
    since_checkpoint: u64,
    recent: Recent,
}

pub struct App {
    core: Mutex<Core>,
    config: Config,
    metrics: Metrics,
    /// The checkpoint being written in the background, if any.
    writing: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn load_rules(config: &Config) -> Result<RuleSet, finmon_rules::LoadError> {
    match &config.rules {
        Some(p) => RuleSet::load(p),
        None => RuleSet::kazakhstan(),
    }
}

impl App {
    /// Loads the rules, restores saved windows and replays the log.
    pub fn new(config: Config) -> Result<Arc<App>, ServeError> {
        let rules = load_rules(&config)?;
        let engine = Engine::new(rules, config.reference.clone());
        let mut core = Core {
            engine,
            store: None,
            seq: 0,
            since_checkpoint: 0,
            recent: Recent {
                map: HashMap::new(),
                order: VecDeque::new(),
                cap: config.remember,
            },
        };
        let metrics = Metrics::default();
        if let Some(dir) = &config.state_dir {
            let (store, recovered) = Store::open(dir)?;
            if let Some((seq, snap)) = &recovered.snapshot {
                let report = core.engine.restore(snap)?;
                if !report.reset.is_empty() {
                    tracing::warn!(
                        "windows whose definition changed start empty: {:?}",
                        report.reset
                    );
                }
                core.seq = *seq;
            }
            for r in recovered.recent {
                core.recent.put(&r.tx_id, r.print, r.decision);
            }
            let n = recovered.log.len() as u64;
            for (seq, tx) in recovered.log {
                let d = core.engine.decide(&tx).map_err(|e| ServeError::Replay {
                    seq,
                    error: e.to_string(),
                })?;
                core.recent.put(&tx.tx_id, tx.fingerprint(), d);
                core.seq = seq;
                core.since_checkpoint += 1;
            }
            metrics.replayed(n);
            if n > 0 {
                tracing::info!("replayed {n} logged transactions (up to #{})", core.seq);
            }
            core.store = Some(store);
        }
        Ok(Arc::new(App {
            core: Mutex::new(core),
            config,
            metrics,
            writing: Mutex::new(None),
        }))
    }

    /// Saves the windows now and waits for it (at shutdown).
    pub fn checkpoint(&self) -> Result<(), ServeError> {
        self.wait_for_checkpoint();
        if let Some(c) = self.begin_checkpoint()? {
            c.write()?;
        }
        Ok(())
    }

    /// Waits for a background checkpoint to finish.
    fn wait_for_checkpoint(&self) {
        let handle = self
            .writing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(h) = handle {
            if h.join().is_err() {
                tracing::error!("the checkpoint thread panicked (the log still holds everything)");
            }
        }
    }

    /// The part of a checkpoint that needs the lock: copy the windows and the remembered
    /// decisions, rotate the log.
    fn begin_checkpoint(&self) -> Result<Option<Checkpoint>, ServeError> {
        let mut core = self.lock();
        let Some(store) = core.store.as_mut() else {
            return Ok(None);
        };
        if !store.rotate()? {
            return Ok(None); // the previous checkpoint is still being written
        }
        let dir = store.dir().to_path_buf();
        core.since_checkpoint = 0;
        Ok(Some(Checkpoint {
            dir,
            seq: core.seq,
            windows: core.engine.snapshot(),
            recent: core.recent.entries(),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Core> {
        // A panic while holding the lock cannot leave the engine half-updated in a way that
        // matters more than stopping: decisions are computed before any state changes.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Decides on a batch: all validated first (nothing is decided if one fails), then each
    /// decided, logged, remembered.
    pub fn decide(&self, txs: &[TxInput]) -> Result<Vec<Decision>, ApiError> {
        let mut core = self.lock();
        let reference = core.engine.reference().clone();
        let mut errors = Vec::new();
        for (i, tx) in txs.iter().enumerate() {
            if let Err(e) = tx.parse(&reference) {
                errors.push(json!({"index": i, "tx_id": tx.tx_id, "error": e.to_string()}));
            } else if let Some((print, _)) = core.recent.get(&tx.tx_id) {
                if *print != tx.fingerprint() {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        format!(
                            "tx_id '{}' was already decided with different content",
                            tx.tx_id
                        ),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            self.metrics.rejected(errors.len() as u64);
            let first = errors[0]["error"].as_str().unwrap_or("").to_string();
            return Err(ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                body: json!({"error": format!("invalid transaction: {first}"), "errors": errors}),
            });
        }
        let mut out = Vec::with_capacity(txs.len());
        for tx in txs {
            let print = tx.fingerprint();
            if let Some((_, d)) = core.recent.get(&tx.tx_id) {
                out.push(d.clone());
                continue;
            }
            let d = core
                .engine
                .decide(tx)
                .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
            core.seq += 1;
            let seq = core.seq;
            if let Some(store) = core.store.as_mut() {
                store
                    .append(seq, tx)
                    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            }
            core.since_checkpoint += 1;
            self.metrics.decision(d.decision, d.micros, &d.hits);
            core.recent.put(&tx.tx_id, print, d.clone());
            out.push(d);
        }
        let due = core.since_checkpoint >= self.config.snapshot_every && core.store.is_some();
        drop(core);
        if due {
            match self.begin_checkpoint() {
                // Disk work off the request path: the log holds everything until it is done.
                Ok(Some(c)) => {
                    let handle = std::thread::spawn(move || {
                        if let Err(e) = c.write() {
                            tracing::error!(
                                "checkpoint failed (the log still holds everything): {e}"
                            );
                        }
                    });
                    *self.writing.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!("checkpoint failed (the log still holds everything): {e}")
                }
            }
        }
        Ok(out)
    }

    /// Reloads the rule file; a refused file leaves the running rules in place.
    pub fn reload(&self) -> Result<Value, ApiError> {
        let rules = match load_rules(&self.config) {
            Ok(r) => r,
            Err(e) => {
                self.metrics.reload(false);
                let diags: Vec<Value> = e
                    .diagnostics()
                    .iter()
                    .map(|d| json!({"file": d.file, "line": d.line, "column": d.column, "message": d.message}))
                    .collect();
                return Err(ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    body: json!({"error": format!("rule file refused; the running rules stay: {e}"), "diagnostics": diags}),
                });
            }
        };
        // Compiled outside the lock; swapped in between two decisions.
        let report = self.lock().engine.replace_rules(rules);
        self.metrics.reload(true);
        Ok(
            json!({"status": "reloaded", "windows_kept": report.kept, "windows_reset": report.reset}),
        )
    }

    pub fn rules_json(&self) -> Value {
        let core = self.lock();
        let rs = core.engine.rules();
        json!({
            "name": rs.name(),
            "version": rs.version(),
            "description": rs.description(),
            "source": self.config.rules.as_ref().map_or("built-in Kazakhstan pack".to_string(), |p| p.display().to_string()),
            "rules": rs.rules().map(|r| json!({
                "id": r.id,
                "description": r.description,
                "outcome": r.outcome.as_str(),
                "severity": r.severity.as_str(),
                "typology": r.typology.map(|t| t.as_str()),
            })).collect::<Vec<_>>(),
            "windows": rs.windows().map(|w| json!({
                "name": w.name,
                "aggregate": w.aggregate.as_str(),
                "span_seconds": w.span_secs,
            })).collect::<Vec<_>>(),
        })
    }

    pub fn metrics_text(&self) -> String {
        let stats = self.lock().engine.stats();
        self.metrics.render(&stats)
    }
}

/// An error answer: a status and a JSON body with at least `error`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({"error": message.into()}),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Reads a body up to the limit.
async fn body_bytes(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {limit} bytes"),
        )
    })
}

/// A JSON object, or an array of them, as transactions.
fn parse_transactions(bytes: &[u8]) -> Result<(Vec<TxInput>, bool), ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("malformed JSON: {e}")))?;
    match value {
        Value::Array(items) => {
            let txs = items
                .into_iter()
                .enumerate()
                .map(|(i, v)| serde_json::from_value(v).map_err(|e| bad(format!("item {i}: {e}"))))
                .collect::<Result<Vec<TxInput>, _>>()?;
            Ok((txs, true))
        }
        v @ Value::Object(_) => {
            let tx = serde_json::from_value(v).map_err(|e| bad(format!("transaction: {e}")))?;
            Ok((vec![tx], false))
        }
        _ => Err(bad(
            "expected a JSON object (one transaction) or an array of them".into(),
        )),
    }
}

async fn decisions(State(app): State<Arc<App>>, body: Body) -> Response {
    let result = async {
        let bytes = body_bytes(body, app.config.body_limit).await?;
        let (txs, many) = parse_transactions(&bytes)?;
        let decided = app.decide(&txs)?;
        Ok::<_, ApiError>(if many {
            json_response(StatusCode::OK, &decided)
        } else {
            json_response(StatusCode::OK, &decided[0])
        })
    }
    .await;
    let resp = result.unwrap_or_else(IntoResponse::into_response);
    app.metrics.http("/v1/decisions", resp.status().as_u16());
    resp
}

async fn rules(State(app): State<Arc<App>>) -> Response {
    json_response(StatusCode::OK, &app.rules_json())
}

async fn reload(State(app): State<Arc<App>>) -> Response {
    let app2 = app.clone();
    // Compiling rules is CPU work: keep it off the request threads.
    let result = tokio::task::spawn_blocking(move || app2.reload()).await;
    let resp = match result {
        Ok(Ok(v)) => json_response(StatusCode::OK, &v),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    app.metrics.http("/v1/rules/reload", resp.status().as_u16());
    resp
}

async fn healthz() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

async fn metrics_route(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics_text(),
    )
        .into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "no such route (see /openapi.json)").into_response()
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/decisions", post(decisions))
        .route("/v1/rules", get(rules))
        .route("/v1/rules/reload", post(reload))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_route))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .with_state(app)
}

/// Serves until Ctrl-C / SIGTERM, then checkpoints the windows.
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
    axum::serve(listener, router(app.clone()))
        .with_graceful_shutdown(shutdown())
        .await?;
    app.checkpoint()?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(id: &str, minute: u32) -> TxInput {
        serde_json::from_value(json!({
            "tx_id": id, "timestamp": format!("2025-03-14T10:{minute:02}:00+05:00"),
            "kind": "card_topup", "from_account": "S1", "to_account": "C1",
            "amount": "480000.00", "currency": "KZT"
        }))
        .expect("valid transaction")
    }

    fn near_threshold_hits(d: &Decision) -> usize {
        d.hits
            .iter()
            .filter(|h| &*h.rule == "KZ-NEAR-THRESHOLD")
            .count()
    }

    #[test]
    fn checkpoints_and_logs_restore_the_windows() {
        let dir = std::env::temp_dir().join(format!("finmon-serve-ckpt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = || Config {
            state_dir: Some(dir.clone()),
            snapshot_every: 2,
            ..Config::default()
        };
        let app = App::new(config()).unwrap();
        for (i, id) in ["A", "B", "C"].iter().enumerate() {
            app.decide(&[near(id, i as u32)]).unwrap();
        }
        // Let any background checkpoint finish, then take one more in the foreground: both
        // logs and the snapshot are exercised.
        app.checkpoint().unwrap();
        app.decide(&[near("D", 3)]).unwrap();
        drop(app);
        assert!(dir.join("snapshot.bin").exists());

        let app = App::new(config()).unwrap();
        let d = app.decide(&[near("E", 4)]).unwrap();
        assert_eq!(near_threshold_hits(&d[0]), 1);
        assert!(
            d[0].hits[0].reason.contains("5 operations"),
            "{:?}",
            d[0].hits
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A transaction whose log entry a checkpoint removed is still recognised after a restart:
    /// an identical re-send gets the first answer and counts once, a reuse of its id with other
    /// content is refused.
    #[test]
    fn resends_are_recognised_across_checkpoints_and_restarts() {
        let dir = std::env::temp_dir().join(format!("finmon-serve-resend-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = || Config {
            state_dir: Some(dir.clone()),
            snapshot_every: 1_000,
            ..Config::default()
        };
        let app = App::new(config()).unwrap();
        let first = app.decide(&[near("A", 0), near("B", 1)]).unwrap();
        app.checkpoint().unwrap();
        drop(app);
        let log = std::fs::read_to_string(dir.join("wal.jsonl")).unwrap_or_default();
        assert!(
            !log.contains("\"A\""),
            "the checkpoint took A out of the log"
        );

        let app = App::new(config()).unwrap();
        let again = app.decide(&[near("A", 0)]).unwrap();
        // The first answer, from memory (`micros` went through JSON: equal to within a ulp).
        let (a, f) = (&again[0], &first[0]);
        assert_eq!(
            (&a.tx_id, a.decision, &a.hits),
            (&f.tx_id, f.decision, &f.hits)
        );
        assert!((a.micros - f.micros).abs() <= f.micros * 1e-12);
        let mut changed = near("A", 0);
        changed.amount = "470000.00".into();
        let err = app.decide(&[changed]).unwrap_err();
        assert_eq!(err.status, StatusCode::CONFLICT);
        // A and B counted once each: C is the third operation near the threshold.
        let d = app.decide(&[near("C", 2)]).unwrap();
        assert!(
            d[0].hits[0].reason.contains("3 operations"),
            "{:?}",
            d[0].hits
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A state folder written before remembered decisions were saved still restores.
    #[test]
    fn first_layout_snapshot_is_still_read() {
        let dir = std::env::temp_dir().join(format!("finmon-serve-v1-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = || Config {
            state_dir: Some(dir.clone()),
            ..Config::default()
        };
        let app = App::new(config()).unwrap();
        app.decide(&[near("A", 0), near("B", 1)]).unwrap();
        let snap = app.lock().engine.snapshot();
        drop(app);
        let mut v1 = 2u64.to_le_bytes().to_vec();
        v1.extend_from_slice(&snap.to_bytes());
        std::fs::write(dir.join("snapshot.bin"), v1).unwrap();
        std::fs::remove_file(dir.join("wal.jsonl")).unwrap();
        let app = App::new(config()).unwrap();
        let d = app.decide(&[near("C", 2)]).unwrap();
        assert!(
            d[0].hits[0].reason.contains("3 operations"),
            "{:?}",
            d[0].hits
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
