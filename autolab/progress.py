"""The live progress line of a --foreground run: trials done / max, best so far (several objectives:
the Pareto front's size), elapsed; the web UI's address once it serves; why an experiment ended
before maxTrialNumber."""

from __future__ import annotations

import time
from typing import IO, TYPE_CHECKING, Any

from .fronts import best_or_front
from .objectives import Objectives, from_config
from .statuses import COMPLETED
from .tally import done_text, tally
from .timefmt import format_duration

if TYPE_CHECKING:
    from .history import Trial
    from .manager import Manager


class Progress:
    def __init__(self, out: IO[str], interval: float = 0.5) -> None:
        self.out = out
        self.tty = out.isatty()
        self.interval = interval
        self.last = 0.0
        self.last_text = ""
        self.url_shown = False
        self.objectives: Objectives | None = None
        self.ranked: tuple[int, str] = (-1, "-")  # (finished trials, their best or front), kept

    def __call__(self, manager: Manager) -> None:
        if not self.url_shown:  # the first turn comes once the web UI serves
            url = manager.store.get_meta("url")
            if url:
                self.out.write(f"Web UI: {url}\n")
                self.out.flush()
            self.url_shown = True
            self.objectives = from_config(manager.store.get_meta("config"))
        now = time.time()
        if now - self.last < self.interval and not manager.finished:
            return
        self.last = now
        counts = tally((t.status.value, t.source, 1) for t in manager.history.trials)
        limit = manager.config.max_trial_number
        text = f"trials {done_text(counts, limit)} | {self._ranked(manager)}"
        if manager.notes:  # the service's: a remote machine unreachable, set aside...
            text += " | " + "; ".join(manager.notes)
        key = text
        text += f" | {format_duration(manager.elapsed())}"
        if manager.config.max_experiment_duration:
            text += f" / {format_duration(manager.config.max_experiment_duration)}"
        # a terminal shows the clock ticking; a log gets a line only when something changed
        if (text if self.tty else key) == self.last_text:
            return
        self.last_text = text if self.tty else key
        if self.tty:
            self.out.write("\r" + text.ljust(78))
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def _ranked(self, manager: Manager) -> str:
        """ "best 0.93", or with several objectives "front 4 of 20" (a `default` value ranks nothing
        there; constraints: only feasible trials count). Worked out again only when a trial ended."""
        trials = manager.history.trials
        finished = sum(1 for t in trials if t.status in COMPLETED)
        if finished == self.ranked[0]:
            return self.ranked[1]
        if self.objectives is None:
            maximize = getattr(manager.tuner, "optimize_mode", "maximize") == "maximize"
            best = best_value(trials, maximize)
            text = f"best {best:.6g}" if best is not None else "best -"
        else:
            one, front = best_or_front(self.objectives, manager.history)
            if front is not None:
                text = f"front {front['size']} of {front['scored']}"
            else:
                text = (
                    f"best {one['value']:.6g}" if one and isinstance(one["value"], float | int) else "best -"
                )
        self.ranked = (finished, text)
        return text

    def close(self) -> None:
        if self.tty and self.last_text:
            self.out.write("\n")
            self.out.flush()


def front_text(front: dict[str, Any]) -> str:
    """views.profile()'s front (several objectives) in one line."""
    infeasible = f", {front['infeasible']} infeasible" if front["infeasible"] else ""
    if not front["size"]:
        return f"no feasible trial yet ({front['scored']} with every objective{infeasible})"
    more = ", ..." if front["size"] > len(front["trials"]) else ""
    return (
        f"{front['size']} trial(s) ({', '.join(front['trials'])}{more}) of {front['scored']} with every "
        f"objective{infeasible}; autolab top lists them"
    )


def ran_out(info: dict[str, Any]) -> str:
    """The line saying the tuner ran out of points, from views.profile()'s noMoreTrials."""
    tally = info["trialTally"]
    limit = info.get("maxTrialNumber")
    of = f" of maxTrialNumber {limit}" if limit is not None else ""
    of += f", +{tally['other']} imported or re-run" if tally["other"] else ""
    # not "NNI would repeat": only its builtin tuners do, a custom one may end the same way
    return f"Ended early: the tuner ran out of points after {tally['done']} trial(s){of} ({info['noMoreTrials']})"


def best_value(trials: list[Trial], maximize: bool) -> float | None:
    """The best result as the "Best:" line and the web UI rank them: among multi-fidelity trials only
    those at the largest budget a completed trial ran with (Store.best_trial)."""
    done = [t for t in trials if t.value is not None and t.status in COMPLETED]
    budgets = [b for t in done if (b := (t.fidelity or {}).get("budget")) is not None]
    top = max(budgets, default=None)
    values = [
        t.value for t in done if t.value is not None and (t.fidelity or {}).get("budget") in (None, top)
    ]
    return (max(values) if maximize else min(values)) if values else None
