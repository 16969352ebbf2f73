"""CPU milliseconds a multi-objective suggestion costs with N finished trials in the history.

    OMP_NUM_THREADS=1 python3 bench/mo_latency.py --tuners GP TPE Evolution --history 100 300

The history holds N random points of a bench/mo_problems.py problem (so every tuner sees the same
one); each figure is the median CPU time (time.process_time: what a loaded machine does not
inflate) of --repeats suggestions on that history, after one untimed call.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from mo_problems import problems  # noqa: E402

from autolab.history import History, Trial  # noqa: E402
from autolab.searchspace import SearchSpace  # noqa: E402
from autolab.statuses import TrialStatus  # noqa: E402
from autolab.tuners import create_tuner  # noqa: E402


def history_of(problem: str, n: int) -> tuple[SearchSpace, History, int]:
    func, raw, dims, _ = problems()[problem]
    space, trials = SearchSpace(raw), []
    for i in range(n):
        params = space.sample(random.Random(i))
        values = func(params, dims)
        result = {"default": values[0], **{f"f{k}": v for k, v in enumerate(values)}}
        trials.append(Trial(f"t{i}", i, params, TrialStatus.SUCCEEDED, value=values[0], raw_value=result))
    return space, History(trials), len(values)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tuners", nargs="+", default=["GP", "TPE", "Evolution"])
    ap.add_argument("--problems", nargs="+", default=["zdt1", "dtlz2", "model"])
    ap.add_argument("--history", type=int, nargs="+", default=[100, 300])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    for problem in args.problems:
        for n in args.history:
            space, history, m = history_of(problem, n)
            cells = []
            for name in args.tuners:
                tuner = create_tuner(
                    space, name, {"objectives": {f"f{k}": "minimize" for k in range(m)}, "seed": 0}
                )
                tuner.suggest(history)
                times = []
                for _ in range(args.repeats):
                    start = time.process_time()
                    tuner.suggest(history)
                    times.append(time.process_time() - start)
                cells.append(f"{name} {1000 * statistics.median(times):.0f} ms")
            print(f"{problem}, {n} trials: " + ", ".join(cells), flush=True)


if __name__ == "__main__":
    main()
