"""Custom tuner and assessor files written for NNI run with only their import lines changed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from autolab.store import Store
from autolab.utils import OptimizeMode, extract_scalar_reward
from tests.helpers_experiment import make_experiment, run_manager

pytestmark = pytest.mark.e2e

NNI_TUNER = """
from autolab.tuner import Tuner              # was: from nni.tuner import Tuner
from autolab.utils import extract_scalar_reward, OptimizeMode

class CountingTuner(Tuner):
    def __init__(self, optimize_mode="maximize", start=0.1):
        self.mode = OptimizeMode.Maximize if optimize_mode == "maximize" else OptimizeMode.Minimize
        self.next_x = start
        self.results = []
    def update_search_space(self, search_space):
        self.space = search_space
    def generate_parameters(self, parameter_id, **kwargs):
        x, self.next_x = self.next_x, self.next_x + 0.1
        return {"x": round(x, 3), "k": 1}
    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        self.results.append(extract_scalar_reward(value))
"""

NNI_ASSESSOR = """
from autolab.assessor import Assessor, AssessResult   # was: from nni.assessor import ...

class StopLowAssessor(Assessor):
    def assess_trial(self, trial_job_id, trial_history):
        return AssessResult.Bad if trial_history[-1] < 0.25 else AssessResult.Good
"""


def test_nni_style_tuner_and_assessor_run_unchanged(tmp_path: Path) -> None:
    code = tmp_path / "algos"
    code.mkdir()
    (code / "my_tuner.py").write_text(NNI_TUNER)
    (code / "my_assessor.py").write_text(NNI_ASSESSOR)
    directory = make_experiment(
        tmp_path,
        """
        autolab.report_intermediate_result(p["x"])
        time.sleep(0.3 if p["x"] < 0.25 else 0)
        for _ in range(20):
            if p["x"] < 0.25:
                time.sleep(0.2)
                autolab.report_intermediate_result(p["x"])
        autolab.report_final_result(p["x"])
    """,
        maxTrialNumber=4,
        trialConcurrency=1,
        tuner={
            "className": "my_tuner.CountingTuner",
            "codeDirectory": str(code),
            "classArgs": {"start": 0.1},
        },
        assessor={"className": "my_assessor.StopLowAssessor", "codeDirectory": str(code)},
    )
    manager = run_manager(directory, timeout=60)
    rows = Store(directory, readonly=True).trial_rows()
    xs = [r.parameters["x"] for r in rows]
    assert xs == [0.1, 0.2, 0.3, 0.4]
    assert [r.status for r in rows] == ["EARLY_STOPPED", "EARLY_STOPPED", "SUCCEEDED", "SUCCEEDED"]
    assert manager.status == "DONE"


def test_extract_scalar_reward() -> None:
    assert extract_scalar_reward({"default": 2, "x": 1}) == 2.0
    with pytest.raises(ValueError):
        extract_scalar_reward("bad")
    with pytest.raises(RuntimeError):  # what NNI's raises
        extract_scalar_reward({"loss": 1})


NNI_ENUM_TUNER = """
from autolab import NoMoreTrialError          # was: from nni import NoMoreTrialError
from autolab.tuner import Tuner
from autolab.utils import OptimizeMode

class TwoPoints(Tuner):
    def __init__(self, optimize_mode="maximize"):
        self.optimize_mode = OptimizeMode(optimize_mode)   # NNI's Enum, built from the classArgs string
        self.left = [0.25, 0.75]
    def update_search_space(self, search_space):
        pass
    def generate_parameters(self, parameter_id, **kwargs):
        if not self.left:
            raise NoMoreTrialError()
        return {"x": self.left.pop(0)}
    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        pass
"""


def test_optimize_mode_enum_and_no_more_trial_error_end_the_tuner(tmp_path: Path) -> None:
    from autolab.history import History
    from autolab.searchspace import SearchSpace
    from autolab.tuners import NoMoreTrials, create_tuner

    (tmp_path / "enum_tuner_mod.py").write_text(NNI_ENUM_TUNER)
    try:
        tuner = create_tuner(
            SearchSpace({"x": {"_type": "uniform", "_value": [0, 1]}}),
            None,
            {"optimize_mode": "minimize"},
            class_name="enum_tuner_mod.TwoPoints",
            code_directory=str(tmp_path),
        )
        assert tuner.inner.optimize_mode is OptimizeMode.Minimize  # type: ignore[attr-defined]
        assert [tuner.suggest(History()) for _ in range(2)] == [{"x": 0.25}, {"x": 0.75}]
        with pytest.raises(NoMoreTrials, match="Search space fully explored"):
            tuner.suggest(History())
    finally:
        sys.modules.pop("enum_tuner_mod", None)
        if str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))
