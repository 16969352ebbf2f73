"""In-process studies against Optuna, and Experiment.run against `autolab create --foreground`.

    python bench/study_speed.py --python /tmp/api-venv/bin/python [--rounds 3] [--quick]

The python given must import autolab (this checkout) and optuna (5.x): each measurement runs in a
fresh process of it, and the peers run interleaved, round after round (one of each per round); the
figures are the medians over the rounds. Three parts:

- random: trials/s of a Random search on a trivial objective (2 floats and a choice): autolab in
  memory, autolab persisted (a named study: its SQLite store), Optuna with InMemoryStorage, with
  SQLite (RDBStorage) and with a JournalFile storage.
- tpe: per-trial time of 1,000 TPE trials (the objective costs nothing, so this is the sampler's
  and the storage's overhead), autolab's TPE and Optuna's TPESampler, both in memory.
- experiment: wall time of 20 trivial trials (a Python trial reporting one result, 4 at a time)
  through `Experiment(config.yml).run()` and through `autolab create --foreground`.

Prints one JSON line per measurement and a table of medians at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPACE = {
    "x": {"_type": "uniform", "_value": [-5, 5]},
    "y": {"_type": "uniform", "_value": [-5, 5]},
    "c": {"_type": "choice", "_value": ["a", "b", "c"]},
}

# each peer: a program run as `python -c PROGRAM N WORKDIR`, printing the seconds its trials took
AUTOLAB = """
import sys, time, autolab
space = {space!r}
n, work = int(sys.argv[1]), sys.argv[2]
kwargs = {kwargs}
study = autolab.create_study(space, tuner={tuner!r}, seed=0, **kwargs)
objective = lambda t: (t.params["x"] - 1) ** 2 + t.params["y"] ** 2 + (t.params["c"] == "b")
start = time.perf_counter()
study.optimize(objective, n_trials=n)
took = time.perf_counter() - start
assert len(study.trials) == n
print(took)
"""
OPTUNA = """
import sys, time, logging, optuna
optuna.logging.set_verbosity(logging.WARNING)
n, work = int(sys.argv[1]), sys.argv[2]
{storage}
sampler = {sampler}
study = optuna.create_study(storage=storage, sampler=sampler, study_name="bench")
def objective(t):
    x, y = t.suggest_float("x", -5, 5), t.suggest_float("y", -5, 5)
    return (x - 1) ** 2 + y ** 2 + (t.suggest_categorical("c", ["a", "b", "c"]) == "b")
start = time.perf_counter()
study.optimize(objective, n_trials=n)
took = time.perf_counter() - start
assert len(study.trials) == n
print(took)
"""
IN_MEMORY = "storage = optuna.storages.InMemoryStorage()"
SQLITE = "storage = f'sqlite:///{work}/optuna.db'"
JOURNAL = (
    "from optuna.storages.journal import JournalFileBackend\n"
    "storage = optuna.storages.JournalStorage(JournalFileBackend(f'{work}/journal.log'))"
)


def autolab_peer(tuner: str, persisted: bool) -> str:
    kwargs = '{"name": "bench", "storage": work}' if persisted else "{}"
    return AUTOLAB.format(space=SPACE, tuner=tuner, kwargs=kwargs)


def optuna_peer(storage: str, sampler: str) -> str:
    return OPTUNA.format(storage=storage, sampler=sampler)


RANDOM = "optuna.samplers.RandomSampler(seed=0)"
TPE = "optuna.samplers.TPESampler(seed=0)"


def peers(quick: bool) -> dict[str, list[tuple[str, str, int]]]:
    """part -> [(name, program, trials)]; trial counts sized so each run takes seconds."""
    scale = 0.2 if quick else 1.0
    return {
        "random": [
            ("autolab memory", autolab_peer("Random", False), int(20000 * scale)),
            ("autolab sqlite", autolab_peer("Random", True), int(5000 * scale)),
            ("optuna memory", optuna_peer(IN_MEMORY, RANDOM), int(5000 * scale)),
            ("optuna sqlite", optuna_peer(SQLITE, RANDOM), int(300 * scale)),
            ("optuna journal", optuna_peer(JOURNAL, RANDOM), int(1000 * scale)),
        ],
        "tpe": [
            ("autolab TPE", autolab_peer("TPE", False), int(1000 * scale)),
            ("optuna TPE", optuna_peer(IN_MEMORY, TPE), int(1000 * scale)),
        ],
    }


def run_peer(python: str, program: str, n: int) -> float:
    with tempfile.TemporaryDirectory(prefix="study-bench-") as work:
        env = {**os.environ, "AUTOLAB_HOME": work}
        out = subprocess.run(
            [python, "-c", program, str(n), work], env=env, capture_output=True, text=True, check=True
        ).stdout
    return float(out.strip().splitlines()[-1])


TRIAL = "import autolab\np = autolab.get_next_parameter()\nautolab.report_final_result(p['x'])\n"
CONFIG = """\
searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {python} trial.py
trialCodeDirectory: .
trialConcurrency: 4
maxTrialNumber: 20
tuner: {{name: Random}}
trainingService: {{platform: local}}
"""
EXPERIMENT_RUN = (
    "from autolab.experiment import Experiment\nassert Experiment('config.yml').run(port=0) is True\n"
)


def run_experiment(python: str, how: str) -> float:
    """Wall seconds of one 20-trial experiment, start of the process to its exit."""
    with tempfile.TemporaryDirectory(prefix="exp-bench-") as work:
        Path(work, "trial.py").write_text(TRIAL)
        Path(work, "config.yml").write_text(CONFIG.format(python=python))
        env = {**os.environ, "AUTOLAB_HOME": work}
        if how == "Experiment.run":
            command = [python, "-c", EXPERIMENT_RUN]
        else:
            command = [
                python,
                "-m",
                "autolab.cli",
                "create",
                "-c",
                "config.yml",
                "--foreground",
                "--port",
                "0",
            ]
        start = time.perf_counter()
        subprocess.run(command, cwd=work, env=env, capture_output=True, check=True)
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", default=sys.executable, help="a Python with autolab and optuna")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a fifth of the trials (a smoke run)")
    parser.add_argument("--parts", default="random,tpe,experiment")
    args = parser.parse_args()
    parts = args.parts.split(",")
    results: dict[str, list[float]] = {}
    units: dict[str, str] = {}
    table = peers(args.quick)
    for round_no in range(args.rounds):
        for part in ("random", "tpe"):
            if part not in parts:
                continue
            for name, program, n in table[part]:
                took = run_peer(args.python, program, n)
                value = n / took if part == "random" else took / n * 1000
                units[name] = "trials/s" if part == "random" else "ms/trial"
                results.setdefault(name, []).append(value)
                print(
                    json.dumps(
                        {"round": round_no, "peer": name, "trials": n, "seconds": took, units[name]: value}
                    )
                )
        if "experiment" in parts:
            for how in ("Experiment.run", "autolab create --foreground"):
                took = run_experiment(args.python, how)
                units[how] = "s for 20 trials"
                results.setdefault(how, []).append(took)
                print(json.dumps({"round": round_no, "peer": how, "seconds": took}))
    print(f"\nmedians over {args.rounds} rounds (load average at the end: {os.getloadavg()[0]:.1f})")
    print("| peer | median | unit | all rounds |\n|---|---:|---|---|")
    for name, values in results.items():
        shown = ", ".join(f"{v:.4g}" for v in values)
        print(f"| {name} | {statistics.median(values):.4g} | {units[name]} | {shown} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
