"""Parallel-TPE variants patched into autolab, one seed at a time (issue 24, third round).

    python bench/tpe_variants.py VARIANT FUNC PARALLEL SEED0 SEED1 [TUNER] [OUT]

appends {"v", "t", "f", "p", "s", "r"} (variant, tuner, function, trials running, seed, regret at
100 evaluations) per seed to OUT (default /tmp/tpe_variants.jsonl), through
tuner_problems.run_autolab. Variants (bench/README.md, "Tuners v2 (issue 24), third round"):
base (the code as it is); x1b (liar kernels of l's width, believer on); ts / tsi (a joint /
independent posterior sample per running trial instead of the believer's mean); P<flags> with
flags joined by '+': exl (a running trial believed into l keeps its rank but adds no kernel to l),
nl (no liar kernel for those), x1, conf (kept in l only if mean + 1 sd still ranks there), cv (exl
unless the believer's leave-one-out Spearman >= 0.9), alt (with exl: exl on every other suggestion, by
the parity of the finished trials' count: half the batch each way); W<name>[:<params>] (comma-separated; fourth round: the
liar kernels' width from l's measured spread; everything else as committed): Wdiag (as committed, logging
l's and the best quarter's spread per call to /tmp/tpe_variants_diag.jsonl), Wspread:s0 (factor max(1, 0.25 d x
min(1, s0 / l's rank-weighted std in the unit box))), Wtop:s0 (the same on the best quarter's std),
Wnn:c (width at most c x the median nearest-neighbour distance among l's points), Wearly:n0 (l's own
width, x1, while fewer than n0 trials have finished; as committed after), Wlate:n0 (the reverse), Wlatetop:s0[,n0] (as
committed before n0 (40) finished trials, Wtop:s0 after), Wls:l0 (x 1.5 scaled down by the believer's
median length scale / l0, at least x 1; Wls:0 logs the length scales), Wlatels:l0[,n0] (as committed before n0 (60)
finished trials, Wls:l0 after); Seps / Sstep: SMAC's log scale with eps
1e-6 x the range (1e-3 now) / each local-search round's steps 0.2 or 0.05 of a range. TUNER: any autolab tuner (variant base).
"""

# ruff: noqa  (a measuring script: monkeypatches kept close to the code they replace)
import json, os, sys, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
import autolab.tuners.tpe as tpe
import autolab.tuners.believer as bel
from autolab.tuners.observations import RUNNING
from tuner_problems import run_autolab, FUNCS

variant, func, par, s0, s1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
tuner = sys.argv[6] if len(sys.argv) > 6 else "tpe"
OUT = sys.argv[7] if len(sys.argv) > 7 else "/tmp/tpe_variants.jsonl"
RNG = [np.random.default_rng(0)]


def thompson_call(self, obs, scale=1.0):
    done = np.flatnonzero(obs.kind != RUNNING)
    running = np.flatnonzero(obs.kind == RUNNING)
    if not len(running) or len(done) < 2:
        return None
    fit = bel.best_and_newest(done, obs.loss, bel.MAX_FIT)
    lo, shift = bel.compression(obs.loss[done])
    y = obs.loss[fit] if shift is None else np.log(obs.loss[fit] - lo + shift)
    x = self.cube.encode(obs.x[fit])
    try:
        key = x.tobytes() + y.tobytes()
        if self._last is None or self._last[0] != key:
            self._last = (
                key,
                self._fit(x, y, np.searchsorted(fit, bel.best_and_newest(fit, obs.loss, bel.MAX_HYPER))),
            )
        mean, cov = self._last[1].predict(self.cube.encode(obs.x[running]), return_cov=True)
        if VAR_MODE == "indep":
            believed = mean + scale * np.sqrt(np.maximum(np.diag(cov), 0)) * RNG[0].standard_normal(len(mean))
        else:
            believed = RNG[0].multivariate_normal(mean, scale**2 * cov, method="eigh")
    except (np.linalg.LinAlgError, ValueError):
        return None
    believed = np.asarray(believed, dtype=float)
    if shift is not None:
        believed = np.exp(believed) + lo - shift
    return believed if np.all(np.isfinite(believed)) else None


VAR_MODE = "joint"
import math


