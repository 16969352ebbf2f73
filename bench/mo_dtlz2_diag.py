"""Where autolab's MOGP puts its DTLZ2 suggestions (issue 23: why it trailed random search).

One run of `bench/mo_bench.py`'s loop on DTLZ2 (3 objectives, 12 dims; the optimum has the last 10
variables at 0.5) with optional changes to MOGP, printing the hypervolume after 25/50/75/100
evaluations (reference 2.5, 2.5, 2.5) and, per stretch of the run, the median g (the sum of the
last 10 variables' squared distances from 0.5: 0 on the front, 0.83 on average for random points),
the share of those coordinates on the cube's faces, and the share of points inside the reference.

    OMP_NUM_THREADS=1 nice -n 10 python3 bench/mo_dtlz2_diag.py --seed 0 --change mle nopolish

--change: mle (the likelihood maximum for the length scales: MOGP before the 3-objective prior),
nopolish (no L-BFGS-B polish), frontref (the reference 10% beyond the front's worst values
instead of all feasible trials' worst).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from mo_bench import run_autolab  # noqa: E402
from mo_problems import problems  # noqa: E402

import autolab.tuners.mogp as mogp  # noqa: E402
from autolab.pareto import hypervolume, nadir_reference, pareto_front  # noqa: E402


def change(names: list[str]) -> None:
    if "mle" in names:
        init = mogp.MoGpTuner.__init__

        def likelihood_max(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            self.length_prior = False

        mogp.MoGpTuner.__init__ = likelihood_max  # type: ignore[method-assign]
    if "nopolish" in names:
        mogp.POLISH_STARTS = 0
    if "frontref" in names:
        mogp.nadir_reference = lambda pts: nadir_reference([pts[i] for i in pareto_front(pts)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--evals", type=int, default=100)
    ap.add_argument("--change", nargs="*", default=[], choices=["mle", "nopolish", "frontref"])
    args = ap.parse_args()
    change(args.change)
    func, space, dims, ref = problems()["dtlz2"]
    xs: list[list[float]] = []

    def recorded(p: dict[str, Any], n: int) -> list[float]:
        xs.append([p[f"x{i}"] for i in range(n)])
        return func(p, n)

    points, seconds = run_autolab("GP", (recorded, space, dims, ref), args.evals, args.seed)
    x, y = np.array(xs)[-len(points) :], np.array(points)  # run_autolab's first call is a probe
    out: dict[str, Any] = {"seed": args.seed, "change": args.change, "seconds": round(seconds)}
    for n in (25, 50, 75, 100):
        if n <= args.evals:
            out[f"hv{n}"] = round(hypervolume(points[:n], ref), 4)
    g = ((x[:, 2:] - 0.5) ** 2).sum(axis=1)
    faces = (x[:, 2:] < 1e-3) | (x[:, 2:] > 1 - 1e-3)
    for a in range(10, args.evals, 30):
        s = slice(a, min(a + 30, args.evals))
        out[f"evals {a}-{s.stop}"] = {
            "g_median": round(float(np.median(g[s])), 3),
            "on_faces": round(float(faces[s].mean()), 3),
            "inside_ref": round(float(np.all(y[s] < ref, axis=1).mean()), 2),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
