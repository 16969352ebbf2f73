"""The trial SDK: what a trial script calls. Standard library only: every trial pays its import.

Inside an experiment the manager sets AUTOLAB_TRIAL_DIR; parameters come from parameter.json there
and each report appends one line to metrics.jsonl. Outside an experiment (standalone) the
parameters are {} and reports are printed, as NNI does.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from . import protocol
from .fidelity import BUDGET_KEY

__all__ = [
    "get_budget",
    "get_current_parameter",
    "get_experiment_id",
    "get_next_parameter",
    "get_next_parameters",
    "get_sequence_id",
    "get_trial_id",
    "report_final_result",
    "report_intermediate_result",
]

_params: dict[str, Any] | None = None
# NNI numbers intermediate results with it; autolab's store numbers them in the order they arrive,
# so here it numbers the standalone printout only (overwrite_intermediate_seq sets it, as NNI's)
_intermediate_seq = 0


def _trial_dir() -> str | None:
    return os.environ.get(protocol.ENV_TRIAL_DIR) or None


def get_next_parameter() -> dict[str, Any]:
    """The hyper-parameters chosen for this trial ({} when run standalone)."""
    global _params
    if _params is None:
        directory = _trial_dir()
        if directory is None:
            _params = {}
        else:
            _params = protocol.read_parameters(directory)
    return _params


def get_next_parameters() -> dict[str, Any]:
    """NNI 2.x/3.x's name for get_next_parameter."""
    return get_next_parameter()


def get_current_parameter(tag: str | None = None) -> Any:
    """The parameters already fetched (or one of them by name), as NNI's function of that name."""
    params = get_next_parameter()
    return params if tag is None else params[tag]


def get_budget() -> float | None:
    """The budget a multi-fidelity tuner (Hyperband, BOHB) gave this trial: NNI's `TRIAL_BUDGET`
    parameter (epochs, batches, seconds: what the trial makes of it); None when it has none."""
    budget = get_next_parameter().get(BUDGET_KEY)
    return budget if isinstance(budget, (int, float)) and not isinstance(budget, bool) else None


def _append(kind: str, metric: Any, label: str) -> None:
    try:
        line = protocol.metric_line(kind, metric)
    except protocol.NonFiniteMetric as exc:
        # a diverged run (NaN loss) is not the script's bug: as in NNI the script goes on; the result
        # is not recorded (a trial whose final result is NaN ends without one: NO_RESULT)
        print(f"autolab: {label.lower()} not recorded: {exc}", file=sys.stderr, flush=True)
        return
    directory = _trial_dir()
    if directory is None:
        print(f"[autolab standalone] {label}: {protocol.plain_json(metric)}", file=sys.stdout, flush=True)
        return
    with open(os.path.join(directory, protocol.METRICS_FILE), "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()


def report_intermediate_result(metric: Any) -> None:
    """Report a result during training: a number, or a dict whose 'default' key is the number."""
    global _intermediate_seq
    _append(protocol.PERIODICAL, metric, f"Intermediate result (index {_intermediate_seq})")
    _intermediate_seq += 1


def overwrite_intermediate_seq(value: int) -> None:
    """Set the number of the next intermediate result, as NNI's function of that name."""
    global _intermediate_seq
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"overwrite_intermediate_seq: {value!r} is not an int")
    _intermediate_seq = value


def report_final_result(metric: Any) -> None:
    """Report the trial's result: a number, or a dict whose 'default' key is the number. As in NNI a
    trial may report it again (after a better checkpoint, say): the last one is the trial's result."""
    _append(protocol.FINAL, metric, "Final result")


def get_experiment_id() -> str:
    return os.environ.get(protocol.ENV_EXPERIMENT_ID, "STANDALONE")


def get_trial_id() -> str:
    return os.environ.get(protocol.ENV_TRIAL_ID, "STANDALONE")


def get_sequence_id() -> int:
    return int(os.environ.get(protocol.ENV_SEQUENCE_ID, "0"))
