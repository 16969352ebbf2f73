"""Layers whose sizes may be ValueChoices: MutableConv2d, MutableLinear, MutableBatchNorm2d,
MutableLayerNorm.

A supernet layer allocates its largest size. Single-path (a sampled value): the weight is sliced,
the first `width` channels, the centre `k x k` of the kernel, and the input channels follow the
tensor that comes in. DARTS (arch weights set): the layer runs at full size and mixes the options
with softmax weights, as channel masks for widths and centred kernel masks for kernel sizes.
MutableBatchNorm2d applies its width's mask after normalising (the conv's mask before it would be
divided out); `relaxed_choices()` names the choices a layer mixes, which DARTS checks.

With no ValueChoice among the arguments (always the case inside fixed_arch, where ValueChoice(...)
is the plain value) the constructors return the plain torch layer: no supernet left in the model.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .mutables import NasError
from .values import ValueChoice

IntOrChoice = int | ValueChoice


def _max(v: IntOrChoice) -> int:
    return int(v.max) if isinstance(v, ValueChoice) else int(v)


def _value(v: IntOrChoice, arch: dict[str, Any] | None = None) -> int:
    if isinstance(v, ValueChoice):
        return int(v.value_of(arch[v.label])) if arch is not None else int(v.sampled)
    return int(v)


def _roots(*values: Any) -> list[ValueChoice]:
    return [v.root for v in values if isinstance(v, ValueChoice)]


def _check_ints(name: str, v: Any) -> None:
    values = v.values if isinstance(v, ValueChoice) else [v]
    for x in values:
        if isinstance(x, bool) or not isinstance(x, int) or x < 1:
            raise NasError(f"{name} must be a positive int or a ValueChoice of them, got {x!r}")


def width_mask(choice: IntOrChoice, size: int) -> torch.Tensor | None:
    """DARTS channel mask for a width choice (None when the width is not relaxed)."""
    if not isinstance(choice, ValueChoice) or choice.arch_weights is None:
        return None
    probs = torch.softmax(choice.arch_weights, dim=-1)
    masks = torch.stack(
        [(torch.arange(size, device=probs.device) < v).to(probs.dtype) for v in choice.values]
    )
    return probs @ masks


def any_choice(*args: Any) -> bool:
    return any(isinstance(a, ValueChoice) for a in args)


def _plain_conv(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int = 1,
    padding: int | None = None,
    dilation: int = 1,
    groups: int = 1,
    bias: bool = True,
) -> nn.Conv2d:
    pad = dilation * (kernel_size // 2) if padding is None else padding
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride, pad, dilation, groups, bias)


def _in_per_group(in_channels: IntOrChoice, groups: IntOrChoice) -> int:
    """The largest in_channels / groups the weight must hold."""
    if (
        isinstance(in_channels, ValueChoice)
        and isinstance(groups, ValueChoice)
        and in_channels.label == groups.label
    ):
        return max(in_channels.value_of(d) // groups.value_of(d) for d in in_channels.root.values)
    low = min(groups.values) if isinstance(groups, ValueChoice) else int(groups)
    return max(1, _max(in_channels) // low)


class MutableConv2d(nn.Module):
    """nn.Conv2d whose in/out channels, (odd) kernel size and groups may be ValueChoices (or
    arithmetic on them: `width * 4`); dilation is a number.

    padding defaults to dilation * (kernel_size // 2) ("same" for stride 1), whatever kernel is
    chosen. A depthwise conv is `MutableConv2d(width, width, 3, groups=width)`.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # no arguments: copy.deepcopy / pickle re-creating an instance
        if not (args or kwargs) or any_choice(*args, *kwargs.values()):
            return super().__new__(cls)
        return _plain_conv(*args, **kwargs)

    def __init__(
        self,
        in_channels: IntOrChoice,
        out_channels: IntOrChoice,
        kernel_size: IntOrChoice,
        stride: int = 1,
        padding: int | None = None,
        dilation: int = 1,
        groups: IntOrChoice = 1,
        bias: bool = True,
    ) -> None:
        super().__init__()
        for name, v in (
            ("in_channels", in_channels),
            ("out_channels", out_channels),
            ("kernel_size", kernel_size),
            ("groups", groups),
            ("dilation", dilation),
        ):
            _check_ints(name, v)
        if isinstance(dilation, ValueChoice):
            raise NasError("MutableConv2d dilation must be a number (search it with a LayerChoice)")
        if isinstance(kernel_size, ValueChoice) and any(k % 2 == 0 for k in kernel_size.values):
            raise NasError(f"MutableConv2d kernel sizes must be odd, got {kernel_size.values}")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        ref = nn.Conv2d(_in_per_group(in_channels, groups), _max(out_channels), _max(kernel_size), bias=bias)
        self.weight = ref.weight
        self.bias = ref.bias

    def running_kernel_size(self) -> int:
        """The kernel size the layer runs at now (the largest under DARTS, which masks it)."""
        k = self.kernel_size
        return _max(k) if isinstance(k, ValueChoice) and k.arch_weights is not None else _value(k)

    def running_groups(self, in_channels: int) -> int:
        """The groups the layer runs with now (under DARTS a groups choice runs at its largest,
        which for a depthwise conv is the full width it runs at)."""
        g = self.groups
        return _max(g) if isinstance(g, ValueChoice) and g.arch_weights is not None else _value(g)

    def relaxed_choices(self) -> list[ValueChoice]:
        """The choices this layer mixes under DARTS (the input size follows the incoming tensor)."""
        return _roots(self.out_channels, self.kernel_size)

    def _kernel(self) -> tuple[torch.Tensor, int]:
        kmax = _max(self.kernel_size)
        k = self.kernel_size
        if isinstance(k, ValueChoice) and k.arch_weights is not None:
            probs = torch.softmax(k.arch_weights, dim=-1)
            idx = torch.arange(kmax, device=probs.device)
            mix = torch.zeros(kmax, kmax, device=probs.device, dtype=probs.dtype)
            for p, size in zip(probs, k.values, strict=True):
                lo = (kmax - size) // 2
                line = ((idx >= lo) & (idx < lo + size)).to(probs.dtype)
                mix = mix + p * torch.outer(line, line)
            return self.weight * mix, kmax
        size = _value(k)
        lo = (kmax - size) // 2
        return self.weight[:, :, lo : lo + size, lo : lo + size], size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, k = self._kernel()
        mask = width_mask(self.out_channels, weight.shape[0])
        out_c = weight.shape[0] if mask is not None else _value(self.out_channels)
        groups = self.running_groups(x.shape[1])
        weight = weight[:out_c, : x.shape[1] // groups]
        bias = None if self.bias is None else self.bias[:out_c]
        pad = self.dilation * (k // 2) if self.padding is None else self.padding
        y = F.conv2d(x, weight, bias, self.stride, pad, self.dilation, groups)
        return y if mask is None else y * mask.view(1, -1, 1, 1).to(y.dtype)

    def to_fixed(self, arch: dict[str, Any]) -> nn.Conv2d:
        cin, cout, k, g = (
            _value(v, arch) for v in (self.in_channels, self.out_channels, self.kernel_size, self.groups)
        )
        conv = _plain_conv(
            cin, cout, k, self.stride, self.padding, self.dilation, g, bias=self.bias is not None
        ).to(self.weight.device)
        lo = (_max(self.kernel_size) - k) // 2
        with torch.no_grad():
            conv.weight.copy_(self.weight[:cout, : cin // g, lo : lo + k, lo : lo + k])
            if self.bias is not None and conv.bias is not None:
                conv.bias.copy_(self.bias[:cout])
        return conv


class MutableLinear(nn.Module):
    """nn.Linear whose in/out features may be ValueChoices."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if not (args or kwargs) or any_choice(*args, *kwargs.values()):
            return super().__new__(cls)
        return nn.Linear(*args, **kwargs)

    def __init__(self, in_features: IntOrChoice, out_features: IntOrChoice, bias: bool = True) -> None:
        super().__init__()
        _check_ints("in_features", in_features)
        _check_ints("out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        ref = nn.Linear(_max(in_features), _max(out_features), bias=bias)
        self.weight = ref.weight
        self.bias = ref.bias

    def relaxed_choices(self) -> list[ValueChoice]:
        return _roots(self.out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = width_mask(self.out_features, self.weight.shape[0])
        out_f = self.weight.shape[0] if mask is not None else _value(self.out_features)
        bias = None if self.bias is None else self.bias[:out_f]
        y = F.linear(x, self.weight[:out_f, : x.shape[-1]], bias)
        return y if mask is None else y * mask.to(y.dtype)

    def to_fixed(self, arch: dict[str, Any]) -> nn.Linear:
        fin, fout = _value(self.in_features, arch), _value(self.out_features, arch)
        lin = nn.Linear(fin, fout, bias=self.bias is not None).to(self.weight.device)
        with torch.no_grad():
            lin.weight.copy_(self.weight[:fout, :fin])
            if self.bias is not None and lin.bias is not None:
                lin.bias.copy_(self.bias[:fout])
        return lin


class MutableBatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d over the first C channels of its largest size, C from the input tensor."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if not (args or kwargs) or any_choice(*args, *kwargs.values()):
            return super().__new__(cls)
        return nn.BatchNorm2d(*args, **kwargs)

    def __init__(
        self, num_features: IntOrChoice, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True
    ) -> None:
        _check_ints("num_features", num_features)
        super().__init__(_max(num_features), eps=eps, momentum=momentum, affine=affine)
        self.features_choice = num_features

    def relaxed_choices(self) -> list[ValueChoice]:
        return _roots(self.features_choice)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self._normalise(x)
        # DARTS: the width mask goes after the normalisation. A mask applied only before it (by the
        # conv feeding this norm) is divided back out, which leaves the width almost no gradient.
        mask = width_mask(self.features_choice, x.shape[1])
        return y if mask is None else y * mask.view(1, -1, 1, 1).to(y.dtype)

    def _normalise(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average, as nn.BatchNorm2d does
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or self.running_mean is None
        mean = None if self.running_mean is None else self.running_mean[:c]
        var = None if self.running_var is None else self.running_var[:c]
        weight = None if self.weight is None else self.weight[:c]
        bias = None if self.bias is None else self.bias[:c]
        return F.batch_norm(
            x,
            mean if not self.training or self.track_running_stats else None,
            var if not self.training or self.track_running_stats else None,
            weight,
            bias,
            use_batch,
            factor,
            self.eps,
        )

    def to_fixed(self, arch: dict[str, Any]) -> nn.BatchNorm2d:
        c = _value(self.features_choice, arch)
        bn = nn.BatchNorm2d(c, eps=self.eps, momentum=self.momentum, affine=self.affine).to(
            self.running_mean.device if self.running_mean is not None else "cpu"
        )
        with torch.no_grad():
            if self.affine:
                bn.weight.copy_(self.weight[:c])
                bn.bias.copy_(self.bias[:c])
            if self.running_mean is not None and self.running_var is not None:
                assert bn.running_mean is not None and bn.running_var is not None
                bn.running_mean.copy_(self.running_mean[:c])
                bn.running_var.copy_(self.running_var[:c])
        return bn


class MutableLayerNorm(nn.LayerNorm):
    """nn.LayerNorm over the last dimension, whose size may be a ValueChoice (the first C features
    of its largest size, C from the input tensor; under DARTS the width mask follows the norm)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if not (args or kwargs) or any_choice(*args, *kwargs.values()):
            return super().__new__(cls)
        return nn.LayerNorm(*args, **kwargs)

    def __init__(
        self, normalized_shape: IntOrChoice, eps: float = 1e-5, elementwise_affine: bool = True
    ) -> None:
        _check_ints("normalized_shape", normalized_shape)
        super().__init__(_max(normalized_shape), eps=eps, elementwise_affine=elementwise_affine)
        self.features_choice = normalized_shape

    def relaxed_choices(self) -> list[ValueChoice]:
        return _roots(self.features_choice)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[-1]
        weight = None if self.weight is None else self.weight[:c]
        bias = None if self.bias is None else self.bias[:c]
        y = F.layer_norm(x, (c,), weight, bias, self.eps)
        mask = width_mask(self.features_choice, c)
        return y if mask is None else y * mask.to(y.dtype)

    def to_fixed(self, arch: dict[str, Any]) -> nn.LayerNorm:
        c = _value(self.features_choice, arch)
        norm = nn.LayerNorm(c, eps=self.eps, elementwise_affine=self.elementwise_affine).to(
            self.weight.device
        )
        with torch.no_grad():
            if self.weight is not None:
                norm.weight.copy_(self.weight[:c])
            if self.bias is not None and norm.bias is not None:
                norm.bias.copy_(self.bias[:c])
        return norm
