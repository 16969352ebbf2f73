"""Issue 24, seventh round (the lead): autolab's GP with a learned noise term, an attempt on Griewank-8.

    python bench/gp_noise_try.py VARIANT FUNC SEED0 SEED1 OUT    # one JSON line per seed

VARIANT: default (the GP as shipped), noise (a WhiteKernel, noise level fitted in [1e-6, 0.1] of the
normalised losses, beside the Matern kernel, as Optuna's GPSampler fits a noise variance), noise-hi
(bound 0.5), starts20 (selection_num_starting_points 20), lbfgs (L-BFGS-B on the acquisition from the
GP's 5 best candidates, as GPSampler maximises it). The patches live here; autolab is unchanged.
"""

import json
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
import numpy as np  # noqa: E402
import tuner_problems as tp  # noqa: E402

from autolab.tuners import gaussian  # noqa: E402
from autolab.tuners import gp as gpmod  # noqa: E402


def fit_noise(
    x, y, hyper, *, nu=2.5, alpha=1e-6, length_scale=0.5, random_state=0, prior=False, lo=1e-6, hi=1e-1
):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
        np.full(x.shape[1], length_scale), (1e-2, 1e2), nu=nu
    ) + WhiteKernel(1e-3, (lo, hi))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = GaussianProcessRegressor(
            kernel,
            alpha=alpha,
            normalize_y=True,
            random_state=random_state,
            optimizer=gaussian._map_optimizer(x.shape[1]) if prior else "fmin_l_bfgs_b",
        )
        g.fit(x[hyper], y[hyper])
    return gaussian.posterior(g.kernel_, x, y, alpha) if len(hyper) < len(y) else g


VARIANTS = {
    "default": ({}, None),
    "noise": ({}, dict(lo=1e-6, hi=1e-1)),
    "noise-hi": ({}, dict(lo=1e-6, hi=0.5)),
    "starts20": ({"selection_num_starting_points": 20}, None),
    "lbfgs": ({}, None),  # + L-BFGS-B on the acquisition from the best candidates (GPSampler's optimiser)
}


def lbfgs_maximise(orig):
    """The GP's candidates, then L-BFGS-B (finite-difference gradient, box [0, 1]) on minus the
    acquisition from the best LBFGS_STARTS of them; the refined points go first, best first."""
    from scipy.optimize import minimize

    def maximise(self, gp, best, near, rng):
        cand = orig(self, gp, best, near, rng)
        starts = cand[:LBFGS_STARTS]
        out, score = [], []
        for u0 in starts:
            res = minimize(
                lambda u: -float(self._acquisition(gp, u[None, :], best)[0]),
                u0,
                method="L-BFGS-B",
                bounds=[(0.0, 1.0)] * len(u0),
                options={"maxiter": 50},
            )
            out.append(self.cube.project(res.x[None, :])[0])
            score.append(-res.fun)
        order = np.argsort(-np.array(score))
        return np.vstack([np.array(out)[order], cand])

    return maximise


LBFGS_STARTS = 5
variant, func, s0, s1, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
args, noise = VARIANTS[variant]
if noise is not None:
    gpmod.gaussian.fit = lambda *a, **k: fit_noise(*a, **k, **noise)
if variant == "lbfgs":
    gpmod.GPTuner._maximise = lbfgs_maximise(gpmod.GPTuner._maximise)
for s in range(s0, s1):
    t = time.time()
    best, _ = tp.run_autolab("gp", func, 100, s, 1, args)
    reg = best - tp.FUNCS[func][1]
    with open(out, "a") as f:
        f.write(
            json.dumps({"t": variant, "f": func, "s": s, "r": float(reg), "sec": round(time.time() - t, 2)})
            + "\n"
        )
