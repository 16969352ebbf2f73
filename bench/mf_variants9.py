"""Issue 16, ninth round: bench-only variants of the ASHA assessor (stopping mode), not shipped.

mf_bench.py builds this assessor instead of autolab's when a row's --asha-args has one of KEYS:

- `presumed_rungs` (int) and `presumed_trials` (int): the eighth round's B5, re-implemented here
  (autolab/assessors/asha.py dropped it at 0b95694): while the experiment has at most
  presumed_trials trials, the top presumed_rungs rungs below max_t stop trials by the plain ASHA
  rule as long as their chain is not measured (a link short of min_pairs pairs); once measured,
  and after presumed_trials trials, C4S5's rule.
- `topset` (true): a second way for a rung to switch on, from the completed trials' (result at
  the rung, final result) pairs (at least min_pairs): the ASHA cut at the rung would have kept the
  final's best ceil(n / eta) trials (the rung's top ceil(n / eta) set equals the final's) and the
  Spearman estimate is at least min_correlation. A rung is on when the chain's bound or this
  says so. It asks what ASHA needs (the rung keeps the trials that end best), not how well the
  rung orders all of them.
- `rung_value` ("last" or "best"): what a rung reads of a trial, its result at the rung (ASHA's
  rule, "last") or its best result up to the rung ("best", as Optuna's MedianPruner reads a
  trial), for the ASHA cut and for every correlation the gate measures (a final result is the
  final result either way).
- `presumed_share` (float, with presumed_trials): B5 with the presumed rungs chosen by budget, the
  rungs at or above this share of max_t, instead of the top presumed_rungs (0.25: rungs 27 and 81
  of MFHartmann's 100, as B5; rung 9 only of the digits table's 27, where B5 presumes 3 and 9).
"""

from __future__ import annotations

import math
from typing import Any

from autolab.assessors.asha import AshaAssessor, _finite, _link, _with_finals, rank_correlation
from autolab.history import History

KEYS = ("presumed_rungs", "presumed_trials", "presumed_share", "topset", "rung_value")


class _Seen:
    """A trial as the assessor reads it with rung_value "best": its best result so far at every
    step (the final result unchanged)."""

    __slots__ = ("trial_id", "intermediate", "value", "status")

    def __init__(self, trial_id: str, intermediate: list[float], value: Any, status: Any) -> None:
        self.trial_id, self.intermediate, self.value, self.status = trial_id, intermediate, value, status


class _View:
    __slots__ = ("trials",)

    def __init__(self, trials: list[_Seen]) -> None:
        self.trials = trials


class Asha9(AshaAssessor):
    def __init__(
        self,
        presumed_rungs: int = 0,
        presumed_trials: int | None = None,
        presumed_share: float | None = None,
        topset: bool = False,
        rung_value: str = "last",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.presumed_rungs = presumed_rungs
        self.presumed_trials = presumed_trials
        self.presumed_share = presumed_share
        self.topset = topset
        assert rung_value in ("last", "best"), rung_value
        self.rung_value = rung_value
        self._best: dict[str, list[float]] = {}  # trial id -> best result so far at each step

    def should_stop(self, trial: Any, history: Any) -> bool:
        if self.rung_value == "last":
            return super().should_stop(trial, history)
        if self.rungs_reached(len(trial.intermediate)) <= self._passed.get(trial.trial_id, 0):
            return False  # no new rung: nothing to decide
        view = self._view(history)
        mine = next(t for t in view.trials if t.trial_id == trial.trial_id)
        return super().should_stop(mine, view)  # type: ignore[arg-type]

    def _view(self, history: Any) -> _View:
        """The history with every trial's results replaced by its best so far (minimum, maximum
        when maximizing; a NaN result keeps the best before it)."""
        better = max if self.optimize_mode == "maximize" else min
        seen = []
        for t in history.trials:
            cum = self._best.setdefault(t.trial_id, [])
            for v in t.intermediate[len(cum) :]:
                prev = cum[-1] if cum else math.nan
                cum.append(v if math.isnan(prev) else prev if math.isnan(v) else better(prev, v))
            seen.append(_Seen(t.trial_id, cum, t.value, t.status))
        return _View(seen)

    def presumed_levels(self) -> list[int]:
        levels, k = [], 0
        while self.max_t is not None and self.rung_level(k) < self.max_t:
            levels.append(self.rung_level(k))
            k += 1
        if self.presumed_share is not None:  # the rungs at or above this share of max_t
            return [lv for lv in levels if lv >= self.presumed_share * (self.max_t or 0)]
        return levels[-self.presumed_rungs :] if self.presumed_rungs else []

    def measured(self, history: History, level: int) -> bool:
        """Whether every link of the rung's chain has min_pairs pairs (the direct pairs without
        the chain)."""
        if not self.correlation_chain:
            return len(_finite(_with_finals(history, level))) >= self.min_pairs
        levels = self.chain_levels(level)
        links = [
            _link(
                [
                    (t.intermediate[a - 1], t.intermediate[b - 1])
                    for t in history.trials
                    if len(t.intermediate) >= b
                ]
            )
            for a, b in zip(levels, levels[1:], strict=False)
        ]
        links.append(_link(_with_finals(history, levels[-1])))
        return all(n >= self.min_pairs for _, n in links)

    def informs(self, history: History, level: int) -> bool:
        early = self.presumed_trials is None or len(history.trials) <= self.presumed_trials
        presumes = self.presumed_rungs or self.presumed_share is not None
        if presumes and early and level in self.presumed_levels():
            if not self.measured(history, level):
                return True
        if super().informs(history, level):
            return True
        return self.topset and self.top_sets_agree(history, level)

    def top_sets_agree(self, history: History, level: int) -> bool:
        pairs = _finite(_with_finals(history, level))
        n = len(pairs)
        if n < self.min_pairs:
            return False
        k = math.ceil(n / self.eta)
        sign = -1.0 if self.optimize_mode == "maximize" else 1.0  # losses: lower is better
        by_rung = sorted(range(n), key=lambda i: sign * pairs[i][0])[:k]
        by_final = sorted(range(n), key=lambda i: sign * pairs[i][1])[:k]
        if set(by_rung) != set(by_final):
            return False
        return rank_correlation(pairs) >= float(self.min_correlation or 0.0)


def make(optimize_mode: str, args: dict[str, Any]) -> Asha9:
    return Asha9(optimize_mode=optimize_mode, **args)
