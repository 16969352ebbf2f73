"""NNI's `nni.experiment` (Experiment, ExperimentConfig and their parts), served by autolab.experiment:
the experiment runs under autolab's manager, its trials with this `nni` module."""

from autolab.experiment import *  # noqa: F403  (the same names as autolab.experiment, kept in one list)
from autolab.experiment import __all__ as __all__
