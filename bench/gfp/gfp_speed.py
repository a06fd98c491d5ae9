#!/usr/bin/env python3
"""GFP feature throughput on an AMLworld-shaped *_Trans.csv (e.g. gen-amlworld's 5M rows).

Loads the transactions (pandas), maps (bank, account) pairs to dense vertex ids, and times
snapml's GraphFeaturePreprocessor.fit_transform over all edges: once per feature family alone
(the same stages finmon times) and once with every family and the vertex statistics on. Only GFP's own call is timed;
loading and id mapping are reported apart. Windows are snapml's defaults (tuned for AMLworld).

Usage: see bench/gfp/README.md.
"""

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd

BINS = list(range(2, 31))

# snapml refuses vertex statistics without any pattern family, so they are timed only within
# "all".
FAMILIES = {
    "fan": {"fan": True},
    "degree": {"degree": True},
    "scatter-gather": {"scatter-gather": True},
    "temp-cycle": {"temp-cycle": True},
    "lc-cycle": {"lc-cycle": True},
}


def load(path):
    t = time.perf_counter()
    cols = [0, 1, 2, 3, 4, 7]
    df = pd.read_csv(path, usecols=cols, dtype=str)
    df.columns = ["ts", "from_bank", "from_acct", "to_bank", "to_acct", "amount"]
    ts = pd.to_datetime(df["ts"], format="%Y/%m/%d %H:%M").astype("int64") // 10**9
    src_key = df["from_bank"] + "/" + df["from_acct"]
    dst_key = df["to_bank"] + "/" + df["to_acct"]
    codes, _ = pd.factorize(pd.concat([src_key, dst_key], ignore_index=True))
    n = len(df)
    x = np.empty((n, 5), dtype=np.float64)
    x[:, 0] = np.arange(n)
    x[:, 1] = codes[:n]
    x[:, 2] = codes[n:]
    x[:, 3] = ts.to_numpy(np.float64)
    x[:, 4] = df["amount"].astype(np.float64).to_numpy()
    # GFP expects edges in time order.
    x = x[np.argsort(x[:, 3], kind="stable")]
    return x, int(codes.max()) + 1, time.perf_counter() - t


def params(on, threads):
    from snapml import GraphFeaturePreprocessor

    # Start from snapml's own defaults (every key must be given), then switch families.
    p = GraphFeaturePreprocessor().get_params()
    p.update({
        "num_threads": threads,
        "vertex_stats": False,
        "vertex_stats_cols": [4],
        "fan": False,
        "fan_bins": BINS,
        "degree": False,
        "degree_bins": BINS,
        "scatter-gather": False,
        "scatter-gather_bins": BINS,
        "temp-cycle": False,
        "temp-cycle_bins": BINS,
        "lc-cycle": False,
        "lc-cycle_len": 10,
        "lc-cycle_bins": list(range(2, 11)),
    })
    p.update(on)
    return p


def run(x, on, threads):
    from snapml import GraphFeaturePreprocessor

    g = GraphFeaturePreprocessor()
    g.set_params(params(on, threads))
    t = time.perf_counter()
    out = g.fit_transform(x)
    secs = time.perf_counter() - t
    return secs, out.shape[1] - x.shape[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trans_csv")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="families to time (default: each, then all)")
    ap.add_argument("--json")
    a = ap.parse_args()
    x, nv, load_secs = load(a.trans_csv)
    n = len(x)
    print(f"loaded {n} edges, {nv} vertices in {load_secs:.1f} s (not counted)", flush=True)
    runs = a.only or (list(FAMILIES) + ["all"])
    res = {"edges": n, "vertices": nv, "threads": a.threads, "stages": {}}
    for name in runs:
        if name == "all":
            on = {k: v for f in FAMILIES.values() for k, v in f.items()}
            on["vertex_stats"] = True
        else:
            on = FAMILIES[name]
        secs, feats = run(x, on, a.threads)
        res["stages"][name] = {"seconds": round(secs, 2), "edges_per_s": round(n / secs), "features": feats}
        print(f"{name:<15} {secs:8.2f} s  {n / secs:12.0f} edges/s  {feats} features", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
