"""Sixteenth round (bench/gp_r17_declared.md): routes to the GP's noisy model that read the noise.

    python bench/gp_r17_check.py diag FUNC S0 S1 OUT        # the choice statistics at 40 finished trials
    python bench/gp_r17_check.py run VARIANT FUNC S0 S1 OUT [DIAG [V2]]  # 100 evaluations, sequential
    python bench/gp_r17_check.py summary DIAG               # each statistic's spread per function
    python bench/gp_r17_check.py same DIAG OUT VARIANT      # the variant itself on 2 changed / 2 unchanged seeds
    python bench/gp_r17_check.py bowl DIAG2 OUT             # information: force's outcome by the trend's shape
    python bench/gp_r17_check.py select DIAG OUT VARIANT... # step 1 tables
    python bench/gp_r17_check.py report DIAG OUT VARIANT    # step 2 tables

VARIANT `gp` is the shipped GP (this worktree's autolab); every other variant keeps the shipped choice and
adds one route to the noisy model (GPTuner._noisy_model patched; still a function of the first NOISE_AT
finished trials, cached by them; with a trial running it is not called, as shipped). A route fires only
when the first 40 losses have no long tail (as the shipped choice requires). `run ... changed` runs only the
seeds whose DIAG row says the variant's (or V2's) choice differs from the shipped one. Rows: DIAG {"f", "s", stats};
runs {"t", "f", "s", "p", "r", "sec"}. `run` skips seeds already in OUT and starts none after STOP_AT.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
import numpy as np  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

import autolab.tuners.gp as gpmod  # noqa: E402
from autolab.tuners import gaussian  # noqa: E402
from autolab.tuners.believer import compression  # noqa: E402
from autolab.tuners.observations import Observations, as_losses  # noqa: E402

GPTuner = gpmod.GPTuner
_SHIPPED = GPTuner._noisy_model
TABLE = (
    "rastrigin6 rastrigin6-noisy levy6 griewank8 ackley5 michalewicz5 michalewicz5-noisy schwefel4 "
    "rosenbrock4 branin hartmann6 mixed"
).split()
# the routes' thresholds (bench/gp_r17_declared.md); a route reads one DIAG statistic
ROUTES: dict[str, tuple[str, float]] = {}
STATS: dict[str, Any] = {}


def first_trials(self: Any, raw: Observations, done: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first NOISE_AT finished trials as _noisy_model reads them (cube x, losses among themselves)."""
    first = done[: gpmod.NOISE_AT]
    steps = None if raw.steps is None else raw.steps[first]
    own = as_losses(
        Observations(raw.x[first], raw.loss[first], raw.kind[first], steps), self.optimize_mode == "maximize"
    )
    return self.cube.encode(own.x), np.asarray(own.loss, dtype=float)


def loo(x: np.ndarray, y: np.ndarray, g: Any, noise: float, trended: bool) -> float:
    """Leave-one-out log predictive density of the observed losses (their own units), the kernel's
    hyperparameters fixed at the fit on all rows; with `trended` the quadratic trend refitted without
    the left-out row each time. `g`: the fitted posterior (its kernel_ and y normalisation)."""
    kern = g.kernel_
    m, s = float(np.ravel(g._y_train_mean)[0]), float(np.ravel(g._y_train_std)[0])
    k = kern(x)
    total = 0.0
    idx = np.arange(len(y))
    for i in idx:
        o = idx != i
        t_o = t_i = 0.0
        if trended:
            f = gaussian.quadratic(x)
            coef = np.linalg.lstsq(f[o], y[o], rcond=None)[0]
            t_o, t_i = f[o] @ coef, float(f[i] @ coef)
        z = (y[o] - t_o - m) / s
        kk = k[np.ix_(o, o)] + (1e-6 + noise) * np.eye(int(o.sum()))
        c = np.linalg.cholesky(kk)
        ki = k[o, i]
        a = np.linalg.solve(c.T, np.linalg.solve(c, z))
        v = np.linalg.solve(c, ki)
        mu = t_i + m + s * float(ki @ a)
        var = s * s * max(float(k[i, i] - v @ v) + 1e-6 + noise, 1e-12)
        total += -0.5 * np.log(2 * np.pi * var) - 0.5 * (y[i] - mu) ** 2 / var
    return float(total)


