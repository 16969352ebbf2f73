"""The 8-running table with every tuner (issue 24, eleventh round): autolab's best against the best peer.

    python bench/tuner_par100_round11.py S0 S1 [SMAC]      # seeds S0..S1 inclusive

Per function, the median regret at 100 evaluations with 8 trials always running of each tuner that
has rows, on the seeds of S0..S1 that every such column has (the row's seeds); the lowest autolab
median against the lowest peer median on those seeds, the seeds each is lower on and the two-sided
sign test; the target "autolab's best tuner is best" is met where the autolab median is the lower.
Then autolab CMA-ES and Optuna CmaEsSampler with 8 running against their sequential rows
(tuner_seq100.jsonl), and SMAC as shipped against the ninth round's SMAC rows, both 8 running.

Rows (all PARALLEL 8): autolab TPE and Optuna TPE (constant_liar) from tuner_par100.jsonl (seeds
36-48 of Optuna from tuner_par100_round11.jsonl); autolab GP from tuner_par100_smac_gp.jsonl;
autolab SMAC as now shipped (EXCHANGE_SHARE 1.0) from tuner_par100_round11.jsonl, or with SMAC
"old" the ninth round's rows (EXCHANGE_SHARE 0.5, tuner_par100_smac_gp.jsonl) on the functions where
this round has none (marked *); autolab CMA-ES, Optuna CmaEsSampler and GPSampler from
tuner_par100_round11.jsonl.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = (
    "rastrigin6 rastrigin6-noisy levy6 griewank8 ackley5 michalewicz5 michalewicz5-noisy schwefel4 rosenbrock4"
    " branin hartmann6 mixed nested"
).split()
OURS = {"tpe": "TPE", "smac": "SMAC", "gp": "GP", "cmaes": "CMA-ES"}
PEERS = {"optuna": "Optuna TPE (cl)", "optuna-cmaes": "Optuna CMA-ES", "optuna-gp": "GPSampler"}
Cells = dict[tuple[str, str], dict[int, float]]


def load(name: str, tuners: set[str], par: int = 8) -> Cells:
    cells: Cells = defaultdict(dict)
    path = os.path.join(HERE, name)
    if os.path.exists(path):
        with open(path) as fh:
            for line in fh:
                row = json.loads(line)
                if row["t"] in tuners and row.get("p", 1) == par:
                    cells[row["f"], row["t"]][row["s"]] = row["r"]
    return cells


def cells_8(old_smac: bool) -> tuple[Cells, set[str]]:
    """Every tuner's 8-running rows, and the functions whose SMAC column is the old share's."""
    cells: Cells = defaultdict(dict)
    for key, rows in load("tuner_par100.jsonl", {"tpe", "optuna"}).items():
        cells[key].update(rows)
    for key, rows in load("tuner_par100_smac_gp.jsonl", {"gp"}).items():
        cells[key].update(rows)
    for key, rows in load("tuner_par100_round11.jsonl", set(OURS) | set(PEERS)).items():
        cells[key].update(rows)
    old: set[str] = set()
    if old_smac:
        for (func, t), rows in load("tuner_par100_smac_gp.jsonl", {"smac"}).items():
            if (func, t) not in cells:
                cells[func, t] = rows
                old.add(func)
    return cells, old


def duel(a: dict[int, float], b: dict[int, float], seeds: list[int]) -> tuple[int, int, float]:
    ra, rb = np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])
    wa, wb = int(np.sum(ra < rb)), int(np.sum(rb < ra))
    return wa, wb, (binomtest(wa, wa + wb).pvalue if wa + wb else 1.0)


def table(s0: int, s1: int, old_smac: bool) -> None:
    cells, old = cells_8(old_smac)
    names = {**OURS, **PEERS}
    print(
        "| function | seeds | "
        + " | ".join(names.values())
        + " | lowest autolab vs lowest peer: seeds lower on, p | target |"
    )
    print("|---|---:|" + "---:|" * len(names) + "---|---|")
    for func in ORDER:
        have = [t for t in names if cells.get((func, t))]
        seeds = sorted(set.intersection(*(set(cells[func, t]) for t in have)) & set(range(s0, s1 + 1)))
        if not seeds:
            continue
        med = {t: float(np.median([cells[func, t][s] for s in seeds])) for t in have}
        ours = [t for t in have if t in OURS]
        peers = [t for t in have if t in PEERS]
        a, b = min(ours, key=med.__getitem__), min(peers, key=med.__getitem__)
        text = []
        for t in names:
            if t not in med:
                text.append("")
                continue
            cell = f"{med[t]:.3g}" + ("*" if t == "smac" and func in old else "")
            text.append(f"**{cell}**" if med[t] == min(med.values()) else cell)
        wa, wb, p = duel(cells[func, a], cells[func, b], seeds)
        met = "met" if med[a] < med[b] else "**missed**"
        print(
            f"| {func} | {len(seeds)} | "
            + " | ".join(text)
            + f" | {OURS[a]} {wa} / {PEERS[b]} {wb}, p {p:.2g} | {met} |"
        )


def cmaes_vs_seq(s0: int, s1: int) -> None:
    par = load("tuner_par100_round11.jsonl", {"cmaes", "optuna-cmaes"})
    seq = load("tuner_seq100.jsonl", {"cmaes", "optuna-cmaes"}, par=1)
    print("| function | seeds | tuner | sequential | 8 running | ratio | seeds lower seq / 8, p |")
    print("|---|---:|---|---:|---:|---:|---|")
    for func in ORDER:
        for t in ("cmaes", "optuna-cmaes"):
            if (func, t) not in par:
                continue
            seeds = sorted(set(par[func, t]) & set(seq[func, t]) & set(range(s0, s1 + 1)))
            ms = float(np.median([seq[func, t][s] for s in seeds]))
            mp = float(np.median([par[func, t][s] for s in seeds]))
            wa, wb, p = duel(seq[func, t], par[func, t], seeds)
            name = {**OURS, **PEERS}[t]
            print(
                f"| {func} | {len(seeds)} | {name} | {ms:.3g} | {mp:.3g} | {mp / ms:.2f}x | {wa} / {wb}, p {p:.2g} |"
            )


def smac_new_vs_old(s0: int, s1: int) -> None:
    """SMAC as now shipped (EXCHANGE_SHARE 1.0) against the ninth round's rows (0.5), 8 running."""
    new = load("tuner_par100_round11.jsonl", {"smac"})
    old = load("tuner_par100_smac_gp.jsonl", {"smac"})
    print("| function | seeds | SMAC 0.5 (ninth round) | SMAC 1.0 (shipped) | seeds lower 1.0 / 0.5, p |")
    print("|---|---:|---:|---:|---|")
    for func in ORDER:
        seeds = sorted(
            set(new.get((func, "smac"), {})) & set(old.get((func, "smac"), {})) & set(range(s0, s1 + 1))
        )
        if seeds:
            mo = float(np.median([old[func, "smac"][s] for s in seeds]))
            mn = float(np.median([new[func, "smac"][s] for s in seeds]))
            wa, wb, p = duel(new[func, "smac"], old[func, "smac"], seeds)
            print(f"| {func} | {len(seeds)} | {mo:.3g} | {mn:.3g} | {wa} / {wb}, p {p:.2g} |")


