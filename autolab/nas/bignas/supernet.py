"""The BigNAS supernet: a plain nn.Module of dynamic stages, any subnet of the space by slicing.

    space = BigNASSpace.from_yaml("space.yml")
    net = build_supernet(space, num_classes=10, in_channels=1, block="inverted_residual")
    net.set_active(space.random(rng))      # or space.max(), space.min(), normalized user settings
    logits = net(x)                        # the active subnet
    small = net.extract(space.min())       # a static nn.Module with its own weights, same outputs
    save_supernet("supernet.pt", net); net = load_supernet("supernet.pt")

Layout: stage 0 is the stem (conv-BN-act with the space's out_channel[0] and kernel_size[0]);
stages 1.. are `DynamicStage`s of blocks (`blocks.BLOCKS`); then global average pooling, dropout
and a linear classifier. The stride of each stage is the first block's (`strides`, one per stage).
`zero_last_gamma` (BigNAS's initialisation, on by default) zeroes the last BN scale of every block
that adds its input, so each residual block starts as the identity: a deep and a shallow subnet
start out alike, which the paper found to keep the sandwich training stable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from ..cost import count_flops, count_params
from .blocks import BLOCKS, DynamicConvBN, DynamicStage, activation
from .ops import DynamicLinear
from .space import BigNASError, BigNASSpace, Settings

FORMAT = "autolab-bignas-supernet/1"


class Net(nn.Module):
    """stem -> stages -> pool -> dropout -> classifier: the supernet and its extracted subnets."""

    def __init__(
        self, stem: nn.Module, stages: list[nn.Module], classifier: nn.Module, dropout: float
    ) -> None:
        super().__init__()
        self.stem = stem
        self.stages = nn.ModuleList(stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return self.classifier(self.dropout(torch.flatten(self.pool(x), 1)))


def default_strides(stages: int) -> list[int]:
    """Stem 2, then 1 for the first block stage and 2 for the rest (as MobileNetV2 / ResNet)."""
    return [2] + [1 if i == 1 else 2 for i in range(1, stages)]


class BigNASSupernet(Net):
    stem: DynamicConvBN
    classifier: DynamicLinear

    def __init__(
        self,
        space: BigNASSpace,
        num_classes: int,
        in_channels: int = 3,
        block: str = "inverted_residual",
        strides: list[int] | None = None,
        act: str | None = None,
        dropout: float = 0.0,
        bn_stats: str = "shared",
        zero_last_gamma: bool = True,
    ) -> None:
        for name, value in (("num_classes", num_classes), ("in_channels", in_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise BigNASError(f"{name} must be a positive integer, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise BigNASError(f"dropout must be in [0, 1), got {dropout!r}")
        if block not in BLOCKS:
            raise BigNASError(f"block {block!r} is not one of {', '.join(BLOCKS)}")
        if bn_stats not in ("shared", "per_width"):
            raise BigNASError(f"bn_stats {bn_stats!r} is not 'shared' or 'per_width'")
        if space.stages < 2:
            raise BigNASError("the space needs 2 stages at least (stage 0 is the stem)")
        if space.dims["depth"].options[0] != (1,):
            raise BigNASError(
                f"depth: stage 0 is the stem, its depth must be 1, got {list(space.dims['depth'].options[0])}"
            )
        for i, ratios in enumerate(space.dims["expand_ratio"].options[1:], start=1):
            if min(ratios) <= 0:
                raise BigNASError(f"expand_ratio: stage {i} has {list(ratios)}; a block needs ratios > 0")
        strides = default_strides(space.stages) if strides is None else list(strides)
        if len(strides) != space.stages or any(s not in (1, 2) for s in strides):
            raise BigNASError(f"strides: expected {space.stages} values of 1 or 2, got {strides}")
        act = act or ("relu6" if block == "inverted_residual" else "relu")
        activation(act)  # a bad name fails here, once
        per_width = bn_stats == "per_width"
        self.space = space
        self.build_args: dict[str, Any] = {
            "num_classes": num_classes,
            "in_channels": in_channels,
            "block": block,
            "strides": strides,
            "act": act,
            "dropout": dropout,
            "bn_stats": bn_stats,
            "zero_last_gamma": zero_last_gamma,
        }
        dims = space.dims
        widths = [[int(w) for w in o] for o in dims["out_channel"].options]
        kernels = [int(max(o)) for o in dims["kernel_size"].options]
        stem = DynamicConvBN(
            in_channels,
            widths[0][-1],
            kernels[0],
            strides[0],
            act=act,
            widths=widths[0] if per_width else None,
        )
        stages: list[nn.Module] = []
        for i in range(1, space.stages):
            blocks = [
                BLOCKS[block](
                    widths[i - 1] if b == 0 else widths[i],
                    widths[i],
                    kernels[i],
                    list(dims["expand_ratio"].options[i]),
                    strides[i] if b == 0 else 1,
                    first=b == 0,
                    act=act,
                    per_width_bn=per_width,
                )
                for b in range(int(max(dims["depth"].options[i])))
            ]
            stages.append(DynamicStage(blocks))
        super().__init__(stem, stages, DynamicLinear(widths[-1][-1], num_classes), dropout)
        if zero_last_gamma:
            for stage in self.dynamic_stages():
                for blk in stage.blocks:
                    blk.zero_last_gamma()  # type: ignore[operator]
        self.active_settings: Settings = {}
        self.set_active(space.max())

    def set_active(self, settings: Any) -> Settings:
        """Run the subnet of these settings from now on; returns them normalized."""
        s = self.space.normalize(settings)
        widths = s["out_channel"]
        self.stem.set_active(self.build_args["in_channels"], widths[0], s["kernel_size"][0][0])
        for i, stage in enumerate(self.dynamic_stages(), start=1):
            stage.set_active(s["depth"][i])
            for b, blk in enumerate(stage.active_blocks()):
                cin = widths[i - 1] if b == 0 else widths[i]
                blk.set_active(cin, widths[i], s["kernel_size"][i][b], s["expand_ratio"][i][b])
        self.classifier.set_active(widths[-1])
        self.active_settings = s
        return s

    def dynamic_stages(self) -> list[DynamicStage]:
        return [cast(DynamicStage, stage) for stage in self.stages]

    def extract(self, settings: Any = None) -> Net:
        """The static subnet of settings (default: the active ones): plain torch layers with their
        own copies of the sliced weights and BN statistics; eval-mode outputs equal the supernet's."""
        previous = self.active_settings
        if settings is not None:
            self.set_active(settings)
        try:
            stages: list[nn.Module] = [stage.extract() for stage in self.dynamic_stages()]
            net = Net(self.stem.extract(), stages, self.classifier.extract(), self.build_args["dropout"])
        finally:
            self.set_active(previous)
        return net.train(self.training)

    def cost(self, settings: Any = None, example_input: torch.Tensor | None = None) -> dict[str, int]:
        """{"params": ..., "flops": ...} of a subnet (default: the active one): the parameters of its
        static model, and the multiply-adds of one forward pass of example_input (autolab.nas.cost's
        rules) counted on the supernet at that setting; flops only with an example input."""
        previous = self.active_settings
        if settings is not None:
            self.set_active(settings)
        try:
            cost = {"params": count_params(self.extract())}
            if example_input is not None:
                cost["flops"] = count_flops(self, example_input)
        finally:
            self.set_active(previous)
        return cost


