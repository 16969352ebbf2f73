"""Trial side of an autolab experiment over architectures: score the tuner's architecture on a
trained supernet (weights shared, BatchNorm recalibrated) instead of training it.

    space = to_search_space(model)        # written once as search_space.json
    params = autolab.get_next_parameter() # a dict label -> choice, from Random / TPE / Evolution
    acc = evaluate_on_supernet(model, params, train_data, val_data)
    autolab.report_final_result(acc)
"""

from __future__ import annotations

import random
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from .space import choice_groups, flatten_parameters, random_arch, set_arch, validate_arch
from .spos import recalibrate_bn
from .training import Metric, accuracy, evaluate, forever, loader, resolve_device


def arch_from_parameters(model: nn.Module, params: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
    """The architecture in a trial's parameters (other keys are ignored; nested choices as
    `to_search_space` writes them are flattened). Run standalone, with no parameters at all, a
    random architecture."""
    groups = choice_groups(model)
    if not params:
        return random_arch(groups, random.Random(seed))
    return validate_arch(groups, flatten_parameters(groups, params), ignore_extra=True)


def evaluate_on_supernet(
    model: nn.Module,
    params: dict[str, Any],
    train_data: Dataset[Any],
    val_data: Dataset[Any],
    *,
    metric: Metric = accuracy,
    batch_size: int = 128,
    recalibrate_batches: int = 20,
    device: str | torch.device | None = None,
    amp: bool = True,
    seed: int = 0,
) -> float:
    """Set the supernet to the architecture in params, recalibrate BatchNorm, return the metric."""
    dev = resolve_device(device)
    model.to(dev)
    arch = arch_from_parameters(model, params, seed)
    set_arch(model, arch)
    recalibrate_bn(
        model, forever(loader(train_data, batch_size, shuffle=True, seed=seed)), recalibrate_batches, dev
    )
    return evaluate(model, loader(val_data, batch_size, shuffle=False), metric, dev, amp)
