"""A user's NNI-style tuner file (className + codeDirectory) runs unchanged through the adapter."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import NoMoreTrials, TunerError, create_tuner
from autolab.tuners.nni_adapter import NniTunerAdapter, is_nni_style

USER_TUNER = '''
import random

class NoMoreTrialError(Exception):
    pass

class CountingTuner:
    """Written against NNI's Tuner API: keeps its own state."""

    def __init__(self, optimize_mode="maximize", limit=100):
        self.optimize_mode = optimize_mode
        self.limit = limit
        self.space = None
        self.results = {}
        self.imported = []
        self.ended = []
        self.calls = []

    def update_search_space(self, search_space):
        self.space = search_space

    def generate_parameters(self, parameter_id, **kwargs):
        if len(self.calls) >= self.limit:
            raise NoMoreTrialError("done")
        self.calls.append(parameter_id)
        lo, hi = self.space["x"]["_value"]
        best = max(self.results.values(), default=None, key=lambda r: r[1])
        x = lo + (hi - lo) * (len(self.calls) % 10) / 10 if best is None else min(hi, best[0]["x"] + 0.01)
        return {"x": x}

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        if isinstance(value, dict):
            value = value["default"]
        self.results[parameter_id] = (parameters, value, kwargs.get("trial_job_id"))

    def import_data(self, data):
        self.imported.extend(data)

    def trial_end(self, parameter_id, success, **kwargs):
        self.ended.append((parameter_id, success))
'''

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


@pytest.fixture()
def code_dir(tmp_path: Path) -> str:
    (tmp_path / "my_tuner_mod.py").write_text(textwrap.dedent(USER_TUNER))
    yield str(tmp_path)
    sys.modules.pop("my_tuner_mod", None)
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


def make(code_dir: str, **args: object) -> NniTunerAdapter:
    t = create_tuner(
        SearchSpace(SPACE), None, dict(args), class_name="my_tuner_mod.CountingTuner", code_directory=code_dir
    )
    assert isinstance(t, NniTunerAdapter)
    return t


def test_user_tuner_is_fed_results_and_its_ids(code_dir: str) -> None:
    t = make(code_dir, optimize_mode="maximize")
    inner = t.inner
    assert inner.space == SPACE
    history = History()
    for i in range(4):
        p = t.suggest(history)
        history.trials.append(
            Trial(f"T{i}", i, p, TrialStatus.SUCCEEDED, p["x"], raw_value={"default": p["x"]})
        )
    history.trials.append(Trial("T4", 4, t.suggest(history), TrialStatus.FAILED))
    t.suggest(history)
    assert inner.calls == [0, 1, 2, 3, 4, 5]
    assert sorted(inner.results) == [0, 1, 2, 3]
    assert inner.results[2][2] == "T2"  # NNI's trial_job_id keyword reached it
    assert (4, False) in inner.ended and (0, True) in inner.ended
    # each finished trial is fed once
    t.suggest(history)
    assert len(inner.results) == 4 and len(inner.ended) == 5


def test_resume_replays_the_history_as_imported_data(code_dir: str) -> None:
    history = History(
        [Trial(f"T{i}", i, {"x": i / 10}, TrialStatus.SUCCEEDED, i / 10) for i in range(3)]
        + [Trial("T3", 3, {"x": 0.9}, TrialStatus.RUNNING)]
    )
    t = make(code_dir)
    t.suggest(history)
    assert t.inner.imported == [{"parameter": {"x": i / 10}, "value": i / 10} for i in range(3)]
    assert t.inner.calls == [4]


def test_no_more_trial_error_becomes_no_more_trials(code_dir: str) -> None:
    t = make(code_dir, limit=1)
    t.suggest(History())
    with pytest.raises(NoMoreTrials):
        t.suggest(History())


def test_bad_class_args_and_non_tuner_classes(code_dir: str, tmp_path: Path) -> None:
    with pytest.raises(TunerError, match="bad classArgs"):
        make(code_dir, no_such=1)
    (tmp_path / "not_a_tuner_mod.py").write_text("class Thing:\n    pass\n")
    with pytest.raises(TunerError, match="neither an autolab Tuner nor an NNI-style tuner"):
        create_tuner(
            SearchSpace(SPACE), None, {}, class_name="not_a_tuner_mod.Thing", code_directory=code_dir
        )
    sys.modules.pop("not_a_tuner_mod", None)


def test_autolab_tuner_classes_are_not_wrapped() -> None:
    from autolab.tuners.random_tuner import RandomTuner

    assert not is_nni_style(RandomTuner)
    t = create_tuner(
        SearchSpace(SPACE), None, {"seed": 1}, class_name="autolab.tuners.random_tuner.RandomTuner"
    )
    assert isinstance(t, RandomTuner)
