"""Issue 24 thirteenth round: the out-of-table guards of the deeper log (bench/tpe_round13_declared.md).

    python bench/tpe_round13_guards.py     # tuner_par100_round13_guards.jsonl: `tpe` (adopted) against tpe-r13:off

Per function: seeds both have, medians, adopted better / worse, two-sided sign test, seeds identical.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tuner_par100 import load  # noqa: E402

rows = load([os.path.join(HERE, "tuner_par100_round13_guards.jsonl")])
print("| function | seeds | before (off) | adopted | adopted better / worse, p | identical | verdict |")
print("|---|---:|---:|---:|---|---:|---|")
for func in ("rosenbrock3", "levy4", "griewank4", "colville4"):
    a, b = rows[func, "tpe", 8], rows[func, "tpe-r13:off", 8]
    seeds = sorted(set(a) & set(b))
    x, y = np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])
    w, l = int(np.sum(x < y)), int(np.sum(x > y))
    p = binomtest(w, w + l).pvalue if w + l else 1.0
    verdict = "**loss**" if p < 0.05 and l > w else "no loss"
    print(
        f"| {func} | {len(seeds)} | {np.median(y):.4g} | {np.median(x):.4g} | {w} / {l}, {p:.2g}"
        f" | {int(np.sum(x == y))} | {verdict} |"
    )
