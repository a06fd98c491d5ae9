//! What the miner reports: one [`PatternInstance`] per shape found, with the reason an analyst
//! reads.

use finmon_model::{Kzt, Timestamp, Typology};

/// The laundering shapes of the IBM AMLworld paper (Altman et al., NeurIPS 2023) and AMLSim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pattern {
    FanIn,
    FanOut,
    Cycle,
    ScatterGather,
    GatherScatter,
    Bipartite,
    Stack,
}

impl Pattern {
    pub const ALL: [Pattern; 7] = [
        Pattern::FanIn,
        Pattern::FanOut,
        Pattern::Cycle,
        Pattern::ScatterGather,
        Pattern::GatherScatter,
        Pattern::Bipartite,
        Pattern::Stack,
    ];

    /// The typology token of the dataset format (`fan_in`, `scatter_gather`, …).
    pub fn typology(self) -> Typology {
        match self {
            Pattern::FanIn => Typology::FanIn,
            Pattern::FanOut => Typology::FanOut,
            Pattern::Cycle => Typology::Cycle,
            Pattern::ScatterGather => Typology::ScatterGather,
            Pattern::GatherScatter => Typology::GatherScatter,
            Pattern::Bipartite => Typology::Bipartite,
            Pattern::Stack => Typology::Stack,
        }
    }

    /// The pattern of a typology, `None` for a typology that is not a graph shape.
    pub fn from_typology(t: Typology) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|p| p.typology() == t)
    }

    pub fn as_str(self) -> &'static str {
        self.typology().as_str()
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One shape found in the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternInstance {
    pub kind: Pattern,
    /// The accounts involved, the central ones first: the hub of a fan or gather-scatter, then
    /// its counterparties in the order they first appear; a cycle's accounts in hop order from
    /// the first hop's sender; a scatter-gather's source, sink, then intermediates; a bipartite
    /// block's senders then receivers; a stack's layers in order.
    pub accounts: Vec<u32>,
    /// Transaction rows: in hop order for a cycle, in (time, row) order otherwise.
    pub txs: Vec<u32>,
    pub first: Timestamp,
    pub last: Timestamp,
    /// The sum of the instance's transactions in tenge (money that passes several hops counts
    /// at each hop; the reason gives the amounts per stage).
    pub total: Kzt,
    pub reason: String,
}
