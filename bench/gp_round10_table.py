"""Issue 24 item 4, tenth round: autolab's GP as shipped against Optuna's GPSampler over seeds 0-99
on the functions whose seeds 50-99 this round ran (bench/tuner_gp_round10_table.jsonl).

    python bench/gp_round10_table.py

The GP as shipped (the eighth round's `init1`, adopted in 4e2f912): seeds 0-19
tuner_gp_round8_table.jsonl, 20-49 tuner_gp_round9_table.jsonl (both `init1`, bench/gp_try.py),
50-99 tuner_gp_round10_table.jsonl (`gp`, tuner_seq100.py: the shipped tuner itself).
GPSampler (Optuna 5.1.0): 0-19 tuner_gp_gpsampler.jsonl, 20-49 tuner_gp_round9_table.jsonl, 50-99
tuner_gp_round10_table.jsonl. Rows: seeds 0-99 where both ran, and the new seeds alone.
"""

import json
import os
from collections import defaultdict

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
GP = [
    ("tuner_gp_round8_table.jsonl", "init1"),
    ("tuner_gp_round9_table.jsonl", "init1"),
    ("tuner_gp_round10_table.jsonl", "gp"),
]
SAMPLER = [
    (p, "optuna-gp")
    for p in ("tuner_gp_gpsampler.jsonl", "tuner_gp_round9_table.jsonl", "tuner_gp_round10_table.jsonl")
]


def load(sources):
    out, secs = defaultdict(dict), defaultdict(dict)
    for path, tuner in sources:
        with open(os.path.join(HERE, path)) as fh:
            for line in fh:
                r = json.loads(line)
                if r["t"] == tuner:
                    out[r["f"]][r["s"]] = r["r"]
                    secs[r["f"]][r["s"]] = r["sec"]
    return out, secs


def cell(a, b, seeds):
    w = sum(a[s] < b[s] for s in seeds)
    lo = sum(a[s] > b[s] for s in seeds)
    p = binomtest(w, w + lo).pvalue if w + lo else 1.0
    ma, mb = np.median([a[s] for s in seeds]), np.median([b[s] for s in seeds])
    fa, fb = (f"**{ma:.4g}**", f"{mb:.4g}") if ma < mb else (f"{ma:.4g}", f"**{mb:.4g}**")
    return f"{fa} | {fb} | {w} / {lo}, p {p:.2g}"


gp, gp_sec = load(GP)
sampler, sampler_sec = load(SAMPLER)
new = {f for path, t in GP[2:] for f in load([(path, t)])[0]}
print(
    "| function | seeds | autolab GP | Optuna GPSampler | GP / GPSampler wins, p |"
    " new seeds 50-99 only: GP, GPSampler, wins, p | s a run, 50-99: GP, GPSampler (median) |"
)
print("|---|---|---:|---:|---|---|---|")
for f in sorted(new):
    seeds = sorted(set(gp[f]) & set(sampler[f]))
    late = [s for s in seeds if s >= 50]
    if not late:
        continue
    t_gp = np.median([gp_sec[f][s] for s in late])
    t_s = np.median([sampler_sec[f][s] for s in late])
    print(
        f"| {f} | {min(seeds)}-{max(seeds)} ({len(seeds)}) | {cell(gp[f], sampler[f], seeds)} |"
        f" {cell(gp[f], sampler[f], late).replace(' | ', ', ')} | {t_gp:.1f}, {t_s:.1f} |"
    )
