"""Issue 16, ninth round: bench-only variants of the ASHA assessor (stopping mode), not shipped.

mf_bench.py builds this assessor instead of autolab's when a row's --asha-args has one of KEYS:

- `presumed_rungs` (int) and `presumed_trials` (int): the eighth round's B5, re-implemented here
  (autolab/assessors/asha.py dropped it at 0b95694): while the experiment has at most
  presumed_trials trials, the top presumed_rungs rungs below max_t stop trials by the plain ASHA
  rule as long as their chain is not measured (a link short of min_pairs pairs); once measured,
  and after presumed_trials trials, C4S5's rule.
- `presumed_share` (float, with presumed_trials): B5 with the presumed rungs chosen by budget, the
  rungs at or above this share of max_t, instead of the top presumed_rungs (0.25: rungs 27 and 81
  of MFHartmann's 100, as B5; rung 9 only of the digits table's 27, where B5 presumes 3 and 9).
- `topset` (true): a second way for a rung to switch on, from the completed trials' (result at
  the rung, final result) pairs (at least min_pairs): the ASHA cut at the rung would have kept the
  final's best ceil(n / eta) trials (the rung's top ceil(n / eta) set equals the final's) and the
  Spearman estimate is at least min_correlation. A rung is on when the chain's bound or this
  says so. It asks what ASHA needs (the rung keeps the trials that end best), not how well the
  rung orders all of them.
- `rung_value` (what a rung reads of a trial, for the ASHA cut and for every correlation the gate
  measures; a final result is the final result either way): "last" (ASHA's rule: the result at
  the rung), "best" (the best result so far, steps 1 ... rung, as Optuna's MedianPruner reads a
  trial; a NaN result keeps the best before it), "window" (the best since the rung below: rung
  27 reads steps 10-27), "auto" (at each decision, the one of "last" and "best" whose chain
  bound is the higher; the rung is on if that bound reaches min_correlation, and the cut reads
  the same one). `rung_value_window: true` is "window" (the screen's spelling). autolab's own
  ASHA (autolab/assessors/asha.py) has "last", "best" and "auto" since this round, reproducing
  these rows trial for trial. Since the tenth round this class reads "last" and "best" and
  measures them through autolab's own `AshaAssessor.results` and `.measure` (only "window" is
  computed here); the cut and the gate's choice between them stay here, for the presumed rungs.
  With "auto" a presumed rung that is not measured yet reads "best" (every earlier decision saw
  both readings unmeasured, -1 each, and auto's tie goes to "best"): RA5 (rung_value auto + B5).
"""

from __future__ import annotations

import math
from typing import Any

from autolab.assessors.asha import AshaAssessor, _finite, _link, chain_bound, lower_bound, rank_correlation
from autolab.history import History
from autolab.statuses import COMPLETED

KEYS = ("presumed_rungs", "presumed_trials", "presumed_share", "topset", "rung_value", "rung_value_window")


def _with_finals(history: Any, level: int, read: Any) -> list[tuple[float, float]]:
    return [
        (read(t)[level - 1], t.value)
        for t in history.trials
        if t.status in COMPLETED and t.value is not None and len(t.intermediate) > level
    ]


