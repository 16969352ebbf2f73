"""NNI's `nni.experiment` (Experiment, ExperimentConfig and their parts), served by autolab.experiment:
the experiment runs under autolab's manager, its trials with this `nni` module."""

from autolab.experiment import (
    AlgorithmConfig,
    CustomAlgorithmConfig,
    Experiment,
    ExperimentConfig,
    LocalConfig,
    SlurmConfig,
    TrainingServiceConfig,
    TrialHyperParameters,
    TrialJob,
    TrialMetricData,
    TrialResult,
)

__all__ = [
    "AlgorithmConfig",
    "CustomAlgorithmConfig",
    "Experiment",
    "ExperimentConfig",
    "LocalConfig",
    "SlurmConfig",
    "TrainingServiceConfig",
    "TrialHyperParameters",
    "TrialJob",
    "TrialMetricData",
    "TrialResult",
]
