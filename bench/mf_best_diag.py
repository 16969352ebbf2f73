"""Issue 16, ninth round: each rung's Spearman correlation with the full-budget value when a rung
reads the trial's result at the rung ("last", what ASHA reads) or its best result so far ("best":
the minimum over steps 1 ... rung; the maximum for the digits table), on 1,000 uniform random
points of each MFHartmann problem and the digits table's 288 configurations.

MFHartmann's noise is drawn afresh at every step (mf_problems.py), so the best of the steps up to
a rung averages some of it away; a real training curve's noise is partly correlated from epoch to
epoch, where this gains less.

    python3 bench/mf_best_diag.py
"""

from __future__ import annotations

import numpy as np
from mf_problems import Digits, MFHartmann, problems
from scipy.stats import spearmanr


def main() -> None:
    rng = np.random.default_rng(0)
    for name, p in problems().items():
        if isinstance(p, MFHartmann):
            levels, top = [1, 3, 9, 27, 81], 100
            points = [{f"X_{i}": float(v) for i, v in enumerate(rng.random(p.dims))} for _ in range(1000)]
            curves = np.array([[p.at(x, z) for z in range(1, top + 1)] for x in points])
            best = np.minimum.accumulate(curves, axis=1)
        else:
            assert isinstance(p, Digits)
            levels = [1, 3, 9]
            curves = np.array(list(p.table.values()))
            best = np.maximum.accumulate(curves, axis=1)
        final = curves[:, -1]
        last_rho = [spearmanr(curves[:, z - 1], final).statistic for z in levels]
        best_rho = [spearmanr(best[:, z - 1], final).statistic for z in levels]
        print(f"{name}: rungs {levels}")
        print("  last", np.round(last_rho, 2))
        print("  best", np.round(best_rho, 2))


if __name__ == "__main__":
    main()