def stats(self: Any, x: np.ndarray, loss: np.ndarray) -> dict[str, Any]:
    """Every route's statistic on the first 40 finished trials (and the shipped choice's)."""
    n = len(loss)
    kw: dict[str, Any] = {
        "nu": self.nu,
        "alpha": self.alpha,
        "length_scale": self.start_length,
        "prior": self.length_prior,
    }
    out: dict[str, Any] = {"tail": compression(loss)[1] is not None}
    g0 = gaussian.fit(x, loss, np.arange(n), **kw)
    gm = float(np.exp(np.mean(np.log(np.asarray(g0.kernel_.k2.length_scale, dtype=float)))))
    out["gm"] = round(gm, 4)
    out["shipped"] = (not out["tail"]) and gm >= gpmod.NOISE_LENGTH
    g1 = gaussian.fit(x, loss, np.arange(n), noise=True, **kw)  # noisy, no trend
    trend = gaussian.Trended(x, loss)
    res = loss - trend.trend(x)
    g2 = gaussian.fit(x, res, np.arange(n), noise=True, **kw)  # noisy on the trend's residuals
    for name, g in (("n", g1), ("t", g2)):
        c = float(g.kernel_.k1.constant_value)
        out[f"share_{name}"] = round(g.noise_ / (c + g.noise_), 5)
        out[f"noise_{name}"] = g.noise_
    out["r2_trend"] = round(1 - float(np.var(res)) / float(np.var(loss)), 4)
    d = x.shape[1]  # the trend's shape (information): c + sum_j b_j v_j + a_j v_j^2, v = u - 0.5
    b, a = trend.coef[1 : 1 + d], trend.coef[1 + d :]
    out["convex"] = round(float(np.mean(a > 0)), 4)  # the share of columns curving up
    vertex = np.where(a > 0, -b / (2 * np.where(a > 0, a, 1.0)), np.nan)
    out["bowl"] = bool(np.all(a > 0) and np.all(np.abs(vertex) <= 0.5))  # a bowl with its low point inside
    out["vertex_r"] = round(float(np.sqrt(np.nanmean(vertex**2))), 4) if np.any(a > 0) else None
    out["lml_0"] = float(g0.log_marginal_likelihood(g0.kernel_.theta))  # the likelihood, not the prior's mode
    out["lml_n"] = float(g1.log_marginal_likelihood_value_)
    out["loo_0"] = loo(x, loss, g0, 0.0, False)
    out["loo_n"] = loo(x, loss, g1, g1.noise_, False)
    out["loo_t"] = loo(x, loss, g2, g2.noise_, True)
    return out


def route_value(st: dict[str, Any], stat: str) -> float:
    if stat == "always":  # `force`: every seed without a long tail (the noisy arm every variant shares)
        return 1.0
    if stat == "sht_r2":  # share_t >= 0.9 and r2_trend >= 0.45 (as one number >= 1)
        return min(st["share_t"] / 0.9, st["r2_trend"] / 0.45)
    if stat == "dloo_t":
        return st["loo_t"] - st["loo_0"]
    if stat == "dloo_n":
        return st["loo_n"] - st["loo_0"]
    if stat == "dlml":
        return st["lml_n"] - st["lml_0"]
    return float(st[stat])


def choice(st: dict[str, Any], variant: str) -> bool:
    if variant == "gp":
        return bool(st["shipped"])
    stat, cut = ROUTES[variant]
    return bool(st["shipped"]) or (not st["tail"] and route_value(st, stat) >= cut)


def use(variant: str, record: bool = False) -> None:
    """Patch the choice: `record` stores the statistics (DIAG); a variant adds its route."""
    if variant == "gp" and not record:
        return

    def noisy_model(self: Any, raw: Observations, done: np.ndarray) -> bool:
        if len(done) < gpmod.NOISE_AT:
            return False
        x, loss = first_trials(self, raw, done)
        key = x.tobytes() + loss.tobytes()
        cached = getattr(self, "_r17_choice", None)
        if cached is None or cached[0] != key:
            shipped = bool(_SHIPPED(self, raw, done))
            tail = compression(loss)[1] is not None
            # the statistics only where a route can change the choice (not on the noisy model, no tail)
            st = {"shipped": shipped, "tail": tail} if shipped or tail else stats(self, x, loss)
            if record:
                STATS.clear()
                STATS.update(st)
            assert shipped == st["shipped"], "the statistics' shipped choice differs from gp.py's"
            cached = (key, shipped or (variant != "gp" and choice({**st, "shipped": shipped}, variant)))
            self._r17_choice = cached
        return bool(cached[1])

    GPTuner._noisy_model = noisy_model  # type: ignore[method-assign]


