"""Store.final_results and store.history(intermediate=False): the narrow reads behind the importance
and Pareto endpoints return the same parameters and results as the full reads."""

from __future__ import annotations

from pathlib import Path

from autolab.statuses import TrialStatus
from tests.api.helpers import fill


def test_final_results_are_the_rows_parameters_and_results(tmp_path: Path) -> None:
    store = fill(tmp_path / "exp")
    with store:
        got = store.final_results(TrialStatus.SUCCEEDED.value)
        full = store.trial_rows([TrialStatus.SUCCEEDED.value])
        assert got == [(r.parameters, r.value, r.raw_value, None) for r in full]
        assert got == [
            ({"x": 0.1, "k": 1}, 0.5, 0.5, None),
            ({"x": 0.01, "k": 2}, 0.9, {"default": 0.9, "loss": 0.2}, None),
        ]
        assert store.final_results(TrialStatus.WAITING.value) == [({"x": 0.2, "k": 2}, None, None, None)]
        # several statuses, in sequence order; a multi-fidelity trial's budget comes with its row
        store.add_trial(
            "fid", {"x": 0.3, "k": 1}, status=TrialStatus.PAUSED, fidelity={"budget": 3, "rung": 1}
        )
        both = store.final_results(TrialStatus.SUCCEEDED.value, TrialStatus.PAUSED.value)
        assert [row[0]["x"] for row in both] == [0.1, 0.01, 0.3] and both[-1][3] == 3


def test_history_without_intermediate_results(tmp_path: Path) -> None:
    store = fill(tmp_path / "exp")
    with store:
        full, light = store.history(), store.history(intermediate=False)
        assert [t.intermediate for t in full.trials][:3] == [[0.2, 0.4, 0.5], [0.7], [0.3, 0.35]]
        assert all(t.intermediate == [] for t in light.trials)
        strip = [(t.trial_id, t.status, t.parameters, t.value, t.raw_value) for t in full.trials]
        assert strip == [(t.trial_id, t.status, t.parameters, t.value, t.raw_value) for t in light.trials]
