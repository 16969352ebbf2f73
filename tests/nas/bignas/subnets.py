"""A small BigNAS supernet and data for the search-side tests (evaluate, sampling, search, commands)."""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from autolab.nas.bignas.space import BigNASSpace
from autolab.nas.bignas.supernet import build_supernet
from autolab.nas.training import forever

# stage 0 is the stem; 8x8 inputs, strides 1, 1, 2
SPACE = {
    "out_channel": {"space": {"min": [8, 8, 8], "max": [8, 16, 24], "stride": 8}},
    "kernel_size": {"space": {"min": 3, "max": [3, 5, 3], "stride": 2}, "sample_strategy": "block_wise"},
    "depth": {"space": {"min": [1, 1, 1], "max": [1, 2, 2], "stride": 1}},
    "expand_ratio": {"space": {"min": [1, 2, 2], "max": [1, 4, 4], "stride": 2}},
}


def small_supernet(seed: int = 0) -> Any:
    torch.manual_seed(seed)
    return build_supernet(BigNASSpace.from_dict(SPACE), num_classes=3, in_channels=1, strides=[1, 1, 2])


def make_data(n: int = 96, seed: int = 0) -> TensorDataset:
    """Three classes told apart by where a bright square sits in a 1x8x8 image."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=gen)
    x = 0.3 * torch.randn(n, 1, 8, 8, generator=gen)
    for i, label in enumerate(y.tolist()):
        x[i, 0, 2 * label : 2 * label + 3, 2:5] += 2.0
    return TensorDataset(x, y)


def loaders(n: int = 96) -> tuple[DataLoader[Any], DataLoader[Any]]:
    return DataLoader(make_data(n, 0), batch_size=16, shuffle=True), DataLoader(
        make_data(48, 1), batch_size=16
    )


def train_briefly(supernet: Any, data: DataLoader[Any], steps: int = 15) -> None:
    """A few SGD steps on the max and min subnets, so scores differ from chance (no sandwich
    trainer needed here)."""
    opt = torch.optim.SGD(supernet.parameters(), lr=0.1, momentum=0.9)
    space = supernet.space
    for x, y in itertools.islice(forever(data), steps):
        supernet.train()
        opt.zero_grad()
        for settings in (space.max(), space.min()):
            supernet.set_active(settings)
            torch.nn.functional.cross_entropy(supernet(x), y).backward()
        opt.step()
