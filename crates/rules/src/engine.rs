//! The decision engine: one transaction in, allow / review / block out.

use crate::compile::{presence_bits, Render};
use crate::env::{account_fp, Env, Reference, Side, Tri, WinVal, Windows};
use crate::error::{InputError, SnapshotError};
use crate::input::{RateCache, TxInput};
use crate::ruleset::{Outcome, RuleSet, Severity};
use crate::snapshot::Snapshot;
use crate::window::{OfFn, WindowState};
use finmon_model::Dataset;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Instant;

/// The windows are swept once every this many decisions (see [`WindowState::sweep`]).
const SWEEP_EVERY: u64 = 16;

/// One rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// The rule's `id`.
    pub rule: Arc<str>,
    pub outcome: Outcome,
    pub severity: Severity,
    /// The rule's reason template with the transaction's figures filled in.
    pub reason: String,
}

/// The engine's answer for one transaction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Decision {
    pub tx_id: String,
    /// The strictest outcome among the hits; `allow` when no rule fired.
    pub decision: Outcome,
    /// The rules that fired, in rule-file order.
    pub hits: Vec<Hit>,
    /// Time spent deciding (parsing and valuation included), in microseconds.
    pub micros: f64,
}

/// What happened to window state on [`Engine::replace_rules`] or [`Engine::restore`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateReport {
    /// Windows whose state was carried over.
    pub kept: Vec<String>,
    /// Windows that start empty (new, or their definition changed).
    pub reset: Vec<String>,
}

/// Size of one window's state, for monitoring the bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowStats {
    pub name: String,
    /// Keys with at least one event in the window.
    pub keys: usize,
    /// Events held over all keys.
    pub events: usize,
    /// Bytes of event storage the window holds (blocks of freed keys included: they are kept
    /// for new keys).
    pub event_bytes: usize,
}

/// Decides on transactions one at a time, keeping window state between them.
///
/// Not `Sync`: a server runs one engine per thread (sharding keys) or behind a lock.
pub struct Engine {
    rules: RuleSet,
    reference: Arc<Dataset>,
    index: Reference,
    state: Vec<WindowState>,
    cache: Vec<Cell<WinVal>>,
    /// Per window, the key computed ahead (`None`: not computed ahead).
    keys: Vec<Option<Option<u64>>>,
    /// The latest transaction time seen (seconds): the sweep expires against it.
    clock: i64,
    /// Decisions made, for pacing the sweep.
    decisions: u64,
    rates: RateCache,
}

