"""Tuner benchmark: autolab's tuners against Optuna, hyperopt and NNI 3.0, side by side in one run.

Quality: median simple regret (best found minus the known optimum) after N sequential evaluations
over S seeds, on Branin, Hartmann-6, the mixed space (the peer anchor script's functions) and a
nested-choice space of ours (autolab and Optuna's TPE, define-by-run). Parallel:
autolab TPE/GP with 8 trials always running. Latency: the time of the 1000th suggestion of a
1000-evaluation run on Hartmann-6 (what the peers' runner reports), and for autolab also the
median of 20 suggestions given a history of 1000 finished trials (and with 7 more running).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/tuners.py --seeds 10 --evals 100

Peers run in their own venvs through bench/tuner_peers.py (the anchor script):
    python -m venv /tmp/venv-optuna && /tmp/venv-optuna/bin/pip install optuna numpy
    python -m venv /tmp/venv-nni && /tmp/venv-nni/bin/pip install nni
hyperopt runs in the main environment. A missing venv skips that column. Optuna's GPSampler needs
torch in its venv (`pip install torch==2.13.0` first, a CPU build) and CMA-ES the `cmaes` package;
OPTUNA_PYTHON names another venv's python. The rugged suite is in tuner_rugged.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from tuner_problems import FUNCS, latency_history, run_autolab  # noqa: E402
from tuner_rugged import RUGGED  # noqa: E402

OURS = ["tpe", "smac", "gp", "evolution", "anneal", "random"]
OPTUNA = os.environ.get("OPTUNA_PYTHON", "/tmp/venv-optuna/bin/python")
PEERS = {  # column -> (python, peer name)
    "Optuna TPE": (OPTUNA, "optuna"),
    "Optuna GPSampler": (OPTUNA, "optuna-gp"),
    "Optuna CMA-ES": (OPTUNA, "optuna-cmaes"),
    "NNI TPE": ("/tmp/venv-nni/bin/python", "nni-tpe"),
    "hyperopt TPE": (sys.executable, "hyperopt"),
    "NNI Evolution": ("/tmp/venv-nni/bin/python", "nni-evo"),
    "NNI Random": ("/tmp/venv-nni/bin/python", "nni-random"),
}
PEER_FUNCS = ("branin", "hartmann6", "mixed", "nested", *RUGGED)
CONTINUOUS_ONLY = {"optuna-gp", "optuna-cmaes"}  # left out on mixed (CMA-ES cannot take a choice)
NESTED_PEERS = {"optuna"}  # the peers' runner builds nested choices for Optuna (define-by-run) only
PARALLEL_PEERS = {"Optuna TPE": "optuna", "Optuna GPSampler": "optuna-gp"}  # ask/tell with 8 running


def peer(python: str, name: str, func: str, n: int, seeds: int, parallel: int = 1) -> dict[str, Any] | None:
    if (
        not os.path.exists(python)
        or (name in CONTINUOUS_ONLY and func == "mixed")
        or (func == "nested" and name not in NESTED_PEERS)
    ):
        return None
    out = subprocess.run(
        [python, os.path.join(HERE, "tuner_peers.py"), name, func, str(n), str(seeds), str(parallel)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def ours(tuner: str, func: str, n: int, seeds: int, parallel: int = 1) -> dict[str, Any]:
    regrets, lat_last = [], []
    for seed in range(seeds):
        best, lat = run_autolab(tuner, func, n, seed, parallel)
        regrets.append(best - FUNCS[func][1])
        lat_last.append(lat[-1])
    return {
        "median_regret": float(np.median(regrets)),
        "mean_regret": float(np.mean(regrets)),
        "lat_last_ms": 1000 * float(np.median(lat_last)),
        "regrets": regrets,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--evals", type=int, default=100)
    ap.add_argument("--funcs", nargs="+", default=["branin", "hartmann6", "mixed", "nested", *RUGGED])
    ap.add_argument("--tuners", nargs="+", default=OURS)
    ap.add_argument("--latency-n", type=int, default=1000)
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--peers", nargs="+", default=list(PEERS), help="peer columns to run")
    ap.add_argument("--peer-seeds", type=int, default=None, help="seeds for the peers (default: --seeds)")
    ap.add_argument("--out", default=os.path.join(HERE, "tuner_results.json"))
    a = ap.parse_args()
    res: dict[str, Any] = {"args": vars(a), "quality": {}, "parallel": {}, "latency": {}}

    def save() -> None:
        with open(a.out, "w") as fh:
            json.dump(res, fh, indent=1)

    for func in a.funcs:
        row: dict[str, Any] = {}
        for t in a.tuners:
            if func == "nested" and t == "gp":
                continue  # GP does not support nested choice
            s = time.time()
            row[f"autolab {t}"] = ours(t, func, a.evals, a.seeds)
            print(
                f"{func} autolab {t}: {row[f'autolab {t}']['median_regret']:.5f} ({time.time() - s:.0f}s)",
                flush=True,
            )
        if func in PEER_FUNCS and not a.skip_peers:
            for col, (python, name) in PEERS.items():
                if col not in a.peers:
                    continue
                r = peer(python, name, func, a.evals, a.peer_seeds or a.seeds)
                if r is not None:
                    row[col] = r
                    print(f"{func} {col}: {r['median_regret']:.5f}", flush=True)
        res["quality"][func] = row
        save()
    for func in a.funcs:
        for t in ("tpe", "smac", "gp"):
            if t in a.tuners and not (func == "nested" and t == "gp"):
                res["parallel"].setdefault(func, {})[t] = ours(t, func, a.evals, a.seeds, parallel=8)
                print(f"{func} parallel-8 {t}: {res['parallel'][func][t]['median_regret']:.5f}", flush=True)
        if func in PEER_FUNCS and not a.skip_peers:
            for col, name in PARALLEL_PEERS.items():
                if col in a.peers:
                    r = peer(PEERS[col][0], name, func, a.evals, a.peer_seeds or a.seeds, parallel=8)
                    if r is not None:
                        res["parallel"].setdefault(func, {})[col] = r
                        print(f"{func} parallel-8 {col}: {r['median_regret']:.5f}", flush=True)
        save()
    if a.latency_n:
        n = a.latency_n
        for t in ("tpe", "smac", "gp", "evolution", "anneal"):
            if t not in a.tuners:
                continue
            med, cpu = latency_history(t, "hartmann6", n)
            med_running, _ = latency_history(t, "hartmann6", n, running=7)
            cpu0 = time.process_time()
            best, lat = run_autolab(t, "hartmann6", n, 0)
            res["latency"][f"autolab {t}"] = {
                "history_median_ms": 1000 * med,
                "history_cpu_median_ms": 1000 * cpu,
                "history_7_running_median_ms": 1000 * med_running,
                "lat_last_ms": 1000 * lat[-1],
                "lat_last10_median_ms": 1000 * float(np.median(lat[-10:])),
                "run_cpu_s": time.process_time() - cpu0,
            }
            print(f"latency {t}: {res['latency'][f'autolab {t}']}", flush=True)
            save()
        if not a.skip_peers:
            for col, (python, name) in PEERS.items():
                if col not in ("Optuna TPE", "NNI TPE", "hyperopt TPE"):  # GPSampler: minutes per run
                    continue
                r = peer(python, name, "hartmann6", n, 1)
                if r is not None:
                    res["latency"][col] = {"lat_last_ms": r["lat_last_ms"], "lat_mean_ms": r["lat_mean_ms"]}
                    print(f"latency {col}: {res['latency'][col]}", flush=True)
                save()
    res["load_average"] = os.getloadavg()
    save()


if __name__ == "__main__":
    main()
