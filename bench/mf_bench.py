"""Multi-fidelity benchmark: autolab's Hyperband, BOHB, ASHA (both modes) against Optuna 5, Syne Tune
and random / TPE search at full budget, on MFHartmann-3/6 (good, bad) and the digits-MLP table.

Regret of the best full-budget result found, against cumulative cost (the sum of budget fractions
spent: a trial at budget b of B costs b / B; Hyperband and BOHB trials train from scratch at each
rung, as NNI's; ASHA's promotion mode continues from the configuration's checkpoint and pays the
steps it adds; a stopped trial pays the steps it ran), read at 10, 30 and 100 full-evaluation
equivalents; median over seeds; one worker, sequential. The problems: bench/mf_problems.py.

    nice -n 10 python3 bench/mf_bench.py --seeds 20 [--jobs 2] [--out runs.jsonl]   # tables at the end
    python3 bench/mf_bench.py --load runs.jsonl runs.jsonl.optuna runs.jsonl.syne  # tables of runs so far

Peers run in their own venvs (bench/mf_peers.py): Optuna 5.0.0 in /tmp/mf-venv, Syne Tune 0.16.0 in
/tmp/mf2-syne; a peer whose venv is missing is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from mf_problems import Problem, Tracker, problems  # noqa: E402

from autolab.assessors import create_assessor  # noqa: E402
from autolab.fidelity import BUDGET_KEY, without_budget  # noqa: E402
from autolab.history import History, Trial, TrialStatus  # noqa: E402
from autolab.searchspace import SearchSpace  # noqa: E402
from autolab.tuners import NoMoreTrials, create_tuner  # noqa: E402

CHECKPOINTS = (10, 30, 100)
#: more TPE + ASHA (min_correlation c) rows, one per c (--min-correlation; set before the pool forks)
EXTRA_CORRELATIONS: list[float] = []
#: more TPE + ASHA (min_correlation 0.5) rows with more ASHA classArgs, one per dict (--asha-args)
EXTRA_ASHA: list[dict[str, Any]] = []
Trace = list[tuple[float, float | None]]


def methods(r: int) -> dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """name -> (tuner, classArgs, ASHA assessor classArgs or None), for a largest budget r."""
    asha = {"grace_period": 1, "eta": 3, "max_t": r}
    return {
        "autolab random (full budget)": ("Random", {}, None),
        "autolab TPE (full budget)": ("TPE", {}, None),
        "autolab Hyperband": ("Hyperband", {"R": r, "eta": 3}, None),
        "autolab BOHB": ("BOHB", {"min_budget": 1, "max_budget": r, "eta": 3}, None),
        "autolab TPE + ASHA (stopping)": ("TPE", {}, asha),
        "autolab random + ASHA (stopping)": ("Random", {}, asha),
        "autolab ASHA (promotion)": ("ASHA", asha, None),
        # ASHA stops only at rungs whose results rank the completed trials' finals (Spearman >=
        # 0.5, measured after 5 completed trials): see autolab/assessors/asha.py
        "autolab TPE + ASHA (stopping, min_correlation 0.5)": ("TPE", {}, {**asha, "min_correlation": 0.5}),
        **{
            f"autolab TPE + ASHA (stopping, min_correlation {c:g})": (
                "TPE",
                {},
                {**asha, "min_correlation": c},
            )
            for c in EXTRA_CORRELATIONS
        },
        **{
            extra_name(a): (
                "TPE",
                {"tpe_args": a["tpe_args"]} if "tpe_args" in a else {},  # a "tpe_args" key goes to TPE
                {**asha, "min_correlation": 0.5, **{k: v for k, v in a.items() if k != "tpe_args"}},
            )
            for a in EXTRA_ASHA
        },
    }


def extra_name(args: dict[str, Any]) -> str:
    def shown(k: str, v: Any) -> str:
        if isinstance(v, dict):  # tpe_args
            return ", ".join(f"TPE {a} {b}" for a, b in v.items())
        return f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"

    more = ", ".join(shown(k, v) for k, v in args.items())
    return f"autolab TPE + ASHA (stopping, min_correlation 0.5, {more})"


def simulate(problem: Problem, method: str, seed: int, max_cost: float) -> Trace:
    r = problem.max_budget
    name, args, asha = methods(r)[method]
    space = SearchSpace(problem.space)
    tuner = create_tuner(space, name, {"optimize_mode": problem.mode, "seed": seed, **args})
    assessor = make_assessor(problem.mode, asha) if asha else None
    history, track = History(), Tracker(problem, max_cost)
    trained: dict[str, int] = {}  # config -> steps in its checkpoint (ASHA's promotion mode)
    while not track.spent:
        try:
            params = tuner.suggest(history)
        except NoMoreTrials:
            break
        budget = int(params.get(BUDGET_KEY, r))
        fid = getattr(params, "fidelity", None)
        trial_id = f"T{len(history)}"
        if fid is not None:
            fid = {**fid, "config": fid["config"] or trial_id}
        trial = Trial(trial_id, len(history), dict(params), TrialStatus.RUNNING, fidelity=fid)
        history.trials.append(trial)
        point = without_budget(params)
        start = trained.get(fid["config"], 0) if fid and params.get("load_checkpoint_dir") else 0
        reached = budget
        if assessor is not None:  # every step reported, the assessor asked after each
            for step in range(start + 1, budget + 1):
                trial.intermediate.append(problem.at(point, step))
                if step < budget and assessor.should_stop(trial, history):
                    reached = step
                    break
        if fid is not None:
            trained[fid["config"]] = reached
        if reached < budget:
            trial.status = TrialStatus.EARLY_STOPPED
        else:
            trial.value = trial.intermediate[-1] if trial.intermediate else problem.at(point, budget)
            trial.status = TrialStatus.PAUSED if tuner.pauses(trial) else TrialStatus.SUCCEEDED
        track.trial(reached - start, trial.value if reached == r else None)
    return track.trace


def make_assessor(mode: str, asha: dict[str, Any]) -> Any:
    """autolab's ASHA assessor, or bench/mf_variants9.py's when the row has one of its keys (with
    MF_SHIPPED=1 in the environment always autolab's: to check that shipped code repeats a row)."""
    import mf_variants9
    import mf_variants12

    if any(k in asha for k in mf_variants12.KEYS):  # twelfth round: never shipped
        return mf_variants12.make(mode, asha)
    if os.environ.get("MF_SHIPPED") != "1" and any(k in asha for k in mf_variants9.KEYS):
        return mf_variants9.make(mode, asha)
    return create_assessor("ASHA", {"optimize_mode": mode, **asha})


def regret_at(problem: Problem, trace: Trace, cost: float) -> float | None:
    """The regret of the best full-budget value found by this cost (None: none yet)."""
    best = None
    for c, b in trace:
        if c > cost + 1e-9:
            break
        best = b
    return None if best is None else problem.regret(best)


def _run(job: tuple[str, str, int, float]) -> dict[str, Any]:
    name, method, seed, max_cost = job
    return {
        "problem": name,
        "method": method,
        "seed": seed,
        "max_cost": max_cost,
        "trace": simulate(problems()[name], method, seed, max_cost),
    }


def peer_command(python: str, peer: str, names: list[str], seeds: list[int], max_cost: float) -> list[str]:
    cmd = [python, str(HERE / "mf_peers.py"), peer, "--max-cost", str(max_cost), "--seeds", *map(str, seeds)]
    return [*cmd, "--problems", *names]


Runs = dict[str, dict[str, list[tuple[Trace, float]]]]  # problem -> method -> [(trace, its max cost)]


def load(paths: list[str]) -> Runs:
    """Runs written as JSON lines ({problem, method, seed, max_cost, trace}) by --out or
    bench/mf_peers.py; of a seed run twice, the run to the larger cost."""
    found: dict[str, dict[str, dict[int, tuple[Trace, float]]]] = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            run = json.loads(line)
            seeds = found.setdefault(run["problem"], {}).setdefault(run["method"], {})
            old = seeds.get(run["seed"])
            if old is None or old[1] < run["max_cost"]:
                seeds[run["seed"]] = (run["trace"], run["max_cost"])
    return {p: {m: [runs[s] for s in sorted(runs)] for m, runs in ms.items()} for p, ms in found.items()}


def save(paths: list[str], out: str) -> None:
    """Write the runs the tables read (per problem, method and seed, the run to the largest cost) as
    JSON lines, each trace cut to its first and last points and those where the best changes:
    regret_at reads the same from it, so `--load out` prints the same tables."""
    kept: dict[tuple[str, str, int], dict[str, Any]] = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            run = json.loads(line)
            key = (run["problem"], run["method"], run["seed"])
            if key not in kept or kept[key]["max_cost"] < run["max_cost"]:
                kept[key] = run
    order = {name: i for i, name in enumerate([*problems(), *methods(1)])}  # autolab's rows first
    with open(out, "w") as f:
        for key in sorted(kept, key=lambda k: (order.get(k[0], 99), order.get(k[1], 99), k[1], k[2])):
            t = kept[key]["trace"]
            cut = [p for i, p in enumerate(t) if i in (0, len(t) - 1) or p[1] != t[i - 1][1]]
            f.write(json.dumps({**kept[key], "trace": cut}) + "\n")


def table(problem: Problem, runs: dict[str, list[tuple[Trace, float]]]) -> list[str]:
    """Markdown rows: median regret at each checkpoint over the runs that went that far (a run with
    nothing at full budget yet counts as worse than any that has one), the best median in bold, and
    how many seeds each median is over."""
    cells: dict[str, list[float | None]] = {}
    counts: dict[str, list[int]] = {}
    for method, traces in runs.items():
        cells[method], counts[method] = [], []
        for c in CHECKPOINTS:
            regrets = [regret_at(problem, t, c) for t, cost in traces if cost >= c]
            counts[method].append(len(regrets))
            inf = float("inf")
            cells[method].append(
                statistics.median(inf if x is None else x for x in regrets) if regrets else None
            )
    best = [
        min((r[i] for r in cells.values() if r[i] is not None), default=None) for i in range(len(CHECKPOINTS))
    ]
    scale = 100 if problem.mode == "maximize" else 1  # accuracy points for the digits table
    out = ["| method | " + " | ".join(f"cost {c}" for c in CHECKPOINTS) + " | seeds |"]
    out.append("|---|" + "---|" * (len(CHECKPOINTS) + 1))
    for method, row in cells.items():
        shown = []
        for v, b in zip(row, best, strict=True):
            text = "n/a" if v is None else "none yet" if v == float("inf") else f"{v * scale:.3f}"
            shown.append(f"**{text}**" if v is not None and v == b else text)
        out.append(f"| {method} | " + " | ".join(shown) + f" | {'/'.join(map(str, counts[method]))} |")
    return out


def reach(problem: Problem, runs: dict[str, list[tuple[Trace, float]]], ref: str) -> dict[str, str]:
    """method -> the least whole cost at which its median regret (over its runs to cost 100, the
    same seeds at every cost) is at most ref's median regret at cost 100 (the target, shown), with
    the seed counts. Target 2 of issue 16 ("Optuna's regret at 100 units with at most half the
    cost"): --reach "Optuna 5.0.0 TPE + HyperbandPruner", met where the cost is 50 or less."""

    def median_at(traces: list[Trace], c: float) -> float:
        regrets = [regret_at(problem, t, c) for t in traces]
        return statistics.median(float("inf") if x is None else x for x in regrets)

    ref_runs = [t for t, cost in runs.get(ref, []) if cost >= 100]
    if not ref_runs:
        return {}
    target, out = median_at(ref_runs, 100), {}
    for method, traces in runs.items():
        full = [t for t, cost in traces if cost >= 100]
        if full:
            hit = next((c for c in range(1, 101) if median_at(full, c) <= target), None)
            shown = f"{target * (100 if problem.mode == 'maximize' else 1):.3f}"
            out[method] = (
                f"{hit if hit else '> 100'} ({len(full)} seeds; {ref}: {len(ref_runs)}, target {shown})"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="run seeds first-seed ... first-seed + seeds - 1"
    )
    parser.add_argument("--max-cost", type=float, default=100)
    parser.add_argument("--problems", nargs="*", default=list(problems()))
    parser.add_argument("--methods", nargs="*", default=None, help="default: every method")
    parser.add_argument("--min-correlation", nargs="*", type=float, default=[], help="more TPE + ASHA rows")
    parser.add_argument(
        "--asha-args",
        nargs="*",
        type=json.loads,
        default=[],
        help='more TPE + ASHA rows: JSON classArgs (a "tpe_args" key: TPE\'s tpe_args)',
    )
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--optuna-python", default="/tmp/mf-venv/bin/python")
    parser.add_argument("--syne-python", default="/tmp/mf2-syne/bin/python")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--out", default="/tmp/mf_bench_runs.jsonl", help="each run appended here, as it ends"
    )
    parser.add_argument("--load", nargs="*", default=None, help="only print the tables of these runs files")
    parser.add_argument(
        "--save", default=None, help="with --load: the runs it read, merged and cut, to this file"
    )
    parser.add_argument(
        "--reach", default=None, help="also print the cost at which each row reaches this row's regret at 100"
    )
    args = parser.parse_args()
    EXTRA_CORRELATIONS.extend(args.min_correlation)
    EXTRA_ASHA.extend(args.asha_args)
    extra = [f"autolab TPE + ASHA (stopping, min_correlation {c:g})" for c in EXTRA_CORRELATIONS]
    extra += [extra_name(a) for a in EXTRA_ASHA]
    # no --methods: every method; --methods with names: those, and the --min-correlation rows
    args.methods = list(methods(1)) if args.methods is None else list(dict.fromkeys([*args.methods, *extra]))
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if args.load is None:
        # seed by seed, so that a run cut short has every method at its first seeds
        jobs = [(p, m, s, args.max_cost) for s in seeds for p in args.problems for m in args.methods]
        peers = []
        for python, peer in ((args.optuna_python, "optuna"), (args.syne_python, "syne")):
            if args.no_peers or not os.path.exists(python):
                print(f"({peer} skipped)", file=sys.stderr)
                continue
            out = open(f"{args.out}.{peer}", "w")  # noqa: SIM115 (the peer writes it while we run)
            command = peer_command(python, peer, args.problems, seeds, args.max_cost)
            peers.append(subprocess.Popen(command, stdout=out))
        with multiprocessing.Pool(args.jobs) as pool, open(args.out, "w") as out:
            for run in pool.imap(_run, jobs, chunksize=1):
                out.write(json.dumps(run) + "\n")
                out.flush()
        for process in peers:
            process.wait()
    paths = args.load or [
        args.out,
        *(f"{args.out}.{p}" for p in ("optuna", "syne") if os.path.exists(f"{args.out}.{p}")),
    ]
    if args.save:
        save(paths, args.save)
    traces = load(paths)
    every = problems()
    for name in (n for n in args.problems if n in traces):
        unit = "accuracy points" if every[name].mode == "maximize" else "function value"
        print(f"\n{name}: median regret ({unit}) at cumulative cost (seeds: runs at 10/30/100)\n")
        print("\n".join(table(every[name], traces[name])))
        if args.reach:
            print(f"\ncost at which each row's median reaches {args.reach}'s median regret at cost 100:")
            for method, hit in reach(every[name], traces[name], args.reach).items():
                print(f"- {method}: {hit}")


if __name__ == "__main__":
    main()
