//! Feature values checked by hand on tiny graphs, the online/offline boundary, incremental
//! updates against a full recompute, and determinism across thread counts.

use super::*;

const D: i64 = 86_400;

/// A store of `(day, from, to, tenge)` rows, in the order given.
fn store(rows: &[(i64, u32, u32, i64)]) -> Transactions {
    let in_seconds: Vec<_> = rows.iter().map(|&(d, f, t, x)| (d * D, f, t, x)).collect();
    Transactions::transfers(&in_seconds)
}

fn run(rows: &[(i64, u32, u32, i64)], mode: Mode, window_days: i64) -> FeatureMatrix {
    let t = store(rows);
    let g = TemporalGraph::build(&t).unwrap();
    compute(&g, &t, &FeatureConfig::new(mode, vec![window_days * D])).unwrap()
}

/// Equal to the precision of the 16-bit matrix (11 significant bits).
#[track_caller]
fn assert_near(got: f32, want: f32) {
    assert!(
        (got - want).abs() <= want.abs() * 1e-3,
        "got {got}, want {want}"
    );
}

fn f(m: &FeatureMatrix, row: usize, name: &str) -> f32 {
    let c = m.col(name).unwrap_or_else(|| panic!("no column {name}"));
    m.get(row, c)
}

#[test]
fn endpoint_counts_by_hand() {
    // Account 0 pays 1, 2, 3 (row 2 repeats 0 → 1), receives from 4; day 30 is out of a
    // 5-day window.
    let rows = [
        (10, 0, 1, 100), // 0
        (11, 0, 2, 200), // 1
        (12, 0, 1, 100), // 2
        (9, 4, 0, 500),  // 3
        (30, 0, 3, 100), // 4
    ];
    let m = run(&rows, Mode::Offline, 5);
    // Row 1 (day 11): window days 6..16 holds rows 0, 1, 2 out and row 3 in.
    assert_eq!(f(&m, 1, "src.out_cnt@w0"), 3.0);
    assert_eq!(f(&m, 1, "src.out_nbrs@w0"), 2.0);
    assert_eq!(
        f(&m, 1, "src.out_new@w0"),
        2.0,
        "rows 0 and 1 are first contacts"
    );
    assert_eq!(f(&m, 1, "src.in_cnt@w0"), 1.0);
    assert_eq!(f(&m, 1, "src.through@w0"), 1.0);
    assert_near(f(&m, 1, "src.out_sum@w0"), (400f64).ln_1p() as f32);
    // In 500, out 400: balance 100 / 900.
    assert_near(f(&m, 1, "src.balance@w0"), 100.0 / 900.0);
    // Two out-edges of exactly 100 in the window; 200 is twice their mean 400 / 3.
    assert_eq!(f(&m, 0, "src.same_amt@w0"), 2.0);
    assert_near(f(&m, 1, "src.amt_ratio@w0"), 1.5);
    assert_eq!(f(&m, 0, "src.pair_fwd@w0"), 2.0);
    assert_eq!(f(&m, 0, "src.pair_rev@w0"), 0.0);
    // Gaps as fractions of the 5-day window: last in-edge (day 9) 2 days before day 11.
    assert_near(f(&m, 1, "src.prev_in_gap@w0"), 0.4);
    assert_near(f(&m, 1, "src.prev_out_gap@w0"), 0.2);
    assert_near(f(&m, 1, "src.next_out_gap@w0"), 0.2);
    assert!(
        f(&m, 4, "src.prev_out_gap@w0").is_nan(),
        "18 days is beyond the window"
    );
    // The receiver side of row 2 (account 1): two in-edges from 0.
    assert_eq!(f(&m, 2, "dst.in_cnt@w0"), 2.0);
    assert_eq!(f(&m, 2, "dst.in_nbrs@w0"), 1.0);
    assert_eq!(f(&m, 2, "dst.in_new@w0"), 1.0);
    // Raw columns.
    assert_eq!(f(&m, 0, "first_contact"), 1.0);
    assert_eq!(f(&m, 2, "first_contact"), 0.0);
    assert_eq!(f(&m, 0, "round"), 2.0, "100 has two trailing zeros");
    assert_near(f(&m, 0, "amount"), (100f64).ln_1p() as f32);
}

