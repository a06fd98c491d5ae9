"""Which feature columns transfer across AMLSim runs: trains LightGBM on finmon's feature CSV
under the AMLworld protocol (time-ordered 60/20/20, cut chosen on validation) with column
families left out, and prints validation and test scores per variant.

    python columns.py FEATURES.csv [VARIANT ...]

FEATURES.csv comes from `features_bench DIR MODE W1_DAYS W2_DAYS --csv FEATURES.csv` (columns
`day`, `label`, `typology`, then the features). A side tool for measurements, not part of
finmon: finmon's own booster and cut live in crates/learn.
"""
import re
import sys

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

VOLUME = re.compile(r"(out|in)_(cnt|sum)@")
VARIANTS = {
    "all": lambda c: False,
    "no_next": lambda c: "next_" in c,
    "no_vol": lambda c: bool(VOLUME.search(c)),
    "no_next_vol": lambda c: "next_" in c or bool(VOLUME.search(c)),
    "no_next_vol_history": lambda c: "next_" in c
    or bool(VOLUME.search(c))
    or c.endswith((".prior", ".idle")),
}
TIE = 0.005  # as finmon_learn::F1_TIE: near-best cuts go to the highest


def split(df):
    order = np.argsort(df["day"].values, kind="stable")
    n = len(order)
    a, b = n * 60 // 100, n * 80 // 100
    return order[:a], order[a:b], order[b:]


def cut(scores, labels):
    o = np.argsort(-scores, kind="stable")
    s, l = scores[o], labels[o]
    tp = np.cumsum(l)
    f1 = 2 * tp / (np.arange(1, len(l) + 1) + l.sum())
    ok = np.r_[s[1:] != s[:-1], True]
    best = f1[ok].max()
    i = np.where(ok & (f1 >= best * (1 - TIE)))[0].min()
    nxt = s[i + 1] if i + 1 < len(s) else 0.0
    return (s[i] + nxt) / 2


def score(flag, y):
    tp = int((flag & (y == 1)).sum())
    p = tp / max(int(flag.sum()), 1)
    r = tp / max(int((y == 1).sum()), 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def run(df, drop, seeds=3):
    feats = [c for c in df.columns if c not in ("day", "label", "typology") and not drop(c)]
    tr, va, te = split(df)
    x = df[feats].values.astype(np.float32)
    y = df["label"].values.astype(int)
    params = dict(objective="binary", learning_rate=0.1, num_leaves=16, max_depth=4,
                  min_child_weight=1.0, lambda_l2=1.0, feature_fraction=0.8, verbose=-1,
                  num_threads=2)
    raw = np.zeros(len(df))
    for seed in range(seeds):
        params["seed"] = seed
        m = lgb.train(params, lgb.Dataset(x[tr], y[tr]), num_boost_round=200)
        raw += m.predict(x, raw_score=True)
    sc = 1 / (1 + np.exp(-raw / seeds))
    th = cut(sc[va], y[va])
    out = {}
    for name, idx in (("validation", va), ("test", te)):
        p, r, f = score(sc[idx] >= th, y[idx])
        out[name] = (p, r, f, average_precision_score(y[idx], sc[idx]))
    return len(feats), out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    df = pd.read_csv(sys.argv[1])
    for name in sys.argv[2:] or VARIANTS:
        n, out = run(df, VARIANTS[name])
        line = " | ".join(
            f"{part} P={p:.3f} R={r:.3f} F1={f:.3f} AP={ap:.3f}"
            for part, (p, r, f, ap) in out.items()
        )
        print(f"{name:22} {n:4} columns | {line}", flush=True)


if __name__ == "__main__":
    main()
