"""Multi-fidelity benchmark on real learning curves: the digits MLP as a tabular benchmark.

The table: sklearn's MLPClassifier (adam) trained epoch by epoch (partial_fit) on digits, validation
accuracy after each of 27 epochs, for every point of a 288-point grid (bench/assessor_curves.py
trains them; the table is cached in bench/mf_digits_table.json). A method's trial at budget b
costs b / 27 of a full evaluation (a promoted configuration trains again from scratch, as NNI's
Hyperband trials do; ASHA's promotion mode continues from the configuration's checkpoint and costs
only the epochs it adds); an early-stopped trial costs the epochs it ran. Regret = the table's best
27-epoch accuracy minus the best 27-epoch accuracy the method has evaluated, read at 10, 30 and 100
full-evaluation equivalents of cumulative cost; medians over seeds. One worker, sequential.

    python bench/mf_digits.py --seeds 20 [--json /tmp/mf.json]

Optuna 5 (TPE + HyperbandPruner, TPE + SuccessiveHalvingPruner) runs in its own venv
(python3 -m venv /tmp/mf-venv && /tmp/mf-venv/bin/pip install optuna==5.0.0) through
bench/mf_digits_optuna.py; without it those rows are skipped.
"""

from __future__ import annotations

import argparse
import json
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

from autolab.assessors import create_assessor  # noqa: E402
from autolab.fidelity import BUDGET_KEY, without_budget  # noqa: E402
from autolab.history import History, Trial, TrialStatus  # noqa: E402
from autolab.searchspace import SearchSpace  # noqa: E402
from autolab.tuners import NoMoreTrials, create_tuner  # noqa: E402

EPOCHS = 27
GRID: dict[str, list[Any]] = {
    "learning_rate_init": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
    "hidden_size": [16, 32, 64, 128],
    "alpha": [1e-5, 1e-3, 1e-1],
    "batch_size": [32, 64, 128, 256],
}
SPACE = {k: {"_type": "choice", "_value": v} for k, v in GRID.items()}
TABLE = HERE / "mf_digits_table.json"
CHECKPOINTS = (10, 30, 100)
METHODS: dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]] = {
    # name -> (tuner, classArgs, ASHA classArgs or None)
    "autolab random (full budget)": ("Random", {}, None),
    "autolab TPE (full budget)": ("TPE", {}, None),
    "autolab Hyperband": ("Hyperband", {"R": EPOCHS, "eta": 3}, None),
    "autolab BOHB": ("BOHB", {"min_budget": 1, "max_budget": EPOCHS, "eta": 3}, None),
    "autolab TPE + ASHA": ("TPE", {}, {"grace_period": 1, "eta": 3, "max_t": EPOCHS}),
    "autolab random + ASHA": ("Random", {}, {"grace_period": 1, "eta": 3, "max_t": EPOCHS}),
    "autolab ASHA (promotion, from checkpoints)": (
        "ASHA",
        {"grace_period": 1, "eta": 3, "max_t": EPOCHS},
        None,
    ),
}


def key(params: dict[str, Any]) -> str:
    return json.dumps({k: params[k] for k in GRID}, sort_keys=True)


def build_table() -> dict[str, list[float]]:
    import itertools

    from assessor_curves import CurveCache

    cache = CurveCache(EPOCHS)
    table = {}
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        table[key(params)] = [round(a, 6) for a in cache.curve(params, seed=0)[0]]
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(table.items())]
    TABLE.write_text("{\n" + ",\n".join(lines) + "\n}\n")  # one configuration a line
    return table


def load_table() -> dict[str, list[float]]:
    return json.loads(TABLE.read_text()) if TABLE.exists() else build_table()


