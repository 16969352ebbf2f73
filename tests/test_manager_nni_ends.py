"""An NNI-style custom tuner and assessor hear of every finished trial, the last one's too, as
under NNI: receive_trial_result and trial_end once per trial, whether or not a next point is asked."""

from __future__ import annotations

from pathlib import Path

from helpers_experiment import make_experiment, run_manager

CODE = """\
from nni.assessor import Assessor, AssessResult
from nni.tuner import Tuner

class CountingTuner(Tuner):
    def __init__(self):
        self.results, self.ends, self.n = [], [], 0
    def update_search_space(self, space):
        pass
    def generate_parameters(self, parameter_id, **kwargs):
        self.n += 1
        return {"x": self.n / 10, "k": 1}
    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        self.results.append(parameter_id)
    def trial_end(self, parameter_id, success, **kwargs):
        self.ends.append((parameter_id, success))

class CountingAssessor(Assessor):
    def __init__(self):
        self.ends = []
    def assess_trial(self, trial_job_id, trial_history):
        return AssessResult.Good
    def trial_end(self, trial_job_id, success):
        self.ends.append(trial_job_id)
"""
TRIAL = """\
autolab.report_intermediate_result(p["x"])
autolab.report_final_result(p["x"])
"""


def test_every_finished_trial_reaches_the_custom_tuner_and_assessor(tmp_path: Path) -> None:
    algorithms = tmp_path / "algorithms"
    algorithms.mkdir()
    (algorithms / "counting.py").write_text(CODE)
    directory = make_experiment(
        tmp_path,
        TRIAL,
        maxTrialNumber=8,
        tuner={"className": "counting.CountingTuner", "codeDirectory": str(algorithms)},
        assessor={"className": "counting.CountingAssessor", "codeDirectory": str(algorithms)},
    )
    manager = run_manager(directory)
    ids = sorted(t.trial_id for t in manager.history.trials)
    tuner, assessor = manager.tuner.inner, manager.assessing.assessor.inner
    assert len(ids) == 8 and {t.status.value for t in manager.history.trials} == {"SUCCEEDED"}
    assert sorted(tuner.results) == list(range(8))
    assert sorted(tuner.ends) == [(i, True) for i in range(8)]
    assert sorted(assessor.ends) == ids
