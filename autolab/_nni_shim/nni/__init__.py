"""autolab's stand-in for NNI's `nni` package: NNI's trial API, served by autolab's SDK.

On a trial's PYTHONPATH unless the config says `nniModule: false`; in a Python environment after
`autolab nni install`. `nni.trial`, `nni.utils`, `nni.tuner`, `nni.assessor` and `nni.experiment`
(NNI's Python experiment API, from autolab.experiment) are here; any other part of NNI (nni.nas,
nni.compression, ...) raises an ImportError that names it.
"""

import os
import sys

try:
    from autolab import __version__ as _autolab_version
    from autolab._nni_shim import find_real_nni
    from autolab.trial import (
        get_current_parameter,
        get_experiment_id,
        get_next_parameter,
        get_next_parameters,
        get_sequence_id,
        get_trial_id,
        report_final_result,
        report_intermediate_result,
    )
    from autolab.tuner import NoMoreTrialError
    from autolab.utils import ClassArgsValidator
except ModuleNotFoundError as exc:
    if exc.name != "autolab":
        raise
    raise ModuleNotFoundError(
        f"this `nni` is autolab's NNI module ({os.path.dirname(os.path.abspath(__file__))}); it needs "
        f"autolab importable by this Python ({sys.executable}): install autolab there, or set "
        "nniModule: false in the experiment's config"
    ) from None

from . import trial, utils

# NNI's API level it follows, marked as autolab's (PEP 440 local version)
__version__ = f"3.0+autolab.{_autolab_version}"

__all__ = [
    "ClassArgsValidator",
    "NoMoreTrialError",
    "get_current_parameter",
    "get_experiment_id",
    "get_next_parameter",
    "get_next_parameters",
    "get_sequence_id",
    "get_trial_id",
    "report_final_result",
    "report_intermediate_result",
    "trial",
    "utils",
]

PROVIDED = (
    "the trial API (nni.get_next_parameter, nni.report_*_result, nni.trial, nni.utils, nni.tuner, "
    "nni.assessor) and nni.experiment"
)
# NNI's parts autolab has no counterpart of, with what to use instead
MISSING = {
    "nas": "NNI's neural architecture search: autolab's one-shot NAS is autolab.nas",
    "retiarii": "NNI's Retiarii NAS: autolab's one-shot NAS is autolab.nas",
    "compression": "NNI's model compression (pruning, quantization, distillation)",
    "algorithms": "NNI's algorithm implementations: name a builtin tuner or assessor in the config",
    "mutable": "NNI 3's mutable search spaces: give the search space in the config",
    "feature_engineering": "NNI's feature engineering",
    "tools": "NNI's command-line tools: use the `autolab` command",
}


def _missing(what: str) -> str:
    feature = what.split(".")[1] if what.count(".") else what
    hint = MISSING.get(feature, "a part of NNI")
    message = f"{what} is {hint}; autolab's nni module has {PROVIDED} only"
    real = find_real_nni(sys.path)
    if real is not None:
        message += (
            f". A real NNI is installed at {real}: to use it in trials set nniModule: false in the config"
        )
    return message


class _MissingPartFinder:
    """Last on sys.meta_path: a `nni.<part>` that nothing found is a part of NNI autolab does not
    have, and the error says so (instead of a bare "No module named")."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> None:
        if fullname.startswith(__name__ + "."):
            # no name= on purpose: `from nni import nas` would swallow an error named "nni.nas"
            raise ModuleNotFoundError(_missing("nni" + fullname[len(__name__) :]))


if not any(type(f).__name__ == "_MissingPartFinder" for f in sys.meta_path):
    sys.meta_path.append(_MissingPartFinder())


def __getattr__(name: str) -> object:
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"module 'nni' has no attribute {name!r}: {_missing('nni.' + name)}")
