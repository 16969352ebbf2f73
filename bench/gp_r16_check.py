"""Fifteenth round, second screen (bench/gp_r16_declared.md): changes to the GP on its noisy path only.

    python bench/gp_r16_check.py run VARIANT FUNC S0 S1 OUT [P]   # seeds [S0, S1), P running (default 1)
    python bench/gp_r16_check.py same VARIANT OUT                 # 8 running / noiseless runs equal stored rows
    python bench/gp_r16_check.py select OUT VARIANT...            # step 1 table against `gp` in OUT
    python bench/gp_r16_check.py report OUT VARIANT               # step 2 tables
    python bench/gp_r16_check.py repro OUT                        # the shipped form against stored rows

AUTOLAB_ROOT=<tree> puts that tree's autolab first (else this worktree's); LABEL names `run`'s rows (default
VARIANT; a LABEL row also records the gp.py that ran). VARIANT: `gp` (the shipped GP, this worktree's
autolab), `quad`, `mumin` (gp_r16_declared.md). Each variant acts only where the model is the noisy one
(gaussian.fit(noise=True) returns a posterior with `noise_`), so runs with trials running, and runs that stay
noiseless, are the shipped GP's. `run` skips seeds already in OUT and stops starting runs after STOP_AT (epoch
seconds); rows {"t", "f", "s", "p", "r", "sec"}.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.environ.get("AUTOLAB_ROOT", os.path.dirname(HERE)), HERE]
import numpy as np  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

import autolab.tuners.gp as gpmod  # noqa: E402

GPTuner = gpmod.GPTuner
LS40C = "noise+init1+ls40+ls40c"
TABLE = (
    "rastrigin6 rastrigin6-noisy levy6 griewank8 ackley5 michalewicz5 michalewicz5-noisy schwefel4 "
    "rosenbrock4 branin hartmann6 mixed"
).split()


def features(u: np.ndarray) -> np.ndarray:
    v = u - 0.5
    return np.hstack([np.ones((len(u), 1)), v, v * v])


class Trend:
    """A noisy posterior on residuals plus a per-dimension quadratic trend (`quad`)."""

    def __init__(self, gp: Any, coef: np.ndarray) -> None:
        self.gp, self.coef, self.noise_ = gp, coef, gp.noise_
        self.kernel_ = gp.kernel_

    def predict(self, u: np.ndarray, return_std: bool = False) -> Any:
        t = features(u) @ self.coef
        if return_std:
            mu, sd = self.gp.predict(u, return_std=True)
            return mu + t, sd
        return self.gp.predict(u) + t


_FIT, _MAXIMISE = GPTuner._fit, GPTuner._maximise


def quad_fit(self: Any, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, noise: bool = False) -> Any:
    if not noise:
        return _FIT(self, x, y, rng, noise)
    f = features(x)
    coef = np.linalg.lstsq(f, y, rcond=None)[0]
    return Trend(_FIT(self, x, y - f @ coef, rng, True), coef)


def mumin_maximise(self: Any, gp: Any, best: Any, near: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """GPTuner._maximise, plus (noisy model only) the posterior mean's minimiser as one more start."""
    if not hasattr(gp, "noise_"):
        return _MAXIMISE(self, gp, best, near, rng)
    pool = [self.cube.random(rng, self.warm_up)]
    for scale in (0.05, 0.15):
        pool.append(
            self.cube.project(
                np.repeat(near, 50, axis=0) + rng.normal(0, scale, (50 * len(near), self.cube.n_columns))
            )
        )
    u = np.vstack(pool)
    score = self._acquisition(gp, u, best)
    # the mean's minimiser: the pool's lowest mean, refined by the same shrinking local rounds on the mean
    mu = gp.predict(u)
    m, m_mu = u[int(np.argmin(mu))], float(np.min(mu))
    for scale in gpmod.LOCAL_ROUNDS:
        local = self.cube.project(m + rng.normal(0, scale, (gpmod.LOCAL_POINTS, self.cube.n_columns)))
        lm = gp.predict(local)
        if float(lm.min()) < m_mu:
            m, m_mu = local[int(np.argmin(lm))], float(lm.min())
    top = np.vstack([u[np.argsort(-score)[: self.starts]], m[None, :]])
    top_score = np.concatenate([np.sort(score)[::-1][: self.starts], self._acquisition(gp, m[None, :], best)])
    for scale in gpmod.LOCAL_ROUNDS:
        k = gpmod.LOCAL_POINTS // len(top) + 1
        local = self.cube.project(
            np.repeat(top, k, axis=0) + rng.normal(0, scale, (k * len(top), self.cube.n_columns))
        )
        both = np.vstack([top, local])
        s = np.concatenate([top_score, self._acquisition(gp, local, best)])
        order = np.argsort(-s)[: self.starts]
        top, top_score = both[order], s[order]
    rest = np.argsort(-score)[:20]
    return np.vstack([top, u[rest]])


