"""The dynamic blocks at a setting against a forward written out by hand from the sliced weights
(so not through the block classes the extracted subnets share), and dynamic depth."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from autolab.nas.bignas.blocks import (  # noqa: E402
    DynamicBasicBlock,
    DynamicBottleneck,
    DynamicConvBN,
    DynamicInvertedResidual,
    DynamicStage,
)
from autolab.nas.bignas.space import BigNASError  # noqa: E402


def _randomize(module: nn.Module) -> None:
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    module.eval()


def _unit(
    unit: DynamicConvBN, x: torch.Tensor, cout: int, k: int, act: bool, depthwise: bool = False
) -> torch.Tensor:
    """conv (first cout filters, first in-channels, centre k x k) -> BN (first cout) -> act, by hand."""
    conv, bn = unit.conv, unit.bn
    big = conv.kernel_size[0]
    s = (big - k) // 2
    cin = x.shape[1]
    weight = conv.weight[:cout, : 1 if depthwise else cin, s : s + k, s : s + k]
    y = F.conv2d(x, weight, None, conv.stride, k // 2, 1, cin if depthwise else 1)
    y = F.batch_norm(
        y, bn.running_mean[:cout], bn.running_var[:cout], bn.weight[:cout], bn.bias[:cout], False, 0.0, bn.eps
    )
    return F.relu(y) if act else y


def test_inverted_residual_by_hand() -> None:
    torch.manual_seed(0)
    block = DynamicInvertedResidual([8, 16], [8, 16], 5, [3, 6], stride=1, first=False, act="relu")
    _randomize(block)
    block.set_active(12, 12, 3, 3)  # hidden 36 of 96, 3x3 of 5x5, adds its input
    x = torch.randn(2, 12, 6, 6)
    h = _unit(block.expand, x, 36, 1, act=True)
    h = _unit(block.depthwise, h, 36, 3, act=True, depthwise=True)
    expected = x + _unit(block.project, h, 12, 1, act=False)
    with torch.no_grad():
        assert torch.allclose(block(x), expected, atol=1e-5)
        assert torch.allclose(block.extract().eval()(x), expected, atol=1e-5)
    with pytest.raises(BigNASError, match="a skip block needs in == out"):
        block.set_active(8, 16, 3, 3)
    fixed = DynamicInvertedResidual([8], [16], 3, [1], stride=2, first=True)
    assert fixed.expand is None and not fixed.skip  # ratio 1 only: no expand conv (MobileNetV2)
    with pytest.raises(BigNASError, match="expand_ratio 6 but the block has no expand conv"):
        fixed.set_active(8, 16, 3, 6)


def test_bottleneck_and_basic_block_by_hand() -> None:
    torch.manual_seed(0)
    block = DynamicBottleneck([8, 16], [16, 32], 5, [0.25, 0.5], stride=2, first=True)
    _randomize(block)
    block.set_active(8, 24, 3, 0.5)  # mid 12
    x = torch.randn(2, 8, 8, 8)
    h = _unit(block.conv1, x, 12, 1, act=True)
    h = _unit(block.conv2, h, 12, 3, act=True)
    h = _unit(block.conv3, h, 24, 1, act=False)
    expected = F.relu(h + _unit(block.shortcut, x, 24, 1, act=False))
    with torch.no_grad():
        assert block(x).shape == (2, 24, 4, 4)
        assert torch.allclose(block(x), expected, atol=1e-5)
        assert torch.allclose(block.extract().eval()(x), expected, atol=1e-5)

    basic = DynamicBasicBlock([16], [16], 3, [1], stride=1, first=False)
    _randomize(basic)
    basic.set_active(16, 16, 3, 1)
    x = torch.randn(2, 16, 5, 5)
    h = _unit(basic.conv2, _unit(basic.conv1, x, 16, 3, act=True), 16, 3, act=False)
    with torch.no_grad():
        assert torch.allclose(basic(x), F.relu(h + x), atol=1e-5)


def test_a_stage_runs_its_first_blocks() -> None:
    torch.manual_seed(0)
    blocks = [nn.Conv2d(4, 4, 1) for _ in range(3)]
    stage = DynamicStage(blocks)
    x = torch.randn(1, 4, 3, 3)
    stage.set_active(2)
    with torch.no_grad():
        assert torch.allclose(stage(x), blocks[1](blocks[0](x)))
    with pytest.raises(BigNASError, match="depth 4 not in 1..3"):
        stage.set_active(4)
