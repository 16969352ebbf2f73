"""Sequential tuner table, one seed per JSON line (issue 24: the 100-seed sequential table).

    python bench/tuner_seq100.py run TUNER FUNC SEED0 SEED1 OUT    # seeds [SEED0, SEED1)
    python bench/tuner_seq100.py table OUT [OUT ...]                # a markdown table: medians, wins

TUNER: an autolab tuner name (tpe, smac, gp, cmaes: runs in this Python, through
tuner_problems.run_autolab, parallel 1), a variant of VARIANTS (autolab's CMA-ES with other
classArgs: the fifth round's attempts) or a peer of tuner_peers.py (optuna = Optuna's TPE,
optuna-cmaes, optuna-gp: run this script with a Python that has optuna, and cmaes for CMA-ES;
hyperopt, nni-tpe: a Python with hyperopt / nni 3.0; smac3: one with smac, see tuner_smac3.py).
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
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
N_EVALS = 100
PEERS = ("optuna", "optuna-cmaes", "optuna-gp", "hyperopt", "nni-tpe", "smac3")
NAMES = {
    "tpe": "autolab TPE",
    "smac": "autolab SMAC",
    "gp": "autolab GP",
    "cmaes": "autolab CMA-ES",
    "optuna": "Optuna TPE",
    "optuna-cmaes": "Optuna CMA-ES",
    "optuna-gp": "Optuna GPSampler",
    "hyperopt": "hyperopt TPE",
    "nni-tpe": "NNI 3.0 TPE",
    "smac3": "SMAC3",
}
# SMAC3 2.4.1's forest (HyperparameterOptimizationFacade.get_model): random split thresholds, every
# feature at a split, leaves of one sample, the variance over the trees' means
SMAC3_FOREST = {
    "forest.SPLITTER": "random",
    "forest.MAX_FEATURES": 1.0,
    "forest.MIN_LEAF": 1,
    "forest.VARIANCE": "trees",
}
# the fifth round's CMA-ES attempts (seeds 100-199): name -> classArgs of autolab's CMAES tuner
VARIANTS: dict[str, dict[str, object]] = {
    "cmaes-plain": {"prescreen": 1, "mirrored": False},
    "cmaes-lra": {"prescreen": 1, "mirrored": False, "lr_adapt": True},
    "cmaes-pop2x": {"prescreen": 1, "mirrored": False, "popsize": "2x"},
    "cmaes-sigma03": {"prescreen": 1, "mirrored": False, "sigma0": 0.3},
    "cmaes-sigma01": {"prescreen": 1, "mirrored": False, "sigma0": 0.1},
    "cmaes-best10": {"prescreen": 1, "mirrored": False, "n_startup_trials": 10, "start": "best"},
    "cmaes-start0": {"prescreen": 1, "mirrored": False, "n_startup_trials": 0},
    "cmaes-mirror": {"prescreen": 1, "mirrored": True},
    "cmaes-pre3": {"mirrored": False, "prescreen": 3},
    "cmaes-pre5": {"mirrored": False, "prescreen": 5},
    "cmaes-pre10": {"mirrored": False, "prescreen": 10},
    "cmaes-pre20": {"mirrored": False, "prescreen": 20},
    "cmaes-pre10-pop2x": {"mirrored": False, "prescreen": 10, "popsize": "2x"},
    "cmaes-pre10-mirror": {"prescreen": 10, "mirrored": True},
    "cmaes-pre5-mirror": {"prescreen": 5, "mirrored": True},
    "cmaes-pre20-mirror": {"prescreen": 20, "mirrored": True},
    # the sixth round's SMAC attempts (seeds 100-199): classArgs of autolab's SMAC; "_set" sets
    # module constants of autolab.tuners.smac / .forest (internals that are not classArgs)
    "smac-rand25": {"n_initial": 25},
    "smac-sobol10": {"initial_design": "sobol", "n_initial": 10},
    "smac-sobol25": {"initial_design": "sobol", "n_initial": 25},
    "smac-logp5": {"_set": {"smac.LOG_SHIFT": "p5"}},
    "smac-logp5-eilog": {"_set": {"smac.LOG_SHIFT": "p5", "smac.EI_LOG": True}},
    "smac-forest3": {"_set": SMAC3_FOREST},
    "smac-random10k": {"_set": {"smac.N_RANDOM": 10000}},
    # SMAC3's ConfigSelector retrain_after; the switch was removed after (run at ab983e9)
    "smac-refit8": {"_set": {"smac.REFIT_EVERY": 8}},
    "smac-step005": {"_set": {"smac.STEP_SD": 0.05}},  # SMAC3's local search starts at 0.05
    "smac-step04": {"_set": {"smac.STEP_SD": 0.4}},  # and widens up to 0.4
    # the seventh round's: SMAC3's local search as such (adaptive sd, first improvement, plateau
    # walks), its start points (trials of lowest predicted loss), its incumbent (lowest prediction),
    # leaf values, retrain_after; the switches were removed after (run at 0090da3, bench/README.md)
    "smac-ls3": {"_set": {"smac.LOCAL_SEARCH": "smac3", "smac.STARTS": "predicted"}},
    "smac-ls3-eta": {
        "_set": {"smac.LOCAL_SEARCH": "smac3", "smac.STARTS": "predicted", "smac.ETA": "predicted"}
    },
    "smac-ls3-refit8": {
        "_set": {"smac.LOCAL_SEARCH": "smac3", "smac.STARTS": "predicted", "smac.REFIT_EVERY": 8}
    },
    "smac-ls3-sobol25": {
        "initial_design": "sobol",
        "n_initial": 25,
        "_set": {"smac.LOCAL_SEARCH": "smac3", "smac.STARTS": "predicted"},
    },
    "smac-ls3-lme": {
        "_set": {"smac.LOCAL_SEARCH": "smac3", "smac.STARTS": "predicted", "forest.LEAF": "logmeanexp"}
    },
    # the eighth round's Schwefel-4 screen (seeds 100-149): shipped classArgs the table never ran
    "evolution-p16": {"population_size": 16},
    "evolution-p64": {"population_size": 64},
    "tpe-g25": {"tpe_args": {"gamma": 0.25}},
    "tpe-cand200": {"tpe_args": {"n_ei_candidates": 200}},
    "tpe-start20": {"tpe_args": {"n_startup_jobs": 20}},
    "cmaes-best10-sigma03": {"n_startup_trials": 10, "start": "best", "sigma0": 0.3},
    "smac-init5": {"n_initial": 5},
    "smac-init20": {"n_initial": 20},
    "smac-sobol20": {"initial_design": "sobol", "n_initial": 20},
    # the eighth round's SMAC attempts: wide one-exchange neighbours (a numeric dim redrawn uniformly
    # over its range, k a dim, beside the 4 normal steps) and random interleaving that redraws one
    # dim of the best trial half the time (adopted as the default after); switches of
    # autolab.tuners.smac, removed after the round (run at 2f86f25; bench/README.md)
    "smac-wide2": {"_set": {"smac.WIDE_NEIGHBOURS": 2}},
    "smac-wide4": {"_set": {"smac.WIDE_NEIGHBOURS": 4}},
    "smac-exch": {"_set": {"smac.RANDOM_KIND": "exchange"}},
    "smac-wide8": {"_set": {"smac.WIDE_NEIGHBOURS": 8}},
    "smac-line25": {"_set": {"smac.WIDE_LINE": 25}},
    # the exchange with a choice redrawn too (switch removed after; run at c6e4825)
    "smac-exch-all": {"_set": {"smac.EXCHANGE_CHOICES": True}},
    "smac-wide4-trials": {"_set": {"smac.WIDE_NEIGHBOURS": 4, "smac.WIDE_FROM": "trials"}},
    "smac-wide4-exch": {"_set": {"smac.WIDE_NEIGHBOURS": 4, "smac.RANDOM_KIND": "exchange"}},
    # the tenth round's: the exchange interleaving's share (EXCHANGE_SHARE of the RANDOM_SHARE
    # interleaved suggestions; shipped 0.5 of 0.2), both module constants of autolab.tuners.smac
    "smac-exch50": {"_set": {"smac.EXCHANGE_SHARE": 0.5}},  # the code before the tenth round
    "smac-exch75": {"_set": {"smac.EXCHANGE_SHARE": 0.75}},
    "smac-exch100": {"_set": {"smac.EXCHANGE_SHARE": 1.0}},
    "smac-exch25": {"_set": {"smac.EXCHANGE_SHARE": 0.25}},
    "smac-r30-exch67": {"_set": {"smac.RANDOM_SHARE": 0.3, "smac.EXCHANGE_SHARE": 2 / 3}},
    "smac-r30": {"_set": {"smac.RANDOM_SHARE": 0.3}},
    "smac-smac3all": {
        "initial_design": "sobol",
        "n_initial": 25,
        "_set": {**SMAC3_FOREST, "smac.LOG_SHIFT": "p5", "smac.EI_LOG": True, "smac.N_RANDOM": 10000},
    },
}
ORDER = (
    "rastrigin6 rastrigin6-noisy levy6 griewank8 ackley5 michalewicz5 michalewicz5-noisy schwefel4 rosenbrock4"
    " branin hartmann6 mixed nested"
).split()


def regret(tuner: str, func: str, seed: int) -> float:
    if tuner not in PEERS:
        from tuner_problems import FUNCS, SPACES, run_autolab  # autolab's Python only

        args = dict(VARIANTS.get(tuner, {}))
        if args.get("popsize") == "2x":  # twice CMA-ES's default 4 + 3 ln d
            args["popsize"] = 2 * (4 + int(3 * np.log(len(SPACES[func]))))
        if "_set" in args:  # one variant per process: the constants stay set
            import importlib

            for key, value in args.pop("_set").items():
                module = importlib.import_module(f"autolab.tuners.{key.split('.')[0]}")
                if not hasattr(module, key.split(".")[1]):  # a switch removed after its round
                    sys.exit(f"{tuner}: autolab.tuners.{key} is not in this autolab (see bench/README.md)")
                setattr(module, key.split(".")[1], value)
        name = tuner.split("-")[0] if tuner in VARIANTS else tuner
        return run_autolab(name, func, N_EVALS, seed, 1, args)[0] - FUNCS[func][1]
    import tuner_peers as tp  # the peers' venv: numpy + optuna, no autolab

    f, space, minimum = tp.FUNCS[func]
    seen_by_peer = tp.noisy(func, seed) if func in tp.RUGGED else f
    if tuner == "smac3":  # the SMAC3 venv (tuner_smac3.py)
        from tuner_smac3 import run_smac3

        return run_smac3(f, seen_by_peer, space, N_EVALS, seed) - minimum
    if tuner in ("hyperopt", "nni-tpe"):  # they see the noise, scored noise-free (tuner_peers.run_seen)
        return tp.run_seen(tuner, f, seen_by_peer, space, N_EVALS, seed)[0] - minimum
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
    """A markdown table: per function, each tuner's median regret (seeds in brackets where fewer
    than 100; bold: the lowest), then the best autolab tuner against the best peer (by median) on
    their common seeds: seeds each wins and the two-sided sign test's p."""
    cells = load(paths)
    funcs = [f for f in ORDER if any(f == g for g, _ in cells)]
    every = {**NAMES, **{v: f"autolab {v}" for v in VARIANTS}}
    names = {t: name for t, name in every.items() if any(t == u for _, u in cells)}
    print(
        "| function | "
        + " | ".join(names.values())
        + " | best autolab vs best peer: seeds won, sign test p |"
    )
    print("|---|" + "---:|" * len(names) + "---|")
    for func in funcs:
        row = {t: list(cells[func, t].values()) for t in names if (func, t) in cells}
        med = {t: float(np.median(r)) for t, r in row.items()}
        text = []
        for t in names:
            if t not in row:
                text.append("")
                continue
            cell = f"{med[t]:.3g}" + ("" if len(row[t]) == 100 else f" ({len(row[t])})")
            text.append(f"**{cell}**" if med[t] == min(med.values()) else cell)
        ours = [t for t in row if t not in PEERS]
        peers = [t for t in row if t in PEERS]
        duel = ""
        if ours and peers:
            a, b = min(ours, key=med.__getitem__), min(peers, key=med.__getitem__)
            common = sorted(set(cells[func, a]) & set(cells[func, b]))
            ra = np.array([cells[func, a][s] for s in common])
            rb = np.array([cells[func, b][s] for s in common])
            wa, wb = int(np.sum(ra < rb)), int(np.sum(rb < ra))
            p = binomtest(wa, wa + wb).pvalue if wa + wb else 1.0
            duel = f"{every[a]} {wa} / {every[b]} {wb} of {len(common)}, p {p:.2g}"
        print(f"| {func} | " + " | ".join(text) + f" | {duel} |")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        table(sys.argv[2:])
