"""Which tuner a config with `objectives` / `constraints` in its classArgs gets.

TPE becomes MOTPE, Evolution becomes NSGA-II and GP becomes MOGP (log-EHVI): the same names users
already write. Random, GridSearch and BatchTuner do not look at results, so they run as they are (the spec is still
checked); every other builtin optimises one number and refuses with a one-line error.
"""

from __future__ import annotations

from typing import Any

from ..objectives import ObjectiveError, Objectives
from .base import TunerError

#: a builtin's normalized name -> the multi-objective builtin that stands for it
MULTI_OBJECTIVE = {
    "tpe": "motpe",
    "evolution": "nsga2",
    "gp": "mogp",
    "gptuner": "mogp",
    "motpe": "motpe",
    "nsga2": "nsga2",
    "mogp": "mogp",
}
#: builtins that never read results: objectives change nothing for them
RESULT_BLIND = {"random", "gridsearch", "batchtuner", "batch"}


def route(name: str | None, class_args: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(builtin name, classArgs) to build; unchanged without objectives / constraints."""
    if name is None or ("objectives" not in class_args and "constraints" not in class_args):
        return name, class_args
    key = name.lower().replace("_", "")
    if key in MULTI_OBJECTIVE:
        return MULTI_OBJECTIVE[key], class_args
    if key in RESULT_BLIND:
        mode = class_args.get("optimize_mode", "maximize")
        parse_objectives(name, class_args.get("objectives"), class_args.get("constraints"), mode)
        return name, {k: v for k, v in class_args.items() if k not in ("objectives", "constraints")}
    raise TunerError(
        f"{name} optimises one objective and cannot take classArgs objectives/constraints "
        "(several objectives: TPE, Evolution (NSGA-II), GP, Random or GridSearch)"
    )


def parse_objectives(tuner: str, objectives: Any, constraints: Any, optimize_mode: str) -> Objectives:
    """The tuner's Objectives; a bad spec is a TunerError naming the tuner and the key."""
    if optimize_mode not in ("maximize", "minimize"):
        raise TunerError(f"optimize_mode must be 'maximize' or 'minimize', got {optimize_mode!r}")
    try:
        return Objectives.parse(objectives, constraints, optimize_mode)
    except ObjectiveError as exc:
        raise TunerError(f"{tuner} classArgs: {exc}") from None
