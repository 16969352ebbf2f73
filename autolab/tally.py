"""Which trials count toward maxTrialNumber: the tuner's own (and a study's enqueued ones).
Imported trials and re-runs (a lost trial's re-run, a user's rerun or retry) do not
(trials.Trials.counted). The CLI, the live progress line and the web UI show the count against the
limit and say how many others there are beside it, so an experiment with 2 imported trials reads
"12/12 done, +2 imported or re-run", not "14/12 done". Standard library only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .statuses import ACTIVE

COUNTED = ("tuner", "enqueued")  # the sources whose trials count (a study's enqueued trials, as Optuna's)
_ACTIVE = {s.value for s in ACTIVE}


@dataclass(frozen=True)
class Tally:
    done: int  # the tuner's trials that have ended
    running: int  # every active trial, whatever its source
    other: int  # ended trials that do not count: imported, re-runs


def tally(rows: Iterable[tuple[str, str, int]]) -> Tally:
    """From (status, source, number of trials) rows."""
    done = running = other = 0
    for status, source, n in rows:
        if status in _ACTIVE:
            running += n
        elif source in COUNTED:
            done += n
        else:
            other += n
    return Tally(done, running, other)


def done_text(t: Tally, limit: int | None) -> str:
    """`12/12 done, 0 running` (+ `, +2 imported or re-run` when there are others)."""
    text = f"{t.done}/{limit if limit is not None else '-'} done, {t.running} running"
    return text + (f", +{t.other} imported or re-run" if t.other else "")
