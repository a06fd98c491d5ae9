//! What the miner looks for: windows, sizes and work caps, with the documented defaults. Every
//! section and key is optional in a config file; what is missing keeps its default.
//!
//! Windows are in seconds (timestamps are seconds since the epoch): `2_592_000` is 30 days.

use crate::GraphError;
use serde::Deserialize;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The default window of every pattern: 30 days.
pub const DEFAULT_WINDOW: i64 = 30 * DAY;

fn window() -> i64 {
    DEFAULT_WINDOW
}

/// The miner's settings. `MinerConfig::default()` is the documented configuration; a TOML or
/// JSON file deserializes over it key by key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinerConfig {
    /// Worker threads for the per-vertex passes. Default 2.
    pub threads: usize,
    pub fan_in: FanConfig,
    pub fan_out: FanConfig,
    pub cycle: CycleConfig,
    pub scatter_gather: ScatterGatherConfig,
    pub gather_scatter: GatherScatterConfig,
    pub bipartite: BipartiteConfig,
    pub stack: StackConfig,
}

impl Default for MinerConfig {
    fn default() -> Self {
        MinerConfig {
            threads: 2,
            fan_in: FanConfig::default(),
            fan_out: FanConfig::default(),
            cycle: CycleConfig::default(),
            scatter_gather: ScatterGatherConfig::default(),
            gather_scatter: GatherScatterConfig::default(),
            bipartite: BipartiteConfig::default(),
            stack: StackConfig::default(),
        }
    }
}

impl MinerConfig {
    /// A preset for simulated data in coarse (daily) steps whose shapes unfold slowly: fans
    /// counted over a year (4 new counterparties), and both kinds of cycle within 30 days —
    /// time-respecting, and order-free through one-off hops (see
    /// [`CycleConfig::one_off_hops`]). IBM AMLSim plants its fan-ins and fan-outs one
    /// counterparty every one to three months over up to two years, and its cycles with hops
    /// in random order within 10–20 steps; the defaults (30-day fans, time-respecting cycles)
    /// do not see those.
    pub fn long_horizon() -> MinerConfig {
        let mut c = MinerConfig::default();
        for f in [&mut c.fan_in, &mut c.fan_out] {
            f.window_secs = 365 * DAY;
            f.min_counterparties = 4;
        }
        c.cycle.hop_order = HopOrder::Both;
        c.cycle.one_off_hops = true;
        c
    }
}

/// The named settings: the documented defaults and the presets, in that order. What a user
/// names on a command line and what `experiment` chooses among.
pub const PRESETS: [&str; 2] = ["default", "long_horizon"];

impl MinerConfig {
    /// The settings a [`PRESETS`] name stands for.
    pub fn preset(name: &str) -> Option<MinerConfig> {
        match name {
            "default" => Some(MinerConfig::default()),
            "long_horizon" => Some(MinerConfig::long_horizon()),
            _ => None,
        }
    }
}

/// Fan-in (many senders pay one account) or fan-out (one account pays many receivers).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FanConfig {
    pub enabled: bool,
    /// Default 30 days.
    pub window_secs: i64,
    /// Distinct counterparties within one window. Default 5.
    pub min_counterparties: usize,
    /// Count only *new* counterparties: a counterparty's first transaction with the account in
    /// the data. A payer who pays every month (salary, rent) counts once, in the month it
    /// started; a burst of strangers counts in full. Default `true`.
    pub new_counterparties_only: bool,
}

impl Default for FanConfig {
    fn default() -> Self {
        FanConfig {
            enabled: true,
            window_secs: window(),
            min_counterparties: 5,
            new_counterparties_only: true,
        }
    }
}

/// In which time order the hops of a cycle must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HopOrder {
    /// Each hop no earlier than the previous one: money can have travelled round the cycle.
    NonDecreasing,
    /// Any order, all hops within the window: also catches a ring whose members pay on from
    /// their own funds before they are paid (as AMLSim's simulator plants cycles). IBM GFP's
    /// "length-constrained simple cycles".
    Any,
    /// Both searches: time-respecting cycles, and order-free ones that are not already reported
    /// as time-respecting within one window.
    Both,
}

