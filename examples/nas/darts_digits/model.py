"""A small DARTS cell space for 8x8 digits.

Each cell has 3 nodes; node j sums 2 (node 1: 1) of the earlier states (InputChoice), each
reached through one operation chosen per edge (LayerChoice). The InputChoice names its edges'
LayerChoices, so DARTS keeps the inputs whose strongest operation weighs most (the paper's rule).
The two cells share their decisions (the labels are the same), as DARTS's normal cells do. Built
inside `nas.fixed_arch(arch)`, a cell creates only the edges its nodes chose: the retrained model
carries no unused operation.
"""

from __future__ import annotations

import torch
from torch import nn

from autolab import nas

NODES = 3


def conv_bn(c: int, k: int, dilation: int = 1) -> nn.Module:
    return nn.Sequential(
        nn.ReLU(),
        nn.Conv2d(c, c, k, padding=dilation * (k // 2), dilation=dilation, bias=False),
        nn.BatchNorm2d(c),
    )


def sep_conv(c: int, k: int) -> nn.Module:
    return nn.Sequential(
        nn.ReLU(),
        nn.Conv2d(c, c, k, padding=k // 2, groups=c, bias=False),
        nn.Conv2d(c, c, 1, bias=False),
        nn.BatchNorm2d(c),
    )


def operations(c: int) -> dict[str, nn.Module]:
    return {
        "conv3x3": conv_bn(c, 3),
        "conv5x5": conv_bn(c, 5),
        "dil_conv3x3": conv_bn(c, 3, dilation=2),
        "sep_conv3x3": sep_conv(c, 3),
        "max_pool3x3": nn.MaxPool2d(3, 1, 1),
        "avg_pool3x3": nn.AvgPool2d(3, 1, 1, count_include_pad=False),
        "skip": nn.Identity(),
    }


class Node(nn.Module):
    def __init__(self, index: int, c: int) -> None:
        super().__init__()
        n_in = index  # the cell input and the earlier nodes
        self.inputs = nas.InputChoice(
            n_in,
            min(2, n_in),
            label=f"node{index}_inputs",
            edges=[f"node{index}_edge{i}" for i in range(n_in)],
        )
        chosen = self.inputs.chosen if isinstance(self.inputs, nas.ChosenInputs) else range(n_in)
        self.edges = nn.ModuleDict(
            {str(i): nas.LayerChoice(operations(c), label=f"node{index}_edge{i}") for i in chosen}
        )

    def forward(self, states: list[torch.Tensor]) -> torch.Tensor:
        outs = [self.edges[str(i)](s) if str(i) in self.edges else s for i, s in enumerate(states)]
        return self.inputs(outs)


class Cell(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.nodes = nn.ModuleList(Node(j, c) for j in range(1, NODES + 1))
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(NODES * c, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states = [x]
        for node in self.nodes:
            states.append(node(states))
        return self.out(torch.cat(states[1:], dim=1)) + x


class DigitsNet(nn.Module):
    def __init__(self, channels: int = 16, n_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        self.cell1 = Cell(channels)
        self.down = nn.AvgPool2d(2)
        self.cell2 = Cell(channels)
        self.head = nn.Linear(channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.cell2(self.down(self.cell1(self.stem(x))))
        return self.head(x.mean(dim=(2, 3)))