def conf_call(self, obs):
    self._mean = self._std = None
    done = np.flatnonzero(obs.kind != RUNNING)
    running = np.flatnonzero(obs.kind == RUNNING)
    if not len(running) or len(done) < 2:
        return None
    fit = bel.best_and_newest(done, obs.loss, bel.MAX_FIT)
    lo, shift = bel.compression(obs.loss[done])
    y = obs.loss[fit] if shift is None else np.log(obs.loss[fit] - lo + shift)
    x = self.cube.encode(obs.x[fit])
    try:
        key = x.tobytes() + y.tobytes()
        if self._last is None or self._last[0] != key:
            self._last = (
                key,
                self._fit(x, y, np.searchsorted(fit, bel.best_and_newest(fit, obs.loss, bel.MAX_HYPER))),
            )
        mean, std = self._last[1].predict(self.cube.encode(obs.x[running]), return_std=True)
    except (np.linalg.LinAlgError, ValueError):
        return None
    back = (lambda v: v) if shift is None else (lambda v: np.exp(v) + lo - shift)
    self._mean, self._std, self._back = mean, std, back
    believed = back(mean)
    return believed if np.all(np.isfinite(believed)) else None


def upper_k(self, k):
    if self._mean is None:
        return None
    return self._back(self._mean + k * self._std)


bel.Believer.upper_k = upper_k
CV_MIN = 0.9
from scipy.stats import spearmanr

_orig_fit = bel.Believer._fit


def cv_fit(self, x, y, hyper):
    gp = _orig_fit(self, x, y, hyper)
    try:
        K = gp.kernel_(gp.X_train_) + np.diag(np.broadcast_to(gp.alpha, len(gp.X_train_)))
        Ki = np.linalg.inv(K)
        loo = gp.y_train_ - (Ki @ gp.y_train_) / np.diag(Ki)
        self.loo = float(spearmanr(loo, gp.y_train_).correlation)
    except Exception:
        self.loo = 0.0
    return gp


from autolab.tuners.parzen import Parzen


def committed_width(self, low, group, obs, below, low_weights, pending, rows):
    return np.minimum(
        low.obs_sigma * max(1.0, tpe.LIAR_WIDTH_PER_DIM * len(group.numeric)),
        group.bounds.high - group.bounds.low,
    )


LIAR_WIDTH = [committed_width]

FLAGS = set()


def cand(self, group, obs, running, rng):
    active = ~np.isnan(obs.x[:, group.first])
    rows = np.flatnonzero(active & (obs.kind != RUNNING))
    if len(rows) < 2:
        return None
    order = rows[np.argsort(obs.loss[rows], kind="stable")]
    n_below = min(max(1, math.ceil(self.args["gamma"] * len(rows))), tpe.MAX_BELOW, len(rows) - 1)
    below, above = np.sort(order[:n_below]), np.sort(order[n_below:])
    pw = float(self.args["prior_weight"])

    def fit(part, extra=None, rank_weights=None):
        part, weights = tpe._thin(
            part, self._weights(len(part)) * (1.0 if rank_weights is None else rank_weights)
        )
        return Parzen(
            obs.x[part][:, group.numeric],
            obs.x[part][:, group.choice],
            weights,
            group.bounds,
            pw,
            extra=extra,
        )

    position = np.empty(len(obs.loss), dtype=int)
    position[order] = np.arange(len(order))
    low_weights = np.exp(-position[below] / max(self.rank_decay, tpe.RANK_DECAY_SHARE * len(below)))
    low_weights *= len(below) / low_weights.sum()
    if "conf" in FLAGS:  # pending believed into l stay in l's density only if mean + k std still ranks there
        k = 2.0 if "k2" in FLAGS else (0.5 if "k05" in FLAGS else 1.0)
        up = self.believe.upper_k(k)
        pos = {r: i for i, r in enumerate(running)}
        fin = below[~np.isin(below, running)]
        if len(fin) and up is not None:
            limit = obs.loss[fin].max()
            drop = np.array([r in running and up[pos[r]] > limit for r in below])
            if drop.any() and not drop.all():
                below, low_weights = below[~drop], low_weights[~drop]
    if "cv" in FLAGS and getattr(self.believe, "loo", 1.0) < CV_MIN:
        keep = ~np.isin(below, running)
        if keep.any():
            below, low_weights = below[~np.isin(below, running)], low_weights[keep]
    hedge_off = "alt" in FLAGS and int(np.sum(obs.kind != RUNNING)) % 2 == 1
    if "exl" in FLAGS and not hedge_off:  # pending believed into l: dropped from l (they still took their rank)
        keep = ~np.isin(below, running)
        if keep.any():
            below, low_weights = below[keep], low_weights[keep]
    low = fit(below, rank_weights=low_weights)
    pending = running[active[running]]
    if "nl" in FLAGS:
        pending = pending[~np.isin(pending, below)]
    if len(pending):
        width = LIAR_WIDTH[0](self, low, group, obs, below, low_weights, pending, rows)
        extra = (obs.x[pending][:, group.numeric], obs.x[pending][:, group.choice], width)
        high = fit(above, extra)
    else:
        high = fit(above)
    xn, xc = low.sample(rng, int(self.args["n_ei_candidates"]))
    score = low.log_pdf(xn, xc) - high.log_pdf(xn, xc)
    best_first = np.argsort(-score, kind="stable")
    return xn[best_first], xc[best_first]


