"""NNI's `nni.experiment.config` (`from nni.experiment.config import AlgorithmConfig, LocalConfig`):
the experiment config objects, served by autolab.experiment."""

from autolab.experiment.config import (
    AlgorithmConfig,
    CustomAlgorithmConfig,
    ExperimentConfig,
    LocalConfig,
    RemoteConfig,
    RemoteMachineConfig,
    SlurmConfig,
    TrainingServiceConfig,
)

__all__ = [
    "AlgorithmConfig",
    "CustomAlgorithmConfig",
    "ExperimentConfig",
    "LocalConfig",
    "RemoteConfig",
    "RemoteMachineConfig",
    "SlurmConfig",
    "TrainingServiceConfig",
]
