"""Issue 16, eighth round: candidate rows against a reference row (C4S5 by default), cell by cell
(problem x cost 10/30/100), on the seeds both have, from stored runs; and, with --peers, the lowest
peer median (20 seeds or more) in each cell.

    python3 bench/mf_compare8.py bench/mf_holdout_runs.jsonl bench/mf_runs8.jsonl --seeds 20-39
    python3 bench/mf_compare8.py bench/mf_runs.jsonl bench/mf_peer_rows7.jsonl bench/mf_runs8.jsonl \
        --seeds 0-19 --peers

A cell: the candidate's median regret, in brackets the seeds where it is lower - higher than the
reference (ties left out) and the two-sided sign-test p; the reference's median on the same seeds
first. A run counts at a cost only if it went that far; nothing at the full budget yet is worse
than any regret (mf_bench.table's rule). Digits in accuracy points.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mf_bench import CHECKPOINTS, regret_at  # noqa: E402
from mf_problems import problems  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

C4S5 = (
    "autolab TPE + ASHA (stopping, min_correlation 0.5, correlation_confidence 0.8, correlation_chain True, "
    "min_pairs 4, TPE n_startup_jobs 5)"
)
PEERS = ("Optuna", "Syne Tune", "DEHB", "NNI")


def label(method: str) -> str:
    """A candidate's name without what it shares with C4S5."""
    common = C4S5.removesuffix(", TPE n_startup_jobs 5)").split(", ")
    return ", ".join(p for p in method.removesuffix(")").split(", ") if p not in common and "(" not in p)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--seeds", default="20-39", help="first-last")
    parser.add_argument("--ref", default=C4S5)
    parser.add_argument("--peers", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, help="candidate names containing one of these")
    args = parser.parse_args()
    lo, hi = map(int, args.seeds.split("-"))
    found: dict[str, dict[str, dict[int, tuple[list, float]]]] = {}
    for path in args.runs:
        for line in Path(path).read_text().splitlines():
            run = json.loads(line)
            if not lo <= run["seed"] <= hi:
                continue
            seeds = found.setdefault(run["problem"], {}).setdefault(run["method"], {})
            old = seeds.get(run["seed"])
            if old is None or old[1] < run["max_cost"]:
                seeds[run["seed"]] = (run["trace"], run["max_cost"])
    every = problems()
    for name, methods in found.items():
        problem, scale = every[name], 100 if every[name].mode == "maximize" else 1

        def at(method: str, c: float, _m=methods, _p=problem) -> dict[int, float]:  # type: ignore[no-untyped-def]
            out = {}
            for seed, (trace, cost) in _m.get(method, {}).items():
                if cost >= c:
                    r = regret_at(_p, trace, c)
                    out[seed] = float("inf") if r is None else r
            return out

        cands = [m for m in methods if m != args.ref and m.startswith("autolab TPE + ASHA")]
        if args.only is not None:
            cands = [m for m in cands if any(o in m for o in args.only)]
        print(f"\n{name}")
        for c in CHECKPOINTS:
            ref = at(args.ref, c)
            line = [
                f"cost {c}: ref {statistics.median(ref.values()) * scale:.3f} (n {len(ref)})" if ref else ""
            ]
            for m in cands:
                mine = at(m, c)
                common = sorted(set(mine) & set(ref))
                if not common:
                    continue
                won = sum(mine[s] < ref[s] for s in common)
                lost = sum(mine[s] > ref[s] for s in common)
                p = binomtest(won, won + lost).pvalue if won + lost else 1.0
                refmed = statistics.median(ref[s] for s in common)
                line.append(
                    f"{label(m)}: "
                    f"{statistics.median(mine[s] for s in common) * scale:.3f} vs {refmed * scale:.3f} "
                    f"({won}-{lost}, p {p:.2f}, n {len(common)})"
                )
            if args.peers:
                meds = {m: at(m, c) for m in methods if m.startswith(PEERS)}
                meds = {m: statistics.median(v.values()) for m, v in meds.items() if len(v) >= 18}
                if meds:
                    b = min(meds, key=meds.__getitem__)
                    line.append(f"best peer {meds[b] * scale:.3f} ({b})")
            print("  " + " | ".join(line))


if __name__ == "__main__":
    main()
