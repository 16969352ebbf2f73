"""What one intermediate result costs the manager's loop in the assessor, by how many results the
trial already has: the code before issue 14 (Medianstop and the AssessorRunner of commit 5f54724,
read with `git show`) against the current one, side by side.

The manager's path is timed: a result is appended to the running trial's mirror and
`AssessorRunner.on_results` judges it (Medianstop, start_step 0). The history holds `--completed`
SUCCEEDED trials with as many results as the running trial gets (the issue's case: 1 completed
trial, 2 trials in all). "cost per result at n" is the mean over the results n-W+1 .. n (W =
min(n, --window)) after the first n-W were judged, the median of --repeat runs. "one by one" judges
each result as it comes, "burst" appends the W results at once and judges them in one call (a loop
turn that read many).

    python bench/assessor_cost.py                                  # the table in bench/README.md
    python bench/assessor_cost.py --sizes 10 100 1000 --completed 1 10 100
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autolab.assessing import AssessorRunner  # noqa: E402
from autolab.assessors.medianstop import MedianstopAssessor  # noqa: E402
from autolab.history import History, Trial  # noqa: E402
from autolab.statuses import TrialStatus  # noqa: E402

BEFORE = "5f54724"
BEFORE_CODE: list[Any] = []  # (MedianstopAssessor, AssessorRunner) of BEFORE, once loaded


def load_before(tmp: Path) -> list[Any]:
    """(MedianstopAssessor, AssessorRunner) as they were at BEFORE, imported from `git show`."""

    def module(path: str, name: str) -> ModuleType:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BEFORE}:{path}"], check=True, capture_output=True, text=True
        ).stdout
        file = tmp / Path(path).name
        file.write_text(source)
        spec = importlib.util.spec_from_file_location(name, file)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)  # its relative imports resolve in the current package
        return mod

    medianstop = module("autolab/assessors/medianstop.py", "autolab.assessors.medianstop_before")
    assessing = module("autolab/assessing.py", "autolab.assessing_before")
    return [medianstop.MedianstopAssessor, assessing.AssessorRunner]


def curve(seed: int, n: int) -> list[float]:
    # a rising learning curve with noise, distinct per trial; never stopped by the median rule
    # because the running trial's curve is the best (every result is judged: the worst case)
    return [1.0 - 1.0 / (k + 2) + ((k * 7919 + seed * 104729) % 1000) * 1e-6 for k in range(n)]


def cost(before: bool, n: int, completed: int, window: int, burst: bool) -> float:
    """Seconds per result for the results n-W+1 .. n of a running trial."""
    assessor_cls, runner_cls = BEFORE_CODE if before else (MedianstopAssessor, AssessorRunner)
    others = [
        Trial(f"c{i}", i, {}, TrialStatus.SUCCEEDED, value=0.5, intermediate=[v - 0.1 for v in curve(i, n)])
        for i in range(completed)
    ]
    me = Trial("me", completed, {}, TrialStatus.RUNNING)
    history = History([*others, me])
    runner = runner_cls(assessor_cls())
    results = curve(completed, n)
    w = min(n, window)
    if before:
        # Judging the first n-W results one by one would take hours at 100k. The old Medianstop
        # keeps no state, so they are marked judged (the old runner's count) without the calls.
        me.intermediate.extend(results[: n - w])
        runner.judged["me"] = n - w
    else:
        for v in results[: n - w]:  # judged one by one before the timed window, as the loop would
            me.intermediate.append(v)
            assert not runner.on_results(me, history)
    start = time.perf_counter()
    if burst:
        me.intermediate.extend(results[n - w :])
        assert not runner.on_results(me, history)
    else:
        for v in results[n - w :]:
            me.intermediate.append(v)
            assert not runner.on_results(me, history)
    return (time.perf_counter() - start) / w


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1_000, 10_000, 100_000])
    ap.add_argument("--completed", type=int, nargs="+", default=[1])
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5, help="the median of this many runs is shown")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        BEFORE_CODE[:] = load_before(Path(tmp))
        print(
            f"| completed trials | results so far | before: one by one (µs/result) | after: one by one "
            f"| before: burst of {args.window} | after: burst of {args.window} |"
        )
        print("|---:|---:|---:|---:|---:|---:|")
        for completed in args.completed:
            for n in args.sizes:
                row = [
                    statistics.median(
                        cost(before, n, completed, args.window, burst) for _ in range(args.repeat)
                    )
                    for burst in (False, True)
                    for before in (True, False)
                ]
                print(f"| {completed} | {n:,} | " + " | ".join(us(c) for c in row) + " |", flush=True)


if __name__ == "__main__":
    main()
