"""Anneal: hyperopt's annealing algorithm behind the autolab tuner interface.

Sampling starts from the prior and concentrates, over time, around one of the best trials seen
(hyperopt.anneal). Each call rebuilds hyperopt's Trials from the history (finished trials only;
EARLY_STOPPED ranked after every completed one, FAILED as the worst value seen: observations.py), so resume needs
nothing else. Running trials are not in hyperopt's view; a point already tried or running is
re-drawn with another seed. Needs hyperopt>=0.2.7.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hyperopt import JOB_STATE_DONE, STATUS_OK, Domain, Trials, anneal, hp

from ..history import History
from ..searchspace import Dim, SearchSpace
from .base import Tuner, canonical
from .observations import RUNNING, Encoder, as_losses
from .sampling import call_rng, random_unseen

MAX_TRIES = 20


class AnnealTuner(Tuner):
    def __init__(self, space: SearchSpace, optimize_mode: str = "maximize", seed: int | None = None) -> None:
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self.encoder = Encoder(space)
        # hyperopt cannot build an empty domain; an empty space is only ever sampled at random
        self.domain = Domain(lambda _: 0.0, _hyperopt_space(space, space.raw, "")) if space.dims else None

    def suggest(self, history: History) -> dict[str, Any]:
        rng = call_rng(self.seed, self.rng, history, "anneal")
        raw, seen = self.encoder.observe(history)
        obs = as_losses(raw, self.optimize_mode == "maximize")
        done = np.flatnonzero(obs.kind != RUNNING)
        if not len(done) or not self.space.dims:  # nothing to anneal from (or nothing to tune)
            return random_unseen(self.space, rng, seen)
        trials = self._trials([self.encoder.decode(obs.x[i]) for i in done], obs.loss[done])
        for _ in range(MAX_TRIES):
            docs = anneal.suggest([len(done)], self.domain, trials, int(rng.integers(2**31 - 1)))
            params = self.space.to_parameters(self._flat(docs[0]["misc"]["vals"]))
            if canonical(params) not in seen:
                return params
        return random_unseen(self.space, rng, seen)

    def _trials(self, flats: list[dict[str, Any]], losses: np.ndarray) -> Any:
        trials = Trials()
        labels = [d.key for d in self.space.dims]
        tids = list(range(len(flats)))
        specs: list[Any] = []
        results: list[dict[str, Any]] = []
        miscs: list[dict[str, Any]] = []
        for tid, flat, loss in zip(tids, flats, losses, strict=True):
            specs.append(None)
            results.append({"status": STATUS_OK, "loss": float(loss)})
            miscs.append(
                {
                    "tid": tid,
                    "cmd": self.domain.cmd if self.domain else None,
                    "workdir": None,
                    "idxs": {k: [tid] if k in flat else [] for k in labels},
                    "vals": {k: [flat[k]] if k in flat else [] for k in labels},
                }
            )
        docs = trials.new_trial_docs(tids, specs, results, miscs)
        for doc in docs:
            doc["state"] = JOB_STATE_DONE
        trials.insert_trial_docs(docs)
        trials.refresh()
        return trials

    def _flat(self, vals: dict[str, list[Any]]) -> dict[str, Any]:
        flat: dict[str, Any] = {}
        for dim in self.space.dims:
            if not self.space.is_active(dim, flat):
                continue
            value = vals[dim.key][0]
            # hyperopt's q types neither clip to the bounds nor give ints; the space's mapping does
            flat[dim.key] = int(value) if dim.is_choice else dim.from_internal(dim.to_internal(float(value)))
        return flat


def _hyperopt_space(space: SearchSpace, raw: dict[str, Any], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in raw.items():
        if name == "_name":
            continue
        key = f"{prefix}{name}"
        dim = space.by_key[key]
        if dim.is_choice:
            options: list[Any] = []
            for index, option in enumerate(spec["_value"]):
                if isinstance(option, dict) and "_name" in option:
                    options.append(_hyperopt_space(space, option, f"{key}/{option['_name']}/"))
                else:
                    options.append(index)
            out[name] = hp.choice(key, options)
        else:
            out[name] = _numeric(hp, dim)
    return out


def _numeric(hp: Any, dim: Dim) -> Any:
    a, key = dim.args, dim.key
    if dim.type == "randint":
        return hp.randint(key, int(a[0]), int(a[1]))
    if dim.type == "uniform":
        return hp.uniform(key, a[0], a[1])
    if dim.type == "quniform":
        return hp.quniform(key, a[0], a[1], a[2])
    if dim.type == "loguniform":
        return hp.loguniform(key, math.log(a[0]), math.log(a[1]))
    if dim.type == "qloguniform":
        return hp.qloguniform(key, math.log(a[0]), math.log(a[1]), a[2])
    if dim.type == "normal":
        return hp.normal(key, a[0], a[1])
    if dim.type == "qnormal":
        return hp.qnormal(key, a[0], a[1], a[2])
    if dim.type == "lognormal":
        return hp.lognormal(key, a[0], a[1])
    return hp.qlognormal(key, a[0], a[1], a[2])
