"""ASHA in stopping mode (asynchronous successive halving, Li et al. 2020), for any tuner.

Rungs sit at grace_period * eta^(k + min_early_stopping_rate) intermediate results (the trial's
"resource" is the number of results it has reported). When a trial reaches a rung, its result there
is compared with the results there of every trial that reached it before (running, finished or
stopped): it goes on only if it is among the best 1/eta of them, else it stops. Nobody waits for a
rung to fill, so every slot stays busy. The rule is Optuna's SuccessiveHalvingPruner's: with fewer
than eta results at the rung, only the best so far goes on.

classArgs: optimize_mode, grace_period (1; Optuna's min_resource), eta (3; reduction_factor is
accepted too), min_early_stopping_rate (0), max_t (none: no rung at or past it, where a trial ends
anyway), min_correlation and min_pairs (below).

**Only the rungs that predict the final result** (`min_correlation`, off by default). Successive
halving assumes that a configuration's rank at a small budget predicts its rank at the full one;
where it does not (MFHartmann's fidelities below z = 27 rank configurations barely better than
chance, Spearman 0.01-0.24, bench/README.md) every stop is a coin toss that throws away budget.
With min_correlation set, a rung stops trials only once the Spearman correlation between the
results at its level and the final results, over the completed trials that reported both (at
least `min_pairs`, default 5), is at least min_correlation; until then, and wherever it is lower,
the rung lets every trial through. So the first min_pairs trials run to the end, and their whole
curves measure every rung without the bias of a rung's own selection; from then on the budget goes
to the rungs that inform (the rank-correlation test of Hyper-Tune, Li et al. VLDB 2022, applied to
the stopping rule; where no rung informs, the tuner is searching at full budget). Measured with TPE
(bench/README.md, third round, seeds 0-9, cost 30): starting as plain ASHA instead (rungs stop
until measured), the survivors of rungs chosen by chance measured the correlation, and
MFHartmann-6 good / bad gave 0.778 / 1.188 (min_correlation 0.4) against 0.395 / 0.473 here (0.5).

**A bound, not the estimate** (`correlation_confidence`, off by default). On 5 pairs of unrelated
values a Spearman correlation of 0.5 or more comes by chance 22% of the time, and a rung switched
on by chance stops most trials, so few complete and the estimate stays where chance put it. With
correlation_confidence c, the rung's one-sided lower confidence bound at level c (Fisher's z with
Spearman's standard error, `lower_bound`) must reach min_correlation. Measured with TPE, seeds 0-19
(bench/README.md, fifth round): without it, on MFHartmann-3 bad rung 9 (Spearman 0.17 with the
final value on random points) was on in 59% of the decisions and stopped a median of 18.5 trials a
seed by cost 30; with c = 0.8 it was on in 19% and stopped none, and the median regret went
0.280 -> 0.112 at cost 30 (0.218 -> 0.118 on seeds 20-39) and 0.083 -> 0.017 at cost 100. The
price is at cost 10, where fewer rungs are on yet (MFHartmann-6 good 1.729 -> 2.065).

**A chain of adjacent rungs** (`correlation_chain`, off by default). The direct measure pairs a
rung's results with the finals of the completed trials only: the survivors of every rung above,
and as many pairs as trials completed. With correlation_chain a rung's correlation with the final
results is the product of adjacent rungs' correlations (rung 9 with 27, 27 with 81, ...), each
over every trial that reported at both (stopped and running ones too), times the top rung's (the
last below max_t) with the finals of the completed trials; with correlation_confidence, the lower
bound of the product (`chain_bound`). Each link needs min_pairs pairs. On 1,000 random points of
MFHartmann the chain is at or a little below the direct correlation at every rung (e.g. rung 9 of
MFHartmann-3 good: 0.38 against 0.51). Measured with TPE (n_startup_jobs 5) and min_pairs 4,
held-out seeds 20-39 (bench/README.md, seventh round): min_pairs 4 alone lost MFHartmann-3 good at
cost 30 (0.076 -> 0.178); with the chain 0.041.

**What a rung reads** (`rung_value`, "last" by default). ASHA compares trials at a rung by their
result there ("last"). With "best" a rung reads each trial's best result so far (steps 1 ... the
rung; a NaN result keeps the best before it), as Optuna's MedianPruner reads a trial, for the cut
and for every correlation the gate measures; the final result is the last one either way. With
"auto" (min_correlation needed) the gate measures the rung both ways on every decision and reads
it the way whose measure is the higher, if that reaches min_correlation. Where results are noisy
from step to step the best of many is a steadier rank: on 1,000 random points of MFHartmann,
whose noise is drawn afresh at every step, rung 27's Spearman correlation with the final value is
0.41 read last and 0.85 read best (MFHartmann-6 good; -6 bad 0.25 and 0.65). On the digits
table, whose accuracies plateau and whose curves can peak and fall, "best" stopped fewer trials
at rung 9 and lost the cost-100 cell by one validation image on 14 seeds of 40 against 3; with
"auto" that cell is 5-5. Measured with C4S5 + "auto", held-out seeds 20-59 (bench/README.md,
ninth round): MFHartmann-6 good at cost 10 2.066 -> 1.530 (23-5 seeds), at cost 100 0.077 ->
0.055 (29-11); in no cell of the 15 does C4S5 win more seeds.

The correlation is read from the history on every decision: no state (the best results so far are
a cache of the results), and a resumed experiment decides alike.

The rungs a trial has passed are cached (a trial is judged once per rung); a fresh assessor (on
resume) judges a trial's rungs again at its next result, against the results stored by then.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist
from typing import Any, ClassVar

from ..history import History, Trial
from ..statuses import COMPLETED
from ._args import int_arg
from .base import Assessor, AssessorError


class AshaAssessor(Assessor):
    """Stop a trial that is not in the best 1/eta at a rung it reaches."""

    slow: ClassVar[bool] = False  # one pass over the trials per rung reached: microseconds

    def __init__(
        self,
        optimize_mode: str = "maximize",
        grace_period: int = 1,
        eta: Any = None,
        reduction_factor: Any = None,
        min_early_stopping_rate: int = 0,
        max_t: int | None = None,
        min_correlation: float | None = None,
        min_pairs: int = 5,
        correlation_confidence: float | None = None,
        correlation_chain: bool = False,
        rung_value: str = "last",
    ) -> None:
        super().__init__(optimize_mode)
        if eta is not None and reduction_factor is not None:
            raise AssessorError("ASHA classArgs: give eta or reduction_factor (the same thing), not both")
        factor = (
            3 if eta is None and reduction_factor is None else (eta if eta is not None else reduction_factor)
        )
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor <= 1:
            raise AssessorError(f"ASHA classArgs.eta must be a number > 1, got {factor!r}")
        self.eta = factor
        self.grace_period = int_arg("ASHA", "grace_period", grace_period, 1)
        self.min_early_stopping_rate = int_arg("ASHA", "min_early_stopping_rate", min_early_stopping_rate, 0)
        self.max_t = None if max_t is None else int_arg("ASHA", "max_t", max_t, 1)
        if min_correlation is not None and (
            isinstance(min_correlation, bool)
            or not isinstance(min_correlation, (int, float))
            or not -1 <= min_correlation <= 1
        ):
            raise AssessorError(
                f"ASHA classArgs.min_correlation must be a number in [-1, 1], got {min_correlation!r}"
            )
        self.min_correlation = min_correlation
        self.min_pairs = int_arg("ASHA", "min_pairs", min_pairs, 3)
        if correlation_confidence is not None and (
            isinstance(correlation_confidence, bool)
            or not isinstance(correlation_confidence, (int, float))
            or not 0 < correlation_confidence < 1
        ):
            raise AssessorError(
                "ASHA classArgs.correlation_confidence must be a number in (0, 1), "
                f"got {correlation_confidence!r}"
            )
        if correlation_confidence is not None and min_correlation is None:  # it would do nothing
            raise AssessorError(
                "ASHA classArgs.correlation_confidence bounds the min_correlation check: set min_correlation too"
            )
        self.correlation_confidence = correlation_confidence
        if not isinstance(correlation_chain, bool):
            raise AssessorError(
                f"ASHA classArgs.correlation_chain must be true or false, got {correlation_chain!r}"
            )
        if correlation_chain and min_correlation is None:  # it would do nothing
            raise AssessorError(
                "ASHA classArgs.correlation_chain measures for min_correlation: set min_correlation too"
            )
        self.correlation_chain = correlation_chain
        if rung_value not in ("last", "best", "auto"):
            raise AssessorError(
                f"ASHA classArgs.rung_value must be 'last', 'best' or 'auto', got {rung_value!r}"
            )
        if rung_value == "auto" and min_correlation is None:  # it chooses by the measure
            raise AssessorError(
                "ASHA classArgs.rung_value 'auto' chooses by min_correlation's measure: set it too"
            )
        self.rung_value = rung_value
        self._best: dict[str, list[float]] = {}  # trial id -> its best result so far at each step
        self._passed: dict[str, int] = {}  # trial id -> how many rungs it has passed

    def rung_level(self, k: int) -> int:
        """The number of results at rung k."""
        return math.ceil(self.grace_period * self.eta ** (k + self.min_early_stopping_rate) - 1e-9)

    def rungs_reached(self, steps: int) -> int:
        """How many rungs a trial with `steps` results has reached."""
        k = 0
        while self.rung_level(k) <= steps and (self.max_t is None or self.rung_level(k) < self.max_t):
            k += 1
        return k

    def should_stop(self, trial: Trial, history: History) -> bool:
        reached = self.rungs_reached(len(trial.intermediate))
        passed = self._passed.get(trial.trial_id, 0)
        for k in range(passed, reached):
            if not self._goes_on(trial, history, self.rung_level(k)):
                return True
            self._passed[trial.trial_id] = k + 1
        return False

    def _goes_on(self, trial: Trial, history: History, level: int) -> bool:
        how = self.rung_value
        if self.min_correlation is not None:
            reading = self.reading(history, level)
            if reading is None:
                return True
            how = reading
        mine = self._loss(self.results(trial, how)[level - 1])
        others = [
            self._loss(self.results(t, how)[level - 1])
            for t in history.trials
            if t.trial_id != trial.trial_id and len(t.intermediate) >= level
        ]
        ranked = sorted([*others, mine])
        return mine <= ranked[self._kept(len(ranked), level) - 1]

    def _kept(self, ranked: int, level: int) -> int:
        """How many of the `ranked` results at `level` go on: the best 1/eta, at least the best one."""
        return max(math.floor(ranked / self.eta), 1)

    def informs(self, history: History, level: int) -> bool:
        """Whether the results at `level` rank the completed trials' final results well enough to
        stop on (min_correlation); not until min_pairs completed trials have reported there."""
        return self.reading(history, level) is not None

    def reading(self, history: History, level: int) -> str | None:
        """How the rung at `level` is read if it stops trials ("last" or "best"), None if it does
        not: its measure (`measure`) must reach min_correlation; with rung_value "auto", the
        reading of the two whose measure is the higher."""
        bar = float(self.min_correlation or 0.0)
        if self.rung_value != "auto":
            figure = self.measure(history, level, self.rung_value)
            return self.rung_value if figure is not None and figure >= bar else None
        best, last = self.measure(history, level, "best"), self.measure(history, level, "last")
        how, figure = (
            ("best", best) if last is None or (best is not None and best >= last) else ("last", last)
        )
        return how if figure is not None and figure >= bar else None

    def measure(self, history: History, level: int, how: str = "last") -> float | None:
        """The rung's correlation with the final results, read `how`: the completed trials'
        Spearman correlation (its lower bound with correlation_confidence), or with
        correlation_chain the chain's (`chained`, -1 while a link is short of min_pairs pairs);
        None while the completed trials are fewer than min_pairs."""
        if self.correlation_chain:
            return self.chained(history, level, how)
        pairs = _finite(_with_finals(history, level, lambda t: self.results(t, how)))
        if len(pairs) < self.min_pairs:
            return None
        rho = rank_correlation(pairs)
        if self.correlation_confidence is not None:
            rho = lower_bound(rho, len(pairs), self.correlation_confidence)
        return rho

    def chain_levels(self, level: int) -> list[int]:
        """`level` and the rung levels above it, below max_t (none without max_t)."""
        levels, k = [level], 0
        while self.rung_level(k) <= level:
            k += 1
        while self.max_t is not None and self.rung_level(k) < self.max_t:
            levels.append(self.rung_level(k))
            k += 1
        return levels

    def chained(self, history: History, level: int, how: str = "last") -> float:
        """The rung's correlation with the final results as a chain (correlation_chain): the
        Spearman correlations of adjacent rungs, each over every trial that reported at both
        (stopped and running ones too), times the top rung's with the final results over the
        completed trials; with correlation_confidence, the product's lower bound (`chain_bound`).
        -1 while a link has fewer than min_pairs pairs. `how`: the results read ("last", "best")."""
        links = self._links(history, level, how)
        if any(n < self.min_pairs for _, n in links):
            return -1.0
        if self.correlation_confidence is not None:
            return chain_bound(links, self.correlation_confidence)
        rhos = [rho for rho, _ in links]
        return math.prod(rhos) if all(r > 0 for r in rhos) else min(rhos)

    def _links(self, history: History, level: int, how: str) -> list[tuple[float, int]]:
        levels = self.chain_levels(level)
        links = []
        for a, b in zip(levels, levels[1:], strict=False):
            read = [self.results(t, how) for t in history.trials if len(t.intermediate) >= b]
            links.append(_link([(r[a - 1], r[b - 1]) for r in read]))
        links.append(_link(_with_finals(history, levels[-1], lambda t: self.results(t, how))))
        return links

    def results(self, trial: Trial, how: str | None = None) -> list[float]:
        """What a rung reads of a trial, step by step: its results ("last"), or its best result so
        far ("best"; a NaN result keeps the best before it; cached per trial and extended as
        results arrive). `how`: rung_value's unless given."""
        if (how or self.rung_value) == "last":
            return trial.intermediate
        results = trial.intermediate
        best = self._best.get(trial.trial_id)
        if best is None or len(best) > len(results):
            best = self._best[trial.trial_id] = []
        better = max if self.optimize_mode == "maximize" else min
        for value in results[len(best) :]:
            before = best[-1] if best else math.nan
            best.append(
                value if math.isnan(before) else before if math.isnan(value) else better(before, value)
            )
        return best

    def _loss(self, value: float) -> float:
        if math.isnan(value):
            return math.inf  # a NaN result is the worst there is
        return -value if self.optimize_mode == "maximize" else value

    def trial_ended(self, trial_id: str) -> None:
        self._passed.pop(trial_id, None)


