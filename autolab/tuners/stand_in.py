"""NNI's MetisTuner and DNGOTuner, run by autolab's GP tuner (with one warning that says so).

Both are Bayesian optimisation in NNI: Metis models the metric with a Gaussian process (plus an
outlier re-sampling step), DNGO with a neural network's last layer as a Bayesian linear model. An
NNI config naming either runs here unchanged: their classArgs are accepted, those with a GP
counterpart are passed on (Metis's cold_start_num; DNGO's sample_size = GP's random warm-up
points), and the rest are ignored, all said in
the warning (tuners.STAND_INS: shown when the config is loaded, and in manager.log).
"""

from __future__ import annotations

import logging
from typing import Any

from ..searchspace import SearchSpace
from . import STAND_INS
from .base import TunerError
from .gp import GPTuner

log = logging.getLogger("autolab.manager")


def _check_int(tuner: str, key: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise TunerError(f"{tuner} {key} must be an integer >= {low}, got {value!r}")


class MetisTuner(GPTuner):
    """NNI's MetisTuner classArgs on autolab's GP tuner."""

    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        seed: int | None = None,
        no_resampling: bool = True,
        no_candidates: bool = False,
        selection_num_starting_points: int = 600,
        cold_start_num: int = 10,
        exploration_probability: float = 0.9,
    ) -> None:
        for key, flag in (("no_resampling", no_resampling), ("no_candidates", no_candidates)):
            if not isinstance(flag, bool):
                raise TunerError(f"MetisTuner {key} must be true or false, got {flag!r}")
        _check_int("MetisTuner", "selection_num_starting_points", selection_num_starting_points, 1)
        _check_int("MetisTuner", "cold_start_num", cold_start_num, 1)
        p = exploration_probability
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise TunerError(f"MetisTuner exploration_probability must be a number in [0, 1], got {p!r}")
        log.warning("tuner: %s", STAND_INS["metistuner"])
        super().__init__(space, optimize_mode=optimize_mode, seed=seed, cold_start_num=cold_start_num)


class DNGOTuner(GPTuner):
    """NNI's DNGOTuner classArgs on autolab's GP tuner."""

    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        seed: int | None = None,
        sample_size: int = 1000,
        trials_per_update: int = 20,
        num_epochs_per_training: int = 500,
    ) -> None:
        _check_int("DNGOTuner", "sample_size", sample_size, 1)
        _check_int("DNGOTuner", "trials_per_update", trials_per_update, 1)
        _check_int("DNGOTuner", "num_epochs_per_training", num_epochs_per_training, 1)
        log.warning("tuner: %s", STAND_INS["dngotuner"])
        super().__init__(space, optimize_mode=optimize_mode, seed=seed, selection_num_warm_up=sample_size)