impl Engine {
    /// An engine for `rules`, resolving accounts, parties, institutions and rates against
    /// `reference` (which may be `Dataset::default()`: rules reading `from.*`/`to.*` then see
    /// unlisted accounts, and only KZT or given `amount_kzt` can be valued).
    pub fn new(rules: RuleSet, reference: Arc<Dataset>) -> Engine {
        let index = Reference::new(&reference);
        let state = fresh_state(&rules);
        let cache = vec![Cell::new(WinVal::Pending); rules.windows.len()];
        let keys = vec![None; rules.windows.len()];
        Engine {
            rules,
            reference,
            index,
            state,
            cache,
            keys,
            clock: i64::MIN,
            decisions: 0,
            rates: RateCache::default(),
        }
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn reference(&self) -> &Arc<Dataset> {
        &self.reference
    }

    /// Decides on one transaction: validates and values it, updates the windows it feeds,
    /// evaluates every rule, and sweeps a little expired state.
    pub fn decide(&mut self, input: &TxInput) -> Result<Decision, InputError> {
        let mut d = Decision::default();
        self.decide_into(input, &mut d)?;
        Ok(d)
    }

    /// [`Engine::decide`] into a reused `Decision` (its buffers are kept): no allocation but
    /// the reasons of the hits. On error `out` is left as it was.
    pub fn decide_into(&mut self, input: &TxInput, out: &mut Decision) -> Result<(), InputError> {
        let start = Instant::now();
        let Engine {
            rules,
            reference,
            index,
            state,
            cache,
            keys,
            clock,
            decisions,
            rates,
        } = self;
        let tx = input.parse_cached(reference, rates)?;
        let t = tx.timestamp.0;
        *clock = (*clock).max(t);
        out.tx_id.clear();
        out.tx_id.push_str(tx.tx_id);
        out.hits.clear();
        out.decision = Outcome::Allow;
        for c in cache.iter() {
            c.set(WinVal::Pending);
        }
        // A decision waits mostly on memory: a few random reads into tables of megabytes. The
        // keys are computed first, then every first read is started (touch) before any is
        // used, so that the cache misses overlap instead of queueing.
        let from_fp = tx.from_account.map(|a| (a, account_fp(a)));
        let to_fp = tx.to_account.map(|a| (a, account_fp(a)));
        {
            let mut env = Env {
                tx: &tx,
                from: Side {
                    id: tx.from_account,
                    ..Side::default()
                },
                to: Side {
                    id: tx.to_account,
                    ..Side::default()
                },
                win: Windows {
                    defs: &rules.windows,
                    clock: *clock,
                    state: RefCell::new(&mut state[..]),
                    cache,
                },
            };
            // Keys that need only the transaction are computed ahead.
            for (i, w) in rules.windows.iter().enumerate() {
                keys[i] = (!w.key_reads_reference).then(|| (w.key)(&env));
            }
            if rules.uses_reference {
                for (_, fp) in from_fp.iter().chain(to_fp.iter()) {
                    index.touch(*fp);
                }
            }
            {
                let st = env.win.state.borrow();
                for (i, k) in keys.iter().enumerate() {
                    if let Some(Some(k)) = k {
                        st[i].touch(*k);
                    }
                }
            }
            if rules.uses_reference {
                env.from = index.side(reference, from_fp);
                env.to = index.side(reference, to_fp);
            }
            for (i, k) in keys.iter().enumerate() {
                if let Some(Some(k)) = k {
                    env.win.state.borrow()[i].touch_events(*k);
                }
            }
            let present = presence_bits(&tx);
            // Each window once: the transaction's event goes in before any rule reads it.
            for (i, w) in rules.windows.iter().enumerate() {
                if !w.guard.admits(&tx, present, &env.from, &env.to)
                    || w.when.as_ref().is_some_and(|f| f(&env) != Tri::True)
                {
                    continue;
                }
                let key = match keys[i] {
                    Some(k) => k,
                    None => (w.key)(&env),
                };
                let Some(key) = key else {
                    cache[i].set(WinVal::None);
                    continue;
                };
                let value = match &w.of {
                    OfFn::None => Some(0),
                    OfFn::Fp(f) => f(&env),
                    OfFn::Num(f) => f(&env).map(|v| v as u64),
                };
                // Without a value the transaction does not feed the window (it may still read it).
                if let Some(v) = value {
                    let val = env.win.state.borrow_mut()[i].push(key, t, v, *clock);
                    cache[i].set(val.map_or(WinVal::None, WinVal::Val));
                }
            }
            for r in &rules.rules {
                if !r.guard.admits(&tx, present, &env.from, &env.to) || (r.when)(&env) != Tri::True
                {
                    continue;
                }
                let mut reason = String::with_capacity(96);
                for p in &r.reason {
                    match p {
                        Render::Text(s) => reason.push_str(s),
                        Render::Value(f) => f(&env, &mut reason),
                    }
                }
                out.decision = out.decision.max(r.outcome);
                out.hits.push(Hit {
                    rule: r.id.clone(),
                    outcome: r.outcome,
                    severity: r.severity,
                    reason,
                });
            }
        }
        // The sweep's pace follows stream time, so it can run every few decisions.
        *decisions = decisions.wrapping_add(1);
        if decisions.is_multiple_of(SWEEP_EVERY) {
            for w in state.iter_mut() {
                w.sweep(*clock);
            }
        }
        out.micros = start.elapsed().as_secs_f64() * 1e6;
        Ok(())
    }

    /// Swaps in new rules (hot reload). A window keeps its state when the new set has a window
    /// of the same name and the same definition (key, aggregate, value, span, condition and the
    /// lists they read); every other window starts empty.
    pub fn replace_rules(&mut self, rules: RuleSet) -> StateReport {
        let mut old: Vec<Option<(String, u64, WindowState)>> = self
            .rules
            .windows
            .iter()
            .zip(std::mem::take(&mut self.state))
            .map(|(d, s)| Some((d.name.clone(), d.signature, s)))
            .collect();
        let mut report = StateReport::default();
        let mut state = Vec::with_capacity(rules.windows.len());
        for d in &rules.windows {
            let found = old.iter_mut().find(|o| {
                o.as_ref()
                    .is_some_and(|(n, sig, _)| *n == d.name && *sig == d.signature)
            });
            match found.and_then(Option::take) {
                Some((_, _, s)) => {
                    report.kept.push(d.name.clone());
                    state.push(s);
                }
                None => {
                    report.reset.push(d.name.clone());
                    state.push(WindowState::new(d.span, d.agg));
                }
            }
        }
        self.cache = vec![Cell::new(WinVal::Pending); rules.windows.len()];
        self.keys = vec![None; rules.windows.len()];
        self.state = state;
        self.rules = rules;
        report
    }

    /// The window state, to persist (see [`Snapshot::to_bytes`] and serde).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: Snapshot::VERSION,
            clock: self.clock,
            windows: self
                .rules
                .windows
                .iter()
                .zip(&self.state)
                .map(|(d, s)| s.snapshot(&d.name, d.signature))
                .collect(),
        }
    }

    /// Replaces the window state with a snapshot's. Each window takes the snapshot's state of
    /// the same name and definition; a window without one starts empty. All or nothing: on
    /// error the engine is unchanged.
    pub fn restore(&mut self, snap: &Snapshot) -> Result<StateReport, SnapshotError> {
        if snap.version != Snapshot::VERSION {
            return Err(SnapshotError::Version(snap.version));
        }
        let mut report = StateReport::default();
        let mut state = Vec::with_capacity(self.rules.windows.len());
        for d in &self.rules.windows {
            match snap
                .windows
                .iter()
                .find(|w| w.name == d.name && w.signature == d.signature)
            {
                Some(w) => {
                    state.push(
                        WindowState::restore(d.span, d.agg, w).map_err(SnapshotError::Corrupt)?,
                    );
                    report.kept.push(d.name.clone());
                }
                None => {
                    state.push(WindowState::new(d.span, d.agg));
                    report.reset.push(d.name.clone());
                }
            }
        }
        self.state = state;
        self.clock = snap.clock;
        Ok(report)
    }

    /// Makes room in the window `name` for `keys` keys at once; false if there is no such
    /// window. A window's table otherwise grows by doubling, and a growth moves every key: a
    /// pause of milliseconds during one decision for a window of 100,000 keys. A server
    /// reserves the keys it expects (accounts, devices) at start-up.
    pub fn reserve(&mut self, name: &str, keys: usize) -> bool {
        match self.rules.windows.iter().position(|w| w.name == name) {
            Some(i) => {
                self.state[i].reserve(keys);
                true
            }
            None => false,
        }
    }

    /// Keys and events held per window.
    pub fn stats(&self) -> Vec<WindowStats> {
        self.rules
            .windows
            .iter()
            .zip(&self.state)
            .map(|(d, s)| WindowStats {
                name: d.name.clone(),
                keys: s.live_keys(),
                events: s.events(),
                event_bytes: s.event_bytes(),
            })
            .collect()
    }
}

fn fresh_state(rules: &RuleSet) -> Vec<WindowState> {
    rules
        .windows
        .iter()
        .map(|d| WindowState::new(d.span, d.agg))
        .collect()
}
