"""Fifteenth round (bench/gp_r15_declared.md): the GP's noisy model for sequential suggestions only.

    python bench/gp_r15_check.py repro [OUT]                # step 1: the tuner against stored rows
    python bench/gp_r15_check.py speed LABEL FUNC SEED OUT  # one timed run (LABEL gp-before / gp)
    python bench/gp_r15_check.py speedtable OUT             # step 2: means, ratio, equal regrets
    python bench/gp_r15_check.py item4                      # step 5: GP before / after vs GPSampler, 0-99
    python bench/gp_r15_check.py screen VARIANT FUNC S0 S1 OUT   # step 6: gp or fine3, seeds [S0, S1)
    python bench/gp_r15_check.py screentable OUT            # step 6: fine3 against gp, per function

AUTOLAB_ROOT=<tree> puts that tree's autolab first on sys.path (the shipped GP, 923f18c, exported to
/tmp/h32gp/base); without it this worktree's autolab runs. repro writes one row per run to
tuner_gp_r15_repro.jsonl ({"f", "s", "p", "r", "stored", "src", "equal"}); speed appends {"t", "f", "s",
"r", "sec", "lat_mean", "lat_mean_after40"} (wall seconds a run; mean seconds a suggestion, all 100 and
those after 40 finished trials).
"""

from __future__ import annotations

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.environ.get("AUTOLAB_ROOT", os.path.dirname(HERE)), HERE]
import numpy as np  # noqa: E402

import autolab.tuners.gp  # noqa: E402

LS40C = "noise+init1+ls40+ls40c"
# step 1's runs: (function, seed, trials running, stored source)
CASES = (
    [("levy6", s, 1, "ls40c") for s in (50, 51, 52)]
    + [("griewank8", s, 1, "ls40c") for s in (50, 51, 52)]
    + [("hartmann6", s, 1, "ls40c") for s in (0, 1)]
    + [("mixed", 2, 1, "ls40c")]
    + [("rosenbrock4", s, 1, "shipped") for s in (0, 1)]
    + [("levy6", s, 8, "shipped") for s in (0, 1, 2)]
    + [("hartmann6", s, 8, "shipped") for s in (0, 1, 2)]
)


def rows(name: str, label: str, func: str, p: int) -> dict[int, float]:
    with open(os.path.join(HERE, name)) as fh:
        return {
            r["s"]: r["r"]
            for r in map(json.loads, fh)
            if r["t"] == label and r["f"] == func and r.get("p", 1) == p and "r" in r
        }


def stored(func: str, seed: int, p: int, src: str) -> float:
    if src == "ls40c":
        return rows("tuner_gp_r14.jsonl", LS40C, func, p)[seed]
    if p == 8:
        return rows("tuner_par100_smac_gp.jsonl", "gp", func, 8)[seed]
    import gp_round13_guard as guard  # after autolab: it puts this worktree first on sys.path

    return guard.committed(func)[seed]


def repro(name: str = "tuner_gp_r15_repro.jsonl") -> None:
    import tuner_problems as tp

    out = os.path.join(HERE, name)
    for func, seed, p, src in CASES:
        r = float(tp.run_autolab("gp", func, 100, seed, p)[0] - tp.FUNCS[func][1])
        want = stored(func, seed, p, src)
        row = {"f": func, "s": seed, "p": p, "r": r, "stored": want, "src": src, "equal": r == want}
        print(json.dumps(row), flush=True)
        with open(out, "a") as fh:
            fh.write(json.dumps(row) + "\n")


def speed(label: str, func: str, seed: int, out: str) -> None:
    import tuner_problems as tp

    start = time.perf_counter()
    best, lat = tp.run_autolab("gp", func, 100, seed, 1)
    sec = time.perf_counter() - start
    row = {
        "t": label,
        "f": func,
        "s": seed,
        "r": float(best - tp.FUNCS[func][1]),
        "sec": round(sec, 2),
        "lat_mean": round(float(np.mean(lat)), 4),
        "lat_mean_after40": round(float(np.mean(lat[40:])), 4),
        "gp_py": autolab.tuners.gp.__file__,
    }
    with open(out, "a") as fh:
        fh.write(json.dumps(row) + "\n")


def speedtable(out: str) -> None:
    with open(out) as fh:
        got = [json.loads(line) for line in fh]
    by = {t: [r for r in got if r["t"] == t] for t in ("gp-before", "gp")}
    for t, rs in by.items():
        ref = [stored(r["f"], r["s"], 1, "shipped" if t == "gp-before" else "ls40c") for r in rs]
        equal = sum(r["r"] == w for r, w in zip(rs, ref, strict=True))
        print(
            f"| {t} | {len(rs)} | {np.mean([r['sec'] for r in rs]):.2f} | "
            f"{np.mean([r['lat_mean'] for r in rs]):.4f} | {np.mean([r['lat_mean_after40'] for r in rs]):.4f} | "
            f"{equal} of {len(rs)} |"
        )
    ratio = np.mean([r["sec"] for r in by["gp"]]) / np.mean([r["sec"] for r in by["gp-before"]])
    print(f"ratio of mean seconds a run: {ratio:.3f} (bound 1.5)")


