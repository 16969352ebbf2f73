"""Tuner registry: NNI's builtin names -> classes (imported lazily: numpy is not free)."""

from __future__ import annotations

import inspect
import logging
from typing import Any

from ..registry import Registry
from ..searchspace import SearchSpace
from .base import NoMoreTrials, Tuner, TunerError, checkpoint_directory
from .multi import route
from .nni_adapter import NniTunerAdapter, is_nni_style

CHECKPOINTS = "all_checkpoint_dir"  # PBT's and ASHA's classArg (NNI's name)
# lower-case name -> "module:Class" (relative to autolab.tuners)
BUILTIN: dict[str, str] = {
    "random": "random_tuner:RandomTuner",
    "gridsearch": "grid:GridSearchTuner",
    "batchtuner": "batch:BatchTuner",
    "tpe": "tpe:TpeTuner",
    "evolution": "evolution:EvolutionTuner",
    "gp": "gp:GPTuner",
    "anneal": "anneal:AnnealTuner",
    "hyperband": "hyperband:HyperbandTuner",
    "bohb": "bohb:BohbTuner",
    "pbttuner": "pbt:PbtTuner",
    "asha": "asha:AshaTuner",
    "motpe": "motpe:MotpeTuner",
    "nsga2": "nsga2:Nsga2Tuner",
    "mogp": "mogp:MoGpTuner",
    "smac": "smac:SmacTuner",
    "cmaes": "cma:CmaEsTuner",
    "metistuner": "stand_in:MetisTuner",
    "dngotuner": "stand_in:DNGOTuner",
}
# NNI's other names for builtins (normalized): GPTuner is NNI's name for GP, Batch its current one
# for BatchTuner
ALIASES: dict[str, str] = {"gptuner": "gp", "batch": "batchtuner", "pbt": "pbttuner", "cma-es": "cmaes"}
# NNI builtins autolab does not have -> the builtin closest in purpose ("" where none is)
NAS = "autolab.nas (one-shot NAS on PyTorch: DARTS, SPOS; NNI 1.x's NAS tuners are not run as HPO tuners)"
INSTEAD: dict[str, str] = {
    "regularizedevolutiontuner": "Evolution",
    "ppotuner": NAS,
    "networkmorphism": NAS,
}
# NNI builtins run by the closest autolab tuner: the warning a config naming one gets (stand_in.py)
STAND_INS: dict[str, str] = {
    "metistuner": "MetisTuner runs as autolab's GP tuner (Metis is also Gaussian-process Bayesian "
    "optimisation; its re-sampling of outliers is not done); classArgs no_resampling, no_candidates, "
    "selection_num_starting_points and exploration_probability are ignored",
    "dngotuner": "DNGOTuner runs as autolab's GP tuner (DNGO is Bayesian optimisation with a neural "
    "network in place of the Gaussian process); classArgs sample_size sets GP's random candidates, "
    "trials_per_update and num_epochs_per_training are ignored",
}
REGISTRY = Registry("tuner", __name__, BUILTIN, TunerError, ALIASES)
log = logging.getLogger("autolab.manager")  # the manager builds it: a line of manager.log

__all__ = [
    "ALIASES",
    "BUILTIN",
    "INSTEAD",
    "STAND_INS",
    "NoMoreTrials",
    "Tuner",
    "TunerError",
    "create_tuner",
    "tuner_class",
]


def tuner_class(name: str | None, class_name: str | None = None, code_directory: str | None = None) -> type:
    """The class for a builtin name, or a user's `module.Class` found in code_directory."""
    return REGISTRY.find(name, class_name, code_directory)


def create_tuner(
    space: SearchSpace,
    name: str | None,
    class_args: dict[str, Any] | None = None,
    class_name: str | None = None,
    code_directory: str | None = None,
    experiment_directory: str | None = None,
) -> Tuner:
    """Build a tuner from NNI's config keys; bad classArgs raise TunerError naming the key.

    With experiment_directory, a checkpointing tuner's (PBT, ASHA) all_checkpoint_dir defaults to
    `<experiment_directory>/checkpoint` (after NNI_CHECKPOINT_DIRECTORY), and a relative one is taken
    from there: the same wherever the manager runs (a detached one runs in that directory; one in
    the foreground or under the Python API runs in the user's)."""
    args = dict(class_args or {})
    if not class_name:  # several objectives: TPE -> MOTPE, Evolution -> NSGA-II (tuners/multi.py)
        name, args = route(name, args)
    cls = tuner_class(name, class_name, code_directory)
    if experiment_directory is not None and _takes_checkpoints(cls):
        given = args.get(CHECKPOINTS)
        if given is None or isinstance(given, str):  # anything else: the tuner names the bad value
            args[CHECKPOINTS] = checkpoint_directory(name or str(class_name), given, experiment_directory)
    if class_name and not (isinstance(cls, type) and issubclass(cls, Tuner)):
        if not is_nni_style(cls):
            raise TunerError(
                f"tuner className {class_name!r} is neither an autolab Tuner nor an NNI-style tuner "
                "(generate_parameters, receive_trial_result, update_search_space)"
            )
        adapter = NniTunerAdapter(space, cls, args)
        log.info("tuner: %s (an NNI-style class) with classArgs %s", class_name, args)
        return adapter
    tuner: Tuner = REGISTRY.build(cls, name or class_name, args, space)
    log.info("tuner: %s (%s.%s) with classArgs %s", name or class_name, cls.__module__, cls.__name__, args)
    return tuner


def _takes_checkpoints(cls: Any) -> bool:
    try:
        return CHECKPOINTS in inspect.signature(cls).parameters
    except (TypeError, ValueError):  # a class without an inspectable signature takes nothing of ours
        return False
