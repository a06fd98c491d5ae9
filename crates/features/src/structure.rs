//! Shapes through one edge `u → v` within its window: simple cycles by length (the paths that
//! bring the money from `v` back to `u`; offline, [`rooted_cycles`] finds each cycle once from
//! its earliest edge, online [`cycles`] searches back from the edge) and scatter-gather (other
//! intermediates that share this edge's source and sink). Every search is bounded: accounts
//! with more edges in the window than the hub limit are not walked through, and each search
//! stops after a budget of edge visits, so a row costs at most a fixed amount of work and the
//! counts are lower bounds on a dense graph.

use finmon_graph::{Components, Edges, TemporalGraph};

/// Per-thread scratch for the searches, sized by the vertex count and left clean after each.
pub(crate) struct Scratch {
    /// Hops from the account to `u` along in-edges (reverse breadth-first), `u8::MAX` unknown.
    dist: Vec<u8>,
    touched: Vec<u32>,
    on_path: Vec<bool>,
    /// Distinct-neighbour stamps: `stamp[x] == gen` means seen in the current expansion.
    stamp: Vec<u32>,
    gen: u32,
    count: Vec<u32>,
    /// The intermediate that last counted for a sink.
    who: Vec<u32>,
    counted: Vec<u32>,
    buf: Vec<u32>,
    queue: Vec<u32>,
    /// The rows of the cycle being walked, root first ([`rooted_cycles`]).
    path: Vec<u32>,
}

impl Scratch {
    pub fn new(n: usize) -> Scratch {
        Scratch {
            dist: vec![u8::MAX; n],
            touched: Vec::new(),
            on_path: vec![false; n],
            stamp: vec![0; n],
            gen: 0,
            count: vec![0; n],
            who: vec![u32::MAX; n],
            counted: Vec::new(),
            buf: Vec::new(),
            queue: Vec::new(),
            path: Vec::new(),
        }
    }

    /// Forgets the reverse ball of the last search.
    fn clear_ball(&mut self) {
        for &x in &self.touched {
            self.dist[x as usize] = u8::MAX;
        }
        self.touched.clear();
    }

    fn next_gen(&mut self) -> u32 {
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.gen = 1;
        }
        self.gen
    }
}

/// The bounds every search of one row obeys.
#[derive(Clone, Copy)]
pub(crate) struct Bounds {
    pub t0: i64,
    pub t1: i64,
    pub hub: usize,
    pub budget: usize,
}

/// Pushes the distinct neighbours of `x` in the window (out- or in-edges) onto `s.buf`; returns
/// `None` (and pushes nothing) for a hub.
fn distinct_nbrs(
    g: &TemporalGraph,
    x: u32,
    out: bool,
    b: Bounds,
    s: &mut Scratch,
    visits: &mut usize,
) -> Option<usize> {
    let e = if out {
        g.out_edges_in(x, b.t0, b.t1)
    } else {
        g.in_edges_in(x, b.t0, b.t1)
    };
    if e.len() > b.hub {
        return None;
    }
    *visits += e.len();
    let gen = s.next_gen();
    let start = s.buf.len();
    for &n in e.nbr {
        if s.stamp[n as usize] != gen {
            s.stamp[n as usize] = gen;
            s.buf.push(n);
        }
    }
    Some(start)
}

