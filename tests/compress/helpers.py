"""Shared test helpers: BN statistics made non-trivial, so a wrongly kept channel shows."""

from __future__ import annotations

import torch
from torch import nn


def randomize_norms(model: nn.Module, seed: int = 0) -> nn.Module:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.rand(n, generator=gen) * 2 - 1)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.2)
                m.bias.copy_(torch.rand(n, generator=gen) - 0.5)
    return model.eval()
