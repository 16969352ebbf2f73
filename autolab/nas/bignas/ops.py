"""Dynamic layers: they hold the largest weights and run a smaller setting by slicing them.

Each is the torch layer it extends (same parameter names, so initialisers and optimisers see a
plain Conv2d / BatchNorm2d / Linear) with an *active* size set by `set_active(...)`; the active
size is the first channels of the weight and, for kernels, its centre crop. `extract()` returns
the plain torch layer of the active size with its own copy of the sliced weights (on the same
device, of the same dtype): the same outputs, no slicing left.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .space import BigNASError


def _check_width(layer: nn.Module, x: torch.Tensor, expected: int) -> None:
    if x.shape[1] != expected:
        raise BigNASError(
            f"{type(layer).__name__}: input has {x.shape[1]} channels, the active setting expects {expected}"
        )


class DynamicConv2d(nn.Conv2d):
    """Conv2d whose active in/out channels and (odd) kernel size are at most its own.

    groups: a fixed number (the weight of each active size is the slice [:out, :in // groups]) or
    depthwise=True (groups = channels, in = out). Padding keeps the size: dilation * (k // 2)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        depthwise: bool = False,
        bias: bool = False,
    ) -> None:
        if kernel_size % 2 == 0:
            raise BigNASError(f"DynamicConv2d: kernel_size must be odd, got {kernel_size}")
        if depthwise:
            if in_channels != out_channels:
                raise BigNASError("DynamicConv2d: a depthwise conv needs in_channels == out_channels")
            groups = in_channels
        pad = dilation * (kernel_size // 2)
        super().__init__(in_channels, out_channels, kernel_size, stride, pad, dilation, groups, bias)
        self.depthwise = depthwise
        self.fixed_groups = groups
        self.active_in, self.active_out, self.active_kernel = in_channels, out_channels, kernel_size

    def set_active(self, in_channels: int, out_channels: int, kernel_size: int | None = None) -> None:
        kernel = self.kernel_size[0] if kernel_size is None else kernel_size
        if self.depthwise and in_channels != out_channels:
            raise BigNASError(f"DynamicConv2d: depthwise in {in_channels} != out {out_channels}")
        groups = self.active_groups_for(in_channels)
        if not (
            0 < in_channels <= self.in_channels
            and 0 < out_channels <= self.out_channels
            and 0 < kernel <= self.kernel_size[0]
            and kernel % 2 == 1
            and in_channels % groups == 0
            and out_channels % groups == 0
        ):
            raise BigNASError(
                f"DynamicConv2d({self.in_channels}, {self.out_channels}, {self.kernel_size[0]}, "
                f"groups={self.fixed_groups}): cannot run in={in_channels} out={out_channels} kernel={kernel}"
            )
        self.active_in, self.active_out, self.active_kernel = in_channels, out_channels, kernel

    def active_groups_for(self, in_channels: int) -> int:
        return in_channels if self.depthwise else self.fixed_groups

    def active_weight(self) -> torch.Tensor:
        start = (self.kernel_size[0] - self.active_kernel) // 2
        end = start + self.active_kernel
        per_group = self.active_in // self.active_groups_for(self.active_in)
        return self.weight[: self.active_out, :per_group, start:end, start:end]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_width(self, x, self.active_in)
        bias = None if self.bias is None else self.bias[: self.active_out]
        pad = self.dilation[0] * (self.active_kernel // 2)
        groups = self.active_groups_for(self.active_in)
        return F.conv2d(x, self.active_weight(), bias, self.stride, pad, self.dilation, groups)

    def active_flops(self, x: torch.Tensor, output: torch.Tensor) -> int:
        """Multiply-adds at the active size (autolab.nas.cost calls this)."""
        per_group = self.active_in // self.active_groups_for(self.active_in)
        return int(output.numel()) * per_group * self.active_kernel**2

    def extract(self) -> nn.Conv2d:
        k = self.active_kernel
        conv = nn.Conv2d(
            self.active_in,
            self.active_out,
            k,
            self.stride[0],
            self.dilation[0] * (k // 2),
            self.dilation[0],
            self.active_groups_for(self.active_in),
            self.bias is not None,
            device=self.weight.device,
            dtype=self.weight.dtype,
        )
        with torch.no_grad():
            conv.weight.copy_(self.active_weight())
            if self.bias is not None and conv.bias is not None:
                conv.bias.copy_(self.bias[: self.active_out])
        return conv


class DynamicBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d over the first `width` channels.

    By default the running statistics are shared (sliced like the weights): after training, re-
    estimate them for the chosen subnet (`train.calibrate_bn`), as BigNAS does. With `widths`
    given, each of those widths keeps running statistics of its own (switchable BN; the affine
    weights stay shared), and the plain buffers hold the largest width's."""

    def __init__(
        self,
        num_features: int,
        widths: list[int] | None = None,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
    ) -> None:
        super().__init__(num_features, eps, momentum)
        self.widths = sorted(set(widths or [])) if widths else []
        if any(not 0 < w <= num_features for w in self.widths):
            raise BigNASError(f"DynamicBatchNorm2d({num_features}): widths {self.widths} out of range")
        for w in self.widths:
            if w != num_features:
                self.register_buffer(f"running_mean_{w}", torch.zeros(w))
                self.register_buffer(f"running_var_{w}", torch.ones(w))
                self.register_buffer(f"num_batches_tracked_{w}", torch.tensor(0, dtype=torch.long))
        self.active_width = num_features

    def set_active(self, width: int) -> None:
        if not 0 < width <= self.num_features or (self.widths and width not in self.widths):
            allowed = self.widths or f"1..{self.num_features}"
            raise BigNASError(f"DynamicBatchNorm2d({self.num_features}): width {width} not in {allowed}")
        self.active_width = width

    def reset_running_stats(self) -> None:
        """Shared statistics: all of them. Per width: only the active width's, so that calibrating
        one subnet (`train.calibrate_bn`) keeps the other widths' statistics."""
        width = getattr(self, "active_width", self.num_features)  # nn.BatchNorm2d's __init__ calls this
        if not getattr(self, "widths", None) or width == self.num_features:
            super().reset_running_stats()
            return
        mean, var, tracked = self._stats()
        mean.zero_()
        var.fill_(1)
        tracked.zero_()

    def _stats(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        w = self.active_width
        if self.widths and w != self.num_features:
            return (
                getattr(self, f"running_mean_{w}"),
                getattr(self, f"running_var_{w}"),
                getattr(self, f"num_batches_tracked_{w}"),
            )
        assert self.running_mean is not None and self.running_var is not None
        assert self.num_batches_tracked is not None
        return self.running_mean[:w], self.running_var[:w], self.num_batches_tracked

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_width(self, x, self.active_width)
        mean, var, tracked = self._stats()
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training:
            tracked.add_(1)  # as nn.BatchNorm2d: momentum None is a cumulative average
            factor = 1.0 / float(tracked) if self.momentum is None else self.momentum
        w = self.active_width
        return F.batch_norm(x, mean, var, self.weight[:w], self.bias[:w], self.training, factor, self.eps)

    def extract(self) -> nn.BatchNorm2d:
        w = self.active_width
        bn = nn.BatchNorm2d(w, self.eps, self.momentum, device=self.weight.device, dtype=self.weight.dtype)
        mean, var, tracked = self._stats()
        with torch.no_grad():
            bn.weight.copy_(self.weight[:w])
            bn.bias.copy_(self.bias[:w])
            bn.running_mean.copy_(mean)  # type: ignore[union-attr]
            bn.running_var.copy_(var)  # type: ignore[union-attr]
            bn.num_batches_tracked.copy_(tracked)  # type: ignore[union-attr]
        return bn


class DynamicLinear(nn.Linear):
    """Linear whose active in_features (and out_features) are at most its own: the first ones."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias)
        self.active_in, self.active_out = in_features, out_features

    def set_active(self, in_features: int, out_features: int | None = None) -> None:
        out = self.out_features if out_features is None else out_features
        if not (0 < in_features <= self.in_features and 0 < out <= self.out_features):
            raise BigNASError(
                f"DynamicLinear({self.in_features}, {self.out_features}): cannot run in={in_features} out={out}"
            )
        self.active_in, self.active_out = in_features, out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.active_in:
            raise BigNASError(f"DynamicLinear: input has {x.shape[-1]} features, expected {self.active_in}")
        bias = None if self.bias is None else self.bias[: self.active_out]
        return F.linear(x, self.weight[: self.active_out, : self.active_in], bias)

    def extract(self) -> nn.Linear:
        linear = nn.Linear(
            self.active_in,
            self.active_out,
            self.bias is not None,
            device=self.weight.device,
            dtype=self.weight.dtype,
        )
        with torch.no_grad():
            linear.weight.copy_(self.weight[: self.active_out, : self.active_in])
            if self.bias is not None and linear.bias is not None:
                linear.bias.copy_(self.bias[: self.active_out])
        return linear
