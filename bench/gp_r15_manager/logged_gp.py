"""The shipped GP, logging per suggestion (one JSON line to LOG): trials running or waiting,
trials finished, and whether the fit used the noisy model (bench/gp_r15_declared.md, step 3)."""

from __future__ import annotations

import json
import os
from typing import Any

from autolab.statuses import TrialStatus
from autolab.tuners.gp import GPTuner

LOG = os.environ["GP_R15_LOG"]


class LoggedGP(GPTuner):
    def suggest(self, history: Any) -> dict[str, Any]:
        self._noise: bool | None = None
        params = super().suggest(history)
        statuses = [t.status for t in history.trials]
        running = sum(s in (TrialStatus.RUNNING, TrialStatus.WAITING) for s in statuses)
        row = {"n": len(statuses), "running": running, "done": len(statuses) - running, "noisy": self._noise}
        with open(LOG, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        return params

    def _fit(self, x: Any, y: Any, rng: Any, noise: bool = False) -> Any:
        self._noise = bool(noise)
        return super()._fit(x, y, rng, noise=noise)