/// Simple cycles through `u → v` whose edges all lie in the window, by length: `out[L - 2]` is
/// the number of cycles of `L` accounts (`2 <= L <= out.len() + 1`). Parallel edges count once
/// (cycles are sequences of accounts).
///
/// Meet in the middle: a reverse breadth-first search from `u` only half as deep as the longest
/// path back (`reach` hops), then a depth-first walk from `v` that is free for its first hops
/// and must then stay within the reverse ball: an account the ball did not reach is at least
/// `reach + 1` hops from `u`. Both halves grow like the branching factor to half the length,
/// instead of the whole length for one deep search.
///
/// With `comps` (the strong components of `g`, when `u → v` is itself an edge of `g`), a
/// cycle lies in the component of `u`: an edge between two components closes none, and the
/// searches do not leave the component.
pub(crate) fn cycles(
    g: &TemporalGraph,
    comps: Option<&Components>,
    u: u32,
    v: u32,
    b: Bounds,
    s: &mut Scratch,
    out: &mut [u32],
) {
    out.iter_mut().for_each(|c| *c = 0);
    let max_len = out.len() + 1;
    if u == v || max_len < 2 || comps.is_some_and(|c| !c.on_cycle(u, v)) {
        return;
    }
    let home = comps.map(|c| (c, c.of(u)));
    let inside = |x: u32| home.is_none_or(|(c, h)| c.of(x) == h);
    let (mut budget, beyond) = reverse_ball(g, u, max_len, b, s, &|e, i| inside(e.nbr[i]));
    // The edge u → v plus the way back must fit in max_len edges.
    if hops_needed(s.dist[v as usize], beyond) < max_len {
        s.on_path[u as usize] = true;
        s.on_path[v as usize] = true;
        let walk = Walk {
            g,
            u,
            max_len,
            beyond,
            b,
            inside: &inside,
        };
        walk.from(v, 1, s, out, &mut budget);
        s.on_path[u as usize] = false;
        s.on_path[v as usize] = false;
    }
    s.clear_ball();
}

/// The reverse ball of the meet in the middle: hops from each account to `u` along in-edges
/// that pass `keep`, out to half the longest path back (`(max_len - 1) / 2`, rounded up), in
/// `s.dist` (until [`Scratch::clear_ball`]). Hubs other than `u` are not expanded. Returns the
/// budget left for the walk (what the ball did not use, and at least half) and the distance to
/// assume outside the ball: one more than its depth, or unbounded when the budget cut it short
/// (an account outside may then be nearer).
fn reverse_ball(
    g: &TemporalGraph,
    u: u32,
    max_len: usize,
    b: Bounds,
    s: &mut Scratch,
    keep: &dyn Fn(&Edges<'_>, usize) -> bool,
) -> (usize, usize) {
    let reach = (max_len - 1).div_ceil(2);
    let mut visits = 0usize;
    s.dist[u as usize] = 0;
    s.touched.push(u);
    s.queue.clear();
    s.queue.push(u);
    let mut head = 0;
    while head < s.queue.len() {
        if visits >= b.budget {
            return (b.budget / 2, usize::MAX / 2);
        }
        let x = s.queue[head];
        head += 1;
        let d = s.dist[x as usize];
        if usize::from(d) >= reach {
            continue;
        }
        let e = g.in_edges_in(x, b.t0, b.t1);
        if e.len() > b.hub && x != u {
            continue;
        }
        visits += e.len();
        for (i, &p) in e.nbr.iter().enumerate() {
            if s.dist[p as usize] == u8::MAX && keep(&e, i) {
                s.dist[p as usize] = d + 1;
                s.touched.push(p);
                s.queue.push(p);
            }
        }
    }
    (b.budget.saturating_sub(visits).max(b.budget / 2), reach + 1)
}

/// The fewest hops from an account to `u`: its distance in the reverse ball, else `beyond`.
fn hops_needed(d: u8, beyond: usize) -> usize {
    if d == u8::MAX {
        beyond
    } else {
        usize::from(d)
    }
}

/// The depth-first half of [`cycles`]: paths from `v` back to `u`, never leaving `inside`.
struct Walk<'a> {
    g: &'a TemporalGraph,
    u: u32,
    max_len: usize,
    beyond: usize,
    b: Bounds,
    inside: &'a dyn Fn(u32) -> bool,
}

