"""Curve-fitting assessor (NNI's Curvefitting): extrapolate a trial's learning curve to epoch_num and
stop it when the prediction falls short of threshold x the best final result so far."""

from __future__ import annotations

import math
from typing import ClassVar

from ..history import History, Trial
from ._args import fraction_arg, int_arg
from .base import Assessor, AssessorError


class CurvefittingAssessor(Assessor):
    """classArgs: epoch_num (required: the number of intermediate results a full trial reports),
    start_step (6), threshold (0.95), gap (1: judge every gap-th result from start_step on),
    optimize_mode ('maximize'); time_budget (0.2 s) bounds one call."""

    #: curve fitting takes milliseconds to time_budget: the manager should call it off its loop
    slow: ClassVar[bool] = True

    def __init__(
        self,
        epoch_num: int | None = None,
        start_step: int = 6,
        threshold: float = 0.95,
        gap: int = 1,
        optimize_mode: str = "maximize",
        time_budget: float = 0.2,
    ) -> None:
        super().__init__(optimize_mode)
        if epoch_num is None:
            raise AssessorError(
                "Curvefitting classArgs.epoch_num is required (the number of epochs a trial runs)"
            )
        self.epoch_num = int_arg("Curvefitting", "epoch_num", epoch_num, 1)
        self.start_step = int_arg("Curvefitting", "start_step", start_step, 1)
        if self.start_step > self.epoch_num:
            raise AssessorError(
                f"Curvefitting classArgs.start_step ({start_step}) must not exceed epoch_num ({epoch_num})"
            )
        self.threshold = fraction_arg("Curvefitting", "threshold", threshold)
        self.gap = int_arg("Curvefitting", "gap", gap, 1)
        if isinstance(time_budget, bool) or not isinstance(time_budget, (int, float)) or time_budget <= 0:
            raise AssessorError(
                f"Curvefitting classArgs.time_budget must be a number of seconds > 0, got {time_budget!r}"
            )
        self.time_budget = float(time_budget)

    def should_stop(self, trial: Trial, history: History) -> bool:
        step = len(trial.intermediate)
        if step < self.start_step or step >= self.epoch_num or (step - self.start_step) % self.gap:
            return False
        finals = [
            t.value
            for t in history.completed()
            if t.trial_id != trial.trial_id and t.value is not None and math.isfinite(t.value)
        ]
        if not finals:
            return False
        from .curve_models import predict  # scipy loads at the first prediction, not at `autolab create`

        maximize = self.optimize_mode == "maximize"
        predicted = predict(
            trial.intermediate, self.epoch_num, increasing=maximize, time_budget=self.time_budget
        )
        if predicted is None:
            return False
        # threshold x best for a positive best when maximizing; the same margin, mirrored, otherwise
        best = max(finals) if maximize else min(finals)
        margin = (1.0 - self.threshold) * abs(best)
        return bool(predicted < best - margin if maximize else predicted > best + margin)
