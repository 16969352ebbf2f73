"""Issue 16, tenth round: do new runs repeat stored ones? For every (problem, method, seed) in the
new runs file that a stored file also has, compare the points where the best full-budget value
changes (the first point and every change, as `mf_bench.py --save` keeps them), up to the new
run's cost; a stored method named "...: temporary" (the eighth round's rows of removed options)
matches the same name without the suffix.

    python3 bench/mf_repro10.py /tmp/new_runs.jsonl bench/mf_runs8.jsonl bench/mf_runs9.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def changes(trace: list[Any], up_to: float) -> list[tuple[float, Any]]:
    """The trace's first point and every point where the best value changes, at cost <= up_to."""
    kept = [p for i, p in enumerate(trace) if i == 0 or p[1] != trace[i - 1][1]]
    return [(round(c, 9), b) for c, b in kept if c <= up_to + 1e-9]


def main() -> None:
    new_path, *stored_paths = sys.argv[1:]
    stored: dict[tuple[str, str, int], dict[str, Any]] = {}
    for path in stored_paths:
        for line in Path(path).read_text().splitlines():
            run = json.loads(line)
            key = (run["problem"], run["method"].removesuffix(": temporary"), run["seed"])
            if key not in stored or stored[key]["max_cost"] < run["max_cost"]:
                stored[key] = run
    same = differ = missing = 0
    for line in Path(new_path).read_text().splitlines():
        run = json.loads(line)
        key = (run["problem"], run["method"], run["seed"])
        if key not in stored:
            missing += 1
            continue
        up_to = min(run["max_cost"], stored[key]["max_cost"])
        a, b = changes(run["trace"], up_to), changes(stored[key]["trace"], up_to)
        if a == b:
            same += 1
        else:
            differ += 1
            print(f"DIFFERS {key}: new {a[-3:]} stored {b[-3:]}")
    print(f"{same} runs equal, {differ} differ, {missing} not stored")


if __name__ == "__main__":
    main()
