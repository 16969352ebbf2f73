"""Hyperband (Li et al. 2018) with NNI's semantics, rebuilt from the history on every suggestion.

NNI's schedule: s_max = floor(log_eta R); brackets s = s_max, s_max - 1, ..., 0, then again (a new
Hyperband iteration). Bracket s starts n = ceil((s_max + 1) eta^s / (s + 1)) configurations at
r = R / eta^s; its rung i runs floor(n / eta^i) configurations at a budget of floor(r eta^i), the
best of rung i - 1 by their latest result (the final one, else the last intermediate). The budget
reaches the trial as NNI's `TRIAL_BUDGET` parameter (and `autolab.get_budget()`); a promoted
configuration is a new trial with the same parameters and the larger budget.

exec_mode (NNI's): "parallelism" (default) starts the next bracket whenever the open ones have
nothing to run, so no slot idles while a rung waits for its last trials; "serial" starts it only
once the current bracket has issued its last rung, and otherwise waits (`NotYet`).

Every trial's bracket, rung and configuration are stored with it (autolab.fidelity), and the
schedule is read back from them on each call: a resumed experiment (even after `kill -9`) goes on
with the same bracket, running nothing twice. Where NNI fails (issue #1567: fewer finished
configurations than the next rung wants), the rung takes those that have a result.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..fidelity import BUDGET_KEY, Suggestion, fidelity, without_budget
from ..history import History, Trial
from ..searchspace import SearchSpace, SearchSpaceError
from .base import NoMoreTrials, NotYet, Tuner, TunerError, canonical, random_unseen

EPSILON = 1e-6  # NNI's, so that log_3(81) is 4, not 3.9999


@dataclass
class Config:
    """One configuration's trials at one rung (more than one when a lost trial was re-run)."""

    parameters: dict[str, Any]
    trials: list[Trial] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return all(not t.running for t in self.trials)

    def result(self) -> float | None:
        """The latest result of its latest trial that has one."""
        for trial in reversed(self.trials):
            if trial.last_value is not None:
                return trial.last_value
        return None


