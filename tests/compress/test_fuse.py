"""Conv + BN fusion gives the unfused model's output, with the norms gone where they can go."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autolab import compress  # noqa: E402

from .helpers import randomize_norms  # noqa: E402
from .models import ALL  # noqa: E402


@pytest.mark.parametrize("name", sorted(ALL))
def test_fused_matches_unfused(name: str) -> None:
    torch.manual_seed(0)
    model = randomize_norms(ALL[name]())
    x = torch.randn(3, 3, 32, 32)
    fused = compress.fuse_conv_bn(model)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x), atol=1e-4, rtol=1e-4)
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    left = [m for m in fused.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(left) == len(norms) - len(compress.fusable_pairs(model))
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())  # the original keeps its norms


def test_only_norms_right_after_their_layer_fuse() -> None:
    pairs = compress.fusable_pairs(ALL["resnet"]())
    assert ("stem.0", "stem.1") in pairs and len(pairs) == 11  # all 11 convs of ResNetLike have a norm
    dense = compress.fusable_pairs(ALL["dense"]())
    assert dense == []  # DenseNet's norms read concatenations, never one conv's output


def test_linear_bn1d_fuses() -> None:
    torch.manual_seed(0)
    model = randomize_norms(nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)))
    fused = compress.fuse_conv_bn(model)
    x = torch.randn(6, 5)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x))
    assert isinstance(fused[1], nn.Identity)