def use(variant: str) -> None:
    if variant == "quad":
        GPTuner._fit = quad_fit  # type: ignore[method-assign]
    elif variant == "mumin":
        GPTuner._maximise = mumin_maximise  # type: ignore[method-assign]
    elif variant != "gp":
        sys.exit(f"unknown variant {variant}")


def load(out: str) -> list[dict]:
    path = os.path.join(HERE, out)
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh]


def run(variant: str, func: str, seeds: list[int], out: str, p: int = 1) -> None:
    import tuner_problems as tp

    use(variant)
    label = os.environ.get("LABEL", variant)
    have = {r["s"] for r in load(out) if r["t"] == label and r["f"] == func and r["p"] == p}
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    for seed in seeds:
        if seed in have or time.time() > stop_at:
            continue
        start = time.perf_counter()
        r = float(tp.run_autolab("gp", func, 100, seed, p)[0] - tp.FUNCS[func][1])
        row: dict[str, Any] = {
            "t": label,
            "f": func,
            "s": seed,
            "p": p,
            "r": r,
            "sec": round(time.perf_counter() - start, 2),
        }
        if label != variant:
            row["gp_py"] = gpmod.__file__
        with open(os.path.join(HERE, out), "a") as fh:
            fh.write(json.dumps(row) + "\n")


def same(variant: str, out: str) -> None:
    """Levy-6 0-1 with 8 running and Rosenbrock-4 0-1 sequential (noiseless) against stored rows."""
    import gp_r14_table as t

    run(variant, "levy6", [0, 1], out, 8)
    run(variant, "rosenbrock4", [0, 1], out, 1)
    for r in load(out):
        if r["t"] == variant and (r["f"], r["p"]) in (("levy6", 8), ("rosenbrock4", 1)) and r["s"] < 2:
            want = t.shipped_rows(r["f"], r["p"])[r["s"]]
            print(variant, r["f"], r["p"], r["s"], r["r"], want, "equal" if r["r"] == want else "DIFFERENT")


def sign(a: np.ndarray, b: np.ndarray) -> tuple[int, int, float]:
    w, lo = int(np.sum(a < b)), int(np.sum(a > b))
    return w, lo, binomtest(w, w + lo).pvalue if w + lo else 1.0


def select(out: str, variants: list[str]) -> None:
    got = load(out)
    print("| variant | function | seeds | gp | variant | wins / losses, p | passes | s a run gp / variant |")
    print("|---|---|---|---:|---:|---|---|---|")
    for v in variants:
        for f, s0, s1, target in (
            ("griewank8", 140, 180, True),
            ("levy6", 140, 160, False),
            ("hartmann6", 140, 160, False),
        ):
            a = {
                r["s"]: r for r in got if r["t"] == "gp" and r["f"] == f and r["p"] == 1 and s0 <= r["s"] < s1
            }
            b = {r["s"]: r for r in got if r["t"] == v and r["f"] == f and r["p"] == 1 and s0 <= r["s"] < s1}
            seeds = sorted(set(a) & set(b))
            if not seeds:
                continue
            x, y = np.array([a[s]["r"] for s in seeds]), np.array([b[s]["r"] for s in seeds])
            w, lo, p = sign(y, x)
            if target:
                ok = w > lo and np.median(y) < np.median(x)
            else:
                ok = not (lo > w and p < 0.1) and np.median(y) <= 1.05 * np.median(x)
            sec = [np.mean([d[s]["sec"] for s in seeds]) for d in (a, b)]
            print(
                f"| {v} | {f} | {seeds[0]}-{seeds[-1]} ({len(seeds)}) | {np.median(x):.4g} | {np.median(y):.4g} |"
                f" {w} / {lo}, p {p:.2g} | {'yes' if ok else 'no'} | {sec[0]:.2f} / {sec[1]:.2f} |"
            )


