"""Cost of a network: parameter count and FLOPs.

FLOPs are counted as multiply-adds for one forward pass, by forward hooks on the layers that do the
work (activations, additions and concatenations are not counted, as in fvcore and ptflops):
- convolutions (any dimension, groups and dilation): output elements x in_channels / groups x
  kernel elements; linear layers: output elements x in_features;
- norms (batch, instance, group, layer): one per input element, two with an affine transform;
- pooling: output elements x kernel elements (max and average); adaptive pooling: input elements.
The mutable layers count at the size they run at, so a supernet in single-path mode counts the
sampled path exactly; `arch_cost` counts a fixed architecture. A layer with an `active_flops(x,
output)` method counts itself (BigNAS's dynamic conv, at its active size).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from .fixed import apply_fixed_architecture
from .layers import MutableConv2d, MutableLinear

NORMS = (
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.GroupNorm,
    nn.LayerNorm,
)
POOLS = (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)
ADAPTIVE_POOLS = (nn.modules.pooling._AdaptiveMaxPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _kernel_elements(size: Any, dims: int) -> int:
    return math.prod(size) if isinstance(size, tuple) else int(size) ** dims


def layer_flops(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> int:
    """Multiply-adds of one call of a leaf layer (0 for layers that are not counted)."""
    x = inputs[0] if inputs else None
    if not isinstance(output, torch.Tensor) or not isinstance(x, torch.Tensor):
        return 0
    own = getattr(module, "active_flops", None)
    if own is not None:
        return int(own(x, output))
    if isinstance(module, nn.modules.conv._ConvNd):
        in_per_group = module.in_channels // module.groups
        return int(output.numel()) * in_per_group * _kernel_elements(module.kernel_size, x.dim() - 2)
    if isinstance(module, MutableConv2d):
        size = module.running_kernel_size()
        return int(output.numel()) * (x.shape[1] // module.running_groups(x.shape[1])) * size * size
    if isinstance(module, (nn.Linear, MutableLinear)):
        return int(output.numel()) * int(x.shape[-1])
    if isinstance(module, NORMS):
        affine = getattr(module, "affine", None)
        if affine is None:
            affine = getattr(module, "elementwise_affine", False)
        return int(x.numel()) * (2 if affine else 1)
    if isinstance(module, POOLS):
        return int(output.numel()) * _kernel_elements(module.kernel_size, x.dim() - 2)
    if isinstance(module, ADAPTIVE_POOLS):
        return int(x.numel())
    return 0


def count_flops(model: nn.Module, example_input: torch.Tensor) -> int:
    """Multiply-adds of one forward pass of example_input (see the module doc for what counts)."""
    total = 0

    def hook(module: nn.Module, inputs: Any, output: Any) -> None:
        nonlocal total
        total += layer_flops(module, inputs, output)

    counted = (
        nn.modules.conv._ConvNd,
        MutableConv2d,
        nn.Linear,
        MutableLinear,
        *NORMS,
        *POOLS,
        *ADAPTIVE_POOLS,
    )
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, counted)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(example_input)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return total


def arch_cost(
    model: nn.Module, arch: dict[str, Any], example_input: torch.Tensor | None = None
) -> dict[str, int]:
    """{"params": ..., "flops": ...} of the fixed architecture (flops only with an example input)."""
    fixed = apply_fixed_architecture(copy.deepcopy(model), arch)
    cost = {"params": count_params(fixed)}
    if example_input is not None:
        cost["flops"] = count_flops(fixed, example_input)
    return cost
