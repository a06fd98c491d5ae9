//! Sliding windows: definitions (compiled from `[[window]]` tables) and their state.
//!
//! State per window is a hash table from key fingerprint to the key's slot: its events, oldest
//! first, and the running aggregate. A key whose events have all expired is removed; its event
//! buffer is kept for the next key, so that steady state does not allocate. Values are taken at
//! the engine's clock (the latest transaction time seen), so expiring early — by a read, an
//! update or the sweep — never changes a value.

use crate::arena::{Arena, Block};
use crate::compile::{BoolFn, FpFn, Guards, NumFn};
use crate::table::{self, ProbeTable};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::hash::{BuildHasherDefault, Hasher};

/// What a window computes over the events of a key inside its span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// Number of events.
    Count,
    /// Sum of `of` (money or int).
    Sum,
    /// Number of distinct values of `of`.
    Distinct,
    /// Largest `of` (money or int); no value when the key has no events.
    Max,
}

impl Aggregate {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::Sum => "sum",
            Aggregate::Distinct => "distinct",
            Aggregate::Max => "max",
        }
    }

    /// The value of a key without events.
    fn empty(self) -> Option<i64> {
        match self {
            Aggregate::Max => None,
            _ => Some(0),
        }
    }
}

/// How a window gets the value of an event.
pub(crate) enum OfFn {
    /// `count`: no value.
    None,
    /// `distinct`: a fingerprint of the value.
    Fp(FpFn),
    /// `sum`, `max`: a number (tiyn for money).
    Num(NumFn),
}

/// A compiled `[[window]]`.
pub(crate) struct WindowDef {
    pub name: String,
    pub agg: Aggregate,
    /// Span in seconds: the window at time `t` is `(t - span, t]`.
    pub span: i64,
    /// What `when` needs of the transaction (see [`Guards`]).
    pub guard: Guards,
    pub when: Option<BoolFn>,
    pub key: FpFn,
    /// The key reads `from.*`/`to.*`: it can only be computed once accounts are resolved.
    pub key_reads_reference: bool,
    pub of: OfFn,
    /// The value is money (tiyn): a `sum` or `max` of a money expression.
    pub money: bool,
    /// Fingerprint of the definition: state is kept across a rule reload only if it is equal.
    pub signature: u64,
}

/// Identity hashing for keys that already are fingerprints.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type Counts = hashbrown::HashMap<u64, u32, BuildHasherDefault<IdHasher>>;

/// A `distinct` key switches from scanning its events to a map of value counts above this many
/// events (and keeps the map until it is freed).
const SCAN_LIMIT: usize = 48;

/// Cache lines of a key's events read ahead (4 events a line).
const TOUCH_LINES: usize = 12;

/// Events a new key has room for: most keys never grow past it.
const INITIAL_CAPACITY: usize = 8;

/// Per key, what the aggregate needs besides the events.
#[derive(Clone, Default)]
enum Extra {
    #[default]
    None,
    /// `sum`: wrapping arithmetic, exact whenever the true sum fits in an `i64` (±92
    /// quadrillion tenge in tiyn).
    Sum(i64),
    /// `distinct`: the number of distinct values. Up to [`SCAN_LIMIT`] values a key keeps only
    /// the latest occurrence of each (its events are its distinct values, by last time seen);
    /// above, every occurrence and the count of each value.
    Distinct(u32, Option<Box<Counts>>),
    /// `max`: the events that can still become the maximum (times increasing, values strictly
    /// decreasing); the front is the maximum. Boxed so that a slot stays one cache line.
    #[allow(clippy::box_collection)]
    Max(Box<VecDeque<(i64, i64)>>),
}

/// A key and its events inside the window, oldest first (in the window's [`Arena`]). One
/// cache line.
#[derive(Clone)]
#[repr(align(64))]
struct Slot {
    key: u64,
    /// Time of the oldest event (`i64::MAX` when none): expiry that has nothing to do does not
    /// touch the events.
    oldest: i64,
    events: Block,
    extra: Extra,
}

