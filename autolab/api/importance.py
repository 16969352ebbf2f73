"""GET /api/v1/importance: parameter importance for one objective (autolab/importance.py says how).

The forest is fitted off the IOLoop (the manager's loop shares it) and the answer is cached per
(experiment, objective, number of succeeded trials, search space): polling it costs one COUNT query
until a new result arrives.
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
from ..statuses import TrialStatus
from .base import BadRequest, BaseHandler

CACHE_SIZE = 16
_cache: OrderedDict[tuple[str, str, int, str], dict[str, Any]] = OrderedDict()
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
    config: dict[str, Any], name: str, rows: list[tuple[dict[str, Any], float | None, Any]]
) -> list[tuple[dict[str, Any], float]]:
    """(parameters, the objective's number) of each (parameters, value, raw) row that has a finite one."""
    objectives = from_config(config)
    out = []
    for params, value, raw in rows:
        number = value if objectives is None else objectives.lookup(raw, name)
        if isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number):
            out.append((params, float(number)))
    return out


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
        done = self.store.count_by_status().get(TrialStatus.SUCCEEDED.value, 0)
        key = (str(self.directory), objective, done, json.dumps(space.raw, sort_keys=True, default=str))
        with _lock:
            answer = _cache.get(key)
        cached = answer is not None
        if answer is None:
            rows = self.store.final_results(TrialStatus.SUCCEEDED.value)
            pairs = objective_values(config, objective, rows)
            answer = await tornado.ioloop.IOLoop.current().run_in_executor(None, _compute, space, pairs)
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
