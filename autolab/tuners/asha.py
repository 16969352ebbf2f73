"""ASHA in promotion mode (asynchronous successive halving, Li et al. 2020), as a tuner.

Rung k has the budget grace_period * eta^k (the last one max_t). Whenever a slot is free: going
down from the highest rung, the first configuration that is among the best 1/eta of the results
recorded at its rung and not yet promoted is continued at the next rung; if there is none, a new
random configuration starts at rung 0. Nothing waits for a rung to fill, so every slot stays busy.

A promoted configuration continues from its own checkpoint: each configuration has a directory
`<all_checkpoint_dir>/<config>`, and a trial gets NNI's PBT-style parameters `load_checkpoint_dir`
(`<config dir>/<previous rung>`, empty at rung 0) and `save_checkpoint_dir` (`<config dir>/<rung>`)
with `TRIAL_BUDGET`, the total budget to reach (epochs, say): a trial loads what the previous rung
saved and trains on up to TRIAL_BUDGET. A trial that ends a rung below the top one ends PAUSED
(no process is kept); its next rung is a new trial of the same configuration, shown with its budget,
rung and config in `trial ls`, and the paused trial becomes SUCCEEDED when that one is recorded.

classArgs: optimize_mode, grace_period (1), eta (3), max_t (81), all_checkpoint_dir
(NNI_CHECKPOINT_DIRECTORY, else `checkpoint/` in the experiment's directory), seed.
"""

from __future__ import annotations

import math
import os
import random
from typing import Any

from ..fidelity import BUDGET_KEY, Suggestion, fidelity
from ..history import History, Trial
from ..searchspace import SearchSpace, SearchSpaceError
from .base import NoMoreTrials, NotYet, Tuner, TunerError, canonical, checkpoint_directory, random_unseen

LOAD, SAVE = "load_checkpoint_dir", "save_checkpoint_dir"


def _integer(key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TunerError(f"ASHA classArgs.{key} must be an integer >= {minimum}, got {value!r}")
    return value


class AshaTuner(Tuner):
    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        grace_period: int = 1,
        eta: int = 3,
        max_t: int = 81,
        all_checkpoint_dir: str | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(space, optimize_mode, seed)
        self.grace_period = _integer("grace_period", grace_period, 1)
        self.eta = _integer("eta", eta, 2)
        self.max_t = _integer("max_t", max_t, self.grace_period)
        self.top = math.floor(math.log(self.max_t / self.grace_period, self.eta) + 1e-6)
        self.all_checkpoint_dir = checkpoint_directory("ASHA", all_checkpoint_dir)
        # config -> (canonical form, whether the current space has it): asked for every config
        # on every suggestion, they made a suggestion O(n) space checks (75 ms at 3,000 trials)
        self._known: dict[str, tuple[str, bool]] = {}

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._known = {}  # whether a configuration fits depends on the space

    def budget(self, rung: int) -> int:
        return self.max_t if rung >= self.top else self.grace_period * self.eta**rung

    def rungs(self, history: History) -> dict[int, dict[str, list[Trial]]]:
        """rung -> config -> its trials there."""
        out: dict[int, dict[str, list[Trial]]] = {}
        for trial in history.trials:
            fid = trial.fidelity
            if fid and fid.get("bracket") is None and fid.get("budget") is not None and fid.get("config"):
                out.setdefault(int(fid["rung"]), {}).setdefault(str(fid["config"]), []).append(trial)
        return out

    def pauses(self, trial: Trial) -> bool:
        fid = trial.fidelity or {}
        return fid.get("budget") is not None and fid.get("bracket") is None and int(fid["rung"]) < self.top

    def suggest(self, history: History) -> dict[str, Any]:
        if getattr(self, "_known_for", None) is not history:  # another history: other configs
            self._known, self._known_for = {}, history
        rungs = self.rungs(history)
        for rung in range(self.top - 1, -1, -1):
            here, above = rungs.get(rung, {}), rungs.get(rung + 1, {})
            scored = sorted(
                (self.loss(v), trials[0].sequence, config)
                for config, trials in here.items()
                if (v := _result(trials)) is not None and self._config(config, trials)[1]
            )
            for *_, config in scored[: len(scored) // self.eta]:
                if config not in above:
                    return self._trial(_space_part(here[config][-1].parameters), rung + 1, config)
        rng = self.rng if self.seed is None else random.Random(f"{self.seed}:{len(history)}")
        seen = {self._config(config, t)[0] for config, t in rungs.get(0, {}).items()}
        try:
            params = random_unseen(self.space, rng, seen)
        except NoMoreTrials:
            if history.running():
                raise NotYet("every configuration runs or waits for its rung") from None
            raise
        return self._trial(params, 0, f"c{len(rungs.get(0, {}))}")  # configs c0, c1, ... in order

    def _trial(self, params: dict[str, Any], rung: int, config: str) -> Suggestion:
        budget = self.budget(rung)
        home = os.path.join(self.all_checkpoint_dir, config)
        extra = {BUDGET_KEY: budget, LOAD: "" if rung == 0 else os.path.join(home, str(rung - 1))}
        extra[SAVE] = os.path.join(home, str(rung))
        return Suggestion({**params, **extra}, fidelity(budget, None, rung, config))

    def _config(self, config: str, trials: list[Trial]) -> tuple[str, bool]:
        """The configuration's canonical form and whether the current space has it."""
        known = self._known.get(config)
        if known is None:
            params = _space_part(trials[-1].parameters)
            try:
                self.space.to_flat(params)
                fits = True
            except SearchSpaceError:
                fits = False
            known = self._known[config] = (canonical(params), fits)
        return known


def _result(trials: list[Trial]) -> float | None:
    """The configuration's result at a rung once its trials there have ended: the latest one."""
    if any(t.running for t in trials):
        return None
    for trial in reversed(trials):
        if trial.last_value is not None:
            return trial.last_value
    return None


def _space_part(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in (LOAD, SAVE, BUDGET_KEY)}