impl Default for Slot {
    /// The empty entry of the table.
    fn default() -> Self {
        Slot {
            key: 0,
            oldest: i64::MAX,
            events: Block::default(),
            extra: Extra::None,
        }
    }
}

impl table::Entry for Slot {
    #[inline]
    fn key(&self) -> u64 {
        self.key
    }
}

impl Slot {
    fn new(key: u64, events: Block, agg: Aggregate) -> Slot {
        Slot {
            key: table::stored(key),
            oldest: i64::MAX,
            events,
            extra: match agg {
                Aggregate::Count => Extra::None,
                Aggregate::Sum => Extra::Sum(0),
                Aggregate::Distinct => Extra::Distinct(0, None),
                Aggregate::Max => Extra::Max(Box::default()),
            },
        }
    }

    /// Drops the events at or before `cutoff`.
    #[inline]
    fn expire(&mut self, cutoff: i64, arena: &Arena) {
        if self.oldest > cutoff {
            return;
        }
        self.expire_slow(cutoff, arena);
        self.oldest = self.events.front(arena).map_or(i64::MAX, |e| e.0);
    }

    fn expire_slow(&mut self, cutoff: i64, arena: &Arena) {
        while let Some((t, v)) = self.events.front(arena) {
            if t > cutoff {
                break;
            }
            self.events.pop_front();
            match &mut self.extra {
                Extra::None => {}
                Extra::Sum(s) => *s = s.wrapping_sub(v as i64),
                // The only (latest) occurrence of its value: the value leaves the window.
                Extra::Distinct(n, None) => *n = n.saturating_sub(1),
                Extra::Distinct(n, Some(counts)) => {
                    if let Some(c) = counts.get_mut(&v) {
                        *c -= 1;
                        if *c == 0 {
                            counts.remove(&v);
                            *n = n.saturating_sub(1);
                        }
                    }
                }
                Extra::Max(q) => {
                    while q.front().is_some_and(|&(mt, _)| mt <= cutoff) {
                        q.pop_front();
                    }
                }
            }
        }
    }