def load(out: str) -> list[dict]:
    path = os.path.join(HERE, out)
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh]


def write(out: str, row: dict) -> None:
    with open(os.path.join(HERE, out), "a") as fh:
        fh.write(json.dumps(row) + "\n")


def diag(func: str, seeds: list[int], out: str) -> None:
    import tuner_problems as tp

    use("gp", record=True)
    have = {r["s"] for r in load(out) if r["f"] == func}
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    for seed in seeds:
        if seed in have or time.time() > stop_at:
            continue
        STATS.clear()
        start = time.perf_counter()
        tp.run_autolab("gp", func, gpmod.NOISE_AT + 1, seed, 1)
        write(out, {"f": func, "s": seed, **STATS, "sec": round(time.perf_counter() - start, 2)})


def diag_rows(name: str) -> dict[tuple[str, int], dict]:
    return {(r["f"], r["s"]): r for r in load(name)}


def run(variant: str, func: str, seeds: list[int], out: str) -> None:
    import tuner_problems as tp

    use(variant)
    have = {r["s"] for r in load(out) if r["t"] == variant and r["f"] == func}
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    for seed in seeds:
        if seed in have or time.time() > stop_at:
            continue
        start = time.perf_counter()
        r = float(tp.run_autolab("gp", func, 100, seed, 1)[0] - tp.FUNCS[func][1])
        write(
            out,
            {
                "t": variant,
                "f": func,
                "s": seed,
                "p": 1,
                "r": r,
                "sec": round(time.perf_counter() - start, 2),
            },
        )


def changed(dg: dict, variant: str, func: str, seeds: list[int]) -> list[int]:
    """The seeds whose choice the variant changes (`union`: any declared variant but `force`)."""
    names = [v for v in ROUTES if v != "force"] if variant == "union" else [variant]
    return [
        s
        for s in seeds
        if (func, s) in dg and any(choice(dg[(func, s)], v) != dg[(func, s)]["shipped"] for v in names)
    ]


def sign(a: np.ndarray, b: np.ndarray) -> tuple[int, int, float]:
    w, lo = int(np.sum(a < b)), int(np.sum(a > b))
    return w, lo, binomtest(w, w + lo).pvalue if w + lo else 1.0


def duel(dg: dict, got: list[dict], variant: str, base: str, func: str, seeds: list[int]) -> dict[str, Any]:
    """The variant against `base` on `seeds`: a seed whose choice is unchanged is `base`'s run (a tie,
    counted even where `base` was not run there); medians over every seed where `base` ran ("v", "b")
    and over the changed seeds ("cv", "cb")."""
    rows = {(r["t"], r["s"]): r["r"] for r in got if r["f"] == func}
    arm = "force" if variant != base else variant  # a changed seed's run is `force`'s (declared)
    ch = set(changed(dg, variant, func, seeds))
    a, b, ca, cb, miss, n = [], [], [], [], [], 0
    for s in seeds:
        if s in ch:
            if (base, s) not in rows or (arm, s) not in rows:
                miss.append(s)
                continue
            ca.append(rows[(arm, s)])
            cb.append(rows[(base, s)])
        n += 1
        if (base, s) in rows:
            b.append(rows[(base, s)])
            a.append(rows[(arm, s)] if s in ch else rows[(base, s)])
    cav, cbv = np.array(ca), np.array(cb)
    w, lo, p = sign(cav, cbv) if len(cav) else (0, 0, 1.0)
    return {
        "n": n,
        "changed": len(ch),
        "miss": miss,
        "v": np.array(a),
        "b": np.array(b),
        "cv": cav,
        "cb": cbv,
        "w": w,
        "lo": lo,
        "p": p,
    }


def med(x: np.ndarray) -> str:
    return f"{float(np.median(x)):.4g}" if len(x) else "-"


