"""Issue 24 item 4, eighth round: the remaining differences between autolab's GP and Optuna's
GPSampler, each a bench-side patch of autolab's GP (autolab itself unchanged).

    python bench/gp_try.py VARIANT FUNC SEED0 SEED1 OUT    # one JSON line per seed, like tuner_seq100.py
    PARALLEL=8 python bench/gp_try.py ...                  # 8 always running (rows get "p": 8)

VARIANT: names joined by "+" (e.g. `noise+kscale`), or `gp` (the GP as shipped at 47bcd97, before
this round adopted `init1`: length scales start at 0.5):
- noise:   a fitted noise variance with GPSampler's prior on it (Gamma(1.1, rate 30) on the noise
           variance of the standardised losses, at least 1e-6), as a WhiteKernel beside the Matern
           kernel; the acquisition uses the posterior of f (the noise left out of its sd), as
           GPSampler's log EI does (the seventh round's `noise` had no prior, a bound of 0.1, and
           the noise inside the sd).
- kscale:  GPSampler's prior on the kernel scale (Gamma(2, rate 1) on the constant factor).
- init1:   the hyperparameter search starts where GPSampler's does without a cache: length scales
           1, kernel scale 1 (and noise 1 with `noise`); the shipped GP starts at length 0.5.
- hyperall: the kernel's hyperparameters fitted on every trial (GPSampler), not on at most
           MAX_HYPER = 60 (the best 30 and 30 random ones).
- roulette: GPSampler's start points for the acquisition's local search: the best candidate and
           the others drawn with probability proportional to exp(log EI - max), each start
           refined on its own (the shipped GP keeps the 5 best of all starts' points together).
- lsl:     the local search's steps in units of each column's length scale (GPSampler's L-BFGS-B
           runs in x / length scale); the shipped GP steps 0.1, 0.03, 0.01 in cube units.
- starts10: 10 local-search starts (GPSampler's n_local_search) instead of 5.

Ninth round (the GP as shipped is now `init1`; compare every variant with `init1` in it):
- plugin:  the acquisition's threshold is the lowest posterior mean at the trials (a "plug-in"
           best) instead of the lowest observed loss; with `noise` the fitted nugget then smooths
           the ripples without pushing EI away from the best trials (GPSampler's threshold is the
           best observed value, which a noisy posterior sits above).
- loo:     with `noise`: fit both the noiseless (alpha only) and the noisy model and keep the one
           with the higher leave-one-out log predictive density on the trials (closed form from
           the posterior's Cholesky factor), i.e. the nugget chosen per history.
- rate300: the noise prior's rate 300 instead of GPSampler's 30 (a nugget ten times smaller a priori).
- alt:     with `noise`: the noisy model on every other suggestion (an odd number of rows in the
           fit), the noiseless one (alpha only) on the others: the noisy model's wider search
           (the threshold, the best observed loss, lies below its posterior) alternating with the
           noiseless model's refinement near the best trials.
- early50: with `noise`: the noisy model while fewer than 50 trials have finished, the noiseless
           one after (search wide first, refine later).
- kernonly: with `noise`: the kernel's hyperparameters fitted with the noise variance (lengths
           that follow the trend, not the ripples), the posterior without it (interpolating, the
           best observed loss its minimum at the best trial).
- sobol:   the acquisition's 2000 random candidates are 2048 scrambled Sobol points (GPSampler's).

Tenth round:
- stallK (stall10, stall20): with `noise`: the noisy model only while the run is stalled, i.e. the
           best loss is none of the last K finished trials; the noiseless one while it improves
           (the noisy model's wider search as an escape from a basin, the noiseless model's
           refinement otherwise). The fit's rows are in trial order below MAX_FIT, so the newest
           K rows are the last K.
- gtol:    the hyperparameters' L-BFGS-B stops at a projected gradient of 1e-2 (GPSampler's gtol)
           instead of scipy's 1e-5 (needs a patched fit: with init1 or noise).

Twelfth round: output warps (hebo, copula, logmed, log10; ident as a check), in bench/gp_warp.py.

Thirteenth round:
- cut02, cut01: with `noise`: the noisy model is fitted first; when its fitted noise variance (of
           the standardised losses) is above 0.02 (0.01), the noiseless model (alpha only, the
           shipped fit) is fitted and used instead. A small fitted nugget (Levy-6, Griewank-8: a
           trend with small ripples) is kept; a large one (Ackley-5, Michalewicz-5, Schwefel-4:
           structure the kernel cannot follow) means the noiseless model (bench/gp_diag13.py).
           The row's noisy_kept is the share of fits that kept the noisy model.
- nug003:  a fixed nugget: the tuner's `alpha` classArg 0.003 (GPSampler's noise prior mode, 0.1 / 30,
           and the median noise it fits on Levy-6) instead of 1e-6, in the hyperparameter fit, the
           posterior and the believer; EI on the posterior of f (scikit-learn's sd leaves alpha out).
- cap02:   with `noise`: the fitted noise variance bounded above by 0.02 (GPSampler's prior, the
           search starting at 0.02), fitted jointly with the kernel: where the fit wants more noise
           (Ackley-5, Michalewicz-5, Schwefel-4) the length scales shorten to explain the rest.
- run40:   with `noise`: one choice per run. Below 40 finished trials the noiseless (shipped) model;
           from 40 on, the noisy model is fitted on the first 40 finished trials (trial order: the
           fit's rows are in trial order below MAX_FIT), and if its noise variance is <= 0.03 every
           later suggestion uses the noisy model (`noise`), else the noiseless one. The choice depends
           on the first 40 trials only, so it is the same at every later suggestion (cached by those
           rows; a rebuilt tuner makes the same choice). Shipped-trajectory fits at n = 40 (seeds
           100-103, tuner_gp_round13_diag.jsonl): Levy-6 0.0005-0.026, Griewank-8 0.00001-0.010,
           Ackley-5 0.035-0.081, Michalewicz-5 0.079-0.23, Schwefel-4 0.11-0.50.
- nf4:     with ls40 (thirteenth round, lead): the noisy model only if also the noise it fits on the
           first 40 trials is above 1e-4 (Levy-6 97 % of runs, Griewank-8 77 %, Rosenbrock-4 17 %,
           Hartmann-6 10 %, mixed none: tuner_gp_round13_diag40.jsonl).
- ls40:    as run40, but the choice reads the noiseless (shipped) model fitted on the first 40
           trials: the noisy model for the rest of the run when the geometric mean of its length
           scales is >= RUN_LS (a surface the kernel follows with long length scales: a trend with
           ripples), else the noiseless one (length scales collapsed onto a funnel, valleys, basins).

Fourteenth round (bench/gp_r14_declared.md):
- ls40c:   with ls40: the noisy model only if also believer.compression() of the first 40 finished
           trials' losses (raw, in trial order) finds no long tail (a log-scaled fit, Rosenbrock-4:
           15 of 15 shipped runs at n = 40; Levy-6, Griewank-8 0 of 15). The length-scale probe is
           then fitted on those raw losses, which is what the shipped fit sees at 40 trials, and the
           choice is cached by the first 40 trials (x and raw losses) only; ls40's probe read the
           fit's y[:40], which a long tail appearing after trial 40 would put on a log scale.
           With PARALLEL > 1 the believer's pending trials join the noisy posterior without the
           noise while the finished trials keep it (the shipped _believe refits the posterior with
           the tuner's alpha on every row, which drops the fitted noise from the finished trials).
           DIAG=1: run to the suggestion after 40 finished trials only, and write the choice
           ({"noisy", "tail", "gm"}) instead of a regret; NOISY_ONLY=<diag file>: run only the seeds
           whose DIAG row there chose the noisy model.
- sbel:    with ls40c: the shipped _believe with PARALLEL > 1 (every row joins the posterior with the
           tuner's alpha, so while trials run the acquisition reads a noiseless posterior with the
           noisy model's kernel), to tell the believer fix's share of ls40c's 8-running result.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
import gp_warp  # noqa: E402
import numpy as np  # noqa: E402
import tuner_problems as tp  # noqa: E402

from autolab.tuners import gaussian  # noqa: E402
from autolab.tuners import gp as gpmod  # noqa: E402

NOISE_PRIOR = (1.1, 30.0)  # GPSampler: Gamma(concentration 1.1, rate 30) on the noise variance
SCALE_PRIOR = (2.0, 1.0)  # and Gamma(2, 1) on the kernel scale
MIN_NOISE = 1e-6


STATS: list = []  # loo: whether the noisy model was kept, per fit
LOSSES: list = []  # ls40c: the losses of every compression() call in gp.py (all finished trials, in order)
CHOICE: dict = {}  # ls40c: the run's choice at 40 finished trials (DIAG rows)
RUN_AT, RUN_CUT = 40, 0.03  # run40: the choice's trial count and noise threshold
RUN_LS = 0.5  # ls40: the length-scale threshold (geometric mean, cube units)


def optimizer(n_lengths: int, kscale: bool, noise: bool, rate: float = NOISE_PRIOR[1], gtol: bool = False):
    """scikit-learn's optimizer hook: -(log marginal likelihood + log priors) over log theta =
    [log scale, log lengths..., (log noise)]; the length-scale prior is gaussian.LENGTH_PRIOR's."""
    from scipy.optimize import minimize

    lengths = slice(1, 1 + n_lengths)

    def objective(theta, obj_func):
        value, grad = obj_func(theta, eval_gradient=True)
        value, grad = float(value), np.array(grad, dtype=float)
        sq = np.exp(2 * theta[lengths])
        value += gaussian.LENGTH_PRIOR * float(np.sum(sq + 1 / sq))
        grad[lengths] += 2 * gaussian.LENGTH_PRIOR * (sq - 1 / sq)
        # a Gamma(a, b) prior on v = exp(t): log p = (a - 1) t - b e^t (+ const)
        for on, i, (a, b) in ((kscale, 0, SCALE_PRIOR), (noise, 1 + n_lengths, (NOISE_PRIOR[0], rate))):
            if on:
                value -= (a - 1) * theta[i] - b * np.exp(theta[i])
                grad[i] -= (a - 1) - b * np.exp(theta[i])
        return value, grad

    def run(obj_func, initial_theta, bounds):
        opts = {"gtol": 1e-2} if gtol else {}
        res = minimize(
            objective,
            initial_theta,
            args=(obj_func,),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options=opts,
        )
        return res.x, float(res.fun)

    return run


