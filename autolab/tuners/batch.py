"""Batch tuner: run exactly the parameter sets the user listed (NNI's BatchTuner).

The search space holds one parameter of type choice whose options are the parameter sets:
{"combine_params": {"_type": "choice", "_value": [{"lr": 0.1, "bs": 32}, {...}]}}
Each option is run once, in order; then NoMoreTrials.
"""

from __future__ import annotations

import copy
from typing import Any

from ..history import History
from ..searchspace import SearchSpace
from .base import NoMoreTrials, Tuner, TunerError, canonical


class BatchTuner(Tuner):
    supported_types = frozenset({"choice"})
    supports_nested = False

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        if len(space.raw) != 1:
            raise TunerError(
                "BatchTuner needs a search space with exactly one choice parameter whose options are "
                f"the parameter sets (e.g. 'combine_params'); got {len(space.raw)} parameters"
            )
        ((name, spec),) = space.raw.items()
        options = spec["_value"]
        if not all(isinstance(o, dict) for o in options):
            raise TunerError(f"BatchTuner: every option of '{name}' must be a dict of parameters")
        self._sets: list[dict[str, Any]] = [dict(o) for o in options]

    def suggest(self, history: History) -> dict[str, Any]:
        seen = self.seen(history)
        for params in self._sets:
            if canonical(params) not in seen:
                return copy.deepcopy(params)
        raise NoMoreTrials("batch tuner has run every listed parameter set")
