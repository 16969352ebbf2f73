"""Fourteenth round (bench/gp_r14_declared.md): `ls40c` against the shipped GP and GPSampler.

    python bench/gp_r14_table.py shipped FUNC S0 S1        # the shipped GP where a noisy-choice seed lacks a row
    python bench/gp_r14_table.py table P FUNC... [S0 S1]    # P = 1 or 8; default seeds 0-48 (P 1), 0-26 (P 8)
    python bench/gp_r14_table.py gps S0 S1 FUNC...          # against GPSampler's stored rows (sequential)

The choice per seed is read from the DIAG rows (tuner_gp_r14_diag.jsonl: the run's choice at 40 finished
trials; else from the run's own row); a seed that stays on the noiseless model is the shipped GP's run (a
tie; where the variant was run there too, the table says whether it equals the stored shipped row). VARIANT
in the environment names the variant (default noise+init1+ls40+ls40c). Shipped rows: gp_round13_guard.py's
committed files and labels, tuner_gp_round13_guard.jsonl `gp`, tuner_gp_r14_shipped.jsonl `gp` (sequential);
tuner_par100_smac_gp.jsonl `gp` "p": 8 (8 running). p: two-sided sign test, ties out.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
import gp_round13_guard as guard  # noqa: E402

V = os.environ.get("VARIANT", "noise+init1+ls40+ls40c")
DIAG, ROWS, SHIPPED = "tuner_gp_r14_diag.jsonl", "tuner_gp_r14.jsonl", "tuner_gp_r14_shipped.jsonl"


def load(name: str, label: str, func: str, p: int) -> dict[int, dict]:
    path = os.path.join(HERE, name)
    if not os.path.exists(path):
        return {}
    with open(path) as fh:
        return {
            r["s"]: r
            for r in map(json.loads, fh)
            if r["t"] == label and r["f"] == func and r.get("p", 1) == p
        }


def shipped_rows(func: str, p: int) -> dict[int, float]:
    if p != 1:
        return {s: r["r"] for s, r in load("tuner_par100_smac_gp.jsonl", "gp", func, p).items()}
    out = guard.committed(func)
    for name in ("tuner_gp_round13_guard.jsonl", SHIPPED):
        out |= {s: r["r"] for s, r in load(name, "gp", func, 1).items()}
    return out


def shipped(func: str, s0: int, s1: int) -> None:
    import tuner_problems as tp

    choice, have = load(DIAG, V, func, 1), shipped_rows(func, 1)
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    for s in range(s0, s1):
        if s in have or not choice.get(s, {}).get("noisy") or time.time() > stop_at:
            continue
        t = time.perf_counter()
        best, _ = tp.run_autolab("gp", func, 100, s, 1, {})
        row = {"t": "gp", "f": func, "s": s, "r": float(best - tp.FUNCS[func][1])}
        row["sec"] = round(time.perf_counter() - t, 2)
        with open(os.path.join(HERE, SHIPPED), "a") as fh:
            fh.write(json.dumps(row) + "\n")


def sign(a: np.ndarray, b: np.ndarray) -> tuple[int, int, float]:
    w, lo = int(np.sum(a < b)), int(np.sum(a > b))
    return w, lo, binomtest(w, w + lo).pvalue if w + lo else 1.0


def table(p: int, funcs: list[str], s0: int, s1: int) -> None:
    print(
        f"| function | seeds | noisy model | {V} | shipped GP | wins / losses, p | lost | noiseless reruns equal |"
    )
    print("|---|---|---|---:|---:|---|---|---|")
    for f in funcs:
        choice, var, ship = load(DIAG, V, f, p), load(ROWS, V, f, p), shipped_rows(f, p)
        # without a DIAG row, a run's own row tells its choice (sbel at 8 running: every seed run)
        choice = {s: {"noisy": r.get("noisy_kept", 0) > 0} for s, r in var.items()} | choice
        seeds = [s for s in range(s0, s1) if s in choice]
        noisy = [s for s in seeds if choice[s]["noisy"]]
        missing = [s for s in noisy if s not in var or s not in ship]
        same = [s for s in seeds if not choice[s]["noisy"] and s in var and s in ship]
        eq = sum(var[s]["r"] == ship[s] for s in same)
        both = [s for s in seeds if s in ship and (s in var or not choice[s]["noisy"])]
        a = np.array([var[s]["r"] if s in var else ship[s] for s in both])
        b = np.array([ship[s] for s in both])
        w, lo, pv = sign(a, b) if len(both) else (0, 0, 1.0)
        lost = "**lost**" if lo > w and pv < 0.1 else "no"
        miss = f" ({len(missing)} noisy seeds not run)" if missing else ""
        print(
            f"| {f} | {s0}-{s1 - 1} ({len(seeds)}; medians on {len(both)}) | {len(noisy)}{miss} |"
            f" {np.median(a):.4g} | {np.median(b):.4g} | {w} / {lo}, p {pv:.2g} | {lost} | {eq} of {len(same)} |"
        )


def gps(s0: int, s1: int, funcs: list[str]) -> None:
    print(f"| function | seeds | {V} | GPSampler | shipped GP | vs GPSampler | vs shipped GP | noisy model |")
    print("|---|---|---:|---:|---:|---|---|---|")
    for f in funcs:
        var, opt, ship = load(ROWS, V, f, 1), {}, shipped_rows(f, 1)
        for name in (
            "tuner_gp_gpsampler.jsonl",
            "tuner_gp_round9_table.jsonl",
            "tuner_gp_round10_table.jsonl",
        ):
            opt |= {s: r["r"] for s, r in load(name, "optuna-gp", f, 1).items()}
        seeds = [s for s in range(s0, s1) if s in var and s in opt and s in ship]
        a, g, b = (np.array([d[s]["r"] if d is var else d[s] for s in seeds]) for d in (var, opt, ship))
        duel = [sign(a, c) for c in (g, b)]
        text = [f"{w} / {lo}, p {pv:.2g}" for w, lo, pv in duel]
        n_noisy = sum(var[s].get("noisy_kept", 0) > 0 for s in seeds)
        print(
            f"| {f} | {s0}-{s1 - 1} ({len(seeds)}) | {np.median(a):.4g} | {np.median(g):.4g} | {np.median(b):.4g} |"
            f" {text[0]} | {text[1]} | {n_noisy} |"
        )


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "shipped":
        shipped(args[0], int(args[1]), int(args[2]))
    elif cmd == "gps":
        gps(int(args[0]), int(args[1]), args[2:])
    else:
        p = int(args[0])
        nums = [a for a in args[1:] if a.isdigit()]
        fs = [a for a in args[1:] if not a.isdigit()]
        lo_hi = (int(nums[0]), int(nums[1]) + 1) if nums else (0, 49 if p == 1 else 27)
        table(p, fs, *lo_hi)
