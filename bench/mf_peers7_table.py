"""The multi-fidelity bench's seventh-round peers (DEHB, NNI's Hyperband and BOHB advisors) against
B2 (autolab TPE + ASHA, min_correlation 0.5, correlation_confidence 0.8), autolab's best row and
the best earlier peer, cell by cell (problem x cost 10/30/100), read from the stored runs:

    python3 bench/mf_peers7_table.py bench/mf_runs.jsonl bench/mf_peer_rows7.jsonl

A cell's median is over the runs that went that far (mf_bench.table's rule: a run with nothing at
the full budget yet counts as worse than any that has one). "won-lost" compares a new peer with B2
seed by seed on their common seeds (lower regret wins, equal regrets are ties and left out); p is
the two-sided sign test's. Where a new peer has fewer seeds than B2, B2's median on those seeds
follows its median in parentheses.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mf_bench import CHECKPOINTS, regret_at  # noqa: E402
from mf_problems import problems  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

B2 = "autolab TPE + ASHA (stopping, min_correlation 0.5, correlation_confidence 0.8)"
NEW = ("DEHB", "NNI")
OLD_PEERS = ("Optuna", "Syne Tune")


def regrets(problem, runs, c) -> dict[int, float]:  # type: ignore[no-untyped-def]
    """seed -> regret at cost c (inf: nothing at the full budget yet), runs that went that far."""
    out = {}
    for seed, (trace, cost) in runs.items():
        if cost >= c:
            r = regret_at(problem, trace, c)
            out[seed] = float("inf") if r is None else r
    return out


SHORT = (
    (B2, "B2"),
    ("autolab TPE + ASHA (stopping, min_correlation 0.5, correlation_confidence ", "TPE + ASHA (mc 0.5, cc "),
    ("autolab ", ""),
    ("Syne Tune 0.16.0 ", "Syne "),
    ("Optuna 5.0.0 ", "Optuna "),
)


def short(method: str) -> str:
    for long, brief in SHORT:
        method = method.replace(long, brief)
    return method


def best(
    med: dict[str, float], cell: dict[str, dict[int, float]], prefixes: tuple[str, ...], scale: int
) -> str:
    """The lowest median among rows whose name starts with one of prefixes, over 20 seeds or more."""
    rows = [m for m in med if m.startswith(prefixes) and len(cell[m]) >= 20]
    if not rows:
        return "n/a"
    m = min(rows, key=lambda k: med[k])
    return f"{med[m] * scale:.3f} ({short(m)}, {len(cell[m])})"


def cells(problem, methods, c):  # type: ignore[no-untyped-def]
    """(seed -> regret, median) per method at cost c, over the runs that went that far."""
    cell = {m: regrets(problem, runs, c) for m, runs in methods.items()}
    return cell, {m: statistics.median(v.values()) for m, v in cell.items() if v}


def main() -> None:
    # problem -> method -> seed -> (trace, max cost); of a seed run twice, the run to the larger cost
    by_seed: dict[str, dict[str, dict[int, tuple[list, float]]]] = {}
    for path in sys.argv[1:]:
        for line in Path(path).read_text().splitlines():
            run = json.loads(line)
            seeds = by_seed.setdefault(run["problem"], {}).setdefault(run["method"], {})
            old = seeds.get(run["seed"])
            if old is None or old[1] < run["max_cost"]:
                seeds[run["seed"]] = (run["trace"], run["max_cost"])
    # a new peer's seeds: those it has on every problem (a run cut short leaves a partial seed)
    new = {m for ms in by_seed.values() for m in ms if m.startswith(NEW)}
    for m in sorted(new):
        common = set.intersection(*(set(ms.get(m, {})) for ms in by_seed.values()))
        print(f"{m}: seeds {sorted(common)}")
        for ms in by_seed.values():
            ms[m] = {s: run for s, run in ms.get(m, {}).items() if s in common}
    every = problems()
    for name, methods in by_seed.items():
        problem = every[name]
        scale = 100 if problem.mode == "maximize" else 1
        unit = "accuracy points" if scale == 100 else "function value"
        print(f"\n**{name}**: median regret ({unit}); new peers: median, seeds won-lost vs B2, sign test p\n")
        print("| row | " + " | ".join(f"cost {c}" for c in CHECKPOINTS) + " |")
        print("|---|" + "---|" * len(CHECKPOINTS))
        table = [cells(problem, methods, c) for c in CHECKPOINTS]
        print("| B2 | " + " | ".join(f"{med[B2] * scale:.3f}" for _, med in table) + " |")
        for label, prefixes in (("autolab's best row", ("autolab",)), ("best earlier peer", OLD_PEERS)):
            print(
                f"| {label} | " + " | ".join(best(med, cell, prefixes, scale) for cell, med in table) + " |"
            )
        for m in sorted(new):
            shown = []
            for cell, med in table:
                if m not in med:
                    shown.append("n/a")
                    continue
                common = sorted(set(cell[m]) & set(cell[B2]))
                won = sum(cell[m][s] < cell[B2][s] for s in common)
                lost = sum(cell[m][s] > cell[B2][s] for s in common)
                p = binomtest(won, won + lost).pvalue if won + lost else 1.0
                value = "none yet" if med[m] == float("inf") else f"{med[m] * scale:.3f}"
                here = ""  # B2's median on the new peer's seeds, where those are fewer than B2's
                if len(common) < len(cell[B2]):
                    here = f" (B2 {statistics.median(cell[B2][s] for s in common) * scale:.3f})"
                shown.append(f"{value}{here}, {won}-{lost}, p {p:.2g}")
            n = len(next(iter(table))[0].get(m, {}))
            print(f"| {short(m)} ({n} seeds) | " + " | ".join(shown) + " |")


if __name__ == "__main__":
    main()
