"""Blocks of a BigNAS supernet and of the static subnets extracted from it.

Each block class runs the same forward on dynamic units (a supernet) and on plain ones (a subnet):
`DynamicInvertedResidual(...)` is an `InvertedResidual` made of `DynamicConvBN`s, whose `extract()`
is an `InvertedResidual` made of plain `nn.Sequential(conv, bn, act)`s with their own weights.

- InvertedResidual (MobileNetV2): 1x1 expand to in x expand_ratio, k x k depthwise, 1x1 project;
  the expand conv is left out when every option of the ratio is 1.
- BasicBlock (ResNet-18): k x k conv to out x expand_ratio, k x k conv to out.
- Bottleneck (ResNet-50): 1x1 conv to out x expand_ratio, k x k conv, 1x1 conv to out.
The first block of a stage takes the stride and the change of width: an inverted residual has no
skip there, a basic block or bottleneck a 1x1 projection; the other blocks of a stage add their
input (same width, all blocks of a stage share out_channel). `DynamicStage` runs its first `depth`
blocks (dynamic depth).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import cast

import torch
from torch import nn

from .ops import DynamicBatchNorm2d, DynamicConv2d
from .space import BigNASError, Number

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": lambda: nn.ReLU(inplace=True),
    "relu6": lambda: nn.ReLU6(inplace=True),
    "hswish": lambda: nn.Hardswish(inplace=True),
    "swish": lambda: nn.SiLU(inplace=True),
}


def hidden_channels(channels: int, ratio: Number) -> int:
    """The width inside a block: channels x expand_ratio, rounded, at least 1."""
    return max(1, int(round(channels * ratio)))


def activation(name: str | None) -> nn.Module:
    if name is None:
        return nn.Identity()
    if name not in ACTIVATIONS:
        raise BigNASError(f"activation {name!r} is not one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


class DynamicConvBN(nn.Sequential):
    """conv -> BN -> activation, all dynamic; `widths` turns on per-width BN statistics."""

    conv: DynamicConv2d
    bn: DynamicBatchNorm2d
    act: nn.Module

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        depthwise: bool = False,
        act: str | None = "relu",
        widths: list[int] | None = None,
    ) -> None:
        super().__init__(
            OrderedDict(
                conv=DynamicConv2d(in_channels, out_channels, kernel_size, stride, depthwise=depthwise),
                bn=DynamicBatchNorm2d(out_channels, widths),
                act=activation(act),
            )
        )

    def set_active(self, in_channels: int, out_channels: int, kernel_size: int | None = None) -> None:
        self.conv.set_active(in_channels, out_channels, kernel_size)
        self.bn.set_active(out_channels)

    def extract(self) -> nn.Sequential:
        act = copy.deepcopy(self.act)
        return nn.Sequential(OrderedDict(conv=self.conv.extract(), bn=self.bn.extract(), act=act))


class InvertedResidual(nn.Module):
    def __init__(
        self, expand: nn.Module | None, depthwise: nn.Module, project: nn.Module, skip: bool
    ) -> None:
        super().__init__()
        self.expand, self.depthwise, self.project, self.skip = expand, depthwise, project, skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.expand is None else self.expand(x)
        out = self.project(self.depthwise(out))
        return x + out if self.skip else out


class BasicBlock(nn.Module):
    def __init__(
        self, conv1: nn.Module, conv2: nn.Module, shortcut: nn.Module | None, act: nn.Module
    ) -> None:
        super().__init__()
        self.conv1, self.conv2, self.shortcut, self.act = conv1, conv2, shortcut, act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.act(self.conv2(self.conv1(x)) + skip)


class Bottleneck(nn.Module):
    def __init__(
        self, conv1: nn.Module, conv2: nn.Module, conv3: nn.Module, shortcut: nn.Module | None, act: nn.Module
    ) -> None:
        super().__init__()
        self.conv1, self.conv2, self.conv3, self.shortcut, self.act = conv1, conv2, conv3, shortcut, act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.act(self.conv3(self.conv2(self.conv1(x))) + skip)


def _widths(per_width: bool, values: set[int]) -> list[int] | None:
    return sorted(values) if per_width else None


def _extract(unit: DynamicConvBN | None) -> nn.Module | None:
    return None if unit is None else unit.extract()


class DynamicInvertedResidual(InvertedResidual):
    expand: DynamicConvBN | None
    depthwise: DynamicConvBN
    project: DynamicConvBN

    def __init__(
        self,
        in_options: list[int],
        out_options: list[int],
        kernel_size: int,
        ratios: list[Number],
        stride: int,
        first: bool,
        act: str = "relu6",
        per_width_bn: bool = False,
    ) -> None:
        hidden = {hidden_channels(c, r) for c in in_options for r in ratios}
        cin, chid, cout = max(in_options), max(hidden), max(out_options)
        expand = None
        if any(r != 1 for r in ratios):
            expand = DynamicConvBN(cin, chid, 1, act=act, widths=_widths(per_width_bn, hidden))
        else:
            chid, hidden = cin, set(in_options)
        depthwise = DynamicConvBN(
            chid, chid, kernel_size, stride, depthwise=True, act=act, widths=_widths(per_width_bn, hidden)
        )
        project = DynamicConvBN(chid, cout, 1, act=None, widths=_widths(per_width_bn, set(out_options)))
        super().__init__(expand, depthwise, project, skip=not first and stride == 1)

    def set_active(self, in_channels: int, out_channels: int, kernel_size: int, ratio: Number) -> None:
        if self.skip and in_channels != out_channels:
            raise BigNASError(
                f"InvertedResidual: a skip block needs in == out, got {in_channels}, {out_channels}"
            )
        if self.expand is None:
            if ratio != 1:
                raise BigNASError(f"InvertedResidual: expand_ratio {ratio} but the block has no expand conv")
            hidden = in_channels
        else:
            hidden = hidden_channels(in_channels, ratio)
            self.expand.set_active(in_channels, hidden)
        self.depthwise.set_active(hidden, hidden, kernel_size)
        self.project.set_active(hidden, out_channels)

    def zero_last_gamma(self) -> None:
        if self.skip:
            nn.init.zeros_(self.project.bn.weight)

    def extract(self) -> InvertedResidual:
        return InvertedResidual(
            _extract(self.expand),
            self.depthwise.extract(),
            self.project.extract(),
            self.skip,
        )


class DynamicBasicBlock(BasicBlock):
    conv1: DynamicConvBN
    conv2: DynamicConvBN
    shortcut: DynamicConvBN | None

    def __init__(
        self,
        in_options: list[int],
        out_options: list[int],
        kernel_size: int,
        ratios: list[Number],
        stride: int,
        first: bool,
        act: str = "relu",
        per_width_bn: bool = False,
    ) -> None:
        mid = {hidden_channels(c, r) for c in out_options for r in ratios}
        cin, cmid, cout = max(in_options), max(mid), max(out_options)
        outs = _widths(per_width_bn, set(out_options))
        conv1 = DynamicConvBN(cin, cmid, kernel_size, stride, act=act, widths=_widths(per_width_bn, mid))
        conv2 = DynamicConvBN(cmid, cout, kernel_size, act=None, widths=outs)
        shortcut = DynamicConvBN(cin, cout, 1, stride, act=None, widths=outs) if first else None
        super().__init__(conv1, conv2, shortcut, activation(act))

    def set_active(self, in_channels: int, out_channels: int, kernel_size: int, ratio: Number) -> None:
        mid = hidden_channels(out_channels, ratio)
        self.conv1.set_active(in_channels, mid, kernel_size)
        self.conv2.set_active(mid, out_channels, kernel_size)
        if self.shortcut is not None:
            self.shortcut.set_active(in_channels, out_channels)
        elif in_channels != out_channels:
            raise BigNASError(f"BasicBlock: a skip block needs in == out, got {in_channels}, {out_channels}")

    def zero_last_gamma(self) -> None:
        nn.init.zeros_(self.conv2.bn.weight)

    def extract(self) -> BasicBlock:
        return BasicBlock(
            self.conv1.extract(),
            self.conv2.extract(),
            _extract(self.shortcut),
            copy.deepcopy(self.act),
        )


class DynamicBottleneck(Bottleneck):
    conv1: DynamicConvBN
    conv2: DynamicConvBN
    conv3: DynamicConvBN
    shortcut: DynamicConvBN | None

    def __init__(
        self,
        in_options: list[int],
        out_options: list[int],
        kernel_size: int,
        ratios: list[Number],
        stride: int,
        first: bool,
        act: str = "relu",
        per_width_bn: bool = False,
    ) -> None:
        mid = {hidden_channels(c, r) for c in out_options for r in ratios}
        cin, cmid, cout = max(in_options), max(mid), max(out_options)
        mids, outs = _widths(per_width_bn, mid), _widths(per_width_bn, set(out_options))
        conv1 = DynamicConvBN(cin, cmid, 1, act=act, widths=mids)
        conv2 = DynamicConvBN(cmid, cmid, kernel_size, stride, act=act, widths=mids)
        conv3 = DynamicConvBN(cmid, cout, 1, act=None, widths=outs)
        shortcut = DynamicConvBN(cin, cout, 1, stride, act=None, widths=outs) if first else None
        super().__init__(conv1, conv2, conv3, shortcut, activation(act))

    def set_active(self, in_channels: int, out_channels: int, kernel_size: int, ratio: Number) -> None:
        mid = hidden_channels(out_channels, ratio)
        self.conv1.set_active(in_channels, mid)
        self.conv2.set_active(mid, mid, kernel_size)
        self.conv3.set_active(mid, out_channels)
        if self.shortcut is not None:
            self.shortcut.set_active(in_channels, out_channels)
        elif in_channels != out_channels:
            raise BigNASError(f"Bottleneck: a skip block needs in == out, got {in_channels}, {out_channels}")

    def zero_last_gamma(self) -> None:
        nn.init.zeros_(self.conv3.bn.weight)

    def extract(self) -> Bottleneck:
        return Bottleneck(
            self.conv1.extract(),
            self.conv2.extract(),
            self.conv3.extract(),
            _extract(self.shortcut),
            copy.deepcopy(self.act),
        )


DynamicBlock = DynamicInvertedResidual | DynamicBasicBlock | DynamicBottleneck
BLOCKS: dict[str, type[DynamicBlock]] = {
    "inverted_residual": DynamicInvertedResidual,
    "basic": DynamicBasicBlock,
    "bottleneck": DynamicBottleneck,
}


class DynamicStage(nn.Module):
    """A stage of blocks of which the first `active_depth` run (dynamic depth)."""

    def __init__(self, blocks: Sequence[nn.Module]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.active_depth = len(blocks)

    def set_active(self, depth: int) -> None:
        if not 0 < depth <= len(self.blocks):
            raise BigNASError(f"DynamicStage: depth {depth} not in 1..{len(self.blocks)}")
        self.active_depth = depth

    def active_blocks(self) -> list[DynamicBlock]:
        return [cast(DynamicBlock, b) for b in self.blocks[: self.active_depth]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks[: self.active_depth]:
            x = block(x)
        return x

    def extract(self) -> nn.Sequential:
        return nn.Sequential(*(b.extract() for b in self.active_blocks()))