/// Cycles: money that comes back to where it started.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CycleConfig {
    pub enabled: bool,
    /// All hops lie within this long after the first. Default 30 days.
    pub window_secs: i64,
    /// Hops (= distinct accounts) in a cycle. Defaults 2 and 10.
    pub min_len: usize,
    pub max_len: usize,
    /// Default [`HopOrder::NonDecreasing`].
    pub hop_order: HopOrder,
    /// Use only hops that are the first payment from their sender to their receiver in the
    /// data: a ring of accounts that had never paid each other, set up for the scheme, rather
    /// than partners who trade back and forth. Default `false`.
    pub new_counterparties_only: bool,
    /// Use only hops that are one-off within the window: the sender paid that receiver no other
    /// time within `window_secs` before or after. A ring is set up for the scheme; partners
    /// in a regular relationship (weekly supplier payments, a monthly rent) pay each other
    /// again and again, and in a dense graph those regular flows close rings by chance.
    /// Default `false`.
    pub one_off_hops: bool,
    /// Time-respecting cycles reported per start account (the sender of the first hop) and
    /// window of start times. Default 10.
    pub max_per_vertex: usize,
    /// Order-free cycles reported per earliest hop (the first ring the search closes through
    /// it). Default 1: in a dense window the rings through one payment are many, and one of
    /// them is enough to put the payment in front of an analyst.
    pub max_per_first_hop: usize,
    /// Edge visits (reverse bound and depth-first search together) for the whole cycle search,
    /// shared evenly among the (start account, window of start times) pairs that can close a
    /// cycle: what keeps the search to seconds on a dense graph. Default 50,000,000 (a few
    /// seconds on two cores).
    pub max_work_total: u64,
    /// At most this many edge visits per (start account, window of start times), however small
    /// the graph; and never fewer than 64 (or this cap, if lower). Default 20,000.
    pub max_work_per_window: usize,
}

impl Default for CycleConfig {
    fn default() -> Self {
        CycleConfig {
            enabled: true,
            window_secs: window(),
            min_len: 2,
            max_len: 10,
            hop_order: HopOrder::NonDecreasing,
            new_counterparties_only: false,
            one_off_hops: false,
            max_per_vertex: 10,
            max_per_first_hop: 1,
            max_work_total: 50_000_000,
            max_work_per_window: 20_000,
        }
    }
}

/// Scatter-gather: a source pays several intermediates, which each pay one common sink later.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScatterGatherConfig {
    pub enabled: bool,
    /// From the first payment to an intermediate to the last payment into the sink. Default 30
    /// days.
    pub window_secs: i64,
    /// Distinct intermediates that pass money from the source to the sink. Default 3.
    pub min_intermediates: usize,
    /// An account that makes more payments than this within the window after it was paid is a
    /// hub, not a pass-through, and is not taken as an intermediate. Default 20.
    pub max_intermediate_out: usize,
    /// Two-hop paths examined per source before the rest of its payments are skipped. Default
    /// 100,000.
    pub max_paths_per_vertex: usize,
}

impl Default for ScatterGatherConfig {
    fn default() -> Self {
        ScatterGatherConfig {
            enabled: true,
            window_secs: window(),
            min_intermediates: 3,
            max_intermediate_out: 20,
            max_paths_per_vertex: 100_000,
        }
    }
}

/// Gather-scatter: several sources pay one hub, which then pays several destinations.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatherScatterConfig {
    pub enabled: bool,
    /// From the first payment into the hub to the last payment out. Default 30 days.
    pub window_secs: i64,
    /// Distinct senders before the split. Default 2: a two-sided shape is specific enough with
    /// two on each side ("several in, several out"), unlike a one-sided fan.
    pub min_sources: usize,
    /// Distinct receivers at or after the split. Default 2.
    pub min_destinations: usize,
    /// Count only new counterparties on both sides, as in [`FanConfig`]. Default `true`.
    pub new_counterparties_only: bool,
}

impl Default for GatherScatterConfig {
    fn default() -> Self {
        GatherScatterConfig {
            enabled: true,
            window_secs: window(),
            min_sources: 2,
            min_destinations: 2,
            new_counterparties_only: true,
        }
    }
}

/// Bipartite: a dense block of senders paying receivers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BipartiteConfig {
    pub enabled: bool,
    /// The block's payments lie within one window. Windows are laid every half window from the
    /// first transaction, so a block that spans up to half a window is always inside one.
    /// Default 30 days.
    pub window_secs: i64,
    /// Senders and receivers in the block. Defaults 3 and 3.
    pub min_senders: usize,
    pub min_receivers: usize,
    /// Each sender pays at least this many of the block's receivers. Default 2.
    pub min_receivers_per_sender: usize,
    /// Each receiver is paid by at least this many of the block's senders. Default 2.
    pub min_senders_per_receiver: usize,
    /// Accounts with more payments than this in the window (either way) are hubs, not block
    /// members. Default 64.
    pub max_member_degree: usize,
}

impl Default for BipartiteConfig {
    fn default() -> Self {
        BipartiteConfig {
            enabled: true,
            window_secs: window(),
            min_senders: 3,
            min_receivers: 3,
            min_receivers_per_sender: 2,
            min_senders_per_receiver: 2,
            max_member_degree: 64,
        }
    }
}

/// Stack: bipartite blocks chained, the receivers of one layer the senders of the next. The
/// layers are the blocks found with the [`BipartiteConfig`] settings (whether or not bipartite
/// instances are reported).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StackConfig {
    pub enabled: bool,
    /// From the first payment of the first layer to the last of the last layer. Default 30 days.
    pub window_secs: i64,
    /// Accounts that receive in one layer and send in the next. Default 2.
    pub min_shared: usize,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            enabled: true,
            window_secs: window(),
            min_shared: 2,
        }
    }
}