def smac_vs_seq(s0: int, s1: int) -> None:
    """SMAC as shipped with 8 running against its sequential rows (the tenth round's smac-exch100,
    tuner_smac_round10_table.jsonl, which the shipped default reproduces)."""
    par = load("tuner_par100_round11.jsonl", {"smac"})
    seq = load("tuner_smac_round10_table.jsonl", {"smac-exch100"}, par=1)
    print("| function | seeds | SMAC sequential | SMAC 8 running | ratio | seeds lower seq / 8, p |")
    print("|---|---:|---:|---:|---:|---|")
    for func in ORDER:
        a, b = seq.get((func, "smac-exch100"), {}), par.get((func, "smac"), {})
        seeds = sorted(set(a) & set(b) & set(range(s0, s1 + 1)))
        if seeds:
            ms, mp = (float(np.median([c[s] for s in seeds])) for c in (a, b))
            wa, wb, p = duel(a, b, seeds)
            print(
                f"| {func} | {len(seeds)} | {ms:.3g} | {mp:.3g} | {mp / ms:.2f}x | {wa} / {wb}, p {p:.2g} |"
            )


if __name__ == "__main__":
    lo, hi = int(sys.argv[1]), int(sys.argv[2])
    table(lo, hi, len(sys.argv) > 3 and sys.argv[3] == "old")
    print()
    cmaes_vs_seq(lo, hi)
    print()
    smac_new_vs_old(lo, hi)
    print()
    smac_vs_seq(lo, hi)