def report(out: str, variant: str) -> None:
    import gp_r14_table as t

    got = load(out)
    mine = {
        f: {r["s"]: r["r"] for r in got if r["t"] == variant and r["f"] == f and r["p"] == 1} for f in TABLE
    }
    print("| function | seeds | variant | GPSampler | shipped GP | vs GPSampler | vs shipped GP |")
    print("|---|---|---:|---:|---:|---|---|")
    for f in ("levy6", "griewank8"):
        ship = {s: r["r"] for s, r in t.load(t.ROWS, LS40C, f, 1).items()}
        opt: dict[int, float] = {}
        for name in (
            "tuner_gp_gpsampler.jsonl",
            "tuner_gp_round9_table.jsonl",
            "tuner_gp_round10_table.jsonl",
        ):
            opt |= {s: r["r"] for s, r in t.load(name, "optuna-gp", f, 1).items()}
        seeds = [s for s in range(100) if s in mine[f] and s in opt and s in ship]
        a, g, b = (np.array([d[s] for s in seeds]) for d in (mine[f], opt, ship))
        duels = " | ".join(f"{w} / {lo}, p {pv:.2g}" for w, lo, pv in (sign(a, g), sign(a, b)))
        print(
            f"| {f} | 0-99 ({len(seeds)}) | {np.median(a):.4g} | {np.median(g):.4g} | {np.median(b):.4g} | {duels} |"
        )
    print()
    print("| function | seeds 0-48: noisy (run) | variant | shipped GP | wins / losses, p | lost |")
    print("|---|---|---:|---:|---|---|")
    for f in TABLE:
        choice = t.load(t.DIAG, LS40C, f, 1)
        ship = {s: r["r"] for s, r in t.load(t.ROWS, LS40C, f, 1).items()}
        noisy = [s for s in range(49) if choice.get(s, {}).get("noisy")]
        seeds = [s for s in noisy if s in mine[f] and s in ship]
        if not seeds:
            print(f"| {f} | {len(noisy)} (0) | | | 0 / 0, p 1 | no |")
            continue
        a, b = np.array([mine[f][s] for s in seeds]), np.array([ship[s] for s in seeds])
        w, lo, p = sign(a, b)
        print(
            f"| {f} | {len(noisy)} ({len(seeds)}) | {np.median(a):.4g} | {np.median(b):.4g} | {w} / {lo}, p {p:.2g} |"
            f" {'**lost**' if lo > w and p < 0.1 else 'no'} |"
        )


def repro(out: str) -> None:
    """The shipped form's rows (LABEL shipped-quad) against `quad`'s sequential rows (step 1's file) and,
    with 8 running or noiseless, the stored shipped rows (gp_r14_table.shipped_rows)."""
    import gp_r14_table as t

    quad = {(r["f"], r["s"]): r["r"] for r in load("tuner_gp_r16_screen.jsonl") if r["t"] == "quad"}
    equal = 0
    got = [r for r in load(out) if r["t"] == "shipped-quad"]
    for r in got:
        noiseless = r["p"] == 8 or r["f"] == "rosenbrock4"
        want = t.shipped_rows(r["f"], r["p"])[r["s"]] if noiseless else quad[(r["f"], r["s"])]
        equal += r["r"] == want
        src = "shipped" if noiseless else "quad"
        print(f"| {r['f']} | {r['s']} | {r['p']} | {r['r']!r} | {want!r} ({src}) | {r['r'] == want} |")
    print(f"{equal} of {len(got)} equal")


def noisy_seeds(func: str) -> list[int]:
    import gp_r14_table as t

    choice = t.load(t.DIAG, LS40C, func, 1)
    return [s for s in range(49) if choice.get(s, {}).get("noisy")]


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "run":
        v, f, s0, s1, o = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
        run(v, f, list(range(s0, s1)), o, int(sys.argv[7]) if len(sys.argv) > 7 else 1)
    elif cmd == "runnoisy":  # step 2's table: the noisy seeds of 0-48 of each function named
        for f in sys.argv[4:]:
            run(sys.argv[2], f, noisy_seeds(f), sys.argv[3])
    elif cmd == "same":
        same(sys.argv[2], sys.argv[3])
    elif cmd == "repro":
        repro(sys.argv[2])
    elif cmd == "select":
        select(sys.argv[2], sys.argv[3:])
    else:
        report(sys.argv[2], sys.argv[3])
