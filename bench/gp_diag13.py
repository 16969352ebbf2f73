"""Issue 24 item 4, thirteenth round: what the two models see on each function (diagnostic only).

    python bench/gp_diag13.py FUNC SEED0 SEED1 OUT      # one JSON line per (seed, n)

Runs the GP as shipped (the noiseless model, `init1`); at the suggestions with n = 20, 40, 60, 80
finished trials it also fits the noisy model (gp_try's `noise`: GPSampler's Gamma(1.1, 30) prior on
the noise variance) on the same rows and records, for both: kernel scale, length scales (geometric
mean, min), the fitted noise (standardised losses), the log marginal likelihood at the fit, the MAP
objective (with the priors), and the leave-one-out log predictive density; and the threshold gap of
the noisy model (posterior mean at the best trial minus the best loss, in sd of the losses).
The shipped GP's trajectory is not changed (the extra fit draws nothing from the tuner's rng).
With DIAG_AT=40 in the environment only n = 40 is recorded and a run stops after 41 evaluations
(the trajectory to 40 is the same); its rows then have no regret.
"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
import gp_try  # noqa: E402
import numpy as np  # noqa: E402
import tuner_problems as tp  # noqa: E402

from autolab.tuners import gaussian  # noqa: E402

AT = (int(os.environ["DIAG_AT"]),) if os.environ.get("DIAG_AT") else (20, 40, 60, 80)
ROWS: list = []


def _kernel_parts(k):
    if hasattr(k, "k2") and hasattr(k.k2, "noise_level"):  # (C * Matern) + White
        return float(k.k1.k1.constant_value), np.asarray(k.k1.k2.length_scale, float), float(k.k2.noise_level)
    return float(k.k1.constant_value), np.asarray(k.k2.length_scale, float), 0.0


def main() -> None:
    func, s0, s1, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    shipped = gaussian.fit
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    def fit(x, y, hyper, **kw):
        g = shipped(x, y, hyper, **kw)
        n = len(y)
        if n in AT:
            row = {"f": func, "s": SEED[0], "n": n}
            for name in ("plain", "noisy"):
                kern = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.ones(x.shape[1]), (1e-2, 1e2), nu=2.5)
                if name == "noisy":
                    kern = kern + WhiteKernel(1.0, (gp_try.MIN_NOISE, 1e2))
                m = GaussianProcessRegressor(
                    kern,
                    alpha=1e-6,
                    normalize_y=True,
                    random_state=0,
                    optimizer=gp_try.optimizer(x.shape[1], False, name == "noisy"),
                )
                import warnings

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    m.fit(x[hyper], y[hyper])
                c, ls, nz = _kernel_parts(m.kernel_)
                lml = float(m.log_marginal_likelihood_value_)
                prior = -gaussian.LENGTH_PRIOR * float(np.sum(ls**2 + 1 / ls**2))
                if name == "noisy":
                    a, b = gp_try.NOISE_PRIOR
                    prior += (a - 1) * np.log(nz) - b * nz
                row[name] = {
                    "scale": round(c, 4),
                    "ls_gm": round(float(np.exp(np.mean(np.log(ls)))), 4),
                    "ls_min": round(float(ls.min()), 4),
                    "ls_max": round(float(ls.max()), 4),
                    "noise": round(nz, 6),
                    "lml": round(lml, 3),
                    "map": round(lml + prior, 3),
                    "loo": round(gp_try.loo_logpdf(m), 3),
                }
                if name == "noisy":
                    post = gaussian.posterior(m.kernel_.k1, x, y, 1e-6 + nz)
                    mu = post.predict(x)
                    i = int(np.argmin(y))
                    row["gap_sd"] = round(float((mu[i] - y[i]) / np.std(y)), 4)
                    row["noise_frac"] = round(nz / (nz + c), 4)
            ROWS.append(row)
        return g

    gaussian.fit = fit
    SEED = [0]
    for s in range(s0, s1):
        SEED[0] = s
        best, _ = tp.run_autolab("gp", func, AT[0] + 1 if len(AT) == 1 else 100, s, 1, {})
        with open(out, "a") as fh:
            for r in ROWS:
                if len(AT) > 1:
                    r["r"] = float(best - tp.FUNCS[func][1])
                fh.write(json.dumps(r) + "\n")
        ROWS.clear()


if __name__ == "__main__":
    main()
