"""The eighth round's table: each variant of bench/gp_try.py against the GP as shipped (`gp`) on
the seeds both ran, per function: median, wins / losses (lower regret), two-sided sign test p, s a run.

    python bench/gp_try_table.py bench/tuner_gp_round8.jsonl [MORE.jsonl ...] [FUNC ...]

BASE=init1 (environment) compares with `init1` (the GP as shipped since the eighth round) instead.
"""

import json
import os
import sys
from collections import defaultdict

import numpy as np
from scipy.stats import binomtest

rows: dict = defaultdict(dict)
secs: dict = defaultdict(list)
BASE = os.environ.get("BASE", "gp")
paths = [a for a in sys.argv[1:] if a.endswith(".jsonl")]
for path in paths:
    with open(path) as fh:
        for line in fh:
            r = json.loads(line)
            rows[r["f"], r["t"]][r["s"]] = r["r"]
            secs[r["f"], r["t"]].append(r["sec"])
funcs = [a for a in sys.argv[1:] if not a.endswith(".jsonl")] or sorted({f for f, _ in rows})
print(
    "| function | variant | seeds | median | GP as shipped, same seeds | wins / losses | p | s a run (shipped) |"
)
print("|---|---|---|---:|---:|---|---:|---:|")
for f in funcs:
    base = rows.get((f, BASE), {})
    for (g, t), cell in sorted(rows.items()):
        if g != f:
            continue
        common = sorted(set(cell) & set(base))
        seeds = f"{min(cell)}-{max(cell)} ({len(cell)})"
        if t == BASE or not common:
            print(
                f"| {f} | {t} | {seeds} | {np.median(list(cell.values())):.4g} | | | | {np.median(secs[f, t]):.1f} |"
            )
            continue
        a = np.array([cell[s] for s in common])
        b = np.array([base[s] for s in common])
        w, lo = int(np.sum(a < b)), int(np.sum(a > b))
        p = binomtest(w, w + lo).pvalue if w + lo else 1.0
        bs = np.median(secs[f, BASE])
        print(
            f"| {f} | {t} | {seeds} | {np.median(a):.4g} | {np.median(b):.4g} | {w} / {lo} | {p:.2g} |"
            f" {np.median(secs[f, t]):.1f} ({bs:.1f}) |"
        )