#[test]
fn online_sees_only_the_past() {
    let rows = [
        (10, 0, 1, 100),
        (11, 0, 2, 200),
        (12, 0, 1, 100),
        (12, 5, 6, 1),
    ];
    let on = run(&rows, Mode::Online, 5);
    let off = run(&rows, Mode::Offline, 5);
    assert_eq!(f(&on, 0, "src.out_cnt@w0"), 1.0);
    assert_eq!(f(&off, 0, "src.out_cnt@w0"), 3.0);
    assert_eq!(f(&on, 2, "src.out_cnt@w0"), 3.0);
    assert!(
        on.col("src.next_out_gap@w0").is_none(),
        "no future columns online"
    );
    // Appending a later row never changes an online row.
    let mut more = rows.to_vec();
    more.push((13, 0, 9, 1));
    let on2 = run(&more, Mode::Online, 5);
    for c in 0..on.n_cols() {
        for r in 0..rows.len() {
            let (a, b) = (on.get(r, c), on2.get(r, c));
            assert!(
                a == b || (a.is_nan() && b.is_nan()),
                "{} row {r}",
                on.names[c]
            );
        }
    }
}

#[test]
fn cycles_and_scatter_gather_by_hand() {
    let rows = [
        // A 3-cycle 0 → 1 → 2 → 0 and a 4-cycle 0 → 1 → 3 → 4 → 0, all new pairs.
        (1, 0, 1, 10), // 0
        (2, 1, 2, 10), // 1
        (3, 2, 0, 10), // 2
        (2, 1, 3, 10), // 3
        (3, 3, 4, 10), // 4
        (4, 4, 0, 10), // 5
        // Scatter-gather: 10 pays 11, 12, 13; each pays 14.
        (1, 10, 11, 7), // 6
        (1, 10, 12, 7), // 7
        (1, 10, 13, 7), // 8
        (2, 11, 14, 7), // 9
        (2, 12, 14, 7), // 10
        (2, 13, 14, 7), // 11
    ];
    let m = run(&rows, Mode::Offline, 10);
    // Edge 0 → 1 is on both cycles; 1 → 2 only on the 3-cycle.
    assert_eq!(f(&m, 0, "n.cyc3@w0"), 1.0);
    assert_eq!(f(&m, 0, "n.cyc4@w0"), 1.0);
    assert_eq!(f(&m, 1, "n.cyc3@w0"), 1.0);
    assert_eq!(f(&m, 1, "n.cyc4@w0"), 0.0);
    assert_eq!(f(&m, 6, "n.cyc3@w0"), 0.0);
    // 10 → 11 as the scatter hop: 12 and 13 share source 10 and sink 14 with 11.
    assert_eq!(f(&m, 6, "n.sg_scatter@w0"), 2.0);
    assert_eq!(f(&m, 9, "n.sg_gather@w0"), 2.0);
    assert_eq!(f(&m, 9, "n.sg_scatter@w0"), 0.0, "14 pays no one");
    assert_eq!(f(&m, 6, "sg_scatter@w0"), 2.0, "the whole graph too");
    // All three payments into 14 have the same amount.
    assert_eq!(f(&m, 9, "dst.same_amt@w0"), 3.0);
    // Online, the first hop of the cycle cannot see the hops after it; the last one can.
    let on = run(&rows, Mode::Online, 10);
    assert_eq!(f(&on, 0, "n.cyc3@w0"), 0.0);
    assert_eq!(f(&on, 2, "n.cyc3@w0"), 1.0);
    // A narrow window cuts the 4-cycle (days 1 to 4) from edge 0 → 1 (day 1).
    let narrow = run(&rows, Mode::Offline, 2);
    assert_eq!(f(&narrow, 0, "n.cyc3@w0"), 1.0);
    assert_eq!(f(&narrow, 0, "n.cyc4@w0"), 0.0);
}

#[test]
fn a_hub_in_the_whole_graph_is_not_a_zero_among_novel_edges() {
    // 1 pays 2 and 3, both pay 4: 3 shares the scatter with 2. But 2 also pays 5 again and
    // again, so in the whole graph it has more edges than the hub limit and is not walked
    // through (the whole-graph count is a cut zero); among novel edges it pays twice. A whole
    // graph zero stands in for the novel count only when it is exact.
    let rows = [
        (1, 1, 2, 10), // 0
        (1, 1, 3, 10), // 1
        (2, 3, 4, 10), // 2
        (2, 2, 4, 10), // 3
        (2, 2, 5, 10),
        (2, 2, 5, 11),
        (3, 2, 5, 12),
        (3, 2, 5, 13),
    ];
    let t = store(&rows);
    let g = TemporalGraph::build(&t).unwrap();
    let mut cfg = FeatureConfig::new(Mode::Offline, vec![10 * D]);
    cfg.hub_degree = 3;
    let m = compute(&g, &t, &cfg).unwrap();
    assert_eq!(
        f(&m, 0, "sg_scatter@w0"),
        0.0,
        "2 is a hub in the whole graph"
    );
    assert_eq!(
        f(&m, 0, "n.sg_scatter@w0"),
        1.0,
        "but not among novel edges"
    );
    // Where the whole graph's zero is exact, the novel one is zero too.
    assert_eq!(f(&m, 2, "sg_scatter@w0"), 0.0);
    assert_eq!(f(&m, 2, "n.sg_scatter@w0"), 0.0);
}

