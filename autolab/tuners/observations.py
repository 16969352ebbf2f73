"""The history as arrays for the model-based tuners (TPE, GP, Evolution).

Each trial becomes one row over the flat dims of the space: numeric dims in their sampling
coordinates (log for log types), choice dims as the option index, NaN where the dim is inactive
(nested choice). Every trial also gets a loss (lower is better) and a kind:

- completed: SUCCEEDED with a final value;
- stopped: EARLY_STOPPED (pruned by an assessor), ranked after every completed trial (below);
- failed: FAILED / NO_RESULT / EARLY_STOPPED without any value: the worst loss seen (so a model
  learns to avoid regions that crash);
- running: WAITING / RUNNING, loss NaN (a tuner decides what to lie about them).

A stopped trial's last intermediate value is a result at a smaller budget (one step, under ASHA's
first rung), not a final one, and with hundreds of them a model learns the low fidelity instead of
the objective: NNI's tuners took it as the trial's result, and TPE + ASHA (stopping) did worse
than random search + ASHA on every MFHartmann problem (bench/README.md). `as_losses` ranks stopped
trials as Optuna's TPE ranks pruned ones: after every completed trial, the one that reached more
steps first, then by its last value (the one rule every model-based tuner here reads).

USER_CANCELED trials and trials whose parameters do not fit the current space are left out.
Encoding is cached per trial id (a pure cache, checked against the parameters, so the arrays are
always what the history says; resume needs nothing from it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..history import History
from ..searchspace import Dim, SearchSpace, SearchSpaceError
from ..statuses import TrialStatus
from .base import canonical

COMPLETED, STOPPED, FAILED, RUNNING = 0, 1, 2, 3


@dataclass
class Observations:
    """Rows of encoded trials, in sequence order."""

    x: np.ndarray  # (n, n_dims) float, NaN where inactive
    loss: np.ndarray  # (n,) float, NaN for running trials
    kind: np.ndarray  # (n,) int: COMPLETED / STOPPED / FAILED / RUNNING
    steps: np.ndarray | None = None  # (n,) int: intermediate results reported (None: not known)

    def __len__(self) -> int:
        return len(self.loss)

    @property
    def valued(self) -> np.ndarray:
        """Mask of rows with a loss (completed, stopped, failed)."""
        return self.kind != RUNNING


_CODE = {
    TrialStatus.SUCCEEDED: COMPLETED,
    TrialStatus.PAUSED: COMPLETED,
    TrialStatus.EARLY_STOPPED: STOPPED,
    TrialStatus.FAILED: FAILED,
    TrialStatus.NO_RESULT: FAILED,
    TrialStatus.RUNNING: RUNNING,
    TrialStatus.WAITING: RUNNING,
    TrialStatus.USER_CANCELED: -1,
}


class Encoder:
    """Encodes trials of one search space (cached by trial id)."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self.dims = space.dims
        self.index = {d.key: i for i, d in enumerate(self.dims)}
        # trial id -> (parameters, row number in self._rows or -1, canonical form)
        self._cache: dict[str, tuple[dict[str, Any], int, str]] = {}
        self._rows: list[np.ndarray] = []
        self._matrix = np.empty((0, len(self.dims)))

    def encode_flat(self, flat: dict[str, Any]) -> np.ndarray:
        row = np.full(len(self.dims), np.nan)
        for key, value in flat.items():
            i = self.index[key]
            dim = self.dims[i]
            row[i] = float(value) if dim.is_choice else internal(dim, value)
        return row

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        """A flat assignment from a row (only the dims active under its choices are read)."""
        flat: dict[str, Any] = {}
        for i, dim in enumerate(self.dims):
            if not self.space.is_active(dim, flat):
                continue
            if dim.is_choice:
                flat[dim.key] = int(min(max(round(row[i]), 0), len(dim.choices) - 1))
            else:
                flat[dim.key] = dim.from_internal(float(row[i]))
        return flat

    def _entry(self, trial_id: str, params: dict[str, Any]) -> tuple[dict[str, Any], int, str]:
        hit = self._cache.get(trial_id)
        if hit is not None and (hit[0] is params or hit[0] == params):
            return hit
        number = -1
        try:
            row = self.encode_flat(self.space.to_flat(params))
            number = len(self._rows)
            self._rows.append(row)
        except (SearchSpaceError, KeyError, TypeError, ValueError):
            pass
        entry = (params, number, canonical(params))
        self._cache[trial_id] = entry
        return entry

    def observe(self, history: History) -> tuple[Observations, set[str]]:
        """The encoded trials, and the canonical forms of every trial's parameters (Tuner.seen)."""
        trials = history.trials
        entries = [self._entry(t.trial_id, t.parameters) for t in trials]
        if len(self._matrix) < len(self._rows):
            self._matrix = np.array(self._rows).reshape(len(self._rows), len(self.dims))
        seen = {e[2] for e in entries}
        number = np.array([e[1] for e in entries], dtype=int)
        kind = np.array([_CODE[t.status] for t in trials], dtype=int)
        loss = np.array([math.nan if t.value is None else t.value for t in trials], dtype=float)
        steps = np.array([len(t.intermediate) for t in trials], dtype=int)
        kind[(kind == COMPLETED) & np.isnan(loss)] = FAILED
        loss[kind == RUNNING] = math.nan
        for i in np.flatnonzero(kind == STOPPED):
            last = trials[i].last_value
            loss[i] = math.nan if last is None else last
            if last is None:
                kind[i] = FAILED
        keep = (number >= 0) & (kind >= 0)
        x = self._matrix[number[keep]] if keep.any() else np.empty((0, len(self.dims)))
        return Observations(x, loss[keep], kind[keep], steps[keep]), seen