def lower_bound(rho: float, n: int, confidence: float) -> float:
    """The one-sided lower confidence bound of a Spearman correlation rho measured on n pairs:
    Fisher's z with Spearman's standard error sqrt(1.06 / (n - 3)) (Fieller, Hartley and Pearson
    1957); -1 with 3 pairs or fewer, which bound nothing."""
    if n <= 3:
        return -1.0
    z = math.atanh(min(max(rho, -0.999999), 0.999999))
    return math.tanh(z - NormalDist().inv_cdf(confidence) * math.sqrt(1.06 / (n - 3)))


def _with_finals(
    history: History, level: int, read: Callable[[Trial], list[float]] | None = None
) -> list[tuple[float, float]]:
    """(result at `level`, final result) of every completed trial that went past `level`; `read`:
    what a rung reads of a trial (its results by default)."""
    return [
        ((read(t) if read else t.intermediate)[level - 1], t.value)
        for t in history.trials
        if t.status in COMPLETED and t.value is not None and len(t.intermediate) > level
    ]


def _finite(pairs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(a, b) for a, b in pairs if math.isfinite(a) and math.isfinite(b)]


def _link(pairs: list[tuple[float, float]]) -> tuple[float, int]:
    """A chain link: (Spearman's correlation, the number of pairs), non-finite pairs left out."""
    pairs = _finite(pairs)
    return (rank_correlation(pairs) if len(pairs) >= 3 else 0.0), len(pairs)