impl Walk<'_> {
    /// Depth-first from `x`; `hops` counts the cycle's edges so far (`u → v` and the path from
    /// `v` to `x`). Counts the paths that close at `u`.
    fn from(&self, x: u32, hops: usize, s: &mut Scratch, out: &mut [u32], budget: &mut usize) {
        let mut visits = 0usize;
        let Some(start) = distinct_nbrs(self.g, x, true, self.b, s, &mut visits) else {
            return;
        };
        if visits > *budget {
            *budget = 0;
            s.buf.truncate(start);
            return;
        }
        *budget -= visits;
        let end = s.buf.len();
        for i in start..end {
            let y = s.buf[i];
            if y == self.u {
                // The cycle has hops + 1 edges (u → v, the path to x, x → u): index L - 2.
                out[hops - 1] += 1;
                continue;
            }
            if s.on_path[y as usize]
                || !(self.inside)(y)
                || hops + 1 + hops_needed(s.dist[y as usize], self.beyond) > self.max_len
            {
                continue;
            }
            if *budget == 0 {
                break;
            }
            s.on_path[y as usize] = true;
            self.from(y, hops + 1, s, out, budget);
            s.on_path[y as usize] = false;
        }
        s.buf.truncate(start);
    }
}

/// The earliest edge of the cycles [`rooted_cycles`] looks for: transaction row `row`, `u → v`
/// at time `t`. Every other edge of such a cycle comes after it: later, or at the same second
/// with a higher row. The tie rule only picks one root per cycle; which one does not change
/// what is counted.
#[derive(Clone, Copy)]
pub(crate) struct Root {
    pub row: u32,
    pub u: u32,
    pub v: u32,
    pub t: i64,
}

impl Root {
    /// Whether edge `i` of `e` comes after the root (its row is read only on a tie in time).
    fn after(&self, e: &Edges<'_>, i: usize) -> bool {
        let ts = e.ts[i];
        ts > self.t || (ts == self.t && e.tx[i] > self.row)
    }
}

/// Offline cycle counting, each cycle once: calls `hit(rows)` for every simple cycle of at most
/// `max_len` edges whose earliest edge is `root` and whose other edges all lie in
/// `[b.t0, b.t1]` (the caller passes `[t, t + W]`, so a cycle spans at most `W`). `rows` are
/// the cycle's transaction rows, the root first.
///
/// Cycles are sequences of edges, so parallel edges make distinct cycles; the features search
/// the novel graph, which has at most one edge per ordered pair. The same meet in the middle as
/// [`cycles`]: a reverse ball from `u` half as deep, then a walk from `v` that must end in it.
/// Hubs are not walked through and the search stops after `b.budget` edge visits.
pub(crate) fn rooted_cycles(
    g: &TemporalGraph,
    comps: &Components,
    root: Root,
    max_len: usize,
    b: Bounds,
    s: &mut Scratch,
    hit: &mut dyn FnMut(&[u32]),
) {
    let (u, v) = (root.u, root.v);
    if u == v || max_len < 2 || !comps.on_cycle(u, v) {
        return;
    }
    // Most roots close nothing because u is paid by no one, or v pays no one, after the root:
    // two lookups spare the ball and a walk that could never end.
    let (ins, outs) = (g.in_edges_in(u, b.t0, b.t1), g.out_edges_in(v, b.t0, b.t1));
    let any_after = |e: &Edges<'_>| (0..e.len()).any(|i| root.after(e, i));
    if !any_after(&ins) || !any_after(&outs) {
        return;
    }
    // A cycle never leaves its strong component: the ball and the walk stay in u's.
    let home = comps.of(u);
    let inside = |x: u32| comps.of(x) == home;
    let (mut budget, beyond) = reverse_ball(g, u, max_len, b, s, &|e, i| {
        root.after(e, i) && inside(e.nbr[i])
    });
    if hops_needed(s.dist[v as usize], beyond) < max_len {
        s.on_path[u as usize] = true;
        s.on_path[v as usize] = true;
        s.path.clear();
        s.path.push(root.row);
        let mut walk = RootedWalk {
            g,
            inside: &inside,
            root,
            max_len,
            beyond,
            b,
            budget: &mut budget,
            hit,
        };
        walk.from(v, 1, s);
        s.on_path[u as usize] = false;
        s.on_path[v as usize] = false;
    }
    s.clear_ball();
}

