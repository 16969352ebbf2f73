"""Multiply-adds of a model's convs and linears for one forward pass: the FLOPs that pruning plans
target and `Plan.flops()` predicts. Norms and pooling are left out: their cost follows the channels
the convs keep, and Torch-Pruning's and the papers' FLOPs targets count the weighted layers.
(`autolab.nas.cost.count_flops` counts norms and pooling too, for NAS budgets.)"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn


def count_macs(model: nn.Module, example_input: torch.Tensor) -> int:
    """Multiply-adds of the Conv*d and Linear layers (grouped convs per group) for example_input.
    The model runs in eval mode without gradients (norm statistics untouched, a batch of one works)
    and is left in the mode it was in."""
    total = 0

    def hook(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        nonlocal total
        if not isinstance(output, torch.Tensor):
            return
        if isinstance(module, nn.modules.conv._ConvNd):
            total += output.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
        else:
            total += output.numel() * int(inputs[0].shape[-1])

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear))
    ]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(example_input)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return int(total)