def build_supernet(
    space: BigNASSpace | dict[str, Any],
    num_classes: int,
    in_channels: int = 3,
    block: str = "inverted_residual",
    **kwargs: Any,
) -> BigNASSupernet:
    """A supernet over the space; kwargs: strides, act, dropout, bn_stats ("shared" | "per_width"),
    zero_last_gamma."""
    if not isinstance(space, BigNASSpace):
        space = BigNASSpace.from_dict(space)
    return BigNASSupernet(space, num_classes, in_channels, block, **kwargs)


def build_subnet(space: BigNASSpace | dict[str, Any], settings: Any, **build_args: Any) -> Net:
    """An untrained static subnet of this shape (e.g. to load an exported subnet's state dict into)."""
    return build_supernet(space, **build_args).extract(settings)


def save_supernet(path: str | Path, supernet: BigNASSupernet) -> None:
    """One file holding the space, the build arguments, the weights and the active settings."""
    torch.save(
        {
            "format": FORMAT,
            "space": supernet.space.to_dict(),
            "build_args": supernet.build_args,
            "state_dict": supernet.state_dict(),
            "active_settings": supernet.active_settings,
        },
        Path(path),
    )


def load_supernet(path: str | Path, map_location: str | torch.device = "cpu") -> BigNASSupernet:
    """The supernet save_supernet wrote, rebuilt from the file alone."""
    try:
        blob = torch.load(Path(path), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise BigNASError(f"{path}: no such supernet file") from None
    except Exception as exc:  # a truncated or foreign file: torch raises several kinds
        raise BigNASError(f"{path}: not a supernet file ({type(exc).__name__}: {exc})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise BigNASError(f"{path}: not a supernet file written by save_supernet")
    args = dict(blob["build_args"])
    space = BigNASSpace.from_dict(blob["space"], f"{path}: space")
    net = BigNASSupernet(space, args.pop("num_classes"), **args)
    net.load_state_dict(blob["state_dict"])
    net.set_active(blob["active_settings"])
    return net
