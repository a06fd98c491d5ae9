//! Prometheus metrics, kept as atomics so that recording costs a few nanoseconds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// Upper bounds of the decision latency histogram, in microseconds.
const BUCKETS_US: [u64; 10] = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

#[derive(Default)]
pub struct Metrics {
    decisions: [AtomicU64; 3],
    rejected: AtomicU64,
    replayed: AtomicU64,
    http: Mutex<BTreeMap<(&'static str, u16), u64>>,
    hits: Mutex<BTreeMap<String, u64>>,
    latency: [AtomicU64; BUCKETS_US.len() + 1],
    latency_sum_us: AtomicU64,
    reloads: [AtomicU64; 2],
}

impl Metrics {
    pub fn decision(
        &self,
        outcome: finmon_rules::Outcome,
        micros: f64,
        hits: &[finmon_rules::Hit],
    ) {
        self.decisions[outcome as usize].fetch_add(1, Relaxed);
        let us = micros as u64;
        let b = BUCKETS_US
            .iter()
            .position(|&b| us <= b)
            .unwrap_or(BUCKETS_US.len());
        self.latency[b].fetch_add(1, Relaxed);
        self.latency_sum_us.fetch_add(us, Relaxed);
        if !hits.is_empty() {
            let mut m = self.hits.lock().unwrap_or_else(|p| p.into_inner());
            for h in hits {
                *m.entry(h.rule.to_string()).or_default() += 1;
            }
        }
    }

    pub fn rejected(&self, n: u64) {
        self.rejected.fetch_add(n, Relaxed);
    }

    pub fn replayed(&self, n: u64) {
        self.replayed.fetch_add(n, Relaxed);
    }

    pub fn reload(&self, ok: bool) {
        self.reloads[usize::from(!ok)].fetch_add(1, Relaxed);
    }

    pub fn http(&self, route: &'static str, status: u16) {
        let mut m = self.http.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry((route, status)).or_default() += 1;
    }

    /// The text exposition format.
    pub fn render(&self, windows: &[finmon_rules::WindowStats]) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP finmon_decisions_total Decisions made, by outcome."
        );
        let _ = writeln!(s, "# TYPE finmon_decisions_total counter");
        for (i, o) in ["allow", "review", "block"].iter().enumerate() {
            let _ = writeln!(
                s,
                "finmon_decisions_total{{decision=\"{o}\"}} {}",
                self.decisions[i].load(Relaxed)
            );
        }
        let _ = writeln!(s, "# HELP finmon_rule_hits_total Times each rule fired.");
        let _ = writeln!(s, "# TYPE finmon_rule_hits_total counter");
        for (rule, n) in self.hits.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                s,
                "finmon_rule_hits_total{{rule=\"{}\"}} {n}",
                rule.replace('"', "'")
            );
        }
        let _ = writeln!(
            s,
            "# HELP finmon_invalid_transactions_total Transactions refused as malformed."
        );
        let _ = writeln!(s, "# TYPE finmon_invalid_transactions_total counter");
        let _ = writeln!(
            s,
            "finmon_invalid_transactions_total {}",
            self.rejected.load(Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP finmon_replayed_transactions_total Logged transactions replayed at start."
        );
        let _ = writeln!(s, "# TYPE finmon_replayed_transactions_total counter");
        let _ = writeln!(
            s,
            "finmon_replayed_transactions_total {}",
            self.replayed.load(Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP finmon_decision_seconds Time to decide one transaction."
        );
        let _ = writeln!(s, "# TYPE finmon_decision_seconds histogram");
        let mut cum = 0;
        for (i, b) in BUCKETS_US.iter().enumerate() {
            cum += self.latency[i].load(Relaxed);
            let _ = writeln!(
                s,
                "finmon_decision_seconds_bucket{{le=\"{}\"}} {cum}",
                *b as f64 / 1e6
            );
        }
        cum += self.latency[BUCKETS_US.len()].load(Relaxed);
        let _ = writeln!(s, "finmon_decision_seconds_bucket{{le=\"+Inf\"}} {cum}");
        let _ = writeln!(
            s,
            "finmon_decision_seconds_sum {}",
            self.latency_sum_us.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "finmon_decision_seconds_count {cum}");
        let _ = writeln!(
            s,
            "# HELP finmon_http_responses_total HTTP responses, by route and status."
        );
        let _ = writeln!(s, "# TYPE finmon_http_responses_total counter");
        for ((route, status), n) in self.http.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                s,
                "finmon_http_responses_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            s,
            "# HELP finmon_rule_reloads_total Rule reloads, by result."
        );
        let _ = writeln!(s, "# TYPE finmon_rule_reloads_total counter");
        let _ = writeln!(
            s,
            "finmon_rule_reloads_total{{result=\"ok\"}} {}",
            self.reloads[0].load(Relaxed)
        );
        let _ = writeln!(
            s,
            "finmon_rule_reloads_total{{result=\"refused\"}} {}",
            self.reloads[1].load(Relaxed)
        );
        let _ = writeln!(s, "# HELP finmon_window_keys Keys held per window.");
        let _ = writeln!(s, "# TYPE finmon_window_keys gauge");
        for w in windows {
            let _ = writeln!(s, "finmon_window_keys{{window=\"{}\"}} {}", w.name, w.keys);
        }
        let _ = writeln!(s, "# HELP finmon_window_events Events held per window.");
        let _ = writeln!(s, "# TYPE finmon_window_events gauge");
        for w in windows {
            let _ = writeln!(
                s,
                "finmon_window_events{{window=\"{}\"}} {}",
                w.name, w.events
            );
        }
        let _ = writeln!(
            s,
            "# HELP finmon_window_event_bytes Bytes of event storage per window."
        );
        let _ = writeln!(s, "# TYPE finmon_window_event_bytes gauge");
        for w in windows {
            let _ = writeln!(
                s,
                "finmon_window_event_bytes{{window=\"{}\"}} {}",
                w.name, w.event_bytes
            );
        }
        s
    }
}