    fn insert(&mut self, t: i64, v: u64, arena: &mut Arena) {
        self.oldest = self.oldest.min(t);
        let in_order = self.events.back(arena).is_none_or(|(bt, _)| bt <= t);
        let at = |events: &Block, arena: &Arena| {
            if in_order {
                events.len()
            } else {
                events.events(arena).partition_point(|&(et, _)| et <= t)
            }
        };
        match &mut self.extra {
            Extra::Distinct(n, counts) => {
                match counts {
                    Some(c) => {
                        let e = c.entry(v).or_insert(0);
                        if *e == 0 {
                            *n += 1;
                        }
                        *e += 1;
                        let i = at(&self.events, arena);
                        self.events.insert(arena, i, (t, v));
                    }
                    None => {
                        // Keep one entry a value, the latest: a repeat moves it to the back.
                        let events = self.events.events(arena);
                        match events.iter().rposition(|&(_, ev)| ev == v) {
                            // A late repeat: the later occurrence already counts.
                            Some(i) if events[i].0 > t => {}
                            Some(i) => {
                                self.events.remove(arena, i);
                                let j = at(&self.events, arena);
                                self.events.insert(arena, j, (t, v));
                            }
                            None => {
                                *n += 1;
                                let j = at(&self.events, arena);
                                self.events.insert(arena, j, (t, v));
                            }
                        }
                        if self.events.len() > SCAN_LIMIT {
                            let mut c = Counts::default();
                            for &(_, ev) in self.events.events(arena) {
                                *c.entry(ev).or_insert(0) += 1;
                            }
                            *counts = Some(Box::new(c));
                        }
                    }
                }
                self.oldest = self.events.front(arena).map_or(i64::MAX, |e| e.0);
            }
            extra => {
                if in_order {
                    self.events.push(arena, (t, v));
                } else {
                    let i = at(&self.events, arena);
                    self.events.insert(arena, i, (t, v));
                }
                match extra {
                    Extra::Sum(s) => *s = s.wrapping_add(v as i64),
                    Extra::Max(q) if in_order => {
                        let v = v as i64;
                        while q.back().is_some_and(|&(_, mv)| mv <= v) {
                            q.pop_back();
                        }
                        q.push_back((t, v));
                    }
                    Extra::Max(q) => {
                        q.clear();
                        for &(et, ev) in self.events.events(arena) {
                            let ev = ev as i64;
                            while q.back().is_some_and(|&(_, mv)| mv <= ev) {
                                q.pop_back();
                            }
                            q.push_back((et, ev));
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn value(&self) -> Option<i64> {
        match &self.extra {
            Extra::None => i64::try_from(self.events.len()).ok(),
            Extra::Sum(s) => Some(*s),
            Extra::Distinct(n, _) => Some(i64::from(*n)),
            Extra::Max(q) => q.front().map(|&(_, v)| v),
        }
    }
}

/// The state of one window: every key that has events inside the span.
///
/// Slots live in a [`ProbeTable`] (one cache line reaches a key's aggregate, and the engine can
/// touch it early); the sweep walks the table.
#[derive(Clone)]
pub(crate) struct WindowState {
    span: i64,
    agg: Aggregate,
    table: ProbeTable<Slot>,
    /// The events of every key.
    arena: Arena,
    /// Next entry to sweep, stream time of the last sweep, and entry visits owed to the sweep.
    cursor: usize,
    swept_at: i64,
    owed: f64,
    /// Sweep pace: entries a second, per entry of the table (one pass per quarter span).
    pace: f64,
}

/// Most entries one decision sweeps in one window: a jump in time is spread over decisions.
const MAX_SWEEP: u64 = 256;

impl WindowState {
    pub(crate) fn new(span: i64, agg: Aggregate) -> WindowState {
        WindowState {
            span,
            agg,
            table: ProbeTable::with_capacity(0),
            arena: Arena::default(),
            cursor: 0,
            swept_at: i64::MIN,
            owed: 0.0,
            pace: 4.0 / (span.max(1) as f64),
        }
    }

    /// Makes room for `keys` keys with a few events each, so that neither the table nor the
    /// arena grows while deciding.
    pub(crate) fn reserve(&mut self, keys: usize) {
        self.table.reserve(keys);
        self.arena.reserve(keys.saturating_mul(INITIAL_CAPACITY));
    }

    /// Keys that have events.
    pub(crate) fn live_keys(&self) -> usize {
        self.table.len()
    }

    /// Events held, over all keys.
    pub(crate) fn events(&self) -> usize {
        self.table.iter().map(|s| s.events.len()).sum()
    }

    /// Bytes of the keys' events (free blocks included).
    pub(crate) fn event_bytes(&self) -> usize {
        self.arena.bytes()
    }

    /// Brings the slot of `key` into cache (see [`ProbeTable::touch`]).
    #[inline]
    pub(crate) fn touch(&self, key: u64) {
        self.table.touch(key);
    }

    /// Brings the events of `key` into cache, once its slot is (the second level of
    /// [`WindowState::touch`]): one prefetch per cache line, up to [`TOUCH_LINES`] lines from the
    /// newest, all started together.
    #[inline]
    pub(crate) fn touch_events(&self, key: u64) {
        if let Some(s) = self.table.find(key).and_then(|i| self.table.get(i)) {
            for e in s
                .events
                .events(&self.arena)
                .iter()
                .rev()
                .step_by(4)
                .take(TOUCH_LINES)
            {
                table::prefetch(e);
            }
        }
    }

    fn free(&mut self, i: usize) {
        let slot = self.table.remove_at(i);
        self.arena.release(slot.events);
    }

    /// Adds the event `(t, v)` to `key` and returns the key's value at `clock` (the latest
    /// transaction time seen, `t` itself for a transaction in time order): the events in
    /// `(clock - span, clock]`, this one included. An event at or before `clock - span` is not
    /// added.
    pub(crate) fn push(&mut self, key: u64, t: i64, v: u64, clock: i64) -> Option<i64> {
        let cutoff = clock.saturating_sub(self.span);
        if let Some(i) = self.table.find(key) {
            let Some(s) = self.table.get_mut(i) else {
                return self.agg.empty();
            };
            s.expire(cutoff, &self.arena);
            if t > cutoff {
                s.insert(t, v, &mut self.arena);
            }
            if s.events.is_empty() {
                self.free(i);
                return self.agg.empty();
            }
            return s.value();
        }
        if t <= cutoff {
            return self.agg.empty();
        }
        let mut s = Slot::new(key, self.arena.alloc(INITIAL_CAPACITY), self.agg);
        s.insert(t, v, &mut self.arena);
        let value = s.value();
        self.table.insert(s);
        value
    }

    /// The value of `key` at `clock` for a transaction that does not add an event.
    pub(crate) fn read(&mut self, key: u64, clock: i64) -> Option<i64> {
        let cutoff = clock.saturating_sub(self.span);
        let Some(i) = self.table.find(key) else {
            return self.agg.empty();
        };
        let Some(s) = self.table.get_mut(i) else {
            return self.agg.empty();
        };
        s.expire(cutoff, &self.arena);
        if s.events.is_empty() {
            self.free(i);
            return self.agg.empty();
        }
        s.value()
    }

    /// Sweeps entries at the cursor against `clock`: expires their events and frees the empty
    /// keys, so that keys no transaction touches again still go. The pace follows stream time:
    /// every entry is visited once per quarter of the span (at most [`MAX_SWEEP`] a call, the
    /// rest owed to the next calls). Sweeping never changes a value: values are taken at the
    /// clock, and the sweep only drops events at or before `clock - span`.
    pub(crate) fn sweep(&mut self, clock: i64) {
        if clock <= self.swept_at || self.swept_at == i64::MIN || self.table.len() == 0 {
            self.swept_at = self.swept_at.max(clock);
            return;
        }
        let buckets = self.table.buckets() as f64;
        let dt = clock.saturating_sub(self.swept_at) as f64;
        self.swept_at = clock;
        // At most one pass is owed, however far time jumped.
        self.owed = (self.owed + buckets * dt * self.pace).min(buckets);
        let n = self.owed.min(MAX_SWEEP as f64) as u64;
        self.owed -= n as f64;
        let cutoff = clock.saturating_sub(self.span);
        for _ in 0..n {
            if self.cursor >= self.table.buckets() {
                self.cursor = 0;
            }
            let i = self.cursor;
            if let Some(s) = self.table.get_mut(i) {
                s.expire(cutoff, &self.arena);
                if s.events.is_empty() {
                    // A later entry may move into i: look at i again.
                    self.free(i);
                    continue;
                }
            }
            self.cursor += 1;
        }
    }

    pub(crate) fn snapshot(&self, name: &str, signature: u64) -> WindowSnapshot {
        let mut keys: Vec<KeySnapshot> = self
            .table
            .iter()
            .map(|s| KeySnapshot {
                key: s.key,
                events: s
                    .events
                    .events(&self.arena)
                    .iter()
                    .map(|&(t, v)| (t, v as i64))
                    .collect(),
            })
            .collect();
        // In key order, so that equal states give equal snapshots.
        keys.sort_unstable_by_key(|k| k.key);
        WindowSnapshot {
            name: name.to_string(),
            signature,
            keys,
        }
    }

    /// Rebuilds the state a snapshot was taken of.
    pub(crate) fn restore(
        span: i64,
        agg: Aggregate,
        snap: &WindowSnapshot,
    ) -> Result<WindowState, &'static str> {
        let mut w = WindowState::new(span, agg);
        w.table = ProbeTable::with_capacity(snap.keys.len());
        for k in &snap.keys {
            if k.events.is_empty() {
                return Err("a key without events");
            }
            if k.events.windows(2).any(|p| p[0].0 > p[1].0) {
                return Err("events out of time order");
            }
            if w.table.find(k.key).is_some() {
                return Err("a key twice");
            }
            let mut s = Slot::new(k.key, w.arena.alloc(k.events.len()), agg);
            for &(t, v) in &k.events {
                s.insert(t, v as u64, &mut w.arena);
            }
            w.table.insert(s);
        }
        Ok(w)
    }
}

/// The state of one window, as saved. Keys are fingerprints as stored (never 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowSnapshot {
    pub name: String,
    /// The definition it was built under: restored only into a window with the same one.
    pub signature: u64,
    /// Every key with events, in fingerprint order.
    pub keys: Vec<KeySnapshot>,
}

/// One key of a window and its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySnapshot {
    /// Fingerprint of the key.
    pub key: u64,
    /// `(time in seconds, value)`, oldest first; the value is a number for `sum` and `max`, a
    /// fingerprint (as `i64`) for `distinct`, 0 for `count`.
    pub events: Vec<(i64, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes in time order: the clock is the event's time.
    fn at(w: &mut WindowState, key: u64, t: i64, v: u64) -> Option<i64> {
        w.push(key, t, v, t)
    }

    #[test]
    fn a_slot_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Slot>(), 64);
    }

    #[test]
    fn window_is_open_at_t_minus_span_and_closed_at_t() {
        let mut w = WindowState::new(100, Aggregate::Count);
        assert_eq!(at(&mut w, 7, 1_000, 0), Some(1));
        // At t = 1100 the event at 1000 is exactly span old: out; (t - span, t] is open below.
        assert_eq!(w.read(7, 1_099), Some(1));
        assert_eq!(w.read(7, 1_100), Some(0));
        assert_eq!(w.live_keys(), 0, "an empty key is evicted");
        assert_eq!(at(&mut w, 7, 2_000, 0), Some(1));
        assert_eq!(at(&mut w, 7, 2_000, 0), Some(2), "same second counts twice");
        assert_eq!(at(&mut w, 7, 2_099, 0), Some(3));
        assert_eq!(at(&mut w, 7, 2_100, 0), Some(2));
        assert_eq!(w.read(8, 2_100), Some(0), "a key never seen");
    }

    #[test]
    fn aggregates() {
        let mut sum = WindowState::new(10, Aggregate::Sum);
        let mut max = WindowState::new(10, Aggregate::Max);
        let mut distinct = WindowState::new(10, Aggregate::Distinct);
        for (t, v, s, m, d) in [
            (0, 5, 5, 5, 1),
            (3, 9, 14, 9, 2),
            (6, 5, 19, 9, 2),
            (10, 1, 15, 9, 3),
            (13, 2, 8, 5, 3),
            (16, 2, 5, 2, 2),
        ] {
            assert_eq!(at(&mut sum, 1, t, v), Some(s), "sum at {t}");
            assert_eq!(at(&mut max, 1, t, v), Some(m), "max at {t}");
            assert_eq!(at(&mut distinct, 1, t, v), Some(d), "distinct at {t}");
        }
        assert_eq!(max.read(1, 100), None, "max of nothing is no value");
        assert_eq!(sum.read(1, 100), Some(0));
        assert_eq!(max.read(2, 0), None);
        // Negative amounts (a sum of ints may be negative) go through the u64 event value.
        let mut s = WindowState::new(10, Aggregate::Sum);
        at(&mut s, 1, 0, (-7i64) as u64);
        assert_eq!(at(&mut s, 1, 1, 3), Some(-4));
    }

    /// The scan with superseded marks and the map of counts agree with a plain recount, through
    /// the switch from one to the other, expiry and late events.
    #[test]
    fn distinct_counting_matches_a_recount() {
        let mut w = WindowState::new(50, Aggregate::Distinct);
        let mut seed: u64 = 1;
        let mut log: Vec<(i64, u64)> = Vec::new();
        let mut clock = i64::MIN;
        for step in 0..3_000i64 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let values = if step < 1_500 { 8 } else { 80 };
            let value = (seed >> 33) % values;
            // Bursts make keys cross the scan limit; a few events come late.
            let t = step / 3 - i64::from(seed.is_multiple_of(17)) * 5;
            clock = clock.max(t);
            let got = w.push(42, t, value, clock);
            if t > clock - 50 {
                log.push((t, value));
            }
            log.retain(|e| e.0 > clock - 50);
            let want: std::collections::HashSet<u64> = log.iter().map(|e| e.1).collect();
            assert_eq!(got, Some(want.len() as i64), "step {step}");
        }
    }

    #[test]
    fn late_events_are_counted_in_time_order() {
        let mut max = WindowState::new(100, Aggregate::Max);
        at(&mut max, 1, 50, 3);
        at(&mut max, 1, 60, 1);
        assert_eq!(
            max.push(1, 55, 2, 60),
            Some(3),
            "late event inserted in order"
        );
        assert_eq!(max.read(1, 151), Some(2), "50 expired; 55 and 60 remain");
        assert_eq!(max.read(1, 156), Some(1));
        // An event already older than the window at the clock is not counted.
        let mut c = WindowState::new(100, Aggregate::Count);
        at(&mut c, 1, 1_000, 0);
        assert_eq!(c.push(1, 900, 0, 1_000), Some(1));
        assert_eq!(c.push(1, 901, 0, 1_000), Some(2));
    }

    #[test]
    fn sweep_frees_keys_nobody_touches_and_reuses_buffers() {
        let mut w = WindowState::new(400, Aggregate::Count);
        for k in 1..=100 {
            at(&mut w, k, 0, 0);
        }
        assert_eq!(w.live_keys(), 100);
        let buckets = w.table.buckets();
        w.sweep(0);
        w.sweep(390);
        assert_eq!(w.live_keys(), 100, "a whole pass, but nothing expired yet");
        // Span 400 s: one pass over the buckets per 100 s of stream time.
        w.sweep(400);
        let after_10s = w.live_keys();
        assert!(
            after_10s < 100 && after_10s > 100 - buckets / 5,
            "{after_10s} of {buckets}"
        );
        w.sweep(1_000_000);
        assert_eq!(
            w.live_keys(),
            0,
            "a jump in time sweeps at most a pass, which frees all"
        );
        assert_eq!(w.events(), 0);
        assert!(w.arena.bytes() > 0, "freed blocks are kept for new keys");
        at(&mut w, 1_000, 1_000_001, 0);
        assert_eq!(w.live_keys(), 1);
    }

    #[test]
    fn snapshot_restores_the_same_values() {
        for agg in [
            Aggregate::Count,
            Aggregate::Sum,
            Aggregate::Distinct,
            Aggregate::Max,
        ] {
            let mut w = WindowState::new(10, agg);
            for t in 0..40i64 {
                at(&mut w, t as u64 % 7 + 1, t, (t % 3) as u64);
                w.sweep(t);
            }
            let snap = w.snapshot("w", 1);
            let mut r = WindowState::restore(10, agg, &snap).unwrap();
            assert_eq!(r.snapshot("w", 1), snap);
            for t in 40..80i64 {
                let k = t as u64 % 5 + 1;
                assert_eq!(
                    at(&mut w, k, t, t as u64 % 4 * 2),
                    at(&mut r, k, t, t as u64 % 4 * 2)
                );
                w.sweep(t);
                r.sweep(t);
            }
        }
    }
}
