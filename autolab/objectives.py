"""Several objectives and constraints, read from the dict a trial reports (NNI's dict metric).

The tuner's classArgs say what to optimise:

    tuner: {name: TPE, classArgs: {objectives: {accuracy: maximize, latency_ms: minimize},
                                   constraints: {latency_ms: {max: 20}}}}

Objective `name` is the reported dict's key `name`; the FIRST objective, when the dict has no key of
its name, is the `default` number (so a trial reporting `{"default": acc, "latency_ms": ...}` needs no
change). A constraint bounds a key of the dict (`min` and/or `max`; the first objective's name reads
as it does for the objective); a trial that breaks one is
infeasible, and, as in Optuna's constrained samplers, every feasible trial ranks before every
infeasible one, infeasible ones by how far they are outside their bounds (summed).

Standard library only: the CLI and the REST API read fronts with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import AutolabError
from .history import Trial
from .pareto import hypervolume, nadir_reference, nondominated_sort
from .statuses import TrialStatus

DIRECTIONS = ("maximize", "minimize")


class ObjectiveError(AutolabError, ValueError):
    """A bad objectives / constraints classArg; the message names the key."""


@dataclass(frozen=True)
class Objectives:
    names: tuple[str, ...]
    directions: tuple[str, ...]  # 'maximize' | 'minimize', one per name
    constraints: tuple[tuple[str, float | None, float | None], ...] = ()  # (key, min, max)

    @classmethod
    def parse(cls, objectives: Any, constraints: Any = None, default_mode: str = "maximize") -> Objectives:
        """From classArgs' `objectives` (a mapping name -> direction, or a list of names, each then
        taking default_mode) and `constraints` (a mapping key -> {min, max})."""
        if objectives is None:
            objectives = {"default": default_mode}
        if isinstance(objectives, (list, tuple)) and all(isinstance(n, str) for n in objectives):
            objectives = dict.fromkeys(objectives, default_mode)
        if not isinstance(objectives, Mapping) or not objectives:
            raise ObjectiveError(
                f"objectives must map each metric key to 'maximize' or 'minimize', got {objectives!r}"
            )
        for name, direction in objectives.items():
            if direction not in DIRECTIONS:
                raise ObjectiveError(f"objectives.{name} must be 'maximize' or 'minimize', got {direction!r}")
        return cls(tuple(str(n) for n in objectives), tuple(objectives.values()), _constraints(constraints))

    def __len__(self) -> int:
        return len(self.names)

    @property
    def several(self) -> bool:
        """False for one `default` objective without constraints: a single-objective tuner's case."""
        return len(self.names) > 1 or bool(self.constraints) or self.names != ("default",)

    def values(self, raw: Any) -> list[float] | None:
        """The objectives' values in a reported result (a number stands for `default`); None
        when one is missing or not a finite number."""
        out = []
        for name in self.names:
            number = _finite(self.lookup(raw, name))
            if number is None:
                return None
            out.append(number)
        return out

    def lookup(self, raw: Any, key: str) -> Any:
        """A key of a reported result: the dict's key; the first objective's name, when the dict
        lacks it, and `default` are the `default` number (a plain number is that number)."""
        stands_for_default = key in ("default", self.names[0])
        if isinstance(raw, Mapping):
            return raw[key] if key in raw else raw.get("default") if stands_for_default else None
        return raw if stands_for_default else None

    def losses(self, raw: Any) -> list[float] | None:
        """values() turned to minimisation (maximised objectives negated)."""
        values = self.values(raw)
        if values is None:
            return None
        return [-v if d == "maximize" else v for v, d in zip(values, self.directions, strict=True)]

    def violation(self, raw: Any) -> float:
        """How far a result is outside its constraints (0: feasible); inf when a constrained key
        is missing (nothing says it is feasible)."""
        total = 0.0
        for key, low, high in self.constraints:
            value = _finite(self.lookup(raw, key))
            if value is None:
                return math.inf
            if low is not None and value < low:
                total += low - value
            if high is not None and value > high:
                total += value - high
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "objectives": dict(zip(self.names, self.directions, strict=True)),
            "constraints": {k: {"min": lo, "max": hi} for k, lo, hi in self.constraints},
        }


