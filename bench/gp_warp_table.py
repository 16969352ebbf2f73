"""Twelfth round's table-seed comparison: a warp variant of bench/gp_try.py against Optuna's
GPSampler and the shipped GP, from stored rows, on the seeds all three have, per function.

    python bench/gp_warp_table.py [VARIANT]      # default init1+hebo; run from the repository root
    TABLE=tuner_gp_round13_table.jsonl python bench/gp_warp_table.py VARIANT   # the variant's rows elsewhere

Rows: the variant in bench/tuner_gp_round12_table.jsonl; GPSampler (`optuna-gp`) in
tuner_gp_gpsampler.jsonl (seeds 0-19), tuner_gp_round9_table.jsonl (20-49) and
tuner_gp_round10_table.jsonl (50-99); the shipped GP in tuner_gp_round8_table.jsonl (`init1`, 0-19),
tuner_gp_round9_table.jsonl (`init1`, 20-49) and tuner_gp_round10_table.jsonl (`gp`, 50-99, the
tuner itself, which is `init1`). Wins / losses: seeds where the variant's regret is lower / higher;
p: two-sided sign test.
"""

import json
import os
import sys
from collections import defaultdict

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
VARIANT = sys.argv[1] if len(sys.argv) > 1 else "init1+hebo"
SOURCES = {  # file: {row label: column}
    os.environ.get("TABLE", "tuner_gp_round12_table.jsonl"): {VARIANT: "var"},
    "tuner_gp_gpsampler.jsonl": {"optuna-gp": "gps"},
    "tuner_gp_round8_table.jsonl": {"init1": "gp"},
    "tuner_gp_round9_table.jsonl": {"init1": "gp", "optuna-gp": "gps"},
    "tuner_gp_round10_table.jsonl": {"gp": "gp", "optuna-gp": "gps"},
}
cells: dict = defaultdict(dict)
secs: dict = defaultdict(list)
for name, labels in SOURCES.items():
    with open(os.path.join(HERE, name)) as fh:
        for line in fh:
            r = json.loads(line)
            if r["t"] in labels:
                cells[r["f"], labels[r["t"]]][r["s"]] = r["r"]
                if labels[r["t"]] == "var":
                    secs[r["f"]].append(r["sec"])


def duel(a: dict, b: dict, seeds: list) -> str:
    x = np.array([a[s] for s in seeds])
    y = np.array([b[s] for s in seeds])
    w, lo = int(np.sum(x < y)), int(np.sum(x > y))
    p = binomtest(w, w + lo).pvalue if w + lo else 1.0
    return f"{w} / {lo}, p {p:.2g}"


print(
    f"| function | seeds | {VARIANT} | GP as shipped | GPSampler | {VARIANT} vs GPSampler"
    " | vs shipped GP | s a run |"
)
print("|---|---|---:|---:|---:|---|---|---:|")
for f in sorted({f for f, c in cells if c == "var"}):
    var, gp, gps = cells[f, "var"], cells[f, "gp"], cells[f, "gps"]
    seeds = sorted(set(var) & set(gp) & set(gps))
    if not seeds:
        continue
    med = [np.median([c[s] for s in seeds]) for c in (var, gp, gps)]
    print(
        f"| {f} | {seeds[0]}-{seeds[-1]} ({len(seeds)}) | {med[0]:.4g} | {med[1]:.4g} | {med[2]:.4g} |"
        f" {duel(var, gps, seeds)} | {duel(var, gp, seeds)} | {np.median(secs[f]):.1f} |"
    )
