"""A single-path supernet for 8x8 digits: a shared width and one operation per block.

width: ValueChoice([8, 16, 32]) for every layer (MutableConv2d / MutableBatchNorm2d / MutableLinear
slice their largest weights); block1..block4: LayerChoice of residual conv 3x3, conv 5x5, a conv whose
kernel is itself a choice (3 or 5 from one 5x5 weight), max pooling, or skip. Built inside
`nas.fixed_arch(arch)` every layer is a plain torch layer of the chosen size.
"""

from __future__ import annotations

import torch
from torch import nn

from autolab import nas

BLOCKS = 4


class Residual(nn.Module):
    """x + f(x): keeps every path's output on one scale, which single-path training needs."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def conv_bn_relu(width: nas.ValueChoice | int, kernel: nas.ValueChoice | int) -> nn.Module:
    return Residual(
        nn.Sequential(
            nas.MutableConv2d(width, width, kernel, bias=False), nas.MutableBatchNorm2d(width), nn.ReLU()
        )
    )


class DigitsSupernet(nn.Module):
    def __init__(self, n_classes: int = 10) -> None:
        super().__init__()
        width = nas.ValueChoice([8, 16, 32], label="width")
        self.stem = conv_bn_relu_stem(width)
        self.blocks = nn.ModuleList()
        for i in range(1, BLOCKS + 1):
            self.blocks.append(
                nas.LayerChoice(
                    {
                        "conv3x3": conv_bn_relu(width, 3),
                        "conv5x5": conv_bn_relu(width, 5),
                        "conv_k": conv_bn_relu(width, nas.ValueChoice([3, 5], label=f"block{i}_kernel")),
                        "max_pool": nn.MaxPool2d(3, 1, 1),
                        "skip": nn.Identity(),
                    },
                    label=f"block{i}",
                )
            )
        self.down = nn.MaxPool2d(2)
        self.head = nas.MutableLinear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i == 1:
                x = self.down(x)
        return self.head(x.mean(dim=(2, 3)))


def conv_bn_relu_stem(width: nas.ValueChoice | int) -> nn.Module:
    return nn.Sequential(nas.MutableConv2d(1, width, 3, bias=False), nas.MutableBatchNorm2d(width), nn.ReLU())
