"""Manager under load: are the slots kept busy, and does the REST API keep answering?

Two workloads, each a real `autolab create --foreground` (manager, tornado loop, REST server):

- `sleep 1` trials (no Python: this measures the manager, not interpreter start-up) at
  trialConcurrency 8, 32 and 128, ROUNDS x concurrency trials. Slot-time busy = the trials'
  summed run time / (concurrency x (last end - first start)); a trial runs from its wrapper's
  first act (writing the pid file) to its last (writing exit_status), read from those files'
  modification times. Meanwhile a thread asks GET /api/v1/summary every 50 ms: p50/p95 latency.
  Steady busy is the same over the window from the moment every slot first ran a trial to the
  last start (fill (s) is how long filling every slot took: at concurrency 128 on two cores,
  starting 128 trials at once takes most of a second, a cost an experiment pays once).
- a trivial Python trial (reads its parameters, reports one final result) at concurrency 8 and
  32: trials per second = trials / (last end - first start).

CPU ms/trial: user + system CPU of the manager and every process it reaped (the trials), per
trial; unlike the wall-clock figures it hardly moves with the machine's other load.

Each --tree is a source checkout run with PYTHONPATH pointing at it (the code before and after a
change, in one run, on the same machine load). Prints one JSON line per run and a markdown table.

Usage: python bench/manager_load.py --tree before=/tmp/before-proc --tree after=. [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROUNDS = 6
PY_TRIALS = 200
TRIAL = """import autolab
p = autolab.get_next_parameter()
autolab.report_final_result(p["x"] ** 2)
"""
SPACE = {"x": {"_type": "uniform", "_value": [-1, 1]}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_experiment(root: Path, command: str, concurrency: int, trials: int) -> Path:
    root.mkdir(parents=True)
    (root / "trial.py").write_text(TRIAL)
    (root / "search_space.json").write_text(json.dumps(SPACE))
    (root / "config.yml").write_text(
        f"searchSpaceFile: search_space.json\ntrialCommand: {command}\ntrialCodeDirectory: .\n"
        f"trialConcurrency: {concurrency}\nmaxTrialNumber: {trials}\ntuner:\n  name: Random\n"
        f"trainingService:\n  platform: local\nexperimentWorkingDirectory: {root / 'work'}\n"
    )
    return root / "config.yml"


def watch_summary(port: int, stop: threading.Event, latencies: list[float]) -> None:
    """GET /summary every 50 ms while the experiment runs (refused connections before it listens)."""
    url = f"http://127.0.0.1:{port}/api/v1/summary"
    while not stop.is_set():
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                answer.read()
            latencies.append(time.perf_counter() - start)
        except OSError:
            pass
        stop.wait(0.05)


def trial_times(work: Path) -> list[tuple[float, float]]:
    """(start, end) of every trial that ran: its wrapper's pid file and exit_status file mtimes."""
    times = []
    for exit_file in work.rglob("exit_status"):
        pid_file = exit_file.parent / "trial.pid"
        if pid_file.exists():
            times.append((pid_file.stat().st_mtime, exit_file.stat().st_mtime))
    return times


def run(tree: Path, command: str, concurrency: int, trials: int, tmp: Path) -> dict[str, float]:
    root = tmp / f"exp-{concurrency}-{time.monotonic_ns()}"
    config = write_experiment(root, command, concurrency, trials)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree), "AUTOLAB_HOME": str(root / "home")}
    latencies: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_summary, args=(port, stop, latencies))
    watcher.start()
    start = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        subprocess.run(
            [sys.executable, "-m", "autolab.cli", "create", "--config", str(config), "--foreground"]
            + ["--port", str(port)],
            check=True,
            env=env,
            capture_output=True,
            timeout=900,
        )
    finally:
        stop.set()
        watcher.join()
    wall = time.perf_counter() - start
    # the manager and every trial process it reaped: CPU per trial, which the machine's other load
    # does not change the way it changes wall-clock figures
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(getattr(cpu_after, f) - getattr(cpu_before, f) for f in ("ru_utime", "ru_stime"))
    times = trial_times(root / "work")
    missing = [d for d in sorted((root / "work").glob("*/trials/*")) if not (d / "exit_status").exists()]
    for trial_dir in missing:  # a trial that never ran: say what its manager said of it
        log = [
            line
            for line in (trial_dir.parents[1] / "manager.log").read_text().splitlines()
            if trial_dir.name in line
        ]
        print(f"{trial_dir.name} did not run: {os.listdir(trial_dir)} {log}", file=sys.stderr)
    first, last = min(s for s, _ in times), max(e for _, e in times)
    busy = sum(e - s for s, e in times) / (concurrency * (last - first))
    # steady state: from the moment every slot first ran a trial to the last start (after it,
    # slots empty because no trial is left to start, whatever the manager does)
    starts = sorted(s for s, _ in times)
    filled, last_start = starts[concurrency - 1], starts[-1]
    window = concurrency * (last_start - filled)
    steady = sum(max(0.0, min(e, last_start) - max(s, filled)) for s, e in times) / window
    lat = sorted(latencies) or [float("nan")]
    return {
        "busy": busy,
        "steady": steady,
        "fill_s": filled - first,
        "per_s": trials / (last - first),
        "p50_ms": 1000 * lat[len(lat) // 2],
        "p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))],
        "wall": wall,
        "cpu_ms": 1000 * cpu / trials,
        "not_run": len(missing),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH of a source checkout")
    parser.add_argument("--sleep", type=int, nargs="*", default=[8, 32, 128], help="concurrencies")
    parser.add_argument("--python", type=int, nargs="*", default=[8, 32], help="concurrencies")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the table shows medians")
    args = parser.parse_args()
    trees = {name: Path(path).resolve() for name, path in (t.split("=", 1) for t in args.tree)}
    workloads = [("sleep 1", c, ROUNDS * c) for c in args.sleep]
    workloads += [("python", c, PY_TRIALS) for c in args.python]
    results: dict[tuple[str, str, int], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="autolab-load-") as tmp:
        for _ in range(args.repeat):
            for trial, concurrency, count in workloads:
                command = "sleep 1" if trial == "sleep 1" else f"{sys.executable} trial.py"
                for name, tree in trees.items():  # interleaved: every tree sees the same machine load
                    result = run(tree, command, concurrency, count, Path(tmp))
                    results.setdefault((name, trial, concurrency), []).append(result)
                    print(json.dumps({"tree": name, "trial": trial, "concurrency": concurrency, **result}))
    print(f"\nmedians of {args.repeat} run(s) each")
    print(
        "| code | trial | concurrency | slot-time busy | steady busy | fill (s) | trials/s "
        "| CPU ms/trial | /summary p50 (ms) | p95 (ms) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for trial, concurrency, _ in workloads:
        for name in trees:
            runs = results[(name, trial, concurrency)]
            r = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            print(
                f"| {name} | {trial} | {concurrency} | {100 * r['busy']:.1f}% | {100 * r['steady']:.1f}% "
                f"| {r['fill_s']:.2f} | {r['per_s']:.1f} | {r['cpu_ms']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
            )


if __name__ == "__main__":
    main()
