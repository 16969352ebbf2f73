"""A tiny supernet with every kind of choice, shared by the NAS tests (import after importorskip)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import TensorDataset

from autolab import nas


class TinyNet(nn.Module):
    """Width and kernel (ValueChoice), an op (LayerChoice), a skip (InputChoice), 10 classes."""

    def __init__(self, n_classes: int = 3) -> None:
        super().__init__()
        width = nas.ValueChoice([4, 8], label="width")
        self.stem = nas.MutableConv2d(1, width, nas.ValueChoice([1, 3], label="kernel"))
        self.bn = nas.MutableBatchNorm2d(width)
        self.op = nas.LayerChoice(
            {
                "conv": nn.Sequential(nas.MutableConv2d(width, width, 3), nn.ReLU()),
                "pool": nn.AvgPool2d(3, 1, 1),
            },
            label="op",
        )
        self.skip = nas.InputChoice(2, 1, label="skip")
        self.head = nas.MutableLinear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn(self.stem(x)))
        y = self.skip([x, self.op(x)])
        return self.head(y.mean(dim=(2, 3)))


def make_data(n: int = 96, seed: int = 0, n_classes: int = 3) -> TensorDataset:
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, n_classes, (n,), generator=gen)
    x = torch.randn(n, 1, 6, 6, generator=gen) * 0.5 + y.view(-1, 1, 1, 1).float()
    return TensorDataset(x, y)
