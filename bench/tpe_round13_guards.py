"""Issue 24 thirteenth round: the out-of-table guards of the deeper log (bench/tpe_round13_declared.md).
The rows' labels were renamed after the lead reverted the change: `tpe` is main's code (was `tpe-r13:off`),
`tpe-r13:dl3+n3` the reverted deeper log (was `tpe` while it was shipped on the helper's branch).

    python bench/tpe_round13_guards.py     # tuner_par100_round13_guards.jsonl: tpe-r13:dl3+n3 ("adopted": the helper's
                                           # shipped code, reverted by the lead) against `tpe` (main),
                                           # then Rosenbrock-4 on the confirmation seeds (tuner_par100_round13_confirm.jsonl)

Per function: seeds both have, medians, adopted better / worse, two-sided sign test, seeds identical.
"""

# ruff: noqa: E501  (a measuring script: table rows)
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
    a, b = rows[func, "tpe-r13:dl3+n3", 8], rows[func, "tpe", 8]
    seeds = sorted(set(a) & set(b))
    x, y = np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])
    w, n_worse = int(np.sum(x < y)), int(np.sum(x > y))
    p = binomtest(w, w + n_worse).pvalue if w + n_worse else 1.0
    verdict = "**loss**" if p < 0.05 and n_worse > w else "no loss"
    print(
        f"| {func} | {len(seeds)} | {np.median(y):.4g} | {np.median(x):.4g} | {w} / {n_worse}, {p:.2g}"
        f" | {int(np.sum(x == y))} | {verdict} |"
    )

# confirmation seeds 200-299 (Rosenbrock-4; declared in tpe_round13_declared.md before they ran)
from tpe_round13_table import blocks, pass_share  # noqa: E402

conf = load([os.path.join(HERE, "tuner_par100_round13_confirm.jsonl")])
a, b, q = (
    conf["rosenbrock4", "tpe-r13:dl3+n3", 8],
    conf["rosenbrock4", "tpe", 8],
    conf["rosenbrock4", "tpe", 1],
)
seeds = sorted(set(a) & set(b) & set(q))
x, y, z = (np.array([d[s] for s in seeds]) for d in (a, b, q))
w, n_worse = int(np.sum(x < y)), int(np.sum(x > y))
print(
    f"\nRosenbrock-4, confirmation seeds {seeds[0]}-{seeds[-1]} ({len(seeds)}): sequential {np.median(z):.4g}; "
    f"before (off) {np.median(y):.4g} ({np.median(y) / np.median(z):.2f}x), adopted {np.median(x):.4g} "
    f"({np.median(x) / np.median(z):.2f}x); adopted better / worse {w} / {n_worse}, p {binomtest(w, w + n_worse).pvalue:.2g}; "
    f"10-seed blocks within 1.5x {blocks(seeds, a, q)} (before {blocks(seeds, b, q)}); "
    f"P(10-seed draw within 1.5x) {pass_share(x, z):.2f} (before {pass_share(y, z):.2f})"
)
