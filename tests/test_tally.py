"""Which trials count toward maxTrialNumber (tally.py), and the live progress line that shows it."""

from __future__ import annotations

import io
from types import SimpleNamespace

from autolab.history import History, Trial
from autolab.progress import Progress, best_value
from autolab.statuses import TrialStatus
from autolab.tally import Tally, done_text, tally


def test_only_the_tuners_ended_trials_are_done_and_every_active_one_is_running() -> None:
    rows = [
        ("SUCCEEDED", "tuner", 4),
        ("FAILED", "tuner", 1),
        ("RUNNING", "tuner", 2),
        ("WAITING", "retry:ab12c", 1),
        ("SUCCEEDED", "import", 3),
        ("USER_CANCELED", "customized:ab12c", 1),
        ("FAILED", "rerun:xy34z", 1),
        ("SUCCEEDED", "enqueued", 2),  # a study's enqueued trials count, as Optuna's do
    ]
    assert tally(rows) == Tally(done=7, running=3, other=5)
    assert done_text(tally(rows), 10) == "7/10 done, 3 running, +5 imported or re-run"
    assert done_text(Tally(3, 0, 0), None) == "3/- done, 0 running"


def test_the_progress_line_counts_an_imported_trial_beside_the_limit() -> None:
    trials = [
        Trial("a", 0, {"x": 1}, TrialStatus.SUCCEEDED, 0.5),
        Trial("b", 1, {"x": 2}, TrialStatus.SUCCEEDED, 0.7, source="import"),
        Trial("c", 2, {"x": 3}, TrialStatus.RUNNING),
    ]
    manager = SimpleNamespace(
        store=SimpleNamespace(get_meta=lambda key: None),
        history=History(trials),
        tuner=SimpleNamespace(optimize_mode="maximize"),
        config=SimpleNamespace(max_trial_number=2, max_experiment_duration=None),
        active={"c": None},
        finished=True,
        elapsed=lambda: 3.0,
        notes=[],  # the service's: none
    )
    out = io.StringIO()
    Progress(out)(manager)  # type: ignore[arg-type]
    assert out.getvalue().startswith("trials 1/2 done, 1 running, +1 imported or re-run | best 0.7 | 3s")


def test_the_ran_out_line_counts_the_tuners_trials_as_maxtrialnumber_does() -> None:
    from autolab.progress import ran_out

    info = {
        "trialCounts": {"SUCCEEDED": 5},
        "trialTally": {"done": 3, "running": 0, "other": 2},
        "maxTrialNumber": 10,
        "noMoreTrials": "grid search has tried every combination",
    }
    assert ran_out(info) == (
        "Ended early: the tuner ran out of points after 3 trial(s) of maxTrialNumber 10"
        ", +2 imported or re-run (grid search has tried every combination)"
    )


def test_the_progress_lines_best_ranks_the_largest_budget_first_as_the_best_line() -> None:
    def at(i: int, value: float, budget: float, status: TrialStatus = TrialStatus.SUCCEEDED) -> Trial:
        return Trial(
            f"t{i}", i, {"x": i}, status, value, fidelity={"budget": budget, "bracket": 0, "rung": 0}
        )

    # a 1-epoch 0.98 above the 27-epoch results: the best is the best at 27 epochs
    trials = [at(0, 0.98, 1), at(1, 0.95, 27), at(2, 0.9778, 27), at(3, 0.99, 9, TrialStatus.FAILED)]
    assert best_value(trials, maximize=True) == 0.9778
    assert best_value(trials[:1], maximize=True) == 0.98  # only 1-epoch results so far
    plain = [Trial("a", 0, {}, TrialStatus.SUCCEEDED, 0.3), Trial("b", 1, {}, TrialStatus.PAUSED, 0.1)]
    assert best_value(plain, maximize=False) == 0.1 and best_value([], maximize=True) is None
