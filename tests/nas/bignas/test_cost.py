"""FLOPs and parameters of subnets: a hand count, the supernet at a setting against its extracted
static model, and peer counters (fvcore, thop; the test skips where they are not installed: they are
not autolab dependencies, run it in an environment that has them)."""

from __future__ import annotations

import random
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autolab.nas import count_flops, count_params  # noqa: E402
from autolab.nas.bignas import BigNASSpace, build_supernet  # noqa: E402

from .helpers import NARROW, TINY  # noqa: E402

SMALL = {
    "out_channel": {"space": {"min": [4, 8], "max": [8, 16], "stride": [4, 8]}},
    "kernel_size": {"space": {"min": 3, "max": 5, "stride": 2}},
    "depth": {"space": {"min": 1, "max": [1, 2]}},
    "expand_ratio": {"space": {"min": [0, 2], "max": [0, 4], "stride": 2}},
}


def test_a_subnet_by_hand() -> None:
    space = BigNASSpace.from_dict(SMALL)
    net = build_supernet(space, num_classes=3, in_channels=1, strides=[1, 1])
    x = torch.zeros(1, 1, 4, 4)
    # min: stem 1 -> 4 (3x3); one inverted residual 4 -> 8 (8 hidden, 3x3 depthwise), 4x4 maps
    flops = (
        64 * 1 * 9  # stem conv: 4 x 16 outputs, 1 input channel x 9 taps
        + 64 * 2  # its BN: 2 per element
        + 128 * 4  # expand 1x1: 8 x 16 outputs x 4 inputs
        + 128 * 2
        + 128 * 1 * 9  # depthwise 3x3
        + 128 * 2
        + 128 * 8  # project 1x1: 8 x 16 outputs x 8 inputs
        + 128 * 2
        + 128  # global average pooling: its input elements
        + 3 * 8  # classifier
    )
    params = 4 * 9 + 8 + 8 * 4 + 16 + 8 * 9 + 16 + 8 * 8 + 16 + 3 * 8 + 3
    net.set_active(space.min())
    assert count_flops(net, x) == flops == 4312
    assert net.cost(example_input=x) == {"params": params, "flops": flops} == {"params": 287, "flops": 4312}
    assert count_flops(net.extract(), x) == flops and count_params(net.extract()) == params
    # the max setting: every layer at its full size, the kernels 5x5, two blocks in stage 1
    net.set_active(space.max())
    assert count_flops(net, x) == count_flops(net.extract(), x) > flops


@pytest.mark.parametrize("block, raw", [("inverted_residual", TINY), ("basic", TINY), ("bottleneck", NARROW)])
def test_the_supernet_at_a_setting_counts_what_its_static_subnet_counts(
    block: str, raw: dict[str, Any]
) -> None:
    space = BigNASSpace.from_dict(raw)
    net = build_supernet(space, num_classes=5, in_channels=3, block=block)
    x = torch.zeros(1, 3, 16, 16)
    rng = random.Random(0)
    seen = set()
    for settings in [space.max(), space.min(), *(space.random(rng) for _ in range(5))]:
        sub = net.extract(settings)
        expected = {"params": count_params(sub), "flops": count_flops(sub, x)}
        assert net.cost(settings, x) == expected
        seen.add(expected["flops"])
    assert net.active_settings == space.max()
    assert len(seen) > 3
    assert net.cost(space.min(), x)["flops"] < net.cost(space.max(), x)["flops"]


def _models() -> list[tuple[str, nn.Module, torch.Tensor]]:
    models = []
    for block, raw in [("inverted_residual", TINY), ("basic", TINY), ("bottleneck", NARROW)]:
        space = BigNASSpace.from_dict(raw)
        net = build_supernet(space, num_classes=10, in_channels=3, block=block)
        for name, settings in [
            ("max", space.max()),
            ("min", space.min()),
            ("random", space.random(random.Random(1))),
        ]:
            models.append((f"{block}-{name}", net.extract(settings), torch.zeros(1, 3, 32, 32)))
    # a small VGG-like net with pooling and a grouped conv (pooling, which fvcore leaves out and thop
    # counts for averages only, is well under 1% here, as in real networks)
    plain = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, groups=2),
        nn.Conv2d(64, 64, 3, padding=1),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 10),
    )
    models.append(("plain", plain, torch.zeros(1, 3, 32, 32)))
    return models


def test_fvcore_counts_the_same_within_one_percent() -> None:
    fvcore_nn = pytest.importorskip("fvcore.nn")
    for name, model, x in _models():
        model.eval()
        analysis = fvcore_nn.FlopCountAnalysis(model, x)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        ours, theirs = count_flops(model, x), analysis.total()
        assert abs(ours - theirs) <= 0.01 * theirs, (name, ours, theirs)


def test_thop_counts_the_same_within_one_percent() -> None:
    """thop counts an affine BatchNorm as 4 operations per element (autolab and fvcore: 2); it is
    given autolab's rule for norms, so that the convolutions, linear layers and pooling are compared."""
    thop = pytest.importorskip("thop")

    def norm(module: nn.Module, inputs: Any, output: Any) -> None:
        module.total_ops += torch.DoubleTensor([inputs[0].numel() * 2])

    for name, model, x in _models():
        model.eval()
        theirs, _ = thop.profile(model, inputs=(x,), verbose=False, custom_ops={nn.BatchNorm2d: norm})
        ours = count_flops(model, x)
        assert abs(ours - theirs) <= 0.01 * theirs, (name, ours, theirs)