def as_losses(obs: Observations, maximize: bool) -> Observations:
    """Turn values into losses (lower is better): stopped rows rank after every completed one
    (see the module's docstring), failed rows get the worst loss seen."""
    loss = -obs.loss if maximize else obs.loss.copy()
    stopped = (obs.kind == STOPPED) & np.isfinite(loss)
    if stopped.any():
        loss[stopped] = _after_completed(
            loss, (obs.kind == COMPLETED) & np.isfinite(loss), stopped, obs.steps
        )
    valued = obs.kind != RUNNING
    good = valued & np.isfinite(loss)
    worst = float(loss[good].max()) if good.any() else 0.0
    loss[valued & ~good] = worst
    return Observations(obs.x, loss, obs.kind, obs.steps)


#: stopped trials' losses fill a band above the worst completed one, this share of the completed
#: losses' range wide: TPE reads only their order; the regression models (GP, SMAC) see them as a
#: little worse than the worst completed trial, not as results of their own
STOPPED_BAND = 0.1


def _after_completed(
    loss: np.ndarray, completed: np.ndarray, stopped: np.ndarray, steps: np.ndarray | None
) -> np.ndarray:
    """Losses for the stopped rows, in the order (most steps first, then the lower last loss),
    all above every completed row's loss."""
    last = loss[stopped]
    reached = np.zeros(len(last)) if steps is None else steps[stopped]
    rank = np.empty(len(last))
    rank[np.lexsort((last, -reached))] = np.arange(1, len(last) + 1)
    if not completed.any():  # nothing to rank after: the order alone, as losses in (0, 1]
        return rank / len(last)
    top = float(loss[completed].max())
    span = top - float(loss[completed].min()) or abs(top) or 1.0
    return top + STOPPED_BAND * span * rank / len(last)


def best_and_newest(rows: np.ndarray, loss: np.ndarray, cap: int) -> np.ndarray:
    """At most `cap` of `rows` (row numbers in sequence order): the best half and the newest half
    (what the Gaussian-process models fit on when the history is long)."""
    if len(rows) <= cap:
        return rows
    best = rows[np.argsort(loss[rows], kind="stable")[: cap // 2]]
    return np.unique(np.concatenate([best, rows[-(cap // 2) :]]))


def redraw_one(
    row: np.ndarray, columns: np.ndarray, low: np.ndarray, high: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A copy of `row` with one of `columns` (picked uniformly) redrawn uniformly over its range
    (`low`, `high`: aligned with `columns`): a move along one coordinate, as SMAC's exchange
    interleaving and TPE's coordinate jumps make from the best trial."""
    j = int(rng.integers(len(columns)))
    out = row.copy()
    out[columns[j]] = low[j] + rng.random() * (high[j] - low[j])
    return out


def internal(dim: Dim, value: Any) -> float:
    """A value's sampling coordinate, kept inside the dim's bounds (normal types: mu +- 3 sigma)."""
    return min(max(dim.to_internal(float(value)), dim.low), dim.high)
