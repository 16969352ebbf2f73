# mypy: ignore-errors
"""STAND-IN for bignas-core's supernet (deleted when core's branch is merged)."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from .space import BigNASSpace, Settings


class DynConv(nn.Module):
    def __init__(self, cin: int, cout: int, k: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.cout, self.k = cout, k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cin, k = x.shape[1], self.k
        off = (self.conv.kernel_size[0] - k) // 2
        w = self.conv.weight[: self.cout, :cin, off : off + k, off : off + k]
        y = F.conv2d(x, w, padding=k // 2)
        bn = self.bn
        y = F.batch_norm(
            y,
            bn.running_mean[: self.cout],
            bn.running_var[: self.cout],
            bn.weight[: self.cout],
            bn.bias[: self.cout],
            self.training or bn.running_mean is None,
            0.1 if bn.momentum is None else bn.momentum,
            bn.eps,
        )
        return F.relu(y)

    def static(self, cin: int) -> nn.Module:
        k, off = self.k, (self.conv.kernel_size[0] - self.k) // 2
        conv = nn.Conv2d(cin, self.cout, k, padding=k // 2, bias=False)
        conv.weight.data.copy_(self.conv.weight.data[: self.cout, :cin, off : off + k, off : off + k])
        bn = nn.BatchNorm2d(self.cout)
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(bn, name).data.copy_(getattr(self.bn, name).data[: self.cout])
        return nn.Sequential(conv, bn, nn.ReLU())


class StandinSupernet(nn.Module):
    def __init__(self, space: BigNASSpace, num_classes: int, in_channels: int = 3) -> None:
        super().__init__()
        self.space, self.num_classes, self.in_channels = space, num_classes, in_channels
        mx = space.max()
        self.stages = nn.ModuleList()
        cin = in_channels
        for s in range(space.stages):
            blocks = nn.ModuleList()
            for b in range(mx["depth"][s]):
                blocks.append(
                    DynConv(
                        cin if b == 0 else mx["out_channel"][s], mx["out_channel"][s], mx["kernel_size"][s]
                    )
                )
            self.stages.append(blocks)
            cin = mx["out_channel"][s]
        self.head = nn.Linear(cin, num_classes)
        self.active_settings: Settings = mx
        self.set_active(mx)

    def set_active(self, settings: Settings) -> None:
        self.active_settings = copy.deepcopy(settings)
        for s, blocks in enumerate(self.stages):
            for blk in blocks:
                blk.cout, blk.k = settings["out_channel"][s], settings["kernel_size"][s]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for s, blocks in enumerate(self.stages):
            for b in range(self.active_settings["depth"][s]):
                x = blocks[b](x)
        c = x.shape[1]
        return F.linear(x.mean((2, 3)), self.head.weight[:, :c], self.head.bias)

    def extract(self, settings: Settings) -> nn.Module:
        self.set_active(settings)
        layers: list[nn.Module] = []
        cin = self.in_channels
        for s, blocks in enumerate(self.stages):
            for b in range(settings["depth"][s]):
                layers.append(blocks[b].static(cin))
                cin = settings["out_channel"][s]
        head = nn.Linear(cin, self.num_classes)
        head.weight.data.copy_(self.head.weight.data[:, :cin])
        head.bias.data.copy_(self.head.bias.data)
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), head)


def build_supernet(space: BigNASSpace, num_classes: int, in_channels: int = 3, **_: Any) -> StandinSupernet:
    return StandinSupernet(space, num_classes, in_channels)


def save_supernet(path: str, supernet: StandinSupernet) -> None:
    torch.save(
        {
            "space": supernet.space.options,
            "num_classes": supernet.num_classes,
            "in_channels": supernet.in_channels,
            "state_dict": supernet.state_dict(),
        },
        path,
    )


def load_supernet(path: str) -> StandinSupernet:
    d = torch.load(path, weights_only=True)
    net = StandinSupernet(BigNASSpace(d["space"]), d["num_classes"], d["in_channels"])
    net.load_state_dict(d["state_dict"])
    return net