def chain_bound(links: list[tuple[float, int]], confidence: float) -> float:
    """The one-sided lower confidence bound of a product of correlations, each (rho, n): the delta
    method on the product's log, a link's variance (1 - rho^2)^2 * 1.06 / (n - 3) (Spearman's, as
    `lower_bound`). A link at 0 or below, or of 3 pairs or fewer, bounds the chain to its own
    value (-1)."""
    if any(rho <= 0 or n <= 3 for rho, n in links):
        return min(-1.0 if n <= 3 else rho for rho, n in links)
    rhos = [min(rho, 0.999999) for rho, _ in links]
    var = sum((1 - r * r) ** 2 * 1.06 / (n - 3) / (r * r) for r, (_, n) in zip(rhos, links, strict=True))
    return math.prod(rhos) * math.exp(-NormalDist().inv_cdf(confidence) * math.sqrt(var))


def rank_correlation(pairs: list[tuple[float, float]]) -> float:
    """Spearman's correlation of the pairs (0 when either side is constant)."""
    # scipy only when a correlation is asked for (min_correlation set): the manager builds
    # assessors at start, and plain ASHA needs none
    from scipy.stats import spearmanr

    a, b = zip(*pairs, strict=True)
    if len(set(a)) < 2 or len(set(b)) < 2:
        return 0.0
    return float(spearmanr(a, b).statistic)