CUR = [func, -1]


def _unit(group, x):
    return (x - group.bounds.low) / (group.bounds.high - group.bounds.low)


def _nn(u):
    """Median nearest-neighbour distance among the rows of u, per dim (divided by sqrt(d))."""
    if len(u) < 2:
        return np.nan
    d2 = ((u[:, None, :] - u[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    return float(np.median(np.sqrt(d2.min(1)))) / np.sqrt(u.shape[1])


def diag_width():
    def width(self, low, group, obs, below, low_weights, pending, rows):
        w = committed_width(self, low, group, obs, below, low_weights, pending, rows)
        box = group.bounds.high - group.bounds.low
        ub = _unit(group, obs.x[below][:, group.numeric])
        order = rows[np.argsort(obs.loss[rows], kind="stable")]
        top = order[: max(4, len(rows) // 4)]
        ut = _unit(group, obs.x[top][:, group.numeric])
        rec = {
            **{"f": CUR[0], "s": CUR[1], "n": len(rows), "nl": len(below), "best": float(obs.loss[order[0]])},
            **{"npl": int(np.isin(below, pending).sum()), "obs": float(np.mean(low.obs_sigma / box))},
            **{"std_l": _std_l(group, obs, below, low_weights), "nn_l": _nn(ub)},
            **{"std_t": float(ut.std(0).mean()), "nn_t": _nn(ut)},
        }
        with open("/tmp/tpe_variants_diag.jsonl", "a") as fh:
            fh.write(json.dumps(rec) + "\n")
        return w

    return width


def _std_l(group, obs, below, low_weights):
    """l's rank-weighted spread: the per-dim weighted std of its points in the unit box, averaged."""
    ub = _unit(group, obs.x[below][:, group.numeric])
    mean = np.average(ub, 0, low_weights)
    return float(np.sqrt(np.maximum(np.average((ub - mean) ** 2, 0, low_weights), 0)).mean())


def spread_width(s0=0.06):
    """liar factor max(1, 0.25 d x min(1, s0 / l's spread)): as committed while l is concentrated
    (spread <= s0 of the box), down to l's own width as l spreads across basins."""

    def width(self, low, group, obs, below, low_weights, pending, rows):
        d = len(group.numeric)
        if not d:
            return low.obs_sigma
        sl = _std_l(group, obs, below, low_weights)
        f = max(1.0, tpe.LIAR_WIDTH_PER_DIM * d * min(1.0, s0 / max(sl, 1e-12)))
        return np.minimum(low.obs_sigma * f, group.bounds.high - group.bounds.low)

    return width


def top_width(s0=0.08):
    """as spread_width, the spread measured on the best quarter of the trials (at least 4), not l."""

    def width(self, low, group, obs, below, low_weights, pending, rows):
        d = len(group.numeric)
        if not d:
            return low.obs_sigma
        order = rows[np.argsort(obs.loss[rows], kind="stable")]
        top = order[: max(4, len(rows) // 4)]
        st = float(_unit(group, obs.x[top][:, group.numeric]).std(0).mean())
        f = max(1.0, tpe.LIAR_WIDTH_PER_DIM * d * min(1.0, s0 / max(st, 1e-12)))
        return np.minimum(low.obs_sigma * f, group.bounds.high - group.bounds.low)

    return width


def early_width(n0=40.0):
    """l's own width (x1) while fewer than n0 trials have finished, as committed after."""

    def width(self, low, group, obs, below, low_weights, pending, rows):
        if len(rows) - int(np.isin(rows, pending).sum()) < n0:
            return low.obs_sigma
        return committed_width(self, low, group, obs, below, low_weights, pending, rows)

    return width


def late_width(n0=40.0):
    """as committed while fewer than n0 trials have finished, l's own width (x1) after."""

    def width(self, low, group, obs, below, low_weights, pending, rows):
        if len(rows) - int(np.isin(rows, pending).sum()) >= n0:
            return low.obs_sigma
        return committed_width(self, low, group, obs, below, low_weights, pending, rows)

    return width


def after(n0, inner):
    """as committed while fewer than n0 trials have finished; after, the liar width `inner`."""

    def width(self, low, group, obs, below, low_weights, pending, rows):
        if len(rows) - int(np.isin(rows, pending).sum()) < n0:
            return committed_width(self, low, group, obs, below, low_weights, pending, rows)
        return inner(self, low, group, obs, below, low_weights, pending, rows)

    return width


def late_top_width(s0=0.04, n0=40):
    """top_width(s0) from n0 finished trials on: l's own width (x1) once the best quarter is
    spread across basins, as committed while it is concentrated."""
    return after(n0, top_width(s0))


def ls_width(l0=0.0):
    """x1.5 scaled by the believer's median fitted length scale (unit cube) / l0, at least x1:
    a rugged surface (short length scales) gets l's own width. l0 = 0: as committed, logging the
    length scales to /tmp/tpe_variants_ls.jsonl."""

    def width(self, low, group, obs, below, low_weights, pending, rows):
        last = self.believe._last
        if last is None or not len(group.numeric):
            return committed_width(self, low, group, obs, below, low_weights, pending, rows)
        ls = float(np.median(np.atleast_1d(last[1].kernel_.k2.length_scale)))
        if l0 <= 0:
            n = len(rows) - int(np.isin(rows, pending).sum())
            with open("/tmp/tpe_variants_ls.jsonl", "a") as fh:
                fh.write(json.dumps({"f": CUR[0], "s": CUR[1], "n": n, "ls": ls}) + "\n")
            return committed_width(self, low, group, obs, below, low_weights, pending, rows)
        f = max(1.0, tpe.LIAR_WIDTH_PER_DIM * len(group.numeric) * min(1.0, ls / l0))
        return np.minimum(low.obs_sigma * f, group.bounds.high - group.bounds.low)

    return width


def late_ls_width(l0=1.0, n0=60):
    """ls_width(l0) from n0 finished trials on."""
    return after(n0, ls_width(l0))


def nn_width(c=2.0):
    """liar width min(committed, c x the median nearest-neighbour distance among l's points)."""

    def width(self, low, group, obs, below, low_weights, pending, rows):
        w = committed_width(self, low, group, obs, below, low_weights, pending, rows)
        if len(below) < 2 or not len(group.numeric):
            return w
        box = group.bounds.high - group.bounds.low
        return np.minimum(w, c * _nn(_unit(group, obs.x[below][:, group.numeric])) * box)

    return width


WIDTHS = {"diag": diag_width, "spread": spread_width, "top": top_width, "nn": nn_width, "early": early_width, "late": late_width, "latetop": late_top_width, "ls": ls_width, "latels": late_ls_width}

if variant.startswith("P"):  # P<flags joined by +>, e.g. Px1+nl
    FLAGS = set(variant[1:].split("+"))
    if "x1" in FLAGS:
        tpe.LIAR_WIDTH_PER_DIM = 0.0
    if "conf" in FLAGS:
        bel.Believer.__call__ = conf_call
    if "cv" in FLAGS:
        bel.Believer._fit = cv_fit
    tpe.TpeTuner._candidates = cand
elif variant.startswith("W"):  # liar width variants (fourth round): W<name>[:<param>]
    name, _, param = variant[1:].partition(":")
    LIAR_WIDTH[0] = WIDTHS[name](*[float(v) for v in param.split(",")]) if param else WIDTHS[name]()
    tpe.TpeTuner._candidates = cand
elif variant in ("Seps", "Sstep"):  # SMAC: log scale with eps 1e-6 x range / local-search steps 0.2 or 0.05
    import autolab.tuners.smac as smac

    if variant == "Seps":

        def _log_scale(loss):
            spread = float(loss.max() - loss.min())
            eps = 1e-6 * spread if spread > 0 else 1.0
            return np.log(loss - loss.min() + eps) if math.isfinite(spread) else loss

        smac._log_scale = _log_scale
    else:
        _neighbours = smac.SmacTuner._neighbours

        def neighbours(self, rows, rng):
            smac.STEP_SD = 0.2 if rng.random() < 0.5 else 0.05
            return _neighbours(self, rows, rng)

        smac.SmacTuner._neighbours = neighbours
elif variant == "base":
    pass
elif variant == "x1b":
    tpe.LIAR_WIDTH_PER_DIM = 0.0
elif variant.startswith("ts"):  # ts, tsi (independent), ts05 (half scale)
    VAR_MODE = "indep" if variant.startswith("tsi") else "joint"
    sc = 0.5 if variant.endswith("05") else 1.0
    bel.Believer.__call__ = lambda self, obs: thompson_call(self, obs, sc)
else:
    raise SystemExit("unknown variant")

t0 = time.time()
with open(OUT, "a") as out:
    for s in range(s0, s1):
        RNG[0] = np.random.default_rng(1000 + s)
        CUR[1] = s
        best, _ = run_autolab(tuner, func, 100, s, par)
        out.write(
            json.dumps({"v": variant, "t": tuner, "f": func, "p": par, "s": s, "r": best - FUNCS[func][1]})
            + "\n"
        )
        out.flush()
print(variant, func, par, s0, s1, "done", round(time.time() - t0), "s", file=sys.stderr)