def loo_logpdf(g) -> float:
    """Leave-one-out log predictive density of a fitted GaussianProcessRegressor's training rows
    (normalised units): mean residual alpha_i / Kinv_ii, variance 1 / Kinv_ii (Rasmussen &
    Williams, eq. 5.12)."""
    from scipy.linalg import cho_solve

    kinv = cho_solve((g.L_, True), np.eye(len(g.L_)))
    d = np.maximum(np.diag(kinv), 1e-300)
    a = np.asarray(g.alpha_).ravel()
    var = 1.0 / d
    r = a / d
    return float(np.sum(-0.5 * np.log(2 * np.pi * var) - 0.5 * r * r / var))


def make_fit(
    kscale: bool,
    noise: bool,
    init1: bool,
    loo: bool = False,
    rate: float = NOISE_PRIOR[1],
    alt: bool = False,
    kernonly: bool = False,
    early: bool = False,
    stall: int = 0,
    gtol: bool = False,
    raw: bool = False,
    cut: float = 0.0,
    cap: float = 0.0,
    run40: bool = False,
    ls40: bool = False,
    floor: float = 0.0,
    tailcheck: bool = False,
):
    if (loo or alt or early or stall or cut or run40 or ls40) and not noise:
        sys.exit("loo, alt, early50, stallK, cutNN, run40 and ls40 need noise")
    switch = loo or alt or early or stall or cut or run40 or ls40
    base = make_fit(kscale, False, init1, gtol=gtol) if switch else None
    probe = make_fit(kscale, not ls40, init1, gtol=gtol, raw=True) if run40 or ls40 else None
    chosen: dict = {}  # run40: the first 40 rows -> whether the run uses the noisy model
    noisy_probe = make_fit(kscale, True, init1, gtol=gtol, raw=True) if floor else None  # nf4

    def fit(x, y, hyper, *, nu=2.5, alpha=1e-6, length_scale=0.5, random_state=0, prior=False, **_):
        if run40 or ls40:
            key = (x[:RUN_AT].tobytes(), y[:RUN_AT].tobytes()) if len(y) >= RUN_AT else None
            if key is not None and tailcheck:  # ls40c: the first 40 finished trials' raw losses
                first40 = np.asarray(LOSSES[-1][:RUN_AT], dtype=float)
                key = (x[:RUN_AT].tobytes(), first40.tobytes())
                if key not in chosen:
                    tail = gpmod.believer_compression(first40)[1] is not None
                    gm = float("nan")
                    if not tail:
                        g0 = probe(
                            x[:RUN_AT],
                            first40,
                            np.arange(RUN_AT),
                            nu=nu,
                            alpha=alpha,
                            length_scale=length_scale,
                        )
                        ls = np.asarray(g0.kernel_.k2.length_scale, dtype=float)
                        gm = float(np.exp(np.mean(np.log(ls))))
                    chosen[key] = (not tail) and gm >= RUN_LS
                    CHOICE.update(noisy=chosen[key], tail=tail, gm=None if tail else round(gm, 4))
            if key is not None and key not in chosen:
                first = np.arange(RUN_AT)
                g0 = probe(x[:RUN_AT], y[:RUN_AT], first, nu=nu, alpha=alpha, length_scale=length_scale)
                if ls40:
                    ls = np.asarray(g0.kernel_.k2.length_scale, dtype=float)
                    chosen[key] = float(np.exp(np.mean(np.log(ls)))) >= RUN_LS
                    if floor and chosen[key]:  # nf4: and the noisy model's noise at 40 above the floor
                        g1 = noisy_probe(
                            x[:RUN_AT], y[:RUN_AT], first, nu=nu, alpha=alpha, length_scale=length_scale
                        )
                        chosen[key] = float(g1.kernel_.k2.noise_level) > floor
                else:
                    chosen[key] = float(g0.kernel_.k2.noise_level) <= RUN_CUT
            use = key is not None and chosen[key]
            STATS.append(use)
            if not use:
                return base(
                    x, y, hyper, nu=nu, alpha=alpha, length_scale=length_scale, random_state=random_state
                )
        improving = bool(stall) and int(np.argmin(y)) >= len(y) - stall
        if stall:
            STATS.append(not improving)  # the row's noisy_kept: the share of fits on the noisy model
        if (alt and len(y) % 2 == 0) or (early and len(y) >= 50) or improving:
            return base(x, y, hyper, nu=nu, alpha=alpha, length_scale=length_scale, random_state=random_state)
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        ls = 1.0 if init1 else length_scale
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.full(x.shape[1], ls), (1e-2, 1e2), nu=nu)
        if noise and cap:
            kernel = kernel + WhiteKernel(cap, (MIN_NOISE, cap))
        elif noise:
            kernel = kernel + WhiteKernel(1.0 if init1 else 1e-2, (MIN_NOISE, 1e2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = GaussianProcessRegressor(
                kernel,
                alpha=alpha,
                normalize_y=True,
                random_state=random_state,
                optimizer=optimizer(x.shape[1], kscale, noise, rate, gtol),
            )
            g.fit(x[hyper], y[hyper])
        if raw:
            return g
        if noise and cut:  # thirteenth round: the noisy model only while its noise is small
            STATS.append(float(g.kernel_.k2.noise_level) <= cut)
            if not STATS[-1]:
                return base(
                    x, y, hyper, nu=nu, alpha=alpha, length_scale=length_scale, random_state=random_state
                )
        if noise:  # the posterior of f: the fitted noise as alpha, the sd without it
            post = gaussian.posterior(
                g.kernel_.k1, x, y, alpha + (0.0 if kernonly else float(g.kernel_.k2.noise_level))
            )
            if loo:
                plain = base(
                    x, y, hyper, nu=nu, alpha=alpha, length_scale=length_scale, random_state=random_state
                )
                STATS.append(loo_logpdf(post) > loo_logpdf(plain))
                return post if STATS[-1] else plain
            post.noise_ = float(g.kernel_.k2.noise_level)  # ls40c's believer: the finished trials' noise
            return post
        return gaussian.posterior(g.kernel_, x, y, alpha) if len(hyper) < len(y) else g

    return fit


def _lengths(gp) -> np.ndarray:
    k = gp.kernel_
    while not hasattr(k, "length_scale"):
        k = k.k2
    return np.asarray(k.length_scale, dtype=float)


def make_maximise(roulette: bool, lsl: bool):
    """The shipped _maximise's pool (random + near the best trials), then its shrinking local
    rounds, with GPSampler's start selection (`roulette`) and/or steps in length-scale units (`lsl`)."""

    def maximise(self, gp, best, near, rng):
        pool = [self.cube.random(rng, self.warm_up)]
        for scale in (0.05, 0.15):
            pool.append(
                self.cube.project(
                    np.repeat(near, 50, axis=0) + rng.normal(0, scale, (50 * len(near), self.cube.n_columns))
                )
            )
        u = np.vstack(pool)
        score = self._acquisition(gp, u, best)
        step = np.minimum(_lengths(gp), 1.0) if lsl else np.ones(self.cube.n_columns)
        if roulette:
            i0 = int(np.argmax(score))
            p = np.exp(score - score[i0])
            p[i0] = 0.0
            k = min(self.starts - 1, int(np.count_nonzero(p > 0)))
            idx = [i0]
            if k > 0:
                idx += list(rng.choice(len(u), size=k, replace=False, p=p / p.sum()))
            tops = []
            per = LOCAL_POINTS // self.starts + 1
            for i in idx:  # each start refined on its own
                top, ts = u[i : i + 1], score[i : i + 1]
                for scale in gpmod.LOCAL_ROUNDS:
                    local = self.cube.project(
                        top + rng.normal(0, 1, (per, self.cube.n_columns)) * scale * step
                    )
                    s = self._acquisition(gp, local, best)
                    if s.max() > ts[0]:
                        top, ts = local[np.argmax(s)][None, :], s[np.argmax(s)][None]
                tops.append((float(ts[0]), top[0]))
            tops.sort(key=lambda t: -t[0])
            top = np.array([t[1] for t in tops])
        else:
            top = u[np.argsort(-score)[: self.starts]]
            top_score = np.sort(score)[::-1][: self.starts]
            per = LOCAL_POINTS // len(top) + 1
            for scale in gpmod.LOCAL_ROUNDS:
                local = self.cube.project(
                    np.repeat(top, per, axis=0)
                    + rng.normal(0, 1, (per * len(top), self.cube.n_columns)) * scale * step
                )
                both = np.vstack([top, local])
                s = np.concatenate([top_score, self._acquisition(gp, local, best)])
                order = np.argsort(-s)[: self.starts]
                top, top_score = both[order], s[order]
        return np.vstack([top, u[np.argsort(-score)[:20]]])

    return maximise


LOCAL_POINTS = gpmod.LOCAL_POINTS


def record_losses() -> None:
    """ls40c: gp.py's compression() sees every finished trial's loss in trial order; keep the
    latest call's argument (the fit follows it in the same suggestion)."""
    plain = gpmod.believer_compression = gpmod.compression

    def compression(loss):
        LOSSES[:] = [np.array(loss, dtype=float)]
        return plain(loss)

    gpmod.compression = compression


SHIPPED_BELIEVE = gpmod.GPTuner._believe


def believe_with_noise(self, gp, x, y, pending):
    """The Kriging believer on the noisy posterior: the running trials join it at the predicted
    loss without the noise (the sd collapses there, so the batch spreads), the finished trials keep
    their fitted noise. On the noiseless model it is the shipped _believe."""
    noise = getattr(gp, "noise_", 0.0)
    if not noise:
        return SHIPPED_BELIEVE(self, gp, x, y, pending)
    believed = gp.predict(pending)
    both = np.vstack([x, pending])
    alpha = np.concatenate([np.full(len(x), self.alpha + noise), np.full(len(pending), self.alpha)])
    return gaussian.posterior(gp.kernel_, both, np.concatenate([y, believed]), alpha), both, believed


def make_plugin(maximise):
    """The threshold: the lowest posterior mean at the trials the posterior holds."""

    def wrapped(self, gp, best, near, rng):
        return maximise(self, gp, float(np.min(gp.predict(gp.X_train_))), near, rng)

    return wrapped


def make_sobol(maximise):
    """cube.random's first call in a suggestion's maximise (the warm-up pool) draws scrambled Sobol points."""
    from scipy.stats import qmc

    def wrapped(self, gp, best, near, rng):
        cube = self.cube
        plain = type(cube).random

        def sobol(c, r, m):
            if m != self.warm_up:
                return plain(c, r, m)
            # GPSampler's 2048: a power of 2 keeps the Sobol points balanced
            return qmc.Sobol(c.n_columns, scramble=True, seed=int(r.integers(2**31))).random_base2(
                (m - 1).bit_length()
            )

        cube.random = sobol.__get__(cube)
        try:
            return maximise(self, gp, best, near, rng)
        finally:
            del cube.random

    return wrapped


def apply(variant: str) -> dict:
    parts = set() if variant == "gp" else set(variant.split("+"))
    # `gp`: the GP as shipped before this round (47bcd97), also once the fitted noise is adopted
    gpmod.GPTuner.noise_prior = False
    gpmod.GPTuner.start_length = 0.5  # and its start before this round (init1 sets 1)
    known = {"noise", "kscale", "init1", "hyperall", "roulette", "lsl", "starts10"}
    known |= {"plugin", "loo", "rate300", "sobol", "alt", "kernonly", "early50"}  # ninth round
    known |= {"stall10", "stall20", "gtol"}  # tenth round
    known |= set(gp_warp.WARPS)  # twelfth round
    known |= {"cut02", "cut01", "nug003", "cap02", "run40", "ls40", "nf4"}  # thirteenth round (nf4: lead)
    known |= {"ls40c", "sbel"}  # fourteenth round
    if parts - known:
        sys.exit(f"unknown variant part(s) {sorted(parts - known)}; known: {sorted(known)}")
    if "gtol" in parts and not parts & {"noise", "init1"}:
        sys.exit("gtol needs a patched fit: with init1 or noise")
    if parts & {"noise", "kscale", "init1"}:
        gpmod.gaussian.fit = make_fit(
            "kscale" in parts,
            "noise" in parts,
            "init1" in parts,
            "loo" in parts,
            300.0 if "rate300" in parts else NOISE_PRIOR[1],
            "alt" in parts,
            "kernonly" in parts,
            "early50" in parts,
            10 if "stall10" in parts else 20 if "stall20" in parts else 0,
            "gtol" in parts,
            cut=0.02 if "cut02" in parts else 0.01 if "cut01" in parts else 0.0,
            cap=0.02 if "cap02" in parts else 0.0,
            run40="run40" in parts,
            ls40="ls40" in parts,
            floor=1e-4 if "nf4" in parts else 0.0,
            tailcheck="ls40c" in parts,
        )
    if "ls40c" in parts:
        if "ls40" not in parts:
            sys.exit("ls40c needs ls40")
        record_losses()
        if "sbel" not in parts:  # sbel: the shipped _believe (the finished trials lose the noise too)
            gpmod.GPTuner._believe = believe_with_noise
    if "cap02" in parts and "noise" not in parts:
        sys.exit("cap02 needs noise")
    gp_warp.apply_warp(parts)
    if "hyperall" in parts:
        gpmod.MAX_HYPER = 10**6
    if parts & {"roulette", "lsl"}:
        gpmod.GPTuner._maximise = make_maximise("roulette" in parts, "lsl" in parts)
    if "sobol" in parts:
        gpmod.GPTuner._maximise = make_sobol(gpmod.GPTuner._maximise)
    if "plugin" in parts:
        gpmod.GPTuner._maximise = make_plugin(gpmod.GPTuner._maximise)
    args: dict = {"selection_num_starting_points": 10} if "starts10" in parts else {}
    if "nug003" in parts:
        args["alpha"] = 0.003
    return args


if __name__ == "__main__":
    variant, func, s0, s1, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    args = apply(variant)
    parallel = int(os.environ.get("PARALLEL", "1"))  # twelfth round: trials always running
    done = set()
    if os.path.exists(out):
        with open(out) as fh:
            done = {
                r["s"]
                for r in map(json.loads, fh)
                if r["t"] == variant and r["f"] == func and r.get("p", 1) == parallel
            }
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    diag = os.environ.get("DIAG") == "1"  # ls40c: the choice at 40 finished trials only
    if os.environ.get(
        "NOISY_ONLY"
    ):  # ls40c: only the seeds whose DIAG row (in that file) chose the noisy model
        with open(os.environ["NOISY_ONLY"]) as fh:
            noisy = {
                r["s"]
                for r in map(json.loads, fh)
                if r["t"] == variant and r["f"] == func and r.get("p", 1) == parallel and r["noisy"]
            }
        done |= set(range(s0, s1)) - noisy
    for s in range(s0, s1):
        if s in done:
            continue
        if time.time() > stop_at:
            break
        t = time.perf_counter()
        if diag:
            CHOICE.clear()
            tp.run_autolab("gp", func, RUN_AT + parallel, s, parallel, args)
            row = {"t": variant, "f": func, "s": s, **CHOICE}
            if parallel != 1:
                row["p"] = parallel
            STATS.clear()
            with open(out, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            continue
        best, _ = tp.run_autolab("gp", func, 100, s, parallel, args)
        row = {
            "t": variant,
            "f": func,
            "s": s,
            "r": float(best - tp.FUNCS[func][1]),
            "sec": round(time.perf_counter() - t, 2),
        }
        if parallel != 1:
            row["p"] = parallel
        if STATS:  # loo: share of fits that kept the noisy model
            row["noisy_kept"] = round(sum(STATS) / len(STATS), 3)
            STATS.clear()
        row.update(gp_warp.row_stats())
        with open(out, "a") as fh:
            fh.write(json.dumps(row) + "\n")
