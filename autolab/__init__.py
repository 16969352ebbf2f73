"""autolab: AutoML experiments (hyper-parameter tuning, one-shot NAS) speaking NNI's formats.

The top level holds only the trial SDK, so that `import autolab` (or `import autolab as nni`) is
cheap in every trial: no numpy, no torch, no tornado here.
"""

from . import utils
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

__all__ = [
    "ClassArgsValidator",
    "NoMoreTrialError",
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
