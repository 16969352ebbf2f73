"""NNI's tuner base class, for custom tuner files written against `nni.tuner.Tuner`.

Change `from nni.tuner import Tuner` to `from autolab.tuner import Tuner` and name the class in
config.yml (`tuner: {className: my_tuner.MyTuner, codeDirectory: .}`); autolab drives it through
its NNI adapter (autolab/tuners/nni_adapter.py). New tuners are better written against
autolab.tuners.base.Tuner, which reads the history instead of keeping state.
"""

from __future__ import annotations

from typing import Any


class NoMoreTrialError(Exception):
    """Raised by a tuner's generate_parameters when it has nothing left to suggest: the experiment
    ends (NNI's `nni.NoMoreTrialError`, same constructor; `autolab.NoMoreTrialError` too)."""

    def __init__(self, ErrorInfo: str = "Search space fully explored") -> None:  # noqa: N803 (NNI's name)
        super().__init__(ErrorInfo)
        self.errorinfo = ErrorInfo

    def __str__(self) -> str:
        return self.errorinfo


class Tuner:
    """NNI's tuner interface: generate parameters, receive results."""

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError("a tuner must implement generate_parameters")

    def generate_multiple_parameters(
        self, parameter_id_list: list[int], **kwargs: Any
    ) -> list[dict[str, Any]]:
        return [self.generate_parameters(i, **kwargs) for i in parameter_id_list]

    def receive_trial_result(
        self, parameter_id: int, parameters: dict[str, Any], value: Any, **kwargs: Any
    ) -> None:
        raise NotImplementedError("a tuner must implement receive_trial_result")

    def update_search_space(self, search_space: dict[str, Any]) -> None:
        raise NotImplementedError("a tuner must implement update_search_space")

    def import_data(self, data: list[dict[str, Any]]) -> None:
        """Results from elsewhere ([{"parameter": ..., "value": ...}]); ignored unless overridden."""

    def trial_end(self, parameter_id: int, success: bool, **kwargs: Any) -> None:
        """Called when a trial ends; nothing to do unless overridden."""
