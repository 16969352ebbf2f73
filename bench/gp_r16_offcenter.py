"""Lead's guard for the GP's quadratic trend (bench/gp_r16_lead_declared.md): bowls with ripples whose
optimum is far from the cube's centre, and ripples on a slope whose optimum is a corner.

    AUTOLAB_ROOT=<tree> LABEL=<name> python bench/gp_r16_offcenter.py run FUNC S0 S1 OUT
    python bench/gp_r16_offcenter.py table OUT BEFORE AFTER

Rows {"t": LABEL, "f", "s", "r" (regret after 100 sequential evaluations), "sec"}; seeds [S0, S1).
"""

from __future__ import annotations

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.environ.get("AUTOLAB_ROOT", os.path.dirname(HERE)), HERE]
import numpy as np  # noqa: E402
import tuner_problems as tp  # noqa: E402
from scipy.stats import binomtest  # noqa: E402
from tuner_rugged import _box, _on, griewank, levy  # noqa: E402


def _slope_ripples(x: np.ndarray) -> float:
    """On [0, 1]^6: a slope down to the corner 0 with ripples of one fifth the period; minimum 0 at 0."""
    return float(np.sum(x) + 0.3 * np.sum(np.sin(5 * np.pi * x) ** 2))


EXTRA = {
    # Griewank-8 with its optimum moved to 35 in every column (cube 0.85)
    "griewank8-shift": (_on(lambda x: griewank(x - 35.0), 8), _box(8, -50, 50), 0.0),
    # Levy-6's optimum (x = 1) moved to 8 in every column (cube 0.9)
    "levy6-shift": (_on(lambda x: levy(x - 7.0), 6), _box(6, -10, 10), 0.0),
    "slope6": (_on(_slope_ripples, 6), _box(6, 0, 1), 0.0),
}
for _name, (_f, _space, _minimum) in EXTRA.items():
    tp.FUNCS[_name] = (_f, _minimum)
    tp.SPACES[_name] = _space


def run(func: str, s0: int, s1: int, out: str) -> None:
    label = os.environ.get("LABEL", "gp")
    import autolab.tuners.gp as gpmod

    print(f"{label}: autolab from {gpmod.__file__}", flush=True)
    for seed in range(s0, s1):
        began = time.time()
        best, _ = tp.run_autolab("gp", func, 100, seed)
        row = {
            "t": label,
            "f": func,
            "s": seed,
            "r": best - EXTRA[func][2],
            "sec": round(time.time() - began, 2),
        }
        with open(out, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(row, flush=True)


def table(out: str, before: str, after: str) -> None:
    rows: dict[tuple[str, str], dict[int, float]] = {}
    for line in open(out):
        r = json.loads(line)
        rows.setdefault((r["t"], r["f"]), {})[r["s"]] = r["r"]
    print(f"| function | seeds | {before} | {after} | {after} wins / losses, p | ties |")
    print("|---|---|---:|---:|---|---|")
    for func in EXTRA:
        a, b = rows.get((before, func), {}), rows.get((after, func), {})
        seeds = sorted(set(a) & set(b))
        if not seeds:
            continue
        wins = sum(b[s] < a[s] for s in seeds)
        losses = sum(b[s] > a[s] for s in seeds)
        p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
        med_a, med_b = np.median([a[s] for s in seeds]), np.median([b[s] for s in seeds])
        print(
            f"| {func} | {seeds[0]}-{seeds[-1]} ({len(seeds)}) | {med_a:.4g} | {med_b:.4g} | "
            f"{wins} / {losses}, p {p:.2g} | {len(seeds) - wins - losses} |"
        )


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        table(sys.argv[2], sys.argv[3], sys.argv[4])
