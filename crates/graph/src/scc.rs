//! Strongly connected components: every cycle of a graph lies inside one, so a search for
//! cycles need not leave the component it starts in, and an edge between two components is on
//! no cycle at all.

use crate::graph::TemporalGraph;

/// The component of each vertex, by Tarjan's algorithm (iterative, so a long path cannot
/// overflow the stack), with buffers kept between calls for a caller that splits a graph into
/// many slices.
#[derive(Debug, Clone, Default)]
pub struct Components {
    comp: Vec<u32>,
    index: Vec<u32>,
    low: Vec<u32>,
    stack: Vec<u32>,
    calls: Vec<(u32, u32)>,
}

/// A vertex on no cycle: a component of one vertex without a self-loop.
pub const ACYCLIC: u32 = u32::MAX;
const UNSEEN: u32 = u32::MAX;
/// `comp` of a vertex on Tarjan's stack, before its component is known.
const OPEN: u32 = u32::MAX - 1;

impl Components {
    /// Finds the components of `g`. O(vertices + edges).
    pub fn compute(&mut self, g: &TemporalGraph) {
        let n = g.n_vertices();
        for v in [&mut self.comp, &mut self.index, &mut self.low] {
            v.clear();
            v.resize(n, UNSEEN);
        }
        self.comp.fill(ACYCLIC);
        let mut counter = 0u32;
        let mut next_comp = 0u32;
        for s in 0..n as u32 {
            // A vertex without edges both ways is on no cycle: not worth a search.
            if self.index[s as usize] != UNSEEN
                || g.out_edges(s).is_empty()
                || g.in_edges(s).is_empty()
            {
                continue;
            }
            self.open(s, &mut counter);
            while let Some(&(v, pos)) = self.calls.last() {
                let out = g.out_edges(v);
                if (pos as usize) < out.len() {
                    if let Some(top) = self.calls.last_mut() {
                        top.1 += 1;
                    }
                    let w = out.nbr[pos as usize];
                    if self.index[w as usize] == UNSEEN {
                        self.open(w, &mut counter);
                    } else if self.comp[w as usize] == OPEN {
                        let l = &mut self.low[v as usize];
                        *l = (*l).min(self.index[w as usize]);
                    }
                    continue;
                }
                self.calls.pop();
                if let Some(&(p, _)) = self.calls.last() {
                    let lv = self.low[v as usize];
                    let l = &mut self.low[p as usize];
                    *l = (*l).min(lv);
                }
                if self.low[v as usize] == self.index[v as usize] {
                    let at = self
                        .stack
                        .iter()
                        .rposition(|&x| x == v)
                        .unwrap_or(self.stack.len());
                    let single = self.stack.len() - at == 1;
                    let cyclic = !single || out.nbr.contains(&v);
                    let id = if cyclic {
                        next_comp += 1;
                        next_comp - 1
                    } else {
                        ACYCLIC
                    };
                    for &x in &self.stack[at..] {
                        self.comp[x as usize] = id;
                    }
                    self.stack.truncate(at);
                }
            }
        }
    }

    fn open(&mut self, v: u32, counter: &mut u32) {
        self.index[v as usize] = *counter;
        self.low[v as usize] = *counter;
        *counter += 1;
        self.comp[v as usize] = OPEN;
        self.stack.push(v);
        self.calls.push((v, 0));
    }

    /// The component of `v`, or [`ACYCLIC`] when `v` is on no cycle (or not in the graph).
    pub fn of(&self, v: u32) -> u32 {
        self.comp.get(v as usize).copied().unwrap_or(ACYCLIC)
    }

    /// Whether an edge `u → v` can be on a cycle: both ends in the same component.
    pub fn on_cycle(&self, u: u32, v: u32) -> bool {
        let c = self.of(u);
        c != ACYCLIC && c == self.of(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use finmon_model::Transactions;

    fn graph(edges: &[(u32, u32)]) -> TemporalGraph {
        let rows: Vec<(i64, u32, u32, i64)> = edges
            .iter()
            .enumerate()
            .map(|(i, &(f, t))| (i as i64, f, t, 100))
            .collect();
        TemporalGraph::build(&Transactions::transfers(&rows)).expect("graph")
    }

    #[test]
    fn cycles_share_a_component_and_bridges_do_not() {
        // 0 → 1 → 2 → 0 is a ring; 2 → 3 → 4 → 3 hangs off it with a ring of its own; 5 → 6
        // is on no cycle; 7 pays itself.
        let g = graph(&[
            (0, 1),
            (1, 2),
            (2, 0),
            (2, 3),
            (3, 4),
            (4, 3),
            (5, 6),
            (7, 7),
        ]);
        let mut c = Components::default();
        c.compute(&g);
        assert!(c.on_cycle(0, 1) && c.on_cycle(1, 2) && c.on_cycle(2, 0));
        assert!(c.on_cycle(3, 4) && c.on_cycle(4, 3));
        assert!(
            !c.on_cycle(2, 3),
            "the bridge between two rings is on no cycle"
        );
        assert_ne!(c.of(0), c.of(3));
        assert_eq!(c.of(5), ACYCLIC);
        assert_eq!(c.of(6), ACYCLIC);
        assert!(c.on_cycle(7, 7));
        assert_eq!(c.of(99), ACYCLIC);
    }

    #[test]
    fn a_long_path_closed_at_the_end_is_one_component() {
        let n = 100_000u32;
        let mut edges: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        edges.push((n - 1, 0));
        let g = graph(&edges);
        let mut c = Components::default();
        c.compute(&g);
        assert!((0..n).all(|v| c.of(v) == c.of(0) && c.of(v) != ACYCLIC));
        // Reused for a graph without the closing edge: nothing is on a cycle.
        edges.pop();
        c.compute(&graph(&edges));
        assert!((0..n).all(|v| c.of(v) == ACYCLIC));
    }
}