def select(dgname: str, out: str, variants: list[str]) -> None:
    dg, got = diag_rows(dgname), load(out)
    print(
        "| variant | function | seeds | changed (run) | gp / variant, every seed gp ran (n) |"
        " gp / variant, changed seeds | wins / losses, p | passes |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for v in variants:
        for f in TABLE:
            s0, s1 = (140, 180) if f.startswith("rastrigin6") else (140, 160)
            d = duel(dg, got, v, "gp", f, list(range(s0, s1)))
            lost = d["lo"] > d["w"] and d["p"] < 0.1
            full = len(d["b"]) == s1 - s0
            mv, mb = (d["v"], d["b"]) if full else (d["cv"], d["cb"])
            if f == "rastrigin6-noisy":
                ok = d["w"] > d["lo"] and float(np.median(mv)) < float(np.median(mb))
            elif f == "rastrigin6":
                ok = not lost
            else:
                ok = not lost and (not len(mv) or float(np.median(mv)) <= 1.05 * float(np.median(mb)))
            if d["miss"]:
                ok = False  # not decided while a changed seed lacks a run
            print(
                f"| {v} | {f} | {s0}-{s1 - 1} | {d['changed']} ({d['changed'] - len(d['miss'])}) |"
                f" {med(d['b'])} / {med(d['v'])} ({len(d['b'])}) | {med(d['cb'])} / {med(d['cv'])} |"
                f" {d['w']} / {d['lo']}, p {d['p']:.2g} | {'yes' if ok else '**no**'} |"
            )


def gpsampler(func: str) -> dict[int, float]:
    out: dict[int, float] = {}
    for name in ("tuner_gp_gpsampler.jsonl", "tuner_gp_round9_table.jsonl", "tuner_gp_round10_table.jsonl"):
        out |= {
            r["s"]: r["r"]
            for r in load(name)
            if r["t"] == "optuna-gp" and r["f"] == func and r.get("p", 1) == 1
        }
    return out


def report(dgname: str, out: str, variant: str) -> None:
    dg, got = diag_rows(dgname), load(out)
    shipped = {r["s"]: r["r"] for r in load("tuner_gp_r16_lead_rn.jsonl") if r["f"] == "rastrigin6-noisy"}
    mine = {r["s"]: r["r"] for r in got if r["t"] == variant and r["f"] == "rastrigin6-noisy"}
    ch = set(changed(dg, variant, "rastrigin6-noisy", list(range(100))))
    opt = gpsampler("rastrigin6-noisy")
    print("| seeds | changed | variant | GPSampler | shipped GP | vs GPSampler | vs shipped GP |")
    print("|---|---:|---:|---:|---:|---|---|")
    for s0, s1 in ((0, 100), (0, 50), (50, 100)):
        seeds = [s for s in range(s0, s1) if s in opt and s in shipped and (s not in ch or s in mine)]
        a = np.array([mine[s] if s in ch else shipped[s] for s in seeds])
        g, b = np.array([opt[s] for s in seeds]), np.array([shipped[s] for s in seeds])
        duels = " | ".join(f"{w} / {lo}, p {pv:.2g}" for w, lo, pv in (sign(a, g), sign(a, b)))
        nch = len([s for s in seeds if s in ch])
        print(
            f"| {s0}-{s1 - 1} ({len(seeds)}) | {nch} | {np.median(a):.4g} | {np.median(g):.4g} |"
            f" {np.median(b):.4g} | {duels} |"
        )
    print()
    print("| function | seeds 0-48 | changed (run) | variant | shipped GP | wins / losses, p | lost |")
    print("|---|---|---:|---:|---:|---|---|")
    for f in TABLE:
        d = duel(dg, got, variant, "gp", f, list(range(49)))
        ran = d["changed"] - len(d["miss"])
        if not d["changed"]:
            print(f"| {f} | 0-48 | 0 (0) | | | 0 / 0, p 1 | no |")
            continue
        mv, mb = float(np.median(d["cv"])), float(np.median(d["cb"]))
        lost = d["lo"] > d["w"] and d["p"] < 0.1
        print(
            f"| {f} | 0-48 | {d['changed']} ({ran}) | {mv:.4g} | {mb:.4g} | {d['w']} / {d['lo']}, p {d['p']:.2g} |"
            f" {'**lost**' if lost else 'no'} |"
        )


def summary(dgname: str) -> None:
    """Per function: the shipped choice's and each route statistic's spread in the DIAG rows."""
    rows = load(dgname)
    keys = ("gm", "share_n", "share_t", "r2_trend", "dlml", "dloo_n", "dloo_t")
    print(
        "| function | seeds | tail | shipped noisy | " + " | ".join(f"{k} q10/q50/q90" for k in keys) + " |"
    )
    for f in TABLE:
        every = [r for r in rows if r["f"] == f]
        rs = [r for r in every if "gm" in r]
        if not rs:
            print(
                f"| {f} | {len(every)} | {sum(r['tail'] for r in every)} | {sum(r['shipped'] for r in every)} |"
            )
            continue
        cells = []
        for k in keys:
            v = np.array([route_value(r, k) for r in rs])
            cells.append("/".join(f"{q:.3g}" for q in np.quantile(v, [0.1, 0.5, 0.9])))
        print(
            f"| {f} | {len(every)} | {sum(r['tail'] for r in every)} | {sum(r['shipped'] for r in every)} | "
            + " | ".join(cells)
            + " |"
        )


def same(dgname: str, out: str, variant: str) -> None:
    """The variant itself on the first two Rastrigin-6-noisy seeds of 140-179 whose choice it leaves as
    shipped and the first two it changes (rows `t` VARIANT-same in OUT), against the shipped GP's and
    `force`'s rows there (the screen file)."""
    import tuner_problems as tp

    dg, f = diag_rows(dgname), "rastrigin6-noisy"
    seeds = [s for s in range(140, 180) if (f, s) in dg]
    ch = changed(dg, variant, f, seeds)
    use(variant)
    got = {(r["t"], r["s"]): r["r"] for r in load("tuner_gp_r17_screen.jsonl") if r["f"] == f}
    for seed, arm in [(s, "gp") for s in seeds if s not in ch][:2] + [(s, "force") for s in ch][:2]:
        r = float(tp.run_autolab("gp", f, 100, seed, 1)[0] - tp.FUNCS[f][1])
        write(out, {"t": variant + "-same", "f": f, "s": seed, "p": 1, "r": r, "against": arm})
        want = got.get((arm, seed))
        print(variant, f, seed, arm, r, want, "equal" if r == want else "DIFFERENT")


def bowl(dgname: str, out: str) -> None:
    """Information (exploratory, selection seeds): `force`'s outcome against the shipped GP per seed,
    split by the trend's `bowl` reading on the first 40 trials (DIAG2 rows)."""
    got = {(r["t"], r["f"], r["s"]): r["r"] for r in load(out)}
    rows = [r for r in load(dgname) if "bowl" in r]
    print(
        "| function | seeds with a statistic | bowl: seeds, force wins / losses / ties (not run) |"
        " not a bowl: seeds, force wins / losses / ties (not run) |"
    )
    print("|---|---:|---|---|")
    for f in dict.fromkeys(r["f"] for r in rows):
        cells = []
        for want in (True, False):
            n, w, lo, t, miss = 0, 0, 0, 0, 0
            for r in rows:
                if r["f"] != f or r["bowl"] is not want:
                    continue
                n += 1
                a, b = got.get(("force", f, r["s"])), got.get(("gp", f, r["s"]))
                if a is None or b is None:
                    miss += 1
                else:
                    w, lo, t = w + (a < b), lo + (a > b), t + (a == b)
            cells.append(f"{n}: {w} / {lo} / {t} ({miss})")
        print(f"| {f} | {sum(r['f'] == f for r in rows)} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    with open(os.path.join(HERE, "gp_r17_routes.json")) as fh:
        ROUTES.update({k: (v[0], float(v[1])) for k, v in json.load(fh).items()})
    cmd = sys.argv[1]
    if cmd == "diag":
        diag(sys.argv[2], list(range(int(sys.argv[3]), int(sys.argv[4]))), sys.argv[5])
    elif cmd == "run":
        v, f, s0, s1, o = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
        seeds = list(range(s0, s1))
        if len(sys.argv) > 7:  # only the seeds whose choice the variant (or the one named) changes
            seeds = changed(diag_rows(sys.argv[7]), sys.argv[8] if len(sys.argv) > 8 else v, f, seeds)
        run(v, f, seeds, o)
    elif cmd == "same":
        same(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "bowl":
        bowl(sys.argv[2], sys.argv[3])
    elif cmd == "summary":
        summary(sys.argv[2])
    elif cmd == "select":
        select(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        report(sys.argv[2], sys.argv[3], sys.argv[4])
