"""Every listed torchvision classifier (weights=None, no download) pruned at 50%: a forward pass of
the expected shape, fewer params and FLOPs, the same output as the masked original."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from autolab import compress  # noqa: E402
from autolab.compress import count_macs as count_flops  # noqa: E402
from autolab.nas.cost import count_params  # noqa: E402

from .torchvision_models import torchvision_or_skip  # noqa: E402

MODELS = [
    "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large", "densenet121", "shufflenet_v2_x1_0",
    "vgg16_bn", "efficientnet_b0", "regnet_y_400mf", "googlenet",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_torchvision_model_pruned_half(name: str) -> None:
    torch.manual_seed(0)
    extra = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    model = getattr(torchvision_or_skip().models, name)(weights=None, **extra).eval()
    x = torch.randn(1, 3, 64, 64)
    graph = compress.build_graph(model, x)
    plan = compress.uniform_plan(graph, compress.group_importance(graph, "l1"), 0.5)
    small = compress.apply_plan(plan, verify=False).eval()
    with torch.no_grad():
        got, want = small(x), compress.mask_plan(plan).eval()(x)
    assert got.shape == (1, 1000)
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-3)
    assert count_params(small) < 0.6 * count_params(model)
    assert count_flops(small, x) == plan.flops() < 0.6 * count_flops(model, x)
