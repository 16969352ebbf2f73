"""The --foreground progress line: trials done, the best so far or, with several objectives, the
Pareto front's size (a `default` value ranks nothing there)."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from autolab.history import History, Trial
from autolab.progress import Progress
from autolab.statuses import TrialStatus


def trial(i: int, acc: float, params: float) -> Trial:
    raw = {"default": acc, "params": params}
    return Trial(f"t{i}", i, {"w": i}, TrialStatus.SUCCEEDED, value=acc, raw_value=raw, end_time=float(i))


def manager(config: dict[str, Any], trials: list[Trial]) -> Any:
    meta = {"config": config, "url": None}
    return SimpleNamespace(
        store=SimpleNamespace(get_meta=meta.get),
        history=History(trials),
        config=SimpleNamespace(max_trial_number=10, max_experiment_duration=None),
        tuner=SimpleNamespace(optimize_mode="maximize"),
        elapsed=lambda: 5.0,
        finished=True,
        notes=[],
    )


def line(m: Any, progress: Progress | None = None) -> str:
    out = io.StringIO()
    progress = progress or Progress(out, interval=0.0)
    progress.out = out
    progress(m)
    return out.getvalue()


def test_several_objectives_show_the_front_not_the_default_value() -> None:
    args = {
        "objectives": {"accuracy": "maximize", "params": "minimize"},
        "constraints": {"params": {"max": 1000}},
    }
    config = {"tuner": {"name": "MOTPE", "classArgs": args}}
    # t3 has the highest `default` but breaks the constraint; t2 is dominated by t0
    trials = [trial(0, 0.9, 500), trial(1, 0.95, 900), trial(2, 0.8, 600), trial(3, 0.99, 5000)]
    text = line(manager(config, trials))
    assert "| front 2 of 4 |" in text and "0.99" not in text
    m = manager(config, [*trials, trial(4, 0.97, 100)])  # dominates t0 and t1: the front is one trial
    assert "| front 1 of 5 |" in line(m)


def test_one_objective_with_a_constraint_shows_the_best_feasible() -> None:
    args = {"constraints": {"params": {"max": 1000}}}
    config = {"tuner": {"name": "TPE", "classArgs": args}}
    text = line(manager(config, [trial(0, 0.9, 500), trial(1, 0.99, 5000)]))
    assert "| best 0.9 |" in text


def test_one_objective_shows_the_best() -> None:
    config = {"tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}}}
    progress = Progress(io.StringIO(), interval=0.0)
    m = manager(config, [trial(0, 0.9, 500), trial(1, 0.99, 5000)])
    assert "trials 2/10 done, 0 running | best 0.99 |" in line(m, progress)
    m.history = History([*m.history.trials, trial(2, 0.995, 1)])  # a trial ended: worked out again
    assert "| best 0.995 |" in line(m, progress)


def test_the_services_notes_are_on_the_line() -> None:
    m = manager({"tuner": {"name": "TPE"}}, [trial(1, 0.5, 1.0)])
    m.notes = ["machine bob@gpu2 unreachable since 2026-01-02 03:04:05: Connection refused"]
    assert "| machine bob@gpu2 unreachable since 2026-01-02 03:04:05: Connection refused |" in line(m)
