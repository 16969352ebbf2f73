"""Cost of an architecture: parameter count and FLOPs (multiply-adds of convolutions and linears)."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from .fixed import apply_fixed_architecture


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_flops(model: nn.Module, example_input: torch.Tensor) -> int:
    """Multiply-adds of the Conv2d and Linear layers for one forward pass of example_input."""
    total = 0

    def conv_hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal total
        assert isinstance(module, nn.Conv2d)
        kh, kw = module.kernel_size
        per_out = (module.in_channels // module.groups) * kh * kw
        total += int(output.numel()) * per_out

    def linear_hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal total
        assert isinstance(module, nn.Linear)
        total += int(output.numel()) * module.in_features

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
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
