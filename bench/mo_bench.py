"""Multi-objective benchmark: autolab's MOTPE, NSGA-II and MOGP against Optuna 5's NSGAIISampler,
TPESampler (multi-objective) and GPSampler (--gp) and random search, side by side in one run.

Quality: the hypervolume of the first N evaluations (sequential: one suggestion, one result) with
a fixed reference point per problem, median over seeds, on ZDT1, ZDT2, DTLZ2 (3 objectives) and a
mixed-type 'train a model' surface (bench/mo_problems.py). Hypervolumes are computed here, for
every column alike, by autolab.pareto.hypervolume (checked against moocore in the peers' venv
when it has it).

    python3 -m venv /tmp/mo-venv && /tmp/mo-venv/bin/pip install optuna==5.0.0 numpy scipy moocore
    OMP_NUM_THREADS=1 nice -n 10 python3 bench/mo_bench.py --seeds 10 --evals 100 300

Optuna runs through bench/mo_peers.py in --peer-python (its columns are skipped when that is
missing); --gp adds Optuna's GPSampler (slow: minutes a run; it needs torch in that venv).
--only runs chosen columns; --table merges earlier runs' JSON files into one table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from mo_problems import problems  # noqa: E402

from autolab.history import History, Trial  # noqa: E402
from autolab.pareto import hypervolume  # noqa: E402
from autolab.searchspace import SearchSpace  # noqa: E402
from autolab.statuses import TrialStatus  # noqa: E402
from autolab.tuners import create_tuner  # noqa: E402

OURS = {"autolab MOTPE": "TPE", "autolab NSGA-II": "Evolution", "autolab MOGP": "GP", "random": "Random"}
PEERS = {"Optuna TPE": "tpe", "Optuna NSGA-II": "nsga2"}


def run_autolab(
    tuner: str, problem: tuple[Any, ...], evals: int, seed: int
) -> tuple[list[list[float]], float]:
    func, space, dims, _ = problem
    n_obj = len(func(SearchSpace(space).sample(__import__("random").Random(0)), dims))
    names = {f"f{i}": "minimize" for i in range(n_obj)}
    t = create_tuner(SearchSpace(space), tuner, {"objectives": names, "seed": seed})
    history, points = History(), []
    start = time.perf_counter()
    for i in range(evals):
        params = t.suggest(history)
        values = func(params, dims)
        points.append(values)
        raw = {"default": values[0], **{f"f{k}": v for k, v in enumerate(values)}}
        history.trials.append(
            Trial(f"t{i}", i, params, TrialStatus.SUCCEEDED, value=values[0], raw_value=raw)
        )
    return points, time.perf_counter() - start


def run_peer(
    python: str, sampler: str, name: str, evals: int, seed: int, dims: tuple[int, int]
) -> tuple[list[list[float]], float]:
    out = subprocess.run(
        [python, os.path.join(HERE, "mo_peers.py"), sampler, name, str(evals), str(seed), *map(str, dims)],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return got["points"], got["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--evals", type=int, nargs="+", default=[100, 300])
    ap.add_argument("--problems", nargs="+", default=["zdt1", "zdt2", "dtlz2", "model"])
    ap.add_argument("--zdt-dims", type=int, default=30)
    ap.add_argument("--dtlz-dims", type=int, default=12)
    ap.add_argument("--peer-python", default="/tmp/mo-venv/bin/python")
    ap.add_argument("--gp", action="store_true", help="also Optuna's GPSampler")
    ap.add_argument("--out", default=os.path.join(HERE, "mo_results.json"))
    ap.add_argument(
        "--table",
        nargs="+",
        metavar="JSON",
        help="only print the table of earlier runs' results (several files: merged by seed, a later "
        "file's seed of a column replacing an earlier one's)",
    )
    ap.add_argument("--only", nargs="+", metavar="COLUMN", help='run only these columns (e.g. "Optuna GP")')
    args = ap.parse_args()
    if args.table:
        return print_table(merged(args.table))
    peers = dict(PEERS, **({"Optuna GP": "gp"} if args.gp else {}))
    if not os.path.exists(args.peer_python):
        print(f"{args.peer_python} missing: Optuna's columns skipped", file=sys.stderr)
        peers = {}
    table = problems(args.zdt_dims, args.dtlz_dims)
    most = max(args.evals)
    results: dict[str, Any] = {"args": vars(args), "hv": {}, "seconds": {}}
    ours = {c: t for c, t in OURS.items() if not args.only or c in args.only}
    peers = {c: t for c, t in peers.items() if not args.only or c in args.only}
    for name in args.problems:
        problem = table[name]
        ref = problem[3]
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            runs = {col: run_autolab(t, problem, most, seed) for col, t in ours.items()}
            for col, sampler in peers.items():
                runs[col] = run_peer(
                    args.peer_python, sampler, name, most, seed, (args.zdt_dims, args.dtlz_dims)
                )
            for col, (points, seconds) in runs.items():
                for n in args.evals:
                    hv = hypervolume(points[:n], ref)
                    results["hv"].setdefault(name, {}).setdefault(str(n), {}).setdefault(col, []).append(hv)
                results["seconds"].setdefault(name, {}).setdefault(col, []).append(seconds)
            print(
                f"{name} seed {seed}: "
                + ", ".join(f"{c} {results['hv'][name][str(most)][c][-1]:.4f}" for c in runs),
                file=sys.stderr,
                flush=True,
            )
            with open(args.out, "w") as f:  # after every seed: a run stopped early keeps what it did
                json.dump(results, f, indent=1)
    print_table(results)


def merged(paths: list[str]) -> dict[str, Any]:
    """Several runs' results as one: per problem, evaluations and column, seed -> value (the
    seeds of a run are --first-seed onwards, in order)."""
    by_seed: dict[str, Any] = {"hv": {}, "seconds": {}}
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        first = run["args"].get("first_seed", 0)
        for name, by_n in run["hv"].items():
            for n, by_col in by_n.items():
                for col, values in by_col.items():
                    slot = by_seed["hv"].setdefault(name, {}).setdefault(n, {}).setdefault(col, {})
                    slot.update({first + k: v for k, v in enumerate(values)})
        for name, by_col in run["seconds"].items():
            for col, values in by_col.items():
                slot = by_seed["seconds"].setdefault(name, {}).setdefault(col, {})
                slot.update({first + k: v for k, v in enumerate(values)})
    return {
        "hv": {
            name: {n: {c: list(v.values()) for c, v in by_col.items()} for n, by_col in by_n.items()}
            for name, by_n in by_seed["hv"].items()
        },
        "seconds": {
            name: {c: list(v.values()) for c, v in by_col.items()}
            for name, by_col in by_seed["seconds"].items()
        },
    }


def print_table(results: dict[str, Any]) -> None:
    order = [*OURS, *PEERS, "Optuna GP"]
    found = {c for by_n in results["hv"].values() for by_col in by_n.values() for c in by_col}
    cols = [c for c in order if c in found] + sorted(found - set(order))
    print("| problem | evals | seeds | " + " | ".join(cols) + " |")
    print("|---|---|---|" + "---|" * len(cols))
    for name, by_n in results["hv"].items():
        for n, by_col in by_n.items():
            med = {c: statistics.median(v) for c, v in by_col.items()}
            seeds = sorted({len(v) for v in by_col.values()})
            top = max(med.values())
            cells = [
                "—" if c not in med else f"**{med[c]:.4f}**" if med[c] == top else f"{med[c]:.4f}"
                for c in cols
            ]
            print(f"| {name} | {n} | {'/'.join(map(str, seeds))} | " + " | ".join(cells) + " |")
    print("\nseconds per run (median):")
    for name, by_col in results["seconds"].items():
        print(f"  {name}: " + ", ".join(f"{c} {statistics.median(v):.1f}" for c, v in by_col.items()))


if __name__ == "__main__":
    main()
