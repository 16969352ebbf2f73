"""The DARTS CIFAR-10 search network: 8 cells (reduction cells at 1/3 and 2/3), 16 initial
channels, 4 nodes a cell, 8 operations an edge; all normal cells share one set of decisions and
all reduction cells another (labels `normal_*` / `reduce_*`). Each node's InputChoice names the
LayerChoice on each of its edges, so DARTS uses the paper's rule: during search a node sums all its
edges; export keeps the 2 edges whose strongest operation other than "none" weighs most (search.py
excludes "none"), each with that operation. In `nas.fixed_arch(arch)` each node builds only its 2
chosen edges.
"""

from __future__ import annotations

import torch
from torch import nn

from autolab import nas

NODES = 4
OPS = [
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]


class Zero(nn.Module):
    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride] * 0.0


class FactorizedReduce(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.conv2 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv1(x), self.conv2(x[:, :, 1:, 1:])], dim=1))


def relu_conv_bn(c_in: int, c_out: int, k: int, stride: int, pad: int) -> nn.Module:
    return nn.Sequential(
        nn.ReLU(), nn.Conv2d(c_in, c_out, k, stride, pad, bias=False), nn.BatchNorm2d(c_out, affine=False)
    )


def dil_conv(c: int, k: int, stride: int, pad: int, dilation: int) -> nn.Module:
    return nn.Sequential(
        nn.ReLU(),
        nn.Conv2d(c, c, k, stride, pad, dilation=dilation, groups=c, bias=False),
        nn.Conv2d(c, c, 1, bias=False),
        nn.BatchNorm2d(c, affine=False),
    )


def sep_conv(c: int, k: int, stride: int, pad: int) -> nn.Module:
    return nn.Sequential(dil_conv(c, k, stride, pad, 1), dil_conv(c, k, 1, pad, 1))


def make_op(name: str, c: int, stride: int) -> nn.Module:
    return {
        "none": lambda: Zero(stride),
        "max_pool_3x3": lambda: nn.Sequential(nn.MaxPool2d(3, stride, 1), nn.BatchNorm2d(c, affine=False)),
        "avg_pool_3x3": lambda: nn.Sequential(
            nn.AvgPool2d(3, stride, 1, count_include_pad=False), nn.BatchNorm2d(c, affine=False)
        ),
        "skip_connect": lambda: nn.Identity() if stride == 1 else FactorizedReduce(c, c),
        "sep_conv_3x3": lambda: sep_conv(c, 3, stride, 1),
        "sep_conv_5x5": lambda: sep_conv(c, 5, stride, 2),
        "dil_conv_3x3": lambda: dil_conv(c, 3, stride, 2, 2),
        "dil_conv_5x5": lambda: dil_conv(c, 5, stride, 4, 2),
    }[name]()


class Node(nn.Module):
    def __init__(self, kind: str, index: int, c: int, reduction: bool) -> None:
        super().__init__()
        n_in = index + 2
        self.inputs = nas.InputChoice(
            n_in, 2, label=f"{kind}_n{index}_inputs", edges=[f"{kind}_n{index}_e{i}" for i in range(n_in)]
        )
        chosen = self.inputs.chosen if isinstance(self.inputs, nas.ChosenInputs) else range(n_in)
        self.edges = nn.ModuleDict(
            {
                str(i): nas.LayerChoice(
                    {op: make_op(op, c, 2 if reduction and i < 2 else 1) for op in OPS},
                    label=f"{kind}_n{index}_e{i}",
                )
                for i in chosen
            }
        )

    def forward(self, states: list[torch.Tensor]) -> torch.Tensor:
        return self.inputs(
            [self.edges[str(i)](s) if str(i) in self.edges else s for i, s in enumerate(states)]
        )


class Cell(nn.Module):
    def __init__(self, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool) -> None:
        super().__init__()
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else relu_conv_bn(c_pp, c, 1, 1, 0)
        self.pre1 = relu_conv_bn(c_p, c, 1, 1, 0)
        kind = "reduce" if reduction else "normal"
        self.nodes = nn.ModuleList(Node(kind, j, c, reduction) for j in range(NODES))

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for node in self.nodes:
            states.append(node(states))
        return torch.cat(states[2:], dim=1)


class SearchNetwork(nn.Module):
    def __init__(self, channels: int = 16, layers: int = 8, n_classes: int = 10) -> None:
        super().__init__()
        c_cur = 3 * channels
        self.stem = nn.Sequential(nn.Conv2d(3, c_cur, 3, padding=1, bias=False), nn.BatchNorm2d(c_cur))
        c_pp, c_p, c = c_cur, c_cur, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c *= 2
            self.cells.append(Cell(c_pp, c_p, c, reduction, reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, NODES * c
        self.head = nn.Linear(c_p, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1.mean(dim=(2, 3)))
