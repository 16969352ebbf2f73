"""NNI's assessor base class, for custom assessor files written against `nni.assessor`.

Change `from nni.assessor import Assessor, AssessResult` to `from autolab.assessor import ...` and
name the class in config.yml (`assessor: {className: my_assessor.MyAssessor, codeDirectory: .}`).
"""

from __future__ import annotations

import enum
from typing import Any


class AssessResult(enum.Enum):
    Good = True
    Bad = False


class Assessor:
    """NNI's assessor interface: judge a trial from its intermediate results."""

    def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
        raise NotImplementedError("an assessor must implement assess_trial")

    def trial_end(self, trial_job_id: str, success: bool) -> None:
        """Called once when a trial ends; nothing to do unless overridden."""
