//! Novel edges: the first payment from a sender to a receiver, not repeated soon after (offline).
//! Laundering rings are set up between accounts that had not paid each other and pay once;
//! salaries, rent and suppliers repeat. The shapes of the novel subgraph are the features that
//! tell a ring from a busy but ordinary neighbourhood.

use crate::sink::par_chunks;
use crate::vertex::first_contacts;
use crate::Mode;
use finmon_graph::TemporalGraph;
use std::sync::atomic::{AtomicBool, Ordering};

/// Per transaction row: whether its edge is novel. Online, a first contact (no earlier edge
/// between the two, in that direction); offline, also no later one within `horizon` seconds.
/// Cash rows are not novel.
pub(crate) fn novel(
    g: &TemporalGraph,
    rows: usize,
    mode: Mode,
    horizon: i64,
    threads: usize,
) -> Vec<bool> {
    let out: Vec<AtomicBool> = (0..rows).map(|_| AtomicBool::new(false)).collect();
    let n = g.n_vertices();
    const CHUNK: usize = 1024;
    let init = || {
        (
            vec![(u32::MAX, 0i64); n],
            Vec::new(),
            vec![(u32::MAX, 0i64); n],
        )
    };
    par_chunks(
        threads,
        n.div_ceil(CHUNK),
        &init,
        &|(seen, flags, next), c| {
            for x in c * CHUNK..((c + 1) * CHUNK).min(n) {
                let x = x as u32;
                let e = g.out_edges(x);
                first_contacts(x, e, seen, flags);
                // Walking backwards, next[nbr] is the time of the next edge to nbr after this one.
                for i in (0..e.len()).rev() {
                    let (y, t) = (e.nbr[i] as usize, e.ts[i]);
                    let later = match next[y] {
                        (s, nt) if s == x && nt > t => Some(nt),
                        _ => None,
                    };
                    if next[y].0 != x || next[y].1 > t {
                        next[y] = (x, t);
                    }
                    let repeated =
                        mode == Mode::Offline && later.is_some_and(|nt| nt - t <= horizon);
                    if flags[i] && !repeated && e.nbr[i] != x {
                        out[e.tx[i] as usize].store(true, Ordering::Relaxed);
                    }
                }
                for &y in e.nbr {
                    next[y as usize].0 = u32::MAX;
                }
            }
        },
    );
    out.into_iter().map(AtomicBool::into_inner).collect()
}