fn bad(key: &str, message: impl Into<String>) -> GraphError {
    GraphError::Config {
        key: key.to_string(),
        message: message.into(),
    }
}

fn positive_window(key: &str, secs: i64) -> Result<(), GraphError> {
    if secs <= 0 {
        return Err(bad(key, format!("must be positive seconds, got {secs}")));
    }
    Ok(())
}

fn at_least(key: &str, v: usize, min: usize) -> Result<(), GraphError> {
    if v < min {
        return Err(bad(key, format!("must be at least {min}, got {v}")));
    }
    Ok(())
}

impl MinerConfig {
    /// Checks the ranges the miner relies on.
    pub fn validate(&self) -> Result<(), GraphError> {
        at_least("threads", self.threads, 1)?;
        for (name, f) in [("fan_in", &self.fan_in), ("fan_out", &self.fan_out)] {
            positive_window(&format!("{name}.window_secs"), f.window_secs)?;
            at_least(
                &format!("{name}.min_counterparties"),
                f.min_counterparties,
                1,
            )?;
        }
        let c = &self.cycle;
        positive_window("cycle.window_secs", c.window_secs)?;
        at_least("cycle.min_len", c.min_len, 2)?;
        at_least("cycle.max_len", c.max_len, c.min_len)?;
        if c.max_len > 32 {
            return Err(bad("cycle.max_len", "at most 32"));
        }
        at_least("cycle.max_per_vertex", c.max_per_vertex, 1)?;
        at_least("cycle.max_per_first_hop", c.max_per_first_hop, 1)?;
        at_least("cycle.max_work_per_window", c.max_work_per_window, 1)?;
        let s = &self.scatter_gather;
        positive_window("scatter_gather.window_secs", s.window_secs)?;
        at_least("scatter_gather.min_intermediates", s.min_intermediates, 1)?;
        at_least(
            "scatter_gather.max_intermediate_out",
            s.max_intermediate_out,
            1,
        )?;
        let g = &self.gather_scatter;
        positive_window("gather_scatter.window_secs", g.window_secs)?;
        at_least("gather_scatter.min_sources", g.min_sources, 1)?;
        at_least("gather_scatter.min_destinations", g.min_destinations, 1)?;
        let b = &self.bipartite;
        positive_window("bipartite.window_secs", b.window_secs)?;
        at_least("bipartite.min_senders", b.min_senders, 1)?;
        at_least("bipartite.min_receivers", b.min_receivers, 1)?;
        at_least(
            "bipartite.min_receivers_per_sender",
            b.min_receivers_per_sender,
            1,
        )?;
        at_least(
            "bipartite.min_senders_per_receiver",
            b.min_senders_per_receiver,
            1,
        )?;
        at_least("bipartite.max_member_degree", b.max_member_degree, 1)?;
        positive_window("stack.window_secs", self.stack.window_secs)?;
        at_least("stack.min_shared", self.stack.min_shared, 1)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let c = MinerConfig::default();
        c.validate().unwrap();
        assert_eq!(c.fan_in.window_secs, 2_592_000);
        assert_eq!(c.fan_in.min_counterparties, 5);
        assert_eq!((c.cycle.min_len, c.cycle.max_len), (2, 10));
        assert_eq!(c.cycle.hop_order, HopOrder::NonDecreasing);
    }

    #[test]
    fn every_preset_name_resolves_and_is_valid() {
        for name in PRESETS {
            MinerConfig::preset(name).unwrap().validate().unwrap();
        }
        assert_eq!(MinerConfig::preset("default"), Some(MinerConfig::default()));
        assert!(MinerConfig::preset("longhorizon").is_none());
    }

    #[test]
    fn partial_file_keeps_defaults() {
        let c: MinerConfig = toml::from_str(
            "threads = 1\n[cycle]\nhop_order = \"any\"\nmax_len = 6\n[fan_in]\nwindow_secs = 86400\n",
        )
        .unwrap();
        assert_eq!(c.threads, 1);
        assert_eq!(c.cycle.hop_order, HopOrder::Any);
        assert_eq!((c.cycle.min_len, c.cycle.max_len), (2, 6));
        assert_eq!(c.fan_in.window_secs, DAY);
        assert_eq!(c.fan_out, FanConfig::default());
        assert!(toml::from_str::<MinerConfig>("[cycle]\nmax_lenght = 3\n").is_err());
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let mut c = MinerConfig::default();
        c.cycle.max_len = 1;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("cycle.max_len"), "{e}");
        let mut c = MinerConfig::default();
        c.bipartite.window_secs = 0;
        assert!(c.validate().is_err());
    }
}