#[test]
fn a_repeat_payment_closes_a_ring_of_novel_edges_online() {
    // 2 first paid 0 long ago; then 0 → 1 → 2 are new payments and 2 pays 0 again. The repeat
    // payment is not a novel edge, so no strong component of novel edges holds the ring, yet
    // the novel path 0 → 1 → 2 comes back along it: online, it closes a cycle of 3.
    let rows = [
        (-10, 2, 0, 10), // 0
        (1, 0, 1, 10),   // 1
        (2, 1, 2, 10),   // 2
        (3, 2, 0, 10),   // 3
    ];
    let on = run(&rows, Mode::Online, 2);
    assert_eq!(f(&on, 3, "n.cyc3@w0"), 1.0);
    assert_eq!(
        f(&on, 2, "n.cyc3@w0"),
        0.0,
        "the ring is not closed yet on day 2"
    );
}

#[test]
fn novel_edges_exclude_repeat_trade() {
    // 0 → 1 twice (repeat trade), 0 → 2 once: the second 0 → 1 is not novel, and offline the
    // first is not either (repeated within the window).
    let rows = [(1, 0, 1, 5), (2, 0, 2, 5), (3, 0, 1, 5)];
    let off = run(&rows, Mode::Offline, 10);
    assert_eq!(f(&off, 1, "n.src.out_cnt@w0"), 1.0, "only 0 → 2 is novel");
    let on = run(&rows, Mode::Online, 10);
    assert_eq!(
        f(&on, 1, "n.src.out_cnt@w0"),
        2.0,
        "online the first 0 → 1 is new"
    );
}

fn synthetic(n: u32) -> Transactions {
    // A deterministic pseudo-random graph with repeats, rings and hubs.
    let mut rows = Vec::new();
    let mut x = 12345u64;
    for i in 0..n as i64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let a = ((x >> 33) % 40) as u32;
        let b = ((x >> 17) % 40) as u32;
        rows.push((
            i / 7,
            a,
            if b == a { (a + 1) % 40 } else { b },
            (x % 1000) as i64 + 1,
        ));
    }
    store(&rows)
}

#[test]
fn same_output_whatever_the_threads() {
    let t = synthetic(600);
    let g = TemporalGraph::build(&t).unwrap();
    for mode in [Mode::Offline, Mode::Online] {
        let mut cfg = FeatureConfig::new(mode, vec![3 * D, 20 * D]);
        cfg.threads = 1;
        let one = compute(&g, &t, &cfg).unwrap();
        cfg.threads = 3;
        let three = compute(&g, &t, &cfg).unwrap();
        assert_eq!(format!("{:?}", one.columns), format!("{:?}", three.columns));
    }
}

#[test]
fn update_equals_full_recompute() {
    let all = synthetic(700);
    for mode in [Mode::Offline, Mode::Online] {
        let cfg = FeatureConfig::new(mode, vec![2 * D, 9 * D]);
        // The first 600 rows, then a day's worth appended.
        let mut head = all.clone();
        let keep: Vec<bool> = (0..all.len()).map(|r| r < 600).collect();
        head.retain(&keep);
        let g = TemporalGraph::build(&head).unwrap();
        let mut m = compute(&g, &head, &cfg).unwrap();
        let g_all = TemporalGraph::build(&all).unwrap();
        let done = update(&mut m, &g_all, &all, &cfg).unwrap();
        let full = compute(&g_all, &all, &cfg).unwrap();
        assert_eq!(
            format!("{:?}", m.columns),
            format!("{:?}", full.columns),
            "{mode}"
        );
        assert!(
            done < all.len(),
            "{mode}: recomputed {done} of {} rows",
            all.len()
        );
        if mode == Mode::Online {
            // Online: the new rows and those at the same second as the first new one.
            let t_new = all.ts[600].0;
            let expect = all.ts.iter().filter(|t| t.0 >= t_new).count();
            assert_eq!(done, expect);
        }
    }
}