/// The depth-first half of [`rooted_cycles`].
struct RootedWalk<'a, 'h> {
    g: &'a TemporalGraph,
    inside: &'a dyn Fn(u32) -> bool,
    root: Root,
    max_len: usize,
    beyond: usize,
    b: Bounds,
    budget: &'a mut usize,
    hit: &'h mut dyn FnMut(&[u32]),
}

impl RootedWalk<'_, '_> {
    /// Walks on from `x`, the cycle having `hops` edges so far (rows in `s.path`).
    fn from(&mut self, x: u32, hops: usize, s: &mut Scratch) {
        let e = self.g.out_edges_in(x, self.b.t0, self.b.t1);
        if e.len() > self.b.hub {
            return;
        }
        if e.len() > *self.budget {
            *self.budget = 0;
            return;
        }
        *self.budget -= e.len();
        for (i, &y) in e.nbr.iter().enumerate() {
            if !self.root.after(&e, i) {
                continue;
            }
            if y == self.root.u {
                s.path.push(e.tx[i]);
                (self.hit)(&s.path);
                s.path.pop();
                continue;
            }
            if s.on_path[y as usize]
                || !(self.inside)(y)
                || hops + 1 + hops_needed(s.dist[y as usize], self.beyond) > self.max_len
            {
                continue;
            }
            if *self.budget == 0 {
                break;
            }
            s.on_path[y as usize] = true;
            s.path.push(e.tx[i]);
            self.from(y, hops + 1, s);
            s.path.pop();
            s.on_path[y as usize] = false;
        }
    }
}

/// A scatter-gather count and whether it is exact: no hub was skipped and the budget did not
/// run out. An exact zero on a graph is a zero on every subgraph of it (the novel edges).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Count {
    pub n: u32,
    pub exact: bool,
}

impl Count {
    const EXACT_ZERO: Count = Count { n: 0, exact: true };
    const CUT_ZERO: Count = Count { n: 0, exact: false };
}

/// Scatter-gather through `u → v`, both ways round: (as the scatter hop) the most other
/// intermediates `x` that `u` also pays and that pay a common sink with `v`; (as the gather hop)
/// the most other intermediates `y` that also pay `v` and are paid by a common source with `u`.
/// A side not in `want` is taken as a zero the caller already knows.
pub(crate) fn scatter_gather(
    g: &TemporalGraph,
    u: u32,
    v: u32,
    b: Bounds,
    want: [bool; 2],
    s: &mut Scratch,
) -> (Count, Count) {
    if u == v {
        return (Count::EXACT_ZERO, Count::EXACT_ZERO);
    }
    let side = |s: &mut Scratch, a, x, forward, wanted| {
        if wanted {
            one_side(g, a, x, forward, b, s)
        } else {
            Count::EXACT_ZERO
        }
    };
    (side(s, u, v, true, want[0]), side(s, v, u, false, want[1]))
}

