"""Each rung's Spearman correlation with the full budget, directly and as a chain of adjacent rungs
(rung 1 with 3, 3 with 9, ..., the top rung with the final value), on 1,000 uniform random points of
each MFHartmann problem and on the digits table's 288 configurations (bench/README.md, "Multi-fidelity
(issue 16), seventh round"; ASHA's `correlation_chain`).

    python3 bench/mf_chain_diag.py
"""

from __future__ import annotations

import numpy as np
from mf_problems import Digits, MFHartmann, problems
from scipy.stats import spearmanr


def main() -> None:
    rng = np.random.default_rng(0)
    for name, p in problems().items():
        if isinstance(p, MFHartmann):
            levels = [1, 3, 9, 27, 81, 100]
            points = [{f"X_{i}": float(v) for i, v in enumerate(rng.random(p.dims))} for _ in range(1000)]
            vals = np.array([[p.at(x, z) for z in levels] for x in points])
        else:
            assert isinstance(p, Digits)
            levels = [1, 3, 9, 27]
            vals = np.array([[curve[z - 1] for z in levels] for curve in p.table.values()])
        n = len(levels)
        direct = [spearmanr(vals[:, k], vals[:, -1]).statistic for k in range(n - 1)]
        links = [spearmanr(vals[:, k], vals[:, k + 1]).statistic for k in range(n - 1)]
        chain = [float(np.prod(links[k:])) for k in range(n - 1)]
        print(f"{name}: rungs {levels[:-1]}")
        print("  direct", np.round(direct, 2))
        print("  chain ", np.round(chain, 2))


if __name__ == "__main__":
    main()
