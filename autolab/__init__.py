"""autolab: AutoML experiments (hyper-parameter tuning, one-shot NAS) speaking NNI's formats.

The top level holds only the trial SDK, so that `import autolab` (or `import autolab as nni`) is
cheap in every trial: no numpy, no torch, no tornado here.
"""

import importlib

from . import utils
from .statuses import TrialStatus  # tell(state=TrialStatus.FAILED); an enum, standard library only
from .trial import (
    get_budget,
    get_current_parameter,
    get_experiment_id,
    get_next_parameter,
    get_next_parameters,
    get_sequence_id,
    get_trial_id,
    report_final_result,
    report_intermediate_result,
)
from .tuner import NoMoreTrialError
from .utils import ClassArgsValidator

__version__ = "0.1.0"

# the in-process study (autolab.create_study, autolab.optimize) loads its tuners on first use only,
# so that a trial's `import autolab` stays light
_LAZY = ("create_study", "load_study", "optimize", "TrialPruned", "StudyTrial")


def __getattr__(name: str) -> object:
    if name == "study" or name in _LAZY:
        study = importlib.import_module(".study", __name__)
        return study if name == "study" else getattr(study, name)
    raise AttributeError(f"module 'autolab' has no attribute {name!r}")


__all__ = [
    "ClassArgsValidator",
    "NoMoreTrialError",
    "TrialStatus",
    "get_budget",
    "get_current_parameter",
    "get_experiment_id",
    "get_next_parameter",
    "get_next_parameters",
    "get_sequence_id",
    "get_trial_id",
    "report_final_result",
    "report_intermediate_result",
    "utils",
    "__version__",
]
