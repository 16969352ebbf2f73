"""GET /api/v1/importance: parameter importance for one objective (autolab/importance.py says how).

The forest is fitted off the IOLoop (the manager's loop shares it) and the answer is cached per
(experiment, objective, budget, number of completed trials, search space): polling it costs one
COUNT query until a new result arrives.

Multi-fidelity experiments (Hyperband, BOHB, ASHA promotion): a 1-epoch result does not rank with a
27-epoch one, so the forest is fitted on the trials of one budget (`?budget=`; `all` mixes them).
By default the largest budget with at least BUDGET_MIN_TRIALS results, as BOHB's model reads the
largest budget with enough points; failing that, the budget with the most results. Paused trials
(ASHA promotion) count at the budget they ran.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from typing import Any

import tornado.ioloop

from ..objectives import from_config, optimize_mode
from ..searchspace import SearchSpace, SearchSpaceError
from ..statuses import COMPLETED
from .base import BadRequest, BaseHandler

CACHE_SIZE = 16
BUDGET_MIN_TRIALS = 10
_cache: OrderedDict[tuple[str, str, str, int, str], dict[str, Any]] = OrderedDict()
_lock = threading.Lock()
_warming = threading.Event()


def warm_up() -> None:
    """Start loading scikit-learn's forests in a background thread, once per process. The page calls
    for the importance a moment after it loads; without this, that first answer waits for the
    import (1-4 s here), which is longer than the fit itself (bench/README.md, issue 22)."""
    with _lock:
        if _warming.is_set():
            return
        _warming.set()
    threading.Thread(target=_import_forest, name="autolab-importance-warm-up", daemon=True).start()


def _import_forest() -> None:
    import sklearn.ensemble  # noqa: F401  (only to have it loaded: autolab/importance.py uses it)


def objective_names(config: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The experiment's objectives and their directions (one, `default`, unless classArgs name more)."""
    objectives = from_config(config)
    if objectives is not None:
        return list(objectives.names), list(objectives.directions)
    return ["default"], [optimize_mode(config)]


def objective_values(
    config: dict[str, Any], name: str, rows: list[tuple[dict[str, Any], float | None, Any, float | None]]
) -> list[tuple[dict[str, Any], float, float | None]]:
    """(parameters, the objective's number, budget) of each (parameters, value, raw, budget) row that
    has a finite number."""
    objectives = from_config(config)
    out = []
    for params, value, raw, budget in rows:
        number = value if objectives is None else objectives.lookup(raw, name)
        if isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number):
            out.append((params, float(number), budget))
    return out


def budget_counts(rows: list[tuple[dict[str, Any], float, float | None]]) -> dict[float, int]:
    """How many results each budget has (trials without a budget are in none)."""
    counts: dict[float, int] = {}
    for _, _, budget in rows:
        if budget is not None:
            counts[budget] = counts.get(budget, 0) + 1
    return counts


def default_budget(counts: dict[float, int]) -> float | None:
    """The largest budget with at least BUDGET_MIN_TRIALS results, else the one with the most (the
    larger on a tie); None (every trial) when no trial has a budget."""
    if not counts:
        return None
    enough = [b for b, n in counts.items() if n >= BUDGET_MIN_TRIALS]
    return max(enough) if enough else max(counts, key=lambda b: (counts[b], b))


def chosen_budget(asked: str | None, counts: dict[float, int]) -> float | None:
    """The budget `?budget=` names (None for `all`), or the default; BadRequest for one no result has."""
    if asked is None:
        return default_budget(counts)
    if asked == "all":
        return None
    try:
        number = float(asked)
    except ValueError:
        number = math.nan
    for budget in counts:
        if budget == number:
            return budget
    known = ", ".join(f"{b:g}" for b in sorted(counts))
    raise BadRequest(f"budget: expected {'one of ' + known + ' or ' if known else ''}'all', got {asked!r}")


class ImportanceHandler(BaseHandler):
    async def get(self) -> None:
        config = self.store.get_meta("config") or {}
        names, directions = objective_names(config)
        objective = self.get_query_argument("objective", None) or names[0]
        if objective not in names:
            raise BadRequest(f"objective: expected one of {', '.join(names)}, got {objective!r}")
        try:
            space = SearchSpace(config.get("searchSpace") or {})
        except SearchSpaceError as exc:
            raise BadRequest(f"the experiment's search space cannot be read: {exc}", 409) from None
        by_status = self.store.count_by_status()
        done = sum(by_status.get(status.value, 0) for status in COMPLETED)
        asked = self.get_query_argument("budget", None)
        key = (
            str(self.directory),
            objective,
            str(asked),
            done,
            json.dumps(space.raw, sort_keys=True, default=str),
        )
        with _lock:
            answer = _cache.get(key)
        cached = answer is not None
        if answer is None:
            rows = objective_values(
                config, objective, self.store.final_results(*(status.value for status in COMPLETED))
            )
            counts = budget_counts(rows)
            budget = chosen_budget(asked, counts)
            pairs = [(p, v) for p, v, b in rows if budget is None or b == budget]
            answer = await tornado.ioloop.IOLoop.current().run_in_executor(None, _compute, space, pairs)
            answer = {
                **answer,
                "budget": budget,
                "budgets": [{"budget": b, "trials": counts[b]} for b in sorted(counts)],
            }
            with _lock:
                _cache[key] = answer
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
        direction = directions[names.index(objective)]
        self.send(
            {**answer, "objective": objective, "direction": direction, "objectives": names, "cached": cached}
        )


def _compute(space: SearchSpace, pairs: list[tuple[dict[str, Any], float]]) -> dict[str, Any]:
    # not at the top: numpy and scikit-learn load on the first importance request, not with the server
    from ..importance import importance

    return importance(space, pairs)
