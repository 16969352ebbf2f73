"""NNI's `nni.experiment.config` (`from nni.experiment.config import AlgorithmConfig, LocalConfig`):
the experiment config objects, served by autolab.experiment."""

from autolab.experiment.config import *  # noqa: F403  (the names of autolab.experiment.config's list)
from autolab.experiment.config import __all__ as __all__