class _Windowed:
    """rung_value "window": at a rung, the best of a trial's results since the rung below (steps
    previous rung + 1 ... rung; 1 ... rung at the first), NaN results left out."""

    def __init__(self, assessor: AshaAssessor, results: list[float]) -> None:
        self.assessor, self.results = assessor, results

    def __getitem__(self, i: int) -> float:
        step, below, k = i + 1, 0, 0
        while self.assessor.rung_level(k) < step:
            below = self.assessor.rung_level(k)
            k += 1
        window = [v for v in self.results[below:step] if not math.isnan(v)]
        if not window:
            return math.nan
        return max(window) if self.assessor.optimize_mode == "maximize" else min(window)


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
        assert rung_value in ("last", "best", "window", "auto"), rung_value
        self.rung_value = rung_value
        self.reading = "best" if rung_value == "auto" else rung_value  # what the cut reads now

    # -- what a rung reads ----------------------------------------------------------------
    def read(self, trial: Any, how: str | None = None) -> Any:
        """What a rung reads of a trial: "window" here, "last" and "best" by autolab's own
        `AshaAssessor.results` (the same cache, `self._best`)."""
        how = how or self.reading
        if how == "window":
            return _Windowed(self, trial.intermediate)
        return self.results(trial, how)

    def _goes_on(self, trial: Any, history: Any, level: int) -> bool:
        if self.min_correlation is not None and not self.informs(history, level):
            return True
        mine = self._loss(self.read(trial)[level - 1])
        others = [
            self._loss(self.read(t)[level - 1])
            for t in history.trials
            if t.trial_id != trial.trial_id and len(t.intermediate) >= level
        ]
        ranked = sorted([*others, mine])
        keep = max(math.floor(len(ranked) / self.eta), 1)
        return mine <= ranked[keep - 1]

    def measure(self, history: Any, level: int, how: str = "last") -> float:
        """The gate's figure for the rung read as `how` (the chain's bound, or the direct one):
        autolab's `AshaAssessor.measure` for "last" and "best", -1 where it gives None (fewer
        than min_pairs completed trials); "window" computed here, as autolab has no such reading."""
        if how != "window":
            figure = super().measure(history, level, how)
            return -1.0 if figure is None else figure
        if not self.correlation_chain:
            pairs = _finite(_with_finals(history, level, lambda t: self.read(t, how)))
            if len(pairs) < self.min_pairs:
                return -1.0
            rho = rank_correlation(pairs)
            if self.correlation_confidence is not None:
                rho = lower_bound(rho, len(pairs), self.correlation_confidence)
            return rho
        levels = self.chain_levels(level)
        links = []
        for a, b in zip(levels, levels[1:], strict=False):
            pairs = []
            for t in history.trials:
                if len(t.intermediate) >= b:
                    seen = self.read(t, how)
                    pairs.append((seen[a - 1], seen[b - 1]))
            links.append(_link(pairs))
        links.append(_link(_with_finals(history, levels[-1], lambda t: self.read(t, how))))
        if any(n < self.min_pairs for _, n in links):
            return -1.0
        if self.correlation_confidence is not None:
            return chain_bound(links, self.correlation_confidence)
        rhos = [rho for rho, _ in links]
        return math.prod(rhos) if all(r > 0 for r in rhos) else min(rhos)

    def informs(self, history: History, level: int) -> bool:
        early = self.presumed_trials is None or len(history.trials) <= self.presumed_trials
        presumes = self.presumed_rungs or self.presumed_share is not None
        if presumes and early and level in self.presumed_levels() and not self.measured(history, level):
            return True
        bar = float(self.min_correlation or 0.0)
        if self.rung_value == "auto":
            best, last = self.measure(history, level, "best"), self.measure(history, level, "last")
            self.reading = "best" if best >= last else "last"
            on = max(best, last) >= bar
        else:
            on = self.measure(history, level, self.reading) >= bar
        return on or (self.topset and self.top_sets_agree(history, level))

    # -- B5 and the top-set test --------------------------------------------------------------
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
        last = lambda t: t.intermediate  # noqa: E731
        if not self.correlation_chain:
            return len(_finite(_with_finals(history, level, last))) >= self.min_pairs
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
        links.append(_link(_with_finals(history, levels[-1], last)))
        return all(n >= self.min_pairs for _, n in links)

    def top_sets_agree(self, history: History, level: int) -> bool:
        pairs = _finite(_with_finals(history, level, lambda t: t.intermediate))
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
    args = dict(args)
    if args.pop("rung_value_window", False):
        args["rung_value"] = "window"
    return Asha9(optimize_mode=optimize_mode, **args)
