"""Several objectives: the Pareto front and the hypervolume history (the web UI's Pareto view)."""

from __future__ import annotations

import math

from ..fronts import front, hypervolume
from ..objectives import Objectives, from_config
from .base import BadRequest, BaseHandler


class _Objectives(BaseHandler):
    def objectives(self) -> Objectives:
        found = from_config(self.store.get_meta("config"))
        if found is None:
            raise BadRequest(
                "this experiment has one objective (its tuner's classArgs name no objectives)", 404
            )
        return found


class ParetoHandler(_Objectives):
    def get(self) -> None:
        self.send(front(self.objectives(), self.store.history(intermediate=False)))


class HypervolumeHandler(_Objectives):
    def get(self) -> None:
        objectives = self.objectives()
        text = self.get_query_argument("reference", None)
        reference = None
        if text:
            try:
                reference = [float(x) for x in text.split(",")]
            except ValueError:
                raise BadRequest(f"reference: numbers separated by commas, got {text!r}") from None
            if len(reference) != len(objectives) or not all(math.isfinite(x) for x in reference):
                raise BadRequest(
                    f"reference: {len(objectives)} finite numbers (one per objective "
                    f"{', '.join(objectives.names)}), got {text!r}"
                )
        self.send(hypervolume(objectives, self.store.history(), reference))