/// `forward`: the most intermediates `x != v` with `a → x → w` and `v → w` for one sink `w`.
/// Backward: the same on reversed edges (`a` is the sink, `v` the intermediate `u`).
///
/// The count is made from the smaller side: from the intermediates (their edges onwards) when
/// they are fewer than the sinks, else from the sinks (their edges back). A busy sender paying
/// a receiver with one sink then costs one lookup, not one per account it pays. Hubs are not
/// walked through on the side walked (intermediates' edges onwards, or sinks' edges back).
fn one_side(g: &TemporalGraph, a: u32, v: u32, forward: bool, b: Bounds, s: &mut Scratch) -> Count {
    let onwards = |x: u32| {
        if forward {
            g.out_edges_in(x, b.t0, b.t1)
        } else {
            g.in_edges_in(x, b.t0, b.t1)
        }
    };
    let ve = onwards(v);
    if ve.is_empty() {
        return Count::EXACT_ZERO;
    }
    let ae = onwards(a);
    if ve.len() > b.hub || ae.len() > b.hub {
        return Count::CUT_ZERO;
    }
    let ends = s.next_gen();
    s.buf.clear();
    for &w in ve.nbr {
        if w != a && w != v && s.stamp[w as usize] != ends {
            s.stamp[w as usize] = ends;
            s.buf.push(w);
        }
    }
    // No sink to gather at: nothing to count, so the intermediates need not be read.
    if s.buf.is_empty() {
        return Count::EXACT_ZERO;
    }
    // Each intermediate once, however many edges a has to it.
    for &x in ae.nbr {
        if x != v && x != a && !s.on_path[x as usize] {
            s.on_path[x as usize] = true;
            s.touched.push(x);
        }
    }
    let mut visits = ve.len() + ae.len();
    let best = if s.touched.len() <= s.buf.len() {
        from_intermediates(g, forward, ends, b, s, &mut visits)
    } else {
        from_sinks(g, forward, b, s, &mut visits)
    };
    for &x in &s.touched {
        s.on_path[x as usize] = false;
    }
    s.touched.clear();
    s.buf.clear();
    best
}

/// [`one_side`] from the intermediates (`s.touched`; sinks stamped `ends`).
fn from_intermediates(
    g: &TemporalGraph,
    forward: bool,
    ends: u32,
    b: Bounds,
    s: &mut Scratch,
    visits: &mut usize,
) -> Count {
    let mut best = 0u32;
    let mut exact = true;
    for i in 0..s.touched.len() {
        if *visits >= b.budget {
            exact = false;
            break;
        }
        let x = s.touched[i];
        let xe = if forward {
            g.out_edges_in(x, b.t0, b.t1)
        } else {
            g.in_edges_in(x, b.t0, b.t1)
        };
        if xe.len() > b.hub {
            exact = false;
            continue;
        }
        *visits += xe.len();
        for &w in xe.nbr {
            if w == x || s.stamp[w as usize] != ends || s.who[w as usize] == x {
                continue;
            }
            // Each sink once per intermediate, however many edges x has to it.
            s.who[w as usize] = x;
            let c = &mut s.count[w as usize];
            if *c == 0 {
                s.counted.push(w);
            }
            *c += 1;
            best = best.max(*c);
        }
    }
    for &w in &s.counted {
        s.count[w as usize] = 0;
        s.who[w as usize] = u32::MAX;
    }
    s.counted.clear();
    Count { n: best, exact }
}

/// [`one_side`] from the sinks (`s.buf`; intermediates marked `on_path`).
fn from_sinks(
    g: &TemporalGraph,
    forward: bool,
    b: Bounds,
    s: &mut Scratch,
    visits: &mut usize,
) -> Count {
    let mut best = 0u32;
    let mut exact = true;
    for i in 0..s.buf.len() {
        if *visits >= b.budget {
            exact = false;
            break;
        }
        let w = s.buf[i];
        let we = if forward {
            g.in_edges_in(w, b.t0, b.t1)
        } else {
            g.out_edges_in(w, b.t0, b.t1)
        };
        if we.len() > b.hub {
            exact = false;
            continue;
        }
        *visits += we.len();
        let mut c = 0u32;
        for &x in we.nbr {
            // Each intermediate once per sink, however many edges it has to it.
            if x != w && s.on_path[x as usize] && s.who[x as usize] != w {
                s.who[x as usize] = w;
                s.counted.push(x);
                c += 1;
            }
        }
        best = best.max(c);
    }
    for &x in &s.counted {
        s.who[x as usize] = u32::MAX;
    }
    s.counted.clear();
    Count { n: best, exact }
}
