"""Sequential tuner table, one seed per JSON line (issue 24: the 100-seed sequential table).

    python bench/tuner_seq100.py run TUNER FUNC SEED0 SEED1 OUT    # seeds [SEED0, SEED1)
    python bench/tuner_seq100.py table OUT [OUT ...]                # medians, seeds, wins per pair

TUNER: an autolab tuner name (tpe, smac, gp: runs in this Python, through
tuner_problems.run_autolab, parallel 1) or a peer of tuner_peers.py (optuna = Optuna's TPE,
optuna-cmaes, optuna-gp: run this script with a Python that has optuna, and cmaes for CMA-ES).
Each finished seed appends {"t", "f", "s", "r", "sec"} (tuner, function, seed, regret at 100
evaluations, wall seconds) to OUT and flushes, so a run stopped at any point keeps what it did;
seeds already in OUT for that tuner and function are skipped. With STOP_AT=<unix time> in the
environment, no seed starts after that time.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
N_EVALS = 100
PEERS = ("optuna", "optuna-cmaes", "optuna-gp")
NAMES = {
    "tpe": "autolab TPE",
    "smac": "autolab SMAC",
    "gp": "autolab GP",
    "optuna": "Optuna TPE",
    "optuna-cmaes": "Optuna CMA-ES",
    "optuna-gp": "Optuna GPSampler",
}


def regret(tuner: str, func: str, seed: int) -> float:
    if tuner not in PEERS:
        from tuner_problems import FUNCS, run_autolab  # autolab's Python only

        return run_autolab(tuner, func, N_EVALS, seed, 1)[0] - FUNCS[func][1]
    import tuner_peers as tp  # the peers' venv: numpy + optuna, no autolab

    f, space, minimum = tp.FUNCS[func]
    if func in tp.RUGGED or tuner != "optuna":  # the same dispatch as tuner_peers.py's main
        seen = tp.noisy(func, seed) if func in tp.RUGGED else f
        best = tp.run_optuna_any(tuner, f, seen, space, N_EVALS, seed, 1)[0]
    else:
        best = tp.run_optuna(f, space, N_EVALS, seed)[0]
    return best - minimum


def load(paths: list[str]) -> dict[tuple[str, str], dict[int, float]]:
    cells: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for path in paths:
        if os.path.exists(path):
            with open(path) as fh:
                for line in fh:
                    row = json.loads(line)
                    cells[row["f"], row["t"]][row["s"]] = row["r"]
    return cells


def run(tuner: str, func: str, s0: int, s1: int, out: str) -> None:
    done = load([out]).get((func, tuner), {})
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    for seed in range(s0, s1):
        if seed in done:
            continue
        if time.time() > stop_at:
            return
        start = time.perf_counter()
        r = float(regret(tuner, func, seed))
        row = {"t": tuner, "f": func, "s": seed, "r": r, "sec": round(time.perf_counter() - start, 2)}
        with open(out, "a") as fh:
            fh.write(json.dumps(row) + "\n")


def table(paths: list[str]) -> None:
    """Per function: median regret and seed count per tuner; the best autolab tuner against the
    best peer on their common seeds (median on those seeds, and seeds each wins)."""
    cells = load(paths)
    for func in dict.fromkeys(f for f, _ in cells):
        row = {t: r for (f, t), r in cells.items() if f == func}
        text = ", ".join(
            f"{NAMES.get(t, t)} {np.median(list(r.values())):.4g} ({len(r)})" for t, r in row.items()
        )
        print(f"{func}: {text}")
        ours = [t for t in row if t not in PEERS]
        peers = [t for t in row if t in PEERS]
        if not ours or not peers:
            continue
        a = min(ours, key=lambda t: np.median(list(row[t].values())))
        b = min(peers, key=lambda t: np.median(list(row[t].values())))
        common = sorted(set(row[a]) & set(row[b]))
        ra, rb = np.array([row[a][s] for s in common]), np.array([row[b][s] for s in common])
        print(
            f"  {NAMES[a]} vs {NAMES[b]} on {len(common)} common seeds: median {np.median(ra):.4g} vs "
            f"{np.median(rb):.4g}; wins {int(np.sum(ra < rb))} / {int(np.sum(rb < ra))} (ties {int(np.sum(ra == rb))})"
        )


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        table(sys.argv[2:])
