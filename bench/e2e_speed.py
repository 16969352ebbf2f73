"""End-to-end speed: the same 20-trial experiment with autolab and with NNI 3.0, side by side.

20 trials of a trivial trial script (reads its parameters, reports one final result),
trialConcurrency 2, Random tuner, local machine. Also the import cost of the trial SDK.

Usage: python bench/e2e_speed.py [--nni /tmp/venv-nni/bin] [--repeats 3]
NNI runs from its own venv (python -m venv /tmp/venv-nni && /tmp/venv-nni/bin/pip install nni).
Prints one JSON line per run and a markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TRIAL = """import {module} as sdk
p = sdk.get_next_parameter()
sdk.report_final_result(p["x"] ** 2)
"""
SPACE = {"x": {"_type": "uniform", "_value": [-1, 1]}}
N_TRIALS = 20


def write_experiment(root: Path, module: str, python: str) -> Path:
    root.mkdir(parents=True)
    (root / "trial.py").write_text(TRIAL.format(module=module))
    (root / "search_space.json").write_text(json.dumps(SPACE))
    (root / "config.yml").write_text(
        f"searchSpaceFile: search_space.json\ntrialCommand: {python} trial.py\ntrialCodeDirectory: .\n"
        f"trialConcurrency: 2\nmaxTrialNumber: {N_TRIALS}\ntuner:\n  name: Random\n"
        f"trainingService:\n  platform: local\nexperimentWorkingDirectory: {root / 'work'}\n"
    )
    return root / "config.yml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_autolab(tmp: Path) -> float:
    config = write_experiment(tmp, "autolab", sys.executable)
    env = {**os.environ, "AUTOLAB_HOME": str(tmp / "home")}
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "autolab.cli",
            "create",
            "--config",
            str(config),
            "--foreground",
            "--port",
            "0",
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    out = subprocess.run(
        [sys.executable, "-m", "autolab.cli", "experiment", "show"],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    assert json.loads(out)["trialCounts"] == {"SUCCEEDED": N_TRIALS}, out
    return wall


def run_nni(tmp: Path, nni_bin: Path) -> float:
    config = write_experiment(tmp, "nni", str(nni_bin / "python"))
    port = free_port()
    env = {**os.environ, "PATH": f"{nni_bin}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp / "home")}
    start = time.perf_counter()
    subprocess.run(
        [str(nni_bin / "nnictl"), "create", "--config", str(config), "--port", str(port)],
        check=True,
        env=env,
        capture_output=True,
        timeout=300,
    )
    try:
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/nni/check-status", timeout=10) as r:
                status = json.loads(r.read())["status"]
            if status in ("DONE", "ERROR", "STOPPED"):  # NO_MORE_TRIAL: trials still running
                break
            if time.perf_counter() - start > 600:
                raise TimeoutError("NNI did not finish in 600 s")
            time.sleep(0.05)
        wall = time.perf_counter() - start
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/nni/trial-jobs", timeout=10) as r:
            jobs = json.loads(r.read())
        done = sum(1 for j in jobs if j["status"] == "SUCCEEDED")
        assert done == N_TRIALS and status == "DONE", (status, done)
    finally:
        subprocess.run([str(nni_bin / "nnictl"), "stop", "--all"], env=env, capture_output=True, timeout=120)
    return wall


def import_cost(python: str, statement: str, n: int = 15) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run([python, "-c", statement], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nni", type=Path, default=Path("/tmp/venv-nni/bin"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    have_nni = (args.nni / "nnictl").exists()
    results: dict[str, list[float]] = {"autolab": [], "nni": []}
    for i in range(args.repeats):  # interleaved, so both see the same machine load
        tmp = Path(tempfile.mkdtemp(prefix="autolab-bench-"))
        try:
            results["autolab"].append(run_autolab(tmp / "a"))
            if have_nni:
                results["nni"].append(run_nni(tmp / "n", args.nni))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(json.dumps({"run": i, **{k: v[-1] for k, v in results.items() if v}}), flush=True)
    imports = {
        "python -c pass": import_cost(sys.executable, "pass"),
        "import autolab": import_cost(sys.executable, "import autolab"),
    }
    if have_nni:
        imports["python -c pass (nni venv)"] = import_cost(str(args.nni / "python"), "pass")
        imports["import nni"] = import_cost(str(args.nni / "python"), "import nni")
    print("\n| experiment (20 trials, concurrency 2) | median wall (s) | runs |")
    print("|---|---:|---:|")
    for name, walls in results.items():
        if walls:
            print(f"| {name} | {statistics.median(walls):.2f} | {len(walls)} |")
    print("\n| command | median wall (ms) |")
    print("|---|---:|")
    for name, t in imports.items():
        print(f"| `{name}` | {1000 * t:.1f} |")


if __name__ == "__main__":
    main()