#[test]
fn config_errors() {
    let t = store(&[(1, 0, 1, 5)]);
    let g = TemporalGraph::build(&t).unwrap();
    assert!(compute(&g, &t, &FeatureConfig::new(Mode::Offline, vec![])).is_err());
    assert!(compute(&g, &t, &FeatureConfig::new(Mode::Offline, vec![-1])).is_err());
    let other = store(&[(1, 0, 1, 5), (2, 1, 0, 5)]);
    assert!(matches!(
        compute(&g, &other, &FeatureConfig::new(Mode::Offline, vec![D])),
        Err(FeatureError::Graph(_))
    ));
}

#[test]
fn model_inputs_leave_out_volume_and_the_future() {
    let cfg = FeatureConfig::new(Mode::Offline, vec![D, 8 * D]);
    let (all, inputs) = (cfg.names(), cfg.model_inputs());
    // In column order, a subset of the matrix.
    let mut at = all.iter();
    assert!(inputs.iter().all(|n| at.any(|a| a == n)));
    for name in &all {
        let stat = name
            .split('.')
            .next_back()
            .unwrap()
            .split('@')
            .next()
            .unwrap();
        let context = matches!(
            stat,
            "out_cnt" | "out_sum" | "in_cnt" | "in_sum" | "next_in_gap" | "next_out_gap"
        );
        assert_eq!(inputs.contains(name), !context, "{name}");
    }
    // Fan-out, cycles, history and the raw columns stay.
    for kept in [
        "amount",
        "src.idle",
        "src.out_nbrs@w1",
        "n.cyc3@w0",
        "sg_gather@w1",
    ] {
        assert!(inputs.iter().any(|n| n == kept), "{kept}");
    }
}

#[test]
fn account_features_by_hand() {
    let t = store(&[(1, 0, 1, 100), (2, 1, 0, 50), (3, 0, 2, 100)]);
    let g = TemporalGraph::build(&t).unwrap();
    let a = account_features(&g, &t, 2);
    let v = |row: usize, name: &str| a.get(row, a.col(name).unwrap());
    assert_eq!(v(0, "out_cnt"), 2.0);
    assert_eq!(v(0, "out_nbrs"), 2.0);
    assert_eq!(v(0, "in_nbrs"), 1.0);
    assert_eq!(v(0, "both_ways_nbrs"), 1.0);
    assert_eq!(v(0, "active_days"), 2.0);
    assert_near(v(0, "balance"), (50.0 - 200.0) / 250.0);
}

#[test]
fn history_by_hand() {
    // Account 0 is busy on days 1–3, quiet, then pays again on day 50; account 5 is new.
    let rows = [
        (1, 1, 0, 100),                             // 0
        (2, 0, 2, 100),                             // 1
        (3, 0, 2, 100),                             // 2
        (50, 0, 5, 100),                            // 3
        (50, 4, 0, 100),                            // 4: same second as row 3, so not "before" it
        (40, 0, finmon_model::tx::NO_ACCOUNT, 100), // 5: cash out, on no edge
    ];
    let m = run(&rows, Mode::Offline, 10);
    // The cash row has the history of its one account: the edges of days 1–3.
    assert_near(f(&m, 5, "src.prior"), (3.0f32).ln_1p());
    assert_near(f(&m, 5, "src.idle"), 3.7);
    assert!(
        f(&m, 5, "dst.prior").is_nan(),
        "the cash side has no account"
    );
    // Row 4's receiver is account 0 too, from the receiving side of the sweep.
    assert_near(f(&m, 4, "dst.prior"), (3.0f32).ln_1p());
    // Row 3: three edges of account 0 before day 50, the last on day 3: 47 days of a 10-day
    // (widest) window.
    assert_near(f(&m, 3, "src.prior"), (3.0f32).ln_1p());
    assert_near(f(&m, 3, "src.idle"), 4.7);
    assert_eq!(f(&m, 3, "dst.prior"), 0.0, "account 5 has no past");
    assert!(f(&m, 3, "dst.idle").is_nan(), "no last edge");
    assert!(f(&m, 0, "src.idle").is_nan());
    // The same online: history reads only the past.
    let on = run(&rows, Mode::Online, 10);
    for c in ["src.prior", "src.idle", "dst.prior"] {
        assert_eq!(f(&on, 3, c), f(&m, 3, c), "{c}");
    }
}
