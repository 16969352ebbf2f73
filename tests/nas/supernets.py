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


class SplitNet(nn.Module):
    """For few-shot splits: `b` (2 options) before `a` (3 options), every option with its own
    weights, no BatchNorm."""

    def __init__(self) -> None:
        super().__init__()
        self.b = nas.LayerChoice({f"b{i}": nn.Linear(4, 4) for i in range(2)}, label="b")
        self.a = nas.LayerChoice({f"a{i}": nn.Linear(4, 3) for i in range(3)}, label="a")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a(torch.relu(self.b(x)))


def split_data(seed: int = 0) -> TensorDataset:
    """48 rows of 4 features for SplitNet, 3 classes apart by their mean."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (48,), generator=gen)
    return TensorDataset(torch.randn(48, 4, generator=gen) + y.view(-1, 1).float(), y)


def param_copies(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def same_tensors(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
