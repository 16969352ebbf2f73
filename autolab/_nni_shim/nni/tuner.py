"""NNI's `nni.tuner`, served by autolab.tuner."""

from autolab.tuner import NoMoreTrialError, Tuner

__all__ = ["NoMoreTrialError", "Tuner"]
