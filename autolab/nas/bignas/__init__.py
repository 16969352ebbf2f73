"""BigNAS (Yu et al., 2020): one weight-sharing supernet whose subnets need no retraining.

`space.py` reads the search space in the users' terms and draws settings; `ops.py` and `blocks.py`
are the dynamic layers and blocks; `supernet.py` builds, slices, extracts, saves and loads the
supernet; `train.py` trains it with the sandwich rule and in-place distillation and calibrates BN.
"""

from .blocks import DynamicConvBN, DynamicStage, hidden_channels
from .ops import DynamicBatchNorm2d, DynamicConv2d, DynamicLinear
from .space import BigNASError, BigNASSpace, Settings
from .supernet import BigNASSupernet, Net, build_subnet, build_supernet, load_supernet, save_supernet
from .train import SandwichTrainer, calibrate_bn, soft_cross_entropy

__all__ = [
    "BigNASError",
    "BigNASSpace",
    "BigNASSupernet",
    "DynamicBatchNorm2d",
    "DynamicConv2d",
    "DynamicConvBN",
    "DynamicLinear",
    "DynamicStage",
    "Net",
    "SandwichTrainer",
    "Settings",
    "build_subnet",
    "build_supernet",
    "calibrate_bn",
    "hidden_channels",
    "load_supernet",
    "save_supernet",
    "soft_cross_entropy",
]