def simulate(
    method: str, seed: int, table: dict[str, list[float]], max_cost: float
) -> list[tuple[float, float]]:
    """(cumulative cost, best full-budget accuracy so far) after each trial."""
    name, args, asha = METHODS[method]
    tuner = create_tuner(SearchSpace(SPACE), name, {"optimize_mode": "maximize", "seed": seed, **args})
    assessor = create_assessor("ASHA", asha) if asha is not None else None
    history, cost, best, trace = History(), 0.0, float("-inf"), []
    trained: dict[str, int] = {}  # config -> epochs in its checkpoint (ASHA's promotion mode)
    while cost < max_cost:
        try:
            params = tuner.suggest(history)
        except NoMoreTrials:
            break
        budget = int(params.get(BUDGET_KEY, EPOCHS))
        fid = getattr(params, "fidelity", None)
        trial_id = f"T{len(history)}"
        if fid is not None:
            fid = {**fid, "config": fid["config"] or trial_id}
        trial = Trial(trial_id, len(history), dict(params), TrialStatus.RUNNING, fidelity=fid)
        history.trials.append(trial)
        curve = table[key(without_budget(params))]
        start = trained.get(fid["config"], 0) if fid and params.get("load_checkpoint_dir") else 0
        stopped = False
        for epoch in range(start, budget):
            trial.intermediate.append(curve[epoch])
            if assessor is not None and assessor.should_stop(trial, history):
                stopped = True
                break
        if fid is not None:
            trained[fid["config"]] = start + len(trial.intermediate)
        cost += len(trial.intermediate) / EPOCHS
        if stopped:
            trial.status = TrialStatus.EARLY_STOPPED
        else:
            trial.status, trial.value = TrialStatus.SUCCEEDED, curve[budget - 1]
        if start + len(trial.intermediate) == EPOCHS:
            best = max(best, curve[EPOCHS - 1])
        trace.append((cost, best))
    return trace


def regret_at(trace: list[tuple[float, float]], cost: float, optimum: float) -> float:
    best = max((b for c, b in trace if c <= cost + 1e-9), default=float("-inf"))
    return optimum - best if best > float("-inf") else optimum  # nothing at full budget yet: regret = optimum


def optuna_traces(
    seeds: list[int], max_cost: float, python: str
) -> dict[str, list[list[tuple[float, float]]]]:
    script = HERE / "mf_digits_optuna.py"
    done = subprocess.run(
        [
            python,
            str(script),
            "--table",
            str(TABLE),
            "--max-cost",
            str(max_cost),
            "--seeds",
            *map(str, seeds),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--max-cost", type=float, default=100)
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--optuna-python", default="/tmp/mf-venv/bin/python")
    parser.add_argument("--json", default=None, help="also write the traces here")
    args = parser.parse_args()
    table = load_table()
    optimum = max(curve[-1] for curve in table.values())
    seeds = list(range(args.seeds))
    traces: dict[str, list[list[tuple[float, float]]]] = {
        m: [simulate(m, s, table, args.max_cost) for s in seeds] for m in args.methods
    }
    if os.path.exists(args.optuna_python):
        traces.update(optuna_traces(seeds, args.max_cost, args.optuna_python))
    else:
        print(f"({args.optuna_python} not found: Optuna rows skipped)", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(traces))
    print(f"digits MLP, {len(table)} configurations x {EPOCHS} epochs; best 27-epoch accuracy {optimum:.4f}")
    print(f"median regret (accuracy points x 100) over {len(seeds)} seeds at cumulative cost:\n")
    print("| method | " + " | ".join(f"cost {c}" for c in CHECKPOINTS) + " | trials run (median) |")
    print("|---|" + "---|" * (len(CHECKPOINTS) + 1))
    for method, runs in traces.items():
        cells = [statistics.median(regret_at(t, c, optimum) for t in runs) * 100 for c in CHECKPOINTS]
        trials = statistics.median(len(t) for t in runs)
        print(f"| {method} | " + " | ".join(f"{v:.2f}" for v in cells) + f" | {trials:g} |")


if __name__ == "__main__":
    main()
