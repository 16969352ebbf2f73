"""Thirteenth-round parallel-TPE attempts (issue 24): levers for Rosenbrock-4 with 8 running.

Patched into autolab's TPE for bench/tuner_par100.py as `tpe-r13:NAME` (the shipped code is
untouched; the helper shipped dl3+n3, the lead did not adopt it: bench/README.md, thirteenth round). Every attempt acts only in the spaces the shipped coordinate jump leaves alone that are
all numeric (fewer than tpe.JUMP_MIN_DIMS parameters, no choice: Rosenbrock-4, Schwefel-4, Branin of
the table), and only while trials are running; elsewhere the shipped suggest runs unchanged (the
other ten functions of the table are the shipped code by construction).

    dlK   the believer's long-tail log (believer.compression, same tail condition) with the shift
          10^-K x (max - min) instead of median - min: a deeper log, so the valley's points are
          told apart (first round: always on, 1e-3 x range gave Rosenbrock-4 10.6 against 15.7 on
          seeds 0-9 and cost Hartmann-6, which this gate never touches)
    nN    (added after the selection guards, fitted to this table) only spaces of N or more dims:
          dl3+n3 leaves Branin (2 dims), where dl3 lost its guard, on the shipped code
    stK   the random start ends once max(K, n_startup_jobs - running) trials have finished
          (shipped: n_startup_jobs finished, so 8 running get n_startup_jobs + 7 random trials)
"""

# ruff: noqa  (a measuring script)
from __future__ import annotations

import numpy as np

import autolab.tuners.believer as believer
import autolab.tuners.tpe as tpe
from autolab.tuners.observations import RUNNING, as_losses

SHIPPED_SUGGEST = tpe.TpeTuner.suggest
SHIPPED_COMPRESSION = believer.compression
STATE: dict[str, object] = {"on": False, "dl": 0, "st": 0, "n": 0}


def _gate(self) -> bool:
    dims = self.space.dims
    n = int(STATE["n"])  # nN (added after the Branin guard): only spaces of N or more dims
    return n <= len(dims) < tpe.JUMP_MIN_DIMS and not any(d.is_choice for d in dims)


def _compression(loss):
    lo, shift = SHIPPED_COMPRESSION(loss)
    if STATE["on"] and STATE["dl"] and shift is not None:
        return lo, 10.0 ** -int(STATE["dl"]) * (float(loss.max()) - lo)
    return lo, shift


def _suggest(self, history):
    if not _gate(self):
        return SHIPPED_SUGGEST(self, history)
    raw, _ = self.encoder.observe(history)
    obs = as_losses(raw, self.optimize_mode == "maximize")
    n_running = int(np.count_nonzero(obs.kind == RUNNING))
    if not n_running:
        return SHIPPED_SUGGEST(self, history)
    keep = self.args["n_startup_jobs"]
    STATE["on"] = True
    try:
        if STATE["st"]:
            self.args["n_startup_jobs"] = min(keep, max(int(STATE["st"]), keep - n_running))
        return SHIPPED_SUGGEST(self, history)
    finally:
        self.args["n_startup_jobs"] = keep
        STATE["on"] = False


def _colville(x: np.ndarray) -> float:
    a, b, c, d = x
    return float(
        100 * (a * a - b) ** 2
        + (a - 1) ** 2
        + (c - 1) ** 2
        + 90 * (c * c - d) ** 2
        + 10.1 * ((b - 1) ** 2 + (d - 1) ** 2)
        + 19.8 * (b - 1) * (d - 1)
    )


def _register() -> None:
    """Out-of-table guards for the adopted deeper log (3-4 dims, all numeric, a long tail possible):
    rosenbrock3, levy4, griewank4 (on [-600, 600]) and colville4 join tuner_problems' functions."""
    import tuner_problems as tp
    import tuner_rugged as tr

    extra = {
        "rosenbrock3": (tr._on(tr.rosenbrock, 3), tr._box(3, -5, 10), 0.0, 0.0),
        "levy4": (tr._on(tr.levy, 4), tr._box(4, -10, 10), 0.0, 0.0),
        "griewank4": (tr._on(tr.griewank, 4), tr._box(4, -600, 600), 0.0, 0.0),
        "colville4": (tr._on(_colville, 4), tr._box(4, -10, 10), 0.0, 0.0),
    }
    for name, (f, space, minimum, sd) in extra.items():
        tr.RUGGED.setdefault(name, (f, space, minimum, sd))
        tp.FUNCS.setdefault(name, (f, minimum))
        tp.SPACES.setdefault(name, space)


_register()


def install(name: str) -> None:
    """`name`: "base" or "off" (the shipped code: the deeper log is not shipped) or parts joined by
    '+': dlK, stK, nN (dl3+n3 is the attempt the helper shipped and the lead reverted)."""
    tpe.TpeTuner.suggest = SHIPPED_SUGGEST
    believer.compression = SHIPPED_COMPRESSION
    STATE.update(on=False, dl=0, st=0, n=0)
    if name in ("base", "off"):
        return
    for part in name.split("+"):
        key, val = part[:2], part[2:]
        if key[:1] == "n" and part[1:].isdigit():
            key, val = "n", part[1:]
        elif key not in ("dl", "st") or not val.isdigit():
            raise SystemExit(f"unknown variant {name!r}")
        STATE[key] = int(val)
    tpe.TpeTuner.suggest = _suggest
    believer.compression = _compression
