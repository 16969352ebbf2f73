"""The supernet: set_active, dynamic blocks and depth against their extracted static subnets,
save / load from the file alone."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autolab.nas.bignas import (  # noqa: E402
    BigNASError,
    BigNASSpace,
    build_subnet,
    build_supernet,
    load_supernet,
    save_supernet,
)
from autolab.nas.bignas.ops import DynamicBatchNorm2d, DynamicConv2d  # noqa: E402

from .helpers import NARROW, TINY  # noqa: E402

CASES = [("inverted_residual", TINY), ("basic", TINY), ("bottleneck", NARROW)]


def _trained_a_little(net: nn.Module, x: torch.Tensor) -> None:
    """Non-trivial BN statistics and affine weights, so that extraction has something to copy."""
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(x)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)


@pytest.mark.parametrize("block, raw", CASES)
def test_extracted_subnets_give_the_supernets_outputs(block: str, raw: dict) -> None:  # type: ignore[type-arg]
    torch.manual_seed(0)
    space = BigNASSpace.from_dict(raw)
    net = build_supernet(space, num_classes=5, in_channels=1, block=block)
    x = torch.randn(4, 1, 12, 12)
    _trained_a_little(net, x)
    net.eval()
    rng = random.Random(0)
    for settings in [space.max(), space.min(), *(space.random(rng) for _ in range(6))]:
        net.set_active(settings)
        with torch.no_grad():
            expected = net(x)
            sub = net.extract(settings).eval()
            got = sub(x)
        assert torch.allclose(got, expected, atol=1e-5), settings
        assert not any(isinstance(m, DynamicConv2d | DynamicBatchNorm2d) for m in sub.modules())
        # the subnet's own smaller weights: exactly as many as the active path uses
        assert sum(p.numel() for p in sub.parameters()) <= sum(p.numel() for p in net.parameters())
        assert [len(s) for s in sub.stages] == settings["depth"][1:]


def test_the_inverted_residual_subnet_has_the_hand_counted_shape() -> None:
    space = BigNASSpace.from_dict(TINY)
    net = build_supernet(space, num_classes=5, in_channels=1)
    settings = {
        "depth": [1, 2, 1],
        "out_channel": [8, 16, 32],
        "kernel_size": [3, [5, 3], 3],
        "expand_ratio": [0, [3, 6], 6],
    }
    sub = net.extract(settings)
    assert sub.stem.conv.weight.shape == (8, 1, 3, 3)
    first, second = sub.stages[0]
    assert first.expand.conv.weight.shape == (24, 8, 1, 1)  # 8 in x ratio 3
    assert first.depthwise.conv.weight.shape == (24, 1, 5, 5)
    assert first.project.conv.weight.shape == (16, 24, 1, 1) and not first.skip
    assert second.expand.conv.weight.shape == (96, 16, 1, 1) and second.skip
    assert sub.stages[1][0].depthwise.conv.weight.shape == (96, 1, 3, 3)
    assert sub.classifier.weight.shape == (5, 32)
    # set_active on the supernet moved back to what it was
    assert net.active_settings == space.max()


def test_extract_is_independent_of_the_supernet() -> None:
    torch.manual_seed(0)
    space = BigNASSpace.from_dict(TINY)
    net = build_supernet(space, num_classes=3, in_channels=1).eval()
    x = torch.randn(2, 1, 8, 8)
    sub = net.extract(space.min()).eval()
    before = sub(x).detach()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    assert torch.equal(sub(x), before)


def test_save_and_load_rebuild_the_supernet_from_the_file(tmp_path: Path) -> None:
    torch.manual_seed(0)
    space = BigNASSpace.from_dict(NARROW)
    net = build_supernet(
        space, num_classes=4, in_channels=2, block="bottleneck", strides=[1, 2, 2], dropout=0.1
    )
    x = torch.randn(3, 2, 8, 8)
    _trained_a_little(net, x)
    settings = space.random(random.Random(2))
    net.set_active(settings)
    path = tmp_path / "supernet.pt"
    save_supernet(path, net)
    loaded = load_supernet(path)
    assert loaded.active_settings == settings
    assert loaded.build_args == net.build_args and loaded.space.to_dict() == NARROW
    net.eval(), loaded.eval()
    for s in (space.max(), space.min(), settings):
        net.set_active(s), loaded.set_active(s)
        assert torch.equal(net(x), loaded(x))
    # an exported subnet's state dict loads into build_subnet's fresh model of the same shape
    sub = net.extract(settings)
    fresh = build_subnet(space, settings, num_classes=4, in_channels=2, block="bottleneck", strides=[1, 2, 2])
    fresh.load_state_dict(sub.state_dict())
    assert torch.equal(fresh.eval()(x), sub.eval()(x))


def test_bad_files_and_builds_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(BigNASError, match="no such supernet file"):
        load_supernet(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    with pytest.raises(BigNASError, match="junk.pt: not a supernet file"):
        load_supernet(junk)
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(BigNASError, match="not a supernet file written by save_supernet"):
        load_supernet(tmp_path / "other.pt")
    space = BigNASSpace.from_dict(TINY)
    for kwargs, message in [
        ({"block": "dense"}, "block 'dense' is not one of inverted_residual, basic, bottleneck"),
        ({"strides": [1, 2]}, "strides: expected 3 values of 1 or 2"),
        ({"act": "tanh"}, "activation 'tanh' is not one of"),
        ({"bn_stats": "sync"}, "bn_stats 'sync'"),
        ({"num_classes": 0}, "num_classes must be a positive integer, got 0"),
        ({"in_channels": 1.5}, "in_channels must be a positive integer, got 1.5"),
        ({"dropout": 1.0}, "dropout must be in \\[0, 1\\), got 1.0"),
    ]:
        with pytest.raises(BigNASError, match=message):
            build_supernet(space, **{"num_classes": 3, "in_channels": 1, **kwargs})
    with pytest.raises(BigNASError, match="stage 0 is the stem, its depth must be 1"):
        build_supernet({**TINY, "depth": {"space": {"min": 1, "max": 2}}}, 3)
    with pytest.raises(BigNASError, match="expand_ratio: stage 1 has \\[0\\]"):
        build_supernet({**TINY, "expand_ratio": [0, 0, 6]}, 3)


@pytest.mark.parametrize("block, raw", CASES)
def test_per_width_batch_norm_keeps_statistics_per_width(block: str, raw: dict) -> None:  # type: ignore[type-arg]
    torch.manual_seed(0)
    space = BigNASSpace.from_dict(raw)
    net = build_supernet(space, num_classes=3, in_channels=1, block=block, bn_stats="per_width")
    x = torch.randn(4, 1, 8, 8)
    net.train()
    net.set_active(space.min())
    net(x)
    stem_bn = net.stem.bn
    assert int(stem_bn.num_batches_tracked_8) == 1 and int(stem_bn.num_batches_tracked) == 0
    net.set_active(space.max())
    net(x)
    assert int(stem_bn.num_batches_tracked) == 1
    net.eval()
    rng = random.Random(4)
    for s in (space.min(), space.max(), *(space.random(rng) for _ in range(4))):
        net.set_active(s)
        assert torch.allclose(net(x), net.extract(s).eval()(x), atol=1e-5)


def test_residual_blocks_start_as_the_identity() -> None:
    torch.manual_seed(0)
    space = BigNASSpace.from_dict(TINY)
    net = build_supernet(space, num_classes=3, in_channels=1).eval()
    block = net.stages[0].blocks[1]  # adds its input
    x = torch.randn(2, 24, 8, 8)
    block.set_active(24, 24, 5, 6)
    assert torch.equal(block(x), x)
    assert net.stages[0].blocks[0].project.bn.weight.abs().sum() > 0  # no skip: not zeroed
    plain = build_supernet(space, num_classes=3, in_channels=1, zero_last_gamma=False)
    assert plain.stages[0].blocks[1].project.bn.weight.abs().sum() > 0
    basic = build_supernet(space, num_classes=3, in_channels=1, block="basic")
    assert all(b.conv2.bn.weight.abs().sum() == 0 for s in basic.stages for b in s.blocks)


def test_extraction_keeps_the_dtype_and_device() -> None:
    torch.manual_seed(0)
    space = BigNASSpace.from_dict(TINY)
    net = build_supernet(space, num_classes=3, in_channels=1).double().eval()
    sub = net.extract(space.min()).eval()
    assert {p.dtype for p in sub.parameters()} == {torch.float64}
    assert {b.dtype for b in sub.buffers() if b.is_floating_point()} == {torch.float64}
    assert {p.device for p in sub.parameters()} == {next(net.parameters()).device}
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    net.set_active(space.min())
    assert torch.allclose(sub(x), net(x))