def _constraints(raw: Any) -> tuple[tuple[str, float | None, float | None], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ObjectiveError(f"constraints must map a metric key to {{min: x, max: y}}, got {raw!r}")
    out = []
    for key, bounds in raw.items():
        if not isinstance(bounds, Mapping) or not bounds or set(bounds) - {"min", "max"}:
            raise ObjectiveError(f"constraints.{key} must be {{min: x}}, {{max: y}} or both, got {bounds!r}")
        low, high = bounds.get("min"), bounds.get("max")
        for which, value in (("min", low), ("max", high)):
            if value is not None and _finite(value) is None:
                raise ObjectiveError(f"constraints.{key}.{which} must be a number, got {value!r}")
        if low is not None and high is not None and low > high:
            raise ObjectiveError(f"constraints.{key}: min {low} is above max {high}")
        out.append((str(key), None if low is None else float(low), None if high is None else float(high)))
    return tuple(out)


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def from_config(config: Mapping[str, Any] | None) -> Objectives | None:
    """The objectives of a stored config (its tuner's classArgs), None when it has one objective
    and no constraints (or they do not parse: the tuner refused them at create)."""
    args = ((config or {}).get("tuner") or {}).get("classArgs") or {}
    if not isinstance(args, Mapping) or ("objectives" not in args and "constraints" not in args):
        return None
    try:
        return Objectives.parse(
            args.get("objectives"), args.get("constraints"), args.get("optimize_mode", "maximize")
        )
    except ObjectiveError:
        return None


def optimize_mode(config: Mapping[str, Any] | None) -> str:
    """Which way the `default` value is better in a stored config: the first objective's direction
    when classArgs name objectives (the `default` number stands for the first objective), else
    classArgs' optimize_mode (NNI's default, maximize)."""
    args = ((config or {}).get("tuner") or {}).get("classArgs") or {}
    objectives = from_config(config)
    if objectives is not None:
        return objectives.directions[0]
    return str(args.get("optimize_mode", "maximize")) if isinstance(args, Mapping) else "maximize"


# -- what results show ------------------------------------------------------------------------
def scored(objectives: Objectives, trials: list[Trial]) -> list[tuple[Trial, list[float], float]]:
    """Succeeded trials with every objective: (trial, losses, constraint violation)."""
    out = []
    for t in trials:
        if t.status != TrialStatus.SUCCEEDED:
            continue
        raw = t.raw_value if t.raw_value is not None else t.value
        losses = objectives.losses(raw)
        if losses is not None:
            out.append((t, losses, objectives.violation(raw)))
    return out


def best_trials(objectives: Objectives, trials: list[Trial]) -> list[Trial]:
    """The Pareto set: the non-dominated feasible trials (when no trial is feasible: none)."""
    return pareto_set(scored(objectives, trials))


def pareto_set(rows: list[tuple[Trial, list[float], float]]) -> list[Trial]:
    """best_trials of rows already scored (scored()), for callers that need the rows too."""
    feasible = [(t, loss) for t, loss, v in rows if v == 0]
    fronts = nondominated_sort([loss for _, loss in feasible])
    return [feasible[i][0] for i in fronts[0]] if fronts else []


def hypervolume_history(
    objectives: Objectives, trials: list[Trial], reference: list[float] | None = None
) -> tuple[list[float], list[tuple[int, float]]]:
    """(reference point in the objectives' own signs, [(trial sequence, hypervolume of the
    feasible trials finished up to it)]). Without a reference: beyond the worst of each objective
    over all feasible trials (nadir_reference), so the history is comparable within one call."""
    rows = sorted(
        ((t, loss) for t, loss, v in scored(objectives, trials) if v == 0),
        key=lambda r: (math.inf if r[0].end_time is None else r[0].end_time, r[0].sequence),
    )
    if not rows:
        return [], []
    signs = [-1.0 if d == "maximize" else 1.0 for d in objectives.directions]
    ref = (
        [s * r for s, r in zip(signs, reference, strict=True)]
        if reference is not None
        else nadir_reference([loss for _, loss in rows])
    )
    history: list[tuple[int, float]] = []
    front: list[list[float]] = []  # the front so far keeps each step's volume cheap
    volume = 0.0
    for t, loss in rows:
        if _adds(front, loss):  # the volume changes only with the front
            front = [p for p in front if not _dominated_or_equal(p, loss)] + [loss]
            volume = hypervolume(front, ref)
        history.append((t.sequence, volume))
    return [s * r for s, r in zip(signs, ref, strict=True)], history


def _dominated_or_equal(p: list[float], q: list[float]) -> bool:
    return all(x >= y for x, y in zip(p, q, strict=True))


def _adds(front: list[list[float]], loss: list[float]) -> bool:
    return not any(all(x <= y for x, y in zip(p, loss, strict=True)) for p in front)
