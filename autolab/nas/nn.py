"""NNI's import path for model spaces: move NNI code by changing one import.

    import nni.retiarii.nn.pytorch as nn      # NNI 2
    import nni.nas.nn.pytorch as nn           # NNI 3
    import autolab.nas.nn as nn               # autolab

Every torch.nn name is here; Conv2d, Linear, BatchNorm2d and LayerNorm accept ValueChoices (they
are the mutable layers, and plain torch layers when no argument is a choice; Conv2d keeps torch's
padding default of 0); LayerChoice,
InputChoice, ValueChoice and Repeat are autolab's. Conv1d, Conv3d and BatchNorm1d are torch's, and
refuse a ValueChoice in one line. examples/nas/README.md lists what maps.
"""

from __future__ import annotations

from typing import Any, TypeVar

from torch import nn as _nn
from torch.nn import *  # noqa: F403  (every torch layer, as NNI's module re-exports them)
from torch.nn import Conv2d as _TorchConv2d
from torch.nn import Module

from .layers import MutableBatchNorm2d, MutableConv2d, MutableLayerNorm, MutableLinear, any_choice
from .mutables import InputChoice as InputChoice
from .mutables import LayerChoice as LayerChoice
from .mutables import NasError
from .repeat import Repeat as Repeat
from .values import ValueChoice


class Conv2d(MutableConv2d):  # type: ignore[no-redef]
    """torch's Conv2d signature and defaults (padding 0, unlike MutableConv2d's "same"); a
    MutableConv2d when an argument is a ValueChoice, else the plain torch layer."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if not (args or kwargs) or any_choice(*args, *kwargs.values()):
            return object.__new__(cls)
        return _TorchConv2d(*args, **kwargs)

    def __init__(
        self,
        in_channels: Any,
        out_channels: Any,
        kernel_size: Any,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        groups: Any = 1,
        bias: bool = True,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)


def _no_choices(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if any_choice(*args, *kwargs.values()):
        raise NasError(
            f"autolab.nas.nn.{name} takes no ValueChoice (Conv2d, Linear, BatchNorm2d and LayerNorm do): "
            "give it fixed sizes, or put whole layers in a LayerChoice"
        )


class Conv1d(_nn.Conv1d):  # type: ignore[no-redef]
    """torch's Conv1d; a ValueChoice argument is refused in one line (it has no mutable form)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        _no_choices("Conv1d", args, kwargs)
        return super().__new__(cls)


class Conv3d(_nn.Conv3d):  # type: ignore[no-redef]
    """torch's Conv3d; a ValueChoice argument is refused in one line (it has no mutable form)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        _no_choices("Conv3d", args, kwargs)
        return super().__new__(cls)


class BatchNorm1d(_nn.BatchNorm1d):  # type: ignore[no-redef]
    """torch's BatchNorm1d; a ValueChoice argument is refused in one line (it has no mutable form)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        _no_choices("BatchNorm1d", args, kwargs)
        return super().__new__(cls)


Linear = MutableLinear  # type: ignore[misc,assignment]
BatchNorm2d = MutableBatchNorm2d  # type: ignore[misc,assignment]
LayerNorm = MutableLayerNorm  # type: ignore[misc,assignment]

T = TypeVar("T")


class ModelSpace(Module):
    """NNI 3's base class of a model space; here a plain nn.Module (labels are numbered per model
    without it)."""


def model_wrapper(cls: T) -> T:
    """NNI 2's class decorator for the top-level model; nothing to do here."""
    return cls


def choice(label: str, values: list[Any]) -> ValueChoice:
    """NNI 3's `nni.choice(label, values)` (label first): a ValueChoice."""
    return ValueChoice(values, label=label)
