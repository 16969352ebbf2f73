"""Multi-fidelity end to end: a real trial script (the digits MLP) through `autolab create`, 4 workers.

Each method runs as a user would run it: a config file, `autolab create --foreground` in a fresh
AUTOLAB_HOME, the local training service, trialConcurrency 4; the results are read back through
`autolab experiment export --intermediate` (JSON). The trial script (TRIAL below, written next to the
config) trains sklearn's MLPClassifier on digits one epoch at a time (partial_fit), reports the
validation accuracy after each epoch and, at the end, {"default": validation, "test": test accuracy,
"epochs": the epochs the model has been trained in all}. Its budget is `autolab.get_budget()`
(NNI's TRIAL_BUDGET parameter) when the method gives one, else the full 27 epochs; ASHA's promotion
mode and PBT give it `load_checkpoint_dir` / `save_checkpoint_dir`, and it continues from there.

Read per run, with the trials in the order they ended:
- epochs trained: the intermediate results every trial reported (one per epoch it ran; a promoted
  ASHA trial or a PBT step reports only the epochs it adds to its checkpoint);
- best full-budget accuracy: the best validation accuracy of a model trained 27 epochs, and that
  trial's test accuracy, among the trials that ended within the first BUDGET epochs (every method
  is read at the same cost);
- epochs to TPE's best: the epochs spent when a 27-epoch model first reached the validation
  accuracy plain TPE (the same seed) ended with; "-" when it never did.

    nice -n 10 python3 bench/mf_e2e.py --seeds 3 [--methods TPE Hyperband] [--json /tmp/e2e.json]
    python3 bench/mf_e2e.py --methods "TPE + ASHA stopping" --tpe /tmp/e2e.json --json /tmp/more.json
    python3 bench/mf_e2e.py --load /tmp/e2e.json /tmp/more.json      # the table of both
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EPOCHS = 27  # the full budget
PBT_STEP = 3  # epochs a PBT generation adds: 9 generations reach 27
FULL_EVALS = 15  # the budget every method is read at, in full-budget (27-epoch) trainings
BUDGET = FULL_EVALS * EPOCHS

TRIAL = '''"""The digits MLP, one epoch at a time; budget and checkpoints as autolab (and NNI) give them."""
import os
import pickle
import sys

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import autolab

full, pbt_step = int(sys.argv[1]), int(sys.argv[2])
p = autolab.get_next_parameter()
digits = load_digits()
x_rest, x_test, y_rest, y_test = train_test_split(
    digits.data / 16.0, digits.target, test_size=0.2, random_state=0, stratify=digits.target
)
x_train, x_val, y_train, y_val = train_test_split(
    x_rest, y_rest, test_size=0.25, random_state=0, stratify=y_rest
)
load, save = p.get("load_checkpoint_dir"), p.get("save_checkpoint_dir")
model, done = None, 0
if load and os.path.exists(os.path.join(load, "model.pkl")):
    with open(os.path.join(load, "model.pkl"), "rb") as fh:
        model, done = pickle.load(fh)
budget = autolab.get_budget()  # Hyperband, BOHB, ASHA: NNI's TRIAL_BUDGET parameter
if budget is not None:
    target = int(budget)
elif save:  # PBT: each generation trains pbt_step more epochs
    target = min(done + pbt_step, full)
else:
    target = full
if model is None:
    model = MLPClassifier(hidden_layer_sizes=(int(p["hidden_size"]),), random_state=0)
# PBT may hand a copied checkpoint new hyperparameters: the architecture stays the checkpoint's
model.set_params(alpha=p["alpha"], batch_size=int(p["batch_size"]), learning_rate_init=p["learning_rate_init"])
if hasattr(model, "_optimizer"):  # adam keeps its own copy of the learning rate
    model._optimizer.learning_rate_init = p["learning_rate_init"]
val = None
for epoch in range(done, target):
    model.partial_fit(x_train, y_train, classes=list(range(10)))
    val = float(model.score(x_val, y_val))
    autolab.report_intermediate_result(val)
if save:
    os.makedirs(save, exist_ok=True)
    with open(os.path.join(save, "model.pkl"), "wb") as fh:
        pickle.dump((model, target), fh)
if val is None:
    val = float(model.score(x_val, y_val))
autolab.report_final_result({"default": val, "test": float(model.score(x_test, y_test)), "epochs": target})
'''

SPACE = {
    "learning_rate_init": {"_type": "loguniform", "_value": [1e-4, 3e-2]},
    "hidden_size": {"_type": "choice", "_value": [16, 32, 64, 128]},
    "alpha": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
    "batch_size": {"_type": "choice", "_value": [32, 64, 128, 256]},
}
PBT_POPULATION = BUDGET // EPOCHS  # PBT costs population x 27 epochs
ASHA_ARGS = f"{{grace_period: 1, eta: 3, max_t: {EPOCHS}}}"
# name -> (the config's method lines, maxTrialNumber); {seed} is the run's seed. maxTrialNumber is
# generous where a trial costs less than 27 epochs: every run is read at BUDGET epochs.
METHODS: dict[str, tuple[str, int]] = {
    "TPE": ("tuner: {name: TPE, classArgs: {optimize_mode: maximize, seed: {seed}}}", FULL_EVALS),
    "Hyperband": (
        f"advisor: {{name: Hyperband, classArgs: {{optimize_mode: maximize, R: {EPOCHS}, eta: 3, seed: {{seed}}}}}}",
        90,
    ),
    "BOHB": (
        f"advisor: {{name: BOHB, classArgs: {{optimize_mode: maximize, min_budget: 1, max_budget: {EPOCHS},"
        " eta: 3, seed: {seed}}}",
        90,
    ),
    "TPE + ASHA stopping": (
        "tuner: {name: TPE, classArgs: {optimize_mode: maximize, seed: {seed}}}\n"
        f"assessor: {{name: ASHA, classArgs: {ASHA_ARGS}}}",
        90,
    ),
    "TPE + ASHA stopping, min_correlation 0.5": (
        "tuner: {name: TPE, classArgs: {optimize_mode: maximize, seed: {seed}}}\n"
        f"assessor: {{name: ASHA, classArgs: {ASHA_ARGS[:-1]}, min_correlation: 0.5}}}}",
        50,
    ),
    "ASHA promotion": (
        f"tuner: {{name: ASHA, classArgs: {{optimize_mode: maximize, grace_period: 1, eta: 3, max_t: {EPOCHS},"
        " seed: {seed}}}",
        200,
    ),
    "PBT": (
        f"tuner: {{name: PBTTuner, classArgs: {{optimize_mode: maximize, population_size: {PBT_POPULATION},"
        " seed: {seed}}}",
        PBT_POPULATION * EPOCHS // PBT_STEP,
    ),
}


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    env.update(AUTOLAB_HOME=str(home), PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "autolab.cli", *args], capture_output=True, text=True, env=env, cwd=home
    )


def run(method: str, seed: int, root: Path) -> list[dict[str, Any]]:
    """One experiment through the CLI; its export rows, ended trials only, in the order they ended."""
    lines, max_trials = METHODS[method]
    root.mkdir(parents=True)
    (root / "trial.py").write_text(TRIAL)
    config = root / "config.yml"
    config.write_text(
        f"searchSpace: {json.dumps(SPACE)}\n"
        f"trialCommand: {sys.executable} trial.py {EPOCHS} {PBT_STEP}\n"
        "trialCodeDirectory: .\ntrialConcurrency: 4\n"
        f"maxTrialNumber: {max_trials}\n{lines.replace('{seed}', str(seed))}\n"
        "trainingService: {platform: local}\n"
    )
    created = cli(root, "create", "--config", str(config), "--foreground", "--port", "0")
    if created.returncode != 0:
        raise SystemExit(f"{method} seed {seed}: autolab create failed:\n{created.stdout}\n{created.stderr}")
    exported = cli(root, "experiment", "export", "--intermediate", "--filename", str(root / "export.json"))
    if exported.returncode != 0:
        raise SystemExit(f"{method} seed {seed}: export failed: {exported.stderr}")
    rows = json.loads((root / "export.json").read_text())
    ended = [r for r in rows if r["endTime"] is not None]
    return sorted(ended, key=lambda r: (r["endTime"], r["sequence"]))


def read(rows: list[dict[str, Any]], target: float | None) -> dict[str, Any]:
    """Epochs, best 27-epoch accuracy within BUDGET epochs, and the epochs to reach target."""
    spent, best, to_target = 0, None, None
    for row in rows:
        spent += len(row.get("intermediate") or [])
        value = row["value"]
        if not isinstance(value, dict) or value.get("epochs") != EPOCHS:
            continue
        if spent <= BUDGET and (best is None or value["default"] > best["default"]):
            best = value
        if to_target is None and target is not None and value["default"] >= target - 1e-9:
            to_target = spent
    return {
        "epochs": spent,
        "trials": len(rows),
        "best_val": best and best["default"],
        "best_test": best and best["test"],
        "to_target": to_target,
    }


def median(values: list[Any]) -> Any:
    """Median; a value that never came (None) counts as larger than every other."""
    if not values:
        return None
    ordered = sorted(values, key=lambda v: (v is None, v or 0))
    return ordered[(len(ordered) - 1) // 2] if len(ordered) % 2 else _mid(ordered)


def _mid(ordered: list[Any]) -> Any:
    low, high = ordered[len(ordered) // 2 - 1], ordered[len(ordered) // 2]
    return None if low is None or high is None else (low + high) / 2


def show(epochs: float | None) -> str:
    return "-" if epochs is None else f"{epochs:g}"


def table(results: dict[str, list[dict[str, Any]]]) -> str:
    out = [
        "| method | epochs trained | trials | best val @ budget | its test | epochs to TPE's best"
        " (median; per seed) | seeds reaching it | wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for method, runs in results.items():
        if not runs:
            continue
        reached = sum(r["to_target"] is not None for r in runs)
        cells = [median([r[k] for r in runs]) for k in ("epochs", "trials", "best_val", "best_test")]
        to_target = median([r["to_target"] for r in runs])
        out.append(
            f"| {method} | {cells[0]:g} | {cells[1]:g} | {100 * cells[2]:.2f}% | {100 * cells[3]:.2f}% | "
            f"{show(to_target)}; {', '.join(show(r['to_target']) for r in runs)} | {reached}/{len(runs)} | "
            f"{median([r['wall'] for r in runs]):.0f} |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--json", type=Path, help="write every run's figures here (after each run)")
    parser.add_argument("--keep", type=Path, help="keep the experiments (configs, stores, exports) here")
    parser.add_argument("--tpe", type=Path, help="plain TPE's runs from an earlier --json, not run again")
    parser.add_argument("--load", type=Path, nargs="+", help="only print the table of earlier --json files")
    args = parser.parse_args()
    if args.load:  # a method in a later file replaces the earlier file's runs
        print(table({m: runs for f in args.load for m, runs in json.loads(f.read_text()).items()}))
        return
    earlier = {r["seed"]: r for r in json.loads(args.tpe.read_text())["TPE"]} if args.tpe else {}
    methods = ["TPE", *[m for m in args.methods if m != "TPE"]]  # TPE first: its best is the target
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    with tempfile.TemporaryDirectory(prefix="mf-e2e-") as tmp:
        where = args.keep or Path(tmp)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            target = earlier[seed]["best_val"] if seed in earlier else None
            for method in methods:
                if method == "TPE" and seed in earlier:
                    results[method].append(earlier[seed])
                    continue
                start = time.perf_counter()
                rows = run(method, seed, where / f"{seed}-{method.replace(' ', '_')}")
                figures = {**read(rows, target), "wall": time.perf_counter() - start, "seed": seed}
                if method == "TPE":
                    target = figures["best_val"]
                    figures = {**read(rows, target), "wall": figures["wall"], "seed": seed}
                results[method].append(figures)
                print(json.dumps({"method": method, **figures}), flush=True)
                if args.json:
                    args.json.write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