def item4() -> None:
    """Levy-6 and Griewank-8 seeds 0-99 from stored rows (rounds 13-14, not re-run): the GP before
    this round (shipped rows), after it (ls40c's sequential rows, equal to the shipped form by step 1),
    GPSampler (optuna-gp); medians and seeds won each way (two-sided sign test, ties out)."""
    import gp_r14_table as t

    print(
        "| function | seeds | GP before | GP after | GPSampler | before vs GPSampler | after vs GPSampler |"
        " after vs before |"
    )
    print("|---|---|---:|---:|---:|---|---|---|")
    for f in ("levy6", "griewank8"):
        after, before, opt = t.load(t.ROWS, LS40C, f, 1), t.shipped_rows(f, 1), {}
        for name in (
            "tuner_gp_gpsampler.jsonl",
            "tuner_gp_round9_table.jsonl",
            "tuner_gp_round10_table.jsonl",
        ):
            opt |= {s: r["r"] for s, r in t.load(name, "optuna-gp", f, 1).items()}
        seeds = [s for s in range(100) if s in after and s in opt and s in before]
        a = np.array([after[s]["r"] for s in seeds])
        b, g = (np.array([d[s] for s in seeds]) for d in (before, opt))
        duels = [t.sign(x, y) for x, y in ((b, g), (a, g), (a, b))]
        text = " | ".join(f"{w} / {lo}, p {pv:.2g}" for w, lo, pv in duels)
        print(
            f"| {f} | 0-99 ({len(seeds)}) | {np.median(b):.4g} | {np.median(a):.4g} | {np.median(g):.4g} | {text} |"
        )


FINE3 = (0.1, 0.03, 0.01, 0.003)  # step 6: a fourth, finer local round of the acquisition's search


def screen(variant: str, func: str, s0: int, s1: int, out: str) -> None:
    import tuner_problems as tp

    if variant == "fine3":
        autolab.tuners.gp.LOCAL_ROUNDS = FINE3
    elif variant != "gp":
        sys.exit(f"unknown variant {variant}")
    have = set()
    if os.path.exists(out):
        with open(out) as fh:
            have = {r["s"] for r in map(json.loads, fh) if r["t"] == variant and r["f"] == func}
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    for seed in range(s0, s1):
        if seed in have or time.time() > stop_at:
            continue
        start = time.perf_counter()
        r = float(tp.run_autolab("gp", func, 100, seed, 1)[0] - tp.FUNCS[func][1])
        row = {"t": variant, "f": func, "s": seed, "r": r, "sec": round(time.perf_counter() - start, 2)}
        with open(out, "a") as fh:
            fh.write(json.dumps(row) + "\n")


def screentable(out: str) -> None:
    from scipy.stats import binomtest

    with open(out) as fh:
        got = [json.loads(line) for line in fh]
    print("| function | seeds | gp | fine3 | fine3 wins / losses, p | s a run gp / fine3 |")
    print("|---|---|---:|---:|---|---|")
    for f in sorted({r["f"] for r in got}):
        a = {r["s"]: r for r in got if r["f"] == f and r["t"] == "gp"}
        b = {r["s"]: r for r in got if r["f"] == f and r["t"] == "fine3"}
        seeds = sorted(set(a) & set(b))
        x, y = np.array([a[s]["r"] for s in seeds]), np.array([b[s]["r"] for s in seeds])
        w, lo = int(np.sum(y < x)), int(np.sum(y > x))
        p = binomtest(w, w + lo).pvalue if w + lo else 1.0
        sec = [np.mean([d[s]["sec"] for s in seeds]) for d in (a, b)]
        print(
            f"| {f} | {seeds[0]}-{seeds[-1]} ({len(seeds)}) | {np.median(x):.4g} | {np.median(y):.4g} |"
            f" {w} / {lo}, p {p:.2g} | {sec[0]:.2f} / {sec[1]:.2f} |"
        )


if __name__ == "__main__":
    if sys.argv[1] == "repro":
        repro(*sys.argv[2:3])
    elif sys.argv[1] == "speed":
        speed(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "item4":
        item4()
    elif sys.argv[1] == "screen":
        screen(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif sys.argv[1] == "screentable":
        screentable(sys.argv[2])
    else:
        speedtable(sys.argv[2])