@dataclass
class Bracket:
    """What the history holds of one bracket: rung -> config id -> its trials there."""

    index: int
    rungs: dict[int, dict[str, Config]] = field(default_factory=dict)

    def configs(self, rung: int) -> dict[str, Config]:
        return self.rungs.setdefault(rung, {})


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class HyperbandTuner(Tuner):
    """NNI's Hyperband advisor as a tuner: classArgs optimize_mode, R, eta, exec_mode (and seed)."""

    label: ClassVar[str] = "Hyperband"  # how its errors name it (BOHB's say BOHB)

    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        R: float = 60,  # noqa: N803 (NNI's classArg name)
        eta: int = 3,
        exec_mode: str = "parallelism",
        seed: int | None = None,
    ) -> None:
        super().__init__(space, optimize_mode, seed)
        if not _finite(R) or R < 1:
            raise TunerError(
                f"{self.label} classArgs.R must be a finite number >= 1 (the largest budget), got {R!r}"
            )
        if not _finite(eta) or eta <= 1:
            raise TunerError(f"{self.label} classArgs.eta must be a finite number > 1, got {eta!r}")
        if exec_mode not in ("serial", "parallelism"):
            raise TunerError(
                f"{self.label} classArgs.exec_mode must be 'serial' or 'parallelism', got {exec_mode!r}"
            )
        self.R, self.eta, self.exec_mode = R, eta, exec_mode
        self.s_max = math.floor(math.log(R, eta) + EPSILON)

    # -- the schedule (NNI's numbers) -------------------------------------------------------------
    def s_of(self, bracket: int) -> int:
        """Brackets run s = s_max down to 0, then again."""
        return self.s_max - bracket % (self.s_max + 1)

    def rung_size(self, bracket: int, rung: int) -> int:
        s = self.s_of(bracket)
        n = math.ceil((self.s_max + 1) * self.eta**s / (s + 1) - EPSILON)
        return math.floor(n / self.eta**rung + EPSILON)

    def budget(self, bracket: int, rung: int) -> float:
        r = self.R / self.eta ** self.s_of(bracket)
        return math.floor(r * self.eta**rung + EPSILON)

    def last_rung(self, bracket: int) -> int:
        return self.s_of(bracket)

    def limit_warning(self, max_trial_number: int) -> str:
        sizes = [self.rung_size(0, rung) for rung in range(self.last_rung(0) + 1)]
        if max_trial_number >= sum(sizes):
            return ""
        every = sum(self.rung_size(b, r) for b in range(self.s_max + 1) for r in range(self.last_rung(b) + 1))
        full = self.budget(0, self.last_rung(0))
        return (
            f"{self.label}: maxTrialNumber {max_trial_number} ends inside the first bracket "
            f"({' + '.join(map(str, sizes))} = {sum(sizes)} trials), so no configuration reaches the full "
            f"budget {full:g}; one bracket needs maxTrialNumber {sum(sizes)}, all {self.s_max + 1} need {every}"
        )

    # -- the history read back ----------------------------------------------------------------
    def brackets(self, history: History) -> dict[int, Bracket]:
        out: dict[int, Bracket] = {}
        for trial in history.trials:
            fid = trial.fidelity
            if not fid or not isinstance(fid.get("bracket"), int) or fid.get("config") is None:
                continue
            bracket = out.setdefault(fid["bracket"], Bracket(fid["bracket"]))
            config = bracket.configs(int(fid["rung"])).setdefault(
                str(fid["config"]), Config(without_budget(trial.parameters))
            )
            config.trials.append(trial)
        return out

    def ranked(self, configs: dict[str, Config]) -> list[str]:
        """Config ids with a result, best first (ties: the earlier configuration); a configuration
        the search space no longer has (it was updated) is not promoted."""
        scored = [
            (self.loss(v), c.trials[0].sequence, cid)
            for cid, c in configs.items()
            if (v := c.result()) is not None and self.fits(c.parameters)
        ]
        return [cid for *_, cid in sorted(scored)]

    def fits(self, params: dict[str, Any]) -> bool:
        try:
            self.space.to_flat(params)
        except SearchSpaceError:
            return False
        return True

    # -- suggesting ---------------------------------------------------------------------------
    def suggest(self, history: History) -> dict[str, Any]:
        # seeded from (seed, number of trials so far): a resumed experiment draws what it would have
        rng = self.rng if self.seed is None else random.Random(f"{self.seed}:{len(history)}")
        brackets = self.brackets(history)
        open_ones = sorted(brackets) if self.exec_mode == "parallelism" else sorted(brackets)[-1:]
        waiting = False
        for index in open_ones:
            work = self.next_in(brackets[index], history, rng)
            if isinstance(work, Suggestion):
                return work
            waiting = waiting or work == "wait"
        if waiting and self.exec_mode == "serial":
            raise NotYet(f"bracket {open_ones[-1]} waits for its rung to finish")
        return self.start_bracket(max(brackets, default=-1) + 1, history, rng, waiting)

    def start_bracket(self, index: int, history: History, rng: random.Random, waiting: bool) -> Suggestion:
        first = self.new_config(Bracket(index), history, rng)
        if first is not None:
            return first
        if waiting or history.running():
            raise NotYet("every configuration of the search space is in the open brackets")
        raise NoMoreTrials("every point of the search space was tried in a bracket")

    def next_in(self, bracket: Bracket, history: History, rng: random.Random) -> Suggestion | str:
        """The bracket's next trial, else "wait" (a rung still runs) or "done" (all rungs issued)."""
        first = bracket.configs(0)
        if len(first) < self.rung_size(bracket.index, 0):
            made = self.new_config(bracket, history, rng)
            if made is not None:
                return made
        for rung in range(1, self.last_rung(bracket.index) + 1):
            below = bracket.configs(rung - 1)
            if not all(c.finished for c in below.values()):
                return "wait"
            chosen = self.ranked(below)[: self.rung_size(bracket.index, rung)]
            here = bracket.configs(rung)
            for cid in chosen:
                if cid not in here:
                    return self.promote(bracket.index, rung, cid, below[cid].parameters)
            if not chosen:
                return "done"  # nothing finished with a result: the bracket ends here
        return "done"

    def new_config(self, bracket: Bracket, history: History, rng: random.Random) -> Suggestion | None:
        """A new configuration for the bracket's first rung; None once the space has no point
        left that the bracket has not run."""
        seen = {canonical(c.parameters) for c in bracket.configs(0).values()}
        try:
            params = self.propose(bracket, history, rng, seen)
        except NoMoreTrials:
            return None
        budget = self.budget(bracket.index, 0)
        return Suggestion({**params, BUDGET_KEY: budget}, fidelity(budget, bracket.index, 0, None))

    def propose(
        self, bracket: Bracket, history: History, rng: random.Random, seen: set[str]
    ) -> dict[str, Any]:
        """Hyperband draws at random (BOHB overrides this with its model)."""
        return random_unseen(self.space, rng, seen)

    def promote(self, bracket: int, rung: int, config: str, params: dict[str, Any]) -> Suggestion:
        budget = self.budget(bracket, rung)
        return Suggestion({**params, BUDGET_KEY: budget}, fidelity(budget, bracket, rung, config))
